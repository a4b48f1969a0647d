//! Connection security settings: `security.protocol`, the TLS settings (`ssl.*`) and the SASL
//! settings (`sasl.*`), with their errors.
//!
//! [`SecurityConfig`] is what a client holds; [`SecurityConfig::set_property`] accepts the Kafka
//! property names (Java client and librdkafka spellings) so existing configurations paste in,
//! and [`SecurityConfig::validate`] checks the combination once, before any connection.
//!
//! Secrets (passwords, private keys, tokens) live in [`Secret`], whose `Debug` prints
//! `"<redacted>"`, and no error built here ever contains one.
//!
//! # Example
//!
//! ```
//! use kafka_protocol::net::security::{SecurityConfig, SecurityProtocol};
//!
//! let mut config = SecurityConfig::default();
//! for (key, value) in [
//!     ("security.protocol", "SASL_SSL"),
//!     ("sasl.mechanism", "SCRAM-SHA-512"),
//!     ("sasl.username", "alice"),
//!     ("sasl.password", "alice-secret"),
//! ] {
//!     assert!(config.set_property(key, value)?);
//! }
//! config.validate()?;
//! assert_eq!(config.protocol(), SecurityProtocol::SaslSsl);
//! assert!(!format!("{config:?}").contains("alice-secret"));
//! # Ok::<(), kafka_protocol::net::security::ConfigError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::codec::{DecodeError, EncodeError};
use crate::net::sasl::{SaslConfig, SaslMechanismKind};
use crate::net::tls::TlsConfig;

/// A secret value (password, private key, token). `Debug` and `Display` never show it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Call this only where the value is needed (building a SASL message
    /// or parsing a key), never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// How a connection to a broker is secured: Kafka's `security.protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`: no TLS, no SASL (the default).
    #[default]
    Plaintext,
    /// `SSL`: TLS, optionally with a client certificate; no SASL.
    Ssl,
    /// `SASL_PLAINTEXT`: SASL authentication over an unencrypted connection.
    SaslPlaintext,
    /// `SASL_SSL`: SASL authentication inside TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Every protocol, in Kafka's order.
    pub const ALL: [SecurityProtocol; 4] = [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ];

    /// The name as Kafka spells it (`SASL_SSL`).
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether connections run inside TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether connections authenticate with SASL after connecting.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecurityProtocol {
    type Err = ConfigError;

    /// Parses a protocol name, ignoring ASCII case as Kafka does.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        SecurityProtocol::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                ConfigError::invalid(
                    "security.protocol",
                    s,
                    "one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
                )
            })
    }
}

/// Everything that secures broker connections: protocol, TLS and SASL settings.
///
/// Build it with the setters or from Kafka properties with [`SecurityConfig::set_property`];
/// call [`SecurityConfig::validate`] before connecting.
#[derive(Clone, Debug, Default)]
pub struct SecurityConfig {
    protocol: SecurityProtocol,
    tls: TlsConfig,
    sasl: SaslConfig,
}

impl SecurityConfig {
    /// A configuration for the given protocol with default TLS and SASL settings.
    pub fn new(protocol: SecurityProtocol) -> Self {
        Self {
            protocol,
            ..Self::default()
        }
    }

    /// Sets `security.protocol`. Default: `PLAINTEXT`.
    pub fn with_protocol(mut self, protocol: SecurityProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Replaces the TLS (`ssl.*`) settings. Used only when the protocol is `SSL` or `SASL_SSL`.
    pub fn with_tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// Replaces the SASL (`sasl.*`) settings. Used only when the protocol is `SASL_PLAINTEXT` or
    /// `SASL_SSL`.
    pub fn with_sasl(mut self, sasl: SaslConfig) -> Self {
        self.sasl = sasl;
        self
    }

    /// `security.protocol`.
    pub fn protocol(&self) -> SecurityProtocol {
        self.protocol
    }

    /// The TLS settings.
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    /// The TLS settings, for changing in place.
    pub fn tls_mut(&mut self) -> &mut TlsConfig {
        &mut self.tls
    }

    /// The SASL settings.
    pub fn sasl(&self) -> &SaslConfig {
        &self.sasl
    }

    /// The SASL settings, for changing in place.
    pub fn sasl_mut(&mut self) -> &mut SaslConfig {
        &mut self.sasl
    }

    /// Applies one Kafka property. Returns `Ok(true)` when the key is a security property
    /// (and the value was valid), `Ok(false)` when the key is not one of ours (the caller
    /// decides whether it is someone else's or unknown), and an error naming the key and the
    /// allowed values when the value is invalid or unsupported.
    ///
    /// Keys: `security.protocol`; the `ssl.*` keys listed on [`TlsConfig::set_property`]; the
    /// `sasl.*` keys listed on [`SaslConfig::set_property`].
    pub fn set_property(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        if key == "security.protocol" {
            self.protocol = value.parse()?;
            return Ok(true);
        }
        if self.tls.set_property(key, value)? {
            return Ok(true);
        }
        self.sasl.set_property(key, value)
    }

    /// Checks that the settings fit together: a SASL protocol needs `sasl.mechanism` and the
    /// mechanism's credentials; a TLS protocol needs the `tls` cargo feature and a consistent
    /// client certificate and key; GSSAPI needs the `gssapi` cargo feature.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.protocol.uses_tls() {
            if !cfg!(feature = "tls") {
                return Err(ConfigError::Unsupported {
                    key: "security.protocol".into(),
                    reason: format!(
                        "{} needs TLS, but this build lacks the `tls` cargo feature",
                        self.protocol
                    ),
                });
            }
            self.tls.validate()?;
        }
        if self.protocol.uses_sasl() {
            self.sasl.validate(self.protocol)?;
        }
        Ok(())
    }

    /// The SASL mechanism in force, if the protocol uses SASL.
    pub fn sasl_mechanism(&self) -> Option<SaslMechanismKind> {
        if self.protocol.uses_sasl() {
            self.sasl.mechanism()
        } else {
            None
        }
    }
}

/// An invalid, missing or unsupported security setting. Always names the property key; never
/// contains a secret value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The value is not one the key accepts.
    #[error("invalid value {value:?} for `{key}`: expected {expected}")]
    InvalidValue {
        /// The property key.
        key: String,
        /// The value given (never shown for secret keys).
        value: String,
        /// What the key accepts.
        expected: String,
    },
    /// A required setting is absent.
    #[error("`{key}` must be set: {reason}")]
    Missing {
        /// The property key.
        key: String,
        /// Why it is required.
        reason: String,
    },
    /// The setting is valid Kafka configuration that this client does not support.
    #[error("`{key}` is not supported: {reason}")]
    Unsupported {
        /// The property key.
        key: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A file named by a setting could not be read or parsed.
    #[error("`{key}`: cannot use {path:?}: {reason}")]
    File {
        /// The property key.
        key: String,
        /// The file's path.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl ConfigError {
    /// An [`ConfigError::InvalidValue`] error.
    pub fn invalid(key: impl Into<String>, value: &str, expected: impl Into<String>) -> Self {
        ConfigError::InvalidValue {
            key: key.into(),
            value: value.to_owned(),
            expected: expected.into(),
        }
    }

    /// The property key the error is about.
    pub fn key(&self) -> &str {
        match self {
            ConfigError::InvalidValue { key, .. }
            | ConfigError::Missing { key, .. }
            | ConfigError::Unsupported { key, .. }
            | ConfigError::File { key, .. } => key,
        }
    }
}

/// A failure while securing a connection: TLS set-up or handshake, or SASL authentication.
///
/// Never contains a password, key or token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecurityError {
    /// The configuration is invalid (found when first used).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The broker's host name cannot be used as a TLS server name.
    #[error("cannot use {host:?} as a TLS server name (SNI / certificate name)")]
    InvalidServerName {
        /// The host given.
        host: String,
    },
    /// The TLS handshake failed (certificate not trusted, wrong host name, client
    /// certificate refused, protocol mismatch...).
    #[error("TLS handshake with {server_name} failed: {source}")]
    TlsHandshake {
        /// The server name the handshake was for.
        server_name: String,
        /// The failure, as rustls reports it.
        #[source]
        source: std::io::Error,
    },
    /// A socket read or write failed.
    #[error("I/O error during {stage}: {source}")]
    Io {
        /// What was happening (`SaslHandshake`, `SaslAuthenticate`, `ApiVersions`...).
        stage: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The broker closed the connection mid-exchange.
    #[error("the broker closed the connection during {stage}")]
    Closed {
        /// What was happening.
        stage: String,
    },
    /// No response arrived in time.
    #[error("no response to {stage} within {timeout_ms} ms")]
    Timeout {
        /// What was happening.
        stage: String,
        /// The limit.
        timeout_ms: u64,
    },
    /// A request could not be encoded.
    #[error("cannot encode {api} request: {source}")]
    Encode {
        /// The API.
        api: &'static str,
        /// The error.
        #[source]
        source: EncodeError,
    },
    /// A response could not be decoded.
    #[error("cannot decode {api} response: {source}")]
    Decode {
        /// The API.
        api: &'static str,
        /// The error.
        #[source]
        source: DecodeError,
    },
    /// The response was not the one asked for (wrong API or correlation id).
    #[error("unexpected response to {api}: {detail}")]
    UnexpectedResponse {
        /// The API of the request.
        api: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The broker is too old for the authentication flow this client uses.
    #[error("{api} v{required}+ is required for SASL (KIP-152), but the broker offers at most v{offered}")]
    UnsupportedVersion {
        /// The API.
        api: &'static str,
        /// The minimum version needed.
        required: i16,
        /// What the broker offers (or was asked for).
        offered: i16,
    },
    /// The broker does not enable the configured SASL mechanism.
    #[error("the broker does not enable SASL mechanism {mechanism} (sasl.mechanism); it enables: {}", enabled_list(.enabled))]
    UnsupportedMechanism {
        /// The mechanism asked for.
        mechanism: String,
        /// The mechanisms the broker enables.
        enabled: Vec<String>,
    },
    /// The SaslHandshake failed for a reason other than the mechanism.
    #[error("SaslHandshake for {mechanism} failed: {}", crate::ErrorCode::from_i16(*.error_code))]
    HandshakeFailed {
        /// The mechanism asked for.
        mechanism: String,
        /// The Kafka error code (34 = ILLEGAL_SASL_STATE).
        error_code: i16,
    },
    /// The broker rejected the credentials, or the exchange failed on the broker's side.
    #[error("SASL {mechanism} authentication failed (error code {error_code}): {broker_message}")]
    AuthenticationFailed {
        /// The mechanism.
        mechanism: String,
        /// The Kafka error code (58 = SASL_AUTHENTICATION_FAILED, 34 = ILLEGAL_SASL_STATE),
        /// or 0 when the client side of the mechanism detected the failure.
        error_code: i16,
        /// The broker's explanation (its error message, SCRAM `e=` text or OAUTHBEARER JSON
        /// status), or a description of the error code when the broker sent none.
        broker_message: String,
    },
    /// The broker's SASL messages break the mechanism's protocol (malformed SCRAM message,
    /// nonce mismatch, wrong server signature...). The broker may be an impostor.
    #[error("SASL {mechanism}: {detail}")]
    Mechanism {
        /// The mechanism.
        mechanism: String,
        /// What was wrong.
        detail: String,
    },
    /// The OAUTHBEARER token provider failed.
    #[error("OAUTHBEARER token provider failed: {message}")]
    TokenProvider {
        /// The provider's explanation.
        message: String,
    },
    /// The feature is not compiled in or not available here.
    #[error("{what} is not available: {reason}")]
    Unavailable {
        /// The feature.
        what: &'static str,
        /// Why, and what to do.
        reason: String,
    },
}

impl SecurityError {
    /// A [`SecurityError::TokenProvider`] error, for [`OAuthBearerTokenProvider`]
    /// implementations.
    ///
    /// [`OAuthBearerTokenProvider`]: crate::net::sasl::oauthbearer::OAuthBearerTokenProvider
    pub fn token_provider(message: impl Into<String>) -> Self {
        SecurityError::TokenProvider {
            message: message.into(),
        }
    }

    /// Whether the error means the credentials or mechanism were rejected (retrying with the
    /// same settings will fail again), as opposed to a network or timing failure.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            SecurityError::AuthenticationFailed { .. }
                | SecurityError::UnsupportedMechanism { .. }
                | SecurityError::Mechanism { .. }
                | SecurityError::Config(_)
        )
    }
}

fn enabled_list(enabled: &[String]) -> String {
    if enabled.is_empty() {
        "none".to_owned()
    } else {
        enabled.join(", ")
    }
}

pub(crate) fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError::invalid(key, value, "true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_parse_case_insensitively_and_unknown_ones_fail() {
        assert_eq!(
            "sasl_ssl".parse::<SecurityProtocol>().unwrap(),
            SecurityProtocol::SaslSsl
        );
        assert_eq!(
            "PLAINTEXT".parse::<SecurityProtocol>().unwrap(),
            SecurityProtocol::Plaintext
        );
        let err = "TLS".parse::<SecurityProtocol>().unwrap_err();
        assert_eq!(err.key(), "security.protocol");
        assert!(err.to_string().contains("SASL_PLAINTEXT"), "{err}");
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "\"<redacted>\"");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn set_property_routes_keys_and_reports_unknown_ones() {
        let mut c = SecurityConfig::default();
        assert!(c
            .set_property("security.protocol", "SASL_PLAINTEXT")
            .unwrap());
        assert!(c.set_property("sasl.mechanisms", "PLAIN").unwrap());
        assert!(c.set_property("sasl.username", "u").unwrap());
        assert!(c.set_property("sasl.password", "very-secret").unwrap());
        assert!(c
            .set_property("ssl.endpoint.identification.algorithm", "https")
            .unwrap());
        assert!(!c.set_property("linger.ms", "5").unwrap());
        c.validate().unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
        assert_eq!(c.sasl_mechanism(), Some(SaslMechanismKind::Plain));
    }

    #[test]
    fn sasl_without_mechanism_or_credentials_is_an_error_naming_the_key() {
        let c = SecurityConfig::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(c.validate().unwrap_err().key(), "sasl.mechanism");
        let mut c = SecurityConfig::new(SecurityProtocol::SaslSsl);
        c.set_property("sasl.mechanism", "SCRAM-SHA-256").unwrap();
        assert_eq!(c.validate().unwrap_err().key(), "sasl.username");
        c.set_property("sasl.username", "u").unwrap();
        assert_eq!(c.validate().unwrap_err().key(), "sasl.password");
        c.set_property("sasl.password", "p").unwrap();
        c.validate().unwrap();
        // Plaintext ignores SASL settings entirely.
        assert_eq!(SecurityConfig::default().sasl_mechanism(), None);
    }
}

//! SASL authentication (KIP-43 handshake, KIP-152 `SaslAuthenticate` framing, KIP-368
//! re-authentication lifetimes, KIP-255 OAUTHBEARER, KIP-84/KIP-86 SCRAM).
//!
//! Each mechanism is a sans-IO state machine ([`SaslMechanism`]): it produces the client's
//! first message, then turns each server message into the next client message or "done".
//! [`authenticate`] drives one over anything that can send a request and return its response
//! ([`SaslRoundTrip`]): first `SaslHandshake` (v1, so that the tokens travel in
//! `SaslAuthenticate` requests rather than as raw frames), then `SaslAuthenticate` until the
//! mechanism is done. The broker's `session_lifetime_ms` (v1+) comes back in [`SaslSession`]
//! so the connection can re-authenticate before the broker closes it (KIP-368).
//!
//! Mechanisms: [`plain`] (RFC 4616), [`scram`] (RFC 5802 / RFC 7677, SHA-256 and SHA-512),
//! [`oauthbearer`] (RFC 7628 as Kafka uses it), and [`gssapi`] (Kerberos, cargo feature
//! `gssapi`).

pub mod gssapi;
pub mod oauthbearer;
pub mod plain;
pub mod scram;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::messages::{RequestBody, ResponseBody, SaslAuthenticateRequest, SaslHandshakeRequest};
use crate::net::security::{ConfigError, Secret, SecurityError, SecurityProtocol};

use self::oauthbearer::OAuthBearerTokenProvider;

/// Kafka error code UNSUPPORTED_SASL_MECHANISM.
pub const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
/// Kafka error code ILLEGAL_SASL_STATE.
pub const ILLEGAL_SASL_STATE: i16 = 34;
/// Kafka error code SASL_AUTHENTICATION_FAILED.
pub const SASL_AUTHENTICATION_FAILED: i16 = 58;

/// The SASL mechanisms this client knows (`sasl.mechanism`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaslMechanismKind {
    /// `PLAIN`: user name and password in the clear (use with `SASL_SSL`).
    Plain,
    /// `SCRAM-SHA-256`.
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
    /// `OAUTHBEARER`: a bearer token from a [`OAuthBearerTokenProvider`].
    OAuthBearer,
    /// `GSSAPI`: Kerberos (cargo feature `gssapi`).
    Gssapi,
}

impl SaslMechanismKind {
    /// Every mechanism.
    pub const ALL: [SaslMechanismKind; 5] = [
        SaslMechanismKind::Plain,
        SaslMechanismKind::ScramSha256,
        SaslMechanismKind::ScramSha512,
        SaslMechanismKind::OAuthBearer,
        SaslMechanismKind::Gssapi,
    ];

    /// The IANA name, as sent in `SaslHandshake`.
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanismKind::Plain => "PLAIN",
            SaslMechanismKind::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanismKind::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanismKind::OAuthBearer => "OAUTHBEARER",
            SaslMechanismKind::Gssapi => "GSSAPI",
        }
    }
}

impl fmt::Display for SaslMechanismKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SaslMechanismKind {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        SaslMechanismKind::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                ConfigError::invalid(
                    "sasl.mechanism",
                    s,
                    "one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI",
                )
            })
    }
}

/// SASL settings (`sasl.*`).
///
/// | Kafka property | setter | default |
/// |---|---|---|
/// | `sasl.mechanism` (also `sasl.mechanisms`) | [`with_mechanism`](Self::with_mechanism) | none: required with a SASL protocol (Kafka defaults to GSSAPI, which this client does not assume) |
/// | `sasl.username` | [`with_username`](Self::with_username) | none |
/// | `sasl.password` | [`with_password`](Self::with_password) | none |
/// | `sasl.jaas.config` | — | `username="..."`, `password="..."` (and SCRAM's `tokenauth="true"`) are taken from a Java `PlainLoginModule` / `ScramLoginModule` line |
/// | — | [`with_scram_token_auth`](Self::with_scram_token_auth) | `false`; `true` authenticates with a delegation token (KIP-48) |
/// | `sasl.oauthbearer.extensions` | [`with_oauthbearer_extension`](Self::with_oauthbearer_extension) | none (`key=value,key=value`) |
/// | — | [`with_oauthbearer_token_provider`](Self::with_oauthbearer_token_provider) | none: required for OAUTHBEARER unless the unsecured JWT is enabled |
/// | `enable.sasl.oauthbearer.unsecure.jwt` | — | `false`; `true` makes an unsigned JWT from `sasl.oauthbearer.config` (test clusters only) |
/// | `sasl.oauthbearer.config` | — | none (`principal=... scope=... lifeSeconds=...`, see [`UnsecuredJwtProvider`](oauthbearer::UnsecuredJwtProvider)) |
/// | `sasl.kerberos.service.name` | [`with_kerberos_service_name`](Self::with_kerberos_service_name) | `kafka` |
/// | `sasl.kerberos.principal` | [`with_kerberos_principal`](Self::with_kerberos_principal) | none (the default credential of the Kerberos ticket cache) |
#[derive(Clone)]
pub struct SaslConfig {
    mechanism: Option<SaslMechanismKind>,
    username: Option<String>,
    password: Option<Secret>,
    oauthbearer_extensions: BTreeMap<String, String>,
    oauthbearer_token_provider: Option<Arc<dyn OAuthBearerTokenProvider>>,
    oauthbearer_unsecure_jwt: bool,
    oauthbearer_config: Option<oauthbearer::UnsecuredJwtProvider>,
    kerberos_service_name: String,
    kerberos_principal: Option<String>,
    scram_token_auth: bool,
}

impl Default for SaslConfig {
    fn default() -> Self {
        Self {
            mechanism: None,
            username: None,
            password: None,
            oauthbearer_extensions: BTreeMap::new(),
            oauthbearer_token_provider: None,
            oauthbearer_unsecure_jwt: false,
            oauthbearer_config: None,
            kerberos_service_name: "kafka".to_owned(),
            kerberos_principal: None,
            scram_token_auth: false,
        }
    }
}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field(
                "oauthbearer_extensions",
                &self.oauthbearer_extensions.keys().collect::<Vec<_>>(),
            )
            .field(
                "oauthbearer_token_provider",
                &self
                    .oauthbearer_token_provider
                    .as_ref()
                    .map(|_| "<provider>"),
            )
            .field("oauthbearer_unsecure_jwt", &self.oauthbearer_unsecure_jwt)
            .field("oauthbearer_config", &self.oauthbearer_config)
            .field("kerberos_service_name", &self.kerberos_service_name)
            .field("kerberos_principal", &self.kerberos_principal)
            .field("scram_token_auth", &self.scram_token_auth)
            .finish()
    }
}

impl SaslConfig {
    /// Sets `sasl.mechanism`.
    pub fn with_mechanism(mut self, mechanism: SaslMechanismKind) -> Self {
        self.mechanism = Some(mechanism);
        self
    }

    /// Sets `sasl.username` (PLAIN and SCRAM).
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets `sasl.password` (PLAIN and SCRAM).
    pub fn with_password(mut self, password: impl Into<Secret>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Adds one OAUTHBEARER extension (`sasl.oauthbearer.extensions`), sent in the initial
    /// client response. Keys are letters only and not `auth`; values are printable ASCII,
    /// space, tab, CR or LF (RFC 7628 section 3.1).
    pub fn with_oauthbearer_extension(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let (key, value) = (key.into(), value.into());
        oauthbearer::check_extension(&key, &value)?;
        self.oauthbearer_extensions.insert(key, value);
        Ok(self)
    }

    /// Sets the OAUTHBEARER token source, asked for a token at each (re-)authentication.
    pub fn with_oauthbearer_token_provider(
        mut self,
        provider: Arc<dyn OAuthBearerTokenProvider>,
    ) -> Self {
        self.oauthbearer_token_provider = Some(provider);
        self
    }

    /// Sets `sasl.kerberos.service.name` (GSSAPI). Default: `kafka`.
    pub fn with_kerberos_service_name(mut self, name: impl Into<String>) -> Self {
        self.kerberos_service_name = name.into();
        self
    }

    /// Sets `sasl.kerberos.principal` (GSSAPI): the client principal whose credentials to
    /// use. Default: the ticket cache's default principal.
    pub fn with_kerberos_principal(mut self, principal: impl Into<String>) -> Self {
        self.kerberos_principal = Some(principal.into());
        self
    }

    /// SCRAM with a delegation token (KIP-48): `sasl.username` is the token id,
    /// `sasl.password` the token's HMAC. Default: off.
    pub fn with_scram_token_auth(mut self, token_auth: bool) -> Self {
        self.scram_token_auth = token_auth;
        self
    }

    /// `sasl.mechanism`.
    pub fn mechanism(&self) -> Option<SaslMechanismKind> {
        self.mechanism
    }

    /// `sasl.username`.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `sasl.password`.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// The OAUTHBEARER extensions from the configuration.
    pub fn oauthbearer_extensions(&self) -> &BTreeMap<String, String> {
        &self.oauthbearer_extensions
    }

    /// The OAUTHBEARER token provider.
    pub fn oauthbearer_token_provider(&self) -> Option<&Arc<dyn OAuthBearerTokenProvider>> {
        self.oauthbearer_token_provider.as_ref()
    }

    /// `sasl.kerberos.service.name`.
    pub fn kerberos_service_name(&self) -> &str {
        &self.kerberos_service_name
    }

    /// `sasl.kerberos.principal`.
    pub fn kerberos_principal(&self) -> Option<&str> {
        self.kerberos_principal.as_deref()
    }

    /// Applies one `sasl.*` property; `Ok(false)` when the key is not a SASL key. Keys:
    /// `sasl.mechanism` / `sasl.mechanisms`, `sasl.username`, `sasl.password`,
    /// `sasl.jaas.config`, `sasl.oauthbearer.extensions`, `enable.sasl.oauthbearer.unsecure.jwt`,
    /// `sasl.oauthbearer.config`, `sasl.kerberos.service.name`,
    /// `sasl.kerberos.principal`.
    pub fn set_property(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        match key {
            "sasl.mechanism" | "sasl.mechanisms" => {
                let mechanism = value.parse().map_err(|_| {
                    ConfigError::invalid(
                        key,
                        value,
                        "one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI",
                    )
                })?;
                self.mechanism = Some(mechanism);
            }
            "sasl.username" => self.username = Some(value.to_owned()),
            "sasl.password" => self.password = Some(Secret::new(value)),
            "sasl.jaas.config" => self.apply_jaas_config(value)?,
            "sasl.oauthbearer.extensions" => {
                let mut extensions = BTreeMap::new();
                for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').ok_or_else(|| {
                        ConfigError::invalid(key, value, "comma-separated key=value pairs")
                    })?;
                    oauthbearer::check_extension(k, v).map_err(|_| {
                        ConfigError::invalid(key, value, oauthbearer::EXTENSION_RULE)
                    })?;
                    extensions.insert(k.to_owned(), v.to_owned());
                }
                self.oauthbearer_extensions = extensions;
            }
            "enable.sasl.oauthbearer.unsecure.jwt" => {
                self.oauthbearer_unsecure_jwt = crate::net::security::parse_bool(key, value)?
            }
            "sasl.oauthbearer.config" => {
                self.oauthbearer_config =
                    Some(oauthbearer::UnsecuredJwtProvider::from_config(value)?)
            }
            "sasl.kerberos.service.name" => {
                if value.trim().is_empty() {
                    return Err(ConfigError::invalid(key, value, "a non-empty service name"));
                }
                self.kerberos_service_name = value.trim().to_owned();
            }
            "sasl.kerberos.principal" => self.kerberos_principal = Some(value.to_owned()),
            "sasl.oauthbearer.method" if value.trim().eq_ignore_ascii_case("default") => {}
            "sasl.oauthbearer.method"
            | "sasl.oauthbearer.token.endpoint.url"
            | "sasl.oauthbearer.client.id"
            | "sasl.oauthbearer.client.secret"
            | "sasl.oauthbearer.scope"
            | "sasl.login.callback.handler.class"
            | "sasl.client.callback.handler.class" => {
                return Err(ConfigError::Unsupported {
                    key: key.into(),
                    reason:
                        "fetching OAUTHBEARER tokens (OIDC, callback classes) is not built in; \
                             supply an OAuthBearerTokenProvider with \
                             SaslConfig::with_oauthbearer_token_provider"
                            .into(),
                })
            }
            "sasl.kerberos.keytab"
            | "sasl.kerberos.kinit.cmd"
            | "sasl.kerberos.min.time.before.relogin" => {
                return Err(ConfigError::Unsupported {
                    key: key.into(),
                    reason:
                        "GSSAPI uses the system Kerberos library's ticket cache: run kinit, or \
                             point KRB5_CLIENT_KTNAME at the keytab"
                            .into(),
                })
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks the settings for `protocol` (which uses SASL).
    pub fn validate(&self, protocol: SecurityProtocol) -> Result<(), ConfigError> {
        let Some(mechanism) = self.mechanism else {
            return Err(ConfigError::Missing {
                key: "sasl.mechanism".into(),
                reason: format!(
                    "security.protocol={protocol} needs one of PLAIN, SCRAM-SHA-256, \
                     SCRAM-SHA-512, OAUTHBEARER, GSSAPI"
                ),
            });
        };
        match mechanism {
            SaslMechanismKind::Plain
            | SaslMechanismKind::ScramSha256
            | SaslMechanismKind::ScramSha512 => {
                if self.username.as_deref().is_none_or(str::is_empty) {
                    return Err(ConfigError::Missing {
                        key: "sasl.username".into(),
                        reason: format!("sasl.mechanism={mechanism} needs a user name"),
                    });
                }
                if self.password.is_none() {
                    return Err(ConfigError::Missing {
                        key: "sasl.password".into(),
                        reason: format!("sasl.mechanism={mechanism} needs a password"),
                    });
                }
            }
            SaslMechanismKind::OAuthBearer => {
                if self.oauthbearer_token_provider.is_none()
                    && self.unsecured_jwt_provider().is_none()
                {
                    if self.oauthbearer_unsecure_jwt {
                        return Err(ConfigError::Missing {
                            key: "sasl.oauthbearer.config".into(),
                            reason:
                                "enable.sasl.oauthbearer.unsecure.jwt=true needs principal=<name>"
                                    .into(),
                        });
                    }
                    return Err(ConfigError::Missing {
                        key: "sasl.oauthbearer.token.provider".into(),
                        reason: "sasl.mechanism=OAUTHBEARER needs a token provider \
                                 (SaslConfig::with_oauthbearer_token_provider)"
                            .into(),
                    });
                }
            }
            SaslMechanismKind::Gssapi => {
                if !cfg!(feature = "gssapi") {
                    return Err(ConfigError::Unsupported {
                        key: "sasl.mechanism".into(),
                        reason: "GSSAPI needs the `gssapi` cargo feature (and the system's \
                                 Kerberos GSS-API library)"
                            .into(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The unsecured-JWT provider, when `enable.sasl.oauthbearer.unsecure.jwt=true` and
    /// `sasl.oauthbearer.config` names a principal.
    fn unsecured_jwt_provider(&self) -> Option<Arc<dyn OAuthBearerTokenProvider>> {
        if !self.oauthbearer_unsecure_jwt {
            return None;
        }
        let provider = self.oauthbearer_config.clone()?;
        Some(Arc::new(provider))
    }

    /// Takes `username="..."` and `password="..."` from a Java JAAS line such as
    /// `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`.
    fn apply_jaas_config(&mut self, value: &str) -> Result<(), ConfigError> {
        let module = value.split_whitespace().next().unwrap_or_default();
        let known = [
            "org.apache.kafka.common.security.plain.PlainLoginModule",
            "org.apache.kafka.common.security.scram.ScramLoginModule",
        ];
        if !known.contains(&module) {
            return Err(ConfigError::Unsupported {
                key: "sasl.jaas.config".into(),
                reason: format!(
                    "only {} and {} lines are understood; set sasl.username and sasl.password instead",
                    known[0], known[1]
                ),
            });
        }
        let username = jaas_option(value, "username");
        let password = jaas_option(value, "password");
        match (username, password) {
            (Some(u), Some(p)) => {
                self.username = Some(u);
                self.password = Some(Secret::new(p));
                self.scram_token_auth = module == known[1]
                    && jaas_option(value, "tokenauth")
                        .is_some_and(|t| t.eq_ignore_ascii_case("true"));
                Ok(())
            }
            _ => Err(ConfigError::Missing {
                key: "sasl.jaas.config".into(),
                reason: "the login module line needs username=\"...\" and password=\"...\"".into(),
            }),
        }
    }
}

/// Finds `name="value"` in a JAAS line (values with `\"` escapes are not supported).
fn jaas_option(line: &str, name: &str) -> Option<String> {
    let mut rest = line;
    while let Some(pos) = rest.find(name) {
        let before_ok = rest[..pos]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let after = &rest[pos + name.len()..];
        let after_trimmed = after.trim_start();
        if before_ok {
            if let Some(v) = after_trimmed.strip_prefix('=') {
                let v = v.trim_start();
                if let Some(quoted) = v.strip_prefix('"') {
                    return quoted.find('"').map(|end| quoted[..end].to_owned());
                }
            }
        }
        rest = after;
    }
    None
}

/// What a mechanism wants after reading a server message.
#[derive(PartialEq, Eq)]
pub enum SaslStep {
    /// Send these bytes in the next `SaslAuthenticate` request.
    Respond(Vec<u8>),
    /// Authentication is complete on the client side.
    Done,
}

impl fmt::Debug for SaslStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Client messages can carry passwords (PLAIN) or tokens (OAUTHBEARER).
        match self {
            SaslStep::Respond(bytes) => write!(f, "Respond(<{} bytes>)", bytes.len()),
            SaslStep::Done => f.write_str("Done"),
        }
    }
}

/// A client-side SASL mechanism as a sans-IO state machine.
pub trait SaslMechanism: Send {
    /// The mechanism's name as sent in `SaslHandshake`.
    fn name(&self) -> &str;

    /// The client's first message.
    fn initial_response(&mut self) -> Result<Vec<u8>, SecurityError>;

    /// Reads the server's next message (the `auth_bytes` of a successful
    /// `SaslAuthenticate` response) and says what to send next.
    fn step(&mut self, server_message: &[u8]) -> Result<SaslStep, SecurityError>;

    /// Whether [`step`](Self::step) does enough CPU work (key derivation) that it should run
    /// off the async executor.
    fn step_is_expensive(&self) -> bool {
        false
    }

    /// What the mechanism learned about a failure that the broker's final error message may
    /// not repeat (OAUTHBEARER's JSON error status).
    fn failure_detail(&self) -> Option<String> {
        None
    }
}

/// "Send this request, give me the decoded response": what [`authenticate`] needs from a
/// connection. The raw-socket implementation is
/// [`RequestChannel`](crate::net::transport::RequestChannel); a connection task can implement
/// it over its request queue to re-authenticate (KIP-368).
pub trait SaslRoundTrip: Send {
    /// Sends `request` at `version` and returns the broker's response.
    fn round_trip(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>>;
}

impl<T: SaslRoundTrip + ?Sized> SaslRoundTrip for &mut T {
    fn round_trip(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>> {
        (**self).round_trip(request, version)
    }
}

/// The outcome of a successful authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslSession {
    /// The mechanism used.
    pub mechanism: SaslMechanismKind,
    /// How long the broker lets the session live before it must re-authenticate (KIP-368),
    /// from the last `SaslAuthenticate` response (v1+). `None` when the broker sets no limit
    /// (`connections.max.reauth.ms=0`, the default) or answered with v0.
    ///
    /// Re-authenticate (call [`authenticate`] again on the same connection; safest with no
    /// other request in flight) only when this is `Some`: a broker without a lifetime answers a
    /// second `SaslHandshake` with ILLEGAL_SASL_STATE (checked against Kafka 4.3).
    pub session_lifetime_ms: Option<i64>,
}

impl SaslSession {
    /// When to re-authenticate: between 85% and 95% of the session lifetime, as the Java
    /// client does, so that a fleet of connections does not re-authenticate at once.
    /// `jitter` in `[0, 1]` picks the point (pass a random number; out-of-range values are
    /// clamped). `None` when the session does not expire.
    pub fn reauthenticate_after(&self, jitter: f64) -> Option<Duration> {
        let lifetime = self.session_lifetime_ms.filter(|ms| *ms > 0)?;
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        let fraction = 0.85 + 0.10 * jitter;
        let ms = (lifetime as f64 * fraction) as u64;
        Some(Duration::from_millis(ms))
    }
}

/// Builds the state machine for the configured mechanism. OAUTHBEARER asks the token
/// provider here, so this is async. `broker_host` is needed by GSSAPI only (the service
/// principal is `sasl.kerberos.service.name@broker_host`).
pub async fn mechanism_for(
    cfg: &SaslConfig,
    broker_host: Option<&str>,
) -> Result<Box<dyn SaslMechanism>, SecurityError> {
    let Some(kind) = cfg.mechanism else {
        return Err(ConfigError::Missing {
            key: "sasl.mechanism".into(),
            reason: "a SASL protocol needs a mechanism".into(),
        }
        .into());
    };
    let credentials = || -> Result<(String, Secret), SecurityError> {
        let username = cfg.username.clone().ok_or_else(|| ConfigError::Missing {
            key: "sasl.username".into(),
            reason: format!("sasl.mechanism={kind} needs a user name"),
        })?;
        let password = cfg.password.clone().ok_or_else(|| ConfigError::Missing {
            key: "sasl.password".into(),
            reason: format!("sasl.mechanism={kind} needs a password"),
        })?;
        Ok((username, password))
    };
    Ok(match kind {
        SaslMechanismKind::Plain => {
            let (username, password) = credentials()?;
            Box::new(plain::PlainClient::new(username, password))
        }
        SaslMechanismKind::ScramSha256 | SaslMechanismKind::ScramSha512 => {
            let (username, password) = credentials()?;
            let hash = if kind == SaslMechanismKind::ScramSha256 {
                scram::ScramHash::Sha256
            } else {
                scram::ScramHash::Sha512
            };
            Box::new(
                scram::ScramClient::new(hash, username, password)?
                    .with_token_auth(cfg.scram_token_auth),
            )
        }
        SaslMechanismKind::OAuthBearer => {
            let provider = cfg
                .oauthbearer_token_provider
                .clone()
                .or_else(|| cfg.unsecured_jwt_provider())
                .ok_or_else(|| ConfigError::Missing {
                    key: "sasl.oauthbearer.token.provider".into(),
                    reason: "sasl.mechanism=OAUTHBEARER needs a token provider".into(),
                })?;
            let token = provider.token().await?;
            Box::new(oauthbearer::OAuthBearerClient::new(
                token,
                &cfg.oauthbearer_extensions,
            )?)
        }
        SaslMechanismKind::Gssapi => gssapi::client(cfg, broker_host)?,
    })
}

/// Authenticates a connection: `SaslHandshake` at `handshake_version` (must be 1), then
/// `SaslAuthenticate` exchanges at `authenticate_version` until the mechanism is done.
///
/// The versions are the highest both sides support, from ApiVersions. A broker that only
/// speaks `SaslHandshake` v0 (Kafka before 1.0) expects raw SASL frames, which this client
/// does not implement: that is a [`SecurityError::UnsupportedVersion`].
///
/// Not cancel-safe on a raw connection: dropping the future mid-exchange leaves the
/// connection in an unknown SASL state; close it. Bound the whole call with the connection
/// set-up timeout: [`RequestChannel`](crate::net::transport::RequestChannel) bounds each
/// round trip, but an OAUTHBEARER token provider or a slow KDC is not bounded here.
///
/// GSSAPI needs the broker's host name: use [`authenticate_broker`] for it.
pub async fn authenticate<IO: SaslRoundTrip + ?Sized>(
    io: &mut IO,
    cfg: &SaslConfig,
    handshake_version: i16,
    authenticate_version: i16,
) -> Result<SaslSession, SecurityError> {
    authenticate_broker(io, cfg, None, handshake_version, authenticate_version).await
}

/// [`authenticate`] with the broker's host name, which GSSAPI uses to name the broker's
/// Kerberos service principal (`sasl.kerberos.service.name@host`). Other mechanisms ignore
/// it.
pub async fn authenticate_broker<IO: SaslRoundTrip + ?Sized>(
    io: &mut IO,
    cfg: &SaslConfig,
    broker_host: Option<&str>,
    handshake_version: i16,
    authenticate_version: i16,
) -> Result<SaslSession, SecurityError> {
    if handshake_version < 1 {
        return Err(SecurityError::UnsupportedVersion {
            api: "SaslHandshake",
            required: 1,
            offered: handshake_version,
        });
    }
    let kind = cfg.mechanism.ok_or_else(|| ConfigError::Missing {
        key: "sasl.mechanism".into(),
        reason: "a SASL protocol needs a mechanism".into(),
    })?;
    let mut mechanism = mechanism_for(cfg, broker_host).await?;
    let name = mechanism.name().to_owned();

    let request = SaslHandshakeRequest::default().with_mechanism(name.clone());
    let response = io
        .round_trip(RequestBody::SaslHandshake(request), handshake_version)
        .await?;
    let ResponseBody::SaslHandshake(handshake) = response else {
        return Err(unexpected("SaslHandshake", &response));
    };
    match handshake.error_code {
        0 => {}
        UNSUPPORTED_SASL_MECHANISM => {
            return Err(SecurityError::UnsupportedMechanism {
                mechanism: name,
                enabled: handshake.mechanisms,
            })
        }
        code => {
            return Err(SecurityError::HandshakeFailed {
                mechanism: name,
                error_code: code,
            })
        }
    }

    let (returned, message) = run_mechanism(mechanism, &name, |m| m.initial_response()).await?;
    mechanism = returned;
    let mut message = message?;
    let mut session_lifetime_ms = None;
    loop {
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message));
        let response = io
            .round_trip(RequestBody::SaslAuthenticate(request), authenticate_version)
            .await?;
        let ResponseBody::SaslAuthenticate(response) = response else {
            return Err(unexpected("SaslAuthenticate", &response));
        };
        if response.error_code != 0 {
            let broker_message = response
                .error_message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| describe_error_code(response.error_code));
            let broker_message = match mechanism.failure_detail() {
                Some(detail) if !broker_message.contains(&detail) => {
                    format!("{broker_message} (server status: {detail})")
                }
                _ => broker_message,
            };
            return Err(SecurityError::AuthenticationFailed {
                mechanism: name,
                error_code: response.error_code,
                broker_message,
            });
        }
        session_lifetime_ms = (response.session_lifetime_ms > 0)
            .then_some(response.session_lifetime_ms)
            .or(session_lifetime_ms);
        let auth_bytes = response.auth_bytes;
        let (returned, step) =
            run_mechanism(mechanism, &name, move |m| m.step(&auth_bytes)).await?;
        mechanism = returned;
        let step = step?;
        match step {
            SaslStep::Respond(next) => message = next,
            SaslStep::Done => {
                tracing::debug!(mechanism = %name, ?session_lifetime_ms, "SASL authentication succeeded");
                return Ok(SaslSession {
                    mechanism: kind,
                    session_lifetime_ms,
                });
            }
        }
    }
}

/// Runs one mechanism call, on a blocking thread when the mechanism says it is expensive
/// (SCRAM key derivation, Kerberos ticket requests), so the executor is never stalled.
async fn run_mechanism<T: Send + 'static>(
    mut mechanism: Box<dyn SaslMechanism>,
    name: &str,
    call: impl FnOnce(&mut dyn SaslMechanism) -> Result<T, SecurityError> + Send + 'static,
) -> Result<(Box<dyn SaslMechanism>, Result<T, SecurityError>), SecurityError> {
    if !mechanism.step_is_expensive() {
        let result = call(mechanism.as_mut());
        return Ok((mechanism, result));
    }
    tokio::task::spawn_blocking(move || {
        let result = call(mechanism.as_mut());
        (mechanism, result)
    })
    .await
    .map_err(|e| SecurityError::Mechanism {
        mechanism: name.to_owned(),
        detail: format!("the mechanism's blocking task failed: {e}"),
    })
}

fn unexpected(api: &'static str, response: &ResponseBody) -> SecurityError {
    SecurityError::UnexpectedResponse {
        api,
        detail: format!("got a {} response", response.api_key().name()),
    }
}

fn describe_error_code(code: i16) -> String {
    format!(
        "{} (the broker sent no message)",
        crate::ErrorCode::from_i16(code)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{SaslAuthenticateResponse, SaslHandshakeResponse};
    use std::collections::VecDeque;

    /// Replays canned responses and records the requests.
    struct Scripted {
        responses: VecDeque<ResponseBody>,
        requests: Vec<(RequestBody, i16)>,
    }

    impl SaslRoundTrip for Scripted {
        fn round_trip(
            &mut self,
            request: RequestBody,
            version: i16,
        ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>> {
            self.requests.push((request, version));
            let next = self.responses.pop_front();
            Box::pin(async move {
                next.ok_or(SecurityError::Closed {
                    stage: "test".into(),
                })
            })
        }
    }

    fn plain_config() -> SaslConfig {
        SaslConfig::default()
            .with_mechanism(SaslMechanismKind::Plain)
            .with_username("alice")
            .with_password("pw")
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn plain_success_reports_the_session_lifetime() {
        let mut io = Scripted {
            responses: VecDeque::from([
                ResponseBody::SaslHandshake(
                    SaslHandshakeResponse::default().with_mechanisms(vec!["PLAIN".into()]),
                ),
                ResponseBody::SaslAuthenticate(
                    SaslAuthenticateResponse::default().with_session_lifetime_ms(60_000),
                ),
            ]),
            requests: vec![],
        };
        let session = run(authenticate(&mut io, &plain_config(), 1, 2)).unwrap();
        assert_eq!(session.session_lifetime_ms, Some(60_000));
        assert_eq!(
            session.reauthenticate_after(0.0),
            Some(Duration::from_millis(51_000))
        );
        assert_eq!(
            session.reauthenticate_after(1.0),
            Some(Duration::from_millis(57_000))
        );
        let RequestBody::SaslHandshake(h) = &io.requests[0].0 else {
            panic!()
        };
        assert_eq!(h.mechanism, "PLAIN");
        assert_eq!(io.requests[0].1, 1);
        let RequestBody::SaslAuthenticate(a) = &io.requests[1].0 else {
            panic!()
        };
        assert_eq!(&a.auth_bytes[..], b"\0alice\0pw");
        assert_eq!(io.requests[1].1, 2);
    }

    #[test]
    fn unsupported_mechanism_lists_the_brokers_mechanisms() {
        let mut io = Scripted {
            responses: VecDeque::from([ResponseBody::SaslHandshake(
                SaslHandshakeResponse::default()
                    .with_error_code(UNSUPPORTED_SASL_MECHANISM)
                    .with_mechanisms(vec!["SCRAM-SHA-256".into(), "GSSAPI".into()]),
            )]),
            requests: vec![],
        };
        let err = run(authenticate(&mut io, &plain_config(), 1, 1)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("PLAIN") && text.contains("SCRAM-SHA-256, GSSAPI"),
            "{text}"
        );
    }

    #[test]
    fn broker_rejection_carries_the_broker_message() {
        let mut io = Scripted {
            responses: VecDeque::from([
                ResponseBody::SaslHandshake(SaslHandshakeResponse::default()),
                ResponseBody::SaslAuthenticate(
                    SaslAuthenticateResponse::default()
                        .with_error_code(SASL_AUTHENTICATION_FAILED)
                        .with_error_message(Some("Invalid username or password".into())),
                ),
            ]),
            requests: vec![],
        };
        match run(authenticate(&mut io, &plain_config(), 1, 1)).unwrap_err() {
            SecurityError::AuthenticationFailed {
                mechanism,
                error_code,
                broker_message,
            } => {
                assert_eq!(mechanism, "PLAIN");
                assert_eq!(error_code, 58);
                assert_eq!(broker_message, "Invalid username or password");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejection_without_a_message_names_the_error_code() {
        let mut io = Scripted {
            responses: VecDeque::from([
                ResponseBody::SaslHandshake(SaslHandshakeResponse::default()),
                ResponseBody::SaslAuthenticate(
                    SaslAuthenticateResponse::default().with_error_code(ILLEGAL_SASL_STATE),
                ),
            ]),
            requests: vec![],
        };
        let err = run(authenticate(&mut io, &plain_config(), 1, 1)).unwrap_err();
        assert!(err.to_string().contains("ILLEGAL_SASL_STATE (34)"), "{err}");
        let mut io = Scripted {
            responses: VecDeque::from([ResponseBody::SaslHandshake(
                SaslHandshakeResponse::default().with_error_code(ILLEGAL_SASL_STATE),
            )]),
            requests: vec![],
        };
        let err = run(authenticate(&mut io, &plain_config(), 1, 1)).unwrap_err();
        assert!(err.to_string().contains("ILLEGAL_SASL_STATE"), "{err}");
    }

    #[test]
    fn handshake_v0_is_refused() {
        let mut io = Scripted {
            responses: VecDeque::new(),
            requests: vec![],
        };
        let err = run(authenticate(&mut io, &plain_config(), 0, 0)).unwrap_err();
        assert!(
            matches!(err, SecurityError::UnsupportedVersion { required: 1, .. }),
            "{err:?}"
        );
        assert!(io.requests.is_empty());
    }

    #[test]
    fn jaas_lines_supply_credentials() {
        let mut c = SaslConfig::default();
        c.set_property(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="b0b";"#,
        )
        .unwrap();
        assert_eq!(c.username(), Some("bob"));
        assert_eq!(c.password().map(Secret::expose), Some("b0b"));
        assert!(!c.scram_token_auth);
        c.set_property(
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="tok" password="hmac" tokenauth="true";"#,
        )
        .unwrap();
        assert!(c.scram_token_auth);
        let err = c
            .set_property("sasl.jaas.config", "com.example.Other required;")
            .unwrap_err();
        assert_eq!(err.key(), "sasl.jaas.config");
    }

    #[test]
    fn extensions_and_mechanisms_are_validated() {
        let mut c = SaslConfig::default();
        c.set_property(
            "sasl.oauthbearer.extensions",
            "traceId=abc, logicalCluster=lkc-1",
        )
        .unwrap();
        assert_eq!(c.oauthbearer_extensions().len(), 2);
        assert!(c
            .set_property("sasl.oauthbearer.extensions", "auth=x")
            .is_err());
        assert!(c
            .set_property("sasl.oauthbearer.extensions", "no-pair")
            .is_err());
        let err = c
            .set_property("sasl.oauthbearer.method", "oidc")
            .unwrap_err();
        assert!(
            err.to_string().contains("OAuthBearerTokenProvider"),
            "{err}"
        );
        assert!(c
            .set_property("sasl.oauthbearer.method", "default")
            .unwrap());
        let err = c
            .set_property("sasl.kerberos.keytab", "/etc/k.keytab")
            .unwrap_err();
        assert!(err.to_string().contains("KRB5_CLIENT_KTNAME"), "{err}");
        let err = c.set_property("sasl.mechanism", "DIGEST-MD5").unwrap_err();
        assert!(err.to_string().contains("SCRAM-SHA-512"), "{err}");
    }
}

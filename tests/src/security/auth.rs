//! Per-connection authentication: the state machine of Kafka's `SaslServerAuthenticator`
//! (SaslHandshake v0-1, SaslAuthenticate v0-2 per KIP-152, re-authentication per KIP-368)
//! and the principal a connection acts as.
//!
//! PLAINTEXT and SSL connections are authenticated from the start: `User:ANONYMOUS`, or on
//! SSL with a client certificate `User:<subject DN>` (Kafka's default principal builder
//! with the default `ssl.principal.mapping.rules`). SASL_PLAINTEXT and SASL_SSL connections
//! start unauthenticated and go through:
//!
//! ```text
//! AwaitHandshake --SaslHandshake(enabled mechanism)--> AwaitAuthenticate
//!   --SaslAuthenticate(token)*--> Authenticated("User:<name>")
//! Authenticated --SaslHandshake (only if connections.max.reauth.ms > 0)--> AwaitAuthenticate
//!   (same mechanism, same principal) --> Authenticated (new session expiry)
//! ```
//!
//! Before authentication only one ApiVersions and the SASL requests are allowed; anything
//! else closes the connection without a response, as in Kafka. Out-of-order SASL requests
//! get ILLEGAL_SASL_STATE and close the connection; a failed login gets
//! SASL_AUTHENTICATION_FAILED with Kafka's message and closes it. Where Kafka closes
//! without answering a SASL request (SaslAuthenticate before SaslHandshake, a
//! re-authentication with another mechanism), this module answers with the error first, so
//! tests see why.
//!
//! PLAIN users come from [`SaslConfig::plain_users`]; SCRAM users from the
//! [`ScramStore`].

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};

use super::codes;
use super::oauthbearer::{self, OAuthBearerValidator};
use super::scram_store::{ScramMechanism, ScramStore};
use crate::sasl_server::{verify_plain, SaslServerError, ScramServer, ScramServerStep};

/// Kafka refuses to start re-authentications closer together than this.
const MIN_REAUTH_INTERVAL_MS: i64 = 1000;

/// The principal of unauthenticated PLAINTEXT and SSL connections.
pub const ANONYMOUS: &str = "User:ANONYMOUS";

/// A listener's `security.protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecurityProtocol {
    /// No TLS, no SASL.
    Plaintext,
    /// TLS, optionally with client certificates.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name (`SASL_SSL`).
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Parses Kafka's name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Plaintext,
            Self::Ssl,
            Self::SaslPlaintext,
            Self::SaslSsl,
        ]
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether connections authenticate with SASL.
    pub fn is_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// A SASL mechanism this broker can verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaslMechanism {
    /// PLAIN (RFC 4616), users from [`SaslConfig::plain_users`].
    Plain,
    /// SCRAM-SHA-256 or SCRAM-SHA-512, users from the [`ScramStore`].
    Scram(ScramMechanism),
    /// OAUTHBEARER (RFC 7628, KIP-255): unsecured JWTs checked by
    /// [`SaslConfig::oauthbearer`].
    OAuthBearer,
}

impl SaslMechanism {
    /// Every mechanism this module implements.
    pub const ALL: [SaslMechanism; 4] = [
        SaslMechanism::Plain,
        SaslMechanism::Scram(ScramMechanism::Sha256),
        SaslMechanism::Scram(ScramMechanism::Sha512),
        SaslMechanism::OAuthBearer,
    ];

    /// The mechanisms enabled unless configured otherwise: PLAIN, SCRAM-SHA-256 and
    /// SCRAM-SHA-512 (OAUTHBEARER is enabled explicitly).
    pub const DEFAULT_ENABLED: [SaslMechanism; 3] = [
        SaslMechanism::Plain,
        SaslMechanism::Scram(ScramMechanism::Sha256),
        SaslMechanism::Scram(ScramMechanism::Sha512),
    ];

    /// The SASL name.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::Scram(m) => m.name(),
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The mechanism for a SASL name (exact, as Kafka compares them).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// SASL settings of a listener, named after Kafka's broker properties.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaslConfig {
    /// `sasl.enabled.mechanisms`, in the order SaslHandshake lists them. Default PLAIN,
    /// SCRAM-SHA-256, SCRAM-SHA-512 (Kafka's default is GSSAPI, which this broker lacks);
    /// OAUTHBEARER may be added.
    pub enabled_mechanisms: Vec<SaslMechanism>,
    /// `connections.max.reauth.ms`: the session lifetime SaslAuthenticate v1+ reports and
    /// after which a connection that did not re-authenticate is closed. 0 (the default)
    /// means sessions never expire and re-authentication is refused.
    pub connections_max_reauth_ms: i64,
    /// PLAIN users and passwords, as the `user_<name>="<password>"` options of Kafka's
    /// `PlainLoginModule` JAAS config. Default none.
    pub plain_users: BTreeMap<String, String>,
    /// How OAUTHBEARER tokens are validated: the `unsecuredValidator*` options of the
    /// broker's `OAuthBearerLoginModule` JAAS line. Default: Kafka's defaults.
    pub oauthbearer: OAuthBearerValidator,
}

impl Default for SaslConfig {
    fn default() -> Self {
        Self {
            enabled_mechanisms: SaslMechanism::DEFAULT_ENABLED.to_vec(),
            connections_max_reauth_ms: 0,
            plain_users: BTreeMap::new(),
            oauthbearer: OAuthBearerValidator::default(),
        }
    }
}

/// A rejected SASL setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaslConfigError {
    /// The key is not one [`SaslConfig::set`] knows.
    #[error("unknown SASL config key {key:?}; known keys: sasl.enabled.mechanisms, connections.max.reauth.ms, user_<name>, unsecuredValidatorPrincipalClaimName, unsecuredValidatorScopeClaimName, unsecuredValidatorRequiredScope, unsecuredValidatorAllowableClockSkewMs, sasl.jaas.config, listener.name.<listener>.<mechanism>.sasl.jaas.config")]
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// The value does not parse or is not supported.
    #[error("invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
}

impl SaslConfig {
    /// Builds a config from Kafka-style `key=value` properties, starting from the defaults.
    pub fn from_properties<K: AsRef<str>, V: AsRef<str>>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, SaslConfigError> {
        let mut config = Self::default();
        for (key, value) in properties {
            config.set(key.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// Applies one property: `sasl.enabled.mechanisms` (comma-separated),
    /// `connections.max.reauth.ms`, `user_<name>` (a PLAIN user's password), an
    /// `unsecuredValidator*` option of OAUTHBEARER ([`OAuthBearerValidator::set`]), or a JAAS
    /// line (`sasl.jaas.config`, `listener.name.<listener>.<mechanism>.sasl.jaas.config`):
    /// a `PlainLoginModule` line's `user_<name>="<password>"` options become PLAIN users, an
    /// `OAuthBearerLoginModule` line's `unsecuredValidator*` options configure OAUTHBEARER
    /// validation (other options, such as the broker's own `username`/`password` or
    /// `unsecuredLoginStringClaim_sub`, are ignored).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SaslConfigError> {
        let invalid = |expected| SaslConfigError::InvalidValue {
            key: key.to_owned(),
            value: value.to_owned(),
            expected,
        };
        match key {
            "sasl.enabled.mechanisms" => {
                let mut mechanisms = Vec::new();
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    let mechanism = SaslMechanism::from_name(name).ok_or_else(|| {
                        invalid("a comma-separated list of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER")
                    })?;
                    if !mechanisms.contains(&mechanism) {
                        mechanisms.push(mechanism);
                    }
                }
                if mechanisms.is_empty() {
                    return Err(invalid(
                        "at least one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER",
                    ));
                }
                self.enabled_mechanisms = mechanisms;
            }
            "connections.max.reauth.ms" => {
                self.connections_max_reauth_ms = value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| invalid("a non-negative number of milliseconds"))?;
            }
            _ if key == "sasl.jaas.config" || key.ends_with(".sasl.jaas.config") => {
                const EXPECTED: &str = "a PlainLoginModule or OAuthBearerLoginModule JAAS line, e.g. org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";";
                let (module, options) = parse_jaas(value).ok_or_else(|| invalid(EXPECTED))?;
                match module {
                    "org.apache.kafka.common.security.plain.PlainLoginModule" => {
                        for (name, password) in options {
                            if let Some(user) = name.strip_prefix("user_").filter(|u| !u.is_empty()) {
                                self.plain_users.insert(user.to_owned(), password);
                            }
                        }
                    }
                    "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule" => {
                        for (name, option) in options {
                            self.oauthbearer.set(&name, &option).map_err(|expected| SaslConfigError::InvalidValue {
                                key: format!("{key}: {name}"),
                                value: option.clone(),
                                expected,
                            })?;
                        }
                    }
                    _ => return Err(invalid(EXPECTED)),
                }
            }
            _ if oauthbearer::VALIDATOR_OPTIONS.contains(&key) => {
                self.oauthbearer.set(key, value).map_err(invalid)?;
            }
            _ => match key.strip_prefix("user_") {
                Some(user) if !user.is_empty() => {
                    self.plain_users.insert(user.to_owned(), value.to_owned());
                }
                _ => {
                    return Err(SaslConfigError::UnknownKey {
                        key: key.to_owned(),
                    })
                }
            },
        }
        Ok(())
    }

    /// Adds a PLAIN user.
    pub fn plain_user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.plain_users.insert(user.into(), password.into());
        self
    }

    /// Sets `sasl.enabled.mechanisms`.
    pub fn enabled_mechanisms(
        mut self,
        mechanisms: impl IntoIterator<Item = SaslMechanism>,
    ) -> Self {
        self.enabled_mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// Sets `connections.max.reauth.ms`.
    pub fn connections_max_reauth_ms(mut self, ms: i64) -> Self {
        self.connections_max_reauth_ms = ms.max(0);
        self
    }

    /// Sets how OAUTHBEARER tokens are validated (does not enable the mechanism).
    pub fn oauthbearer(mut self, validator: OAuthBearerValidator) -> Self {
        self.oauthbearer = validator;
        self
    }

    fn mechanism_names(&self) -> Vec<String> {
        self.enabled_mechanisms
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }
}

/// What the actor does with a request, by [`ConnectionAuth::gate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Handle it as usual (the connection is authenticated, or it is the one ApiVersions
    /// allowed before authentication).
    Dispatch,
    /// A SaslHandshake or SaslAuthenticate: answer with [`ConnectionAuth::handshake`] or
    /// [`ConnectionAuth::authenticate`].
    Sasl,
    /// Answer with the handler's error response carrying this code (ILLEGAL_SASL_STATE),
    /// then close the connection.
    ErrorThenClose(i16),
    /// Close the connection without answering (a request before authentication, or after
    /// the session expired).
    Close,
}

/// A SASL response and whether the connection closes once it is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct SaslReply<R> {
    /// The response to send.
    pub response: R,
    /// Close the connection after sending it (failed or out-of-order authentication).
    pub close: bool,
}

enum Phase {
    Authenticated,
    AwaitHandshake {
        api_versions_seen: bool,
    },
    AwaitAuthenticate {
        mechanism: SaslMechanism,
        /// Created at the first token, from the store as it is then.
        scram: Option<Box<ScramServer>>,
        /// The principal being re-authenticated, if this is a re-authentication.
        reauth_of: Option<String>,
        /// OAUTHBEARER: the JSON error status sent as the last challenge; the client's
        /// `\x01` acknowledgement turns it into the failure.
        oauth_error: Option<String>,
    },
    BadReauthMechanism {
        message: String,
    },
    Failed,
}

/// Authentication state of one connection.
pub struct ConnectionAuth {
    protocol: SecurityProtocol,
    phase: Phase,
    principal: String,
    mechanism: Option<SaslMechanism>,
    session_expiry_ms: Option<i64>,
    last_reauth_start_ms: Option<i64>,
    scram_nonce: Option<String>,
    extensions: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectionAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionAuth")
            .field("protocol", &self.protocol)
            .field("authenticated", &self.is_authenticated())
            .field("principal", &self.principal)
            .field("mechanism", &self.mechanism)
            .field("session_expiry_ms", &self.session_expiry_ms)
            .finish_non_exhaustive()
    }
}

impl ConnectionAuth {
    /// The state of a new connection on a listener with `protocol`.
    pub fn new(protocol: SecurityProtocol) -> Self {
        let phase = if protocol.is_sasl() {
            Phase::AwaitHandshake {
                api_versions_seen: false,
            }
        } else {
            Phase::Authenticated
        };
        Self {
            protocol,
            phase,
            principal: ANONYMOUS.to_owned(),
            mechanism: None,
            session_expiry_ms: None,
            last_reauth_start_ms: None,
            scram_nonce: None,
            extensions: BTreeMap::new(),
        }
    }

    /// Uses a fixed SCRAM server nonce suffix instead of a random one (tests with known
    /// vectors).
    pub fn with_scram_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.scram_nonce = Some(nonce.into());
        self
    }

    /// Sets the principal of an SSL connection from the verified client certificate's
    /// subject DN in RFC 2253 form, as Java's `X500Principal.getName()` prints it and Kafka's
    /// default `ssl.principal.mapping.rules` keep it (`CN=alice,OU=eng,O=Example`), giving
    /// `User:CN=alice,OU=eng,O=Example`;
    /// `None` (no client certificate) keeps `User:ANONYMOUS`. Ignored on other protocols:
    /// SASL_SSL principals come from SASL.
    pub fn set_peer_certificate_dn(&mut self, subject_dn: Option<&str>) {
        if self.protocol == SecurityProtocol::Ssl {
            self.principal = match subject_dn {
                Some(dn) if !dn.is_empty() => format!("User:{dn}"),
                _ => ANONYMOUS.to_owned(),
            };
        }
    }

    /// The listener's protocol.
    pub fn protocol(&self) -> SecurityProtocol {
        self.protocol
    }

    /// The principal requests act as (`User:ANONYMOUS` until SASL authentication
    /// completes).
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// Whether requests may be dispatched.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.phase, Phase::Authenticated)
    }

    /// The SASL mechanism the connection authenticated with.
    pub fn mechanism(&self) -> Option<SaslMechanism> {
        self.mechanism
    }

    /// The SASL extensions the session negotiated (OAUTHBEARER's, KIP-342); empty for other
    /// mechanisms.
    pub fn sasl_extensions(&self) -> &BTreeMap<String, String> {
        &self.extensions
    }

    /// When the SASL session expires (ms): `connections.max.reauth.ms` after authentication,
    /// or earlier when the credential (an OAUTHBEARER token) expires first.
    pub fn session_expiry_ms(&self) -> Option<i64> {
        self.session_expiry_ms
    }

    /// Whether the session has expired at `now_ms`; the actor then closes the connection
    /// at the next request other than a re-authenticating SaslHandshake ([`gate`](Self::gate)
    /// does this).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.session_expiry_ms.is_some_and(|expiry| now_ms > expiry)
    }

    /// Decides what happens to a request with `api`, before any handler runs. Call it for
    /// every request, in arrival order.
    pub fn gate(&mut self, api: ApiKey, now_ms: i64) -> Gate {
        let sasl_api = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
        let expired = self.expired(now_ms);
        match &mut self.phase {
            // Kafka's processor tries a re-authenticating SaslHandshake first, then closes
            // expired sessions whatever the request (a late SaslAuthenticate included).
            Phase::Authenticated if api == ApiKey::SaslHandshake => Gate::Sasl,
            Phase::Authenticated if expired => Gate::Close,
            Phase::Authenticated if sasl_api => Gate::Sasl,
            Phase::Authenticated => Gate::Dispatch,
            Phase::AwaitHandshake { api_versions_seen } => match api {
                ApiKey::ApiVersions if !*api_versions_seen => {
                    *api_versions_seen = true;
                    Gate::Dispatch
                }
                _ if sasl_api => Gate::Sasl,
                _ => {
                    self.phase = Phase::Failed;
                    Gate::Close
                }
            },
            Phase::AwaitAuthenticate { .. } | Phase::BadReauthMechanism { .. } if sasl_api => {
                Gate::Sasl
            }
            Phase::AwaitAuthenticate { .. } => {
                self.phase = Phase::Failed;
                Gate::ErrorThenClose(codes::ILLEGAL_SASL_STATE)
            }
            Phase::BadReauthMechanism { .. } | Phase::Failed => {
                self.phase = Phase::Failed;
                Gate::Close
            }
        }
    }

    /// Answers a SaslHandshake (key 17, v0-1). v0 clients send raw SASL tokens next, which
    /// this broker does not parse; v1 clients send SaslAuthenticate. On an authenticated
    /// connection this starts a KIP-368 re-authentication when sessions expire
    /// (`connections.max.reauth.ms` > 0) and the last one started at least a second before
    /// `now_ms`, as in Kafka; otherwise it answers ILLEGAL_SASL_STATE and keeps the
    /// connection.
    pub fn handshake(
        &mut self,
        config: &SaslConfig,
        request: &SaslHandshakeRequest,
        now_ms: i64,
    ) -> SaslReply<SaslHandshakeResponse> {
        let enabled = SaslMechanism::from_name(&request.mechanism)
            .filter(|m| config.enabled_mechanisms.contains(m));
        let mechanisms = config.mechanism_names();
        let reply = |error_code, close| SaslReply {
            response: SaslHandshakeResponse::default()
                .with_error_code(error_code)
                .with_mechanisms(mechanisms.clone()),
            close,
        };
        match &self.phase {
            Phase::AwaitHandshake { .. } => match enabled {
                Some(mechanism) => {
                    self.phase = Phase::AwaitAuthenticate {
                        mechanism,
                        scram: None,
                        reauth_of: None,
                        oauth_error: None,
                    };
                    reply(codes::NONE, false)
                }
                None => {
                    self.phase = Phase::Failed;
                    reply(codes::UNSUPPORTED_SASL_MECHANISM, true)
                }
            },
            Phase::Authenticated
                if self.protocol.is_sasl()
                    && self.session_expiry_ms.is_some()
                    && self.last_reauth_start_ms.is_none_or(|start| {
                        now_ms.saturating_sub(start) >= MIN_REAUTH_INTERVAL_MS
                    }) =>
            {
                // KIP-368 re-authentication.
                self.last_reauth_start_ms = Some(now_ms);
                match enabled {
                    None => {
                        self.phase = Phase::Failed;
                        reply(codes::UNSUPPORTED_SASL_MECHANISM, true)
                    }
                    Some(mechanism) if Some(mechanism) == self.mechanism => {
                        self.phase = Phase::AwaitAuthenticate {
                            mechanism,
                            scram: None,
                            reauth_of: Some(self.principal.clone()),
                            oauth_error: None,
                        };
                        reply(codes::NONE, false)
                    }
                    Some(mechanism) => {
                        let previous = self.mechanism.map_or("none", SaslMechanism::name);
                        self.phase = Phase::BadReauthMechanism {
                            message: format!(
                                "SASL mechanism '{}' requested by client is not supported for re-authentication of mechanism '{previous}'",
                                mechanism.name()
                            ),
                        };
                        reply(codes::NONE, false)
                    }
                }
            }
            // Authenticated without re-authentication (or not a SASL listener): Kafka's
            // request handler answers ILLEGAL_SASL_STATE and keeps the connection; an
            // expired session is closed instead (Kafka closes without answering).
            Phase::Authenticated => SaslReply {
                response: SaslHandshakeResponse::default()
                    .with_error_code(codes::ILLEGAL_SASL_STATE),
                close: self.expired(now_ms),
            },
            Phase::AwaitAuthenticate { .. } | Phase::BadReauthMechanism { .. } | Phase::Failed => {
                self.phase = Phase::Failed;
                reply(codes::ILLEGAL_SASL_STATE, true)
            }
        }
    }

    /// Answers a SaslAuthenticate (key 36, v0-2) with the next step of the mechanism:
    /// a challenge (SCRAM's server-first-message), success (SCRAM's server-final-message,
    /// empty for PLAIN; `session_lifetime_ms` from `connections.max.reauth.ms` for v1+), or
    /// SASL_AUTHENTICATION_FAILED with Kafka's message and a close.
    pub fn authenticate(
        &mut self,
        config: &SaslConfig,
        store: &ScramStore,
        request: &SaslAuthenticateRequest,
        version: i16,
        now_ms: i64,
    ) -> SaslReply<SaslAuthenticateResponse> {
        let phase = std::mem::replace(&mut self.phase, Phase::Failed);
        let (mechanism, mut scram, reauth_of, oauth_error) =
            match phase {
                Phase::AwaitAuthenticate {
                    mechanism,
                    scram,
                    reauth_of,
                    oauth_error,
                } => (mechanism, scram, reauth_of, oauth_error),
                Phase::Authenticated => {
                    self.phase = Phase::Authenticated;
                    return SaslReply {
                        response: failure(
                            codes::ILLEGAL_SASL_STATE,
                            "SaslAuthenticate request received after successful authentication"
                                .to_owned(),
                        ),
                        close: false,
                    };
                }
                Phase::BadReauthMechanism { message } => {
                    return SaslReply {
                        response: failure(codes::SASL_AUTHENTICATION_FAILED, message),
                        close: true,
                    }
                }
                Phase::AwaitHandshake { .. } | Phase::Failed => return SaslReply {
                    response: failure(
                        codes::ILLEGAL_SASL_STATE,
                        "Unexpected Kafka request of type SASL_AUTHENTICATE during SASL handshake."
                            .to_owned(),
                    ),
                    close: true,
                },
            };
        let stage = if reauth_of.is_some() {
            "re-authentication"
        } else {
            "authentication"
        };
        let generic_failure = || {
            format!(
                "Authentication failed during {stage} due to invalid credentials with SASL mechanism {}",
                mechanism.name()
            )
        };
        let token = &request.auth_bytes[..];
        let outcome = match mechanism {
            SaslMechanism::Plain => {
                let users: std::collections::HashMap<String, String> = config
                    .plain_users
                    .iter()
                    .map(|(u, p)| (u.clone(), p.clone()))
                    .collect();
                match verify_plain(token, &users) {
                    Ok(user) => Ok(Verified::new(user, Bytes::new())),
                    Err(SaslServerError::Malformed(m)) => {
                        Err(format!("Invalid SASL/PLAIN response: {m}"))
                    }
                    Err(_) => Err("Authentication failed: Invalid username or password".to_owned()),
                }
            }
            SaslMechanism::Scram(m) => {
                let server = scram.get_or_insert_with(|| {
                    let server = ScramServer::new(m.hash(), store.credentials(m));
                    Box::new(match &self.scram_nonce {
                        Some(nonce) => server.with_server_nonce(nonce.clone()),
                        None => server,
                    })
                });
                match server.step(token) {
                    Ok(ScramServerStep::Challenge(challenge)) => {
                        self.phase = Phase::AwaitAuthenticate {
                            mechanism,
                            scram,
                            reauth_of,
                            oauth_error: None,
                        };
                        return SaslReply {
                            response: SaslAuthenticateResponse::default()
                                .with_error_message(None)
                                .with_auth_bytes(Bytes::from(challenge)),
                            close: false,
                        };
                    }
                    Ok(ScramServerStep::Success {
                        server_final,
                        username,
                    }) => Ok(Verified::new(username, Bytes::from(server_final))),
                    Err(_) => Err(generic_failure()),
                }
            }
            SaslMechanism::OAuthBearer => {
                if let Some(json) = oauth_error.filter(|_| token == [0x01]) {
                    // The client acknowledged our error status: fail with it.
                    return SaslReply {
                        response: failure(codes::SASL_AUTHENTICATION_FAILED, json),
                        close: true,
                    };
                }
                match oauthbearer::parse_initial_response(token) {
                    // Kafka hides the parser's reason behind the generic message.
                    Err(_) => Err(generic_failure()),
                    Ok(message) => match config.oauthbearer.validate(&message.token, now_ms) {
                        Err(refused) => {
                            let json = refused.json();
                            tracing::debug!(error = %refused, "OAUTHBEARER token refused");
                            self.phase = Phase::AwaitAuthenticate {
                                mechanism,
                                scram,
                                reauth_of,
                                oauth_error: Some(json.clone()),
                            };
                            return SaslReply {
                                response: SaslAuthenticateResponse::default()
                                    .with_error_message(None)
                                    .with_auth_bytes(Bytes::from(json)),
                                close: false,
                            };
                        }
                        Ok(valid)
                            if !message.authorization_id.is_empty()
                                && message.authorization_id != valid.principal =>
                        {
                            Err(format!(
                                "Authentication failed: Client requested an authorization id ({}) that is different from the token's principal name ({})",
                                message.authorization_id, valid.principal
                            ))
                        }
                        Ok(valid) => Ok(Verified {
                            user: valid.principal,
                            final_bytes: Bytes::new(),
                            credential_expiry_ms: Some(valid.lifetime_ms),
                            extensions: message.extensions,
                        }),
                    },
                }
            }
        };
        let Verified { user, final_bytes, credential_expiry_ms, extensions } = match outcome {
            Ok(done) => done,
            Err(message) => {
                return SaslReply {
                    response: failure(codes::SASL_AUTHENTICATION_FAILED, message),
                    close: true,
                }
            }
        };
        let principal = format!("User:{user}");
        if let Some(previous) = reauth_of {
            if previous != principal {
                let show = |p: &str| p.replacen(':', ".", 1);
                return SaslReply {
                    response: failure(
                        codes::SASL_AUTHENTICATION_FAILED,
                        format!(
                            "Cannot change principals during re-authentication from {}: {}",
                            show(&previous),
                            show(&principal)
                        ),
                    ),
                    close: true,
                };
            }
        }
        // Kafka's session lifetime: connections.max.reauth.ms, cut short by the credential's
        // own expiry (OAUTHBEARER tokens), never negative; no expiry if neither is set.
        let max_reauth = Some(config.connections_max_reauth_ms).filter(|ms| *ms > 0);
        let credential_left = credential_expiry_ms.map(|exp| exp.saturating_sub(now_ms));
        let lifetime = match (credential_left, max_reauth) {
            (None, None) => None,
            (Some(left), None) => Some(left.max(0)),
            (None, Some(max)) => Some(max),
            (Some(left), Some(max)) => Some(left.min(max).max(0)),
        };
        self.session_expiry_ms = lifetime.map(|ms| now_ms.saturating_add(ms));
        self.principal = principal;
        self.mechanism = Some(mechanism);
        self.extensions = extensions;
        self.phase = Phase::Authenticated;
        SaslReply {
            response: SaslAuthenticateResponse::default()
                .with_error_message(None)
                .with_auth_bytes(final_bytes)
                .with_session_lifetime_ms(if version >= 1 { lifetime.unwrap_or(0) } else { 0 }),
            close: false,
        }
    }
}

/// A one-module JAAS line: the login module's class name and its `name="value"` options;
/// `None` if malformed (no control flag, unbalanced quotes, no terminating `;`).
fn parse_jaas(line: &str) -> Option<(&str, Vec<(String, String)>)> {
    let line = line.trim();
    let module = line.split_whitespace().next()?;
    let rest = line[module.len()..].trim_start();
    let flag = rest.split_whitespace().next()?;
    if !["required", "requisite", "sufficient", "optional"].contains(&flag) {
        return None;
    }
    let mut rest = rest[flag.len()..].trim_start();
    let mut options = Vec::new();
    while !rest.starts_with(';') {
        let (name, after) = rest.split_once('=')?;
        let after = after.strip_prefix('"')?;
        let (value, after) = after.split_once('"')?;
        options.push((name.trim().to_owned(), value.to_owned()));
        rest = after.trim_start();
    }
    rest[1..].trim().is_empty().then_some((module, options))
}

/// A successful login, before the re-authentication checks.
struct Verified {
    user: String,
    final_bytes: Bytes,
    /// When the credential expires (ms), if it does (OAUTHBEARER's `exp`).
    credential_expiry_ms: Option<i64>,
    extensions: BTreeMap<String, String>,
}

impl Verified {
    fn new(user: String, final_bytes: Bytes) -> Self {
        Self { user, final_bytes, credential_expiry_ms: None, extensions: BTreeMap::new() }
    }
}

fn failure(code: i16, message: String) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse::default()
        .with_error_code(code)
        .with_error_message(Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::test_client::ScramClient;

    const SALT: &[u8] = b"NaCl";

    fn config() -> SaslConfig {
        SaslConfig::default()
            .plain_user("alice", "alice-pw")
            .plain_user("bob", "bob-pw")
    }

    fn store() -> ScramStore {
        let mut store = ScramStore::new();
        store
            .upsert_password("carol", ScramMechanism::Sha256, "carol-pw", SALT, 4096)
            .unwrap();
        store
            .upsert_password("dave", ScramMechanism::Sha256, "dave-pw", SALT, 4096)
            .unwrap();
        store
    }

    fn handshake(
        auth: &mut ConnectionAuth,
        config: &SaslConfig,
        mechanism: &str,
    ) -> SaslReply<SaslHandshakeResponse> {
        handshake_at(auth, config, mechanism, 0)
    }

    fn handshake_at(
        auth: &mut ConnectionAuth,
        config: &SaslConfig,
        mechanism: &str,
        now: i64,
    ) -> SaslReply<SaslHandshakeResponse> {
        assert_eq!(auth.gate(ApiKey::SaslHandshake, now), Gate::Sasl);
        let request = SaslHandshakeRequest::default().with_mechanism(mechanism.into());
        auth.handshake(config, &request, now)
    }

    fn token(
        auth: &mut ConnectionAuth,
        config: &SaslConfig,
        store: &ScramStore,
        bytes: &[u8],
        now: i64,
    ) -> SaslReply<SaslAuthenticateResponse> {
        let request =
            SaslAuthenticateRequest::default().with_auth_bytes(Bytes::copy_from_slice(bytes));
        auth.authenticate(config, store, &request, 2, now)
    }

    fn plain_login(
        auth: &mut ConnectionAuth,
        config: &SaslConfig,
        user: &str,
        password: &str,
        now: i64,
    ) -> SaslReply<SaslAuthenticateResponse> {
        let reply = handshake_at(auth, config, "PLAIN", now);
        assert_eq!(reply.response.error_code, 0);
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, now), Gate::Sasl);
        token(
            auth,
            config,
            &ScramStore::new(),
            format!("\0{user}\0{password}").as_bytes(),
            now,
        )
    }

    fn scram_login(
        auth: &mut ConnectionAuth,
        config: &SaslConfig,
        store: &ScramStore,
        user: &str,
        password: &str,
        now: i64,
    ) -> SaslReply<SaslAuthenticateResponse> {
        assert_eq!(
            handshake_at(auth, config, "SCRAM-SHA-256", now)
                .response
                .error_code,
            0
        );
        let mut client = ScramClient::new(ScramMechanism::Sha256, user, password);
        let first = token(auth, config, store, &client.first(), now);
        assert_eq!(
            first.response.error_code, 0,
            "{:?}",
            first.response.error_message
        );
        assert!(!first.close);
        assert!(!auth.is_authenticated());
        let last = token(
            auth,
            config,
            store,
            &client.final_message(&first.response.auth_bytes),
            now,
        );
        if last.response.error_code == 0 {
            assert!(
                client.verify_server(&last.response.auth_bytes),
                "server-final must verify"
            );
        }
        last
    }

    #[test]
    fn plaintext_and_ssl_principals() {
        let mut auth = ConnectionAuth::new(SecurityProtocol::Plaintext);
        assert!(auth.is_authenticated());
        assert_eq!(auth.principal(), ANONYMOUS);
        assert_eq!(auth.gate(ApiKey::Metadata, 0), Gate::Dispatch);
        // SASL requests on a non-SASL listener: ILLEGAL_SASL_STATE, connection kept.
        let reply = handshake(&mut auth, &config(), "PLAIN");
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, false)
        );
        auth.set_peer_certificate_dn(Some("CN=ignored"));
        assert_eq!(auth.principal(), ANONYMOUS);

        let mut tls = ConnectionAuth::new(SecurityProtocol::Ssl);
        assert_eq!(tls.principal(), ANONYMOUS);
        tls.set_peer_certificate_dn(Some("CN=alice,OU=eng,O=Example,C=SE"));
        assert_eq!(tls.principal(), "User:CN=alice,OU=eng,O=Example,C=SE");
        tls.set_peer_certificate_dn(None);
        assert_eq!(tls.principal(), ANONYMOUS);
        assert_eq!(
            SecurityProtocol::from_name("sasl_ssl"),
            Some(SecurityProtocol::SaslSsl)
        );
    }

    #[test]
    fn only_api_versions_and_sasl_before_authentication() {
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert!(!auth.is_authenticated());
        assert_eq!(auth.gate(ApiKey::ApiVersions, 0), Gate::Dispatch);
        // A second ApiVersions is refused, as Kafka does.
        assert_eq!(auth.gate(ApiKey::ApiVersions, 0), Gate::Close);
        assert_eq!(
            auth.gate(ApiKey::SaslHandshake, 0),
            Gate::Close,
            "a closed connection stays closed"
        );

        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslSsl);
        assert_eq!(auth.gate(ApiKey::Metadata, 0), Gate::Close);

        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslSsl);
        assert_eq!(auth.gate(ApiKey::Produce, 0), Gate::Close);
    }

    #[test]
    fn plain_happy_path() {
        let config = config();
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(auth.gate(ApiKey::ApiVersions, 0), Gate::Dispatch);
        let reply = handshake(&mut auth, &config, "PLAIN");
        assert_eq!(
            reply.response.mechanisms,
            ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
        );
        assert!(!reply.close);
        let request = SaslAuthenticateRequest::default()
            .with_auth_bytes(Bytes::from_static(b"\0alice\0alice-pw"));
        let reply = auth.authenticate(&config, &ScramStore::new(), &request, 1, 10);
        assert_eq!(reply.response.error_code, 0);
        assert_eq!(reply.response.error_message, None);
        assert!(reply.response.auth_bytes.is_empty());
        assert_eq!(reply.response.session_lifetime_ms, 0);
        assert!(!reply.close);
        assert!(auth.is_authenticated());
        assert_eq!(auth.principal(), "User:alice");
        assert_eq!(auth.mechanism(), Some(SaslMechanism::Plain));
        assert_eq!(
            auth.gate(ApiKey::Metadata, 1_000_000_000),
            Gate::Dispatch,
            "no reauth: never expires"
        );
        assert!(!auth.expired(i64::MAX));
        // A second SaslAuthenticate after success: ILLEGAL_SASL_STATE, connection kept.
        let reply = token(
            &mut auth,
            &config,
            &ScramStore::new(),
            b"\0alice\0alice-pw",
            20,
        );
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, false)
        );
        assert!(auth.is_authenticated());
    }

    #[test]
    fn plain_bad_password_and_unknown_user() {
        let config = config();
        for (user, password) in [("alice", "wrong"), ("mallory", "x")] {
            let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
            let reply = plain_login(&mut auth, &config, user, password, 0);
            assert_eq!(reply.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
            assert_eq!(
                reply.response.error_message.as_deref(),
                Some("Authentication failed: Invalid username or password")
            );
            assert!(reply.close);
            assert!(!auth.is_authenticated());
            assert_eq!(auth.principal(), ANONYMOUS);
            assert_eq!(auth.gate(ApiKey::Metadata, 0), Gate::Close);
        }
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "PLAIN");
        let reply = token(&mut auth, &config, &ScramStore::new(), b"no-separators", 0);
        assert_eq!(reply.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
        assert!(reply
            .response
            .error_message
            .unwrap()
            .starts_with("Invalid SASL/PLAIN response"));
    }

    #[test]
    fn unsupported_mechanism_lists_enabled_ones_and_closes() {
        let config = config().enabled_mechanisms([SaslMechanism::Scram(ScramMechanism::Sha512)]);
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslSsl);
        for name in ["PLAIN", "GSSAPI", "scram-sha-512"] {
            let mut auth = ConnectionAuth::new(SecurityProtocol::SaslSsl);
            let reply = handshake(&mut auth, &config, name);
            assert_eq!(
                reply.response.error_code,
                codes::UNSUPPORTED_SASL_MECHANISM,
                "{name}"
            );
            assert_eq!(reply.response.mechanisms, ["SCRAM-SHA-512"]);
            assert!(reply.close);
        }
        assert_eq!(
            handshake(&mut auth, &config, "SCRAM-SHA-512")
                .response
                .error_code,
            0
        );
    }

    #[test]
    fn out_of_order_sasl_requests() {
        let config = config();
        // SaslAuthenticate before SaslHandshake.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, 0), Gate::Sasl);
        let reply = token(
            &mut auth,
            &config,
            &ScramStore::new(),
            b"\0alice\0alice-pw",
            0,
        );
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, true)
        );
        assert!(!auth.is_authenticated());
        // Another request between SaslHandshake and SaslAuthenticate.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "PLAIN");
        assert_eq!(
            auth.gate(ApiKey::Metadata, 0),
            Gate::ErrorThenClose(codes::ILLEGAL_SASL_STATE)
        );
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, 0), Gate::Close);
        // A second SaslHandshake.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "PLAIN");
        let reply = handshake(&mut auth, &config, "PLAIN");
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, true)
        );
    }

    #[test]
    fn scram_login_against_the_store() {
        let config = config();
        let store = store();
        let mut auth =
            ConnectionAuth::new(SecurityProtocol::SaslSsl).with_scram_nonce("server-part");
        let reply = scram_login(&mut auth, &config, &store, "carol", "carol-pw", 5);
        assert_eq!(reply.response.error_code, 0);
        assert!(!reply.close);
        assert_eq!(auth.principal(), "User:carol");
        assert_eq!(
            auth.mechanism(),
            Some(SaslMechanism::Scram(ScramMechanism::Sha256))
        );

        for (user, password) in [("carol", "nope"), ("nobody", "x")] {
            let mut auth = ConnectionAuth::new(SecurityProtocol::SaslSsl);
            assert_eq!(
                handshake(&mut auth, &config, "SCRAM-SHA-256")
                    .response
                    .error_code,
                0
            );
            let mut client = ScramClient::new(ScramMechanism::Sha256, user, password);
            let first = token(&mut auth, &config, &store, &client.first(), 0);
            let reply = if first.response.error_code == 0 {
                token(
                    &mut auth,
                    &config,
                    &store,
                    &client.final_message(&first.response.auth_bytes),
                    0,
                )
            } else {
                first
            };
            assert_eq!(
                reply.response.error_code,
                codes::SASL_AUTHENTICATION_FAILED,
                "{user}"
            );
            assert_eq!(
                reply.response.error_message.as_deref(),
                Some("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"),
            );
            assert!(reply.close);
            assert!(!auth.is_authenticated());
        }
    }

    #[test]
    fn reauthentication_extends_the_session() {
        let config = config().connections_max_reauth_ms(60_000);
        let store = store();
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        let reply = scram_login(&mut auth, &config, &store, "carol", "carol-pw", 1_000);
        assert_eq!(reply.response.session_lifetime_ms, 60_000);
        assert_eq!(auth.session_expiry_ms(), Some(61_000));
        assert_eq!(auth.gate(ApiKey::Fetch, 61_000), Gate::Dispatch);
        assert!(!auth.expired(61_000));
        assert!(auth.expired(61_001));

        // Re-authenticate at 50 s: same mechanism, same user.
        let reply = scram_login(&mut auth, &config, &store, "carol", "carol-pw", 50_000);
        assert_eq!(reply.response.error_code, 0);
        assert_eq!(auth.session_expiry_ms(), Some(110_000));
        assert_eq!(auth.gate(ApiKey::Fetch, 100_000), Gate::Dispatch);
        assert_eq!(auth.principal(), "User:carol");

        // After expiry only a re-authenticating SaslHandshake gets through.
        assert_eq!(auth.gate(ApiKey::SaslHandshake, 120_000), Gate::Sasl);
        assert_eq!(auth.gate(ApiKey::Fetch, 120_000), Gate::Close);
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, 120_000), Gate::Close);
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, 100_000), Gate::Sasl);
    }

    #[test]
    fn expired_session_is_closed_by_the_gate() {
        let config = config().connections_max_reauth_ms(1_000);
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        // SaslAuthenticate v0 cannot carry the lifetime, but the session still expires.
        handshake(&mut auth, &config, "PLAIN");
        let request = SaslAuthenticateRequest::default()
            .with_auth_bytes(Bytes::from_static(b"\0bob\0bob-pw"));
        let reply = auth.authenticate(&config, &ScramStore::new(), &request, 0, 0);
        assert_eq!(
            (
                reply.response.error_code,
                reply.response.session_lifetime_ms
            ),
            (0, 0)
        );
        assert_eq!(auth.gate(ApiKey::Produce, 1_000), Gate::Dispatch);
        assert_eq!(auth.gate(ApiKey::Produce, 1_001), Gate::Close);
    }

    #[test]
    fn reauthentication_must_keep_principal_and_mechanism() {
        let config = config().connections_max_reauth_ms(60_000);
        let store = store();
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            scram_login(&mut auth, &config, &store, "carol", "carol-pw", 0)
                .response
                .error_code,
            0
        );
        let reply = scram_login(&mut auth, &config, &store, "dave", "dave-pw", 10);
        assert_eq!(reply.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
        assert_eq!(
            reply.response.error_message.as_deref(),
            Some("Cannot change principals during re-authentication from User.carol: User.dave")
        );
        assert!(reply.close);
        assert_eq!(auth.gate(ApiKey::Fetch, 20), Gate::Close);

        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            scram_login(&mut auth, &config, &store, "carol", "carol-pw", 0)
                .response
                .error_code,
            0
        );
        let reply = handshake(&mut auth, &config, "PLAIN");
        assert_eq!(
            reply.response.error_code, 0,
            "Kafka accepts the handshake and fails the next step"
        );
        assert_eq!(auth.gate(ApiKey::SaslAuthenticate, 5), Gate::Sasl);
        let reply = token(&mut auth, &config, &store, b"\0carol\0carol-pw", 5);
        assert_eq!(reply.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
        assert!(reply
            .response
            .error_message
            .unwrap()
            .contains("not supported for re-authentication of mechanism 'SCRAM-SHA-256'"));
        assert!(reply.close);

        // A wrong password during re-authentication says so.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            plain_login(&mut auth, &config, "alice", "alice-pw", 0)
                .response
                .error_code,
            0
        );
        assert_eq!(
            plain_login(&mut auth, &config, "alice", "alice-pw", 1)
                .response
                .error_code,
            0
        );
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            scram_login(&mut auth, &config, &store, "carol", "carol-pw", 0)
                .response
                .error_code,
            0
        );
        handshake(&mut auth, &config, "SCRAM-SHA-256");
        let mut client = ScramClient::new(ScramMechanism::Sha256, "carol", "bad");
        let first = token(&mut auth, &config, &store, &client.first(), 1);
        let reply = token(
            &mut auth,
            &config,
            &store,
            &client.final_message(&first.response.auth_bytes),
            1,
        );
        assert!(reply
            .response
            .error_message
            .unwrap()
            .contains("during re-authentication"));
    }

    #[test]
    fn reauthentication_at_most_once_a_second() {
        let config = config().connections_max_reauth_ms(60_000);
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            plain_login(&mut auth, &config, "bob", "bob-pw", 0)
                .response
                .error_code,
            0
        );
        assert_eq!(
            plain_login(&mut auth, &config, "bob", "bob-pw", 10_000)
                .response
                .error_code,
            0
        );
        // 999 ms after the last re-authentication started: refused, connection kept.
        let reply = handshake_at(&mut auth, &config, "PLAIN", 10_999);
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, false)
        );
        assert!(auth.is_authenticated());
        assert_eq!(
            plain_login(&mut auth, &config, "bob", "bob-pw", 11_000)
                .response
                .error_code,
            0
        );
        assert_eq!(auth.session_expiry_ms(), Some(71_000));
    }

    #[test]
    fn reauthentication_refused_without_max_reauth() {
        let config = config();
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(
            plain_login(&mut auth, &config, "alice", "alice-pw", 0)
                .response
                .error_code,
            0
        );
        let reply = handshake(&mut auth, &config, "PLAIN");
        assert_eq!(
            (reply.response.error_code, reply.close),
            (codes::ILLEGAL_SASL_STATE, false)
        );
        assert!(auth.is_authenticated());
        assert_eq!(auth.gate(ApiKey::Metadata, 1), Gate::Dispatch);
    }

    fn jwt(sub: &str, exp_s: i64, scope: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let claims = format!(r#"{{"sub":"{sub}","exp":{exp_s},"scope":{scope}}}"#);
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(claims))
    }

    fn bearer(token: &str, extensions: &str) -> Vec<u8> {
        format!("n,,\x01auth=Bearer {token}\x01{extensions}\x01").into_bytes()
    }

    fn oauth_config() -> SaslConfig {
        config()
            .enabled_mechanisms([SaslMechanism::Plain, SaslMechanism::OAuthBearer])
            .oauthbearer(OAuthBearerValidator::new().required_scope(["kafka"]))
    }

    #[test]
    fn oauthbearer_login_sets_principal_extensions_and_token_lifetime() {
        let config = oauth_config();
        let store = ScramStore::new();
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(handshake(&mut auth, &config, "OAUTHBEARER").response.error_code, 0);
        // Token valid for 30 s from now (now = 1000 s).
        let token = jwt("alice", 1_030, r#"["kafka"]"#);
        let reply = self::token(&mut auth, &config, &store, &bearer(&token, "traceId=t-1\x01"), 1_000_000);
        assert_eq!((reply.response.error_code, reply.close), (0, false));
        assert_eq!(reply.response.session_lifetime_ms, 30_000, "no max reauth: the token's life");
        assert_eq!(auth.principal(), "User:alice");
        assert_eq!(auth.mechanism(), Some(SaslMechanism::OAuthBearer));
        assert_eq!(auth.sasl_extensions().get("traceId").map(String::as_str), Some("t-1"));
        assert_eq!(auth.session_expiry_ms(), Some(1_030_000));

        // connections.max.reauth.ms shorter than the token wins; re-auth keeps the principal.
        let config = oauth_config().connections_max_reauth_ms(10_000);
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "OAUTHBEARER");
        let reply = self::token(&mut auth, &config, &store, &bearer(&token, ""), 1_000_000);
        assert_eq!(reply.response.session_lifetime_ms, 10_000);
        handshake_at(&mut auth, &config, "OAUTHBEARER", 1_005_000);
        let other = jwt("mallory", 1_100, r#"["kafka"]"#);
        let reply = self::token(&mut auth, &config, &store, &bearer(&other, ""), 1_005_000);
        assert_eq!(reply.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
        assert_eq!(
            reply.response.error_message.as_deref(),
            Some("Cannot change principals during re-authentication from User.alice: User.mallory")
        );
        assert!(reply.close);
    }

    #[test]
    fn oauthbearer_refusal_is_a_json_challenge_then_a_failure() {
        let config = oauth_config();
        let store = ScramStore::new();
        for (token, status) in [
            (jwt("alice", 999, r#"["kafka"]"#), r#"{"status":"invalid_token"}"#),
            (jwt("alice", 2_000, r#"["other"]"#), r#"{"status":"insufficient_scope", "scope":"[kafka]"}"#),
        ] {
            let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
            handshake(&mut auth, &config, "OAUTHBEARER");
            let challenge = self::token(&mut auth, &config, &store, &bearer(&token, ""), 1_000_000);
            assert_eq!((challenge.response.error_code, challenge.close), (0, false));
            assert_eq!(&challenge.response.auth_bytes[..], status.as_bytes());
            assert!(!auth.is_authenticated());
            let done = self::token(&mut auth, &config, &store, b"\x01", 1_000_000);
            assert_eq!(done.response.error_code, codes::SASL_AUTHENTICATION_FAILED);
            assert_eq!(done.response.error_message.as_deref(), Some(status));
            assert!(done.close);
            assert_eq!(auth.gate(ApiKey::Metadata, 1_000_000), Gate::Close);
        }
        // A malformed message fails at once with the generic message.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "OAUTHBEARER");
        let reply = self::token(&mut auth, &config, &store, b"n,,auth=Bearer x", 0);
        assert_eq!(
            reply.response.error_message.as_deref(),
            Some("Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER")
        );
        assert!(reply.close);
        // An authorization id other than the token's principal.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        handshake(&mut auth, &config, "OAUTHBEARER");
        let message = format!("n,a=bob,\x01auth=Bearer {}\x01\x01", jwt("alice", 2_000, r#"["kafka"]"#));
        let reply = self::token(&mut auth, &config, &store, message.as_bytes(), 1_000_000);
        assert!(reply.response.error_message.unwrap().contains("authorization id (bob)"));
        // Not enabled: UNSUPPORTED_SASL_MECHANISM.
        let mut auth = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
        assert_eq!(handshake(&mut auth, &self::config(), "OAUTHBEARER").response.error_code, codes::UNSUPPORTED_SASL_MECHANISM);
    }

    #[test]
    fn oauthbearer_options_from_jaas() {
        let jaas = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin" unsecuredValidatorRequiredScope="a b" unsecuredValidatorAllowableClockSkewMs="3000";"#;
        let config = SaslConfig::from_properties([
            ("sasl.enabled.mechanisms", "OAUTHBEARER"),
            ("listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config", jaas),
            ("unsecuredValidatorPrincipalClaimName", "client_id"),
        ])
        .unwrap();
        assert_eq!(config.enabled_mechanisms, [SaslMechanism::OAuthBearer]);
        assert_eq!(config.oauthbearer.required_scope, ["a", "b"]);
        assert_eq!(config.oauthbearer.allowable_clock_skew_ms, 3000);
        assert_eq!(config.oauthbearer.principal_claim_name, "client_id");
        let bad = r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorAllowableClockSkewMs="soon";"#;
        assert!(SaslConfig::from_properties([("sasl.jaas.config", bad)]).is_err());
    }

    #[test]
    fn config_from_properties() {
        let config = SaslConfig::from_properties([
            ("sasl.enabled.mechanisms", "SCRAM-SHA-512, PLAIN"),
            ("connections.max.reauth.ms", "30000"),
            ("user_admin", "admin-secret"),
        ])
        .unwrap();
        assert_eq!(
            config.enabled_mechanisms,
            [
                SaslMechanism::Scram(ScramMechanism::Sha512),
                SaslMechanism::Plain
            ]
        );
        assert_eq!(config.connections_max_reauth_ms, 30_000);
        assert_eq!(
            config.plain_users.get("admin").map(String::as_str),
            Some("admin-secret")
        );
        assert!(SaslConfig::from_properties([("sasl.enabled.mechanisms", "GSSAPI")]).is_err());
        assert!(SaslConfig::from_properties([("sasl.enabled.mechanisms", "")]).is_err());
        assert!(SaslConfig::from_properties([("connections.max.reauth.ms", "-1")]).is_err());
        let err =
            SaslConfig::from_properties([("sasl.kerberos.service.name", "kafka")]).unwrap_err();
        assert!(matches!(err, SaslConfigError::UnknownKey { .. }));
        assert!(SaslConfig::from_properties([("user_", "x")]).is_err());

        let jaas = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a;b c";"#;
        let config = SaslConfig::from_properties([(
            "listener.name.sasl_plaintext.plain.sasl.jaas.config",
            jaas,
        )])
        .unwrap();
        let users: Vec<(&str, &str)> = config
            .plain_users
            .iter()
            .map(|(u, p)| (u.as_str(), p.as_str()))
            .collect();
        assert_eq!(users, [("admin", "admin-secret"), ("alice", "a;b c")]);
        for bad in [
            r#"org.apache.kafka.common.security.scram.ScramLoginModule required user_a="b";"#,
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b""#,
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b;"#,
            r#"org.apache.kafka.common.security.plain.PlainLoginModule whatever user_a="b";"#,
        ] {
            assert!(
                SaslConfig::from_properties([("sasl.jaas.config", bad)]).is_err(),
                "{bad}"
            );
        }
    }
}

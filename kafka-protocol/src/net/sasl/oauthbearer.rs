//! SASL OAUTHBEARER (RFC 7628 as Kafka uses it; KIP-255, extensions KIP-342).
//!
//! The client sends one message, `n,,` then `\x01auth=Bearer <token>\x01`, then each
//! extension as `key=value\x01`, then a final `\x01`. On success the broker answers with
//! empty bytes. On failure it first answers with a JSON error status (`{"status":
//! "invalid_token"}`); the client must acknowledge with a lone `\x01`, after which the broker
//! fails the exchange. The JSON is kept and reported in the error.
//!
//! Tokens come from a user-supplied [`OAuthBearerTokenProvider`], asked at every
//! authentication (including KIP-368 re-authentication), so it can refresh them.

use std::collections::BTreeMap;
use std::fmt;

use futures::future::BoxFuture;

use crate::net::sasl::{SaslMechanism, SaslStep};
use crate::net::security::{ConfigError, Secret, SecurityError};

const SEPARATOR: u8 = 0x01;

pub(crate) const EXTENSION_RULE: &str =
    "key=value pairs with letter-only keys other than `auth` and printable ASCII values";

/// A bearer token and what is known about it.
#[derive(Clone)]
pub struct OAuthBearerToken {
    /// The token itself (usually a JWT). Never logged.
    pub value: Secret,
    /// When the token expires, in milliseconds since the Unix epoch.
    pub lifetime_ms: i64,
    /// The principal the token names.
    pub principal: String,
    /// Extensions to send with this token, added to (and overriding) the configured ones.
    pub extensions: BTreeMap<String, String>,
}

impl OAuthBearerToken {
    /// A token with no extensions.
    pub fn new(value: impl Into<Secret>, lifetime_ms: i64, principal: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            lifetime_ms,
            principal: principal.into(),
            extensions: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for OAuthBearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearerToken")
            .field("value", &self.value)
            .field("lifetime_ms", &self.lifetime_ms)
            .field("principal", &self.principal)
            .field("extensions", &self.extensions)
            .finish()
    }
}

/// A source of OAUTHBEARER tokens (for example a client-credentials flow against an
/// identity provider). Called at every authentication; cache and refresh inside.
///
/// Return [`SecurityError::token_provider`] on failure.
pub trait OAuthBearerTokenProvider: Send + Sync {
    /// A currently valid token.
    fn token(&self) -> BoxFuture<'_, Result<OAuthBearerToken, SecurityError>>;
}

/// A provider that always returns the same token: for tests and short-lived tools.
#[derive(Clone, Debug)]
pub struct StaticTokenProvider(pub OAuthBearerToken);

impl OAuthBearerTokenProvider for StaticTokenProvider {
    fn token(&self) -> BoxFuture<'_, Result<OAuthBearerToken, SecurityError>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// An unsecured JWT (`{"alg":"none"}`, empty signature) made up by the client, as
/// librdkafka's `enable.sasl.oauthbearer.unsecure.jwt=true` does: accepted only by brokers
/// that use Kafka's default unsecured validator, i.e. development and test clusters.
///
/// Configured with `sasl.oauthbearer.config`, space-separated `key=value` pairs:
/// `principal=<name>` (required), `scope=<a,b>`, `lifeSeconds=<n>` (default 3600),
/// `principalClaimName=<claim>` (default `sub`), `scopeClaimName=<claim>` (default `scope`),
/// `extension_<key>=<value>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsecuredJwtProvider {
    principal: String,
    principal_claim: String,
    scope_claim: String,
    scope: Vec<String>,
    life_seconds: u64,
    extensions: BTreeMap<String, String>,
}

impl UnsecuredJwtProvider {
    /// A provider for `principal`, valid for an hour, without scope.
    pub fn new(principal: impl Into<String>) -> Self {
        Self {
            principal: principal.into(),
            principal_claim: "sub".into(),
            scope_claim: "scope".into(),
            scope: Vec::new(),
            life_seconds: 3600,
            extensions: BTreeMap::new(),
        }
    }

    /// Parses `sasl.oauthbearer.config`.
    pub fn from_config(config: &str) -> Result<Self, ConfigError> {
        const KEY: &str = "sasl.oauthbearer.config";
        let expected = "space-separated principal=..., scope=..., lifeSeconds=..., \
                        principalClaimName=..., scopeClaimName=..., extension_<key>=...";
        let mut provider = Self::new("");
        for pair in config.split_whitespace() {
            let Some((k, v)) = pair.split_once('=') else {
                return Err(ConfigError::invalid(KEY, config, expected));
            };
            match k {
                "principal" => provider.principal = v.to_owned(),
                "principalClaimName" => provider.principal_claim = v.to_owned(),
                "scopeClaimName" => provider.scope_claim = v.to_owned(),
                "scope" => {
                    provider.scope = v
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "lifeSeconds" => {
                    provider.life_seconds = v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        ConfigError::invalid(KEY, config, "lifeSeconds=<positive integer>")
                    })?
                }
                _ => match k.strip_prefix("extension_") {
                    Some(name) => {
                        check_extension(name, v)
                            .map_err(|_| ConfigError::invalid(KEY, config, EXTENSION_RULE))?;
                        provider.extensions.insert(name.to_owned(), v.to_owned());
                    }
                    None => return Err(ConfigError::invalid(KEY, config, expected)),
                },
            }
        }
        if provider.principal.is_empty() {
            return Err(ConfigError::Missing {
                key: KEY.into(),
                reason: "an unsecured JWT needs principal=<name>".into(),
            });
        }
        Ok(provider)
    }

    /// The token for `now_ms` (milliseconds since the Unix epoch).
    pub fn token_at(&self, now_ms: i64) -> OAuthBearerToken {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let iat = now_ms / 1000;
        let exp = iat.saturating_add(i64::try_from(self.life_seconds).unwrap_or(i64::MAX));
        let mut claims = format!(
            "{{\"iat\":{iat},\"exp\":{exp},{}:{}",
            json_string(&self.principal_claim),
            json_string(&self.principal)
        );
        if !self.scope.is_empty() {
            let scope: Vec<String> = self.scope.iter().map(|s| json_string(s)).collect();
            claims.push_str(&format!(
                ",{}:[{}]",
                json_string(&self.scope_claim),
                scope.join(",")
            ));
        }
        claims.push('}');
        let value = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(claims.as_bytes())
        );
        OAuthBearerToken {
            value: Secret::new(value),
            lifetime_ms: exp.saturating_mul(1000),
            principal: self.principal.clone(),
            extensions: self.extensions.clone(),
        }
    }
}

impl OAuthBearerTokenProvider for UnsecuredJwtProvider {
    fn token(&self) -> BoxFuture<'_, Result<OAuthBearerToken, SecurityError>> {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let token = self.token_at(now_ms);
        Box::pin(async move { Ok(token) })
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Checks one extension against RFC 7628 section 3.1 (and Kafka's reserved `auth` key).
pub(crate) fn check_extension(key: &str, value: &str) -> Result<(), ConfigError> {
    let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic()) && key != "auth";
    let value_ok = value
        .bytes()
        .all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'));
    if key_ok && value_ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "sasl.oauthbearer.extensions",
            &format!("{key}=..."),
            EXTENSION_RULE,
        ))
    }
}

enum State {
    Initial,
    Sent,
    ErrorAcknowledged { status: String },
    Done,
}

/// The OAUTHBEARER client for one authentication.
pub struct OAuthBearerClient {
    token: Secret,
    extensions: BTreeMap<String, String>,
    state: State,
}

impl fmt::Debug for OAuthBearerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthBearerClient")
            .field("token", &self.token)
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

impl OAuthBearerClient {
    /// A client sending `token` with the configured `extensions` plus the token's own.
    pub fn new(
        token: OAuthBearerToken,
        extensions: &BTreeMap<String, String>,
    ) -> Result<Self, SecurityError> {
        let mut all = extensions.clone();
        all.extend(token.extensions);
        for (k, v) in &all {
            check_extension(k, v)?;
        }
        let value = token.value.expose();
        // RFC 6750 b64token characters; anything else would break the message framing.
        let token_ok = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b));
        if !token_ok {
            return Err(SecurityError::token_provider(
                "the token is empty or has characters outside the RFC 6750 token alphabet",
            ));
        }
        Ok(Self {
            token: token.value,
            extensions: all,
            state: State::Initial,
        })
    }

    fn error(&self, detail: impl Into<String>) -> SecurityError {
        SecurityError::Mechanism {
            mechanism: "OAUTHBEARER".into(),
            detail: detail.into(),
        }
    }
}

impl SaslMechanism for OAuthBearerClient {
    fn name(&self) -> &str {
        "OAUTHBEARER"
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, SecurityError> {
        if !matches!(self.state, State::Initial) {
            return Err(self.error("initial response requested twice"));
        }
        let mut m = Vec::with_capacity(64 + self.token.expose().len());
        m.extend_from_slice(b"n,,");
        m.push(SEPARATOR);
        m.extend_from_slice(b"auth=Bearer ");
        m.extend_from_slice(self.token.expose().as_bytes());
        m.push(SEPARATOR);
        for (k, v) in &self.extensions {
            m.extend_from_slice(k.as_bytes());
            m.push(b'=');
            m.extend_from_slice(v.as_bytes());
            m.push(SEPARATOR);
        }
        m.push(SEPARATOR);
        self.state = State::Sent;
        Ok(m)
    }

    fn step(&mut self, server_message: &[u8]) -> Result<SaslStep, SecurityError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Sent if server_message.is_empty() => Ok(SaslStep::Done),
            State::Sent => {
                // The broker's error status; acknowledge so that it ends the exchange.
                let status = String::from_utf8_lossy(server_message).into_owned();
                self.state = State::ErrorAcknowledged { status };
                Ok(SaslStep::Respond(vec![SEPARATOR]))
            }
            State::ErrorAcknowledged { status } => Err(SecurityError::AuthenticationFailed {
                mechanism: "OAUTHBEARER".into(),
                error_code: 0,
                broker_message: status,
            }),
            State::Initial | State::Done => Err(self.error("server message out of sequence")),
        }
    }

    fn failure_detail(&self) -> Option<String> {
        self.error_status().map(str::to_owned)
    }
}

/// The JSON error status the broker sent before failing, if any: useful to callers that
/// see [`SecurityError::AuthenticationFailed`] from the broker after the acknowledgement.
impl OAuthBearerClient {
    /// The broker's error status, once received.
    pub fn error_status(&self) -> Option<&str> {
        match &self.state {
            State::ErrorAcknowledged { status } => Some(status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> OAuthBearerToken {
        OAuthBearerToken::new(
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
            1_700_000_000_000,
            "alice",
        )
    }

    #[test]
    fn message_format_with_extensions() {
        let mut ext = BTreeMap::new();
        ext.insert("traceId".to_owned(), "123".to_owned());
        let mut t = token();
        t.extensions.insert("logicalCluster".into(), "lkc-1".into());
        let mut c = OAuthBearerClient::new(t, &ext).unwrap();
        let m = c.initial_response().unwrap();
        assert_eq!(
            m,
            b"n,,\x01auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.\x01logicalCluster=lkc-1\x01traceId=123\x01\x01"
        );
        assert_eq!(c.step(b"").unwrap(), SaslStep::Done);
        assert!(!format!("{c:?}").contains("eyJ"));
    }

    #[test]
    fn message_format_without_extensions() {
        let mut c = OAuthBearerClient::new(token(), &BTreeMap::new()).unwrap();
        let m = c.initial_response().unwrap();
        assert!(m.starts_with(b"n,,\x01auth=Bearer eyJ"));
        assert!(m.ends_with(b".\x01\x01"));
    }

    #[test]
    fn server_error_is_acknowledged_then_reported() {
        let mut c = OAuthBearerClient::new(token(), &BTreeMap::new()).unwrap();
        c.initial_response().unwrap();
        let json = br#"{"status":"invalid_token"}"#;
        assert_eq!(c.step(json).unwrap(), SaslStep::Respond(vec![0x01]));
        assert_eq!(c.error_status(), Some(r#"{"status":"invalid_token"}"#));
        match c.step(b"").unwrap_err() {
            SecurityError::AuthenticationFailed { broker_message, .. } => {
                assert!(broker_message.contains("invalid_token"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unsecured_jwt_has_alg_none_and_the_claims() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine as _;
        let p = UnsecuredJwtProvider::from_config(
            "principal=ad\"min scope=read,write lifeSeconds=60 extension_traceId=x",
        )
        .unwrap();
        let t = p.token_at(1_700_000_000_123);
        let parts: Vec<&str> = t.value.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[0]).unwrap(),
            br#"{"alg":"none"}"#
        );
        let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            r#"{"iat":1700000000,"exp":1700000060,"sub":"ad\"min","scope":["read","write"]}"#
        );
        assert_eq!(t.lifetime_ms, 1_700_000_060_000);
        assert_eq!(t.extensions.get("traceId").map(String::as_str), Some("x"));
        // The token is usable in a client message.
        OAuthBearerClient::new(t, &BTreeMap::new()).unwrap();
        assert!(UnsecuredJwtProvider::from_config("scope=x").is_err());
        assert!(UnsecuredJwtProvider::from_config("principal=a lifeSeconds=0").is_err());
        assert!(UnsecuredJwtProvider::from_config("principal=a bogus=1").is_err());
    }

    #[test]
    fn bad_tokens_and_extensions_are_refused() {
        let mut t = token();
        t.value = Secret::new("has space\x01");
        assert!(OAuthBearerClient::new(t, &BTreeMap::new()).is_err());
        let mut t = token();
        t.extensions.insert("auth".into(), "x".into());
        assert!(OAuthBearerClient::new(t, &BTreeMap::new()).is_err());
        let mut t = token();
        t.extensions.insert("k".into(), "bad\x01value".into());
        assert!(OAuthBearerClient::new(t, &BTreeMap::new()).is_err());
    }
}

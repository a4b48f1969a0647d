//! OAUTHBEARER on the broker (KIP-255, extensions KIP-342): the RFC 7628 client first
//! message as Kafka frames it, and token validation like Kafka's default
//! `OAuthBearerUnsecuredValidatorCallbackHandler` — unsigned JWS (`alg: none`, empty
//! signature), principal from a string claim (`sub` by default), `exp` required and checked
//! against the cluster clock with an allowable skew, `iat` (if present) not in the future
//! and before `exp`, optional required scope.
//!
//! The message is `n,[a=<authzid>],` then `\x01`, then `key=value\x01` pairs (one is
//! `auth=Bearer <token>`, the others are extensions), then a final `\x01`. Extensions are all
//! accepted, as the unsecured validator does, and become the session's negotiated
//! properties ([`crate::security::ConnectionAuth::sasl_extensions`]).
//!
//! Invalid tokens are not refused at once: as in Kafka, the broker answers with the RFC 7628
//! JSON error status (`{"status":"invalid_token"}`, or `insufficient_scope` with the required
//! scope) as the challenge, the client acknowledges with a lone `\x01`, and only then the
//! broker fails with SASL_AUTHENTICATION_FAILED (carrying the JSON) and closes. That part of
//! the exchange lives in [`crate::security::ConnectionAuth::authenticate`].
//!
//! Not modelled: signed JWTs (the JWKS-based `OAuthBearerValidatorCallbackHandler`),
//! custom server callback handlers, `sasl.oauthbearer.expected.audience/issuer`.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::Value;

/// The longest client first message parsed (RFC 7628 sets no limit; Kafka's frame limit
/// applies). Longer messages fail as malformed without being scanned.
const MAX_MESSAGE: usize = 64 * 1024;

/// How the broker validates OAUTHBEARER tokens: the options of Kafka's unsecured validator,
/// set in the broker's `OAuthBearerLoginModule` JAAS line. Defaults as in Kafka.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthBearerValidator {
    /// `unsecuredValidatorPrincipalClaimName`: the string claim naming the principal.
    /// Default `sub`.
    pub principal_claim_name: String,
    /// `unsecuredValidatorScopeClaimName`: the string or string-list claim holding the
    /// token's scope. Default `scope`.
    pub scope_claim_name: String,
    /// `unsecuredValidatorRequiredScope` (space-delimited in the JAAS option): scope values
    /// every token must carry. Default none.
    pub required_scope: Vec<String>,
    /// `unsecuredValidatorAllowableClockSkewMs`: tolerated clock difference for `exp` and
    /// `iat`, in milliseconds. Default 0.
    pub allowable_clock_skew_ms: i64,
}

impl Default for OAuthBearerValidator {
    fn default() -> Self {
        Self {
            principal_claim_name: "sub".into(),
            scope_claim_name: "scope".into(),
            required_scope: Vec::new(),
            allowable_clock_skew_ms: 0,
        }
    }
}

/// The JAAS option names [`OAuthBearerValidator::set`] knows.
pub const VALIDATOR_OPTIONS: [&str; 4] = [
    "unsecuredValidatorPrincipalClaimName",
    "unsecuredValidatorScopeClaimName",
    "unsecuredValidatorRequiredScope",
    "unsecuredValidatorAllowableClockSkewMs",
];

impl OAuthBearerValidator {
    /// The defaults: principal from `sub`, scope from `scope`, no required scope, no skew.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `unsecuredValidatorPrincipalClaimName`.
    pub fn principal_claim_name(mut self, claim: impl Into<String>) -> Self {
        self.principal_claim_name = claim.into();
        self
    }

    /// Sets `unsecuredValidatorScopeClaimName`.
    pub fn scope_claim_name(mut self, claim: impl Into<String>) -> Self {
        self.scope_claim_name = claim.into();
        self
    }

    /// Sets `unsecuredValidatorRequiredScope`.
    pub fn required_scope<S: Into<String>>(mut self, scope: impl IntoIterator<Item = S>) -> Self {
        self.required_scope = scope.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `unsecuredValidatorAllowableClockSkewMs` (negative values count as 0).
    pub fn allowable_clock_skew_ms(mut self, ms: i64) -> Self {
        self.allowable_clock_skew_ms = ms.max(0);
        self
    }

    /// Applies one JAAS option of the unsecured validator. `Ok(false)` if `key` is not one
    /// of [`VALIDATOR_OPTIONS`]; `Err(expected)` if the value is not valid.
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool, &'static str> {
        let value = value.trim();
        match key {
            "unsecuredValidatorPrincipalClaimName" => {
                // Kafka falls back to the default for a blank name.
                self.principal_claim_name = if value.is_empty() { "sub".into() } else { value.to_owned() };
            }
            "unsecuredValidatorScopeClaimName" => {
                self.scope_claim_name = if value.is_empty() { "scope".into() } else { value.to_owned() };
            }
            "unsecuredValidatorRequiredScope" => {
                self.required_scope = value.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            }
            "unsecuredValidatorAllowableClockSkewMs" => {
                self.allowable_clock_skew_ms = if value.is_empty() {
                    0
                } else {
                    value.parse::<i32>().ok().filter(|v| *v >= 0).map(i64::from).ok_or("a non-negative integer number of milliseconds")?
                };
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Validates a compact-serialized unsecured JWS at `now_ms` (ms since the Unix epoch).
    pub fn validate(&self, token: &str, now_ms: i64) -> Result<ValidToken, TokenError> {
        let invalid = |reason: String| TokenError::Invalid(reason);
        if token.contains("..") {
            return Err(invalid("Malformed compact serialization contains '..'".into()));
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(invalid("Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values".into()));
        };
        let header = json_object(header).map_err(invalid)?;
        let claims = json_object(claims).map_err(invalid)?;
        if header.get("alg").and_then(Value::as_str) != Some("none") {
            return Err(invalid("Unsecured JWS must have 'none' for an algorithm".into()));
        }
        if !signature.is_empty() {
            return Err(invalid("Unsecured JWS must not contain a digital signature".into()));
        }
        let scope = scope_of(&claims, &self.scope_claim_name).map_err(invalid)?;
        let number = |name: &str| -> Result<Option<f64>, TokenError> {
            match claims.get(name) {
                None => Ok(None),
                Some(v) => v.as_f64().map(Some).ok_or_else(|| invalid(format!("The '{name}' claim was not of type Number"))),
            }
        };
        let exp = number("exp")?.ok_or_else(|| invalid("No expiration time in JWT".into()))?;
        let principal = match claims.get(&self.principal_claim_name) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(Value::String(_)) | None => {
                return Err(invalid(format!("No principal name in JWT claim: {}", self.principal_claim_name)))
            }
            Some(_) => {
                return Err(invalid(format!("The '{}' claim was not of type String", self.principal_claim_name)))
            }
        };
        let iat = number("iat")?;
        let skew = self.allowable_clock_skew_ms as f64;
        let now = now_ms as f64;
        if let Some(iat) = iat {
            if 1000.0 * iat > now + skew {
                return Err(invalid(format!(
                    "The Issued At value ({iat} seconds) was after the indicated time ({now_ms} ms) plus allowable clock skew ({} ms)",
                    self.allowable_clock_skew_ms
                )));
            }
        }
        if now - skew >= 1000.0 * exp {
            return Err(invalid(format!(
                "The indicated time ({now_ms} ms) minus allowable clock skew ({} ms) was on or after the Expiration Time value ({exp} seconds)",
                self.allowable_clock_skew_ms
            )));
        }
        if let Some(iat) = iat {
            if exp <= iat {
                return Err(invalid(format!(
                    "The Expiration Time time ({exp} seconds) was not after the Issued At time ({iat} seconds)"
                )));
            }
        }
        if let Some(missing) = self.required_scope.iter().find(|s| !scope.contains(*s)) {
            return Err(TokenError::InsufficientScope {
                reason: format!("The provided scope was missing a required scope ({missing})"),
                required: self.required_scope.clone(),
            });
        }
        Ok(ValidToken { principal, lifetime_ms: seconds_to_ms(exp), scope })
    }
}

/// A token that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidToken {
    /// The principal name (from the principal claim).
    pub principal: String,
    /// When the token expires (`exp`), in ms since the Unix epoch.
    pub lifetime_ms: i64,
    /// The token's scope.
    pub scope: BTreeSet<String>,
}

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Malformed, expired, not yet valid or without a principal: `invalid_token`.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// A required scope value is missing: `insufficient_scope`.
    #[error("insufficient scope: {reason}")]
    InsufficientScope {
        /// What was missing.
        reason: String,
        /// The whole required scope.
        required: Vec<String>,
    },
}

impl TokenError {
    /// The RFC 7628 section 3.2.2 error the broker sends as its challenge, formatted like
    /// Kafka's (`{"status":"insufficient_scope", "scope":"[a, b]"}` for scope failures).
    pub fn json(&self) -> String {
        match self {
            TokenError::Invalid(_) => r#"{"status":"invalid_token"}"#.to_owned(),
            TokenError::InsufficientScope { required, .. } => {
                let scope = format!("[{}]", required.join(", "));
                format!(r#"{{"status":"insufficient_scope", "scope":{}}}"#, Value::String(scope))
            }
        }
    }
}

/// A parsed client first message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInitialResponse {
    /// The authorization id (`a=`), empty if none.
    pub authorization_id: String,
    /// The bearer token.
    pub token: String,
    /// The extensions, in key order.
    pub extensions: BTreeMap<String, String>,
}

/// Parses a client first message, as Kafka's `OAuthBearerClientInitialResponse` does.
/// The error says what is wrong (the broker does not send it to the client).
pub fn parse_initial_response(message: &[u8]) -> Result<ClientInitialResponse, String> {
    const BAD: &str = "Invalid OAUTHBEARER client first message";
    if message.len() > MAX_MESSAGE {
        return Err(format!("{BAD}: longer than {MAX_MESSAGE} bytes"));
    }
    let text = std::str::from_utf8(message).map_err(|_| format!("{BAD}: not UTF-8"))?;
    let rest = text.strip_prefix("n,").ok_or_else(|| BAD.to_owned())?;
    let (authzid, rest) = rest.split_once(',').ok_or_else(|| BAD.to_owned())?;
    let authorization_id = match authzid {
        "" => String::new(),
        a => {
            let name = a.strip_prefix("a=").ok_or_else(|| BAD.to_owned())?;
            if !is_saslname(name) {
                return Err(format!("{BAD}: bad authorization id"));
            }
            name.to_owned()
        }
    };
    // `\x01` (key=value `\x01`)* `\x01`
    let pairs = rest
        .strip_prefix('\x01')
        .and_then(|r| r.strip_suffix('\x01'))
        .ok_or_else(|| BAD.to_owned())?;
    let mut properties = BTreeMap::new();
    if !pairs.is_empty() {
        let body = pairs.strip_suffix('\x01').ok_or_else(|| BAD.to_owned())?;
        for pair in body.split('\x01') {
            let (key, value) = pair.split_once('=').ok_or_else(|| BAD.to_owned())?;
            let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic());
            let value_ok = !value.is_empty() && value.bytes().all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'));
            if !key_ok || !value_ok {
                return Err(format!("{BAD}: bad key=value pair"));
            }
            properties.insert(key.to_owned(), value.to_owned());
        }
    }
    let auth = properties.remove("auth").ok_or_else(|| format!("{BAD}: 'auth' not specified"))?;
    let (scheme, token) = auth.split_once(' ').ok_or_else(|| format!("{BAD}: invalid 'auth' format"))?;
    let token = token.trim_start_matches(' ');
    let scheme_ok = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let token_ok = !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !scheme_ok || !token_ok {
        return Err(format!("{BAD}: invalid 'auth' format"));
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(format!("Invalid scheme in OAUTHBEARER client first message: {scheme}"));
    }
    Ok(ClientInitialResponse { authorization_id, token: token.to_owned(), extensions: properties })
}

/// RFC 5801 `saslname` as Kafka's pattern has it: ASCII without `=` and `,` except the
/// escapes `=2C` and `=3D`.
fn is_saslname(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'=' => {
                let escape = bytes.get(i + 1..i + 3);
                if escape != Some(b"2C") && escape != Some(b"3D") {
                    return false;
                }
                i += 3;
            }
            b',' | 0 | 0x80.. => return false,
            _ => i += 1,
        }
    }
    true
}

fn json_object(part: &str) -> Result<serde_json::Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .or_else(|_| URL_SAFE.decode(part))
        .map_err(|_| "malformed Base64 URL encoded value".to_owned())?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("malformed JSON".to_owned()),
    }
}

/// The scope claim: a string is one scope value, a list its (trimmed, non-blank) strings.
fn scope_of(claims: &serde_json::Map<String, Value>, claim: &str) -> Result<BTreeSet<String>, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match claims.get(claim) {
        None | Some(Value::Null) => Ok(BTreeSet::new()),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned).into_iter().collect()),
        Some(Value::Array(items)) => {
            Ok(items.iter().map(|v| text(v).trim().to_owned()).filter(|s| !s.is_empty()).collect())
        }
        Some(_) => Err(format!("The '{claim}' claim was not of type List")),
    }
}

fn seconds_to_ms(seconds: f64) -> i64 {
    let ms = (seconds * 1000.0).round();
    if ms >= i64::MAX as f64 {
        i64::MAX
    } else if ms <= i64::MIN as f64 {
        i64::MIN
    } else {
        ms as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(header: &str, claims: &str) -> String {
        format!("{}.{}.", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims))
    }

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn parses_kafkas_client_message() {
        let m = parse_initial_response(b"n,,\x01auth=Bearer abc.def.\x01logicalCluster=lkc-1\x01traceId=x y\x01\x01").unwrap();
        assert_eq!(m.token, "abc.def.");
        assert_eq!(m.authorization_id, "");
        assert_eq!(m.extensions.len(), 2);
        assert_eq!(m.extensions["traceId"], "x y");
        let m = parse_initial_response(b"n,a=alice,\x01auth=bearer   t\x01\x01").unwrap();
        assert_eq!((m.authorization_id.as_str(), m.token.as_str()), ("alice", "t"));
        for bad in [
            &b""[..],
            b"y,,\x01auth=Bearer t\x01\x01",
            b"n,,\x01auth=Bearer t\x01",
            b"n,,\x01auth=Bearer t\x01\x01\x01",
            b"n,,\x01\x01",
            b"n,,\x01auth=Basic t\x01\x01",
            b"n,,\x01auth=Bearer t!\x01\x01",
            b"n,,\x01auth=Bearer t\x01k1=v\x01\x01",
            b"n,,\x01auth=Bearer t\x01k=\x01\x01",
            b"n,a=x,y,\x01auth=Bearer t\x01\x01",
            b"n,,\x01auth=Bearer \xff\x01\x01",
        ] {
            assert!(parse_initial_response(bad).is_err(), "{bad:?}");
        }
        assert!(parse_initial_response(&vec![b'n'; MAX_MESSAGE + 1]).is_err());
    }

    #[test]
    fn validates_like_the_unsecured_validator() {
        let v = OAuthBearerValidator::new();
        let ok = v.validate(&jws(r#"{"alg":"none"}"#, r#"{"sub":"alice","exp":1700000060,"iat":1699999990,"scope":["a","b "]}"#), NOW).unwrap();
        assert_eq!(ok.principal, "alice");
        assert_eq!(ok.lifetime_ms, 1_700_000_060_000);
        assert_eq!(ok.scope, ["a".to_owned(), "b".to_owned()].into_iter().collect());
        // Expired: on or after exp.
        let expired = jws(r#"{"alg":"none"}"#, r#"{"sub":"alice","exp":1700000000}"#);
        assert!(matches!(v.validate(&expired, NOW), Err(TokenError::Invalid(_))));
        // ... unless the skew allows it.
        assert!(v.clone().allowable_clock_skew_ms(1).validate(&expired, NOW).is_ok());
        // Issued in the future.
        let future = jws(r#"{"alg":"none"}"#, r#"{"sub":"alice","exp":1700000100,"iat":1700000001}"#);
        assert!(v.validate(&future, NOW).is_err());
        assert!(v.clone().allowable_clock_skew_ms(1000).validate(&future, NOW).is_ok());
        for bad in [
            jws(r#"{"alg":"HS256"}"#, r#"{"sub":"a","exp":1800000000}"#),
            jws(r#"{}"#, r#"{"sub":"a","exp":1800000000}"#),
            jws(r#"{"alg":"none"}"#, r#"{"sub":"a"}"#),
            jws(r#"{"alg":"none"}"#, r#"{"sub":"a","exp":"soon"}"#),
            jws(r#"{"alg":"none"}"#, r#"{"exp":1800000000}"#),
            jws(r#"{"alg":"none"}"#, r#"{"sub":" ","exp":1800000000}"#),
            jws(r#"{"alg":"none"}"#, r#"{"sub":7,"exp":1800000000}"#),
            jws(r#"{"alg":"none"}"#, r#"{"sub":"a","exp":1800000000,"iat":1800000000}"#),
            jws(r#"{"alg":"none"}"#, r#"[1]"#),
            format!("{}sig", jws(r#"{"alg":"none"}"#, r#"{"sub":"a","exp":1800000000}"#)),
            "a.b".to_owned(),
            "a..b".to_owned(),
            "!!.!!.".to_owned(),
        ] {
            let err = v.validate(&bad, NOW).unwrap_err();
            assert_eq!(err.json(), r#"{"status":"invalid_token"}"#, "{bad}: {err}");
        }
    }

    #[test]
    fn principal_claim_and_required_scope() {
        let mut v = OAuthBearerValidator::new();
        assert_eq!(v.set("unsecuredValidatorPrincipalClaimName", "client_id"), Ok(true));
        assert_eq!(v.set("unsecuredValidatorRequiredScope", "kafka  admin"), Ok(true));
        assert_eq!(v.set("unsecuredValidatorScopeClaimName", "scp"), Ok(true));
        assert_eq!(v.set("unsecuredValidatorAllowableClockSkewMs", "-1"), Err("a non-negative integer number of milliseconds"));
        assert_eq!(v.set("unsecuredLoginStringClaim_sub", "x"), Ok(false));
        assert_eq!(v.required_scope, ["kafka", "admin"]);
        let token = jws(r#"{"alg":"none"}"#, r#"{"client_id":"svc","exp":1800000000,"scp":["kafka","admin","x"]}"#);
        assert_eq!(v.validate(&token, NOW).unwrap().principal, "svc");
        let token = jws(r#"{"alg":"none"}"#, r#"{"client_id":"svc","exp":1800000000,"scp":"kafka"}"#);
        let err = v.validate(&token, NOW).unwrap_err();
        assert_eq!(err.json(), r#"{"status":"insufficient_scope", "scope":"[kafka, admin]"}"#);
    }
}

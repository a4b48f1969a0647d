//! SASL SCRAM-SHA-256 and SCRAM-SHA-512 clients (RFC 5802, RFC 7677; Kafka KIP-84).
//!
//! The exchange: client-first (`n,,n=<user>,r=<client nonce>`), server-first
//! (`r=<nonce>,s=<salt>,i=<iterations>`), client-final (`c=biws,r=<nonce>,p=<proof>`),
//! server-final (`v=<server signature>` or `e=<error>`). The client proves it knows the
//! password without sending it, and checks the server signature so an impostor that does
//! not hold the stored credentials is detected.
//!
//! As in Kafka's own client, the user name is escaped (`=` as `=2C`... see [`escape_username`])
//! but not SASLprep-normalised, and the password is used as its UTF-8 bytes; channel binding
//! is not supported (`n,,` / `biws`). The iteration count must be at least 4096, Kafka's
//! minimum for SCRAM credentials, and at most [`MAX_ITERATIONS`], so a hostile server cannot
//! make the client burn CPU.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use crate::net::sasl::{SaslMechanism, SaslStep};
use crate::net::security::{Secret, SecurityError};

/// Kafka's minimum SCRAM iteration count.
pub const MIN_ITERATIONS: u32 = 4096;
/// The largest iteration count the client accepts from a server.
pub const MAX_ITERATIONS: u32 = 1_000_000;

/// The hash function of a SCRAM variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScramHash {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

impl ScramHash {
    /// The mechanism name.
    pub fn mechanism(self) -> &'static str {
        match self {
            ScramHash::Sha256 => "SCRAM-SHA-256",
            ScramHash::Sha512 => "SCRAM-SHA-512",
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => hmac_with::<Hmac<Sha256>>(key, data),
            ScramHash::Sha512 => hmac_with::<Hmac<Sha512>>(key, data),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// `Hi()` of RFC 5802: PBKDF2 with HMAC of this hash.
    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => {
                let mut out = vec![0; 32];
                pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
                out
            }
            ScramHash::Sha512 => {
                let mut out = vec![0; 64];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
                out
            }
        }
    }
}

fn hmac_with<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so the error branch is unreachable; an empty output
    // would only make the proof wrong (authentication fails), never panic.
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Escapes a SCRAM user name: `=` becomes `=3D` and `,` becomes `=2C` (RFC 5802 section 5.1).
pub fn escape_username(username: &str) -> String {
    username.replace('=', "=3D").replace(',', "=2C")
}

enum State {
    Initial,
    ClientFirstSent { client_first_bare: String },
    ClientFinalSent { server_signature: Vec<u8> },
    Done,
    Failed,
}

/// A SCRAM client for one authentication.
pub struct ScramClient {
    hash: ScramHash,
    username: String,
    password: Secret,
    client_nonce: String,
    token_auth: bool,
    state: State,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.hash.mechanism())
            .field("username", &self.username)
            .field("password", &self.password)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// A client with a fresh random nonce (24 bytes from the operating system, base64).
    pub fn new(
        hash: ScramHash,
        username: impl Into<String>,
        password: Secret,
    ) -> Result<Self, SecurityError> {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| SecurityError::Mechanism {
            mechanism: hash.mechanism().into(),
            detail: format!("cannot draw a random nonce: {e}"),
        })?;
        Ok(Self::with_nonce(
            hash,
            username,
            password,
            BASE64.encode(raw),
        ))
    }

    /// A client with a given nonce: for tests with fixed vectors only. The nonce must be
    /// printable ASCII without `,`.
    pub fn with_nonce(
        hash: ScramHash,
        username: impl Into<String>,
        password: Secret,
        client_nonce: impl Into<String>,
    ) -> Self {
        Self {
            hash,
            username: username.into(),
            password,
            client_nonce: client_nonce.into(),
            token_auth: false,
            state: State::Initial,
        }
    }

    /// Authenticates with a Kafka delegation token (KIP-48): the user name is the token id,
    /// the password its HMAC, and the client-first-message carries the `tokenauth=true`
    /// extension.
    pub fn with_token_auth(mut self, token_auth: bool) -> Self {
        self.token_auth = token_auth;
        self
    }

    fn error(&mut self, detail: impl Into<String>) -> SecurityError {
        self.state = State::Failed;
        SecurityError::Mechanism {
            mechanism: self.hash.mechanism().into(),
            detail: detail.into(),
        }
    }

    fn server_first(
        &mut self,
        client_first_bare: &str,
        message: &[u8],
    ) -> Result<SaslStep, SecurityError> {
        let Ok(text) = std::str::from_utf8(message) else {
            return Err(self.error("server-first-message is not UTF-8"));
        };
        if let Some(err) = text.strip_prefix("e=") {
            let err = err.to_owned();
            return Err(self.failed(err));
        }
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for (i, attr) in text.split(',').enumerate() {
            match attr.split_once('=') {
                Some(("m", _)) if i == 0 => {
                    return Err(
                        self.error("server requires an unsupported mandatory extension (m=)")
                    )
                }
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = Some(v),
                Some(_) => {} // extensions are ignored
                None => return Err(self.error(format!("malformed server-first-message {text:?}"))),
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(self.error(format!("server-first-message lacks r, s or i: {text:?}")));
        };
        if !nonce.starts_with(&self.client_nonce) || nonce.len() <= self.client_nonce.len() {
            return Err(self.error("server nonce does not extend the client nonce"));
        }
        if !nonce.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(self.error("server nonce has non-printable characters"));
        }
        let Ok(salt) = BASE64.decode(salt) else {
            return Err(self.error("salt is not valid base64"));
        };
        let iterations: u32 = match iterations.parse() {
            Ok(n) if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&n) => n,
            _ => {
                return Err(self.error(format!(
                    "iteration count {iterations:?} is outside {MIN_ITERATIONS}..={MAX_ITERATIONS}"
                )))
            }
        };

        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{text},{without_proof}");
        let h = self.hash;
        let salted = h.salted_password(self.password.expose().as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        let client_signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = h.hmac(&salted, b"Server Key");
        let server_signature = h.hmac(&server_key, auth_message.as_bytes());

        self.state = State::ClientFinalSent { server_signature };
        Ok(SaslStep::Respond(
            format!("{without_proof},p={}", BASE64.encode(proof)).into_bytes(),
        ))
    }

    fn server_final(&mut self, expected: &[u8], message: &[u8]) -> Result<SaslStep, SecurityError> {
        let Ok(text) = std::str::from_utf8(message) else {
            return Err(self.error("server-final-message is not UTF-8"));
        };
        let first = text.split(',').next().unwrap_or_default();
        if let Some(err) = first.strip_prefix("e=") {
            let err = err.to_owned();
            return Err(self.failed(err));
        }
        let Some(signature) = first.strip_prefix("v=") else {
            return Err(self.error(format!("malformed server-final-message {text:?}")));
        };
        let Ok(signature) = BASE64.decode(signature) else {
            return Err(self.error("server signature is not valid base64"));
        };
        if !constant_time_eq(&signature, expected) {
            return Err(self.error(
                "server signature mismatch: the broker does not hold this user's credentials",
            ));
        }
        self.state = State::Done;
        Ok(SaslStep::Done)
    }

    fn failed(&mut self, server_error: String) -> SecurityError {
        self.state = State::Failed;
        SecurityError::AuthenticationFailed {
            mechanism: self.hash.mechanism().into(),
            error_code: 0,
            broker_message: server_error,
        }
    }
}

impl SaslMechanism for ScramClient {
    fn name(&self) -> &str {
        self.hash.mechanism()
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, SecurityError> {
        if !matches!(self.state, State::Initial) {
            return Err(self.error("client-first-message requested twice"));
        }
        let mut client_first_bare = format!(
            "n={},r={}",
            escape_username(&self.username),
            self.client_nonce
        );
        if self.token_auth {
            client_first_bare.push_str(",tokenauth=true");
        }
        let message = format!("n,,{client_first_bare}").into_bytes();
        self.state = State::ClientFirstSent { client_first_bare };
        Ok(message)
    }

    fn step(&mut self, server_message: &[u8]) -> Result<SaslStep, SecurityError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::ClientFirstSent { client_first_bare } => {
                self.server_first(&client_first_bare, server_message)
            }
            State::ClientFinalSent { server_signature } => {
                self.server_final(&server_signature, server_message)
            }
            State::Initial | State::Done | State::Failed => {
                Err(self.error("server message out of sequence"))
            }
        }
    }

    fn step_is_expensive(&self) -> bool {
        matches!(self.state, State::ClientFirstSent { .. })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677 section 3.
    const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    fn rfc_client() -> ScramClient {
        ScramClient::with_nonce(
            ScramHash::Sha256,
            "user",
            Secret::new("pencil"),
            CLIENT_NONCE,
        )
    }

    #[test]
    fn rfc7677_sha256_vector() {
        let mut c = rfc_client();
        assert_eq!(
            c.initial_response().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        assert!(c.step_is_expensive());
        let SaslStep::Respond(client_final) = c.step(SERVER_FIRST.as_bytes()).unwrap() else {
            panic!("expected client-final");
        };
        assert_eq!(String::from_utf8(client_final).unwrap(), CLIENT_FINAL);
        assert_eq!(c.step(SERVER_FINAL.as_bytes()).unwrap(), SaslStep::Done);
        assert!(c.step(b"v=again").is_err());
    }

    #[test]
    fn wrong_server_signature_is_detected() {
        let mut c = rfc_client();
        c.initial_response().unwrap();
        c.step(SERVER_FIRST.as_bytes()).unwrap();
        let err = c
            .step(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .unwrap_err();
        assert!(
            err.to_string().contains("server signature mismatch"),
            "{err}"
        );
    }

    #[test]
    fn server_error_text_is_surfaced() {
        let mut c = rfc_client();
        c.initial_response().unwrap();
        c.step(SERVER_FIRST.as_bytes()).unwrap();
        match c.step(b"e=invalid-proof").unwrap_err() {
            SecurityError::AuthenticationFailed {
                broker_message,
                mechanism,
                ..
            } => {
                assert_eq!(broker_message, "invalid-proof");
                assert_eq!(mechanism, "SCRAM-SHA-256");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_server_first_messages_are_rejected() {
        let cases: &[&str] = &[
            // Nonce not extending ours.
            "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            // Nonce equal to ours (server added nothing).
            "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            // Too few and too many iterations.
            "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",
            "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4294967295",
            "r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
            // Bad salt, missing fields, mandatory extension, garbage.
            "r=rOprNGfwEbeRWgbNEkqOxyz,s=***,i=4096",
            "r=rOprNGfwEbeRWgbNEkqOxyz,i=4096",
            "m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "garbage",
            "",
        ];
        for case in cases {
            let mut c = rfc_client();
            c.initial_response().unwrap();
            assert!(c.step(case.as_bytes()).is_err(), "accepted {case:?}");
        }
        let mut c = rfc_client();
        c.initial_response().unwrap();
        assert!(c.step(&[0xff, 0xfe]).is_err(), "accepted non-UTF-8");
    }

    #[test]
    fn usernames_are_escaped_and_sha512_round_trips() {
        assert_eq!(escape_username("a=b,c"), "a=3Db=2Cc");
        let mut c = ScramClient::with_nonce(ScramHash::Sha512, "a,b", Secret::new("pw"), "abc");
        assert_eq!(c.initial_response().unwrap(), b"n,,n=a=2Cb,r=abc");
        let SaslStep::Respond(m) = c.step(b"r=abcdef,s=c2FsdA==,i=4096").unwrap() else {
            panic!()
        };
        let m = String::from_utf8(m).unwrap();
        assert!(m.starts_with("c=biws,r=abcdef,p="), "{m}");
        // A SHA-512 proof is 64 bytes: 88 base64 characters.
        assert_eq!(m.rsplit_once("p=").unwrap().1.len(), 88);
        assert!(!format!("{c:?}").contains("pw\""));
    }

    #[test]
    fn delegation_tokens_add_the_tokenauth_extension() {
        let mut c = rfc_client().with_token_auth(true);
        assert_eq!(
            c.initial_response().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO,tokenauth=true"
        );
        // The extension is part of client-first-bare, hence of the AuthMessage: the proof
        // differs from the RFC vector's.
        let SaslStep::Respond(m) = c.step(SERVER_FIRST.as_bytes()).unwrap() else {
            panic!()
        };
        assert_ne!(String::from_utf8(m).unwrap(), CLIENT_FINAL);
    }

    #[test]
    fn random_nonces_differ() {
        let a = ScramClient::new(ScramHash::Sha256, "u", Secret::new("p")).unwrap();
        let b = ScramClient::new(ScramHash::Sha256, "u", Secret::new("p")).unwrap();
        assert_ne!(a.client_nonce, b.client_nonce);
        assert_eq!(a.client_nonce.len(), 32);
        assert!(!a.client_nonce.contains(','));
    }

    proptest::proptest! {
        // Fixed seed: deterministic; few cases because each valid message costs a PBKDF2.
        #![proptest_config(proptest::test_runner::Config {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5c7a_3d11),
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Whatever the server sends, the client answers with a result, never a panic, and
        /// never completes without a valid server signature.
        #[test]
        fn arbitrary_server_messages_never_panic(
            first in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            second in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let mut c = rfc_client();
            c.initial_response().unwrap();
            let _ = c.step(&first);
            proptest::prop_assert!(c.step(&second).is_err() || first == SERVER_FIRST.as_bytes());
        }

        /// Server-first messages that look almost right exercise the attribute parser.
        #[test]
        fn structured_server_first_never_panics(
            nonce_suffix in "[!-+--~]{0,20}",
            salt in "[A-Za-z0-9+/=]{0,30}",
            iterations in "-?[0-9]{0,4}",
            extra in "[a-z]=[ -~]{0,10}",
        ) {
            let mut c = rfc_client();
            c.initial_response().unwrap();
            let msg = format!("r={CLIENT_NONCE}{nonce_suffix},s={salt},i={iterations},{extra}");
            let _ = c.step(msg.as_bytes());
        }
    }
}

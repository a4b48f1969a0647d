//! Server side of SASL PLAIN and SCRAM-SHA-256/512, for fake brokers in tests.
//!
//! [`ScramServer`] verifies a client's SCRAM proof against stored credentials (RFC 5802:
//! salt, iteration count, StoredKey, ServerKey; the password itself is not kept) and
//! produces the server signature, so a test broker can authenticate real clients and catch
//! a client that computes its proof wrongly. [`verify_plain`] checks a PLAIN message.
//!
//! The module depends only on `base64`, `hmac`, `sha2`, `pbkdf2` and `getrandom`, so it can
//! be compiled into any test crate (kafka-protocol's SASL tests include it by path).

#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The hash of a SCRAM variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
        fn with<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            ScramHash::Sha256 => with::<Hmac<Sha256>>(key, data),
            ScramHash::Sha512 => with::<Hmac<Sha512>>(key, data),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

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

/// What a server stores for one SCRAM user.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredential {
    /// The salt.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count.
    pub iterations: u32,
    /// H(ClientKey).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

impl fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredential")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredential {
    /// Derives the stored credential for `password`.
    pub fn new(hash: ScramHash, password: &str, salt: &[u8], iterations: u32) -> Self {
        let salted = hash.salted_password(password.as_bytes(), salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        Self {
            salt: salt.to_vec(),
            iterations,
            stored_key: hash.hash(&client_key),
            server_key: hash.hmac(&salted, b"Server Key"),
        }
    }
}

/// Why the server refused a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaslServerError {
    /// The client's message breaks the protocol.
    Malformed(String),
    /// No such user.
    UnknownUser(String),
    /// The password (PLAIN) or proof (SCRAM) is wrong.
    InvalidCredentials(String),
}

impl fmt::Display for SaslServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaslServerError::Malformed(m) => write!(f, "malformed SASL message: {m}"),
            SaslServerError::UnknownUser(u) => write!(f, "unknown user {u:?}"),
            SaslServerError::InvalidCredentials(u) => write!(f, "invalid credentials for {u:?}"),
        }
    }
}

impl std::error::Error for SaslServerError {}

/// What the SCRAM server sends after a client message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScramServerStep {
    /// The server-first-message; expect the client-final-message next.
    Challenge(Vec<u8>),
    /// The proof was right: send this server-final-message (`v=...`); the user is
    /// authenticated.
    Success {
        /// The server-final-message.
        server_final: Vec<u8>,
        /// The authenticated user.
        username: String,
    },
}

enum ServerState {
    AwaitClientFirst,
    AwaitClientFinal {
        username: String,
        nonce: String,
        client_first_bare: String,
        server_first: String,
    },
    Finished,
}

/// The server side of one SCRAM exchange.
pub struct ScramServer {
    hash: ScramHash,
    credentials: HashMap<String, ScramCredential>,
    server_nonce: Option<String>,
    state: ServerState,
}

impl ScramServer {
    /// A server for `hash` that knows `credentials` (user name -> credential).
    pub fn new(hash: ScramHash, credentials: HashMap<String, ScramCredential>) -> Self {
        Self {
            hash,
            credentials,
            server_nonce: None,
            state: ServerState::AwaitClientFirst,
        }
    }

    /// Uses a fixed server nonce suffix (tests with known vectors); random otherwise.
    pub fn with_server_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.server_nonce = Some(nonce.into());
        self
    }

    /// Processes one client message.
    pub fn step(&mut self, message: &[u8]) -> Result<ScramServerStep, SaslServerError> {
        match std::mem::replace(&mut self.state, ServerState::Finished) {
            ServerState::AwaitClientFirst => self.client_first(message),
            ServerState::AwaitClientFinal {
                username,
                nonce,
                client_first_bare,
                server_first,
            } => self.client_final(message, username, nonce, client_first_bare, server_first),
            ServerState::Finished => Err(SaslServerError::Malformed(
                "exchange already finished".into(),
            )),
        }
    }

    fn client_first(&mut self, message: &[u8]) -> Result<ScramServerStep, SaslServerError> {
        let text = utf8(message)?;
        let bare = text.strip_prefix("n,,").ok_or_else(|| {
            SaslServerError::Malformed(format!("unsupported GS2 header in {text:?}"))
        })?;
        let mut username = None;
        let mut client_nonce = None;
        for attr in bare.split(',') {
            match attr.split_once('=') {
                Some(("n", v)) => username = Some(unescape(v)?),
                Some(("r", v)) => client_nonce = Some(v.to_owned()),
                Some(_) => {}
                None => {
                    return Err(SaslServerError::Malformed(format!(
                        "bad attribute {attr:?}"
                    )))
                }
            }
        }
        let username = username.ok_or_else(|| SaslServerError::Malformed("no user name".into()))?;
        let client_nonce = client_nonce
            .filter(|n| !n.is_empty())
            .ok_or_else(|| SaslServerError::Malformed("no client nonce".into()))?;
        let credential = self
            .credentials
            .get(&username)
            .ok_or_else(|| SaslServerError::UnknownUser(username.clone()))?;
        let suffix = match &self.server_nonce {
            Some(n) => n.clone(),
            None => {
                let mut raw = [0u8; 18];
                getrandom::fill(&mut raw)
                    .map_err(|e| SaslServerError::Malformed(format!("no randomness: {e}")))?;
                BASE64.encode(raw)
            }
        };
        let nonce = format!("{client_nonce}{suffix}");
        let server_first = format!(
            "r={nonce},s={},i={}",
            BASE64.encode(&credential.salt),
            credential.iterations
        );
        self.state = ServerState::AwaitClientFinal {
            username,
            nonce,
            client_first_bare: bare.to_owned(),
            server_first: server_first.clone(),
        };
        Ok(ScramServerStep::Challenge(server_first.into_bytes()))
    }

    fn client_final(
        &mut self,
        message: &[u8],
        username: String,
        nonce: String,
        client_first_bare: String,
        server_first: String,
    ) -> Result<ScramServerStep, SaslServerError> {
        let text = utf8(message)?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or_else(|| {
            SaslServerError::Malformed("client-final-message has no proof".into())
        })?;
        let mut channel_binding = None;
        let mut final_nonce = None;
        for attr in without_proof.split(',') {
            match attr.split_once('=') {
                Some(("c", v)) => channel_binding = Some(v),
                Some(("r", v)) => final_nonce = Some(v),
                _ => {}
            }
        }
        if channel_binding != Some("biws") {
            return Err(SaslServerError::Malformed(
                "channel binding must be biws (n,,)".into(),
            ));
        }
        if final_nonce != Some(nonce.as_str()) {
            return Err(SaslServerError::Malformed("nonce mismatch".into()));
        }
        let proof = BASE64
            .decode(proof)
            .map_err(|_| SaslServerError::Malformed("proof is not base64".into()))?;
        let credential = self
            .credentials
            .get(&username)
            .ok_or_else(|| SaslServerError::UnknownUser(username.clone()))?;
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_signature = self
            .hash
            .hmac(&credential.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return Err(SaslServerError::InvalidCredentials(username));
        }
        let client_key: Vec<u8> = proof
            .iter()
            .zip(&client_signature)
            .map(|(p, s)| p ^ s)
            .collect();
        if self.hash.hash(&client_key) != credential.stored_key {
            return Err(SaslServerError::InvalidCredentials(username));
        }
        let server_signature = self
            .hash
            .hmac(&credential.server_key, auth_message.as_bytes());
        Ok(ScramServerStep::Success {
            server_final: format!("v={}", BASE64.encode(server_signature)).into_bytes(),
            username,
        })
    }
}

/// Checks a PLAIN message (`authzid NUL user NUL password`) against `users` (user ->
/// password) and returns the user. A non-empty authzid must equal the user, as in Kafka.
pub fn verify_plain(
    message: &[u8],
    users: &HashMap<String, String>,
) -> Result<String, SaslServerError> {
    let text = utf8(message)?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslServerError::Malformed(
            "PLAIN needs exactly three NUL-separated fields".into(),
        ));
    };
    if !authzid.is_empty() && authzid != user {
        return Err(SaslServerError::InvalidCredentials(user.to_owned()));
    }
    match users.get(user) {
        None => Err(SaslServerError::UnknownUser(user.to_owned())),
        Some(expected) if expected == password => Ok(user.to_owned()),
        Some(_) => Err(SaslServerError::InvalidCredentials(user.to_owned())),
    }
}

fn utf8(message: &[u8]) -> Result<&str, SaslServerError> {
    std::str::from_utf8(message).map_err(|_| SaslServerError::Malformed("not UTF-8".into()))
}

fn unescape(name: &str) -> Result<String, SaslServerError> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(pos) = rest.find('=') {
        out.push_str(&rest[..pos]);
        let code = rest.get(pos..pos + 3);
        match code {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => {
                return Err(SaslServerError::Malformed(format!(
                    "bad escape in user name {name:?}"
                )))
            }
        }
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

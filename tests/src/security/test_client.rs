//! A client side of SCRAM computed from RFC 5802 directly, so tests check the broker's
//! verification against an independent implementation rather than against itself.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::scram_store::ScramMechanism;

pub(crate) fn salted_password(
    mechanism: ScramMechanism,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Vec<u8> {
    match mechanism {
        ScramMechanism::Sha256 => {
            let mut out = vec![0; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
            out
        }
        ScramMechanism::Sha512 => {
            let mut out = vec![0; 64];
            pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt, iterations, &mut out);
            out
        }
    }
}

fn hmac(mechanism: ScramMechanism, key: &[u8], data: &[u8]) -> Vec<u8> {
    match mechanism {
        ScramMechanism::Sha256 => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        ScramMechanism::Sha512 => {
            let mut mac = <Hmac<Sha512> as Mac>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
    }
}

fn hash(mechanism: ScramMechanism, data: &[u8]) -> Vec<u8> {
    match mechanism {
        ScramMechanism::Sha256 => Sha256::digest(data).to_vec(),
        ScramMechanism::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// One client exchange: `first()`, then `final_message(server_first)`, then
/// `verify_server(server_final)`.
pub(crate) struct ScramClient {
    mechanism: ScramMechanism,
    user: String,
    password: String,
    nonce: String,
    auth_message: String,
    salted: Vec<u8>,
}

impl ScramClient {
    pub(crate) fn new(mechanism: ScramMechanism, user: &str, password: &str) -> Self {
        Self {
            mechanism,
            user: user.to_owned(),
            password: password.to_owned(),
            nonce: "fyko+d2lbbFgONRv9qkxdawL".to_owned(),
            auth_message: String::new(),
            salted: Vec::new(),
        }
    }

    pub(crate) fn first(&self) -> Vec<u8> {
        format!("n,,n={},r={}", self.user, self.nonce).into_bytes()
    }

    pub(crate) fn final_message(&mut self, server_first: &[u8]) -> Vec<u8> {
        let server_first = std::str::from_utf8(server_first).unwrap().to_owned();
        let mut nonce = "";
        let mut salt = Vec::new();
        let mut iterations = 0;
        for attr in server_first.split(',') {
            match attr.split_once('=').unwrap() {
                ("r", v) => nonce = v,
                ("s", v) => salt = BASE64.decode(v).unwrap(),
                ("i", v) => iterations = v.parse().unwrap(),
                _ => {}
            }
        }
        assert!(
            nonce.starts_with(&self.nonce),
            "server nonce must extend the client's"
        );
        self.salted = salted_password(self.mechanism, &self.password, &salt, iterations);
        let without_proof = format!("c=biws,r={nonce}");
        self.auth_message = format!(
            "n={},r={},{server_first},{without_proof}",
            self.user, self.nonce
        );
        let client_key = hmac(self.mechanism, &self.salted, b"Client Key");
        let stored_key = hash(self.mechanism, &client_key);
        let signature = hmac(self.mechanism, &stored_key, self.auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        format!("{without_proof},p={}", BASE64.encode(proof)).into_bytes()
    }

    pub(crate) fn verify_server(&self, server_final: &[u8]) -> bool {
        let server_key = hmac(self.mechanism, &self.salted, b"Server Key");
        let expected = hmac(self.mechanism, &server_key, self.auth_message.as_bytes());
        server_final == format!("v={}", BASE64.encode(expected)).as_bytes()
    }
}

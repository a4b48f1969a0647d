//! SASL PLAIN (RFC 4616): one client message, `authzid NUL authcid NUL password`.
//!
//! Kafka ignores the authorization identity unless it equals the user name, so the client
//! sends it empty. The password travels in the clear: use PLAIN only inside TLS (`SASL_SSL`).

use crate::net::sasl::{SaslMechanism, SaslStep};
use crate::net::security::{Secret, SecurityError};

/// The PLAIN client.
#[derive(Debug)]
pub struct PlainClient {
    username: String,
    password: Secret,
    sent: bool,
}

impl PlainClient {
    /// A client for `username` / `password`.
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        Self {
            username: username.into(),
            password,
            sent: false,
        }
    }
}

impl SaslMechanism for PlainClient {
    fn name(&self) -> &str {
        "PLAIN"
    }

    fn initial_response(&mut self) -> Result<Vec<u8>, SecurityError> {
        // A NUL inside a field would shift the broker's split and authenticate someone else.
        if self.username.contains('\0') || self.password.expose().contains('\0') {
            return Err(SecurityError::Mechanism {
                mechanism: "PLAIN".into(),
                detail: "the user name and password must not contain NUL characters".into(),
            });
        }
        self.sent = true;
        let password = self.password.expose().as_bytes();
        let mut message = Vec::with_capacity(2 + self.username.len() + password.len());
        message.push(0);
        message.extend_from_slice(self.username.as_bytes());
        message.push(0);
        message.extend_from_slice(password);
        Ok(message)
    }

    fn step(&mut self, server_message: &[u8]) -> Result<SaslStep, SecurityError> {
        if !self.sent {
            return Err(SecurityError::Mechanism {
                mechanism: "PLAIN".into(),
                detail: "server message before the client's".into(),
            });
        }
        if !server_message.is_empty() {
            return Err(SecurityError::Mechanism {
                mechanism: "PLAIN".into(),
                detail: format!("unexpected {}-byte server challenge", server_message.len()),
            });
        }
        Ok(SaslStep::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_empty_authzid_user_and_password() {
        let mut c = PlainClient::new("alice", Secret::new("s3cret"));
        assert_eq!(c.initial_response().unwrap(), b"\0alice\0s3cret");
        assert_eq!(c.step(b"").unwrap(), SaslStep::Done);
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn nul_in_credentials_and_unexpected_challenges_are_errors() {
        let mut c = PlainClient::new("al\0ice", Secret::new("x"));
        assert!(c.initial_response().is_err());
        let mut c = PlainClient::new("alice", Secret::new("x"));
        assert!(c.step(b"").is_err(), "step before initial response");
        c.initial_response().unwrap();
        assert!(c.step(b"challenge").is_err());
    }
}

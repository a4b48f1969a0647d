//! SASL GSSAPI (Kerberos V5, RFC 4752), cargo feature `gssapi`.
//!
//! Not implemented in this build: see [`client`].

use crate::net::sasl::{SaslConfig, SaslMechanism};
use crate::net::security::SecurityError;

/// The GSSAPI mechanism for `cfg`.
pub fn client(cfg: &SaslConfig) -> Result<Box<dyn SaslMechanism>, SecurityError> {
    let _ = cfg;
    Err(SecurityError::Unavailable {
        what: "SASL GSSAPI",
        reason: "this build has no GSSAPI support (cargo feature `gssapi`)".into(),
    })
}

//! SASL GSSAPI: Kerberos V5 authentication (RFC 4752; Kafka KIP-12), cargo feature `gssapi`.
//!
//! The exchange: GSS-API context tokens until the security context is established (the
//! first token is a Kerberos AP-REQ for `sasl.kerberos.service.name@<broker host>`; the
//! broker's reply completes mutual authentication), then the broker sends a wrapped 4-byte
//! offer (supported security layers and maximum message size) and the client answers with a
//! wrapped choice of "no security layer" (Kafka never uses one; use TLS for privacy).
//!
//! The binding is the `libgssapi` crate, a safe wrapper over the system's GSS-API library
//! (MIT Kerberos `libgssapi_krb5`). The workspace forbids `unsafe` code, which rules out
//! calling Cyrus SASL through `sasl2-sys` directly. Building with the feature needs the
//! Kerberos development files and libclang (Debian: `libkrb5-dev libclang-dev`).
//!
//! Credentials come from the default ticket cache (`kinit` / `KRB5CCNAME`) or, with
//! `sasl.kerberos.principal`, from that principal's credentials (a keytab named by
//! `KRB5_CLIENT_KTNAME` works). Acquiring tickets may talk to the KDC, so
//! [`authenticate_broker`](super::authenticate_broker) runs each step on a blocking thread.

use crate::net::sasl::{SaslConfig, SaslMechanism};
use crate::net::security::SecurityError;

/// The GSSAPI mechanism for `cfg`, authenticating to the broker at `broker_host`.
#[cfg(feature = "gssapi")]
pub fn client(
    cfg: &SaslConfig,
    broker_host: Option<&str>,
) -> Result<Box<dyn SaslMechanism>, SecurityError> {
    let host = broker_host
        .filter(|h| !h.is_empty())
        .ok_or_else(|| SecurityError::Unavailable {
            what: "SASL GSSAPI",
            reason: "GSSAPI needs the broker's host name for the service principal: \
                 use sasl::authenticate_broker"
                .into(),
        })?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok(Box::new(imp::GssapiClient::new(
        cfg.kerberos_service_name(),
        host,
        cfg.kerberos_principal(),
    )))
}

/// The GSSAPI mechanism: unavailable without the `gssapi` cargo feature.
#[cfg(not(feature = "gssapi"))]
pub fn client(
    cfg: &SaslConfig,
    broker_host: Option<&str>,
) -> Result<Box<dyn SaslMechanism>, SecurityError> {
    let _ = (cfg, broker_host);
    Err(SecurityError::Unavailable {
        what: "SASL GSSAPI",
        reason: "this build lacks the `gssapi` cargo feature".into(),
    })
}

#[cfg(feature = "gssapi")]
mod imp {
    use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext};
    use libgssapi::credential::{Cred, CredUsage};
    use libgssapi::name::Name;
    use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, GSS_NT_KRB5_PRINCIPAL};

    use crate::net::sasl::{SaslMechanism, SaslStep};
    use crate::net::security::SecurityError;

    /// RFC 4752 security layer bit for "no security layer".
    const NO_SECURITY_LAYER: u8 = 0x01;

    enum State {
        Start,
        Negotiating(ClientCtx),
        AwaitSecurityLayer(ClientCtx),
        AwaitOutcome,
        Done,
        Failed,
    }

    pub(super) struct GssapiClient {
        service: String,
        host: String,
        principal: Option<String>,
        state: State,
    }

    impl GssapiClient {
        pub(super) fn new(service: &str, host: &str, principal: Option<&str>) -> Self {
            Self {
                service: service.to_owned(),
                host: host.to_owned(),
                principal: principal.map(str::to_owned),
                state: State::Start,
            }
        }

        fn error(&mut self, detail: impl Into<String>) -> SecurityError {
            self.state = State::Failed;
            SecurityError::Mechanism {
                mechanism: "GSSAPI".into(),
                detail: detail.into(),
            }
        }

        fn context(&mut self) -> Result<ClientCtx, SecurityError> {
            let target = format!("{}@{}", self.service, self.host);
            let target = Name::new(target.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
                .and_then(|n| n.canonicalize(Some(GSS_MECH_KRB5)))
                .map_err(|e| self.error(format!("bad service principal {target:?}: {e}")))?;
            let cred = match &self.principal {
                Some(p) => {
                    let principal = p.clone();
                    let name = Name::new(principal.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                        .map_err(|e| {
                            self.error(format!("bad sasl.kerberos.principal {principal:?}: {e}"))
                        })?;
                    let cred = Cred::acquire(Some(&name), None, CredUsage::Initiate, None)
                        .map_err(|e| {
                            self.error(format!("no Kerberos credentials for {principal:?}: {e}"))
                        })?;
                    Some(cred)
                }
                None => None,
            };
            let flags = CtxFlags::GSS_C_MUTUAL_FLAG
                | CtxFlags::GSS_C_SEQUENCE_FLAG
                | CtxFlags::GSS_C_INTEG_FLAG;
            Ok(ClientCtx::new(cred, target, flags, Some(GSS_MECH_KRB5)))
        }
    }

    impl SaslMechanism for GssapiClient {
        fn name(&self) -> &str {
            "GSSAPI"
        }

        fn initial_response(&mut self) -> Result<Vec<u8>, SecurityError> {
            if !matches!(self.state, State::Start) {
                return Err(self.error("initial response requested twice"));
            }
            let mut ctx = self.context()?;
            let token = match ctx.step(None, None) {
                Ok(Some(token)) => token.to_vec(),
                Ok(None) => Vec::new(),
                Err(e) => return Err(self.error(format!("cannot start the Kerberos context: {e}"))),
            };
            self.state = if ctx.is_complete() {
                State::AwaitSecurityLayer(ctx)
            } else {
                State::Negotiating(ctx)
            };
            Ok(token)
        }

        fn step(&mut self, server_message: &[u8]) -> Result<SaslStep, SecurityError> {
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Negotiating(mut ctx) => {
                    let out = match ctx.step(Some(server_message), None) {
                        Ok(out) => out.map(|t| t.to_vec()).unwrap_or_default(),
                        Err(e) => return Err(self.error(format!("Kerberos context failed: {e}"))),
                    };
                    self.state = if ctx.is_complete() {
                        State::AwaitSecurityLayer(ctx)
                    } else {
                        State::Negotiating(ctx)
                    };
                    Ok(SaslStep::Respond(out))
                }
                State::AwaitSecurityLayer(mut ctx) => {
                    let offer = match ctx.unwrap(server_message) {
                        Ok(offer) => offer.to_vec(),
                        Err(e) => {
                            return Err(
                                self.error(format!("cannot unwrap the security layer offer: {e}"))
                            )
                        }
                    };
                    let layers = match offer.as_slice() {
                        [layers, _, _, _] => *layers,
                        _ => {
                            return Err(self.error(format!(
                                "security layer offer has {} bytes, not 4",
                                offer.len()
                            )))
                        }
                    };
                    if layers & NO_SECURITY_LAYER == 0 {
                        return Err(self.error("the broker requires a SASL security layer, which Kafka clients do not use"));
                    }
                    // No security layer, no maximum size, no authorization identity.
                    let reply = match ctx.wrap(false, &[NO_SECURITY_LAYER, 0, 0, 0]) {
                        Ok(reply) => reply.to_vec(),
                        Err(e) => {
                            return Err(
                                self.error(format!("cannot wrap the security layer choice: {e}"))
                            )
                        }
                    };
                    self.state = State::AwaitOutcome;
                    Ok(SaslStep::Respond(reply))
                }
                State::AwaitOutcome => {
                    self.state = State::Done;
                    Ok(SaslStep::Done)
                }
                State::Start | State::Done | State::Failed => {
                    Err(self.error("server message out of sequence"))
                }
            }
        }

        fn step_is_expensive(&self) -> bool {
            // Context steps may contact the KDC.
            !matches!(
                self.state,
                State::AwaitOutcome | State::Done | State::Failed
            )
        }
    }
}

//! The per-connection SASL gate, run by the actor on every request before holds, faults
//! and handlers (step 1 of the contract in [`crate::security`]): pre-authentication
//! requests other than ApiVersions and the SASL APIs close the connection; SaslHandshake
//! and SaslAuthenticate are answered here from the connection's
//! [`crate::security::ConnectionAuth`], since their answer depends on the connection.

use kafka_protocol::messages::{ApiKey, RequestBody, ResponseBody};

use crate::actor::{Incoming, Reply, WriteEffects};
use crate::security::Gate;
use crate::state::ClusterState;

/// Applies the gate; returns the request when it goes on to the usual pipeline.
pub(crate) fn gate(state: &mut ClusterState, incoming: Incoming) -> Option<Incoming> {
    let api = incoming.frame.api_key;
    let sasl_api = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
    if !state.security.gated() && !sasl_api {
        // Nothing to check, but the connection is recorded (listener, principal) so
        // `Cluster::principals`/`sessions` list every connection that sent a request.
        state.security.open(incoming.connection, incoming.listener);
        return Some(incoming);
    }
    let now_ms = state.now_ms();
    let version = incoming.frame.header.request_api_version;
    let correlation_id = incoming.frame.header.correlation_id;
    let connection = incoming.connection;
    let respond = |body: ResponseBody, close: bool| Reply::Response {
        version,
        correlation_id,
        body,
        effects: WriteEffects { close_after_write: close, ..WriteEffects::default() },
    };
    let security = &mut state.security;
    let reply = match security.open(connection, incoming.listener).gate(api, now_ms) {
        Gate::Dispatch => return Some(incoming),
        Gate::Close => {
            tracing::info!(connection, api = api.name(), "request before SASL authentication; closing");
            Reply::Close
        }
        Gate::ErrorThenClose(code) => match super::entry(api).and_then(|e| (e.error_response)(&incoming.frame.body, version, code)) {
            Some(body) => respond(body, true),
            None => Reply::Close,
        },
        Gate::Sasl => {
            let (body, close) = security.sasl_request(connection, &incoming.frame.body, version, now_ms);
            respond(body, close)
        }
    };
    let _ = incoming.reply.send(reply);
    None
}

impl crate::state::security::BrokerSecurity {
    /// Answers a SaslHandshake or SaslAuthenticate on `connection`: the response and
    /// whether the connection closes after it.
    pub(crate) fn sasl_request(&mut self, connection: u64, body: &RequestBody, version: i16, now_ms: i64) -> (ResponseBody, bool) {
        let (sasl, scram, conn) = self.parts(connection);
        match body {
            RequestBody::SaslHandshake(r) => {
                let reply = conn.handshake(sasl, r, now_ms);
                (reply.response.into(), reply.close)
            }
            RequestBody::SaslAuthenticate(r) => {
                let reply = conn.authenticate(sasl, scram, r, version, now_ms);
                if !reply.close && conn.is_authenticated() {
                    tracing::debug!(connection, principal = conn.principal(), "SASL authentication step done");
                }
                (reply.response.into(), reply.close)
            }
            other => {
                // `gate` returns Sasl only for the two SASL APIs.
                tracing::error!(api = other.api_key().name(), "SASL gate for a non-SASL request");
                let response = kafka_protocol::messages::SaslHandshakeResponse::default()
                    .with_error_code(crate::security::codes::ILLEGAL_SASL_STATE);
                (response.into(), true)
            }
        }
    }
}

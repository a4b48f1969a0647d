//! SaslHandshake (key 17). Answered by the SASL gate ([`super::security::gate`]) from the
//! connection's authentication state; the dispatch entry exists for the version table,
//! fault injection (`error_response`) and the request log.

use kafka_protocol::messages::{SaslHandshakeRequest, SaslHandshakeResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

/// Not reached through dispatch (the gate answers first); answers as Kafka does for a
/// handshake it cannot take: ILLEGAL_SASL_STATE with the enabled mechanisms.
pub(crate) fn handle(ctx: &mut Ctx<'_>, req: SaslHandshakeRequest) -> Outcome {
    let mut response = error_response(&req, ctx.version, crate::security::codes::ILLEGAL_SASL_STATE);
    response.mechanisms = ctx.state.security.sasl.enabled_mechanisms.iter().map(|m| m.name().to_owned()).collect();
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &SaslHandshakeRequest, _version: i16, code: i16) -> SaslHandshakeResponse {
    SaslHandshakeResponse::default().with_error_code(code)
}

pub(crate) fn touched(_req: &SaslHandshakeRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

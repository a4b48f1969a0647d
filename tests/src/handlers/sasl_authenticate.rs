//! SaslAuthenticate (key 36). Answered by the SASL gate ([`super::security::gate`]) from
//! the connection's authentication state; the dispatch entry exists for the version table,
//! fault injection (`error_response`) and the request log.

use kafka_protocol::messages::{SaslAuthenticateRequest, SaslAuthenticateResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 2);

/// Not reached through dispatch (the gate answers first); answers ILLEGAL_SASL_STATE.
pub(crate) fn handle(ctx: &mut Ctx<'_>, req: SaslAuthenticateRequest) -> Outcome {
    Outcome::Respond(error_response(&req, ctx.version, crate::security::codes::ILLEGAL_SASL_STATE).into())
}

pub(crate) fn error_response(_req: &SaslAuthenticateRequest, _version: i16, code: i16) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse::default()
        .with_error_code(code)
        .with_error_message(Some(kafka_protocol::ErrorCode::from_i16(code).to_string()))
}

pub(crate) fn touched(_req: &SaslAuthenticateRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

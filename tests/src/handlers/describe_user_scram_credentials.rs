//! DescribeUserScramCredentials (key 50, KIP-554): mechanisms and iterations of the SCRAM credentials SASL logins are checked against.

use kafka_protocol::messages::{DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeUserScramCredentialsRequest) -> Outcome {
    Outcome::Respond(ctx.state.security.scram.describe(&req).into())
}

pub(crate) fn error_response(_req: &DescribeUserScramCredentialsRequest, _version: i16, code: i16) -> DescribeUserScramCredentialsResponse {
    DescribeUserScramCredentialsResponse::default().with_error_code(code)
}

pub(crate) fn touched(_req: &DescribeUserScramCredentialsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

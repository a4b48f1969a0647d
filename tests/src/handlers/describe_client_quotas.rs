//! DescribeClientQuotas (key 48, v0-1, KIP-546): the quotas stored by AlterClientQuotas, from
//! [`crate::config::QuotaStore`] (stored and described, not enforced).

use kafka_protocol::messages::{DescribeClientQuotasRequest, DescribeClientQuotasResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeClientQuotasRequest) -> Outcome {
    Outcome::Respond(ctx.state.quotas.describe(&req).into())
}

pub(crate) fn error_response(_req: &DescribeClientQuotasRequest, _version: i16, code: i16) -> DescribeClientQuotasResponse {
    DescribeClientQuotasResponse::default().with_error_code(code)
}

pub(crate) fn touched(_req: &DescribeClientQuotasRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

//! OffsetDelete (key 47, KIP-496), through the group coordinator.

use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: OffsetDeleteRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let state = &mut *ctx.state;
    Outcome::Respond(state.groups.offset_delete(ctx.version, &state.topics, &req).into())
}

pub(crate) fn error_response(_req: &OffsetDeleteRequest, _version: i16, code: i16) -> OffsetDeleteResponse {
    let mut r = OffsetDeleteResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(req: &OffsetDeleteRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect())).collect()
}

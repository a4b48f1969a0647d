//! ConsumerGroupHeartbeat (key 68, KIP-848), through the group coordinator.

use kafka_protocol::messages::{ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse};
use kafka_protocol::VersionRange;

use super::groups::{client, is_coordinator, now, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ConsumerGroupHeartbeatRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let info = client(ctx);
    let state = &mut *ctx.state;
    Outcome::Respond(state.groups.consumer_group_heartbeat(now(), ctx.version, &info, &state.topics, &req).into())
}

pub(crate) fn error_response(_req: &ConsumerGroupHeartbeatRequest, _version: i16, code: i16) -> ConsumerGroupHeartbeatResponse {
    let mut r = ConsumerGroupHeartbeatResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(_req: &ConsumerGroupHeartbeatRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

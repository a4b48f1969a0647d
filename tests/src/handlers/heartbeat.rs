//! Heartbeat (key 12): classic group liveness, through the group coordinator.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, now, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: HeartbeatRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    Outcome::Respond(ctx.state.groups.heartbeat(now(), ctx.version, req).into())
}

pub(crate) fn error_response(_req: &HeartbeatRequest, _version: i16, code: i16) -> HeartbeatResponse {
    let mut r = HeartbeatResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(_req: &HeartbeatRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

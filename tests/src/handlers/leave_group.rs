//! LeaveGroup (key 13): members leaving (batched from v3, KIP-345), through the group
//! coordinator; may complete parked joins.

use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, now, outcome, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: LeaveGroupRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let handled = ctx.state.groups.leave_group(now(), ctx.version, req);
    outcome(ctx, 0, handled)
}

pub(crate) fn error_response(_req: &LeaveGroupRequest, _version: i16, code: i16) -> LeaveGroupResponse {
    let mut r = LeaveGroupResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(_req: &LeaveGroupRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

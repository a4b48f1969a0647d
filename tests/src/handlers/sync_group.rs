//! SyncGroup (key 14): the leader's assignment, through the group coordinator. Followers'
//! syncs park until the leader's arrives.

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, now, outcome, token, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: SyncGroupRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let (raw, t) = token(ctx);
    let handled = ctx.state.groups.sync_group(now(), t, ctx.version, req);
    outcome(ctx, raw, handled)
}

pub(crate) fn error_response(_req: &SyncGroupRequest, _version: i16, code: i16) -> SyncGroupResponse {
    let mut r = SyncGroupResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(_req: &SyncGroupRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

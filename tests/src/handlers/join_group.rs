//! JoinGroup (key 11): classic group membership, through the group coordinator (KIP-394,
//! KIP-345). May park until the rebalance completes.

use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::VersionRange;

use super::groups::{client, is_coordinator, now, outcome, token, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 9);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: JoinGroupRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let (raw, t) = token(ctx);
    let info = client(ctx);
    let handled = ctx.state.groups.join_group(now(), t, ctx.version, &info, req);
    outcome(ctx, raw, handled)
}

pub(crate) fn error_response(_req: &JoinGroupRequest, _version: i16, code: i16) -> JoinGroupResponse {
    let mut r = JoinGroupResponse::default();
    r.error_code = code;
    r.generation_id = -1;
    r
}

pub(crate) fn touched(_req: &JoinGroupRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

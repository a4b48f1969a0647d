//! DeleteGroups (key 42), through the group coordinator; NOT_COORDINATOR for every group when
//! any is coordinated elsewhere.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 2);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DeleteGroupsRequest) -> Outcome {
    if !req.groups_names.iter().all(|g| is_coordinator(ctx, g)) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    Outcome::Respond(ctx.state.groups.delete_groups(ctx.version, &req).into())
}

pub(crate) fn error_response(req: &DeleteGroupsRequest, _version: i16, code: i16) -> DeleteGroupsResponse {
    let mut r = DeleteGroupsResponse::default();
    r.results = req
        .groups_names
        .iter()
        .map(|g| DeletableGroupResult::default().with_group_id(g.clone()).with_error_code(code))
        .collect();
    r
}

pub(crate) fn touched(_req: &DeleteGroupsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

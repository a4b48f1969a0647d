//! ListGroups (key 16): the groups this broker coordinates (admin clients ask every broker).

use kafka_protocol::messages::{ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::VersionRange;

use super::groups::is_coordinator;
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ListGroupsRequest) -> Outcome {
    let mut response = ctx.state.groups.list_groups(ctx.version, &req);
    let groups = std::mem::take(&mut response.groups);
    response.groups = groups.into_iter().filter(|g| is_coordinator(ctx, &g.group_id)).collect();
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &ListGroupsRequest, _version: i16, code: i16) -> ListGroupsResponse {
    let mut r = ListGroupsResponse::default();
    r.error_code = code;
    r
}

pub(crate) fn touched(_req: &ListGroupsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

//! DescribeGroups (key 15), through the group coordinator. A request naming a group this
//! broker does not coordinate is answered NOT_COORDINATOR for every group (clients batch
//! groups per coordinator, so mixed requests do not occur in practice).

use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeGroupsRequest) -> Outcome {
    if !req.groups.iter().all(|g| is_coordinator(ctx, g)) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    Outcome::Respond(ctx.state.groups.describe_groups(ctx.version, &req).into())
}

pub(crate) fn error_response(req: &DescribeGroupsRequest, _version: i16, code: i16) -> DescribeGroupsResponse {
    let mut r = DescribeGroupsResponse::default();
    r.groups = req
        .groups
        .iter()
        .map(|g| {
            let mut d = DescribedGroup::default();
            d.group_id = g.clone();
            d.error_code = code;
            d
        })
        .collect();
    r
}

pub(crate) fn touched(_req: &DescribeGroupsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

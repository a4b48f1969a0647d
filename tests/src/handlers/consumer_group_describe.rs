//! ConsumerGroupDescribe (key 69, KIP-848), through the group coordinator.

use kafka_protocol::messages::consumer_group_describe_response::DescribedGroup;
use kafka_protocol::messages::{ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ConsumerGroupDescribeRequest) -> Outcome {
    if !req.group_ids.iter().all(|g| is_coordinator(ctx, g)) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let state = &*ctx.state;
    Outcome::Respond(state.groups.consumer_group_describe(ctx.version, &state.topics, &req).into())
}

pub(crate) fn error_response(req: &ConsumerGroupDescribeRequest, _version: i16, code: i16) -> ConsumerGroupDescribeResponse {
    let mut r = ConsumerGroupDescribeResponse::default();
    r.groups = req
        .group_ids
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

pub(crate) fn touched(_req: &ConsumerGroupDescribeRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

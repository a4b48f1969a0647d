//! OffsetCommit (key 8), through the group coordinator.

use kafka_protocol::messages::offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, now, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 9);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: OffsetCommitRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let state = &mut *ctx.state;
    Outcome::Respond(state.groups.offset_commit(now(), ctx.version, &state.topics, &req).into())
}

pub(crate) fn error_response(req: &OffsetCommitRequest, _version: i16, code: i16) -> OffsetCommitResponse {
    let mut r = OffsetCommitResponse::default();
    r.topics = req
        .topics
        .iter()
        .map(|t| {
            OffsetCommitResponseTopic::default().with_name(t.name.clone()).with_partitions(
                t.partitions
                    .iter()
                    .map(|p| OffsetCommitResponsePartition::default().with_partition_index(p.partition_index).with_error_code(code))
                    .collect(),
            )
        })
        .collect();
    r
}

pub(crate) fn touched(req: &OffsetCommitRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect())).collect()
}

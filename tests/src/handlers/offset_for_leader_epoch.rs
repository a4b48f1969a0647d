//! OffsetForLeaderEpoch (key 23, KIP-101/KIP-279/KIP-320): the end offset of a leader epoch,
//! from the partition log's epoch cache, so clients can detect log truncation.

use kafka_protocol::messages::offset_for_leader_epoch_response::{EpochEndOffset, OffsetForLeaderTopicResult};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};
use kafka_protocol::VersionRange;

use super::util::epoch_check;
use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: OffsetForLeaderEpochRequest) -> Outcome {
    let mut response = OffsetForLeaderEpochResponse::default();
    for t in &req.topics {
        let mut topic_out = OffsetForLeaderTopicResult::default().with_topic(t.topic.clone());
        for p in &t.partitions {
            let mut out = EpochEndOffset::default().with_partition(p.partition);
            out.end_offset = -1;
            out.leader_epoch = -1;
            match lookup(ctx, &t.topic, p.partition, p.current_leader_epoch, p.leader_epoch) {
                Ok((epoch, end)) => {
                    out.leader_epoch = epoch;
                    out.end_offset = end;
                }
                Err(code) => out.error_code = code,
            }
            topic_out.partitions.push(out);
        }
        response.topics.push(topic_out);
    }
    Outcome::Respond(response.into())
}

fn lookup(ctx: &Ctx<'_>, topic: &str, partition: i32, current: i32, epoch: i32) -> Result<(i32, i64), i16> {
    if let Some(code) = ctx.injected_error(topic, partition) {
        return Err(code);
    }
    let p = ctx
        .state
        .topics
        .get(topic)
        .and_then(|t| t.partition(partition))
        .ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
    if p.leader != Some(ctx.broker) {
        return Err(codes::NOT_LEADER_OR_FOLLOWER);
    }
    epoch_check(current, p.leader_epoch)?;
    Ok(p.log.end_offset_for_epoch(epoch, p.leader_epoch))
}

pub(crate) fn error_response(req: &OffsetForLeaderEpochRequest, _version: i16, code: i16) -> OffsetForLeaderEpochResponse {
    let mut response = OffsetForLeaderEpochResponse::default();
    for t in &req.topics {
        let mut topic = OffsetForLeaderTopicResult::default().with_topic(t.topic.clone());
        for p in &t.partitions {
            let mut out = EpochEndOffset::default().with_partition(p.partition).with_error_code(code);
            out.end_offset = -1;
            topic.partitions.push(out);
        }
        response.topics.push(topic);
    }
    response
}

pub(crate) fn touched(req: &OffsetForLeaderEpochRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .map(|t| (t.topic.clone(), t.partitions.iter().map(|p| p.partition).collect()))
        .collect()
}

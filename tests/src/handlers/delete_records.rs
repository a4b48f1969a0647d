//! DeleteRecords (key 21): moves a partition's log start offset forward (-1 = to the high
//! watermark). Also home of time/size retention (`retention.ms`, `retention.bytes`), which
//! the cluster applies on demand.

use kafka_protocol::messages::delete_records_response::{DeleteRecordsPartitionResult, DeleteRecordsTopicResult};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 2);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DeleteRecordsRequest) -> Outcome {
    let mut response = DeleteRecordsResponse::default();
    for t in &req.topics {
        let mut topic_out = DeleteRecordsTopicResult::default().with_name(t.name.clone());
        for p in &t.partitions {
            let mut out = DeleteRecordsPartitionResult::default().with_partition_index(p.partition_index);
            out.low_watermark = -1;
            match delete(ctx, &t.name, p.partition_index, p.offset) {
                Ok(low) => out.low_watermark = low,
                Err(code) => out.error_code = code,
            }
            topic_out.partitions.push(out);
        }
        response.topics.push(topic_out);
    }
    Outcome::Respond(response.into())
}

fn delete(ctx: &mut Ctx<'_>, topic: &str, partition: i32, offset: i64) -> Result<i64, i16> {
    if let Some(code) = ctx.injected_error(topic, partition) {
        return Err(code);
    }
    let broker = ctx.broker;
    let p = ctx
        .state
        .topics
        .get_mut(topic)
        .and_then(|t| t.partition_mut(partition))
        .ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
    if p.leader != Some(broker) {
        return Err(codes::NOT_LEADER_OR_FOLLOWER);
    }
    let target = if offset == -1 { p.log.high_watermark() } else { offset };
    if target < 0 || target > p.log.high_watermark() {
        return Err(codes::OFFSET_OUT_OF_RANGE);
    }
    p.truncate_front(target);
    ctx.changed = true;
    Ok(p.log.log_start_offset())
}

/// Deletes old batches by `retention.ms` (batch max timestamp older than `now_ms - retention`)
/// and `retention.bytes` (log larger than the limit), never the newest batch.
pub(crate) fn apply_retention(state: &mut ClusterState, now_ms: i64) -> usize {
    let mut removed = 0;
    let store = &state.config_store;
    for topic in state.topics.iter_mut() {
        let config = store.topic_config(&topic.name);
        // Negative values mean unlimited, as in Kafka.
        let retention_ms: Option<i64> = Some(config.retention_ms()).filter(|v| *v >= 0);
        let retention_bytes: Option<usize> =
            usize::try_from(config.retention_bytes()).ok();
        if retention_ms.is_none() && retention_bytes.is_none() {
            continue;
        }
        for p in &mut topic.partitions {
            removed += p.log.retain_front(|batch, size| {
                let too_old = retention_ms.is_some_and(|ms| batch.max_timestamp < now_ms.saturating_sub(ms));
                let too_big = retention_bytes.is_some_and(|limit| size > limit);
                too_old || too_big
            });
            p.txn.truncate_front(p.log.log_start_offset());
        }
    }
    removed
}

pub(crate) fn error_response(req: &DeleteRecordsRequest, _version: i16, code: i16) -> DeleteRecordsResponse {
    let mut response = DeleteRecordsResponse::default();
    for t in &req.topics {
        let mut topic = DeleteRecordsTopicResult::default().with_name(t.name.clone());
        for p in &t.partitions {
            topic.partitions.push(
                DeleteRecordsPartitionResult::default()
                    .with_partition_index(p.partition_index)
                    .with_low_watermark(-1)
                    .with_error_code(code),
            );
        }
        response.topics.push(topic);
    }
    response
}

pub(crate) fn touched(req: &DeleteRecordsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect()))
        .collect()
}

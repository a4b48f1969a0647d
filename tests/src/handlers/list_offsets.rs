//! ListOffsets (key 2): earliest (-2), latest (-1), max timestamp (-3, KIP-734), earliest
//! local (-4, same as earliest here) and by timestamp; v0's old-style offset list; leader
//! epochs (v4+); leader and epoch checks.

use kafka_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::records::{DecodeOptions, RecordSet, RecordSetEntry, TimestampType};
use kafka_protocol::VersionRange;

use super::util::epoch_check;
use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 10);

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ListOffsetsRequest) -> Outcome {
    let version = ctx.version;
    let mut response = ListOffsetsResponse::default();
    for t in &req.topics {
        let mut topic_out = ListOffsetsTopicResponse::default().with_name(t.name.clone());
        for p in &t.partitions {
            let mut out = ListOffsetsPartitionResponse::default().with_partition_index(p.partition_index);
            match lookup(ctx, &t.name, p.partition_index, p.current_leader_epoch, p.timestamp, req.isolation_level) {
                Ok((offset, timestamp, epoch)) => {
                    if version == 0 {
                        out.old_style_offsets = if offset >= 0 { vec![offset] } else { Vec::new() };
                    } else {
                        out.offset = offset;
                        out.timestamp = timestamp;
                        if version >= 4 {
                            out.leader_epoch = epoch;
                        }
                    }
                }
                Err(code) => out.error_code = code,
            }
            topic_out.partitions.push(out);
        }
        response.topics.push(topic_out);
    }
    Outcome::Respond(response.into())
}

/// (offset, timestamp, leader epoch) for one partition.
fn lookup(
    ctx: &Ctx<'_>,
    topic: &str,
    partition: i32,
    current_epoch: i32,
    timestamp: i64,
    isolation_level: i8,
) -> Result<(i64, i64, i32), i16> {
    if let Some(code) = ctx.injected_error(topic, partition) {
        return Err(code);
    }
    let t = ctx.state.topics.get(topic).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
    let p = t.partition(partition).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
    if p.leader != Some(ctx.broker) {
        return Err(codes::NOT_LEADER_OR_FOLLOWER);
    }
    epoch_check(current_epoch, p.leader_epoch)?;
    let log = &p.log;
    let epoch = p.leader_epoch;
    Ok(match timestamp {
        LATEST => {
            let end = if isolation_level == 1 { p.last_stable_offset() } else { log.high_watermark() };
            (end, -1, epoch)
        }
        EARLIEST | EARLIEST_LOCAL => (log.log_start_offset(), -1, epoch),
        LATEST_TIERED => (log.log_start_offset().saturating_sub(1), -1, epoch),
        MAX_TIMESTAMP => match log.max_timestamp() {
            Some((base, max_ts, e)) => {
                let (offset, ts) = record_in_batch(log, base, |_, ts| ts == max_ts).unwrap_or((base, max_ts));
                (offset, ts, e)
            }
            None => (-1, -1, -1),
        },
        ts if ts >= 0 => match log.offset_for_timestamp(ts) {
            Some((base, max_ts, e)) => {
                let start = log.log_start_offset();
                let (offset, found) =
                    record_in_batch(log, base, |o, t| o >= start && t >= ts).unwrap_or((base, max_ts));
                (offset, found, e)
            }
            None => (-1, -1, -1),
        },
        _ => return Err(codes::INVALID_REQUEST),
    })
}

/// Kafka answers by-timestamp and max-timestamp lookups with one record, not a batch: the
/// first record of the batch at `base_offset` for which `pick(offset, timestamp)` holds.
/// `None` for LogAppendTime batches (every record carries the batch's timestamp, so the
/// batch-level answer is already the record-level one) or a batch that does not decode.
fn record_in_batch(
    log: &crate::state::log::PartitionLog,
    base_offset: i64,
    pick: impl Fn(i64, i64) -> bool,
) -> Option<(i64, i64)> {
    let read = log.read(base_offset, i64::MAX, 1, false);
    let options = DecodeOptions::default();
    for entry in RecordSet::with_options(read.records, options) {
        let RecordSetEntry::Batch(batch) = entry.ok()? else { return None };
        if batch.header.timestamp_type == TimestampType::LogAppendTime {
            return None;
        }
        let records = batch.records(&options).ok()?;
        for record in records.iter() {
            let record = record.ok()?;
            if pick(record.offset, record.timestamp) {
                return Some((record.offset, record.timestamp));
            }
        }
    }
    None
}

pub(crate) fn error_response(req: &ListOffsetsRequest, _version: i16, code: i16) -> ListOffsetsResponse {
    let mut response = ListOffsetsResponse::default();
    for t in &req.topics {
        let mut topic = ListOffsetsTopicResponse::default().with_name(t.name.clone());
        for p in &t.partitions {
            topic.partitions.push(
                ListOffsetsPartitionResponse::default().with_partition_index(p.partition_index).with_error_code(code),
            );
        }
        response.topics.push(topic);
    }
    response
}

pub(crate) fn touched(req: &ListOffsetsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect()))
        .collect()
}

//! Produce (key 0), versions 3+ (record batch v2 only): acks 0/1/-1 (acks=0 gets no
//! response), batch validation (length, magic, CRC-32C, codec, record count), storage as
//! received with the base offset and partition leader epoch patched, LogAppendTime topics,
//! `max.message.bytes`, and NOT_LEADER_OR_FOLLOWER with KIP-951 leader hints (v10+).
//!
//! Idempotent and transactional producers (KIP-98) are checked per partition by
//! `crate::txn` before the append.

use std::collections::BTreeSet;

use kafka_protocol::messages::produce_response::{
    LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::VersionRange;

use super::util::{leader_check, leader_hint};
use super::{Ctx, Outcome};
use crate::batch;
use crate::codes;
use crate::state::ClusterState;
use crate::txn::{AppendDecision, BatchProducerInfo};

pub(crate) const VERSIONS: VersionRange = VersionRange::new(3, 11);

/// Milliseconds since the Unix epoch by the system clock.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ProduceRequest) -> Outcome {
    let version = ctx.version;
    let acks_valid = matches!(req.acks, -1..=1);
    // Kafka refuses a request holding transactional batches but no transactional id as a
    // whole, TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition (checked against Kafka
    // 4.3 by tests/differential.rs).
    if req.transactional_id.is_none() && has_transactional_batch(&req) {
        if req.acks == 0 {
            return Outcome::Close;
        }
        return Outcome::Respond(error_response(&req, version, kafka_protocol::ErrorCode::TransactionalIdAuthorizationFailed.code()).into());
    }
    let mut response = ProduceResponse::default();
    let mut hinted = BTreeSet::new();
    for topic_data in req.topic_data {
        let mut topic_out = TopicProduceResponse::default().with_name(topic_data.name.clone());
        for part in topic_data.partition_data {
            let mut out = PartitionProduceResponse::default().with_index(part.index);
            out.base_offset = -1;
            let mut verification_failed = false;
            let result = if !acks_valid {
                Err((codes::INVALID_REQUIRED_ACKS, None))
            } else if let Some(code) = ctx.injected_error(&topic_data.name, part.index) {
                Err((code, None))
            } else if let Some(code) = txn_verification_error(ctx.state, &topic_data.name, part.index, part.records.as_ref()) {
                verification_failed = true;
                Err((code, None))
            } else {
                append(ctx, &topic_data.name, part.index, part.records.clone().unwrap_or_default(), req.acks)
            };
            match result {
                Ok(appended) => {
                    out.base_offset = appended.base_offset;
                    out.log_append_time_ms = appended.log_append_time.unwrap_or(-1);
                    out.log_start_offset = appended.log_start_offset;
                    ctx.changed = true;
                }
                Err((code, message)) => {
                    out.error_code = code;
                    if version >= 8 {
                        out.error_message = message;
                    }
                    // Kafka's ReplicaManager leaves log_start_offset at -1 only for unknown
                    // partitions, not-leader, too-large, corrupt and storage errors; every other
                    // rejected append (sequence, epoch, timestamp, record validation) reports
                    // the partition's log start offset (checked against Kafka 4.3 by
                    // tests/differential.rs).
                    const NO_LOG_START: [i16; 7] = [
                        codes::UNKNOWN_TOPIC_OR_PARTITION,
                        codes::NOT_LEADER_OR_FOLLOWER,
                        codes::MESSAGE_TOO_LARGE,
                        codes::CORRUPT_MESSAGE,
                        codes::INVALID_REQUIRED_ACKS,
                        18, // RECORD_LIST_TOO_LARGE
                        56, // KAFKA_STORAGE_ERROR
                    ];
                    // A transactional batch refused by the coordinator's verification (KIP-890)
                    // never reaches the log: -1 as well.
                    if !verification_failed && !NO_LOG_START.contains(&code) {
                        if let Some(p) = ctx.state.topics.get(&topic_data.name).and_then(|t| t.partition(part.index)) {
                            out.log_start_offset = p.log.log_start_offset();
                        }
                    }
                    if code == codes::NOT_LEADER_OR_FOLLOWER && version >= 10 {
                        let (leader_id, leader_epoch) =
                            leader_hint(ctx.state.topics.get(&topic_data.name), part.index);
                        out.current_leader = LeaderIdAndEpoch::default()
                            .with_leader_id(leader_id)
                            .with_leader_epoch(leader_epoch);
                        if leader_id >= 0 {
                            hinted.insert(leader_id);
                        }
                    }
                }
            }
            topic_out.partition_responses.push(out);
        }
        response.responses.push(topic_out);
    }
    if version >= 10 {
        response.node_endpoints = node_endpoints(ctx.state, &hinted);
    }
    if req.acks == 0 {
        // Kafka closes an acks=0 producer's connection when any partition failed, so the
        // producer notices (and refreshes its metadata); otherwise nothing is sent.
        let failed = response.responses.iter().flat_map(|t| &t.partition_responses).any(|p| p.error_code != 0);
        return if failed { Outcome::Close } else { Outcome::NoResponse };
    }
    Outcome::Respond(response.into())
}

/// KIP-890 verification of a transactional batch against the transaction coordinator, done
/// before the append as Kafka's ReplicaManager does (so its errors report no log start
/// offset). `None` when the partition is unknown or the batch unparsable: the append reports
/// those.
fn txn_verification_error(
    state: &ClusterState,
    topic: &str,
    partition: i32,
    records: Option<&bytes::Bytes>,
) -> Option<i16> {
    state.topics.get(topic).and_then(|t| t.partition(partition))?;
    let info = BatchProducerInfo::parse(records?)?;
    state.txn.verify_transactional_produce(&info, topic, partition).err()
}

/// Whether the first batch of any partition has the transactional attribute bit (v2 batches:
/// magic at byte 16, attributes at bytes 21-22, bit 4), as Kafka's `hasTransactionalRecords`.
fn has_transactional_batch(req: &ProduceRequest) -> bool {
    req.topic_data.iter().flat_map(|t| t.partition_data.iter()).any(|p| {
        p.records.as_ref().is_some_and(|r| {
            r.get(16) == Some(&2) && r.get(22).is_some_and(|attributes_low| attributes_low & 0x10 != 0)
        })
    })
}

struct Appended {
    base_offset: i64,
    log_append_time: Option<i64>,
    log_start_offset: i64,
}

fn append(
    ctx: &mut Ctx<'_>,
    topic_name: &str,
    partition: i32,
    records: bytes::Bytes,
    acks: i16,
) -> Result<Appended, (i16, Option<String>)> {
    let broker = ctx.broker;
    leader_check(ctx.state, ctx.state.topics.get(topic_name), partition, broker).map_err(|c| (c, None))?;
    let topic_config = ctx.state.config_store.topic_config(topic_name);
    if acks == -1 {
        // The ISR is the replicas on live brokers (as Metadata reports it).
        let min_isr = topic_config.min_insync_replicas();
        let isr = ctx
            .state
            .topics
            .get(topic_name)
            .and_then(|t| t.partition(partition))
            .map_or(0, |p| p.replicas.iter().filter(|r| ctx.state.broker(**r).is_some_and(|b| b.up)).count());
        if i32::try_from(isr).unwrap_or(i32::MAX) < min_isr {
            return Err((
                kafka_protocol::ErrorCode::NotEnoughReplicas.code(),
                Some(format!(
                    "{topic_name}-{partition}: {isr} in-sync replicas, below min.insync.replicas={min_isr} (acks=all)"
                )),
            ));
        }
    }
    let max = usize::try_from(topic_config.max_message_bytes()).unwrap_or(0);
    let log_append_time_topic = topic_config.message_timestamp_type() == crate::config::TimestampType::LogAppendTime;
    let (before_max, after_max) = topic_config.timestamp_bounds();
    let topic = ctx.state.topics.get_mut(topic_name).ok_or((codes::UNKNOWN_TOPIC_OR_PARTITION, None))?;
    if records.len() > max {
        return Err((
            codes::MESSAGE_TOO_LARGE,
            Some(format!("batch of {} bytes exceeds max.message.bytes={max} of topic {topic_name:?}", records.len())),
        ));
    }
    let header = batch::validate_produce(&records).map_err(|e| {
        tracing::debug!(topic = topic_name, partition, "rejected batch: {e}");
        (e.code(), Some(e.to_string()))
    })?;
    let now = now_ms();
    if !log_append_time_topic {
        // message.timestamp.before.max.ms / after.max.ms (KIP-937), checked on the batch's
        // first and max timestamps (-1 = no timestamp).
        for ts in [header.base_timestamp, header.max_timestamp] {
            if ts != -1 && (ts < now.saturating_sub(before_max) || ts > now.saturating_add(after_max)) {
                return Err((
                    kafka_protocol::ErrorCode::InvalidTimestamp.code(),
                    Some(format!(
                        "{topic_name}-{partition}: timestamp {ts} is outside [now - {before_max}, now + {after_max}] (message.timestamp.before/after.max.ms)"
                    )),
                ));
            }
        }
    }
    let log_append_time = log_append_time_topic.then_some(now);
    let p = topic.partition_mut(partition).ok_or((codes::UNKNOWN_TOPIC_OR_PARTITION, None))?;
    // Idempotence and transactions (KIP-98): producer epoch and sequence checks, duplicates
    // answered with the original offsets, transactional writes only to added partitions.
    let mut info = BatchProducerInfo::parse(&records).ok_or((codes::CORRUPT_MESSAGE, None))?;
    if let Some(t) = log_append_time {
        info.max_timestamp = t;
    }
    ctx.state.txn.verify_transactional_produce(&info, topic_name, partition).map_err(|c| (c, None))?;
    match p.txn.validate_append(&info) {
        Err(e) => return Err((e.code(), Some(e.to_string()))),
        Ok(AppendDecision::Duplicate { base_offset, timestamp, .. }) => {
            // Kafka answers a duplicate with the original batch's recorded timestamp as
            // log_append_time_ms, whatever the topic's timestamp type (checked against Kafka
            // 4.3 by tests/differential.rs).
            return Ok(Appended {
                base_offset,
                log_append_time: Some(timestamp),
                log_start_offset: p.log.log_start_offset(),
            });
        }
        Ok(AppendDecision::Append) => {}
    }
    let base_offset = p.log.log_end_offset();
    let bytes = batch::prepare_for_log(&records, base_offset, p.leader_epoch, log_append_time);
    if let Some(store) = &ctx.state.store {
        store.append(topic_name, partition, bytes.clone());
    }
    let mut stored_header = header;
    if let Some(t) = log_append_time {
        stored_header.max_timestamp = t;
    }
    p.log.append(&stored_header, bytes, p.leader_epoch);
    p.txn.record_append(&info, base_offset, now);
    Ok(Appended { base_offset, log_append_time, log_start_offset: p.log.log_start_offset() })
}

fn node_endpoints(state: &ClusterState, ids: &BTreeSet<i32>) -> Vec<NodeEndpoint> {
    ids.iter()
        .filter_map(|id| state.broker(*id))
        .map(|b| {
            NodeEndpoint::default()
                .with_node_id(b.id)
                .with_host(b.host.clone())
                .with_port(i32::from(b.port))
                .with_rack(b.rack.clone())
        })
        .collect()
}

pub(crate) fn error_response(req: &ProduceRequest, _version: i16, code: i16) -> ProduceResponse {
    let mut response = ProduceResponse::default();
    for t in &req.topic_data {
        let mut topic = TopicProduceResponse::default().with_name(t.name.clone());
        for p in &t.partition_data {
            let mut out = PartitionProduceResponse::default().with_index(p.index).with_error_code(code);
            out.base_offset = -1;
            topic.partition_responses.push(out);
        }
        response.responses.push(topic);
    }
    response
}

pub(crate) fn touched(req: &ProduceRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topic_data
        .iter()
        .map(|t| (t.name.clone(), t.partition_data.iter().map(|p| p.index).collect()))
        .collect()
}

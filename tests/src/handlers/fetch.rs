//! Fetch (key 1), versions 4+: MinBytes/MaxWait long-poll (the request parks in the actor
//! until enough data arrives or its deadline passes), partition and response byte limits
//! with the KIP-74 first-batch exception, incremental fetch sessions (KIP-227), topic ids
//! (v13+, KIP-516), leader-epoch fencing (KIP-320) and leader hints (KIP-951).
//!
//! read_committed (KIP-98) returns only whole batches below the last stable offset, with the
//! aborted transactions that overlap them.

use std::collections::BTreeSet;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{
    FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, ResponseBody};
use kafka_protocol::{Uuid, VersionRange};
use tokio::time::{Duration, Instant};

use super::util::{epoch_check, leader_hint};
use super::{Ctx, Outcome, Parked};
use crate::codes;
use crate::state::fetch_sessions::SessionPartition;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(4, 17);

/// Session epoch meaning "no session / close the session".
const FINAL_EPOCH: i32 = -1;

/// High watermark, last stable offset and log start offset, as last told to a session.
type Marks = (i64, i64, i64);

/// One partition to read.
#[derive(Clone, Debug)]
struct Item {
    /// Topic name, or `None` when the id did not resolve.
    topic: Option<String>,
    topic_id: Uuid,
    partition: i32,
    fetch_offset: i64,
    max_bytes: i32,
    current_leader_epoch: i32,
}

/// A fetch in progress, possibly parked.
struct PendingFetch {
    broker: i32,
    version: i16,
    read_committed: bool,
    /// Session to answer for and whether the answer is incremental.
    session_id: i32,
    incremental: bool,
    items: Vec<Item>,
    min_bytes: usize,
    max_bytes: usize,
    deadline: Instant,
    injected: Vec<crate::faults::InjectedError>,
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: FetchRequest) -> Outcome {
    let version = ctx.version;
    let broker = ctx.broker;
    let requested: Vec<Item> = req
        .topics
        .iter()
        .flat_map(|t| {
            let name = if version >= 13 {
                ctx.state.topics.name_of(&t.topic_id).map(str::to_owned)
            } else {
                Some(t.topic.clone())
            };
            let topic_id = if version >= 13 { t.topic_id } else { Uuid::ZERO };
            t.partitions.iter().map(move |p| Item {
                topic: name.clone(),
                topic_id,
                partition: p.partition,
                fetch_offset: p.fetch_offset,
                max_bytes: p.partition_max_bytes,
                current_leader_epoch: p.current_leader_epoch,
            })
        })
        .collect();
    let forgotten: Vec<(Option<String>, Uuid, i32)> = req
        .forgotten_topics_data
        .iter()
        .flat_map(|t| {
            let name = if version >= 13 {
                ctx.state.topics.name_of(&t.topic_id).map(str::to_owned)
            } else {
                Some(t.topic.clone())
            };
            let id = t.topic_id;
            t.partitions.iter().map(move |p| (name.clone(), id, *p))
        })
        .collect();

    let sessions = version >= 7;
    let (session_id, incremental, items) = if !sessions {
        (0, false, requested)
    } else {
        match resolve_session(ctx.state, broker, req.session_id, req.session_epoch, requested, &forgotten) {
            Ok(r) => r,
            Err(code) => {
                let mut response = FetchResponse::default();
                response.error_code = code;
                return Outcome::Respond(response.into());
            }
        }
    };
    let mut pending = PendingFetch {
        broker,
        version,
        read_committed: req.isolation_level == 1,
        session_id,
        incremental,
        items,
        min_bytes: usize::try_from(req.min_bytes).unwrap_or(0),
        max_bytes: usize::try_from(req.max_bytes).unwrap_or(0),
        deadline: Instant::now() + Duration::from_millis(u64::try_from(req.max_wait_ms).unwrap_or(0)),
        injected: ctx.injected.to_vec(),
    };
    if req.max_wait_ms <= 0 || req.min_bytes <= 0 || pending.ready(ctx.state) {
        return Outcome::Respond(pending.respond(ctx.state));
    }
    Outcome::Park(Box::new(pending))
}

/// Applies the KIP-227 rules; returns (response session id, incremental?, partitions).
fn resolve_session(
    state: &mut ClusterState,
    broker: i32,
    session_id: i32,
    epoch: i32,
    requested: Vec<Item>,
    forgotten: &[(Option<String>, Uuid, i32)],
) -> Result<(i32, bool, Vec<Item>), i16> {
    if session_id == 0 && epoch == FINAL_EPOCH {
        return Ok((0, false, requested));
    }
    if epoch == FINAL_EPOCH {
        state.fetch_sessions.remove(broker, session_id);
        return Ok((0, false, requested));
    }
    if epoch == 0 {
        if session_id != 0 {
            state.fetch_sessions.remove(broker, session_id);
        }
        let rng = &mut state.rng;
        let session = state.fetch_sessions.create(broker, || (rng.next_u64() & 0x7fff_ffff) as i32);
        for item in &requested {
            session.partitions.insert(key(item), session_partition(item));
        }
        return Ok((session.id, false, requested));
    }
    if session_id == 0 {
        return Err(codes::INVALID_FETCH_SESSION_EPOCH);
    }
    let session = state.fetch_sessions.get_mut(broker, session_id).ok_or(codes::FETCH_SESSION_ID_NOT_FOUND)?;
    if session.next_epoch != epoch {
        return Err(codes::INVALID_FETCH_SESSION_EPOCH);
    }
    session.next_epoch = if epoch == i32::MAX { 1 } else { epoch + 1 };
    for item in &requested {
        let k = key(item);
        match session.partitions.get_mut(&k) {
            Some(existing) => {
                existing.fetch_offset = item.fetch_offset;
                existing.max_bytes = item.max_bytes;
                existing.current_leader_epoch = item.current_leader_epoch;
            }
            None => {
                session.partitions.insert(k, session_partition(item));
            }
        }
    }
    for (name, id, p) in forgotten {
        let k = (name.clone().unwrap_or_else(|| unresolved(id)), *p);
        session.partitions.remove(&k);
    }
    let items = session
        .partitions
        .iter()
        .map(|((name, partition), sp)| Item {
            topic: (!name.starts_with('\0')).then(|| name.clone()),
            topic_id: sp.topic_id,
            partition: *partition,
            fetch_offset: sp.fetch_offset,
            max_bytes: sp.max_bytes,
            current_leader_epoch: sp.current_leader_epoch,
        })
        .collect();
    Ok((session_id, true, items))
}

fn unresolved(id: &Uuid) -> String {
    format!("\0{id:?}")
}

fn key(item: &Item) -> (String, i32) {
    (item.topic.clone().unwrap_or_else(|| unresolved(&item.topic_id)), item.partition)
}

fn session_partition(item: &Item) -> SessionPartition {
    SessionPartition {
        topic_id: item.topic_id,
        fetch_offset: item.fetch_offset,
        max_bytes: item.max_bytes,
        current_leader_epoch: item.current_leader_epoch,
        last_sent: None,
    }
}

impl PendingFetch {
    /// Whether the fetch can be answered now: enough bytes, or any partition in error.
    fn ready(&self, state: &ClusterState) -> bool {
        let mut available = 0usize;
        for item in &self.items {
            match self.check(state, item) {
                Err(_) => return true,
                Ok((log_bytes, _)) => available = available.saturating_add(log_bytes),
            }
            if available >= self.min_bytes.max(1) {
                return true;
            }
        }
        false
    }

    /// The partition's readable bytes, or its error code.
    fn check(&self, state: &ClusterState, item: &Item) -> Result<(usize, ()), i16> {
        let Some(name) = &item.topic else { return Err(codes::UNKNOWN_TOPIC_ID) };
        if let Some(e) = self.injected.iter().find(|e| &e.topic == name && e.partition.is_none_or(|p| p == item.partition)) {
            return Err(e.code);
        }
        let topic = state.topics.get(name).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        if item.topic_id != Uuid::ZERO && item.topic_id != topic.id {
            return Err(codes::UNKNOWN_TOPIC_ID);
        }
        let p = topic.partition(item.partition).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        if p.leader != Some(self.broker) {
            return Err(codes::NOT_LEADER_OR_FOLLOWER);
        }
        epoch_check(item.current_leader_epoch, p.leader_epoch)?;
        let end = self.visible_end(p);
        if item.fetch_offset < p.log.log_start_offset() || item.fetch_offset > p.log.high_watermark() {
            return Err(codes::OFFSET_OUT_OF_RANGE);
        }
        if item.fetch_offset >= end {
            return Ok((0, ()));
        }
        Ok((p.log.bytes_from(item.fetch_offset, end), ()))
    }

    fn visible_end(&self, p: &crate::state::topics::Partition) -> i64 {
        if self.read_committed {
            p.last_stable_offset()
        } else {
            p.log.high_watermark()
        }
    }

    /// Builds the response and records what the session was told.
    fn respond(&mut self, state: &mut ClusterState) -> ResponseBody {
        let version = self.version;
        let mut response = FetchResponse::default();
        response.session_id = self.session_id;
        let mut hinted = BTreeSet::new();
        let mut total = 0usize;
        let mut sent: Vec<((String, i32), Marks)> = Vec::new();
        let last_sent = |state: &mut ClusterState, k: &(String, i32)| {
            state
                .fetch_sessions
                .get_mut(self.broker, self.session_id)
                .and_then(|s| s.partitions.get(k).and_then(|p| p.last_sent))
        };
        for item in &self.items {
            let mut out = PartitionData::default().with_partition_index(item.partition);
            out.high_watermark = -1;
            out.last_stable_offset = -1;
            out.log_start_offset = -1;
            out.records = Some(Bytes::new());
            // Kafka sends a null aborted-transaction list for read_uncommitted fetches and for
            // failed reads, an empty one for read_committed reads that found nothing (checked
            // against Kafka 4.3 by tests/differential.rs).
            out.aborted_transactions = None;
            match self.check(state, item) {
                Err(code) => {
                    out.error_code = code;
                    if code == codes::NOT_LEADER_OR_FOLLOWER && version >= 12 {
                        let topic = item.topic.as_deref().and_then(|n| state.topics.get(n));
                        let (leader_id, leader_epoch) = leader_hint(topic, item.partition);
                        out.current_leader =
                            LeaderIdAndEpoch::default().with_leader_id(leader_id).with_leader_epoch(leader_epoch);
                        if leader_id >= 0 {
                            hinted.insert(leader_id);
                        }
                    }
                    // Every error, OFFSET_OUT_OF_RANGE included, leaves the watermarks and the
                    // log start offset at -1, as Kafka's ReplicaManager reports a failed read
                    // (checked against Kafka 4.3 by tests/differential.rs).
                }
                Ok(_) => {
                    let p = item
                        .topic
                        .as_deref()
                        .and_then(|n| state.topics.get(n))
                        .and_then(|t| t.partition(item.partition));
                    if let Some(p) = p {
                        out.high_watermark = p.log.high_watermark();
                        out.last_stable_offset = p.last_stable_offset();
                        out.log_start_offset = p.log.log_start_offset();
                        let end = self.visible_end(p);
                        if self.read_committed {
                            out.aborted_transactions = Some(Vec::new());
                        }
                        if item.fetch_offset < end {
                            let part_max = usize::try_from(item.max_bytes).unwrap_or(0);
                            let room = self.max_bytes.saturating_sub(total);
                            let limit = part_max.min(room);
                            let read = p.log.read(item.fetch_offset, end, limit, total > 0);
                            total += read.records.len();
                            if self.read_committed && read.last_offset >= 0 {
                                // KIP-98: the aborted transactions overlapping what is returned.
                                out.aborted_transactions =
                                    Some(p.txn.aborted_for_fetch(item.fetch_offset, read.last_offset + 1));
                            }
                            out.records = Some(read.records);
                        }
                    }
                }
            }
            let k = key(item);
            let marks = (out.high_watermark, out.last_stable_offset, out.log_start_offset);
            if self.incremental {
                let has_records = out.records.as_ref().is_some_and(|r| !r.is_empty());
                let changed = last_sent(state, &k) != Some(marks);
                if !(has_records || out.error_code != 0 || changed) {
                    continue;
                }
            }
            sent.push((k, marks));
            push_partition(&mut response, item, out);
        }
        if self.session_id != 0 {
            if let Some(session) = state.fetch_sessions.get_mut(self.broker, self.session_id) {
                for (k, marks) in sent {
                    if let Some(p) = session.partitions.get_mut(&k) {
                        p.last_sent = Some(marks);
                    }
                }
            }
        }
        if version >= 16 {
            response.node_endpoints = hinted
                .iter()
                .filter_map(|id| state.broker(*id))
                .map(|b| {
                    NodeEndpoint::default()
                        .with_node_id(b.id)
                        .with_host(b.host.clone())
                        .with_port(i32::from(b.port))
                        .with_rack(b.rack.clone())
                })
                .collect();
        }
        response.into()
    }
}

fn push_partition(response: &mut FetchResponse, item: &Item, out: PartitionData) {
    let name = item.topic.clone().unwrap_or_default();
    let same = response
        .responses
        .last()
        .is_some_and(|t| t.topic == name && t.topic_id == item.topic_id);
    if !same {
        let mut topic = FetchableTopicResponse::default();
        topic.topic = name;
        topic.topic_id = item.topic_id;
        response.responses.push(topic);
    }
    if let Some(t) = response.responses.last_mut() {
        t.partitions.push(out);
    }
}

impl Parked for PendingFetch {
    fn deadline(&self) -> Instant {
        self.deadline
    }

    fn poll(&mut self, state: &mut ClusterState, expired: bool) -> Option<ResponseBody> {
        (expired || self.ready(state)).then(|| self.respond(state))
    }
}

pub(crate) fn error_response(_req: &FetchRequest, _version: i16, code: i16) -> FetchResponse {
    let mut response = FetchResponse::default();
    response.error_code = code;
    response
}

pub(crate) fn touched(req: &FetchRequest, state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .filter_map(|t| {
            let name = if t.topic_id != Uuid::ZERO {
                state.topics.name_of(&t.topic_id)?.to_owned()
            } else {
                t.topic.clone()
            };
            Some((name, t.partitions.iter().map(|p| p.partition).collect()))
        })
        .collect()
}

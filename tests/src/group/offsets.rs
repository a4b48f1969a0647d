//! Committed offsets: OffsetCommit, OffsetFetch (with KIP-447 `RequireStable`), OffsetDelete,
//! transactional offsets staged per producer until the transaction ends, and retention.
//!
//! Offsets belong to a group (classic or consumer); a commit to an unknown group with
//! generation -1 creates an Empty "simple" group that only stores offsets, as Kafka does.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kafka_protocol::messages::{
    offset_commit_response::{OffsetCommitResponsePartition, OffsetCommitResponseTopic},
    offset_delete_response::{OffsetDeleteResponsePartition, OffsetDeleteResponseTopic},
    offset_fetch_response::{
        OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
        OffsetFetchResponseTopic, OffsetFetchResponseTopics,
    },
    txn_offset_commit_response::{TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic},
    OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    OffsetFetchRequest, OffsetFetchResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};

use super::classic::{ClassicGroup, ClassicState};
use super::{code, ExpiryPolicy, Group, GroupCoordinator, GroupKind, TopicView, TxnOffset};

/// A committed offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Committed {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: String,
    pub(crate) commit_time: Instant,
    /// Explicit expiry (OffsetCommit v2-4 `RetentionTimeMs`).
    pub(crate) expire_at: Option<Instant>,
    /// Commit order across the coordinator.
    pub(crate) seq: u64,
}

#[derive(Clone, Debug)]
struct Staged {
    offset: i64,
    leader_epoch: i32,
    metadata: String,
    seq: u64,
}

type PartitionKey = (String, i32);

/// A group's offsets: committed ones and those staged by open transactions.
#[derive(Debug, Default)]
pub(crate) struct OffsetStore {
    committed: BTreeMap<PartitionKey, Committed>,
    staged: BTreeMap<i64, BTreeMap<PartitionKey, Staged>>,
    /// Partitions whose committed offset changed (set, replaced or removed) since
    /// [`OffsetStore::take_dirty`] last ran: what `data_dir` persistence writes out.
    dirty: BTreeSet<PartitionKey>,
}

impl OffsetStore {
    /// Nothing committed and nothing staged.
    pub(crate) fn is_empty(&self) -> bool {
        self.committed.is_empty() && self.staged.is_empty()
    }

    pub(crate) fn get(&self, topic: &str, partition: i32) -> Option<&Committed> {
        self.committed.get(&(topic.to_owned(), partition))
    }

    fn commit(&mut self, topic: &str, partition: i32, committed: Committed) {
        let key = (topic.to_owned(), partition);
        self.dirty.insert(key.clone());
        self.committed.insert(key, committed);
    }

    /// Puts back an offset read from the data dir (not marked dirty: it is on disk).
    pub(crate) fn restore(&mut self, topic: String, partition: i32, committed: Committed) {
        self.committed.insert((topic, partition), committed);
    }

    /// Every committed offset.
    pub(crate) fn committed(&self) -> impl Iterator<Item = (&PartitionKey, &Committed)> {
        self.committed.iter()
    }

    /// The partitions changed since the last call, with their committed offset now (`None`
    /// when it was removed).
    pub(crate) fn take_dirty(&mut self) -> Vec<(PartitionKey, Option<&Committed>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|key| {
                let now = self.committed.get(&key);
                (key, now)
            })
            .collect()
    }

    pub(crate) fn stage(&mut self, producer_id: i64, offsets: Vec<TxnOffset>, seq: u64) {
        let staged = self.staged.entry(producer_id).or_default();
        for o in offsets {
            staged.insert(
                (o.topic, o.partition),
                Staged {
                    offset: o.offset,
                    leader_epoch: o.leader_epoch,
                    metadata: o.metadata.unwrap_or_default(),
                    seq,
                },
            );
        }
    }

    pub(crate) fn complete_txn(&mut self, now: Instant, producer_id: i64, commit: bool) {
        let Some(staged) = self.staged.remove(&producer_id) else {
            return;
        };
        if !commit {
            return;
        }
        for (key, s) in staged {
            // A plain commit written after the transactional one wins (Kafka compares the
            // positions of the two commit records in the offsets log).
            if self.committed.get(&key).is_some_and(|c| c.seq > s.seq) {
                continue;
            }
            self.dirty.insert(key.clone());
            self.committed.insert(
                key,
                Committed {
                    offset: s.offset,
                    leader_epoch: s.leader_epoch,
                    metadata: s.metadata,
                    commit_time: now,
                    expire_at: None,
                    seq: s.seq,
                },
            );
        }
    }

    pub(crate) fn has_pending(&self, topic: &str, partition: i32) -> bool {
        let key = (topic.to_owned(), partition);
        self.staged.values().any(|s| s.contains_key(&key))
    }

    fn delete(&mut self, topic: &str, partition: i32) {
        let key = (topic.to_owned(), partition);
        if self.committed.remove(&key).is_some() {
            self.dirty.insert(key);
        }
    }

    /// Removes offsets past retention under `policy`; offsets with a pending transactional
    /// commit are kept.
    pub(crate) fn expire(&mut self, now: Instant, retention: Duration, policy: &ExpiryPolicy) {
        let pending: Vec<PartitionKey> = self
            .staged
            .values()
            .flat_map(|s| s.keys().cloned())
            .collect();
        let dirty = &mut self.dirty;
        self.committed.retain(|key, c| {
            if pending.contains(key) {
                return true;
            }
            let base = match policy {
                ExpiryPolicy::Keep => return true,
                ExpiryPolicy::All { since } => since.unwrap_or(c.commit_time),
                ExpiryPolicy::Unsubscribed { topics } => {
                    if topics.contains(&key.0) {
                        return true;
                    }
                    c.commit_time
                }
            };
            let expires = c.expire_at.or_else(|| base.checked_add(retention));
            let keep = expires.is_none_or(|at| at > now);
            if !keep {
                dirty.insert(key.clone());
            }
            keep
        });
    }
}

/// Why a group rejects commits from this member, if it does.
fn validate_commit(
    group: &mut Group,
    now: Instant,
    version: i16,
    generation_or_epoch: i32,
    member_id: &str,
    instance_id: Option<&str>,
    transactional: bool,
) -> Result<(), i16> {
    match &mut group.kind {
        GroupKind::Classic(g) => {
            if transactional {
                if !member_id.is_empty() {
                    g.validate_member(member_id, instance_id)?;
                }
                if generation_or_epoch >= 0 && generation_or_epoch != g.generation() {
                    return Err(code::ILLEGAL_GENERATION);
                }
                return Ok(());
            }
            if generation_or_epoch < 0 && g.state == ClassicState::Empty {
                return Ok(());
            }
            g.validate_member(member_id, instance_id)?;
            if generation_or_epoch != g.generation() {
                return Err(code::ILLEGAL_GENERATION);
            }
            if g.state == ClassicState::CompletingRebalance {
                return Err(code::REBALANCE_IN_PROGRESS);
            }
            g.touch(now, member_id);
            Ok(())
        }
        GroupKind::Consumer(g) => {
            if generation_or_epoch < 0
                && (g.members.is_empty() || (transactional && member_id.is_empty()))
            {
                return Ok(());
            }
            let epoch = g
                .members
                .get(member_id)
                .map(|m| m.member_epoch)
                .ok_or(code::UNKNOWN_MEMBER_ID)?;
            if !transactional && version < 9 {
                return Err(code::UNSUPPORTED_VERSION);
            }
            // Kafka 4.x answers any other epoch of an OffsetCommit STALE_MEMBER_EPOCH, a newer
            // one included (checked against Kafka 4.3 by tests/differential.rs); a
            // TxnOffsetCommit with a newer epoch is still fenced.
            if generation_or_epoch > epoch && transactional {
                Err(code::FENCED_MEMBER_EPOCH)
            } else if generation_or_epoch != epoch {
                Err(code::STALE_MEMBER_EPOCH)
            } else {
                Ok(())
            }
        }
    }
}

/// The group an offset commit goes to, created as a simple group when the commit does not
/// claim membership; `Err` when it claims membership of a group that does not exist.
fn group_for_commit<'a>(
    coordinator: &'a mut GroupCoordinator,
    group_id: &str,
    generation_or_epoch: i32,
    create: bool,
) -> Result<&'a mut Group, i16> {
    if !coordinator.groups.contains_key(group_id) {
        if generation_or_epoch >= 0 && !create {
            return Err(code::ILLEGAL_GENERATION);
        }
        let incarnation = coordinator.next_incarnation();
        coordinator.groups.insert(
            group_id.to_owned(),
            Group {
                kind: GroupKind::Classic(ClassicGroup::new(None)),
                offsets: OffsetStore::default(),
                incarnation,
            },
        );
    }
    coordinator
        .groups
        .get_mut(group_id)
        .ok_or(code::UNKNOWN_SERVER_ERROR)
}

fn partition_exists(topics: &dyn TopicView, topic: &str, partition: i32) -> bool {
    topics
        .partitions(topic)
        .is_some_and(|n| partition >= 0 && partition < n)
}

pub(crate) fn offset_commit(
    coordinator: &mut GroupCoordinator,
    now: Instant,
    version: i16,
    topics: &dyn TopicView,
    request: &OffsetCommitRequest,
) -> OffsetCommitResponse {
    let seq = coordinator.next_commit_seq();
    let max_metadata = coordinator.config.offset_metadata_max_bytes;
    let retention = u64::try_from(request.retention_time_ms)
        .ok()
        .filter(|_| (2..=4).contains(&version));
    let instance_id = request
        .group_instance_id
        .as_deref()
        .filter(|_| version >= 7);
    let generation = request.generation_id_or_member_epoch;
    let group_error = match group_for_commit(coordinator, &request.group_id, generation, false) {
        Ok(group) => validate_commit(
            group,
            now,
            version,
            generation,
            &request.member_id,
            instance_id,
            false,
        )
        .err(),
        Err(code) => Some(if version >= 9 {
            code::GROUP_ID_NOT_FOUND
        } else {
            code
        }),
    };
    let group = coordinator.groups.get_mut(&request.group_id);
    let mut group = group.filter(|_| group_error.is_none());
    let response_topics = request
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = if !partition_exists(topics, &t.name, p.partition_index) {
                        code::UNKNOWN_TOPIC_OR_PARTITION
                    } else if let Some(e) = group_error {
                        e
                    } else if p
                        .committed_metadata
                        .as_ref()
                        .is_some_and(|m| m.len() > max_metadata)
                    {
                        code::OFFSET_METADATA_TOO_LARGE
                    } else if let Some(g) = group.as_deref_mut() {
                        let committed = Committed {
                            offset: p.committed_offset,
                            leader_epoch: if version >= 6 {
                                p.committed_leader_epoch
                            } else {
                                -1
                            },
                            metadata: p.committed_metadata.clone().unwrap_or_default(),
                            commit_time: now,
                            expire_at: retention
                                .and_then(|ms| now.checked_add(Duration::from_millis(ms))),
                            seq,
                        };
                        g.offsets.commit(&t.name, p.partition_index, committed);
                        code::NONE
                    } else {
                        code::UNKNOWN_SERVER_ERROR
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    // A simple group created by a commit that failed everywhere leaves nothing behind.
    if coordinator
        .groups
        .get(&request.group_id)
        .is_some_and(|g| g.is_vacant() && g.offsets.is_empty())
    {
        coordinator.groups.remove(&request.group_id);
    }
    OffsetCommitResponse::default().with_topics(response_topics)
}

pub(crate) fn txn_offset_commit(
    coordinator: &mut GroupCoordinator,
    now: Instant,
    version: i16,
    topics: &dyn TopicView,
    request: &TxnOffsetCommitRequest,
) -> TxnOffsetCommitResponse {
    let seq = coordinator.next_commit_seq();
    let max_metadata = coordinator.config.offset_metadata_max_bytes;
    let (generation, member_id, instance_id) = if version >= 3 {
        (
            request.generation_id,
            request.member_id.as_str(),
            request.group_instance_id.as_deref(),
        )
    } else {
        (-1, "", None)
    };
    let group_error = match group_for_commit(coordinator, &request.group_id, generation, true) {
        Ok(group) => validate_commit(
            group,
            now,
            version,
            generation,
            member_id,
            instance_id,
            true,
        )
        .err(),
        Err(code) => Some(code),
    };
    let mut staged = Vec::new();
    let response_topics = request
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = if !partition_exists(topics, &t.name, p.partition_index) {
                        code::UNKNOWN_TOPIC_OR_PARTITION
                    } else if let Some(e) = group_error {
                        e
                    } else if p
                        .committed_metadata
                        .as_ref()
                        .is_some_and(|m| m.len() > max_metadata)
                    {
                        code::OFFSET_METADATA_TOO_LARGE
                    } else {
                        staged.push(TxnOffset {
                            topic: t.name.clone(),
                            partition: p.partition_index,
                            offset: p.committed_offset,
                            leader_epoch: if version >= 2 {
                                p.committed_leader_epoch
                            } else {
                                -1
                            },
                            metadata: p.committed_metadata.clone(),
                        });
                        code::NONE
                    };
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            TxnOffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    if let Some(group) = coordinator.groups.get_mut(&request.group_id) {
        if !staged.is_empty() {
            group.offsets.stage(request.producer_id, staged, seq);
        }
    }
    if coordinator
        .groups
        .get(&request.group_id)
        .is_some_and(|g| g.is_vacant() && g.offsets.is_empty())
    {
        coordinator.groups.remove(&request.group_id);
    }
    TxnOffsetCommitResponse::default().with_topics(response_topics)
}

/// One partition's fetch result before it is shaped into a version's response struct.
struct Fetched {
    partition: i32,
    offset: i64,
    leader_epoch: i32,
    metadata: Option<String>,
    error: i16,
}

/// Fetches offsets of one group: `topics` `None` means every committed partition.
fn fetch_group(
    coordinator: &GroupCoordinator,
    group_id: &str,
    topics: Option<Vec<(String, Vec<i32>)>>,
    member: Option<(&str, i32)>,
    require_stable: bool,
) -> (i16, Vec<(String, Vec<Fetched>)>) {
    let group = coordinator.groups.get(group_id);
    if let (
        Some(Group {
            kind: GroupKind::Consumer(g),
            ..
        }),
        Some((member_id, epoch)),
    ) = (group, member)
    {
        match g.members.get(member_id) {
            None => return (code::UNKNOWN_MEMBER_ID, Vec::new()),
            Some(m) if m.member_epoch != epoch => return (code::STALE_MEMBER_EPOCH, Vec::new()),
            Some(_) => {}
        }
    }
    let lookup = |topic: &str, partition: i32| -> Fetched {
        let Some(g) = group else {
            return Fetched {
                partition,
                offset: -1,
                leader_epoch: -1,
                metadata: Some(String::new()),
                error: code::NONE,
            };
        };
        if require_stable && g.offsets.has_pending(topic, partition) {
            return Fetched {
                partition,
                offset: -1,
                leader_epoch: -1,
                metadata: Some(String::new()),
                error: code::UNSTABLE_OFFSET_COMMIT,
            };
        }
        match g.offsets.get(topic, partition) {
            Some(c) => Fetched {
                partition,
                offset: c.offset,
                leader_epoch: c.leader_epoch,
                metadata: Some(c.metadata.clone()),
                error: code::NONE,
            },
            None => Fetched {
                partition,
                offset: -1,
                leader_epoch: -1,
                metadata: Some(String::new()),
                error: code::NONE,
            },
        }
    };
    let wanted: Vec<(String, Vec<i32>)> = match topics {
        Some(t) => t,
        None => {
            let mut all: BTreeMap<String, Vec<i32>> = BTreeMap::new();
            if let Some(g) = group {
                for (topic, partition) in g.offsets.committed.keys() {
                    all.entry(topic.clone()).or_default().push(*partition);
                }
            }
            all.into_iter().collect()
        }
    };
    let result = wanted
        .into_iter()
        .map(|(topic, partitions)| {
            let fetched = partitions.iter().map(|p| lookup(&topic, *p)).collect();
            (topic, fetched)
        })
        .collect();
    (code::NONE, result)
}

pub(crate) fn offset_fetch(
    coordinator: &GroupCoordinator,
    version: i16,
    request: &OffsetFetchRequest,
) -> OffsetFetchResponse {
    let require_stable = version >= 7 && request.require_stable;
    if version >= 8 {
        let groups = request
            .groups
            .iter()
            .map(|g| {
                let topics = g.topics.as_ref().map(|ts| {
                    ts.iter()
                        .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                        .collect()
                });
                let member = if version >= 9 && (g.member_id.is_some() || g.member_epoch >= 0) {
                    Some((g.member_id.as_deref().unwrap_or_default(), g.member_epoch))
                } else {
                    None
                };
                let (error, fetched) =
                    fetch_group(coordinator, &g.group_id, topics, member, require_stable);
                let topics = fetched
                    .into_iter()
                    .map(|(name, parts)| {
                        let partitions = parts
                            .into_iter()
                            .map(|f| {
                                OffsetFetchResponsePartitions::default()
                                    .with_partition_index(f.partition)
                                    .with_committed_offset(f.offset)
                                    .with_committed_leader_epoch(f.leader_epoch)
                                    .with_metadata(f.metadata)
                                    .with_error_code(f.error)
                            })
                            .collect();
                        OffsetFetchResponseTopics::default()
                            .with_name(name)
                            .with_partitions(partitions)
                    })
                    .collect();
                OffsetFetchResponseGroup::default()
                    .with_group_id(g.group_id.clone())
                    .with_topics(topics)
                    .with_error_code(error)
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    let topics = match (&request.topics, version) {
        (Some(ts), _) => Some(
            ts.iter()
                .map(|t| (t.name.clone(), t.partition_indexes.clone()))
                .collect(),
        ),
        (None, v) if v >= 2 => None,
        (None, _) => Some(Vec::new()),
    };
    let (error, fetched) =
        fetch_group(coordinator, &request.group_id, topics, None, require_stable);
    let topics = fetched
        .into_iter()
        .map(|(name, parts)| {
            let partitions = parts
                .into_iter()
                .map(|f| {
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(f.partition)
                        .with_committed_offset(f.offset)
                        .with_committed_leader_epoch(if version >= 5 { f.leader_epoch } else { -1 })
                        .with_metadata(f.metadata)
                        .with_error_code(f.error)
                })
                .collect();
            OffsetFetchResponseTopic::default()
                .with_name(name)
                .with_partitions(partitions)
        })
        .collect();
    let mut response = OffsetFetchResponse::default().with_topics(topics);
    if version >= 2 {
        response.error_code = error;
    }
    response
}

pub(crate) fn offset_delete(
    coordinator: &mut GroupCoordinator,
    topics: &dyn TopicView,
    request: &OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let Some(group) = coordinator.groups.get_mut(&request.group_id) else {
        return OffsetDeleteResponse::default().with_error_code(code::GROUP_ID_NOT_FOUND);
    };
    let consumer_protocol = match &group.kind {
        GroupKind::Classic(g) => g.protocol_type.as_deref() == Some("consumer"),
        GroupKind::Consumer(_) => true,
    };
    if group.has_members() && !consumer_protocol {
        return OffsetDeleteResponse::default().with_error_code(code::NON_EMPTY_GROUP);
    }
    let response_topics = request
        .topics
        .iter()
        .map(|t| {
            let subscribed = group.is_subscribed_to(&t.name);
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = if !partition_exists(topics, &t.name, p.partition_index) {
                        code::UNKNOWN_TOPIC_OR_PARTITION
                    } else if subscribed {
                        code::GROUP_SUBSCRIBED_TO_TOPIC
                    } else {
                        group.offsets.delete(&t.name, p.partition_index);
                        code::NONE
                    };
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(response_topics)
}

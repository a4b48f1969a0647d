//! All cluster state, owned by the cluster actor and mutated only by it. Each subsystem keeps
//! its own struct in its own module (`topics`, `log`, `fetch_sessions`; groups, transactions
//! and ACLs get theirs beside them) and [`ClusterState`] just holds them together.

pub(crate) mod fetch_sessions;
pub(crate) mod log;
pub(crate) mod persist;
pub(crate) mod security;
pub(crate) mod topics;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kafka_protocol::messages::ResponseBody;
use kafka_protocol::Uuid;

use crate::cluster::CoordinatorType;
use crate::rng::{fnv1a, Rng};
use crate::version::SupportedApis;
use fetch_sessions::FetchSessions;
use topics::{validate_topic_name, Partition, Topic, Topics};

/// A broker as the cluster advertises it.
#[derive(Clone, Debug)]
pub(crate) struct BrokerInfo {
    pub(crate) id: i32,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) rack: Option<String>,
    pub(crate) up: bool,
}

/// Broker-wide settings that handlers consult.
#[derive(Clone, Debug)]
pub(crate) struct BrokerConfig {
    /// `num.partitions`.
    pub(crate) default_partitions: i32,
    /// `default.replication.factor`.
    pub(crate) default_replication_factor: i16,
    /// `auto.create.topics.enable`.
    pub(crate) auto_create_topics: bool,
}

/// A topic-creation failure: the Kafka error code and a message naming the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TopicError {
    pub(crate) code: i16,
    pub(crate) message: String,
}

impl TopicError {
    pub(crate) fn new(code: i16, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// What a successful (or validated) topic creation produced.
#[derive(Clone, Debug)]
pub(crate) struct CreatedTopic {
    pub(crate) id: Uuid,
    pub(crate) partitions: i32,
    pub(crate) replication_factor: i16,
    pub(crate) configs: BTreeMap<String, String>,
}

/// Everything the cluster knows.
pub(crate) struct ClusterState {
    pub(crate) cluster_id: String,
    pub(crate) brokers: Vec<BrokerInfo>,
    pub(crate) topics: Topics,
    pub(crate) config: BrokerConfig,
    pub(crate) coordinator_overrides: HashMap<(CoordinatorType, String), i32>,
    pub(crate) fetch_sessions: FetchSessions,
    pub(crate) rng: Rng,
    pub(crate) apis: Arc<SupportedApis>,
    /// The data-dir writer, when persistence is on.
    pub(crate) store: Option<persist::Store>,
    /// Last token handed out for requests parked with `Outcome::Pending`.
    pub(crate) next_reply_token: u64,
    /// Consumer groups and committed offsets.
    pub(crate) groups: crate::group::GroupCoordinator,
    /// Transaction coordinator (producer ids, transactions, markers).
    pub(crate) txn: crate::txn::TxnCoordinator,
    /// The cluster clock's origin: wall-clock milliseconds at `started`, so that
    /// [`ClusterState::now_ms`] follows tokio time (paused clocks included).
    pub(crate) started: tokio::time::Instant,
    pub(crate) started_ms: i64,
    /// Topic overrides and broker configs (DescribeConfigs, AlterConfigs, CreateTopics
    /// checks); the source of truth for every topic config the broker reads.
    pub(crate) config_store: crate::config::ConfigStore,
    /// Client quotas and injected throttle times.
    pub(crate) quotas: crate::config::QuotaStore,
    /// SASL, SCRAM credentials, ACLs and per-connection authentication.
    pub(crate) security: security::BrokerSecurity,
}

impl ClusterState {
    /// When a subsystem with its own timers (group sessions, transaction timeouts) next
    /// needs [`ClusterState::on_subsystem_timeout`]. Subsystems add their `next_deadline()` here.
    pub(crate) fn subsystem_deadline(&self) -> Option<tokio::time::Instant> {
        let txn = self.txn.next_deadline().map(|ms| {
            let after = u64::try_from(ms.saturating_sub(self.started_ms)).unwrap_or(0);
            self.started + std::time::Duration::from_millis(after)
        });
        self.groups.next_deadline().map(tokio::time::Instant::from_std).into_iter().chain(txn).min()
    }

    /// Checks what must hold between requests: every partition's log is consistent, its
    /// leader is one of its replicas and the LSO lies within the log (fuzzing, tests).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        for topic in self.topics.iter() {
            for p in &topic.partitions {
                let at = || format!("{}-{}", topic.name, p.index);
                p.log.check().map_err(|e| format!("{}: {e}", at()))?;
                if let Some(leader) = p.leader {
                    if !p.replicas.contains(&leader) {
                        return Err(format!("{}: leader {leader} not among replicas {:?}", at(), p.replicas));
                    }
                }
                if p.replicas.iter().any(|r| !self.brokers.iter().any(|b| b.id == *r)) {
                    return Err(format!("{}: replicas {:?} name unknown brokers", at(), p.replicas));
                }
                let lso = p.last_stable_offset();
                if lso > p.log.high_watermark() {
                    return Err(format!("{}: LSO {lso} above HWM {}", at(), p.log.high_watermark()));
                }
            }
        }
        Ok(())
    }

    /// Wall-clock milliseconds as the cluster sees them: advancing with tokio time.
    pub(crate) fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.started_ms.saturating_add(elapsed)
    }

    /// Carries out what the transaction coordinator asked for: control batches (commit or
    /// abort markers) appended to each partition, and staged group offsets completed.
    pub(crate) fn apply_txn_effects(&mut self, effects: Vec<crate::txn::TxnEffect>) {
        use crate::txn::{ControlMarker, PartitionTxnState, TxnEffect};
        let now_ms = self.now_ms();
        for effect in effects {
            match effect {
                TxnEffect::WriteMarkers { producer_id, producer_epoch, coordinator_epoch, commit, partitions, .. } => {
                    let marker = ControlMarker { commit, coordinator_epoch };
                    for (topic, index) in partitions {
                        let Some(p) = self.topics.get_mut(&topic).and_then(|t| t.partition_mut(index)) else {
                            continue; // e.g. __consumer_offsets, which is not modelled as a topic
                        };
                        if let Err(e) = p.txn.validate_marker(producer_id, producer_epoch, coordinator_epoch) {
                            tracing::warn!(%topic, partition = index, "marker refused: {e}");
                            continue;
                        }
                        let raw = PartitionTxnState::marker_batch(producer_id, producer_epoch, marker, now_ms, p.leader_epoch);
                        let Ok(header) = crate::batch::read_header(&raw) else { continue };
                        let offset = p.log.log_end_offset();
                        let bytes = crate::batch::prepare_for_log(&raw, offset, p.leader_epoch, None);
                        if let Some(store) = &self.store {
                            store.append(&topic, index, bytes.clone());
                        }
                        p.log.append(&header, bytes, p.leader_epoch);
                        p.txn.record_marker(producer_id, producer_epoch, marker, offset, now_ms, now_ms);
                    }
                }
                TxnEffect::CompleteTxnOffsets { producer_id, commit, .. } => {
                    self.groups.complete_txn(tokio::time::Instant::now().into_std(), producer_id, commit);
                }
            }
        }
    }

    /// Runs subsystem timers that are due; returns responses for requests parked under
    /// tokens (`Outcome::Pending`). Subsystems add their `on_timeout(now)` here.
    pub(crate) fn on_subsystem_timeout(&mut self, now: tokio::time::Instant) -> Vec<(u64, ResponseBody)> {
        let effects = self.txn.on_timeout(self.now_ms());
        self.apply_txn_effects(effects);
        self.groups.on_timeout(now.into_std()).into_iter().map(|c| (c.token.0, c.response)).collect()
    }

    /// Queues what changed for the data dir, if there is one: topic metadata, group records
    /// (offsets, group metadata) and the transaction coordinator snapshot.
    pub(crate) fn sync_store(&mut self) {
        if self.store.is_none() {
            return;
        }
        let now = tokio::time::Instant::now().into_std();
        let now_ms = self.now_ms();
        if let Some(store) = self.store.as_mut() {
            store.sync(&self.topics);
            store.sync_coordinators(&mut self.groups, &self.txn, now, now_ms);
        }
    }

    /// Loads the coordinators' state read from the data dir (topics must already be in
    /// place: producer ids found in their logs are never handed out again).
    pub(crate) fn restore_coordinators(
        &mut self,
        groups: BTreeMap<String, crate::group::persist::StoredGroup>,
        txn: Option<crate::txn::coordinator::TxnSnapshot>,
        boots: u64,
    ) {
        let now = tokio::time::Instant::now().into_std();
        let now_ms = self.now_ms();
        self.groups.restore(now, now_ms, groups, boots);
        if let Some(snapshot) = txn {
            self.txn.restore(snapshot);
        }
        let max_producer_id = self
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .filter_map(|p| p.txn.producers.producers().map(|(id, _)| id).max())
            .max();
        if let Some(id) = max_producer_id {
            self.txn.reserve_producer_ids_through(id);
        }
    }

    /// Settles transactions a restart interrupted (call with the store running, so the
    /// markers persist): the coordinator aborts transactions that were `Ongoing` (bumping
    /// their epoch, which fences the old producer) and completes `Prepare*` ones; then any
    /// partition still holding an open transaction that no coordinator entry owns (its
    /// snapshot write was lost) gets an abort marker too, so no LSO stays stuck.
    pub(crate) fn settle_interrupted_transactions(&mut self) {
        use crate::txn::TxnEffect;
        let effects = self.txn.resolve_interrupted(self.now_ms());
        if !effects.is_empty() {
            tracing::info!("aborting transactions left open by the last shutdown: {effects:?}");
        }
        self.apply_txn_effects(effects);
        let coordinator_epoch = self.txn.config().coordinator_epoch;
        let mut orphans = Vec::new();
        for t in self.topics.iter() {
            for p in &t.partitions {
                for (producer_id, _) in p.txn.txns.ongoing() {
                    let entry = p.txn.producers.producer(producer_id);
                    orphans.push(TxnEffect::WriteMarkers {
                        transactional_id: String::new(),
                        producer_id,
                        producer_epoch: entry.map_or(0, |e| e.epoch),
                        coordinator_epoch: entry.map_or(coordinator_epoch, |e| e.coordinator_epoch.max(coordinator_epoch)),
                        commit: false,
                        partitions: vec![(t.name.clone(), p.index)],
                    });
                }
            }
        }
        if !orphans.is_empty() {
            tracing::warn!("aborting open transactions no transactional id owns: {orphans:?}");
            self.apply_txn_effects(orphans);
        }
    }

    /// Removes a topic and its config overrides.
    pub(crate) fn remove_topic(&mut self, name: &str) {
        self.topics.remove(name);
        self.config_store.delete_topic(name);
    }

    /// Copies the config store's overrides of `names` into the topics (persisted metadata).
    pub(crate) fn sync_topic_overrides<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            let overrides = self.config_store.topic_overrides(name).cloned().unwrap_or_default();
            if let Some(t) = self.topics.get_mut(name) {
                t.configs = overrides;
            }
        }
    }

    pub(crate) fn broker(&self, id: i32) -> Option<&BrokerInfo> {
        self.brokers.iter().find(|b| b.id == id)
    }

    pub(crate) fn broker_mut(&mut self, id: i32) -> Option<&mut BrokerInfo> {
        self.brokers.iter_mut().find(|b| b.id == id)
    }

    /// The active controller as reported in metadata: the lowest-id broker that is up.
    pub(crate) fn controller_id(&self) -> i32 {
        self.brokers.iter().filter(|b| b.up).map(|b| b.id).min().unwrap_or(-1)
    }

    /// Spreads `count` partitions over the brokers: a seeded random start, then round
    /// robin; replicas follow the leader in broker order. `rf` must be <= broker count.
    pub(crate) fn place_replicas(&mut self, count: usize, rf: usize) -> Vec<Vec<i32>> {
        let n = self.brokers.len();
        let start = self.rng.below(n);
        (0..count)
            .map(|p| (0..rf).map(|r| self.brokers[(start + p + r) % n].id).collect())
            .collect()
    }

    /// Validates and (unless `validate_only`) creates a topic. `partitions`/`rf` of -1 mean
    /// the broker defaults; explicit `assignments` override both.
    pub(crate) fn create_topic(
        &mut self,
        name: &str,
        partitions: i32,
        rf: i16,
        assignments: Option<Vec<Vec<i32>>>,
        configs: BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<CreatedTopic, TopicError> {
        validate_topic_name(name).map_err(|m| TopicError::new(crate::codes::INVALID_TOPIC_EXCEPTION, m))?;
        if self.topics.contains(name) {
            return Err(TopicError::new(crate::codes::TOPIC_ALREADY_EXISTS, format!("topic {name:?} already exists")));
        }
        let replicas = match assignments {
            Some(assign) => {
                if partitions != -1 || rf != -1 {
                    return Err(TopicError::new(
                        crate::codes::INVALID_REQUEST,
                        format!("topic {name:?}: give either replica assignments or partitions/replication factor, not both"),
                    ));
                }
                self.validate_assignments(name, &assign)?;
                assign
            }
            None => {
                let partitions = if partitions == -1 { self.config.default_partitions } else { partitions };
                let rf = if rf == -1 { self.config.default_replication_factor } else { rf };
                if partitions <= 0 {
                    return Err(TopicError::new(
                        crate::codes::INVALID_PARTITIONS,
                        format!("topic {name:?}: number of partitions must be positive, got {partitions}"),
                    ));
                }
                if partitions > 100_000 {
                    return Err(TopicError::new(
                        crate::codes::INVALID_PARTITIONS,
                        format!("topic {name:?}: {partitions} partitions is above this broker's limit of 100000"),
                    ));
                }
                if rf <= 0 || rf as usize > self.brokers.len() {
                    return Err(TopicError::new(
                        crate::codes::INVALID_REPLICATION_FACTOR,
                        format!(
                            "topic {name:?}: replication factor {rf} must be between 1 and the broker count {}",
                            self.brokers.len()
                        ),
                    ));
                }
                if validate_only {
                    vec![vec![-1; rf as usize]; partitions as usize]
                } else {
                    self.place_replicas(partitions as usize, rf as usize)
                }
            }
        };
        let configs = self
            .config_store
            .validate_new_topic(name, configs.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))))
            .map_err(|e| TopicError::new(e.code(), e.to_string()))?;
        let created = CreatedTopic {
            id: Uuid::ZERO,
            partitions: replicas.len() as i32,
            replication_factor: replicas.first().map_or(0, |r| r.len() as i16),
            configs: configs.clone(),
        };
        if validate_only {
            return Ok(created);
        }
        let id = self.rng.uuid();
        self.config_store.create_topic(name, configs.clone());
        self.topics.insert(build_topic(name, id, replicas, configs));
        Ok(CreatedTopic { id, ..created })
    }

    fn validate_assignments(&self, name: &str, assign: &[Vec<i32>]) -> Result<(), TopicError> {
        if assign.is_empty() {
            return Err(TopicError::new(crate::codes::INVALID_PARTITIONS, format!("topic {name:?}: empty replica assignment")));
        }
        let rf = assign[0].len();
        for (p, replicas) in assign.iter().enumerate() {
            if replicas.is_empty() || replicas.len() != rf {
                return Err(TopicError::new(
                    crate::codes::INVALID_REPLICA_ASSIGNMENT,
                    format!("topic {name:?} partition {p}: every partition needs the same, non-zero number of replicas"),
                ));
            }
            for (i, b) in replicas.iter().enumerate() {
                if self.broker(*b).is_none() {
                    return Err(TopicError::new(
                        crate::codes::INVALID_REPLICA_ASSIGNMENT,
                        format!("topic {name:?} partition {p}: broker {b} does not exist"),
                    ));
                }
                if replicas[..i].contains(b) {
                    return Err(TopicError::new(
                        crate::codes::INVALID_REPLICA_ASSIGNMENT,
                        format!("topic {name:?} partition {p}: broker {b} listed twice"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The broker coordinating `key`: a test override, else the key's hash over the brokers.
    pub(crate) fn coordinator_for(&self, kind: CoordinatorType, key: &str) -> i32 {
        if let Some(b) = self.coordinator_overrides.get(&(kind, key.to_owned())) {
            return *b;
        }
        let n = self.brokers.len().max(1) as u64;
        let idx = (fnv1a(key.as_bytes()) % n) as usize;
        self.brokers.get(idx).map_or(-1, |b| b.id)
    }

}

fn build_topic(name: &str, id: Uuid, replicas: Vec<Vec<i32>>, configs: BTreeMap<String, String>) -> Topic {
    let partitions = replicas
        .into_iter()
        .enumerate()
        .map(|(i, replicas)| Partition::new(i as i32, replicas))
        .collect();
    Topic { name: name.to_owned(), id, partitions, configs, internal: name.starts_with("__") }
}

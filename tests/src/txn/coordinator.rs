//! The transaction coordinator: producer id allocation and the transaction state machine of
//! every transactional id (KIP-98), with KIP-360 epoch bumps after errors, KIP-588
//! `PRODUCER_FENCED`, transaction timeouts and KIP-664 DescribeTransactions and
//! ListTransactions (plus the KIP-994 duration filter).
//!
//! States follow Kafka's `TransactionState`: `Empty -> Ongoing -> PrepareCommit|PrepareAbort
//! -> CompleteCommit|CompleteAbort -> (Ongoing | Empty on InitProducerId)`.
//!
//! Completion is synchronous by default: EndTxn returns the marker effects and moves straight
//! to `Complete*`, because the actor applies the effects in the same turn. Setting
//! [`TxnCoordinatorConfig::marker_completion_delay_ms`] keeps the transaction in `Prepare*`
//! for that long (markers are still written at once), which reproduces Kafka's
//! `CONCURRENT_TRANSACTIONS` window for clients that race the next transaction.
//!
//! Partitions of `__consumer_offsets` that AddOffsetsToTxn adds show up in
//! DescribeTransactions, but no marker is written to them: the group coordinator gets a
//! [`TxnEffect::CompleteTxnOffsets`] instead.
//!
//! Fencing: InitProducerId with a transactional id bumps the epoch, so every request from the
//! older epoch gets `PRODUCER_FENCED` (`INVALID_PRODUCER_EPOCH` for request versions that
//! predate KIP-588). A transaction that is still open when InitProducerId arrives, or that
//! outlives its timeout, is aborted with a bumped epoch, which fences its producer too, as in
//! Kafka before KIP-890.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::describe_transactions_response::{
    TopicData, TransactionState as DescribedTransaction,
};
use kafka_protocol::messages::list_transactions_response::TransactionState as ListedTransaction;
use kafka_protocol::messages::txn_offset_commit_response::{
    TxnOffsetCommitResponsePartition, TxnOffsetCommitResponseTopic,
};
use kafka_protocol::messages::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse, AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse, DescribeTransactionsRequest, DescribeTransactionsResponse,
    EndTxnRequest, EndTxnResponse, InitProducerIdRequest, InitProducerIdResponse,
    ListTransactionsRequest, ListTransactionsResponse, TxnOffsetCommitRequest,
    TxnOffsetCommitResponse,
};

use super::codes;
use super::marker::BatchProducerInfo;

/// The internal topic whose partitions carry consumer group offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// Producer id meaning "none".
pub const NO_PRODUCER_ID: i64 = -1;
/// Producer epoch meaning "none".
pub const NO_PRODUCER_EPOCH: i16 = -1;

/// Settings of the transaction coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TxnCoordinatorConfig {
    /// `transaction.max.timeout.ms`: the largest `transaction.timeout.ms` a producer may ask
    /// for. Default 900000 (15 minutes).
    pub transaction_max_timeout_ms: i32,
    /// How long a transaction stays in `PrepareCommit`/`PrepareAbort` after EndTxn before it
    /// completes. Default 0: complete at once.
    pub marker_completion_delay_ms: i64,
    /// `offsets.topic.num.partitions`, used to name the `__consumer_offsets` partition of a
    /// group. Default 50.
    pub offsets_topic_partitions: i32,
    /// The first producer id handed out. Default 1000.
    pub first_producer_id: i64,
    /// The coordinator epoch written in markers. Default 0.
    pub coordinator_epoch: i32,
    /// Whether [`TxnCoordinator::verify_transactional_produce`] checks anything (KIP-890
    /// part 1's `transaction.partition.verification.enable`). Default true.
    pub verify_partitions: bool,
    /// `transactional.id.expiration.ms`: how long an idle transactional id (no open
    /// transaction) is kept before [`TxnCoordinator::expire_transactional_ids`] forgets it.
    /// Default 604800000 (7 days).
    pub transactional_id_expiration_ms: i64,
}

impl Default for TxnCoordinatorConfig {
    fn default() -> Self {
        Self {
            transaction_max_timeout_ms: 900_000,
            marker_completion_delay_ms: 0,
            offsets_topic_partitions: 50,
            first_producer_id: 1000,
            coordinator_epoch: 0,
            verify_partitions: true,
            transactional_id_expiration_ms: 604_800_000,
        }
    }
}

/// A rejected coordinator setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxnConfigError {
    /// The key is not one [`TxnCoordinatorConfig::set`] knows.
    #[error("unknown transaction coordinator config key {key:?}; known keys: {}", TxnCoordinatorConfig::KEYS.join(", "))]
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// The value does not parse or is out of range.
    #[error("invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The key.
        key: &'static str,
        /// The value as given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
}

impl TxnCoordinatorConfig {
    /// The Kafka broker properties [`set`](Self::set) accepts.
    pub const KEYS: [&'static str; 4] = [
        "transaction.max.timeout.ms",
        "transactional.id.expiration.ms",
        "offsets.topic.num.partitions",
        "transaction.partition.verification.enable",
    ];

    /// Builds a config from Kafka-style `key=value` broker properties, starting from the
    /// defaults. Every key must be one of [`KEYS`](Self::KEYS).
    pub fn from_properties<K: AsRef<str>, V: AsRef<str>>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, TxnConfigError> {
        let mut config = Self::default();
        for (key, value) in properties {
            config.set(key.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// Applies one Kafka broker property.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), TxnConfigError> {
        let positive = |key: &'static str| {
            value
                .trim()
                .parse::<i32>()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| TxnConfigError::InvalidValue {
                    key,
                    value: value.to_owned(),
                    expected: "an integer from 1 to 2147483647",
                })
        };
        match key {
            "transaction.max.timeout.ms" => {
                self.transaction_max_timeout_ms = positive("transaction.max.timeout.ms")?
            }
            "transactional.id.expiration.ms" => {
                self.transactional_id_expiration_ms =
                    i64::from(positive("transactional.id.expiration.ms")?)
            }
            "offsets.topic.num.partitions" => {
                self.offsets_topic_partitions = positive("offsets.topic.num.partitions")?
            }
            "transaction.partition.verification.enable" => {
                self.verify_partitions = match value.trim() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(TxnConfigError::InvalidValue {
                            key: "transaction.partition.verification.enable",
                            value: value.to_owned(),
                            expected: "true or false",
                        })
                    }
                }
            }
            other => {
                return Err(TxnConfigError::UnknownKey {
                    key: other.to_owned(),
                })
            }
        }
        Ok(())
    }

    /// Sets `transactional.id.expiration.ms`.
    pub fn with_transactional_id_expiration_ms(mut self, ms: i64) -> Self {
        self.transactional_id_expiration_ms = ms;
        self
    }

    /// Sets `transaction.max.timeout.ms`.
    pub fn with_transaction_max_timeout_ms(mut self, ms: i32) -> Self {
        self.transaction_max_timeout_ms = ms;
        self
    }

    /// Sets the Prepare -> Complete delay (0 = synchronous completion).
    pub fn with_marker_completion_delay_ms(mut self, ms: i64) -> Self {
        self.marker_completion_delay_ms = ms;
        self
    }

    /// Sets `offsets.topic.num.partitions`.
    pub fn with_offsets_topic_partitions(mut self, partitions: i32) -> Self {
        self.offsets_topic_partitions = partitions;
        self
    }

    /// Sets the first producer id handed out.
    pub fn with_first_producer_id(mut self, id: i64) -> Self {
        self.first_producer_id = id;
        self
    }

    /// Sets the coordinator epoch written in markers.
    pub fn with_coordinator_epoch(mut self, epoch: i32) -> Self {
        self.coordinator_epoch = epoch;
        self
    }

    /// Turns transactional produce verification on or off.
    pub fn with_verify_partitions(mut self, verify: bool) -> Self {
        self.verify_partitions = verify;
        self
    }
}

/// The state of one transactional id, named as Kafka names it on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxnState {
    /// No transaction open (just initialised).
    Empty,
    /// A transaction is open.
    Ongoing,
    /// EndTxn(commit) arrived; markers are being written.
    PrepareCommit,
    /// EndTxn(abort) or a timeout arrived; markers are being written.
    PrepareAbort,
    /// The last transaction committed.
    CompleteCommit,
    /// The last transaction aborted.
    CompleteAbort,
    /// Being expired. Never entered here ([`TxnCoordinator::expire_transactional_ids`]
    /// removes ids at once), but accepted in ListTransactions filters.
    Dead,
    /// Fencing in progress. Never entered here (fencing completes synchronously), but
    /// accepted in ListTransactions filters.
    PrepareEpochFence,
}

impl TxnState {
    /// Every state.
    pub const ALL: [TxnState; 8] = [
        TxnState::Empty,
        TxnState::Ongoing,
        TxnState::PrepareCommit,
        TxnState::PrepareAbort,
        TxnState::CompleteCommit,
        TxnState::CompleteAbort,
        TxnState::Dead,
        TxnState::PrepareEpochFence,
    ];

    /// The name DescribeTransactions and ListTransactions use.
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
            TxnState::Dead => "Dead",
            TxnState::PrepareEpochFence => "PrepareEpochFence",
        }
    }

    /// The state with this wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What the coordinator knows about one transactional id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionMetadata {
    /// The `transactional.id`.
    pub transactional_id: String,
    /// Current producer id.
    pub producer_id: i64,
    /// Producer id before the last rotation (KIP-360), or -1.
    pub last_producer_id: i64,
    /// Current producer epoch (-1 before the first InitProducerId completes).
    pub producer_epoch: i16,
    /// Epoch before the last KIP-360 bump, or -1.
    pub last_producer_epoch: i16,
    /// `transaction.timeout.ms` of the producer.
    pub timeout_ms: i32,
    /// Current state.
    pub state: TxnState,
    /// Partitions in the transaction (including `__consumer_offsets` ones).
    pub partitions: BTreeSet<(String, i32)>,
    /// Groups whose offsets are in the transaction.
    pub groups: BTreeSet<String>,
    /// When the current (or last) transaction started, or -1.
    pub start_time_ms: i64,
    /// When the metadata last changed.
    pub last_update_ms: i64,
    /// When a `Prepare*` state completes.
    pub(crate) complete_at_ms: Option<i64>,
}

impl TransactionMetadata {
    fn deadline(&self) -> Option<i64> {
        match self.state {
            TxnState::Ongoing => Some(
                self.start_time_ms
                    .saturating_add(i64::from(self.timeout_ms)),
            ),
            TxnState::PrepareCommit | TxnState::PrepareAbort => self.complete_at_ms,
            _ => None,
        }
    }
}

/// Something the actor must do to logs or groups on the coordinator's behalf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnEffect {
    /// Append a control batch (commit or abort marker) to each partition, then record it in
    /// the partition's [`PartitionTxnState`](super::PartitionTxnState).
    WriteMarkers {
        /// The transactional id, for logs and assertions.
        transactional_id: String,
        /// Producer whose transaction ends.
        producer_id: i64,
        /// Epoch to write in the marker batch.
        producer_epoch: i16,
        /// Coordinator epoch to write in the marker value.
        coordinator_epoch: i32,
        /// Commit or abort.
        commit: bool,
        /// `(topic, partition)` pairs, sorted.
        partitions: Vec<(String, i32)>,
    },
    /// Make the offsets the producer staged through TxnOffsetCommit visible (commit) or drop
    /// them (abort), in each of these groups.
    CompleteTxnOffsets {
        /// Producer whose staged offsets complete.
        producer_id: i64,
        /// Groups with staged offsets, sorted.
        groups: Vec<String>,
        /// Commit or abort.
        commit: bool,
    },
}

impl TxnEffect {
    /// Applies a [`TxnEffect::CompleteTxnOffsets`] to the group coordinator; does nothing for
    /// other effects.
    pub fn apply_offsets(&self, sink: &mut dyn TxnOffsetSink) {
        if let TxnEffect::CompleteTxnOffsets {
            producer_id,
            commit,
            ..
        } = self
        {
            sink.complete(*producer_id, *commit);
        }
    }
}

/// One offset a transactional producer commits for a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnOffset {
    /// Topic of the committed partition.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// Committed offset.
    pub offset: i64,
    /// Leader epoch of the committed offset (-1 when unknown or before v2).
    pub leader_epoch: i32,
    /// Client metadata.
    pub metadata: Option<String>,
}

/// The group coordinator as TxnOffsetCommit sees it.
pub trait TxnOffsetSink {
    /// Checks the member fields TxnOffsetCommit v3+ carries (KIP-447); v0-2 requests pass
    /// generation -1, an empty member id and no instance id, which must be accepted. Returns
    /// the group coordinator's error (`UNKNOWN_MEMBER_ID`, `ILLEGAL_GENERATION`,
    /// `FENCED_INSTANCE_ID`, ...).
    fn validate_member(
        &mut self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        group_instance_id: Option<&str>,
    ) -> Result<(), i16>;

    /// Stages offsets of an open transaction; they stay invisible until completed.
    fn stage(&mut self, producer_id: i64, group_id: &str, offsets: Vec<TxnOffset>);

    /// Makes the producer's staged offsets visible (commit) or discards them (abort).
    fn complete(&mut self, producer_id: i64, commit: bool);
}

/// Which partitions exist, for UNKNOWN_TOPIC_OR_PARTITION checks.
pub trait TopicView {
    /// Whether `topic` has a partition `partition`.
    fn partition_exists(&self, topic: &str, partition: i32) -> bool;
}

impl<F: Fn(&str, i32) -> bool> TopicView for F {
    fn partition_exists(&self, topic: &str, partition: i32) -> bool {
        self(topic, partition)
    }
}

/// The transaction coordinator of the whole cluster (one instance serves every transactional
/// id; which broker answers is the actor's business).
#[derive(Clone, Debug)]
pub struct TxnCoordinator {
    config: TxnCoordinatorConfig,
    next_producer_id: i64,
    txns: BTreeMap<String, TransactionMetadata>,
    /// Current producer id -> transactional id.
    by_producer: HashMap<i64, String>,
    /// Bumped by every call that may change persisted state (`data_dir` writes the
    /// snapshot again when it moved).
    revision: u64,
}

impl Default for TxnCoordinator {
    fn default() -> Self {
        Self::new(TxnCoordinatorConfig::default())
    }
}

impl TxnCoordinator {
    /// A coordinator with no transactional ids.
    pub fn new(config: TxnCoordinatorConfig) -> Self {
        Self {
            next_producer_id: config.first_producer_id,
            config,
            txns: BTreeMap::new(),
            by_producer: HashMap::new(),
            revision: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TxnCoordinatorConfig {
        &self.config
    }

    /// Simulates the coordinator moving to another broker: later markers carry a higher
    /// coordinator epoch, so partitions refuse markers from the old one
    /// (`TRANSACTION_COORDINATOR_FENCED`). Returns the new epoch.
    pub fn bump_coordinator_epoch(&mut self) -> i32 {
        self.revision = self.revision.wrapping_add(1);
        self.config.coordinator_epoch = self.config.coordinator_epoch.saturating_add(1);
        self.config.coordinator_epoch
    }

    /// The metadata of one transactional id.
    pub fn transaction(&self, transactional_id: &str) -> Option<&TransactionMetadata> {
        self.txns.get(transactional_id)
    }

    /// Every transactional id, sorted.
    pub fn transactions(&self) -> impl Iterator<Item = &TransactionMetadata> {
        self.txns.values()
    }

    /// The `__consumer_offsets` partition that stores a group's offsets (Java's
    /// `abs(groupId.hashCode()) % offsets.topic.num.partitions`).
    pub fn offsets_partition_for(&self, group_id: &str) -> i32 {
        let hash = group_id
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
        let positive = if hash == i32::MIN { 0 } else { hash.abs() };
        positive % self.config.offsets_topic_partitions.max(1)
    }

    fn allocate_producer_id(&mut self) -> i64 {
        let id = self.next_producer_id;
        self.next_producer_id = self.next_producer_id.saturating_add(1);
        id
    }

    /// InitProducerId (key 22), versions 0-5.
    pub fn init_producer_id(
        &mut self,
        request: &InitProducerIdRequest,
        version: i16,
        now_ms: i64,
    ) -> (InitProducerIdResponse, Vec<TxnEffect>) {
        self.revision = self.revision.wrapping_add(1);
        let reply = |code: i16, producer_id: i64, epoch: i16| {
            InitProducerIdResponse::default()
                .with_error_code(fenced_for_version(code, version, 4))
                .with_producer_id(producer_id)
                .with_producer_epoch(epoch)
        };
        let error = |code: i16| reply(code, NO_PRODUCER_ID, NO_PRODUCER_EPOCH);
        let Some(transactional_id) = request.transactional_id.as_deref() else {
            // Idempotent producers get a fresh id every time, even when they send their old
            // id and epoch (KIP-360 v3+): nothing is kept about them here.
            let id = self.allocate_producer_id();
            return (reply(codes::NONE, id, 0), Vec::new());
        };
        if transactional_id.is_empty() {
            return (error(codes::INVALID_REQUEST), Vec::new());
        }
        if (request.producer_id == NO_PRODUCER_ID) != (request.producer_epoch == NO_PRODUCER_EPOCH)
        {
            return (error(codes::INVALID_REQUEST), Vec::new());
        }
        if request.transaction_timeout_ms <= 0
            || request.transaction_timeout_ms > self.config.transaction_max_timeout_ms
        {
            return (error(codes::INVALID_TRANSACTION_TIMEOUT), Vec::new());
        }
        let expected = (request.producer_id != NO_PRODUCER_ID)
            .then_some((request.producer_id, request.producer_epoch));

        if !self.txns.contains_key(transactional_id) {
            let producer_id = self.allocate_producer_id();
            self.by_producer
                .insert(producer_id, transactional_id.to_owned());
            self.txns.insert(
                transactional_id.to_owned(),
                TransactionMetadata {
                    transactional_id: transactional_id.to_owned(),
                    producer_id,
                    last_producer_id: NO_PRODUCER_ID,
                    producer_epoch: NO_PRODUCER_EPOCH,
                    last_producer_epoch: NO_PRODUCER_EPOCH,
                    timeout_ms: request.transaction_timeout_ms,
                    state: TxnState::Empty,
                    partitions: BTreeSet::new(),
                    groups: BTreeSet::new(),
                    start_time_ms: -1,
                    last_update_ms: now_ms,
                    complete_at_ms: None,
                },
            );
        }
        let Some(meta) = self.txns.get(transactional_id) else {
            return (error(codes::INVALID_REQUEST), Vec::new());
        };

        if let Some((expected_id, expected_epoch)) = expected {
            // KIP-360: a producer resuming after an error names its id and epoch. Accept it if
            // the metadata is brand new, the id is current, or the id is the one just rotated
            // away from an exhausted epoch (a retry whose response was lost).
            let valid = meta.producer_epoch == NO_PRODUCER_EPOCH
                || expected_id == meta.producer_id
                || (expected_id == meta.last_producer_id && epoch_exhausted(expected_epoch));
            if !valid {
                return (error(codes::PRODUCER_FENCED), Vec::new());
            }
        }

        match meta.state {
            TxnState::PrepareCommit
            | TxnState::PrepareAbort
            | TxnState::PrepareEpochFence
            | TxnState::Dead => (error(codes::CONCURRENT_TRANSACTIONS), Vec::new()),
            TxnState::Ongoing => {
                // Fence the current producer and abort its transaction; the caller retries
                // (CONCURRENT_TRANSACTIONS) and then gets a second bump, as in Kafka.
                let effects = self.fence_and_abort(transactional_id, now_ms);
                (error(codes::CONCURRENT_TRANSACTIONS), effects)
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                let exhausted = epoch_exhausted(meta.producer_epoch);
                let (producer_id, epoch, last_id, last_epoch) =
                    if exhausted && expected.is_none_or(|(_, e)| e == meta.producer_epoch) {
                        let last_epoch = if expected.is_some() {
                            meta.producer_epoch
                        } else {
                            NO_PRODUCER_EPOCH
                        };
                        let old_id = meta.producer_id;
                        let new_id = self.allocate_producer_id();
                        (new_id, 0, old_id, last_epoch)
                    } else {
                        let bumped = meta.producer_epoch.saturating_add(1);
                        match expected {
                            None => (
                                meta.producer_id,
                                bumped,
                                meta.last_producer_id,
                                NO_PRODUCER_EPOCH,
                            ),
                            Some((_, e))
                                if meta.producer_epoch == NO_PRODUCER_EPOCH
                                    || e == meta.producer_epoch =>
                            {
                                (
                                    meta.producer_id,
                                    bumped,
                                    meta.last_producer_id,
                                    meta.producer_epoch,
                                )
                            }
                            // A retry of a bump that already happened: answer the same epoch.
                            Some((_, e)) if e == meta.last_producer_epoch => (
                                meta.producer_id,
                                meta.producer_epoch,
                                meta.last_producer_id,
                                meta.last_producer_epoch,
                            ),
                            Some(_) => return (error(codes::PRODUCER_FENCED), Vec::new()),
                        }
                    };
                let Some(meta) = self.txns.get_mut(transactional_id) else {
                    return (error(codes::INVALID_REQUEST), Vec::new());
                };
                if producer_id != meta.producer_id {
                    self.by_producer.remove(&meta.producer_id);
                    self.by_producer
                        .insert(producer_id, transactional_id.to_owned());
                }
                meta.producer_id = producer_id;
                meta.producer_epoch = epoch;
                meta.last_producer_id = last_id;
                meta.last_producer_epoch = last_epoch;
                meta.timeout_ms = request.transaction_timeout_ms;
                meta.state = TxnState::Empty;
                meta.partitions.clear();
                meta.groups.clear();
                meta.start_time_ms = -1;
                meta.last_update_ms = now_ms;
                (reply(codes::NONE, producer_id, epoch), Vec::new())
            }
        }
    }

    /// AddPartitionsToTxn (key 24), versions 0-5. Versions 0-3 carry one transaction (the
    /// client form); 4+ carry a batch of transactions (the broker-to-broker form, with
    /// `verify_only` for KIP-890 verification).
    pub fn add_partitions_to_txn(
        &mut self,
        request: &AddPartitionsToTxnRequest,
        version: i16,
        topics: &dyn TopicView,
        now_ms: i64,
    ) -> AddPartitionsToTxnResponse {
        self.revision = self.revision.wrapping_add(1);
        let mut response = AddPartitionsToTxnResponse::default();
        if version <= 3 {
            response.results_by_topic_v3_and_below = self.add_partitions(
                &request.v3_and_below_transactional_id,
                request.v3_and_below_producer_id,
                request.v3_and_below_producer_epoch,
                &request.v3_and_below_topics,
                false,
                version,
                topics,
                now_ms,
            );
        } else {
            for txn in &request.transactions {
                let results = self.add_partitions(
                    &txn.transactional_id,
                    txn.producer_id,
                    txn.producer_epoch,
                    &txn.topics,
                    txn.verify_only,
                    version,
                    topics,
                    now_ms,
                );
                response.results_by_transaction.push(
                    AddPartitionsToTxnResult::default()
                        .with_transactional_id(txn.transactional_id.clone())
                        .with_topic_results(results),
                );
            }
        }
        response
    }

    #[allow(clippy::too_many_arguments)]
    fn add_partitions(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        request_topics: &[AddPartitionsToTxnTopic],
        verify_only: bool,
        version: i16,
        topics: &dyn TopicView,
        now_ms: i64,
    ) -> Vec<AddPartitionsToTxnTopicResult> {
        let requested: Vec<(String, i32)> = request_topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(move |p| (t.name.clone(), *p)))
            .collect();
        let unknown: BTreeSet<&(String, i32)> = requested
            .iter()
            .filter(|(t, p)| !topics.partition_exists(t, *p))
            .collect();
        let codes_by_partition: Vec<i16> = if !unknown.is_empty() {
            requested
                .iter()
                .map(|tp| {
                    if unknown.contains(tp) {
                        codes::UNKNOWN_TOPIC_OR_PARTITION
                    } else {
                        codes::OPERATION_NOT_ATTEMPTED
                    }
                })
                .collect()
        } else {
            match self.check_producer(transactional_id, producer_id, producer_epoch) {
                Err(code) => vec![fenced_for_version(code, version, 2); requested.len()],
                Ok(meta) if verify_only => requested
                    .iter()
                    .map(|tp| {
                        if meta.state == TxnState::Ongoing && meta.partitions.contains(tp) {
                            codes::NONE
                        } else if version >= 5 {
                            // KIP-890: v5 answers TRANSACTION_ABORTABLE, older versions
                            // INVALID_TXN_STATE (checked against Kafka 4.3 by
                            // tests/differential.rs).
                            kafka_protocol::ErrorCode::TransactionAbortable.code()
                        } else {
                            codes::INVALID_TXN_STATE
                        }
                    })
                    .collect(),
                Ok(_) => {
                    let code = self.begin_or_extend(
                        transactional_id,
                        requested.iter().cloned(),
                        None,
                        now_ms,
                    );
                    vec![code; requested.len()]
                }
            }
        };
        group_results(&requested, &codes_by_partition)
    }

    /// AddOffsetsToTxn (key 25), versions 0-4: puts the group's `__consumer_offsets`
    /// partition into the transaction.
    pub fn add_offsets_to_txn(
        &mut self,
        request: &AddOffsetsToTxnRequest,
        version: i16,
        now_ms: i64,
    ) -> AddOffsetsToTxnResponse {
        self.revision = self.revision.wrapping_add(1);
        let code = match self.check_producer(
            &request.transactional_id,
            request.producer_id,
            request.producer_epoch,
        ) {
            Err(code) => fenced_for_version(code, version, 2),
            Ok(_) => {
                let partition = (
                    OFFSETS_TOPIC.to_owned(),
                    self.offsets_partition_for(&request.group_id),
                );
                self.begin_or_extend(
                    &request.transactional_id,
                    std::iter::once(partition),
                    Some(request.group_id.clone()),
                    now_ms,
                )
            }
        };
        AddOffsetsToTxnResponse::default().with_error_code(code)
    }

    /// Adds partitions (and a group) to the transaction, opening it if needed. The producer
    /// has been checked. Returns the error code for every partition.
    fn begin_or_extend(
        &mut self,
        transactional_id: &str,
        partitions: impl Iterator<Item = (String, i32)>,
        group: Option<String>,
        now_ms: i64,
    ) -> i16 {
        let Some(meta) = self.txns.get_mut(transactional_id) else {
            return codes::INVALID_PRODUCER_ID_MAPPING;
        };
        match meta.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence => {
                return codes::CONCURRENT_TRANSACTIONS
            }
            TxnState::Dead => return codes::INVALID_TXN_STATE,
            TxnState::Ongoing => {}
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                meta.state = TxnState::Ongoing;
                meta.start_time_ms = now_ms;
                meta.partitions.clear();
                meta.groups.clear();
            }
        }
        meta.partitions.extend(partitions);
        meta.groups.extend(group);
        meta.last_update_ms = now_ms;
        codes::NONE
    }

    /// EndTxn (key 26), versions 0-5. Returns the response and the effects of completing the
    /// transaction.
    ///
    /// Version 5 is KIP-890 part 2 (transaction version 2): ending a transaction bumps the
    /// producer epoch (markers carry the bumped epoch) and the response carries the producer
    /// id and new epoch (-1/-1 on errors); a retry with the pre-bump epoch of the same outcome
    /// succeeds; aborting with no open transaction bumps the epoch and completes an empty
    /// abort; committing with none is `INVALID_TXN_STATE`. Epoch exhaustion (a new producer
    /// id at `i16::MAX`) is not modelled: the epoch then stays.
    pub fn end_txn(
        &mut self,
        request: &EndTxnRequest,
        version: i16,
        now_ms: i64,
    ) -> (EndTxnResponse, Vec<TxnEffect>) {
        self.revision = self.revision.wrapping_add(1);
        let tv2 = version >= 5;
        let commit = request.committed;
        let id = &request.transactional_id;
        // A TV2 retry: the epoch just before the bump, for the outcome already reached.
        let retry = tv2
            && self.txns.get(id).is_some_and(|m| {
                m.producer_id == request.producer_id
                    && m.producer_epoch.checked_sub(1) == Some(request.producer_epoch)
                    && matches!(
                        (m.state, commit),
                        (TxnState::CompleteCommit | TxnState::PrepareCommit, true)
                            | (TxnState::CompleteAbort | TxnState::PrepareAbort, false)
                    )
            });
        let checked = if retry {
            Ok(())
        } else {
            self.check_producer(id, request.producer_id, request.producer_epoch)
                .map(|_| ())
        };
        let (code, effects) = match checked {
            Err(code) => (fenced_for_version(code, version, 2), Vec::new()),
            Ok(()) => {
                let state = self.txns.get(id).map_or(TxnState::Dead, |m| m.state);
                match state {
                    _ if retry => (codes::NONE, Vec::new()),
                    TxnState::Ongoing => {
                        if tv2 {
                            self.bump_epoch(id);
                        }
                        (codes::NONE, self.complete(id, commit, now_ms))
                    }
                    TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
                        if tv2 && !commit =>
                    {
                        self.bump_epoch(id);
                        if let Some(meta) = self.txns.get_mut(id) {
                            meta.partitions.clear();
                            meta.groups.clear();
                            meta.start_time_ms = now_ms;
                        }
                        (codes::NONE, self.complete(id, commit, now_ms))
                    }
                    TxnState::CompleteCommit if commit && !tv2 => (codes::NONE, Vec::new()),
                    TxnState::CompleteAbort if !commit && !tv2 => (codes::NONE, Vec::new()),
                    TxnState::PrepareCommit if commit => {
                        (codes::CONCURRENT_TRANSACTIONS, Vec::new())
                    }
                    TxnState::PrepareAbort if !commit => {
                        (codes::CONCURRENT_TRANSACTIONS, Vec::new())
                    }
                    TxnState::PrepareEpochFence => (codes::CONCURRENT_TRANSACTIONS, Vec::new()),
                    _ => (codes::INVALID_TXN_STATE, Vec::new()),
                }
            }
        };
        let mut response = EndTxnResponse::default().with_error_code(code);
        if tv2 {
            // Kafka answers errors with no producer id and epoch (checked against Kafka 4.3
            // by tests/differential.rs).
            let (id, epoch) = match self.txns.get(id) {
                Some(m) if code == codes::NONE => (m.producer_id, m.producer_epoch),
                _ => (NO_PRODUCER_ID, NO_PRODUCER_EPOCH),
            };
            response.producer_id = id;
            response.producer_epoch = epoch;
        }
        (response, effects)
    }

    /// KIP-890 part 2: the epoch bump of a TV2 EndTxn (no bump at `i16::MAX`).
    fn bump_epoch(&mut self, transactional_id: &str) {
        if let Some(meta) = self.txns.get_mut(transactional_id) {
            meta.producer_epoch = meta.producer_epoch.checked_add(1).filter(|e| *e < i16::MAX).unwrap_or(meta.producer_epoch);
        }
    }

    /// TxnOffsetCommit (key 28), versions 0-4, with a minimal group side behind
    /// [`TxnOffsetSink`]. Order of checks: unknown partitions (per partition), then the
    /// transaction ([`check_txn_offset_commit`](Self::check_txn_offset_commit)), then the
    /// member fields through the sink; the accepted offsets are staged in one call.
    ///
    /// A group coordinator with its own TxnOffsetCommit handler can instead call
    /// `check_txn_offset_commit` first and answer [`txn_offset_commit_error`] on failure.
    pub fn txn_offset_commit(
        &mut self,
        request: &TxnOffsetCommitRequest,
        topics: &dyn TopicView,
        groups: &mut dyn TxnOffsetSink,
        now_ms: i64,
    ) -> TxnOffsetCommitResponse {
        self.revision = self.revision.wrapping_add(1);
        let common = match self.check_txn_offset_commit(request) {
            Err(code) => code,
            Ok(()) => match groups.validate_member(
                &request.group_id,
                request.generation_id,
                &request.member_id,
                request.group_instance_id.as_deref(),
            ) {
                Ok(()) => codes::NONE,
                Err(code) => code,
            },
        };
        let mut staged = Vec::new();
        let mut response = TxnOffsetCommitResponse::default();
        for topic in &request.topics {
            let mut out = TxnOffsetCommitResponseTopic::default().with_name(topic.name.clone());
            for p in &topic.partitions {
                let code = if !topics.partition_exists(&topic.name, p.partition_index) {
                    codes::UNKNOWN_TOPIC_OR_PARTITION
                } else if common != codes::NONE {
                    common
                } else {
                    staged.push(TxnOffset {
                        topic: topic.name.clone(),
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        leader_epoch: p.committed_leader_epoch,
                        metadata: p.committed_metadata.clone(),
                    });
                    codes::NONE
                };
                out.partitions.push(
                    TxnOffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code),
                );
            }
            response.topics.push(out);
        }
        if !staged.is_empty() {
            groups.stage(request.producer_id, &request.group_id, staged);
            if let Some(meta) = self.txns.get_mut(&request.transactional_id) {
                meta.last_update_ms = now_ms;
            }
        }
        response
    }

    /// The transaction side of TxnOffsetCommit: the transactional id must map to the
    /// request's producer id (`INVALID_PRODUCER_ID_MAPPING`), with the current epoch
    /// (`INVALID_PRODUCER_EPOCH`), and the group must have been added to the open
    /// transaction with AddOffsetsToTxn (`INVALID_TXN_STATE`), as KIP-890 verification
    /// requires.
    pub fn check_txn_offset_commit(&self, request: &TxnOffsetCommitRequest) -> Result<(), i16> {
        let meta = self
            .txns
            .get(&request.transactional_id)
            .ok_or(codes::INVALID_PRODUCER_ID_MAPPING)?;
        if meta.producer_id != request.producer_id {
            return Err(codes::INVALID_PRODUCER_ID_MAPPING);
        }
        if meta.producer_epoch != request.producer_epoch {
            return Err(codes::INVALID_PRODUCER_EPOCH);
        }
        if meta.state != TxnState::Ongoing || !meta.groups.contains(&request.group_id) {
            return Err(codes::INVALID_TXN_STATE);
        }
        Ok(())
    }

    /// Checks a transactional data batch against the coordinator before the partition
    /// appends it: the producer must be the current one for its transactional id, with the
    /// current epoch, and the partition must have been added to the open transaction.
    /// Errors are produce-response codes: `INVALID_PRODUCER_EPOCH` for an older epoch,
    /// `INVALID_TXN_STATE` otherwise. Always `Ok` when
    /// [`TxnCoordinatorConfig::verify_partitions`] is off.
    pub fn verify_transactional_produce(
        &self,
        batch: &BatchProducerInfo,
        topic: &str,
        partition: i32,
    ) -> Result<(), i16> {
        if !self.config.verify_partitions || !batch.is_transactional {
            return Ok(());
        }
        let meta = self
            .by_producer
            .get(&batch.producer_id)
            .and_then(|id| self.txns.get(id))
            .ok_or(codes::INVALID_TXN_STATE)?;
        if batch.producer_epoch < meta.producer_epoch {
            return Err(codes::INVALID_PRODUCER_EPOCH);
        }
        if batch.producer_epoch != meta.producer_epoch
            || meta.state != TxnState::Ongoing
            || !meta.partitions.contains(&(topic.to_owned(), partition))
        {
            return Err(codes::INVALID_TXN_STATE);
        }
        Ok(())
    }

    /// DescribeTransactions (key 65), version 0.
    pub fn describe_transactions(
        &self,
        request: &DescribeTransactionsRequest,
    ) -> DescribeTransactionsResponse {
        let mut response = DescribeTransactionsResponse::default();
        for id in &request.transactional_ids {
            let described = match self.txns.get(id) {
                None => DescribedTransaction::default()
                    .with_transactional_id(id.clone())
                    // Kafka fills in nothing but the id and the error: the other fields keep
                    // the schema defaults (0), checked against Kafka 4.3 by
                    // tests/differential.rs.
                    .with_error_code(codes::TRANSACTIONAL_ID_NOT_FOUND),
                Some(meta) => {
                    let mut topics: Vec<TopicData> = Vec::new();
                    for (topic, partition) in &meta.partitions {
                        match topics.last_mut() {
                            Some(last) if &last.topic == topic => last.partitions.push(*partition),
                            _ => topics.push(
                                TopicData::default()
                                    .with_topic(topic.clone())
                                    .with_partitions(vec![*partition]),
                            ),
                        }
                    }
                    DescribedTransaction::default()
                        .with_transactional_id(id.clone())
                        .with_transaction_state(meta.state.name().to_owned())
                        .with_transaction_timeout_ms(meta.timeout_ms)
                        .with_transaction_start_time_ms(meta.start_time_ms)
                        .with_producer_id(meta.producer_id)
                        .with_producer_epoch(meta.producer_epoch)
                        .with_topics(topics)
                }
            };
            response.transaction_states.push(described);
        }
        response
    }

    /// ListTransactions (key 66), versions 0-1. State filters use Kafka's state names;
    /// unknown names are echoed in `unknown_state_filters`, and when every state filter is
    /// unknown nothing matches. The v1 duration filter keeps transactions that have run
    /// longer than it.
    pub fn list_transactions(
        &self,
        request: &ListTransactionsRequest,
        version: i16,
        now_ms: i64,
    ) -> ListTransactionsResponse {
        let mut response = ListTransactionsResponse::default();
        let mut states = BTreeSet::new();
        for name in &request.state_filters {
            match TxnState::from_name(name) {
                Some(s) => {
                    states.insert(s);
                }
                None => response.unknown_state_filters.push(name.clone()),
            }
        }
        if !request.state_filters.is_empty() && states.is_empty() {
            return response;
        }
        let duration = if version >= 1 {
            request.duration_filter
        } else {
            -1
        };
        for meta in self.txns.values() {
            if !states.is_empty() && !states.contains(&meta.state) {
                continue;
            }
            if !request.producer_id_filters.is_empty()
                && !request.producer_id_filters.contains(&meta.producer_id)
            {
                continue;
            }
            if duration >= 0 && now_ms.saturating_sub(meta.start_time_ms) <= duration {
                continue;
            }
            response.transaction_states.push(
                ListedTransaction::default()
                    .with_transactional_id(meta.transactional_id.clone())
                    .with_producer_id(meta.producer_id)
                    .with_transaction_state(meta.state.name().to_owned()),
            );
        }
        response
    }

    /// Forgets transactional ids without an open transaction (`Empty`, `CompleteCommit`,
    /// `CompleteAbort`) whose metadata has not changed for
    /// `transactional.id.expiration.ms`. Their producers then get
    /// `INVALID_PRODUCER_ID_MAPPING`. Kafka runs this hourly; the actor may call it on any
    /// schedule. Returns the expired ids, sorted.
    pub fn expire_transactional_ids(&mut self, now_ms: i64) -> Vec<String> {
        self.revision = self.revision.wrapping_add(1);
        let expiration = self.config.transactional_id_expiration_ms;
        let expired: Vec<String> = self
            .txns
            .values()
            .filter(|m| {
                matches!(
                    m.state,
                    TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
                ) && now_ms.saturating_sub(m.last_update_ms) >= expiration
            })
            .map(|m| m.transactional_id.clone())
            .collect();
        for id in &expired {
            if let Some(meta) = self.txns.remove(id) {
                self.by_producer.remove(&meta.producer_id);
            }
        }
        expired
    }

    /// When [`on_timeout`](Self::on_timeout) next has work: the earliest transaction timeout
    /// or `Prepare*` completion.
    pub fn next_deadline(&self) -> Option<i64> {
        self.txns
            .values()
            .filter_map(TransactionMetadata::deadline)
            .min()
    }

    /// Aborts every open transaction whose `transaction.timeout.ms` has passed (bumping the
    /// producer's epoch, which fences it) and completes `Prepare*` states whose delay is up.
    pub fn on_timeout(&mut self, now_ms: i64) -> Vec<TxnEffect> {
        let due: Vec<(String, TxnState)> = self
            .txns
            .values()
            .filter(|m| m.deadline().is_some_and(|d| d <= now_ms))
            .map(|m| (m.transactional_id.clone(), m.state))
            .collect();
        let mut effects = Vec::new();
        if !due.is_empty() {
            self.revision = self.revision.wrapping_add(1);
        }
        for (id, state) in due {
            match state {
                TxnState::Ongoing => effects.extend(self.fence_and_abort(&id, now_ms)),
                TxnState::PrepareCommit | TxnState::PrepareAbort => {
                    if let Some(meta) = self.txns.get_mut(&id) {
                        finish(meta, now_ms);
                    }
                }
                _ => {}
            }
        }
        effects
    }

    /// A counter that moves whenever a call may have changed what `data_dir` persistence
    /// snapshots of this coordinator.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What `data_dir` persistence keeps: the producer-id counter, the coordinator epoch and
    /// every transactional id's metadata.
    pub(crate) fn snapshot(&self) -> TxnSnapshot {
        TxnSnapshot {
            next_producer_id: self.next_producer_id,
            coordinator_epoch: self.config.coordinator_epoch,
            txns: self.txns.values().cloned().collect(),
        }
    }

    /// Loads a snapshot read from the data dir. The producer-id counter and coordinator
    /// epoch only move forward; transactional ids replace those of the same name. Open
    /// transactions stay open until [`resolve_interrupted`](Self::resolve_interrupted).
    pub(crate) fn restore(&mut self, snapshot: TxnSnapshot) {
        self.revision = self.revision.wrapping_add(1);
        self.next_producer_id = self.next_producer_id.max(snapshot.next_producer_id);
        self.config.coordinator_epoch = self.config.coordinator_epoch.max(snapshot.coordinator_epoch);
        for mut meta in snapshot.txns {
            meta.complete_at_ms = None;
            if let Some(old) = self.txns.get(&meta.transactional_id) {
                self.by_producer.remove(&old.producer_id);
            }
            self.by_producer
                .insert(meta.producer_id, meta.transactional_id.clone());
            self.txns.insert(meta.transactional_id.clone(), meta);
        }
    }

    /// Makes sure no producer id up to `max_seen` (found in the restored logs) is handed
    /// out again.
    pub(crate) fn reserve_producer_ids_through(&mut self, max_seen: i64) {
        let next = max_seen.saturating_add(1);
        if next > self.next_producer_id {
            self.revision = self.revision.wrapping_add(1);
            self.next_producer_id = next;
        }
    }

    /// Settles transactions a restart interrupted: an `Ongoing` one is aborted with a bumped
    /// epoch (fencing its producer, as a transaction timeout would), and `Prepare*` states
    /// complete (their markers were written before the state was persisted). Returns the
    /// abort markers to write.
    pub(crate) fn resolve_interrupted(&mut self, now_ms: i64) -> Vec<TxnEffect> {
        self.revision = self.revision.wrapping_add(1);
        let ids: Vec<(String, TxnState)> = self
            .txns
            .values()
            .filter(|m| {
                matches!(
                    m.state,
                    TxnState::Ongoing | TxnState::PrepareCommit | TxnState::PrepareAbort
                )
            })
            .map(|m| (m.transactional_id.clone(), m.state))
            .collect();
        let mut effects = Vec::new();
        for (id, state) in ids {
            if state == TxnState::Ongoing {
                effects.extend(self.fence_and_abort(&id, now_ms));
            } else if let Some(meta) = self.txns.get_mut(&id) {
                finish(meta, now_ms);
            }
        }
        effects
    }

    fn check_producer(
        &self,
        transactional_id: &str,
        producer_id: i64,
        epoch: i16,
    ) -> Result<&TransactionMetadata, i16> {
        if transactional_id.is_empty() {
            return Err(codes::INVALID_REQUEST);
        }
        let meta = self
            .txns
            .get(transactional_id)
            .ok_or(codes::INVALID_PRODUCER_ID_MAPPING)?;
        if meta.producer_id != producer_id {
            return Err(codes::INVALID_PRODUCER_ID_MAPPING);
        }
        if meta.producer_epoch != epoch {
            return Err(codes::PRODUCER_FENCED);
        }
        Ok(meta)
    }

    /// Bumps the epoch (fencing the current producer) and aborts the open transaction.
    fn fence_and_abort(&mut self, transactional_id: &str, now_ms: i64) -> Vec<TxnEffect> {
        if let Some(meta) = self.txns.get_mut(transactional_id) {
            meta.producer_epoch = meta
                .producer_epoch
                .checked_add(1)
                .unwrap_or(meta.producer_epoch);
        }
        self.complete(transactional_id, false, now_ms)
    }

    /// Ends the open transaction: moves to `Prepare*` (or straight to `Complete*`) and
    /// returns the markers and group completions to apply.
    fn complete(&mut self, transactional_id: &str, commit: bool, now_ms: i64) -> Vec<TxnEffect> {
        let delay = self.config.marker_completion_delay_ms;
        let coordinator_epoch = self.config.coordinator_epoch;
        let Some(meta) = self.txns.get_mut(transactional_id) else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        let partitions: Vec<(String, i32)> = meta
            .partitions
            .iter()
            .filter(|(t, _)| t != OFFSETS_TOPIC)
            .cloned()
            .collect();
        if !partitions.is_empty() {
            effects.push(TxnEffect::WriteMarkers {
                transactional_id: transactional_id.to_owned(),
                producer_id: meta.producer_id,
                producer_epoch: meta.producer_epoch,
                coordinator_epoch,
                commit,
                partitions,
            });
        }
        if !meta.groups.is_empty() {
            effects.push(TxnEffect::CompleteTxnOffsets {
                producer_id: meta.producer_id,
                groups: meta.groups.iter().cloned().collect(),
                commit,
            });
        }
        meta.state = if commit {
            TxnState::PrepareCommit
        } else {
            TxnState::PrepareAbort
        };
        meta.last_update_ms = now_ms;
        if delay > 0 {
            meta.complete_at_ms = Some(now_ms.saturating_add(delay));
        } else {
            finish(meta, now_ms);
        }
        effects
    }
}

/// The persisted part of a [`TxnCoordinator`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TxnSnapshot {
    /// The next producer id to hand out.
    pub(crate) next_producer_id: i64,
    /// The coordinator epoch written in markers.
    pub(crate) coordinator_epoch: i32,
    /// Every transactional id.
    pub(crate) txns: Vec<TransactionMetadata>,
}

/// A TxnOffsetCommit response carrying `code` for every partition of the request.
pub fn txn_offset_commit_error(
    request: &TxnOffsetCommitRequest,
    code: i16,
) -> TxnOffsetCommitResponse {
    let topics = request
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
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
    TxnOffsetCommitResponse::default().with_topics(topics)
}

/// Moves a `Prepare*` transaction to its `Complete*` state.
fn finish(meta: &mut TransactionMetadata, now_ms: i64) {
    meta.state = match meta.state {
        TxnState::PrepareCommit => TxnState::CompleteCommit,
        TxnState::PrepareAbort => TxnState::CompleteAbort,
        other => other,
    };
    meta.partitions.clear();
    meta.groups.clear();
    meta.complete_at_ms = None;
    meta.last_update_ms = now_ms;
}

/// Kafka treats an epoch this high as used up: the next InitProducerId rotates the id.
fn epoch_exhausted(epoch: i16) -> bool {
    epoch >= i16::MAX - 1
}

/// Requests older than the version that introduced `PRODUCER_FENCED` (KIP-588) get
/// `INVALID_PRODUCER_EPOCH` instead, which those clients understand.
fn fenced_for_version(code: i16, version: i16, first_version_with_fenced: i16) -> i16 {
    if code == codes::PRODUCER_FENCED && version < first_version_with_fenced {
        codes::INVALID_PRODUCER_EPOCH
    } else {
        code
    }
}

/// Groups `(topic, partition)` codes by topic, keeping request order.
fn group_results(
    requested: &[(String, i32)],
    codes_by_partition: &[i16],
) -> Vec<AddPartitionsToTxnTopicResult> {
    let mut out: Vec<AddPartitionsToTxnTopicResult> = Vec::new();
    for ((topic, partition), code) in requested.iter().zip(codes_by_partition) {
        let result = AddPartitionsToTxnPartitionResult::default()
            .with_partition_index(*partition)
            .with_partition_error_code(*code);
        match out.iter_mut().find(|t| &t.name == topic) {
            Some(t) => t.results_by_partition.push(result),
            None => out.push(
                AddPartitionsToTxnTopicResult::default()
                    .with_name(topic.clone())
                    .with_results_by_partition(vec![result]),
            ),
        }
    }
    out
}

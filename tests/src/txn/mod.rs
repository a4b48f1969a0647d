//! Idempotent producers and transactions for the in-process broker, as sans-IO state machines
//! the cluster actor calls (KIP-98 exactly-once, KIP-360 epoch bumps, KIP-447 producer
//! fencing via TxnOffsetCommit member fields, KIP-588 PRODUCER_FENCED, KIP-664
//! Describe/ListTransactions and DescribeProducers, KIP-994 duration filter, KIP-890 part 1 verification and part 2 epoch bumps on EndTxn v5;
//! no implicit partition adds, as Produce stops at v11).
//!
//! Nothing here touches a socket, a clock or the logs. Time is passed in as milliseconds;
//! everything that has to happen to logs or consumer groups comes back as [`TxnEffect`] data
//! for the actor to apply.
//!
//! - [`producer_state`]: per partition, validates producer sequence numbers and epochs and
//!   finds duplicates.
//! - [`lso`]: per partition, tracks open transactions (last stable offset) and aborted ones
//!   (the index read_committed fetches need).
//! - [`PartitionTxnState`] bundles the two, so the actor keeps one per partition.
//! - [`coordinator`]: the transaction coordinator (InitProducerId, AddPartitionsToTxn,
//!   AddOffsetsToTxn, EndTxn, TxnOffsetCommit, DescribeTransactions, ListTransactions,
//!   timeouts).
//! - [`marker`]: batch header fields and control-batch encoding.
//!
//! # How the actor uses this
//!
//! State: one [`TxnCoordinator`] for the cluster, one [`PartitionTxnState`] per partition.
//!
//! Produce (v3+), per partition, after the batch passed format validation:
//! 1. `let info = BatchProducerInfo::parse(records)`; on a LogAppendTime topic set
//!    `info.max_timestamp` to the append time.
//! 2. `coordinator.verify_transactional_produce(&info, topic, partition)?` (a no-op for
//!    non-transactional batches; refuses transactional writes to partitions the transaction
//!    never added, KIP-890 part 1 style).
//! 3. `partition_txn.validate_append(&info)` (errors: `e.code()`, `e.to_string()` for v8+
//!    `error_message`): `Duplicate { base_offset, timestamp, .. }` -> answer NONE with that
//!    base offset (and `timestamp` as `log_append_time_ms` on LogAppendTime topics), append
//!    nothing; `Append` -> append, then `partition_txn.record_append(&info, base_offset, now)`.
//!
//! Fetch (v4+) and ListOffsets: with isolation level 1 (read_committed) serve only whole
//! batches whose last offset is below `partition_txn.last_stable_offset(hw)` (the read must
//! stop there, not only start below it), and put
//! `partition_txn.aborted_for_fetch(fetch_offset, last_returned_offset + 1)` in
//! `aborted_transactions` (`None`/empty for read_uncommitted). Always report
//! `last_stable_offset`. ListOffsets latest (-1) with read_committed answers the LSO.
//!
//! Transaction APIs: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn,
//! DescribeTransactions and ListTransactions map one-to-one onto [`TxnCoordinator`] methods
//! (the actor decides NOT_COORDINATOR beforehand). TxnOffsetCommit: either
//! [`TxnCoordinator::txn_offset_commit`] with a [`TxnOffsetSink`] adaptor, or
//! [`TxnCoordinator::check_txn_offset_commit`] and then the group coordinator's own handler
//! ([`coordinator::txn_offset_commit_error`] on failure). DescribeProducers:
//! [`describe_producers`].
//!
//! Effects, returned by InitProducerId, EndTxn and `on_timeout`: for
//! [`TxnEffect::WriteMarkers`], per partition check [`PartitionTxnState::validate_marker`],
//! append [`PartitionTxnState::marker_batch`] (a valid v2 control batch; the log patches base
//! offset and leader epoch), then [`PartitionTxnState::record_marker`] with the offset it got;
//! for [`TxnEffect::CompleteTxnOffsets`] call the group coordinator's completion
//! ([`TxnEffect::apply_offsets`]).
//!
//! Timers: sleep until `coordinator.next_deadline()` and call `on_timeout(now)`; recompute the
//! deadline after every transaction request. DeleteRecords and retention:
//! [`PartitionTxnState::truncate_front`].
//!
//! Persistence (`data_dir`): the coordinator's persisted part is `snapshot()` / `restore()`
//! (producer-id counter, coordinator epoch, every transactional id), written again whenever
//! [`TxnCoordinator::revision`] moved; after a restart `resolve_interrupted` aborts the
//! transactions that were open. Partition state is not stored: replaying the stored batches
//! through `record_append` / `record_marker` rebuilds it.

pub mod coordinator;
pub mod lso;
pub mod marker;
pub mod producer_state;
#[cfg(test)]
mod tests;

pub use coordinator::{
    TxnConfigError, TxnCoordinator, TxnCoordinatorConfig, TxnEffect, TxnOffsetSink, TxnState,
};
pub use lso::{AbortedTxn, TxnIndex};
pub use marker::{BatchProducerInfo, ControlMarker, MarkerBatch};
pub use producer_state::{
    AppendDecision, ProducerStateError, ProducerStateTable, UnknownProducerPolicy,
};

use bytes::Bytes;
use kafka_protocol::messages::describe_producers_response::{PartitionResponse, TopicResponse};
use kafka_protocol::messages::fetch_response::AbortedTransaction;
use kafka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse};

/// The Kafka error codes this module answers with, as the `i16` the generated messages carry,
/// taken from [`kafka_protocol::ErrorCode`].
pub mod codes {
    use kafka_protocol::ErrorCode;

    /// No error.
    pub const NONE: i16 = 0;
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = ErrorCode::UnknownTopicOrPartition.code();
    /// `NOT_COORDINATOR`.
    pub const NOT_COORDINATOR: i16 = ErrorCode::NotCoordinator.code();
    /// `INVALID_REQUEST`.
    pub const INVALID_REQUEST: i16 = ErrorCode::InvalidRequest.code();
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`.
    pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = ErrorCode::OutOfOrderSequenceNumber.code();
    /// `INVALID_PRODUCER_EPOCH`.
    pub const INVALID_PRODUCER_EPOCH: i16 = ErrorCode::InvalidProducerEpoch.code();
    /// `INVALID_TXN_STATE`.
    pub const INVALID_TXN_STATE: i16 = ErrorCode::InvalidTxnState.code();
    /// `INVALID_PRODUCER_ID_MAPPING`.
    pub const INVALID_PRODUCER_ID_MAPPING: i16 = ErrorCode::InvalidProducerIdMapping.code();
    /// `INVALID_TRANSACTION_TIMEOUT`.
    pub const INVALID_TRANSACTION_TIMEOUT: i16 = ErrorCode::InvalidTransactionTimeout.code();
    /// `CONCURRENT_TRANSACTIONS`.
    pub const CONCURRENT_TRANSACTIONS: i16 = ErrorCode::ConcurrentTransactions.code();
    /// `TRANSACTION_COORDINATOR_FENCED`.
    pub const TRANSACTION_COORDINATOR_FENCED: i16 = ErrorCode::TransactionCoordinatorFenced.code();
    /// `OPERATION_NOT_ATTEMPTED`.
    pub const OPERATION_NOT_ATTEMPTED: i16 = ErrorCode::OperationNotAttempted.code();
    /// `UNKNOWN_PRODUCER_ID`.
    pub const UNKNOWN_PRODUCER_ID: i16 = ErrorCode::UnknownProducerId.code();
    /// `INVALID_RECORD`.
    pub const INVALID_RECORD: i16 = ErrorCode::InvalidRecord.code();
    /// `PRODUCER_FENCED`.
    pub const PRODUCER_FENCED: i16 = ErrorCode::ProducerFenced.code();
    /// `TRANSACTIONAL_ID_NOT_FOUND`.
    pub const TRANSACTIONAL_ID_NOT_FOUND: i16 = ErrorCode::TransactionalIdNotFound.code();
}

/// Everything transactional one partition keeps: producer state and the transaction index.
#[derive(Clone, Debug, Default)]
pub struct PartitionTxnState {
    /// Producer epochs, sequences and duplicate windows.
    pub producers: ProducerStateTable,
    /// Open and aborted transactions.
    pub txns: TxnIndex,
}

impl PartitionTxnState {
    /// Empty state with the given policy for producers the partition has not seen.
    pub fn with_policy(policy: UnknownProducerPolicy) -> Self {
        Self {
            producers: ProducerStateTable::with_policy(policy),
            txns: TxnIndex::new(),
        }
    }

    /// See [`ProducerStateTable::validate_append`].
    pub fn validate_append(
        &self,
        batch: &BatchProducerInfo,
    ) -> Result<AppendDecision, ProducerStateError> {
        self.producers.validate_append(batch)
    }

    /// Records an appended data batch: producer state, and the open-transaction index when
    /// the batch starts a transaction here.
    pub fn record_append(&mut self, batch: &BatchProducerInfo, base_offset: i64, now_ms: i64) {
        if self.producers.record_append(batch, base_offset, now_ms) {
            self.txns.begin(batch.producer_id, base_offset);
        }
    }

    /// Encodes the control batch for a marker (check it first with
    /// [`validate_marker`](Self::validate_marker)).
    pub fn marker_batch(
        producer_id: i64,
        producer_epoch: i16,
        marker: ControlMarker,
        timestamp: i64,
        partition_leader_epoch: i32,
    ) -> Bytes {
        MarkerBatch {
            producer_id,
            producer_epoch,
            marker,
            timestamp,
            partition_leader_epoch,
        }
        .encode()
    }

    /// See [`ProducerStateTable::validate_marker`].
    pub fn validate_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> Result<(), ProducerStateError> {
        self.producers
            .validate_marker(producer_id, producer_epoch, coordinator_epoch)
    }

    /// Records a marker appended at `offset`: closes the producer's open transaction and, for
    /// an abort, adds it to the aborted index (returned).
    pub fn record_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        marker: ControlMarker,
        offset: i64,
        timestamp: i64,
        now_ms: i64,
    ) -> Option<AbortedTxn> {
        self.producers
            .record_marker(producer_id, producer_epoch, marker, timestamp, now_ms);
        self.txns.complete(producer_id, offset, marker.commit)
    }

    /// See [`TxnIndex::last_stable_offset`].
    pub fn last_stable_offset(&self, high_watermark: i64) -> i64 {
        self.txns.last_stable_offset(high_watermark)
    }

    /// See [`TxnIndex::aborted_for_fetch`].
    pub fn aborted_for_fetch(
        &self,
        fetch_offset: i64,
        upper_bound: i64,
    ) -> Vec<AbortedTransaction> {
        self.txns.aborted_for_fetch(fetch_offset, upper_bound)
    }

    /// Forgets what lies below a new log start offset (aborted entries only; producer state
    /// is kept, as Kafka keeps it until `producer.id.expiration.ms`).
    pub fn truncate_front(&mut self, log_start_offset: i64) {
        self.txns.truncate_front(log_start_offset);
    }
}

/// Builds a DescribeProducers (key 61, v0) response. `lookup(topic, partition)` returns the
/// partition's state, or the error code to report for it (`UNKNOWN_TOPIC_OR_PARTITION`,
/// `NOT_LEADER_OR_FOLLOWER`, ...).
pub fn describe_producers<'a>(
    request: &DescribeProducersRequest,
    mut lookup: impl FnMut(&str, i32) -> Result<&'a PartitionTxnState, i16>,
) -> DescribeProducersResponse {
    let mut response = DescribeProducersResponse::default();
    for topic in &request.topics {
        let mut out = TopicResponse::default().with_name(topic.name.clone());
        for &index in &topic.partition_indexes {
            let partition = match lookup(&topic.name, index) {
                Ok(state) => PartitionResponse::default()
                    .with_partition_index(index)
                    .with_active_producers(state.producers.describe()),
                Err(code) => PartitionResponse::default()
                    .with_partition_index(index)
                    .with_error_code(code),
            };
            out.partitions.push(partition);
        }
        response.topics.push(out);
    }
    response
}

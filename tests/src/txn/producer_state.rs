//! Per-partition state of idempotent and transactional producers: the epoch each producer
//! last wrote with, its last five batches (the duplicate window), its open transaction's
//! first offset and the coordinator epoch of its last marker.
//!
//! Implements the partition side of KIP-98 (sequence numbers, duplicate detection, epoch
//! fencing) and KIP-360 (an epoch bump restarts sequences at 0). The rules follow Kafka's
//! broker:
//!
//! - Batches without a producer id (`-1`) skip every check.
//! - A batch with an epoch older than the producer's current one is refused with
//!   `INVALID_PRODUCER_EPOCH` (Kafka 2.7+ answers produce requests with that code, not
//!   `PRODUCER_FENCED`, so the client can abort and carry on).
//! - A batch whose epoch and sequence range equal one of the producer's last five batches is a
//!   duplicate: the partition answers with the original offsets and appends nothing.
//! - A batch of a newer epoch must start at sequence 0; a batch of the current epoch must
//!   start right after the previous batch's last sequence (wrapping from `i32::MAX` to 0).
//!   Anything else is `OUT_OF_ORDER_SEQUENCE_NUMBER`, including a retry of a batch older than
//!   the five-batch window.
//! - A producer the partition has never seen: see [`UnknownProducerPolicy`].
//! - A non-transactional batch while the producer has a transaction open on the partition is
//!   `INVALID_TXN_STATE`.
//! - Markers (control batches) move the producer to the marker's epoch (clearing the duplicate
//!   window when it changed), close its open transaction and record the coordinator epoch; a
//!   marker from an older coordinator epoch is `TRANSACTION_COORDINATOR_FENCED`.

use std::collections::{BTreeMap, VecDeque};

use kafka_protocol::messages::describe_producers_response::ProducerState;

use super::codes;
use super::marker::{in_sequence, BatchProducerInfo, ControlMarker};

/// How many of a producer's most recent batches a partition remembers for duplicate detection
/// (Kafka's `NUM_BATCHES_TO_RETAIN`, which is also the producer's maximum in-flight requests).
pub const DUPLICATE_WINDOW: usize = 5;
/// The sequence a producer reports before it has written anything.
pub const NO_SEQUENCE: i32 = -1;

/// What to do with the first batch of a producer id the partition has no state for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownProducerPolicy {
    /// Require sequence 0, else `OUT_OF_ORDER_SEQUENCE_NUMBER`. This broker never loses
    /// producer state behind a client's back (unless [`ProducerStateTable::expire`] is called),
    /// so a non-zero first sequence is a client bug worth failing on. The default.
    #[default]
    RequireSequenceZero,
    /// Accept any sequence, as Kafka 2.5+ brokers do because retention may have removed the
    /// producer's state.
    AcceptAnySequence,
    /// Answer a non-zero first sequence with `UNKNOWN_PRODUCER_ID`, as brokers before Kafka
    /// 2.5 (KIP-360) did.
    UnknownProducerId,
}

/// The outcome of a successful validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendDecision {
    /// Append the batch, then call [`ProducerStateTable::record_append`] with its base offset.
    Append,
    /// The batch is already in the log: answer the produce request with error NONE and these
    /// original offsets, and append nothing.
    Duplicate {
        /// Base offset the batch was first written at.
        base_offset: i64,
        /// Offset of the batch's last record.
        last_offset: i64,
        /// The max timestamp recorded for the original batch (Kafka answers it as
        /// `log_append_time_ms` for duplicates).
        timestamp: i64,
    },
}

/// Why a batch or marker was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProducerStateError {
    /// The batch's producer epoch is older than the one this partition has seen.
    #[error("producer {producer_id} wrote with epoch {epoch}, older than the partition's epoch {current_epoch}")]
    InvalidProducerEpoch {
        /// Producer id of the batch.
        producer_id: i64,
        /// Epoch of the batch.
        epoch: i16,
        /// Epoch the partition knows.
        current_epoch: i16,
    },
    /// The batch's base sequence is not the one the partition expects.
    #[error(
        "producer {producer_id} epoch {epoch} sent base sequence {sequence}, expected {expected}"
    )]
    OutOfOrderSequence {
        /// Producer id of the batch.
        producer_id: i64,
        /// Epoch of the batch.
        epoch: i16,
        /// Base sequence of the batch.
        sequence: i32,
        /// The sequence that would have been accepted.
        expected: i32,
    },
    /// The partition has no state for the producer and the batch does not start at 0
    /// ([`UnknownProducerPolicy::UnknownProducerId`]).
    #[error("producer {producer_id} is unknown to this partition and sent sequence {sequence}")]
    UnknownProducerId {
        /// Producer id of the batch.
        producer_id: i64,
        /// Base sequence of the batch.
        sequence: i32,
    },
    /// A non-transactional batch from a producer with a transaction open on this partition.
    #[error("producer {producer_id} has a transaction open on this partition but sent a non-transactional batch")]
    ExpectedTransactionalWrite {
        /// Producer id of the batch.
        producer_id: i64,
    },
    /// A marker from a coordinator epoch older than the last one seen for the producer.
    #[error("marker for producer {producer_id} has coordinator epoch {coordinator_epoch}, older than {current}")]
    CoordinatorFenced {
        /// Producer id of the marker.
        producer_id: i64,
        /// Coordinator epoch of the marker.
        coordinator_epoch: i32,
        /// Coordinator epoch the partition knows.
        current: i32,
    },
    /// The batch header is inconsistent (negative sequence or epoch with a producer id, or a
    /// transactional batch without one).
    #[error("invalid producer fields in batch header: {0}")]
    InvalidRecord(String),
}

impl ProducerStateError {
    /// The Kafka error code a produce response carries for this error.
    pub fn code(&self) -> i16 {
        match self {
            Self::InvalidProducerEpoch { .. } => codes::INVALID_PRODUCER_EPOCH,
            Self::OutOfOrderSequence { .. } => codes::OUT_OF_ORDER_SEQUENCE_NUMBER,
            Self::UnknownProducerId { .. } => codes::UNKNOWN_PRODUCER_ID,
            Self::ExpectedTransactionalWrite { .. } => codes::INVALID_TXN_STATE,
            Self::CoordinatorFenced { .. } => codes::TRANSACTION_COORDINATOR_FENCED,
            Self::InvalidRecord(_) => codes::INVALID_RECORD,
        }
    }
}

/// One remembered batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CachedBatch {
    first_sequence: i32,
    last_sequence: i32,
    base_offset: i64,
    last_offset_delta: i32,
    timestamp: i64,
}

/// What a partition knows about one producer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerEntry {
    /// The producer's current epoch on this partition.
    pub epoch: i16,
    /// Coordinator epoch of the last marker written for the producer (-1 before any).
    pub coordinator_epoch: i32,
    /// First offset of the producer's open transaction on this partition.
    pub current_txn_first_offset: Option<i64>,
    /// Max timestamp of the producer's last batch or marker.
    pub last_timestamp: i64,
    /// When the broker last wrote for this producer (for expiry), by the caller's clock.
    pub last_update_ms: i64,
    batches: VecDeque<CachedBatch>,
}

impl ProducerEntry {
    fn new(epoch: i16) -> Self {
        Self {
            epoch,
            coordinator_epoch: -1,
            current_txn_first_offset: None,
            last_timestamp: -1,
            last_update_ms: -1,
            batches: VecDeque::with_capacity(DUPLICATE_WINDOW),
        }
    }

    /// Last sequence written in the current epoch, or [`NO_SEQUENCE`].
    pub fn last_sequence(&self) -> i32 {
        self.batches.back().map_or(NO_SEQUENCE, |b| b.last_sequence)
    }

    fn set_epoch(&mut self, epoch: i16) {
        if self.epoch != epoch {
            self.epoch = epoch;
            self.batches.clear();
        }
    }

    fn find_duplicate(&self, batch: &BatchProducerInfo) -> Option<&CachedBatch> {
        if batch.producer_epoch != self.epoch {
            return None;
        }
        let last = batch.last_sequence();
        self.batches
            .iter()
            .find(|b| b.first_sequence == batch.base_sequence && b.last_sequence == last)
    }
}

/// Producer state of one partition.
#[derive(Clone, Debug, Default)]
pub struct ProducerStateTable {
    producers: BTreeMap<i64, ProducerEntry>,
    policy: UnknownProducerPolicy,
}

impl ProducerStateTable {
    /// An empty table with the default [`UnknownProducerPolicy`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table with the given policy for unknown producers.
    pub fn with_policy(policy: UnknownProducerPolicy) -> Self {
        Self {
            producers: BTreeMap::new(),
            policy,
        }
    }

    /// The state of one producer, if the partition has any.
    pub fn producer(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    /// All producers with state on this partition, by producer id.
    pub fn producers(&self) -> impl Iterator<Item = (i64, &ProducerEntry)> {
        self.producers.iter().map(|(id, e)| (*id, e))
    }

    /// Checks a data batch before it is appended. Pure: nothing changes until
    /// [`record_append`](Self::record_append).
    pub fn validate_append(
        &self,
        batch: &BatchProducerInfo,
    ) -> Result<AppendDecision, ProducerStateError> {
        if !batch.has_producer_id() {
            if batch.is_transactional {
                return Err(ProducerStateError::InvalidRecord(
                    "transactional batch without a producer id".into(),
                ));
            }
            return Ok(AppendDecision::Append);
        }
        if batch.base_sequence < 0 || batch.producer_epoch < 0 {
            return Err(ProducerStateError::InvalidRecord(format!(
                "producer {} sent epoch {} and base sequence {}",
                batch.producer_id, batch.producer_epoch, batch.base_sequence
            )));
        }
        let Some(entry) = self.producers.get(&batch.producer_id) else {
            return self.validate_unknown(batch);
        };
        if batch.producer_epoch < entry.epoch {
            return Err(ProducerStateError::InvalidProducerEpoch {
                producer_id: batch.producer_id,
                epoch: batch.producer_epoch,
                current_epoch: entry.epoch,
            });
        }
        if let Some(dup) = entry.find_duplicate(batch) {
            return Ok(AppendDecision::Duplicate {
                base_offset: dup.base_offset,
                last_offset: dup
                    .base_offset
                    .saturating_add(i64::from(dup.last_offset_delta)),
                timestamp: dup.timestamp,
            });
        }
        let expected = if batch.producer_epoch != entry.epoch {
            // A new epoch (KIP-360 bump or a fresh InitProducerId) restarts sequences.
            0
        } else {
            let last = entry.last_sequence();
            if in_sequence(last, batch.base_sequence) {
                batch.base_sequence
            } else if last == i32::MAX {
                0
            } else {
                last + 1
            }
        };
        if batch.base_sequence != expected {
            return Err(ProducerStateError::OutOfOrderSequence {
                producer_id: batch.producer_id,
                epoch: batch.producer_epoch,
                sequence: batch.base_sequence,
                expected,
            });
        }
        if entry.current_txn_first_offset.is_some() && !batch.is_transactional {
            return Err(ProducerStateError::ExpectedTransactionalWrite {
                producer_id: batch.producer_id,
            });
        }
        Ok(AppendDecision::Append)
    }

    fn validate_unknown(
        &self,
        batch: &BatchProducerInfo,
    ) -> Result<AppendDecision, ProducerStateError> {
        if batch.base_sequence == 0 {
            return Ok(AppendDecision::Append);
        }
        match self.policy {
            UnknownProducerPolicy::AcceptAnySequence => Ok(AppendDecision::Append),
            UnknownProducerPolicy::RequireSequenceZero => {
                Err(ProducerStateError::OutOfOrderSequence {
                    producer_id: batch.producer_id,
                    epoch: batch.producer_epoch,
                    sequence: batch.base_sequence,
                    expected: 0,
                })
            }
            UnknownProducerPolicy::UnknownProducerId => {
                Err(ProducerStateError::UnknownProducerId {
                    producer_id: batch.producer_id,
                    sequence: batch.base_sequence,
                })
            }
        }
    }

    /// Records a batch that [`validate_append`](Self::validate_append) accepted and the log
    /// stored at `base_offset`. Returns `true` when the batch opened a transaction on this
    /// partition (its base offset is then the transaction's first offset).
    pub fn record_append(
        &mut self,
        batch: &BatchProducerInfo,
        base_offset: i64,
        now_ms: i64,
    ) -> bool {
        if !batch.has_producer_id() {
            return false;
        }
        let entry = self
            .producers
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry::new(batch.producer_epoch));
        entry.set_epoch(batch.producer_epoch);
        if entry.batches.len() == DUPLICATE_WINDOW {
            entry.batches.pop_front();
        }
        entry.batches.push_back(CachedBatch {
            first_sequence: batch.base_sequence,
            last_sequence: batch.last_sequence(),
            base_offset,
            last_offset_delta: batch.last_offset_delta,
            timestamp: batch.max_timestamp,
        });
        entry.last_timestamp = batch.max_timestamp;
        entry.last_update_ms = now_ms;
        if batch.is_transactional && entry.current_txn_first_offset.is_none() {
            entry.current_txn_first_offset = Some(base_offset);
            return true;
        }
        false
    }

    /// Checks a transaction marker before it is appended.
    pub fn validate_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> Result<(), ProducerStateError> {
        let Some(entry) = self.producers.get(&producer_id) else {
            return Ok(());
        };
        if producer_epoch < entry.epoch {
            return Err(ProducerStateError::InvalidProducerEpoch {
                producer_id,
                epoch: producer_epoch,
                current_epoch: entry.epoch,
            });
        }
        if coordinator_epoch < entry.coordinator_epoch {
            return Err(ProducerStateError::CoordinatorFenced {
                producer_id,
                coordinator_epoch,
                current: entry.coordinator_epoch,
            });
        }
        Ok(())
    }

    /// Records a marker the log stored at `offset`. Returns the first offset of the
    /// transaction it closed, if the producer had one open on this partition.
    pub fn record_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        marker: ControlMarker,
        timestamp: i64,
        now_ms: i64,
    ) -> Option<i64> {
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerEntry::new(producer_epoch));
        entry.set_epoch(producer_epoch);
        entry.coordinator_epoch = marker.coordinator_epoch;
        entry.last_timestamp = timestamp;
        entry.last_update_ms = now_ms;
        entry.current_txn_first_offset.take()
    }

    /// Forgets producers without an open transaction whose last write is older than
    /// `expiration_ms` (Kafka's `producer.id.expiration.ms`, default 86400000). Returns how
    /// many were removed.
    pub fn expire(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers.retain(|_, e| {
            e.current_txn_first_offset.is_some()
                || now_ms.saturating_sub(e.last_update_ms) < expiration_ms
        });
        before - self.producers.len()
    }

    /// The partition's active producers in DescribeProducers (KIP-664) form.
    pub fn describe(&self) -> Vec<ProducerState> {
        self.producers
            .iter()
            .map(|(id, e)| {
                ProducerState::default()
                    .with_producer_id(*id)
                    .with_producer_epoch(i32::from(e.epoch))
                    .with_last_sequence(e.last_sequence())
                    .with_last_timestamp(e.last_timestamp)
                    .with_coordinator_epoch(e.coordinator_epoch)
                    .with_current_txn_start_offset(e.current_txn_first_offset.unwrap_or(-1))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};

    use super::*;

    fn data(pid: i64, epoch: i16, seq: i32, count: i32) -> BatchProducerInfo {
        BatchProducerInfo::data(pid, epoch, seq, count)
    }

    /// Validates and, when accepted, appends at `*next`, advancing it. Returns the decision.
    fn produce(
        t: &mut ProducerStateTable,
        b: BatchProducerInfo,
        next: &mut i64,
    ) -> Result<AppendDecision, ProducerStateError> {
        let d = t.validate_append(&b)?;
        if d == AppendDecision::Append {
            t.record_append(&b, *next, 0);
            *next += i64::from(b.last_offset_delta) + 1;
        }
        Ok(d)
    }

    #[test]
    fn duplicates_in_window_return_original_offsets_and_sixth_oldest_is_out_of_order() {
        let mut t = ProducerStateTable::new();
        let mut next = 100;
        // Six batches of 2 records: sequences 0-1, 2-3, ..., 10-11 at offsets 100, 102, ...
        for i in 0..6 {
            assert_eq!(
                produce(&mut t, data(7, 0, i * 2, 2), &mut next),
                Ok(AppendDecision::Append)
            );
        }
        assert_eq!(next, 112);
        // The five newest are duplicates answered with their original offsets.
        for i in 1..6 {
            assert_eq!(
                t.validate_append(&data(7, 0, i * 2, 2)),
                Ok(AppendDecision::Duplicate {
                    base_offset: 100 + i64::from(i) * 2,
                    last_offset: 101 + i64::from(i) * 2,
                    timestamp: -1,
                })
            );
        }
        // The oldest fell out of the window: a retry of it is out of order.
        assert_eq!(
            t.validate_append(&data(7, 0, 0, 2)),
            Err(ProducerStateError::OutOfOrderSequence {
                producer_id: 7,
                epoch: 0,
                sequence: 0,
                expected: 12
            })
        );
        // Same base sequence but a different record count is not a duplicate.
        assert_eq!(
            t.validate_append(&data(7, 0, 10, 1)).map_err(|e| e.code()),
            Err(45)
        );
        assert_eq!(
            produce(&mut t, data(7, 0, 12, 1), &mut next),
            Ok(AppendDecision::Append)
        );
    }

    #[test]
    fn gaps_and_unknown_producers() {
        let mut t = ProducerStateTable::new();
        let mut next = 0;
        // Unknown producer must start at 0 by default.
        let e = t.validate_append(&data(1, 0, 3, 1)).unwrap_err();
        assert_eq!(e.code(), codes::OUT_OF_ORDER_SEQUENCE_NUMBER);
        produce(&mut t, data(1, 0, 0, 3), &mut next).unwrap();
        // Gap: 0-2 written, 4 arrives.
        let e = t.validate_append(&data(1, 0, 4, 1)).unwrap_err();
        assert_eq!(
            e,
            ProducerStateError::OutOfOrderSequence {
                producer_id: 1,
                epoch: 0,
                sequence: 4,
                expected: 3
            }
        );
        assert!(e.to_string().contains("expected 3"));
        produce(&mut t, data(1, 0, 3, 1), &mut next).unwrap();

        let lenient = ProducerStateTable::with_policy(UnknownProducerPolicy::AcceptAnySequence);
        assert_eq!(
            lenient.validate_append(&data(2, 0, 42, 1)),
            Ok(AppendDecision::Append)
        );
        let old = ProducerStateTable::with_policy(UnknownProducerPolicy::UnknownProducerId);
        assert_eq!(
            old.validate_append(&data(2, 0, 42, 1))
                .map_err(|e| e.code()),
            Err(codes::UNKNOWN_PRODUCER_ID)
        );
        assert_eq!(
            old.validate_append(&data(2, 0, 0, 1)),
            Ok(AppendDecision::Append)
        );
    }

    #[test]
    fn producer_less_batches_skip_checks_and_bad_headers_are_invalid_records() {
        let mut t = ProducerStateTable::new();
        let plain = BatchProducerInfo::data(-1, -1, -1, 10);
        assert_eq!(t.validate_append(&plain), Ok(AppendDecision::Append));
        assert!(!t.record_append(&plain, 0, 0));
        assert_eq!(t.producers().count(), 0);
        assert_eq!(
            t.validate_append(&plain.transactional())
                .map_err(|e| e.code()),
            Err(codes::INVALID_RECORD)
        );
        assert_eq!(
            t.validate_append(&data(3, 0, -1, 1)).map_err(|e| e.code()),
            Err(codes::INVALID_RECORD)
        );
    }

    #[test]
    fn older_epoch_is_fenced_and_newer_epoch_restarts_at_zero() {
        let mut t = ProducerStateTable::new();
        let mut next = 0;
        produce(&mut t, data(5, 2, 0, 4), &mut next).unwrap();
        let e = t.validate_append(&data(5, 1, 4, 1)).unwrap_err();
        assert_eq!(
            e,
            ProducerStateError::InvalidProducerEpoch {
                producer_id: 5,
                epoch: 1,
                current_epoch: 2
            }
        );
        assert_eq!(e.code(), codes::INVALID_PRODUCER_EPOCH);
        // KIP-360 bump: epoch 3 must restart at sequence 0.
        assert_eq!(
            t.validate_append(&data(5, 3, 4, 1)).map_err(|e| e.code()),
            Err(45)
        );
        produce(&mut t, data(5, 3, 0, 1), &mut next).unwrap();
        assert_eq!(t.producer(5).unwrap().epoch, 3);
        assert_eq!(t.producer(5).unwrap().last_sequence(), 0);
        // The old epoch's batches are no longer duplicates: the window was cleared.
        assert_eq!(
            t.validate_append(&data(5, 2, 0, 4)).map_err(|e| e.code()),
            Err(47)
        );
        assert_eq!(
            produce(&mut t, data(5, 3, 1, 1), &mut next),
            Ok(AppendDecision::Append)
        );
    }

    #[test]
    fn sequence_wraps_past_i32_max() {
        let mut t = ProducerStateTable::with_policy(UnknownProducerPolicy::AcceptAnySequence);
        let mut next = 0;
        produce(&mut t, data(9, 0, i32::MAX - 2, 3), &mut next).unwrap();
        assert_eq!(t.producer(9).unwrap().last_sequence(), i32::MAX);
        assert_eq!(
            t.validate_append(&data(9, 0, i32::MAX - 2, 3)),
            Ok(AppendDecision::Duplicate {
                base_offset: 0,
                last_offset: 2,
                timestamp: -1,
            })
        );
        // After i32::MAX the next sequence is 0; a batch spanning the wrap ends at 1.
        produce(&mut t, data(9, 0, 0, 2), &mut next).unwrap();
        assert_eq!(t.producer(9).unwrap().last_sequence(), 1);
        let mut t2 = ProducerStateTable::with_policy(UnknownProducerPolicy::AcceptAnySequence);
        let mut n2 = 0;
        produce(&mut t2, data(9, 0, i32::MAX - 1, 4), &mut n2).unwrap();
        assert_eq!(t2.producer(9).unwrap().last_sequence(), 1);
        assert_eq!(
            t2.validate_append(&data(9, 0, 2, 1)),
            Ok(AppendDecision::Append)
        );
        assert_eq!(
            t2.validate_append(&data(9, 0, i32::MAX - 1, 4)),
            Ok(AppendDecision::Duplicate {
                base_offset: 0,
                last_offset: 3,
                timestamp: -1,
            })
        );
    }

    #[test]
    fn transactions_markers_and_describe() {
        let mut t = ProducerStateTable::new();
        let b = data(11, 0, 0, 2).transactional().with_timestamp(1234);
        assert_eq!(t.validate_append(&b), Ok(AppendDecision::Append));
        assert!(t.record_append(&b, 40, 1));
        let b2 = data(11, 0, 2, 1).transactional();
        assert!(
            !t.record_append(&b2, 42, 2),
            "second batch of the same transaction"
        );
        assert_eq!(
            t.validate_append(&b),
            Ok(AppendDecision::Duplicate {
                base_offset: 40,
                last_offset: 41,
                timestamp: 1234
            })
        );
        // Mixing a non-transactional write into the open transaction is refused.
        assert_eq!(
            t.validate_append(&data(11, 0, 3, 1)).map_err(|e| e.code()),
            Err(codes::INVALID_TXN_STATE)
        );
        let d = t.describe();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].current_txn_start_offset, 40);
        assert_eq!(d[0].last_sequence, 2);
        assert_eq!(d[0].coordinator_epoch, -1);
        // A marker with a bumped epoch closes the transaction and restarts sequences.
        let m = ControlMarker {
            commit: false,
            coordinator_epoch: 3,
        };
        assert_eq!(t.validate_marker(11, 1, 3), Ok(()));
        assert_eq!(t.record_marker(11, 1, m, 999, 3), Some(40));
        let d = t.describe();
        assert_eq!(d[0].current_txn_start_offset, -1);
        assert_eq!(d[0].producer_epoch, 1);
        assert_eq!(d[0].last_sequence, -1);
        assert_eq!(d[0].last_timestamp, 999);
        assert_eq!(d[0].coordinator_epoch, 3);
        assert_eq!(
            t.validate_marker(11, 0, 3).map_err(|e| e.code()),
            Err(codes::INVALID_PRODUCER_EPOCH)
        );
        assert_eq!(
            t.validate_marker(11, 1, 2).map_err(|e| e.code()),
            Err(codes::TRANSACTION_COORDINATOR_FENCED)
        );
        assert_eq!(
            t.validate_append(&data(11, 1, 0, 1)),
            Ok(AppendDecision::Append)
        );
        // Expiry keeps producers with open transactions only.
        assert_eq!(t.expire(1_000, 100), 1);
        assert_eq!(t.producers().count(), 0);
    }

    /// xorshift64*: a tiny deterministic generator for the retry model below.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// A producer with up to five batches in flight over an ordered connection that sometimes
    /// drops (all in-flight responses lost, every unacknowledged batch resent in order). The
    /// partition must store every sequence exactly once, in order, and answer every resend of
    /// an appended batch with the offsets of its first append.
    #[test]
    fn retries_over_a_lossy_connection_never_duplicate_or_reorder() {
        for seed in [1u64, 7, 42, 1234, 0xdead_beef] {
            let mut rng = Rng(seed);
            let mut table = ProducerStateTable::new();
            let mut log: Vec<(i32, i32)> = Vec::new(); // (first sequence, record count)
            let mut next_offset = 0i64;
            let mut first_offsets: BTreeMap<i32, i64> = BTreeMap::new();
            let mut unacked: VecDeque<(i32, i32)> = VecDeque::new();
            let mut wire: VecDeque<(i32, i32)> = VecDeque::new();
            let mut next_seq = 0i32;
            let mut duplicates = 0;
            for _ in 0..3000 {
                if unacked.len() < DUPLICATE_WINDOW && rng.below(2) == 0 {
                    let count = 1 + rng.below(3) as i32;
                    unacked.push_back((next_seq, count));
                    wire.push_back((next_seq, count));
                    next_seq += count;
                    continue;
                }
                let Some((seq, count)) = wire.pop_front() else {
                    continue;
                };
                let batch = data(3, 0, seq, count);
                let base = match table.validate_append(&batch) {
                    Ok(AppendDecision::Append) => {
                        let base = next_offset;
                        table.record_append(&batch, base, 0);
                        log.push((seq, count));
                        next_offset += i64::from(count);
                        first_offsets.insert(seq, base);
                        base
                    }
                    Ok(AppendDecision::Duplicate { base_offset, .. }) => {
                        duplicates += 1;
                        assert_eq!(first_offsets.get(&seq), Some(&base_offset), "seed {seed}");
                        base_offset
                    }
                    Err(e) => panic!("seed {seed}: in-order resend refused: {e}"),
                };
                if rng.below(4) == 0 {
                    // Connection lost: responses never arrive, everything unacked is resent.
                    wire.clear();
                    wire.extend(unacked.iter().copied());
                } else {
                    assert_eq!(
                        unacked.pop_front(),
                        Some((seq, count)),
                        "responses complete in order"
                    );
                    assert_eq!(first_offsets[&seq], base);
                }
            }
            assert!(
                duplicates > 100,
                "seed {seed}: the model exercised resends ({duplicates})"
            );
            let mut expected = 0;
            for (seq, count) in &log {
                assert_eq!(
                    *seq, expected,
                    "seed {seed}: log holds each sequence once, in order"
                );
                expected += count;
            }
        }
    }
}

//! The two pieces of the record batch v2 format the transaction code needs: the producer
//! fields of a batch header (producer id, epoch, base sequence, record span, transactional
//! and control bits), and encoding of the control batch that carries a commit or abort marker.
//!
//! Layout facts (KIP-98): a v2 batch header is 61 bytes; attributes bit 4 marks a
//! transactional batch and bit 5 a control batch; a control batch holds one record whose key
//! is `version: i16 = 0, type: i16` (0 = abort, 1 = commit) and whose value is
//! `version: i16 = 0, coordinator_epoch: i32`. Control batches carry base sequence -1.
//!
//! Control batches are encoded and decoded with `kafka_protocol::records`; only the cheap
//! fixed-offset header read used on every produce stays here.

use bytes::Bytes;
use kafka_protocol::records::{
    Compression, ControlRecord, ControlRecordKey, ControlRecordType, DecodeOptions,
    EndTransactionMarker, RecordBatch, RecordBatchBuilder,
};

/// Size of the fixed v2 batch header, up to and including the record count.
pub const BATCH_HEADER_LEN: usize = 61;
/// Attributes bit marking a transactional batch.
pub const TRANSACTIONAL_FLAG: i16 = 0x10;
/// Attributes bit marking a control batch.
pub const CONTROL_FLAG: i16 = 0x20;
/// Control record type of an abort marker.
pub const ABORT_MARKER_TYPE: i16 = 0;
/// Control record type of a commit marker.
pub const COMMIT_MARKER_TYPE: i16 = 1;


/// The producer-related fields of one v2 record batch header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchProducerInfo {
    /// `producerId`; -1 for batches from producers without idempotence.
    pub producer_id: i64,
    /// `producerEpoch`.
    pub producer_epoch: i16,
    /// `baseSequence`; -1 when the batch has no producer id.
    pub base_sequence: i32,
    /// `lastOffsetDelta`: the batch spans offsets `base..=base + last_offset_delta`.
    pub last_offset_delta: i32,
    /// Attributes bit 4.
    pub is_transactional: bool,
    /// Attributes bit 5.
    pub is_control: bool,
    /// `maxTimestamp` (the producer's last timestamp as DescribeProducers reports it).
    pub max_timestamp: i64,
}

impl BatchProducerInfo {
    /// Reads the producer fields from the header at the start of `batch`. Returns `None` when
    /// fewer than 61 bytes are present or the magic byte is not 2. Nothing else is checked:
    /// CRC and length validation belong to the produce path.
    pub fn parse(batch: &[u8]) -> Option<Self> {
        let header = batch.get(..BATCH_HEADER_LEN)?;
        if header.get(16).copied()? != 2 {
            return None;
        }
        let attributes = i16::from_be_bytes(array_at(header, 21)?);
        Some(Self {
            producer_id: i64::from_be_bytes(array_at(header, 43)?),
            producer_epoch: i16::from_be_bytes(array_at(header, 51)?),
            base_sequence: i32::from_be_bytes(array_at(header, 53)?),
            last_offset_delta: i32::from_be_bytes(array_at(header, 23)?),
            is_transactional: attributes & TRANSACTIONAL_FLAG != 0,
            is_control: attributes & CONTROL_FLAG != 0,
            max_timestamp: i64::from_be_bytes(array_at(header, 35)?),
        })
    }

    /// A data batch description (for callers that already decoded the header themselves).
    pub fn data(
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
        record_count: i32,
    ) -> Self {
        Self {
            producer_id,
            producer_epoch,
            base_sequence,
            last_offset_delta: record_count.saturating_sub(1),
            is_transactional: false,
            is_control: false,
            max_timestamp: -1,
        }
    }

    /// The same description with the transactional bit set.
    pub fn transactional(mut self) -> Self {
        self.is_transactional = true;
        self
    }

    /// The same description with `max_timestamp` set.
    pub fn with_timestamp(mut self, max_timestamp: i64) -> Self {
        self.max_timestamp = max_timestamp;
        self
    }

    /// Whether the batch came from an idempotent or transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }

    /// The sequence number of the batch's last record, wrapping past `i32::MAX` to 0 as
    /// producers do (KIP-98).
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

/// A decoded commit or abort marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlMarker {
    /// `true` for a commit marker, `false` for an abort marker.
    pub commit: bool,
    /// The transaction coordinator's epoch written in the marker's value.
    pub coordinator_epoch: i32,
}

/// Everything needed to encode one control batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarkerBatch {
    /// Producer whose transaction ends.
    pub producer_id: i64,
    /// The producer epoch the coordinator ends the transaction with.
    pub producer_epoch: i16,
    /// Commit or abort, and the coordinator epoch.
    pub marker: ControlMarker,
    /// Written as both first and max timestamp.
    pub timestamp: i64,
    /// Written into the header; the log patches it on append anyway.
    pub partition_leader_epoch: i32,
}

impl MarkerBatch {
    /// Encodes the control batch: base offset 0 (the log assigns the real one), one control
    /// record, attributes = transactional | control, base sequence -1, valid CRC-32C.
    pub fn encode(&self) -> Bytes {
        let record_type =
            if self.marker.commit { ControlRecordType::Commit } else { ControlRecordType::Abort };
        let key = ControlRecordKey::new(record_type).encode();
        let value = EndTransactionMarker::new(self.marker.coordinator_epoch).encode();
        let mut builder = RecordBatchBuilder::new(Compression::None)
            .with_partition_leader_epoch(self.partition_leader_epoch)
            .with_producer(self.producer_id, self.producer_epoch, -1)
            .with_transactional(true)
            .with_control(true);
        builder
            .append(self.timestamp, Some(&key), Some(&value))
            .and_then(|_| builder.finish())
            // One fixed-size, uncompressed record: the builder has no failure mode for it.
            .expect("a single control record always encodes")
    }
}

/// Reads the marker out of a control batch (the first record of an uncompressed or
/// compressed control batch). Returns `None` for anything else.
pub fn parse_control_marker(batch: &[u8]) -> Option<ControlMarker> {
    let options = DecodeOptions::default();
    let batch = RecordBatch::decode(&mut Bytes::copy_from_slice(batch), &options).ok()?;
    if !batch.header.is_control {
        return None;
    }
    let records = batch.records(&options).ok()?;
    let first = records.iter().next()?.ok()?;
    let control = ControlRecord::decode(first.key, first.value).ok()?;
    let commit = match control.key.record_type {
        ControlRecordType::Commit => true,
        ControlRecordType::Abort => false,
        ControlRecordType::Unknown(_) => return None,
    };
    Some(ControlMarker { commit, coordinator_epoch: control.marker?.coordinator_epoch })
}

/// `base + delta` in sequence space: values past `i32::MAX` wrap to 0.
pub fn increment_sequence(base: i32, delta: i32) -> i32 {
    if delta <= 0 {
        return base;
    }
    if base > i32::MAX - delta {
        // Count how far past i32::MAX we go; the value after i32::MAX is 0.
        delta - (i32::MAX - base) - 1
    } else {
        base + delta
    }
}

/// Whether `next` directly follows `last` in sequence space (with wrap-around).
pub fn in_sequence(last: i32, next: i32) -> bool {
    i64::from(next) == i64::from(last) + 1 || (next == 0 && last == i32::MAX)
}

fn array_at<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_batch_round_trips_and_has_valid_crc() {
        let batch = MarkerBatch {
            producer_id: 77,
            producer_epoch: 3,
            marker: ControlMarker {
                commit: true,
                coordinator_epoch: 9,
            },
            timestamp: 1_700_000_000_000,
            partition_leader_epoch: 4,
        }
        .encode();
        assert_eq!(
            batch.len(),
            78,
            "61-byte header plus a 17-byte control record"
        );
        let batch_length = i32::from_be_bytes(batch[8..12].try_into().unwrap());
        assert_eq!(batch_length as usize, batch.len() - 12);
        let crc = u32::from_be_bytes(batch[17..21].try_into().unwrap());
        assert_eq!(crc, crc32c::crc32c(&batch[21..]));
        let info = BatchProducerInfo::parse(&batch).unwrap();
        assert_eq!(info.producer_id, 77);
        assert_eq!(info.producer_epoch, 3);
        assert_eq!(info.base_sequence, -1);
        assert_eq!(info.last_offset_delta, 0);
        assert!(info.is_control && info.is_transactional);
        assert_eq!(info.max_timestamp, 1_700_000_000_000);
        assert_eq!(
            parse_control_marker(&batch),
            Some(ControlMarker {
                commit: true,
                coordinator_epoch: 9
            })
        );
        let abort = MarkerBatch {
            marker: ControlMarker {
                commit: false,
                coordinator_epoch: 0,
            },
            ..MarkerBatch {
                producer_id: 1,
                producer_epoch: 0,
                marker: ControlMarker {
                    commit: true,
                    coordinator_epoch: 0,
                },
                timestamp: 5,
                partition_leader_epoch: -1,
            }
        }
        .encode();
        // Record key: version 0, type 0 (abort).
        assert_eq!(&abort[61 + 5..61 + 9], &[0, 0, 0, 0]);
        assert_eq!(parse_control_marker(&abort).map(|m| m.commit), Some(false));
    }

    #[test]
    fn header_parse_rejects_short_or_wrong_magic() {
        assert_eq!(BatchProducerInfo::parse(&[0u8; 60]), None);
        let mut b = vec![0u8; 61];
        b[16] = 1;
        assert_eq!(BatchProducerInfo::parse(&b), None);
        b[16] = 2;
        assert!(BatchProducerInfo::parse(&b).is_some());
        assert_eq!(parse_control_marker(&b), None, "not a control batch");
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        assert_eq!(increment_sequence(5, 4), 9);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(increment_sequence(i32::MAX - 2, 2), i32::MAX);
        assert!(in_sequence(i32::MAX, 0));
        assert!(in_sequence(-1, 0));
        assert!(in_sequence(4, 5));
        assert!(!in_sequence(4, 6));
        assert!(!in_sequence(i32::MAX, i32::MIN));
    }
}

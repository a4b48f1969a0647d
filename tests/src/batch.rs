//! The broker's view of record batches v2: validation of what a producer sent (on top of
//! `kafka_protocol::records`, which parses the header and checks length, magic, CRC and
//! codec) plus the produce-specific rules, and the in-place patches the broker makes on
//! append (base offset, partition leader epoch, LogAppendTime).
//!
//! Records stay opaque (and compressed) bytes, stored exactly as the producer sent them.

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{DecodeOptions, RecordBatch, RecordBatchHeader};
use kafka_protocol::DecodeErrorKind;

/// Bytes before the `batchLength` field's coverage starts (baseOffset + batchLength).
pub(crate) const LOG_OVERHEAD: usize = 12;
/// Offset of the first byte the CRC covers (the attributes field).
const CRC_START: usize = 21;
/// Smallest possible encoded record: seven one-byte varints.
const MIN_RECORD_LEN: usize = 7;

/// The header fields of one record batch.
pub(crate) type BatchHeader = RecordBatchHeader;

/// Why a batch was refused, with the Kafka error code it maps to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BatchError {
    #[error("record batch truncated: {0}")]
    Truncated(String),
    #[error("record batch has magic {0}; only magic 2 is accepted")]
    Magic(i8),
    #[error("record batch CRC mismatch: header says {expected:#010x}, computed {actual:#010x}")]
    Crc { expected: u32, actual: u32 },
    #[error("record batch uses compression codec {0}, which does not exist")]
    Codec(i16),
    #[error("record batch is inconsistent: {0}")]
    Invalid(String),
}

impl BatchError {
    /// The Kafka error code a produce response carries for this problem.
    pub(crate) fn code(&self) -> i16 {
        match self {
            BatchError::Truncated(_) | BatchError::Crc { .. } => crate::codes::CORRUPT_MESSAGE,
            BatchError::Codec(_) => crate::codes::UNSUPPORTED_COMPRESSION_TYPE,
            BatchError::Magic(_) | BatchError::Invalid(_) => crate::codes::INVALID_RECORD,
        }
    }

    fn from_decode(e: &kafka_protocol::DecodeError) -> Self {
        match e.kind() {
            DecodeErrorKind::CrcMismatch { stored, computed } => BatchError::Crc { expected: *stored, actual: *computed },
            DecodeErrorKind::UnknownMagic(m) => BatchError::Magic(*m),
            DecodeErrorKind::UnsupportedCompression(c) => BatchError::Codec(i16::from(*c)),
            DecodeErrorKind::Truncated { .. } | DecodeErrorKind::LengthExceedsInput { .. } => {
                BatchError::Truncated(e.to_string())
            }
            _ => BatchError::Invalid(e.to_string()),
        }
    }
}

/// Decodes the header of the batch at the front of `buf` (CRC not checked).
pub(crate) fn read_header(buf: &Bytes) -> Result<BatchHeader, BatchError> {
    let mut cursor = buf.clone();
    RecordBatch::decode(&mut cursor, &DecodeOptions::default().with_verify_crc(false))
        .map(|b| b.header)
        .map_err(|e| BatchError::from_decode(&e))
}

/// Validates that `records` holds exactly one well-formed v2 batch, as Kafka requires of
/// produce requests v3+, and returns its header.
pub(crate) fn validate_produce(records: &Bytes) -> Result<BatchHeader, BatchError> {
    let mut cursor = records.clone();
    let batch = RecordBatch::decode(&mut cursor, &DecodeOptions::default()).map_err(|e| BatchError::from_decode(&e))?;
    if !cursor.is_empty() {
        return Err(BatchError::Invalid("produce requests must carry exactly one record batch".into()));
    }
    let header = batch.header;
    if header.record_count <= 0 {
        return Err(BatchError::Invalid(format!("record count {}", header.record_count)));
    }
    if i64::from(header.last_offset_delta) != i64::from(header.record_count) - 1 {
        return Err(BatchError::Invalid(format!(
            "last offset delta {} does not match record count {}",
            header.last_offset_delta, header.record_count
        )));
    }
    if header.compression == kafka_protocol::records::Compression::None {
        let needed = (header.record_count as usize).saturating_mul(MIN_RECORD_LEN);
        if needed > batch.payload.len() {
            return Err(BatchError::Invalid(format!(
                "{} records cannot fit in {} bytes",
                header.record_count,
                batch.payload.len()
            )));
        }
    }
    Ok(header)
}

/// Copies a validated batch and patches it for the log: base offset and partition leader
/// epoch (neither is covered by the CRC), and for LogAppendTime topics the timestamp type
/// bit and max timestamp (which are, so the CRC is recomputed).
pub(crate) fn prepare_for_log(
    records: &[u8],
    base_offset: i64,
    leader_epoch: i32,
    log_append_time: Option<i64>,
) -> Bytes {
    let mut buf = BytesMut::from(records);
    buf[0..8].copy_from_slice(&base_offset.to_be_bytes());
    buf[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
    if let Some(now) = log_append_time {
        let attrs = i16::from_be_bytes([buf[21], buf[22]]) | 0x08;
        buf[21..23].copy_from_slice(&attrs.to_be_bytes());
        buf[35..43].copy_from_slice(&now.to_be_bytes());
        let crc = crc32c::crc32c(&buf[CRC_START..]);
        buf[17..21].copy_from_slice(&crc.to_be_bytes());
    }
    buf.freeze()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds an uncompressed v2 batch of `n` records with the given values (test helper).
    pub(crate) fn batch(values: &[&[u8]], timestamp: i64) -> Vec<u8> {
        crate::testing::record_batch(values, timestamp)
    }

    #[test]
    fn valid_batch_passes_and_patching_keeps_crc_valid() {
        let b = batch(&[b"a", b"bb", b"ccc"], 1000);
        let h = validate_produce(&Bytes::from(b.clone())).unwrap();
        assert_eq!(h.record_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        let patched = prepare_for_log(&b, 42, 7, None);
        let h2 = validate_produce(&patched).unwrap();
        assert_eq!(h2.base_offset, 42);
        assert_eq!(h2.partition_leader_epoch, 7);
        let lat = prepare_for_log(&b, 0, 0, Some(5555));
        let h3 = validate_produce(&lat).unwrap();
        assert_eq!(h3.max_timestamp, 5555);
        assert_eq!(h3.attributes() & 0x08, 0x08);
    }

    #[test]
    fn corruptions_are_typed() {
        let b = batch(&[b"x"], 1);
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let v = |x: &[u8]| validate_produce(&Bytes::copy_from_slice(x));
        assert!(matches!(v(&bad), Err(BatchError::Crc { .. })));
        assert!(matches!(v(&b[..b.len() - 1]), Err(BatchError::Truncated(_))));
        let mut magic = b.clone();
        magic[16] = 1;
        assert!(matches!(v(&magic), Err(BatchError::Magic(1))));
        let mut two = b.clone();
        two.extend_from_slice(&b);
        assert!(matches!(v(&two), Err(BatchError::Invalid(_))));
        assert!(matches!(v(&b[..10]), Err(BatchError::Truncated(_))));
    }
}

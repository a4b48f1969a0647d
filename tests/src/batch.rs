//! Just enough of the record batch v2 format for the broker: the fixed 61-byte header,
//! validation of what a producer sent, and the in-place patches the broker makes on append
//! (base offset, partition leader epoch, LogAppendTime).
//!
//! This is deliberately not a record parser: records stay opaque (and compressed) bytes,
//! stored exactly as the producer sent them. When `kafka_protocol::records` lands, this
//! module is the one place to swap over.

use bytes::{Bytes, BytesMut};

/// Size of the v2 batch header, up to and including the record count.
pub(crate) const HEADER_LEN: usize = 61;
/// Bytes before the `batchLength` field's coverage starts (baseOffset + batchLength).
pub(crate) const LOG_OVERHEAD: usize = 12;
/// Offset of the first byte the CRC covers (the attributes field).
const CRC_START: usize = 21;
/// Smallest possible encoded record: seven one-byte varints.
const MIN_RECORD_LEN: usize = 7;

/// The header fields of one record batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BatchHeader {
    pub(crate) base_offset: i64,
    pub(crate) batch_length: i32,
    pub(crate) partition_leader_epoch: i32,
    pub(crate) magic: i8,
    pub(crate) crc: u32,
    pub(crate) attributes: i16,
    pub(crate) last_offset_delta: i32,
    pub(crate) first_timestamp: i64,
    pub(crate) max_timestamp: i64,
    pub(crate) producer_id: i64,
    pub(crate) producer_epoch: i16,
    pub(crate) base_sequence: i32,
    pub(crate) record_count: i32,
}

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
}

impl BatchHeader {
    /// Compression codec id (attributes bits 0-2).
    pub(crate) fn codec(&self) -> i16 {
        self.attributes & 0x07
    }

    /// Whether the batch belongs to a transaction (attributes bit 4).
    pub(crate) fn is_transactional(&self) -> bool {
        self.attributes & 0x10 != 0
    }

    /// Whether the batch is a control batch (attributes bit 5).
    pub(crate) fn is_control(&self) -> bool {
        self.attributes & 0x20 != 0
    }

    /// The offset of the last record, relative to a base offset.
    pub(crate) fn last_offset(&self, base: i64) -> i64 {
        base.saturating_add(i64::from(self.last_offset_delta))
    }

}

/// Reads the header at the front of `buf` without validating anything but its length.
pub(crate) fn read_header(buf: &[u8]) -> Result<BatchHeader, BatchError> {
    let h = buf
        .get(..HEADER_LEN)
        .ok_or_else(|| BatchError::Truncated(format!("{} bytes, header needs {HEADER_LEN}", buf.len())))?;
    let i16_at = |o: usize| i16::from_be_bytes([h[o], h[o + 1]]);
    let i32_at = |o: usize| i32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    let i64_at = |o: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[o..o + 8]);
        i64::from_be_bytes(b)
    };
    Ok(BatchHeader {
        base_offset: i64_at(0),
        batch_length: i32_at(8),
        partition_leader_epoch: i32_at(12),
        magic: h[16] as i8,
        crc: i32_at(17) as u32,
        attributes: i16_at(21),
        last_offset_delta: i32_at(23),
        first_timestamp: i64_at(27),
        max_timestamp: i64_at(35),
        producer_id: i64_at(43),
        producer_epoch: i16_at(51),
        base_sequence: i32_at(53),
        record_count: i32_at(57),
    })
}

/// Validates that `records` holds exactly one well-formed v2 batch, as Kafka requires of
/// produce requests v3+, and returns its header.
pub(crate) fn validate_produce(records: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = read_header(records)?;
    if header.magic != 2 {
        return Err(BatchError::Magic(header.magic));
    }
    let batch_length = usize::try_from(header.batch_length)
        .map_err(|_| BatchError::Invalid(format!("negative batch length {}", header.batch_length)))?;
    let total = LOG_OVERHEAD
        .checked_add(batch_length)
        .ok_or_else(|| BatchError::Invalid("batch length overflows".into()))?;
    if total < HEADER_LEN {
        return Err(BatchError::Invalid(format!("batch length {batch_length} is shorter than the header")));
    }
    match total.cmp(&records.len()) {
        std::cmp::Ordering::Greater => {
            return Err(BatchError::Truncated(format!(
                "batch length says {total} bytes, only {} present",
                records.len()
            )))
        }
        std::cmp::Ordering::Less => {
            return Err(BatchError::Invalid(
                "produce requests must carry exactly one record batch".into(),
            ))
        }
        std::cmp::Ordering::Equal => {}
    }
    let actual = crc32c::crc32c(&records[CRC_START..total]);
    if actual != header.crc {
        return Err(BatchError::Crc { expected: header.crc, actual });
    }
    if header.codec() > 4 {
        return Err(BatchError::Codec(header.codec()));
    }
    if header.record_count <= 0 {
        return Err(BatchError::Invalid(format!("record count {}", header.record_count)));
    }
    if i64::from(header.last_offset_delta) != i64::from(header.record_count) - 1 {
        return Err(BatchError::Invalid(format!(
            "last offset delta {} does not match record count {}",
            header.last_offset_delta, header.record_count
        )));
    }
    if header.codec() == 0 {
        let payload = total - HEADER_LEN;
        let needed = (header.record_count as usize).saturating_mul(MIN_RECORD_LEN);
        if needed > payload {
            return Err(BatchError::Invalid(format!(
                "{} records cannot fit in {payload} bytes",
                header.record_count
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
        let h = validate_produce(&b).unwrap();
        assert_eq!(h.record_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        let patched = prepare_for_log(&b, 42, 7, None);
        let h2 = validate_produce(&patched).unwrap();
        assert_eq!(h2.base_offset, 42);
        assert_eq!(h2.partition_leader_epoch, 7);
        let lat = prepare_for_log(&b, 0, 0, Some(5555));
        let h3 = validate_produce(&lat).unwrap();
        assert_eq!(h3.max_timestamp, 5555);
        assert_eq!(h3.attributes & 0x08, 0x08);
    }

    #[test]
    fn corruptions_are_typed() {
        let b = batch(&[b"x"], 1);
        let mut bad = b.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert!(matches!(validate_produce(&bad), Err(BatchError::Crc { .. })));
        assert!(matches!(validate_produce(&b[..b.len() - 1]), Err(BatchError::Truncated(_))));
        let mut magic = b.clone();
        magic[16] = 1;
        assert!(matches!(validate_produce(&magic), Err(BatchError::Magic(1))));
        let mut two = b.clone();
        two.extend_from_slice(&b);
        assert!(matches!(validate_produce(&two), Err(BatchError::Invalid(_))));
        assert!(matches!(validate_produce(&b[..10]), Err(BatchError::Truncated(_))));
    }
}

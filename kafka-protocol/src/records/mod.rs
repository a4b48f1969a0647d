//! Record data: message format v2 record batches (KIP-98), legacy v0/v1 message sets
//! (KIP-31, KIP-32, decode only), control records, compression (KIP-57 lz4 framing, KIP-110
//! zstd) and the CRCs that protect them. Sans-IO: nothing here touches a socket or a clock.
//!
//! - [`RecordBatchBuilder`] encodes a batch straight into one buffer.
//! - [`RecordSet`] walks the `records` field of a Produce or Fetch message: a run of
//!   concatenated batches (v2) or legacy messages, where a trailing partial batch, which
//!   brokers send in Fetch responses, is reported through [`RecordSet::partial_tail`]
//!   rather than as an error.
//! - [`RecordBatch::records`] decompresses a batch; [`Records::iter`] then yields zero-copy
//!   [`RecordRef`]s without allocating, and [`Records::to_vec`] owned [`Record`]s whose key,
//!   value and headers are `Bytes` slices of the batch buffer.
//!
//! # Example
//!
//! ```
//! use kafka_protocol::records::{Compression, DecodeOptions, RecordBatchBuilder, RecordSet, RecordSetEntry};
//!
//! let mut builder = RecordBatchBuilder::new(Compression::None);
//! builder.append(1_700_000_000_000, Some(b"key"), Some(b"value"))?;
//! builder.append_with_headers(1_700_000_000_001, None, Some(b"v2"), &[("trace", Some(&b"abc"[..]))])?;
//! let batch = builder.finish()?;
//!
//! let options = DecodeOptions::default();
//! let mut set = RecordSet::new(batch);
//! for entry in set.by_ref() {
//!     let RecordSetEntry::Batch(batch) = entry? else { unreachable!() };
//!     let records = batch.records(&options)?;
//!     for record in records.iter() {
//!         let record = record?;
//!         println!("{} {:?} {:?}", record.offset, record.key, record.value);
//!     }
//! }
//! assert_eq!(set.partial_tail(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod compression;
mod control;
mod legacy;
mod record;

pub use batch::{
    RecordBatch, RecordBatchBuilder, RecordBatchHeader, TimestampType, MAGIC_V2, NO_PARTITION_LEADER_EPOCH,
    NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RECORD_BATCH_OVERHEAD,
};
pub use compression::{compress, decompress, Compression, Compressor, DEFAULT_MAX_DECOMPRESSED_SIZE};
pub use control::{
    end_transaction_batch, ControlRecord, ControlRecordKey, ControlRecordType, EndTransactionMarker,
    CONTROL_KEY_SIZE, END_TXN_MARKER_SIZE,
};
pub use legacy::{LegacyMessage, MIN_MESSAGE_SIZE_V0, MIN_MESSAGE_SIZE_V1};
pub use record::{AsHeader, Header, HeaderIter, HeaderRef, Headers, Record, RecordIter, RecordRef, Records};

use bytes::Bytes;

use crate::codec::{DecodeError, DecodeErrorKind};
use batch::LOG_OVERHEAD;

/// Options for decoding record data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Verify batch CRC-32C and legacy message CRC-32 (default `true`, mirroring the
    /// consumer's `check.crcs`).
    pub verify_crc: bool,
    /// Largest decompressed size accepted for one batch or wrapper message
    /// (default [`DEFAULT_MAX_DECOMPRESSED_SIZE`], 64 MiB).
    pub max_decompressed_size: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self { verify_crc: true, max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE }
    }
}

impl DecodeOptions {
    /// Sets [`DecodeOptions::verify_crc`].
    pub fn with_verify_crc(mut self, verify: bool) -> Self {
        self.verify_crc = verify;
        self
    }

    /// Sets [`DecodeOptions::max_decompressed_size`].
    pub fn with_max_decompressed_size(mut self, bytes: usize) -> Self {
        self.max_decompressed_size = bytes;
        self
    }
}

/// One entry of a record set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordSetEntry {
    /// A message format v2 batch.
    Batch(RecordBatch),
    /// A v0 or v1 message (possibly a compressed wrapper; see [`LegacyMessage::messages`]).
    Legacy(LegacyMessage),
}

/// Iterator over the entries of a `records` field: concatenated v2 batches and/or legacy
/// v0/v1 messages, told apart by the magic byte (at the same position in both formats).
///
/// The iterator stops at the end of the data, at a trailing partial entry (whose size is
/// then given by [`RecordSet::partial_tail`]) or after yielding its first error.
#[derive(Clone, Debug)]
pub struct RecordSet {
    data: Bytes,
    options: DecodeOptions,
    partial: usize,
    done: bool,
}

/// Bytes before the magic byte in both formats: offset, length, and either the partition
/// leader epoch (v2) or the CRC (v0/v1).
const MAGIC_OFFSET: usize = 16;

impl RecordSet {
    /// Iterates `data` with default [`DecodeOptions`].
    pub fn new(data: Bytes) -> Self {
        Self::with_options(data, DecodeOptions::default())
    }

    /// Iterates `data` with `options`.
    pub fn with_options(data: Bytes, options: DecodeOptions) -> Self {
        Self { data, options, partial: 0, done: false }
    }

    /// Iterates a message's `records` field (`Option<Bytes>` in Produce and Fetch); a null
    /// field is an empty set.
    pub fn from_field(records: Option<&Bytes>, options: DecodeOptions) -> Self {
        Self::with_options(records.cloned().unwrap_or_default(), options)
    }

    /// Size of the trailing partial entry that was skipped (0 if none); meaningful once the
    /// iterator has returned `None`.
    pub fn partial_tail(&self) -> usize {
        self.partial
    }

    fn next_entry(&mut self) -> Result<Option<RecordSetEntry>, DecodeError> {
        if self.data.is_empty() {
            return Ok(None);
        }
        if self.data.len() < LOG_OVERHEAD {
            self.partial = self.data.len();
            return Ok(None);
        }
        let Some(&[_, _, _, _, _, _, _, _, l0, l1, l2, l3]) = self.data.first_chunk::<LOG_OVERHEAD>() else {
            self.partial = self.data.len();
            return Ok(None);
        };
        let len = i32::from_be_bytes([l0, l1, l2, l3]);
        if len < 0 {
            return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(len))));
        }
        if (len as usize) < MIN_MESSAGE_SIZE_V0 {
            return Err(DecodeError::new(DecodeErrorKind::Invalid("record set entry below the minimum size")));
        }
        let size = LOG_OVERHEAD + len as usize;
        if size > self.data.len() {
            self.partial = self.data.len();
            return Ok(None);
        }
        // size >= 12 + 14, so the magic byte is inside the entry.
        let magic = self.data.get(MAGIC_OFFSET).map_or(-1, |&m| m as i8);
        let mut entry = self.data.split_to(size);
        match magic {
            0 | 1 => LegacyMessage::decode(&mut entry, &self.options).map(|m| Some(RecordSetEntry::Legacy(m))),
            MAGIC_V2 => RecordBatch::decode(&mut entry, &self.options).map(|b| Some(RecordSetEntry::Batch(b))),
            other => Err(DecodeError::new(DecodeErrorKind::UnknownMagic(other))),
        }
    }
}

impl Iterator for RecordSet {
    type Item = Result<RecordSetEntry, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.in_field("records")))
            }
        }
    }
}

impl std::iter::FusedIterator for RecordSet {}

/// Every data record of a `records` field, decoded into owned records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodedRecords {
    /// The data records, in offset order as stored. Control batches are left out.
    pub records: Vec<Record>,
    /// Size of the trailing partial batch that was skipped (0 if none).
    pub partial_tail: usize,
}

/// Convenience: decodes a whole `records` field (v2 batches and legacy messages, any codec)
/// into owned [`Record`]s, skipping control batches. Use [`RecordSet`] for batch metadata
/// (producer ids, transactional and control flags) or zero-allocation iteration.
pub fn decode_record_set(data: Bytes, options: &DecodeOptions) -> Result<DecodedRecords, DecodeError> {
    let mut set = RecordSet::with_options(data, *options);
    let mut records = Vec::new();
    for entry in set.by_ref() {
        match entry? {
            RecordSetEntry::Batch(batch) => {
                if batch.header.is_control {
                    continue;
                }
                let rs = batch.records(options)?;
                records.reserve(rs.len());
                for r in rs.iter() {
                    records.push(r?.to_record());
                }
            }
            RecordSetEntry::Legacy(message) => {
                records.extend(message.messages(options)?.into_iter().map(LegacyMessage::into_record));
            }
        }
    }
    Ok(DecodedRecords { records, partial_tail: set.partial_tail() })
}

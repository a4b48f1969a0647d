//! Message format v2 record batches (KIP-98): the [`RecordBatchHeader`], batch decoding with
//! CRC-32C verification, and the single-buffer [`RecordBatchBuilder`].
//!
//! Layout (big-endian):
//!
//! ```text
//! baseOffset: int64                 0
//! batchLength: int32                8   bytes after this field
//! partitionLeaderEpoch: int32      12
//! magic: int8 (= 2)                16
//! crc: uint32 (CRC-32C)            17   over attributes .. end of batch
//! attributes: int16                21   bits 0-2 compression, 3 timestamp type,
//!                                       4 transactional, 5 control, 6 delete horizon
//! lastOffsetDelta: int32           23
//! baseTimestamp: int64             27
//! maxTimestamp: int64              35
//! producerId: int64                43
//! producerEpoch: int16             51
//! baseSequence: int32              53
//! recordCount: int32               57
//! records                          61   compressed as a whole when compression is set
//! ```

use bytes::{Buf, BufMut, Bytes};

use super::compression::{self, Compression, Compressor};
use super::record::{AsHeader, Headers, Record, RecordContext, Records};
use super::DecodeOptions;
use crate::codec::{DecodeError, DecodeErrorKind, EncodeError};
use crate::wire;

/// Size of the v2 batch header, up to and including the record count.
pub const RECORD_BATCH_OVERHEAD: usize = 61;
/// Bytes before `batchLength` counts: base offset and the length itself.
pub(crate) const LOG_OVERHEAD: usize = 12;
/// The magic byte of message format v2.
pub const MAGIC_V2: i8 = 2;
/// Offset of the CRC-covered region (the attributes field).
const CRC_START: usize = 21;

const COMPRESSION_MASK: i16 = 0x07;
const TIMESTAMP_TYPE_BIT: i16 = 0x08;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;
const DELETE_HORIZON_BIT: i16 = 0x40;

/// Producer id, epoch and sequence value meaning "none" (non-idempotent producers).
pub const NO_PRODUCER_ID: i64 = -1;
/// See [`NO_PRODUCER_ID`].
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// See [`NO_PRODUCER_ID`].
pub const NO_SEQUENCE: i32 = -1;
/// The partition leader epoch a producer writes (the broker fills in the real one).
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;

/// Which clock a record timestamp comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimestampType {
    /// Set by the producer (`message.timestamp.type=CreateTime`).
    #[default]
    CreateTime,
    /// Set by the broker when appending (`message.timestamp.type=LogAppendTime`); every
    /// record of the batch takes the batch's max timestamp.
    LogAppendTime,
}

/// The fixed-size header of a v2 record batch, with its attribute bits decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordBatchHeader {
    /// Offset of the first record (assigned by the broker; 0 from producers).
    pub base_offset: i64,
    /// Bytes following the `batchLength` field.
    pub batch_length: i32,
    /// Epoch of the partition leader that appended the batch.
    pub partition_leader_epoch: i32,
    /// Format version; always 2 for a decoded batch.
    pub magic: i8,
    /// The stored CRC-32C.
    pub crc: u32,
    /// Compression of the records section.
    pub compression: Compression,
    /// Where record timestamps come from.
    pub timestamp_type: TimestampType,
    /// Whether the batch belongs to a transaction (KIP-98).
    pub is_transactional: bool,
    /// Whether the batch holds control records (transaction markers).
    pub is_control: bool,
    /// Whether the base timestamp is a delete horizon set by log compaction (KIP-534).
    pub has_delete_horizon: bool,
    /// Offset delta of the last record.
    pub last_offset_delta: i32,
    /// Timestamp of the first record (or the delete horizon, see above).
    pub base_timestamp: i64,
    /// Largest record timestamp, or the log append time for `LogAppendTime` batches.
    pub max_timestamp: i64,
    /// Idempotent/transactional producer id, -1 when none.
    pub producer_id: i64,
    /// Producer epoch, -1 when none.
    pub producer_epoch: i16,
    /// Sequence number of the first record, -1 when none.
    pub base_sequence: i32,
    /// Number of records.
    pub record_count: i32,
}

impl Default for RecordBatchHeader {
    fn default() -> Self {
        Self {
            base_offset: 0,
            batch_length: (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            magic: MAGIC_V2,
            crc: 0,
            compression: Compression::None,
            timestamp_type: TimestampType::CreateTime,
            is_transactional: false,
            is_control: false,
            has_delete_horizon: false,
            last_offset_delta: -1,
            base_timestamp: -1,
            max_timestamp: -1,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            base_sequence: NO_SEQUENCE,
            record_count: 0,
        }
    }
}

impl RecordBatchHeader {
    /// The attributes field as it goes on the wire.
    pub fn attributes(&self) -> i16 {
        let mut a = i16::from(self.compression.id());
        if self.timestamp_type == TimestampType::LogAppendTime {
            a |= TIMESTAMP_TYPE_BIT;
        }
        if self.is_transactional {
            a |= TRANSACTIONAL_BIT;
        }
        if self.is_control {
            a |= CONTROL_BIT;
        }
        if self.has_delete_horizon {
            a |= DELETE_HORIZON_BIT;
        }
        a
    }

    /// Offset of the last record (`base_offset + last_offset_delta`).
    pub fn last_offset(&self) -> i64 {
        self.base_offset.saturating_add(i64::from(self.last_offset_delta))
    }

    /// The offset after the batch, where the next fetch continues.
    pub fn next_offset(&self) -> i64 {
        self.last_offset().saturating_add(1)
    }

    /// Total encoded size of the batch (`batchLength` plus the 12 bytes before it).
    pub fn size_in_bytes(&self) -> usize {
        (self.batch_length.max(0) as usize).saturating_add(LOG_OVERHEAD)
    }

    /// Whether the batch came from an idempotent or transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }

    /// Parses the 61-byte header from the front of `data` (no CRC check, no length check
    /// against the data). Returns the codec id separately: it is validated only after the
    /// CRC, so that a corrupted attributes field reports a CRC mismatch.
    fn parse(mut data: &[u8]) -> Result<(Self, u8), DecodeError> {
        if data.len() < RECORD_BATCH_OVERHEAD {
            return Err(DecodeError::new(DecodeErrorKind::Truncated {
                needed: RECORD_BATCH_OVERHEAD,
                remaining: data.len(),
            }));
        }
        let base_offset = data.get_i64();
        let batch_length = data.get_i32();
        let partition_leader_epoch = data.get_i32();
        let magic = data.get_i8();
        if magic != MAGIC_V2 {
            return Err(DecodeError::new(DecodeErrorKind::UnknownMagic(magic)));
        }
        let crc = data.get_u32();
        let attributes = data.get_i16();
        let codec = (attributes & COMPRESSION_MASK) as u8;
        let compression = Compression::from_id(codec).unwrap_or_default();
        let header = Self {
            base_offset,
            batch_length,
            partition_leader_epoch,
            magic,
            crc,
            compression,
            timestamp_type: if attributes & TIMESTAMP_TYPE_BIT != 0 {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            },
            is_transactional: attributes & TRANSACTIONAL_BIT != 0,
            is_control: attributes & CONTROL_BIT != 0,
            has_delete_horizon: attributes & DELETE_HORIZON_BIT != 0,
            last_offset_delta: data.get_i32(),
            base_timestamp: data.get_i64(),
            max_timestamp: data.get_i64(),
            producer_id: data.get_i64(),
            producer_epoch: data.get_i16(),
            base_sequence: data.get_i32(),
            record_count: data.get_i32(),
        };
        Ok((header, codec))
    }

    /// Writes the 61 header bytes with the given CRC.
    fn write(&self, out: &mut [u8; RECORD_BATCH_OVERHEAD], crc: u32) {
        let mut w = &mut out[..];
        w.put_i64(self.base_offset);
        w.put_i32(self.batch_length);
        w.put_i32(self.partition_leader_epoch);
        w.put_i8(MAGIC_V2);
        w.put_u32(crc);
        w.put_i16(self.attributes());
        w.put_i32(self.last_offset_delta);
        w.put_i64(self.base_timestamp);
        w.put_i64(self.max_timestamp);
        w.put_i64(self.producer_id);
        w.put_i16(self.producer_epoch);
        w.put_i32(self.base_sequence);
        w.put_i32(self.record_count);
    }

    fn record_context(&self) -> RecordContext {
        RecordContext {
            base_offset: self.base_offset,
            base_timestamp: self.base_timestamp,
            log_append_time: (self.timestamp_type == TimestampType::LogAppendTime)
                .then_some(self.max_timestamp),
        }
    }
}

/// A decoded v2 record batch: its header and its (possibly compressed) records section.
///
/// Decoding the header is cheap; records are decompressed and parsed only when asked for
/// with [`RecordBatch::records`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordBatch {
    /// The header.
    pub header: RecordBatchHeader,
    /// The records section exactly as on the wire (compressed when the header says so).
    pub payload: Bytes,
}

impl RecordBatch {
    /// Decodes one complete batch from the front of `buf`, advancing it past the batch.
    ///
    /// Verifies the CRC-32C unless `options.verify_crc` is off. A batch longer than `buf`
    /// is an error here; use [`super::RecordSet`] to read a `records` field where a trailing
    /// partial batch is normal.
    pub fn decode(buf: &mut Bytes, options: &DecodeOptions) -> Result<Self, DecodeError> {
        Self::decode_inner(buf, options).map_err(|e| e.in_field("RecordBatch"))
    }

    fn decode_inner(buf: &mut Bytes, options: &DecodeOptions) -> Result<Self, DecodeError> {
        let (header, codec) = RecordBatchHeader::parse(buf)?;
        let min = (RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) as i32;
        if header.batch_length < min {
            return Err(if header.batch_length < 0 {
                DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(header.batch_length)))
            } else {
                DecodeError::new(DecodeErrorKind::Invalid("batch length below the header size"))
            });
        }
        let size = header.size_in_bytes();
        if size > buf.len() {
            return Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
                length: header.batch_length as u64,
                remaining: buf.len().saturating_sub(LOG_OVERHEAD),
            }));
        }
        let mut batch = buf.split_to(size);
        if options.verify_crc {
            let computed = crc32c::crc32c(batch.get(CRC_START..).unwrap_or_default());
            if computed != header.crc {
                return Err(DecodeError::new(DecodeErrorKind::CrcMismatch {
                    stored: header.crc,
                    computed,
                }));
            }
        }
        if Compression::from_id(codec).is_none() {
            return Err(DecodeError::new(DecodeErrorKind::UnsupportedCompression(codec)));
        }
        if header.record_count < 0 {
            return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(
                header.record_count,
            )))
            .in_field("recordCount"));
        }
        batch.advance(RECORD_BATCH_OVERHEAD);
        Ok(Self { header, payload: batch })
    }

    /// Decompresses (when needed) and returns the records, ready to iterate.
    ///
    /// Uncompressed batches share the payload buffer (no copy). Compressed ones decompress
    /// into one fresh buffer, capped at `options.max_decompressed_size`.
    pub fn records(&self, options: &DecodeOptions) -> Result<Records, DecodeError> {
        let data = match self.header.compression {
            Compression::None => self.payload.clone(),
            codec => Bytes::from(compression::decompress(
                codec,
                &self.payload,
                options.max_decompressed_size,
            )?),
        };
        Records::new(data, self.header.record_count, self.header.record_context())
    }

    /// Convenience: every record as an owned [`Record`] (one `Vec` per batch).
    pub fn to_records(&self, options: &DecodeOptions) -> Result<Vec<Record>, DecodeError> {
        self.records(options)?.to_vec()
    }

    /// Re-encodes the batch, recomputing `batchLength` and the CRC (for brokers that
    /// rewrite the base offset, leader epoch or max timestamp).
    pub fn encode<B: BufMut>(&self, out: &mut B) -> Result<(), EncodeError> {
        let mut header = self.header;
        header.batch_length = i32::try_from(RECORD_BATCH_OVERHEAD - LOG_OVERHEAD + self.payload.len())
            .map_err(|_| EncodeError::Records("record batch exceeds 2 GiB".into()))?;
        let mut head = [0u8; RECORD_BATCH_OVERHEAD];
        header.write(&mut head, 0);
        let mut crc = crc32c::crc32c(&head[CRC_START..]);
        crc = crc32c::crc32c_append(crc, &self.payload);
        header.write(&mut head, crc);
        out.put_slice(&head);
        out.put_slice(&self.payload);
        Ok(())
    }

    /// The encoded size.
    pub fn encoded_len(&self) -> usize {
        RECORD_BATCH_OVERHEAD + self.payload.len()
    }
}

/// Builds one v2 record batch straight into a single buffer.
///
/// Records are appended in their wire encoding (into the output buffer, or into a reusable
/// scratch buffer when compressing); [`RecordBatchBuilder::finish`] compresses if needed and
/// patches the header (length, CRC, last offset delta, timestamps). No per-record heap
/// objects are created. After `finish` the builder is empty and can be reused with the same
/// settings; its scratch buffers and compression context are kept.
///
/// Defaults: base offset 0, partition leader epoch -1, no producer id/epoch/sequence,
/// non-transactional, `CreateTime`, the compression given to [`RecordBatchBuilder::new`].
#[derive(Debug)]
pub struct RecordBatchBuilder {
    header: RecordBatchHeader,
    log_append_time: Option<i64>,
    /// Header placeholder plus, when uncompressed, the records.
    out: Vec<u8>,
    /// Uncompressed records when compressing.
    scratch: Vec<u8>,
    compressor: Option<Compressor>,
    count: i32,
    last_offset_delta: i32,
    base_timestamp: Option<i64>,
    max_timestamp: i64,
    capacity_hint: usize,
}

impl RecordBatchBuilder {
    /// A builder for a batch compressed with `compression`.
    pub fn new(compression: Compression) -> Self {
        let header = RecordBatchHeader { compression, ..RecordBatchHeader::default() };
        let mut b = Self {
            header,
            log_append_time: None,
            out: Vec::new(),
            scratch: Vec::new(),
            compressor: (compression != Compression::None).then(|| Compressor::new(compression)),
            count: 0,
            last_offset_delta: -1,
            base_timestamp: None,
            max_timestamp: -1,
            capacity_hint: 1024,
        };
        b.reset();
        b
    }

    /// Reserves room for about `bytes` of encoded records (e.g. `batch.size`).
    pub fn with_capacity(mut self, bytes: usize) -> Self {
        self.capacity_hint = bytes.max(RECORD_BATCH_OVERHEAD);
        self.reset();
        self
    }

    /// Sets the compression level (`compression.gzip.level`, `compression.zstd.level`).
    pub fn with_compression_level(mut self, level: i32) -> Self {
        self.compressor = self.compressor.take().map(|c| c.with_level(level));
        self
    }

    /// Sets the base offset (0 for producers; brokers assign the real one).
    pub fn with_base_offset(mut self, base_offset: i64) -> Self {
        self.header.base_offset = base_offset;
        self
    }

    /// Sets the partition leader epoch (-1 for producers).
    pub fn with_partition_leader_epoch(mut self, epoch: i32) -> Self {
        self.header.partition_leader_epoch = epoch;
        self
    }

    /// Sets the idempotent producer id, epoch and the sequence of the first record
    /// (`enable.idempotence`, KIP-98).
    pub fn with_producer(mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        self.header.producer_id = producer_id;
        self.header.producer_epoch = producer_epoch;
        self.header.base_sequence = base_sequence;
        self
    }

    /// Marks the batch as part of a transaction (`transactional.id` producers).
    pub fn with_transactional(mut self, transactional: bool) -> Self {
        self.header.is_transactional = transactional;
        self
    }

    /// Marks the batch as holding control records.
    pub fn with_control(mut self, control: bool) -> Self {
        self.header.is_control = control;
        self
    }

    /// Marks the batch as `LogAppendTime` with the broker's append time as max timestamp.
    pub fn with_log_append_time(mut self, append_time: i64) -> Self {
        self.header.timestamp_type = TimestampType::LogAppendTime;
        self.log_append_time = Some(append_time);
        self
    }

    /// Changes the base offset of the batch being built (not yet finished).
    pub fn set_base_offset(&mut self, base_offset: i64) {
        self.header.base_offset = base_offset;
    }

    /// Changes the producer id, epoch and base sequence of the batch being built.
    pub fn set_producer(&mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) {
        self.header.producer_id = producer_id;
        self.header.producer_epoch = producer_epoch;
        self.header.base_sequence = base_sequence;
    }

    /// Number of records appended so far.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether no record has been appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The compression codec.
    pub fn compression(&self) -> Compression {
        self.header.compression
    }

    /// Uncompressed size of the batch so far (header plus records); the figure a producer
    /// compares with `batch.size`.
    pub fn size_in_bytes(&self) -> usize {
        if self.compressor.is_some() {
            RECORD_BATCH_OVERHEAD + self.scratch.len()
        } else {
            self.out.len()
        }
    }

    /// Encoded size a record would add to the batch.
    pub fn record_size<H: AsHeader>(
        &self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[H],
    ) -> usize {
        let delta = self.last_offset_delta.saturating_add(1);
        let ts_delta = timestamp.wrapping_sub(self.base_timestamp.unwrap_or(timestamp));
        let body = body_len(ts_delta, delta, key, value, headers_len(headers), headers.len());
        wire::varint_len(body.min(i32::MAX as usize) as i32) + body
    }

    /// Appends a record without headers at the next offset delta; returns the delta.
    #[inline]
    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<i32, EncodeError> {
        self.append_with_headers::<Header0>(timestamp, key, value, &[])
    }

    /// Appends a record with headers at the next offset delta; returns the delta.
    #[inline]
    pub fn append_with_headers<H: AsHeader>(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[H],
    ) -> Result<i32, EncodeError> {
        let delta = self.next_delta()?;
        let hlen = headers_len(headers);
        self.write_record(delta, timestamp, key, value, headers.len(), hlen, |buf| {
            for h in headers {
                let k = h.header_key().as_bytes();
                wire::write_varint(buf, k.len() as i32);
                buf.extend_from_slice(k);
                write_nullable(buf, h.header_value());
            }
        })?;
        Ok(delta)
    }

    /// Appends an owned record at the next offset delta (its offset field is ignored; its
    /// headers are copied in their wire encoding).
    pub fn append_record(&mut self, record: &Record) -> Result<i32, EncodeError> {
        let delta = self.next_delta()?;
        let headers: &Headers = &record.headers;
        let encoded = headers.encoded();
        self.write_record(
            delta,
            record.timestamp,
            record.key.as_deref(),
            record.value.as_deref(),
            headers.len(),
            encoded.len(),
            |buf| buf.extend_from_slice(encoded),
        )?;
        Ok(delta)
    }

    /// Appends a record at an explicit offset delta (for brokers and compacted logs where
    /// offsets have gaps). Deltas must increase.
    pub fn append_at<H: AsHeader>(
        &mut self,
        offset_delta: i32,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[H],
    ) -> Result<(), EncodeError> {
        if offset_delta <= self.last_offset_delta && self.count > 0 || offset_delta < 0 {
            return Err(EncodeError::Records(format!(
                "offset delta {offset_delta} does not follow {}",
                self.last_offset_delta
            )));
        }
        let hlen = headers_len(headers);
        self.write_record(offset_delta, timestamp, key, value, headers.len(), hlen, |buf| {
            for h in headers {
                let k = h.header_key().as_bytes();
                wire::write_varint(buf, k.len() as i32);
                buf.extend_from_slice(k);
                write_nullable(buf, h.header_value());
            }
        })
    }

    #[inline]
    fn next_delta(&self) -> Result<i32, EncodeError> {
        self.last_offset_delta
            .checked_add(1)
            .ok_or_else(|| EncodeError::Records("too many records in one batch".into()))
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn write_record(
        &mut self,
        offset_delta: i32,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        header_count: usize,
        headers_len: usize,
        write_headers: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), EncodeError> {
        let base = *self.base_timestamp.get_or_insert(timestamp);
        let ts_delta = timestamp.wrapping_sub(base);
        let body = body_len(ts_delta, offset_delta, key, value, headers_len, header_count);
        if body > i32::MAX as usize
            || key.is_some_and(|k| k.len() > i32::MAX as usize)
            || value.is_some_and(|v| v.len() > i32::MAX as usize)
            || header_count > i32::MAX as usize
        {
            return Err(EncodeError::Records("record too large for a v2 batch".into()));
        }
        // Fixed-size fields go through small stack buffers so the output `Vec` sees a few
        // bulk copies per record instead of a capacity check per byte. The largest prefix is
        // 5 (length) + 1 + 10 (timestamp delta) + 5 + 5 = 26 bytes.
        let mut head = [0u8; 32];
        let head_len = {
            let mut w: &mut [u8] = &mut head;
            wire::write_varint(&mut w, body as i32);
            w.put_u8(0); // attributes
            wire::write_varlong(&mut w, ts_delta);
            wire::write_varint(&mut w, offset_delta);
            wire::write_varint(&mut w, key.map_or(-1, |k| k.len() as i32));
            32 - w.len()
        };
        let mut mid = [0u8; 5];
        let mid_len = {
            let mut w: &mut [u8] = &mut mid;
            wire::write_varint(&mut w, value.map_or(-1, |v| v.len() as i32));
            5 - w.len()
        };
        let mut tail = [0u8; 5];
        let tail_len = {
            let mut w: &mut [u8] = &mut tail;
            wire::write_varint(&mut w, header_count as i32);
            5 - w.len()
        };
        let buf = if self.compressor.is_some() { &mut self.scratch } else { &mut self.out };
        buf.reserve(body + 5);
        buf.extend_from_slice(head.get(..head_len).unwrap_or_default());
        if let Some(k) = key {
            buf.extend_from_slice(k);
        }
        buf.extend_from_slice(mid.get(..mid_len).unwrap_or_default());
        if let Some(v) = value {
            buf.extend_from_slice(v);
        }
        buf.extend_from_slice(tail.get(..tail_len).unwrap_or_default());
        write_headers(buf);
        self.count += 1;
        self.last_offset_delta = offset_delta;
        if timestamp > self.max_timestamp {
            self.max_timestamp = timestamp;
        }
        Ok(())
    }

    /// Finishes the batch: compresses the records if needed, fills in the header and
    /// returns the encoded batch. The builder is left empty, ready for the next batch.
    pub fn finish(&mut self) -> Result<Bytes, EncodeError> {
        if let Some(c) = self.compressor.as_mut() {
            c.compress(&self.scratch, &mut self.out)?;
        }
        let mut header = self.header;
        header.batch_length = i32::try_from(self.out.len() - LOG_OVERHEAD)
            .map_err(|_| EncodeError::Records("record batch exceeds 2 GiB".into()))?;
        header.record_count = self.count;
        header.last_offset_delta = self.last_offset_delta;
        header.base_timestamp = self.base_timestamp.unwrap_or(-1);
        header.max_timestamp = self.log_append_time.unwrap_or(self.max_timestamp);
        let mut head = [0u8; RECORD_BATCH_OVERHEAD];
        header.write(&mut head, 0);
        if let Some(dst) = self.out.get_mut(..RECORD_BATCH_OVERHEAD) {
            dst.copy_from_slice(&head);
        }
        let crc = crc32c::crc32c(self.out.get(CRC_START..).unwrap_or_default());
        if let Some(dst) = self.out.get_mut(17..CRC_START) {
            dst.copy_from_slice(&crc.to_be_bytes());
        }
        // Size the next buffer like this one, so steady-state production reallocates once
        // per batch and never grows incrementally.
        let used = self.out.len().max(self.size_in_bytes());
        self.capacity_hint = self.capacity_hint.max(used);
        let out = std::mem::take(&mut self.out);
        self.reset();
        Ok(Bytes::from(out))
    }

    fn reset(&mut self) {
        self.count = 0;
        self.last_offset_delta = -1;
        self.base_timestamp = None;
        self.max_timestamp = -1;
        self.scratch.clear();
        self.out.clear();
        let want = if self.compressor.is_some() { RECORD_BATCH_OVERHEAD + 64 } else { self.capacity_hint };
        self.out.reserve(want);
        self.out.resize(RECORD_BATCH_OVERHEAD, 0);
        if self.compressor.is_some() {
            self.scratch.reserve(self.capacity_hint);
        }
    }
}

/// Placeholder header type for [`RecordBatchBuilder::append`] (no headers).
type Header0 = super::record::Header;

#[inline(always)]
fn nullable_len(v: Option<&[u8]>) -> usize {
    match v {
        None => 1,
        Some(b) => wire::varint_len(b.len() as i32) + b.len(),
    }
}

#[inline(always)]
fn write_nullable(buf: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => wire::write_varint(buf, -1),
        Some(b) => {
            wire::write_varint(buf, b.len() as i32);
            buf.extend_from_slice(b);
        }
    }
}

#[inline(always)]
fn body_len(
    ts_delta: i64,
    offset_delta: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers_len: usize,
    header_count: usize,
) -> usize {
    1 + wire::varlong_len(ts_delta)
        + wire::varint_len(offset_delta)
        + nullable_len(key)
        + nullable_len(value)
        + wire::varint_len(header_count.min(i32::MAX as usize) as i32)
        + headers_len
}

#[inline]
fn headers_len<H: AsHeader>(headers: &[H]) -> usize {
    headers
        .iter()
        .map(|h| {
            let k = h.header_key().len();
            wire::varint_len(k.min(i32::MAX as usize) as i32) + k + nullable_len(h.header_value())
        })
        .sum()
}

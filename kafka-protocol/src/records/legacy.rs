//! Legacy message sets, message format v0 and v1 (KIP-31, KIP-32), decode only, so that data
//! written by old producers or kept in old log segments can still be read.
//!
//! Each entry is `offset: int64, messageSize: int32` followed by the message:
//!
//! ```text
//! crc: uint32 (CRC-32 IEEE over magic .. end)
//! magic: int8 (0 or 1)
//! attributes: int8        bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4),
//!                         bit 3 timestamp type (v1 only)
//! timestamp: int64        v1 only
//! key: bytes              int32 length, -1 = null
//! value: bytes            int32 length, -1 = null
//! ```
//!
//! A compressed message is a wrapper: its value is a compressed message set of inner
//! messages. Kafka allows one level of nesting. For v1 wrappers the inner offsets are
//! relative (0, 1, ...) and the wrapper carries the absolute offset of the last inner message
//! (KIP-31); v0 inner messages carry absolute offsets. A v1 wrapper with `LogAppendTime`
//! gives every inner message its own timestamp.

use bytes::{Buf, Bytes};

use super::batch::{TimestampType, LOG_OVERHEAD};
use super::compression::{self, Compression};
use super::record::{Headers, Record};
use super::DecodeOptions;
use crate::codec::{DecodeError, DecodeErrorKind};
use crate::wire;

/// The smallest v0 message: CRC, magic, attributes, key length, value length.
pub const MIN_MESSAGE_SIZE_V0: usize = 14;
/// The smallest v1 message (v0 plus the timestamp).
pub const MIN_MESSAGE_SIZE_V1: usize = 22;

/// One v0 or v1 message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyMessage {
    /// The offset (absolute for outer messages; see the module docs for inner ones).
    pub offset: i64,
    /// The stored CRC-32.
    pub crc: u32,
    /// 0 or 1.
    pub magic: i8,
    /// Compression of the value (a wrapper message when not `None`).
    pub compression: Compression,
    /// Where the timestamp comes from (always `CreateTime` for v0).
    pub timestamp_type: TimestampType,
    /// The timestamp (v1 only).
    pub timestamp: Option<i64>,
    /// The key; `None` is null.
    pub key: Option<Bytes>,
    /// The value; `None` is null.
    pub value: Option<Bytes>,
}

impl LegacyMessage {
    /// Decodes one complete entry (`offset`, `messageSize`, message) from the front of `buf`,
    /// verifying the CRC-32 unless `options.verify_crc` is off.
    pub fn decode(buf: &mut Bytes, options: &DecodeOptions) -> Result<Self, DecodeError> {
        Self::decode_inner(buf, options).map_err(|e| e.in_field("LegacyMessage"))
    }

    fn decode_inner(buf: &mut Bytes, options: &DecodeOptions) -> Result<Self, DecodeError> {
        let offset = wire::read_i64(buf)?;
        let size = wire::read_i32(buf)?;
        let size = usize::try_from(size)
            .map_err(|_| DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(size))))?;
        if size < MIN_MESSAGE_SIZE_V0 {
            return Err(DecodeError::new(DecodeErrorKind::Invalid("message size below the minimum")));
        }
        let mut msg = wire::take(buf, size)?;
        let crc = msg.get_u32();
        if options.verify_crc {
            let computed = crc32fast::hash(&msg);
            if computed != crc {
                return Err(DecodeError::new(DecodeErrorKind::CrcMismatch { stored: crc, computed }));
            }
        }
        let magic = msg.get_i8();
        if !(0..=1).contains(&magic) {
            return Err(DecodeError::new(DecodeErrorKind::UnknownMagic(magic)));
        }
        let attributes = msg.get_i8();
        let codec = (attributes & 0x07) as u8;
        let compression = match Compression::from_id(codec) {
            Some(c) if c != Compression::Zstd => c,
            _ => return Err(DecodeError::new(DecodeErrorKind::UnsupportedCompression(codec))),
        };
        let (timestamp, timestamp_type) = if magic == 1 {
            let ts = wire::read_i64(&mut msg)?;
            let tt = if attributes & 0x08 != 0 {
                TimestampType::LogAppendTime
            } else {
                TimestampType::CreateTime
            };
            (Some(ts), tt)
        } else {
            (None, TimestampType::CreateTime)
        };
        let key = wire::read_nullable_bytes(&mut msg, false)?;
        let value = wire::read_nullable_bytes(&mut msg, false)?;
        wire::expect_empty(&msg)?;
        Ok(Self { offset, crc, magic, compression, timestamp_type, timestamp, key, value })
    }

    /// The messages this entry stands for: itself when uncompressed, else the decompressed
    /// inner messages with absolute offsets and effective timestamps.
    pub fn messages(&self, options: &DecodeOptions) -> Result<Vec<LegacyMessage>, DecodeError> {
        if self.compression == Compression::None {
            return Ok(vec![self.clone()]);
        }
        let Some(value) = self.value.as_deref() else {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedNull)
                .in_field("wrapper value"));
        };
        let inner = compression::decompress(self.compression, value, options.max_decompressed_size)?;
        let mut inner = Bytes::from(inner);
        let mut out = Vec::with_capacity((inner.len() / (LOG_OVERHEAD + MIN_MESSAGE_SIZE_V0)).min(1024));
        while !inner.is_empty() {
            let m = Self::decode(&mut inner, options).map_err(|e| e.in_field("inner"))?;
            if m.compression != Compression::None {
                return Err(DecodeError::new(DecodeErrorKind::Invalid(
                    "compressed message nested inside a compressed wrapper",
                )));
            }
            out.push(m);
        }
        if self.magic >= 1 {
            let last_relative = out.last().map_or(0, |m| m.offset);
            let base = self.offset.checked_sub(last_relative).ok_or_else(overflow)?;
            for m in &mut out {
                m.offset = base.checked_add(m.offset).ok_or_else(overflow)?;
                if self.timestamp_type == TimestampType::LogAppendTime {
                    m.timestamp = self.timestamp;
                    m.timestamp_type = TimestampType::LogAppendTime;
                }
            }
        }
        Ok(out)
    }

    /// Converts an uncompressed message into a [`Record`] (timestamp -1 for v0).
    pub fn into_record(self) -> Record {
        Record {
            offset: self.offset,
            timestamp: self.timestamp.unwrap_or(-1),
            key: self.key,
            value: self.value,
            headers: Headers::new(),
        }
    }
}

#[cold]
fn overflow() -> DecodeError {
    DecodeError::new(DecodeErrorKind::Invalid("inner message offset overflows"))
}

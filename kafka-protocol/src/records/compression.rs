//! Record compression codecs: gzip, snappy (raw and xerial-framed), lz4 (frame format, KIP-57)
//! and zstd (KIP-110).
//!
//! Each codec sits behind its cargo feature (`gzip`, `snappy`, `lz4`, `zstd`). A codec whose
//! feature is off decodes to [`DecodeErrorKind::UnsupportedCompression`] and fails to encode
//! with [`EncodeError::Records`].
//!
//! Decompression never trusts a size declared by the payload: output grows only as data is
//! actually produced, and stops with [`DecodeErrorKind::DecompressedTooLarge`] as soon as it
//! passes the caller's cap. Corrupt payloads give [`DecodeErrorKind::Decompression`].
//!
//! Wire choices, made for compatibility with the Java client and librdkafka:
//! - snappy is written in the xerial snappy-java framing that the Java producer writes (magic
//!   `\x82SNAPPY\0`, version and compatible-version INT32s, then chunks of an INT32 big-endian
//!   length and a raw snappy block). Both that framing and a bare raw snappy block are read.
//! - lz4 is written as an LZ4 frame (version 1, independent 64 KiB blocks, no block or content
//!   checksum, no content size), the subset Kafka's `Lz4BlockOutputStream` writes and reads.
//!   The reader does not check the frame-descriptor checksum, because Kafka before message
//!   format v1 computed it wrongly (KAFKA-3160, KIP-57); the batch or message CRC already
//!   covers the compressed bytes.

#[cfg(feature = "gzip")]
use std::io::Read;

#[cfg(any(feature = "snappy", feature = "lz4"))]
use bytes::BufMut;

use crate::codec::{DecodeError, DecodeErrorKind, EncodeError};

/// The default cap on the decompressed size of one batch or wrapper message: 64 MiB.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: usize = 64 * 1024 * 1024;

/// A record compression codec, with the ids used in batch and message attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Compression {
    /// No compression (id 0).
    #[default]
    None,
    /// gzip (id 1).
    Gzip,
    /// snappy (id 2).
    Snappy,
    /// lz4 frame format (id 3).
    Lz4,
    /// zstd (id 4), message format v2 only (KIP-110).
    Zstd,
}

impl Compression {
    /// Every codec, in id order.
    pub const ALL: [Self; 5] = [Self::None, Self::Gzip, Self::Snappy, Self::Lz4, Self::Zstd];

    /// The codec with attribute id `id` (the low three attribute bits), if it exists.
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Self::None),
            1 => Some(Self::Gzip),
            2 => Some(Self::Snappy),
            3 => Some(Self::Lz4),
            4 => Some(Self::Zstd),
            _ => None,
        }
    }

    /// The attribute id.
    pub const fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    /// The name Kafka uses for the codec in `compression.type`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }

    /// Parses a `compression.type` value (`none`, `gzip`, `snappy`, `lz4`, `zstd`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// Whether this build can compress and decompress with the codec.
    pub const fn is_enabled(self) -> bool {
        match self {
            Self::None => true,
            Self::Gzip => cfg!(feature = "gzip"),
            Self::Snappy => cfg!(feature = "snappy"),
            Self::Lz4 => cfg!(feature = "lz4"),
            Self::Zstd => cfg!(feature = "zstd"),
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Decompresses `input`, refusing to produce more than `limit` bytes.
///
/// `Compression::None` copies the input (still subject to the limit).
pub fn decompress(codec: Compression, input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(too_large(limit));
            }
            Ok(input.to_vec())
        }
        #[cfg(feature = "gzip")]
        Compression::Gzip => gzip::decompress(input, limit),
        #[cfg(feature = "snappy")]
        Compression::Snappy => snappy::decompress(input, limit),
        #[cfg(feature = "lz4")]
        Compression::Lz4 => lz4::decompress(input, limit),
        #[cfg(feature = "zstd")]
        Compression::Zstd => zstd_codec::decompress(input, limit),
        #[allow(unreachable_patterns)]
        other => Err(DecodeError::new(DecodeErrorKind::UnsupportedCompression(other.id()))),
    }
}

/// Compresses `input` with `codec` at the codec's default level and appends the result to
/// `out`. For repeated use prefer a [`Compressor`], which keeps its contexts and scratch
/// buffers.
pub fn compress(codec: Compression, input: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    Compressor::new(codec).compress(input, out)
}

/// A reusable compressor: holds the codec's context and scratch buffers between calls, so a
/// producer compressing batch after batch does not rebuild them.
pub struct Compressor {
    codec: Compression,
    level: Option<i32>,
    #[allow(dead_code)]
    scratch: Vec<u8>,
    #[cfg(feature = "snappy")]
    snappy: Option<snap::raw::Encoder>,
    #[cfg(feature = "zstd")]
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor").field("codec", &self.codec).field("level", &self.level).finish()
    }
}

impl Compressor {
    /// A compressor for `codec` at its default level (gzip 6, zstd 3; lz4 and snappy have
    /// no level).
    pub fn new(codec: Compression) -> Self {
        Self {
            codec,
            level: None,
            scratch: Vec::new(),
            #[cfg(feature = "snappy")]
            snappy: None,
            #[cfg(feature = "zstd")]
            zstd: None,
        }
    }

    /// Sets the compression level, mirroring `compression.gzip.level` (1..=9) and
    /// `compression.zstd.level` (zstd's range, default 3). Ignored by lz4 and snappy.
    pub fn with_level(mut self, level: i32) -> Self {
        self.level = Some(level);
        #[cfg(feature = "zstd")]
        {
            self.zstd = None;
        }
        self
    }

    /// The codec.
    pub fn codec(&self) -> Compression {
        self.codec
    }

    /// Compresses `input` and appends the result to `out`.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self.codec {
            Compression::None => {
                out.extend_from_slice(input);
                Ok(())
            }
            #[cfg(feature = "gzip")]
            Compression::Gzip => gzip::compress(input, self.level, out),
            #[cfg(feature = "snappy")]
            Compression::Snappy => {
                let enc = self.snappy.get_or_insert_with(snap::raw::Encoder::new);
                snappy::compress_xerial(enc, input, &mut self.scratch, out)
            }
            #[cfg(feature = "lz4")]
            Compression::Lz4 => lz4::compress(input, &mut self.scratch, out),
            #[cfg(feature = "zstd")]
            Compression::Zstd => {
                if self.zstd.is_none() {
                    let level = self.level.unwrap_or(zstd_codec::DEFAULT_LEVEL);
                    self.zstd = Some(
                        zstd::bulk::Compressor::new(level)
                            .map_err(|e| EncodeError::Records(format!("zstd: {e}")))?,
                    );
                }
                match self.zstd.as_mut() {
                    Some(ctx) => zstd_codec::compress(ctx, input, &mut self.scratch, out),
                    None => Err(EncodeError::Records("zstd context unavailable".into())),
                }
            }
            #[allow(unreachable_patterns)]
            other => Err(EncodeError::Records(format!(
                "compression codec {other} is not enabled in this build (cargo feature `{other}`)"
            ))),
        }
    }
}

#[cold]
pub(crate) fn too_large(limit: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::DecompressedTooLarge { limit })
}

#[cold]
#[allow(dead_code)]
fn corrupt(codec: &'static str, reason: impl std::fmt::Display) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Decompression { codec, reason: reason.to_string() })
}

/// Reads a decompressing reader to its end, stopping once more than `limit` bytes came out.
#[cfg(feature = "gzip")]
fn read_limited<R: Read>(
    reader: R,
    codec: &'static str,
    initial: usize,
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(initial.min(limit));
    // One byte past the limit tells "exactly at the limit" from "over it".
    let mut reader = reader.take((limit as u64).saturating_add(1));
    reader.read_to_end(&mut out).map_err(|e| corrupt(codec, e))?;
    if out.len() > limit {
        return Err(too_large(limit));
    }
    Ok(out)
}

#[cfg(feature = "gzip")]
mod gzip {
    use std::io::Write;

    use super::*;

    pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        if input.is_empty() {
            return Err(corrupt("gzip", "empty payload"));
        }
        let reader = flate2::bufread::MultiGzDecoder::new(input);
        read_limited(reader, "gzip", input.len().saturating_mul(4), limit)
    }

    pub(super) fn compress(
        input: &[u8],
        level: Option<i32>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        // Kafka's `compression.gzip.level` default (-1) is zlib's default, 6.
        let level = match level {
            Some(l @ 1..=9) => l as u32,
            _ => 6,
        };
        let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
        enc.write_all(input).map_err(|e| EncodeError::Records(format!("gzip: {e}")))?;
        enc.finish().map_err(|e| EncodeError::Records(format!("gzip: {e}")))?;
        Ok(())
    }
}

#[cfg(feature = "snappy")]
mod snappy {
    use super::*;

    /// The xerial snappy-java stream header magic.
    pub(super) const XERIAL_MAGIC: &[u8; 8] = b"\x82SNAPPY\0";
    /// Bytes of uncompressed input per xerial chunk; snappy-java's default block size.
    const XERIAL_CHUNK: usize = 32 * 1024;
    /// No snappy element expands more than 64 output bytes from 3 input bytes, so a declared
    /// length above this multiple of the input is corrupt and never allocated.
    const MAX_RATIO: usize = 32;

    pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        let mut dec = snap::raw::Decoder::new();
        let mut out = Vec::new();
        if input.len() >= 16 && input.starts_with(XERIAL_MAGIC) {
            // 8-byte magic, INT32 version, INT32 minimum compatible version.
            let mut rest = input.get(16..).unwrap_or_default();
            while !rest.is_empty() {
                let Some((len, tail)) = rest.split_first_chunk::<4>() else {
                    return Err(corrupt("snappy", "truncated xerial chunk length"));
                };
                let len = i32::from_be_bytes(*len);
                let len = usize::try_from(len)
                    .map_err(|_| corrupt("snappy", format!("negative xerial chunk length {len}")))?;
                if len > tail.len() {
                    return Err(corrupt(
                        "snappy",
                        format!("xerial chunk of {len} bytes but {} left", tail.len()),
                    ));
                }
                let (chunk, next) = tail.split_at(len);
                block(&mut dec, chunk, &mut out, limit)?;
                rest = next;
            }
        } else {
            block(&mut dec, input, &mut out, limit)?;
        }
        Ok(out)
    }

    fn block(
        dec: &mut snap::raw::Decoder,
        chunk: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DecodeError> {
        let n = snap::raw::decompress_len(chunk).map_err(|e| corrupt("snappy", e))?;
        if n > chunk.len().saturating_mul(MAX_RATIO).saturating_add(64) {
            return Err(corrupt("snappy", format!("declared length {n} impossible for input")));
        }
        let start = out.len();
        if n > limit.saturating_sub(start) {
            return Err(too_large(limit));
        }
        out.resize(start + n, 0);
        let dst = out.get_mut(start..).unwrap_or_default();
        let written = dec.decompress(chunk, dst).map_err(|e| corrupt("snappy", e))?;
        out.truncate(start + written);
        Ok(())
    }

    pub(super) fn compress_xerial(
        enc: &mut snap::raw::Encoder,
        input: &[u8],
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        out.extend_from_slice(XERIAL_MAGIC);
        out.put_i32(1); // stream version
        out.put_i32(1); // minimum compatible version
        scratch.resize(snap::raw::max_compress_len(XERIAL_CHUNK), 0);
        for chunk in input.chunks(XERIAL_CHUNK) {
            let n = enc
                .compress(chunk, scratch)
                .map_err(|e| EncodeError::Records(format!("snappy: {e}")))?;
            let body = scratch.get(..n).unwrap_or_default();
            // n <= max_compress_len(32 KiB), far below i32::MAX.
            out.put_i32(n as i32);
            out.extend_from_slice(body);
        }
        Ok(())
    }

    /// Compresses into one bare raw snappy block (no framing), as some non-Java clients do.
    #[cfg(test)]
    pub(super) fn compress_raw(input: &[u8]) -> Vec<u8> {
        snap::raw::Encoder::new().compress_vec(input).unwrap_or_default()
    }
}

#[cfg(feature = "lz4")]
mod lz4 {
    use super::*;

    const MAGIC: u32 = 0x184D_2204;
    /// FLG: version 01, independent blocks, nothing else.
    const FLG: u8 = 0x60;
    /// BD: 64 KiB maximum block size.
    const BD: u8 = 0x40;
    /// Frame-descriptor checksum: second byte of xxHash32(FLG, BD), fixed for our descriptor.
    const HC: u8 = 0x82;
    const BLOCK: usize = 64 * 1024;
    const FLG_VERSION_MASK: u8 = 0xC0;
    const FLG_BLOCK_CHECKSUM: u8 = 0x10;
    const FLG_CONTENT_SIZE: u8 = 0x08;
    const FLG_CONTENT_CHECKSUM: u8 = 0x04;
    const FLG_RESERVED: u8 = 0x02;
    const FLG_DICT_ID: u8 = 0x01;
    /// An lz4 sequence cannot expand by more than this factor.
    const MAX_RATIO: usize = 255;

    pub(super) fn compress(
        input: &[u8],
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        out.put_u32_le(MAGIC);
        out.extend_from_slice(&[FLG, BD, HC]);
        scratch.resize(lz4_flex::block::get_maximum_output_size(BLOCK), 0);
        for chunk in input.chunks(BLOCK) {
            let n = lz4_flex::block::compress_into(chunk, scratch)
                .map_err(|e| EncodeError::Records(format!("lz4: {e}")))?;
            // Lengths are at most 64 KiB + overhead, well inside u32.
            if n >= chunk.len() {
                out.put_u32_le(chunk.len() as u32 | 0x8000_0000);
                out.extend_from_slice(chunk);
            } else {
                out.put_u32_le(n as u32);
                out.extend_from_slice(scratch.get(..n).unwrap_or_default());
            }
        }
        out.put_u32_le(0); // end mark
        Ok(())
    }

    fn take<'a>(input: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if n > input.len() {
            return Err(corrupt("lz4", format!("truncated {what}")));
        }
        let (head, tail) = input.split_at(n);
        *input = tail;
        Ok(head)
    }

    pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        let mut rest = input;
        let head = take(&mut rest, 6, "frame header")?;
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if magic != MAGIC {
            return Err(corrupt("lz4", format!("bad frame magic {magic:#010x}")));
        }
        let (flg, bd) = (head[4], head[5]);
        if flg & FLG_VERSION_MASK != 0x40 {
            return Err(corrupt("lz4", format!("unsupported frame version in FLG {flg:#04x}")));
        }
        if flg & (FLG_RESERVED | FLG_DICT_ID) != 0 {
            return Err(corrupt("lz4", "dictionary ids and reserved FLG bits are unsupported"));
        }
        if bd & 0x8F != 0 {
            return Err(corrupt("lz4", format!("reserved BD bits set in {bd:#04x}")));
        }
        let block_max = match (bd >> 4) & 0x07 {
            4 => 64 * 1024,
            5 => 256 * 1024,
            6 => 1024 * 1024,
            7 => 4 * 1024 * 1024,
            other => return Err(corrupt("lz4", format!("invalid block size id {other}"))),
        };
        if flg & FLG_CONTENT_SIZE != 0 {
            // Declared content size: skipped, never trusted.
            take(&mut rest, 8, "content size")?;
        }
        // Header checksum: deliberately not verified (see the module docs).
        take(&mut rest, 1, "header checksum")?;

        let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(3).min(limit));
        loop {
            let size = take(&mut rest, 4, "block size")?;
            let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
            if size == 0 {
                break;
            }
            let stored = size & 0x8000_0000 != 0;
            let len = (size & 0x7FFF_FFFF) as usize;
            if len > block_max {
                return Err(corrupt("lz4", format!("block of {len} bytes exceeds {block_max}")));
            }
            let data = take(&mut rest, len, "block")?;
            if flg & FLG_BLOCK_CHECKSUM != 0 {
                take(&mut rest, 4, "block checksum")?;
            }
            let start = out.len();
            let room = limit.saturating_sub(start);
            if stored {
                if len > room {
                    return Err(too_large(limit));
                }
                out.extend_from_slice(data);
                continue;
            }
            let natural = block_max.min(len.saturating_mul(MAX_RATIO).saturating_add(16));
            let space = natural.min(room);
            out.resize(start + space, 0);
            let dst = out.get_mut(start..).unwrap_or_default();
            match lz4_flex::block::decompress_into(data, dst) {
                Ok(n) => out.truncate(start + n),
                Err(_) if space < natural => return Err(too_large(limit)),
                Err(e) => return Err(corrupt("lz4", e)),
            }
        }
        if flg & FLG_CONTENT_CHECKSUM != 0 {
            take(&mut rest, 4, "content checksum")?;
        }
        if !rest.is_empty() {
            return Err(corrupt("lz4", format!("{} trailing bytes after the frame", rest.len())));
        }
        Ok(out)
    }
}

#[cfg(feature = "zstd")]
mod zstd_codec {
    use super::*;

    /// Kafka's `compression.zstd.level` default.
    pub(super) const DEFAULT_LEVEL: i32 = 3;

    use std::cell::RefCell;

    use zstd::stream::raw::{Decoder, Operation};

    thread_local! {
        /// One decompression context per thread, reused across batches: creating a zstd
        /// context costs about as much as decompressing a small batch.
        static DCTX: RefCell<Option<Decoder<'static>>> = const { RefCell::new(None) };
    }

    /// Output grows by at least this much per step.
    const STEP: usize = 64 * 1024;

    pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        DCTX.with(|cell| match cell.try_borrow_mut() {
            Ok(mut slot) => {
                let dec = match slot.as_mut() {
                    Some(d) => {
                        d.reinit().map_err(|e| corrupt("zstd", e))?;
                        d
                    }
                    None => slot.insert(Decoder::new().map_err(|e| corrupt("zstd", e))?),
                };
                let result = run(dec, input, limit);
                if result.is_err() {
                    // Do not keep a context that saw an error.
                    *slot = None;
                }
                result
            }
            // Unreachable (no re-entrancy), but a fresh context is always correct.
            Err(_) => run(&mut Decoder::new().map_err(|e| corrupt("zstd", e))?, input, limit),
        })
    }

    fn run(dec: &mut Decoder<'static>, input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        if input.is_empty() {
            return Err(corrupt("zstd", "empty payload"));
        }
        let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(4).min(limit));
        let mut consumed = 0usize;
        let mut frame_done = false;
        loop {
            let start = out.len();
            // One byte past the limit tells "exactly at the limit" from "over it".
            let room = limit.saturating_add(1).saturating_sub(start);
            if room == 0 {
                return Err(too_large(limit));
            }
            let want = out.capacity().saturating_sub(start).max(STEP).min(room);
            out.resize(start + want, 0);
            let rest = input.get(consumed..).unwrap_or_default();
            let dst = out.get_mut(start..).unwrap_or_default();
            let status = dec.run_on_buffers(rest, dst).map_err(|e| corrupt("zstd", e))?;
            out.truncate(start + status.bytes_written);
            consumed += status.bytes_read;
            if out.len() > limit {
                return Err(too_large(limit));
            }
            if status.remaining == 0 {
                frame_done = true;
            } else if status.bytes_read > 0 || status.bytes_written > 0 {
                frame_done = false;
            }
            let progressed = status.bytes_read > 0 || status.bytes_written > 0;
            if !progressed && consumed < input.len() {
                return Err(corrupt("zstd", "decoder made no progress"));
            }
            if consumed >= input.len() {
                // All input read: done once the decoder has flushed the end of a frame and
                // has no buffered output left (the last call filled less than it was given).
                if frame_done && status.bytes_written < want {
                    return Ok(out);
                }
                if status.bytes_written == 0 && status.bytes_read == 0 {
                    return Err(corrupt("zstd", "truncated frame"));
                }
            }
        }
    }

    pub(super) fn compress(
        ctx: &mut zstd::bulk::Compressor<'static>,
        input: &[u8],
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        scratch.clear();
        scratch.reserve(zstd::zstd_safe::compress_bound(input.len()));
        ctx.compress_to_buffer(input, scratch)
            .map_err(|e| EncodeError::Records(format!("zstd: {e}")))?;
        out.extend_from_slice(scratch);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8 ^ ((i / 1000) as u8)).collect()
    }

    #[test]
    fn every_enabled_codec_round_trips() {
        for codec in Compression::ALL {
            if !codec.is_enabled() {
                println!("skipping {codec}: feature off");
                continue;
            }
            for n in [0usize, 1, 100, 70_000, 300_000] {
                let data = sample(n);
                let mut out = Vec::new();
                compress(codec, &data, &mut out).unwrap();
                let back = decompress(codec, &out, DEFAULT_MAX_DECOMPRESSED_SIZE).unwrap();
                assert_eq!(back, data, "{codec} n={n}");
            }
        }
    }

    #[test]
    fn decompression_cap_is_enforced() {
        let data = vec![7u8; 200_000];
        for codec in Compression::ALL {
            if !codec.is_enabled() {
                continue;
            }
            let mut out = Vec::new();
            compress(codec, &data, &mut out).unwrap();
            let err = decompress(codec, &out, 100_000).unwrap_err();
            assert_eq!(err.kind(), &DecodeErrorKind::DecompressedTooLarge { limit: 100_000 }, "{codec}");
            // Exactly at the cap is fine.
            assert_eq!(decompress(codec, &out, 200_000).unwrap().len(), 200_000, "{codec}");
        }
    }

    #[test]
    fn corrupt_payloads_are_typed_errors() {
        for codec in [Compression::Gzip, Compression::Snappy, Compression::Lz4, Compression::Zstd] {
            if !codec.is_enabled() {
                continue;
            }
            let garbage = b"this is not a compressed payload at all, not even close".to_vec();
            let err = decompress(codec, &garbage, 1 << 20).unwrap_err();
            assert!(
                matches!(err.kind(), DecodeErrorKind::Decompression { codec: c, .. } if *c == codec.name()),
                "{codec}: {err}"
            );
        }
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn lz4_interoperates_with_the_reference_frame_codec() {
        use std::io::{Read, Write};
        let data = sample(200_000);
        // Our frame is readable by lz4_flex's own frame decoder, which verifies the header
        // checksum, so HC is right.
        let mut ours = Vec::new();
        compress(Compression::Lz4, &data, &mut ours).unwrap();
        assert_eq!(&ours[..7], &[0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82]);
        let mut back = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&ours[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        // A frame written by lz4_flex with Kafka's settings plus checksums and content size
        // decodes with ours.
        let info = lz4_flex::frame::FrameInfo::new()
            .block_size(lz4_flex::frame::BlockSize::Max64KB)
            .block_checksums(true)
            .content_checksum(true)
            .content_size(Some(data.len() as u64));
        let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        enc.write_all(&data).unwrap();
        let theirs = enc.finish().unwrap();
        assert_eq!(decompress(Compression::Lz4, &theirs, 1 << 20).unwrap(), data);
        // Linked (dependent) blocks at 64 KiB are also readable only when independent; a
        // broken header checksum (magic v0 producers) is tolerated.
        let mut broken = ours.clone();
        broken[6] ^= 0xff;
        assert_eq!(decompress(Compression::Lz4, &broken, 1 << 20).unwrap(), data);
    }

    #[cfg(feature = "snappy")]
    #[test]
    fn snappy_reads_raw_and_xerial() {
        let data = sample(100_000);
        let raw = snappy::compress_raw(&data);
        assert_eq!(decompress(Compression::Snappy, &raw, 1 << 20).unwrap(), data);
        let mut xerial = Vec::new();
        compress(Compression::Snappy, &data, &mut xerial).unwrap();
        assert!(xerial.starts_with(snappy::XERIAL_MAGIC));
        assert_eq!(&xerial[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(decompress(Compression::Snappy, &xerial, 1 << 20).unwrap(), data);
        // A chunk length past the end is corrupt, not a panic.
        let mut bad = xerial.clone();
        bad[16] = 0x7f;
        assert!(matches!(
            decompress(Compression::Snappy, &bad, 1 << 20).unwrap_err().kind(),
            DecodeErrorKind::Decompression { .. }
        ));
        // A raw block declaring a huge length from a tiny input is refused before allocating.
        let bomb = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
        assert!(decompress(Compression::Snappy, &bomb, usize::MAX).is_err());
    }

    #[cfg(feature = "zstd")]
    #[test]
    fn zstd_streaming_edge_cases() {
        let data = sample(300_000);
        let mut one = Vec::new();
        compress(Compression::Zstd, &data, &mut one).unwrap();
        // Two concatenated frames decode to both contents.
        let mut two = one.clone();
        two.extend_from_slice(&one);
        let back = decompress(Compression::Zstd, &two, 1 << 20).unwrap();
        assert_eq!(back.len(), 600_000);
        assert_eq!(&back[300_000..], &data[..]);
        // A truncated frame is an error at every cut, and the reused context recovers.
        for cut in [1, 4, 10, one.len() / 2, one.len() - 1] {
            let err = decompress(Compression::Zstd, &one[..cut], 1 << 20).unwrap_err();
            assert!(matches!(err.kind(), DecodeErrorKind::Decompression { .. }), "cut {cut}: {err}");
            assert_eq!(decompress(Compression::Zstd, &one, 1 << 20).unwrap(), data);
        }
        // Trailing garbage after a frame is an error.
        let mut trailing = one.clone();
        trailing.extend_from_slice(b"garbage!");
        assert!(decompress(Compression::Zstd, &trailing, 1 << 20).is_err());
        // Limits right at and just below the size.
        assert_eq!(decompress(Compression::Zstd, &one, 300_000).unwrap(), data);
        assert_eq!(
            decompress(Compression::Zstd, &one, 299_999).unwrap_err().kind(),
            &DecodeErrorKind::DecompressedTooLarge { limit: 299_999 }
        );
        // An empty-content frame.
        let mut empty = Vec::new();
        compress(Compression::Zstd, &[], &mut empty).unwrap();
        assert!(decompress(Compression::Zstd, &empty, 10).unwrap().is_empty());
    }

    #[test]
    fn disabled_codecs_are_typed_errors() {
        for codec in Compression::ALL.into_iter().filter(|c| !c.is_enabled()) {
            let err = decompress(codec, b"anything", 1 << 20).unwrap_err();
            assert_eq!(err.kind(), &DecodeErrorKind::UnsupportedCompression(codec.id()));
            assert!(matches!(compress(codec, b"x", &mut Vec::new()), Err(EncodeError::Records(_))));
        }
    }

    #[test]
    fn names_and_ids() {
        for c in Compression::ALL {
            assert_eq!(Compression::from_id(c.id()), Some(c));
            assert_eq!(Compression::from_name(c.name()), Some(c));
        }
        assert_eq!(Compression::from_id(5), None);
    }
}

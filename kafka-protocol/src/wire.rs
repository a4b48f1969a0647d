//! Wire primitives: fixed-width integers, varints, classic and compact strings, bytes and
//! arrays, UUIDs and tagged-field sections.
//!
//! Readers take `&mut Bytes` and advance it; every read checks the remaining length first, so
//! they never panic. Length prefixes are validated against the bytes left before anything is
//! allocated. Writers append to any [`BufMut`]; the `*_len` functions give exact sizes.

use bytes::{Buf, BufMut, Bytes};

use crate::codec::{DecodeError, DecodeErrorKind, EncodeError, RawTaggedField, Uuid};

type Result<T> = std::result::Result<T, DecodeError>;

#[inline]
fn need(buf: &Bytes, n: usize) -> Result<()> {
    if buf.remaining() < n {
        return Err(truncated(n, buf.remaining()));
    }
    Ok(())
}

#[cold]
fn truncated(needed: usize, remaining: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Truncated { needed, remaining })
}

macro_rules! fixed_reader {
    ($(#[$doc:meta] $name:ident -> $ty:ty, $get:ident, $n:expr;)*) => {$(
        #[$doc]
        #[inline]
        pub fn $name(buf: &mut Bytes) -> Result<$ty> {
            need(buf, $n)?;
            Ok(buf.$get())
        }
    )*};
}

fixed_reader! {
    /// Reads an INT8.
    read_i8 -> i8, get_i8, 1;
    /// Reads an INT16 (big-endian).
    read_i16 -> i16, get_i16, 2;
    /// Reads a UINT16 (big-endian).
    read_u16 -> u16, get_u16, 2;
    /// Reads an INT32 (big-endian).
    read_i32 -> i32, get_i32, 4;
    /// Reads a UINT32 (big-endian).
    read_u32 -> u32, get_u32, 4;
    /// Reads an INT64 (big-endian).
    read_i64 -> i64, get_i64, 8;
    /// Reads a FLOAT64 (big-endian IEEE 754).
    read_f64 -> f64, get_f64, 8;
}

/// Reads a BOOLEAN: any non-zero byte is true.
#[inline]
pub fn read_bool(buf: &mut Bytes) -> Result<bool> {
    Ok(read_i8(buf)? != 0)
}

/// Reads a UUID (16 raw bytes).
#[inline]
pub fn read_uuid(buf: &mut Bytes) -> Result<Uuid> {
    need(buf, 16)?;
    let mut out = [0u8; 16];
    buf.copy_to_slice(&mut out);
    Ok(Uuid(out))
}

/// Reads an UNSIGNED_VARINT (LEB128, at most 5 bytes).
#[inline]
pub fn read_unsigned_varint(buf: &mut Bytes) -> Result<u32> {
    let mut value: u32 = 0;
    for i in 0..5 {
        need(buf, 1)?;
        let b = buf.get_u8();
        if i == 4 && b > 0x0f {
            return Err(DecodeError::new(DecodeErrorKind::InvalidVarint));
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::new(DecodeErrorKind::InvalidVarint))
}

/// Reads an unsigned LEB128 value of up to 10 bytes.
#[inline]
pub fn read_unsigned_varlong(buf: &mut Bytes) -> Result<u64> {
    let mut value: u64 = 0;
    for i in 0..10 {
        need(buf, 1)?;
        let b = buf.get_u8();
        if i == 9 && b > 0x01 {
            return Err(DecodeError::new(DecodeErrorKind::InvalidVarint));
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::new(DecodeErrorKind::InvalidVarint))
}

/// Reads a zigzag VARINT (signed 32-bit).
#[inline]
pub fn read_varint(buf: &mut Bytes) -> Result<i32> {
    let raw = read_unsigned_varint(buf)?;
    Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

/// Reads a zigzag VARLONG (signed 64-bit).
#[inline]
pub fn read_varlong(buf: &mut Bytes) -> Result<i64> {
    let raw = read_unsigned_varlong(buf)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

/// Reads a length prefix: INT16 (classic strings), INT32 (classic bytes and arrays) or
/// UNSIGNED_VARINT length+1 (compact). Returns `None` for null.
#[inline]
fn read_len(buf: &mut Bytes, compact: bool, short: bool) -> Result<Option<usize>> {
    let len: i64 = if compact {
        i64::from(read_unsigned_varint(buf)?) - 1
    } else if short {
        i64::from(read_i16(buf)?)
    } else {
        i64::from(read_i32(buf)?)
    };
    match len {
        -1 => Ok(None),
        n if n < 0 => Err(DecodeError::new(DecodeErrorKind::NegativeLength(n))),
        // Non-negative and at most u32::MAX here, so the conversion cannot fail on 64-bit
        // targets; the error arm only guards narrower ones.
        n => usize::try_from(n).map(Some).map_err(|_| {
            DecodeError::new(DecodeErrorKind::LengthExceedsInput {
                length: n as u64,
                remaining: buf.remaining(),
            })
        }),
    }
}

/// Splits `len` bytes off the front of `buf`, zero-copy.
#[inline]
pub fn take(buf: &mut Bytes, len: usize) -> Result<Bytes> {
    if len > buf.remaining() {
        return Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
            length: len as u64,
            remaining: buf.remaining(),
        }));
    }
    Ok(buf.split_to(len))
}

fn utf8(bytes: Bytes) -> Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))
}

/// Reads a nullable STRING or COMPACT_NULLABLE_STRING.
#[inline]
pub fn read_nullable_string(buf: &mut Bytes, compact: bool) -> Result<Option<String>> {
    match read_len(buf, compact, true)? {
        None => Ok(None),
        // Compact lengths are varints and could exceed what Kafka allows for a string.
        Some(len) if len > MAX_STRING_LEN => Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
            length: len as u64,
            remaining: MAX_STRING_LEN,
        })),
        Some(len) => utf8(take(buf, len)?).map(Some),
    }
}

/// Reads a non-null STRING or COMPACT_STRING.
#[inline]
pub fn read_string(buf: &mut Bytes, compact: bool) -> Result<String> {
    read_nullable_string(buf, compact)?.ok_or_else(|| DecodeError::new(DecodeErrorKind::UnexpectedNull))
}

/// Reads nullable BYTES or COMPACT_NULLABLE_BYTES, zero-copy.
#[inline]
pub fn read_nullable_bytes(buf: &mut Bytes, compact: bool) -> Result<Option<Bytes>> {
    match read_len(buf, compact, false)? {
        None => Ok(None),
        Some(len) => take(buf, len).map(Some),
    }
}

/// Reads non-null BYTES or COMPACT_BYTES, zero-copy.
#[inline]
pub fn read_bytes(buf: &mut Bytes, compact: bool) -> Result<Bytes> {
    read_nullable_bytes(buf, compact)?.ok_or_else(|| DecodeError::new(DecodeErrorKind::UnexpectedNull))
}

/// Reads an array length (INT32 or compact), `None` for null.
///
/// A count larger than the bytes left is rejected up front: every element occupies at least
/// one byte in practice, and this bounds both the loop and any allocation.
#[inline]
pub fn read_array_len(buf: &mut Bytes, compact: bool) -> Result<Option<usize>> {
    let len = read_len(buf, compact, false)?;
    if let Some(n) = len {
        if n > buf.remaining() {
            return Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
                length: n as u64,
                remaining: buf.remaining(),
            }));
        }
    }
    Ok(len)
}

/// Reads a non-null array whose elements are read by `elem`.
///
/// Pre-allocation is capped: the declared count is only trusted as far as the elements that
/// actually decode.
#[inline]
pub fn read_array<T>(
    buf: &mut Bytes,
    compact: bool,
    elem: impl FnMut(&mut Bytes) -> Result<T>,
) -> Result<Vec<T>> {
    read_nullable_array(buf, compact, elem)?
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::UnexpectedNull))
}

/// Reads a nullable array whose elements are read by `elem`.
#[inline]
pub fn read_nullable_array<T>(
    buf: &mut Bytes,
    compact: bool,
    mut elem: impl FnMut(&mut Bytes) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    let Some(n) = read_array_len(buf, compact)? else { return Ok(None) };
    let mut out = Vec::with_capacity(n.min(MAX_PREALLOCATED_ELEMENTS));
    for _ in 0..n {
        out.push(elem(buf)?);
    }
    Ok(Some(out))
}

/// The most array elements reserved up front from a wire count.
const MAX_PREALLOCATED_ELEMENTS: usize = 1024;

/// Reads a nullable struct: an INT8 marker (negative = null) then the struct.
#[inline]
pub fn read_nullable_struct<T>(
    buf: &mut Bytes,
    read: impl FnOnce(&mut Bytes) -> Result<T>,
) -> Result<Option<T>> {
    if read_i8(buf)? < 0 {
        return Ok(None);
    }
    read(buf).map(Some)
}

/// Reads a tagged-field header: the field count, bounded by the bytes left (each field needs
/// at least a tag byte and a size byte).
#[inline]
pub fn read_tagged_count(buf: &mut Bytes) -> Result<usize> {
    let n = read_unsigned_varint(buf)? as usize;
    if n > buf.remaining() / 2 {
        return Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
            length: n as u64,
            remaining: buf.remaining(),
        }));
    }
    Ok(n)
}

/// Reads one tagged field's tag and body.
#[inline]
pub fn read_tagged_field(buf: &mut Bytes) -> Result<(u32, Bytes)> {
    let tag = read_unsigned_varint(buf)?;
    let size = read_unsigned_varint(buf)? as usize;
    Ok((tag, take(buf, size)?))
}

/// Fails if a sub-buffer that must be consumed exactly still has bytes.
#[inline]
pub fn expect_empty(buf: &Bytes) -> Result<()> {
    if buf.has_remaining() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(buf.remaining())));
    }
    Ok(())
}

/// Skips a whole tagged-field section, keeping every field as unknown.
pub fn read_unknown_tagged_fields(buf: &mut Bytes) -> Result<Vec<RawTaggedField>> {
    let n = read_tagged_count(buf)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (tag, data) = read_tagged_field(buf)?;
        out.push(RawTaggedField { tag, data });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writers

/// Writes an UNSIGNED_VARINT.
#[inline]
pub fn write_unsigned_varint<B: BufMut>(buf: &mut B, mut value: u32) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

/// Writes an unsigned LEB128 64-bit value.
#[inline]
pub fn write_unsigned_varlong<B: BufMut>(buf: &mut B, mut value: u64) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

/// Writes a zigzag VARINT.
#[inline]
pub fn write_varint<B: BufMut>(buf: &mut B, value: i32) {
    write_unsigned_varint(buf, ((value << 1) ^ (value >> 31)) as u32);
}

/// Writes a zigzag VARLONG.
#[inline]
pub fn write_varlong<B: BufMut>(buf: &mut B, value: i64) {
    write_unsigned_varlong(buf, ((value << 1) ^ (value >> 63)) as u64);
}

/// Size of an UNSIGNED_VARINT.
#[inline]
pub const fn unsigned_varint_len(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Size of an unsigned LEB128 64-bit value.
#[inline]
pub const fn unsigned_varlong_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Size of a zigzag VARINT.
#[inline]
pub const fn varint_len(value: i32) -> usize {
    unsigned_varint_len(((value << 1) ^ (value >> 31)) as u32)
}

/// Size of a zigzag VARLONG.
#[inline]
pub const fn varlong_len(value: i64) -> usize {
    unsigned_varlong_len(((value << 1) ^ (value >> 63)) as u64)
}

/// Writes a BOOLEAN.
#[inline]
pub fn write_bool<B: BufMut>(buf: &mut B, value: bool) {
    buf.put_u8(u8::from(value));
}

/// Writes a UUID.
#[inline]
pub fn write_uuid<B: BufMut>(buf: &mut B, value: &Uuid) {
    buf.put_slice(&value.0);
}

/// The maximum length of a Kafka string.
pub const MAX_STRING_LEN: usize = i16::MAX as usize;
/// The maximum length of Kafka bytes or arrays.
pub const MAX_BYTES_LEN: usize = i32::MAX as usize;

/// Writes a length prefix for a string, bytes or array (`None` = null).
#[inline]
fn write_len<B: BufMut>(buf: &mut B, len: Option<usize>, compact: bool, short: bool) {
    match (len, compact, short) {
        (None, true, _) => buf.put_u8(0),
        (None, false, true) => buf.put_i16(-1),
        (None, false, false) => buf.put_i32(-1),
        // Callers check the limits first, so these casts do not truncate.
        (Some(n), true, _) => write_unsigned_varint(buf, n as u32 + 1),
        (Some(n), false, true) => buf.put_i16(n as i16),
        (Some(n), false, false) => buf.put_i32(n as i32),
    }
}

/// Size of a length prefix.
#[inline]
pub fn len_prefix_len(len: Option<usize>, compact: bool, short: bool) -> usize {
    match (len, compact, short) {
        (None, true, _) => 1,
        (Some(n), true, _) => unsigned_varint_len((n as u32).saturating_add(1)),
        (_, false, true) => 2,
        (_, false, false) => 4,
    }
}

/// Where an encode-time length check failed.
#[derive(Clone, Copy, Debug)]
pub struct FieldRef {
    /// Message or struct name.
    pub message: &'static str,
    /// Field name.
    pub field: &'static str,
}

#[inline]
fn check_len(len: usize, max: usize, at: FieldRef) -> std::result::Result<(), EncodeError> {
    if len > max {
        return Err(EncodeError::TooLong { message: at.message, field: at.field, length: len, max });
    }
    Ok(())
}

/// Writes a (nullable) string.
#[inline]
pub fn write_nullable_string<B: BufMut>(
    buf: &mut B,
    value: Option<&str>,
    compact: bool,
    at: FieldRef,
) -> std::result::Result<(), EncodeError> {
    if let Some(s) = value {
        check_len(s.len(), MAX_STRING_LEN, at)?;
    }
    write_len(buf, value.map(str::len), compact, true);
    if let Some(s) = value {
        buf.put_slice(s.as_bytes());
    }
    Ok(())
}

/// Writes a non-null string.
#[inline]
pub fn write_string<B: BufMut>(
    buf: &mut B,
    value: &str,
    compact: bool,
    at: FieldRef,
) -> std::result::Result<(), EncodeError> {
    write_nullable_string(buf, Some(value), compact, at)
}

/// Size of a (nullable) string.
#[inline]
pub fn nullable_string_len(value: Option<&str>, compact: bool) -> usize {
    len_prefix_len(value.map(str::len), compact, true) + value.map_or(0, str::len)
}

/// Size of a non-null string.
#[inline]
pub fn string_len(value: &str, compact: bool) -> usize {
    nullable_string_len(Some(value), compact)
}

/// Writes (nullable) bytes.
#[inline]
pub fn write_nullable_bytes<B: BufMut>(
    buf: &mut B,
    value: Option<&[u8]>,
    compact: bool,
    at: FieldRef,
) -> std::result::Result<(), EncodeError> {
    if let Some(b) = value {
        check_len(b.len(), MAX_BYTES_LEN - usize::from(compact), at)?;
    }
    write_len(buf, value.map(<[u8]>::len), compact, false);
    if let Some(b) = value {
        buf.put_slice(b);
    }
    Ok(())
}

/// Writes non-null bytes.
#[inline]
pub fn write_bytes<B: BufMut>(
    buf: &mut B,
    value: &[u8],
    compact: bool,
    at: FieldRef,
) -> std::result::Result<(), EncodeError> {
    write_nullable_bytes(buf, Some(value), compact, at)
}

/// Size of (nullable) bytes.
#[inline]
pub fn nullable_bytes_len(value: Option<&[u8]>, compact: bool) -> usize {
    len_prefix_len(value.map(<[u8]>::len), compact, false) + value.map_or(0, <[u8]>::len)
}

/// Writes an array length prefix (`None` = null).
#[inline]
pub fn write_array_len<B: BufMut>(
    buf: &mut B,
    len: Option<usize>,
    compact: bool,
    at: FieldRef,
) -> std::result::Result<(), EncodeError> {
    if let Some(n) = len {
        check_len(n, MAX_BYTES_LEN - usize::from(compact), at)?;
    }
    write_len(buf, len, compact, false);
    Ok(())
}

/// Size of an array length prefix.
#[inline]
pub fn array_len_len(len: Option<usize>, compact: bool) -> usize {
    len_prefix_len(len, compact, false)
}

/// Writes the unknown tagged fields whose tags fall in `[from, to)`, in stored order.
///
/// Generated encoders interleave these with known tagged fields so the section comes out in
/// ascending tag order.
#[inline]
pub fn write_unknown_tagged_range<B: BufMut>(
    buf: &mut B,
    unknown: &[RawTaggedField],
    from: u32,
    to: Option<u32>,
) {
    for f in unknown.iter().filter(|f| f.tag >= from && to.is_none_or(|t| f.tag < t)) {
        write_unsigned_varint(buf, f.tag);
        write_unsigned_varint(buf, f.data.len() as u32);
        buf.put_slice(&f.data);
    }
}

/// Size of one tagged field whose body is `body_len` bytes.
#[inline]
pub fn tagged_field_len(tag: u32, body_len: usize) -> usize {
    unsigned_varint_len(tag) + unsigned_varint_len(body_len as u32) + body_len
}

/// Size of all unknown tagged fields.
#[inline]
pub fn unknown_tagged_len(unknown: &[RawTaggedField]) -> usize {
    unknown.iter().map(|f| tagged_field_len(f.tag, f.data.len())).sum()
}

/// Writes a whole tagged-field section that holds only unknown fields.
#[inline]
pub fn write_unknown_tagged_fields<B: BufMut>(buf: &mut B, unknown: &[RawTaggedField]) {
    write_unsigned_varint(buf, unknown.len() as u32);
    write_unknown_tagged_range(buf, unknown, 0, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip_and_lengths() {
        for v in [0i32, 1, -1, 63, -64, 64, 300, i32::MAX, i32::MIN] {
            let mut b = bytes::BytesMut::new();
            write_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "len of {v}");
            let mut bytes = b.freeze();
            assert_eq!(read_varint(&mut bytes).unwrap(), v);
        }
        for v in [0i64, -1, i64::MAX, i64::MIN, 1 << 40] {
            let mut b = bytes::BytesMut::new();
            write_varlong(&mut b, v);
            assert_eq!(b.len(), varlong_len(v));
            let mut bytes = b.freeze();
            assert_eq!(read_varlong(&mut bytes).unwrap(), v);
        }
    }

    #[test]
    fn overlong_varint_is_an_error() {
        let mut b = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(read_unsigned_varint(&mut b).unwrap_err().kind(), &DecodeErrorKind::InvalidVarint);
        let mut b = Bytes::from_static(&[0x80, 0x80]);
        assert!(matches!(
            read_unsigned_varint(&mut b).unwrap_err().kind(),
            DecodeErrorKind::Truncated { .. }
        ));
    }

    #[test]
    fn huge_lengths_are_rejected_before_allocation() {
        let mut b = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0]);
        assert!(matches!(
            read_array_len(&mut b, false).unwrap_err().kind(),
            DecodeErrorKind::LengthExceedsInput { .. }
        ));
        let mut b = Bytes::from_static(&[0xff, 0xfe]);
        assert_eq!(read_string(&mut b, false).unwrap_err().kind(), &DecodeErrorKind::NegativeLength(-2));
        let mut b = Bytes::from_static(&[0]);
        assert_eq!(read_string(&mut b, true).unwrap_err().kind(), &DecodeErrorKind::UnexpectedNull);
    }

    #[test]
    fn uuid_display_matches_kafka_base64() {
        assert_eq!(Uuid::ZERO.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(Uuid([0xff; 16]).to_string(), "_____________________w");
    }
}

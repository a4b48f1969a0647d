//! Records inside a message format v2 batch: the zero-copy [`RecordRef`] view, the owned
//! [`Record`], and lazily parsed [`Headers`] (KIP-82).
//!
//! A v2 record on the wire is
//! `length: varint, attributes: int8, timestampDelta: varlong, offsetDelta: varint,
//! key: varint-length bytes (-1 = null), value: varint-length bytes (-1 = null),
//! headers: varint count of (key: varint-length string, value: varint-length bytes)`.
//!
//! Iterating records allocates nothing: [`RecordIter`] yields [`RecordRef`]s whose key, value
//! and headers borrow the batch buffer, and [`Record`] holds `Bytes` slices of it. Each record
//! is fully validated (lengths, UTF-8 header keys, exact length) before it is yielded, so the
//! header iterators are infallible.

use bytes::Bytes;

use crate::codec::{DecodeError, DecodeErrorKind};

/// Smallest possible v2 record: length, attributes, timestamp delta, offset delta, key length,
/// value length and header count, one byte each.
pub(crate) const MIN_RECORD_SIZE: usize = 7;

/// A record header as owned data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// The header key (a Kafka string, never null).
    pub key: String,
    /// The header value; `None` is a null value.
    pub value: Option<Bytes>,
}

impl Header {
    /// A header with a key and an optional value.
    pub fn new(key: impl Into<String>, value: Option<impl Into<Bytes>>) -> Self {
        Self { key: key.into(), value: value.map(Into::into) }
    }
}

/// A record header borrowed from a batch buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HeaderRef<'a> {
    /// The header key.
    pub key: &'a str,
    /// The header value; `None` is a null value.
    pub value: Option<&'a [u8]>,
}

impl HeaderRef<'_> {
    /// Copies the header into owned data.
    pub fn to_header(&self) -> Header {
        Header { key: self.key.to_owned(), value: self.value.map(Bytes::copy_from_slice) }
    }
}

/// Anything that can be written as a record header: [`Header`], [`HeaderRef`] and
/// `(&str, Option<&[u8]>)` pairs.
pub trait AsHeader {
    /// The header key.
    fn header_key(&self) -> &str;
    /// The header value; `None` is a null value.
    fn header_value(&self) -> Option<&[u8]>;
}

impl AsHeader for Header {
    fn header_key(&self) -> &str {
        &self.key
    }
    fn header_value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
}

impl AsHeader for HeaderRef<'_> {
    fn header_key(&self) -> &str {
        self.key
    }
    fn header_value(&self) -> Option<&[u8]> {
        self.value
    }
}

impl AsHeader for (&str, Option<&[u8]>) {
    fn header_key(&self) -> &str {
        self.0
    }
    fn header_value(&self) -> Option<&[u8]> {
        self.1
    }
}

impl<T: AsHeader + ?Sized> AsHeader for &T {
    fn header_key(&self) -> &str {
        (**self).header_key()
    }
    fn header_value(&self) -> Option<&[u8]> {
        (**self).header_value()
    }
}

/// The headers of a record, kept in their wire encoding and parsed on iteration.
///
/// Already validated when the record was decoded, so iteration cannot fail.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers {
    data: Bytes,
    count: u32,
}

impl Headers {
    /// No headers.
    pub const fn new() -> Self {
        Self { data: Bytes::new(), count: 0 }
    }

    /// Number of headers.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Iterates the headers in wire order.
    pub fn iter(&self) -> HeaderIter<'_> {
        HeaderIter { data: &self.data, remaining: self.count }
    }

    /// The first header with `key`, if any (Kafka allows repeated keys).
    pub fn get(&self, key: &str) -> Option<HeaderRef<'_>> {
        self.iter().find(|h| h.key == key)
    }

    /// Copies every header into owned data.
    pub fn to_vec(&self) -> Vec<Header> {
        self.iter().map(|h| Header { key: h.key.to_owned(), value: h.value.map(|v| self.data.slice_ref(v)) }).collect()
    }

    /// The headers' wire encoding (without the count).
    pub fn encoded(&self) -> &Bytes {
        &self.data
    }

    /// Builds the view from validated wire bytes.
    pub(crate) fn from_parts(data: Bytes, count: u32) -> Self {
        Self { data, count }
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = HeaderRef<'a>;
    type IntoIter = HeaderIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over validated header bytes.
#[derive(Clone, Copy, Debug)]
pub struct HeaderIter<'a> {
    data: &'a [u8],
    remaining: u32,
}

impl<'a> HeaderIter<'a> {
    /// An iterator over nothing.
    pub const fn empty() -> Self {
        Self { data: &[], remaining: 0 }
    }
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = HeaderRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match parse_header(&mut self.data) {
            Ok(h) => Some(h),
            // Unreachable for validated data; stop rather than panic.
            Err(_) => {
                self.remaining = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining as usize, Some(self.remaining as usize))
    }
}

impl ExactSizeIterator for HeaderIter<'_> {}

/// A record owning `Bytes` slices of its batch buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Record {
    /// The record's absolute offset (batch base offset + offset delta).
    pub offset: i64,
    /// The record timestamp in milliseconds: base timestamp + delta for `CreateTime`
    /// batches, the batch's max timestamp for `LogAppendTime` batches; -1 when unknown
    /// (legacy v0 messages).
    pub timestamp: i64,
    /// The key; `None` is a null key.
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone in compacted topics).
    pub value: Option<Bytes>,
    /// The headers.
    pub headers: Headers,
}

/// A record borrowed from a decoded batch buffer: no allocation and no reference counting.
#[derive(Clone, Copy, Debug)]
pub struct RecordRef<'a> {
    parent: &'a Bytes,
    /// The record's absolute offset.
    pub offset: i64,
    /// The record timestamp in milliseconds (see [`Record::timestamp`]).
    pub timestamp: i64,
    /// The record attributes byte (unused by Kafka so far, kept for completeness).
    pub attributes: i8,
    /// The key; `None` is a null key.
    pub key: Option<&'a [u8]>,
    /// The value; `None` is a null value.
    pub value: Option<&'a [u8]>,
    headers: HeaderIter<'a>,
}

impl<'a> RecordRef<'a> {
    /// The headers, in wire order.
    #[inline]
    pub fn headers(&self) -> HeaderIter<'a> {
        self.headers
    }

    /// Number of headers.
    #[inline]
    pub fn header_count(&self) -> usize {
        self.headers.remaining as usize
    }

    /// The key as a zero-copy `Bytes` slice of the batch buffer.
    pub fn key_bytes(&self) -> Option<Bytes> {
        self.key.map(|k| self.parent.slice_ref(k))
    }

    /// The value as a zero-copy `Bytes` slice of the batch buffer.
    pub fn value_bytes(&self) -> Option<Bytes> {
        self.value.map(|v| self.parent.slice_ref(v))
    }

    /// The headers as a lazily parsed owned view (a zero-copy slice of the batch buffer).
    pub fn headers_owned(&self) -> Headers {
        if self.headers.remaining == 0 {
            return Headers::new();
        }
        Headers::from_parts(self.parent.slice_ref(self.headers.data), self.headers.remaining)
    }

    /// An owned record sharing the batch buffer (reference-counted slices, no copy).
    pub fn to_record(&self) -> Record {
        Record {
            offset: self.offset,
            timestamp: self.timestamp,
            key: self.key_bytes(),
            value: self.value_bytes(),
            headers: self.headers_owned(),
        }
    }
}

/// What a batch header contributes to every record of the batch.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RecordContext {
    pub(crate) base_offset: i64,
    pub(crate) base_timestamp: i64,
    /// `Some(max_timestamp)` for `LogAppendTime` batches.
    pub(crate) log_append_time: Option<i64>,
}

/// The records of one batch, decompressed: a buffer plus the declared record count.
///
/// Iterate with [`Records::iter`] (zero-copy [`RecordRef`]s) or collect owned [`Record`]s
/// with [`Records::to_vec`].
#[derive(Clone, Debug)]
pub struct Records {
    data: Bytes,
    count: u32,
    ctx: RecordContext,
}

impl Records {
    /// Wraps decompressed record bytes, rejecting a count the bytes cannot hold.
    pub(crate) fn new(data: Bytes, count: i32, ctx: RecordContext) -> Result<Self, DecodeError> {
        let count = u32::try_from(count)
            .map_err(|_| DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(count))))?;
        if (count as usize).saturating_mul(MIN_RECORD_SIZE) > data.len() {
            return Err(DecodeError::new(DecodeErrorKind::LengthExceedsInput {
                length: u64::from(count),
                remaining: data.len(),
            })
            .in_field("records"));
        }
        Ok(Self { data, count, ctx })
    }

    /// The record count declared by the batch header.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the batch declares no records.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The (decompressed) record bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Iterates the records without allocating. Stops after the first error.
    pub fn iter(&self) -> RecordIter<'_> {
        RecordIter { parent: &self.data, data: &self.data, remaining: self.count, ctx: self.ctx, done: false }
    }

    /// Decodes every record into owned [`Record`]s (one `Vec` allocation).
    pub fn to_vec(&self) -> Result<Vec<Record>, DecodeError> {
        let mut out = Vec::with_capacity(self.count as usize);
        for r in self.iter() {
            out.push(r?.to_record());
        }
        Ok(out)
    }
}

impl<'a> IntoIterator for &'a Records {
    type Item = Result<RecordRef<'a>, DecodeError>;
    type IntoIter = RecordIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Zero-allocation iterator over the records of a batch.
///
/// Yields an error (and then stops) for a malformed record, for a buffer that ends before the
/// declared count, and for bytes left over after it.
#[derive(Clone, Debug)]
pub struct RecordIter<'a> {
    parent: &'a Bytes,
    data: &'a [u8],
    remaining: u32,
    ctx: RecordContext,
    done: bool,
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<RecordRef<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.remaining == 0 {
            self.done = true;
            if !self.data.is_empty() {
                return Some(Err(DecodeError::new(DecodeErrorKind::TrailingBytes(self.data.len()))
                    .in_field("records")));
            }
            return None;
        }
        self.remaining -= 1;
        match parse_record(&mut self.data, &self.ctx) {
            Ok(raw) => Some(Ok(RecordRef {
                parent: self.parent,
                offset: raw.offset,
                timestamp: raw.timestamp,
                attributes: raw.attributes,
                key: raw.key,
                value: raw.value,
                headers: HeaderIter { data: raw.headers, remaining: raw.header_count },
            })),
            Err(e) => {
                self.done = true;
                Some(Err(e.in_field("records")))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (0, Some(self.remaining as usize + 1))
        }
    }
}

impl std::iter::FusedIterator for RecordIter<'_> {}

// -------------------------------------------------------------------------------------------
// Slice readers. Records are parsed from a plain `&[u8]` cursor rather than a `Bytes` one so
// that bounding a record's body costs no reference count; the varint rules match
// `crate::wire`.

struct RawRecord<'a> {
    offset: i64,
    timestamp: i64,
    attributes: i8,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
    headers: &'a [u8],
    header_count: u32,
}

#[cold]
fn truncated(needed: usize, remaining: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Truncated { needed, remaining })
}

#[cold]
fn bad_varint() -> DecodeError {
    DecodeError::new(DecodeErrorKind::InvalidVarint)
}

#[cold]
fn too_long(length: i64, remaining: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::LengthExceedsInput { length: length as u64, remaining })
}

#[inline(always)]
fn read_u8(buf: &mut &[u8]) -> Result<u8, DecodeError> {
    match buf.split_first() {
        Some((&b, rest)) => {
            *buf = rest;
            Ok(b)
        }
        None => Err(truncated(1, 0)),
    }
}

#[inline(always)]
pub(crate) fn read_uvarint(buf: &mut &[u8]) -> Result<u32, DecodeError> {
    let b = read_u8(buf)?;
    if b < 0x80 {
        return Ok(u32::from(b));
    }
    let mut value = u32::from(b & 0x7f);
    for i in 1..5 {
        let b = read_u8(buf)?;
        if i == 4 && b > 0x0f {
            return Err(bad_varint());
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok(value);
        }
    }
    Err(bad_varint())
}

#[inline(always)]
pub(crate) fn read_varint(buf: &mut &[u8]) -> Result<i32, DecodeError> {
    let raw = read_uvarint(buf)?;
    Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

#[inline(always)]
fn read_varlong(buf: &mut &[u8]) -> Result<i64, DecodeError> {
    let b = read_u8(buf)?;
    let raw = if b < 0x80 {
        u64::from(b)
    } else {
        let mut value = u64::from(b & 0x7f);
        let mut i = 1;
        loop {
            let b = read_u8(buf)?;
            if i == 9 && b > 0x01 {
                return Err(bad_varint());
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                break value;
            }
            i += 1;
            if i == 10 {
                return Err(bad_varint());
            }
        }
    };
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

#[inline(always)]
fn split<'a>(buf: &mut &'a [u8], len: usize) -> Result<&'a [u8], DecodeError> {
    if len > buf.len() {
        return Err(too_long(len as i64, buf.len()));
    }
    let (head, tail) = buf.split_at(len);
    *buf = tail;
    Ok(head)
}

/// Reads varint-length bytes where -1 means null.
#[inline(always)]
fn read_nullable<'a>(buf: &mut &'a [u8]) -> Result<Option<&'a [u8]>, DecodeError> {
    let len = read_varint(buf)?;
    if len < 0 {
        if len == -1 {
            return Ok(None);
        }
        return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(len))));
    }
    split(buf, len as usize).map(Some)
}

#[inline]
fn parse_header<'a>(buf: &mut &'a [u8]) -> Result<HeaderRef<'a>, DecodeError> {
    let klen = read_varint(buf)?;
    if klen < 0 {
        return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(klen)))
            .in_field("header key"));
    }
    let key = split(buf, klen as usize)?;
    let key = std::str::from_utf8(key)
        .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8).in_field("header key"))?;
    let value = read_nullable(buf)?;
    Ok(HeaderRef { key, value })
}

#[inline(always)]
fn parse_record<'a>(buf: &mut &'a [u8], ctx: &RecordContext) -> Result<RawRecord<'a>, DecodeError> {
    let len = read_varint(buf)?;
    if len < 0 {
        return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(len))));
    }
    let mut body = split(buf, len as usize)?;
    let attributes = read_u8(&mut body)? as i8;
    let timestamp_delta = read_varlong(&mut body)?;
    let offset_delta = read_varint(&mut body)?;
    let key = read_nullable(&mut body)?;
    let value = read_nullable(&mut body)?;
    let header_count = read_varint(&mut body)?;
    let header_count = u32::try_from(header_count)
        .map_err(|_| DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(header_count))))?;
    let headers = body;
    if header_count > 0 {
        // Each header takes at least two bytes; check before walking them.
        if (header_count as usize).saturating_mul(2) > body.len() {
            return Err(too_long(i64::from(header_count), body.len()));
        }
        for _ in 0..header_count {
            parse_header(&mut body)?;
        }
    }
    if !body.is_empty() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(body.len())));
    }
    let offset = ctx
        .base_offset
        .checked_add(i64::from(offset_delta))
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::Invalid("record offset overflows")))?;
    let timestamp = match ctx.log_append_time {
        Some(t) => t,
        None => ctx.base_timestamp.checked_add(timestamp_delta).ok_or_else(|| {
            DecodeError::new(DecodeErrorKind::Invalid("record timestamp overflows"))
        })?,
    };
    Ok(RawRecord { offset, timestamp, attributes, key, value, headers, header_count })
}

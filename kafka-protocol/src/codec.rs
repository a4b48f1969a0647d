//! The codec contract shared by every generated message: [`Message`], [`Request`], version
//! ranges, and the typed encode and decode errors.
//!
//! Decoding is hostile-input safe: every read is bounds-checked against the bytes that are
//! left, no allocation is sized from a wire length that the remaining input cannot back, and
//! a failure says what went wrong and where (message, version, field path).

use std::fmt;

use bytes::{BufMut, Bytes};

use crate::ApiKey;

/// An inclusive range of protocol versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// Lowest version.
    pub min: i16,
    /// Highest version.
    pub max: i16,
}

impl VersionRange {
    /// A range from `min` to `max`, both inclusive.
    pub const fn new(min: i16, max: i16) -> Self {
        Self { min, max }
    }

    /// Whether `version` lies inside the range.
    pub const fn contains(&self, version: i16) -> bool {
        version >= self.min && version <= self.max
    }

    /// The overlap of two ranges, or `None` when they are disjoint.
    pub fn intersect(&self, other: &Self) -> Option<Self> {
        let min = self.min.max(other.min);
        let max = self.max.min(other.max);
        (min <= max).then_some(Self { min, max })
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.min, self.max)
    }
}

/// A value with a Kafka wire encoding that depends on a protocol version.
///
/// Implemented by every generated message and by every struct nested inside one.
pub trait Message: Sized {
    /// The schema name, as in Kafka's message definitions (`FetchRequest`, `FetchTopic`, ...).
    const NAME: &'static str;
    /// The versions this crate can encode and decode.
    const VERSIONS: VersionRange;

    /// Appends the encoding of `self` at `version` to `buf`.
    ///
    /// Fails when the version is out of range, when a field holds a non-default value that the
    /// version cannot carry (unless the field is ignorable), when a null is set where the
    /// version does not allow one, or when a length does not fit its wire type.
    fn encode<B: BufMut>(&self, buf: &mut B, version: i16) -> Result<(), EncodeError>;

    /// Decodes a value at `version` from the front of `buf`, advancing it.
    ///
    /// Byte and record fields are zero-copy slices of `buf`.
    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError>;

    /// The exact number of bytes [`Message::encode`] writes at `version`.
    ///
    /// Only meaningful when `encode` would succeed.
    fn encoded_len(&self, version: i16) -> usize;

    /// Decodes a value that must occupy the whole of `buf`; leftover bytes are an error.
    fn decode_exact(mut buf: Bytes, version: i16) -> Result<Self, DecodeError> {
        let value = Self::decode(&mut buf, version)?;
        if !buf.is_empty() {
            return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(buf.len()))
                .in_message(Self::NAME, version));
        }
        Ok(value)
    }

    /// Encodes into a fresh buffer.
    fn encode_to_bytes(&self, version: i16) -> Result<Bytes, EncodeError> {
        let mut buf = bytes::BytesMut::with_capacity(self.encoded_len(version));
        self.encode(&mut buf, version)?;
        Ok(buf.freeze())
    }
}

/// A request message: ties the body type to its API key and response type.
pub trait Request: Message {
    /// The API this request belongs to.
    const KEY: ApiKey;
    /// The response body type.
    type Response: Message;
    /// The highest version a client sends by default: the top of [`Message::VERSIONS`] unless
    /// that version is marked unstable in Kafka's definitions.
    const MAX_STABLE_VERSION: i16;
}

/// A field value that came with an unknown tag in a flexible version, kept verbatim so that
/// re-encoding reproduces it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RawTaggedField {
    /// The tag number.
    pub tag: u32,
    /// The raw field bytes (without tag and size prefixes).
    pub data: Bytes,
}

/// A 128-bit UUID as Kafka sends it (topic ids, directory ids, member ids in KIP-848).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The all-zero UUID, Kafka's "no id".
    pub const ZERO: Self = Self([0; 16]);

    /// Builds a UUID from its two 64-bit halves (most significant first).
    pub const fn from_u64_pair(high: u64, low: u64) -> Self {
        let h = high.to_be_bytes();
        let l = low.to_be_bytes();
        Self([
            h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], l[0], l[1], l[2], l[3], l[4], l[5], l[6],
            l[7],
        ])
    }

    /// Whether this is the all-zero UUID.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Uuid {
    /// Kafka prints UUIDs as URL-safe base64 without padding (22 characters).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::with_capacity(22);
        for chunk in self.0.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                let idx = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(ALPHABET[idx as usize]));
            }
        }
        f.write_str(&out)
    }
}

/// Why a decode failed, without the location (see [`DecodeError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended early.
    Truncated {
        /// Bytes the next read needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A length prefix was negative (and not the null marker where null is allowed).
    NegativeLength(i64),
    /// A length or element count was larger than the remaining input can hold.
    LengthExceedsInput {
        /// The declared length or count.
        length: u64,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A varint ran past its maximum size.
    InvalidVarint,
    /// A string was not valid UTF-8.
    InvalidUtf8,
    /// A null appeared where the version does not allow one.
    UnexpectedNull,
    /// Bytes were left after a value that must fill its input exactly.
    TrailingBytes(usize),
    /// The version is outside what this crate implements for the message.
    UnsupportedVersion {
        /// The version asked for.
        version: i16,
        /// What is implemented.
        supported: VersionRange,
    },
    /// An API key this crate does not know.
    UnknownApiKey(i16),
    /// A frame larger than the configured limit.
    FrameTooLarge {
        /// Declared frame size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A record batch CRC did not match its contents.
    CrcMismatch {
        /// The CRC the batch carries.
        stored: u32,
        /// The CRC computed over the bytes.
        computed: u32,
    },
    /// A record batch or message used a magic byte this crate cannot read.
    UnknownMagic(i8),
    /// A compression codec id that does not exist, or whose cargo feature is off.
    UnsupportedCompression(u8),
    /// A compressed payload could not be decompressed.
    Decompression {
        /// The codec name.
        codec: &'static str,
        /// What the codec library reported.
        reason: String,
    },
    /// Decompressed data exceeded the configured cap.
    DecompressedTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// A value that is structurally well-formed but not valid where it appears.
    Invalid(&'static str),
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, remaining } => {
                write!(f, "input truncated: needed {needed} bytes, {remaining} left")
            }
            Self::NegativeLength(len) => write!(f, "invalid negative length {len}"),
            Self::LengthExceedsInput { length, remaining } => {
                write!(f, "length {length} exceeds the {remaining} bytes left")
            }
            Self::InvalidVarint => f.write_str("varint longer than its maximum size"),
            Self::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            Self::UnexpectedNull => f.write_str("null where this version does not allow one"),
            Self::TrailingBytes(n) => write!(f, "{n} unexpected trailing bytes"),
            Self::UnsupportedVersion { version, supported } => {
                write!(f, "version {version} is not supported (supported: {supported})")
            }
            Self::UnknownApiKey(key) => write!(f, "unknown API key {key}"),
            Self::FrameTooLarge { size, max } => {
                write!(f, "frame of {size} bytes exceeds the {max}-byte limit")
            }
            Self::CrcMismatch { stored, computed } => {
                write!(f, "CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")
            }
            Self::UnknownMagic(m) => write!(f, "unknown record format magic {m}"),
            Self::UnsupportedCompression(c) => {
                write!(f, "compression codec {c} is unknown or not enabled in this build")
            }
            Self::Decompression { codec, reason } => {
                write!(f, "corrupt {codec} payload: {reason}")
            }
            Self::DecompressedTooLarge { limit } => {
                write!(f, "decompressed data exceeds the {limit}-byte limit")
            }
            Self::Invalid(what) => write!(f, "invalid value: {what}"),
        }
    }
}

/// A decode failure: what went wrong ([`DecodeErrorKind`]) and where (message, version and
/// the path of fields leading to the failing read).
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Box<DecodeErrorInner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct DecodeErrorInner {
    kind: DecodeErrorKind,
    message: Option<&'static str>,
    version: Option<i16>,
    /// Innermost field first; reversed for display.
    path: Vec<&'static str>,
}

impl DecodeError {
    /// A new error with no location yet.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        Self(Box::new(DecodeErrorInner { kind, message: None, version: None, path: Vec::new() }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// The outermost message being decoded, when known.
    pub fn message(&self) -> Option<&'static str> {
        self.0.message
    }

    /// The version being decoded, when known.
    pub fn version(&self) -> Option<i16> {
        self.0.version
    }

    /// The field path from the outermost message to the failing read (`Topics.Partitions.Records`).
    pub fn field_path(&self) -> String {
        let mut parts: Vec<&str> = self.0.path.clone();
        parts.reverse();
        parts.join(".")
    }

    /// Records that the failure happened inside `field`.
    #[cold]
    pub fn in_field(mut self, field: &'static str) -> Self {
        self.0.path.push(field);
        self
    }

    /// Records the message and version being decoded; the outermost call wins.
    #[cold]
    pub fn in_message(mut self, message: &'static str, version: i16) -> Self {
        self.0.message = Some(message);
        self.0.version = Some(version);
        self
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("decoding ")?;
        match (self.0.message, self.0.version) {
            (Some(m), Some(v)) => write!(f, "{m} v{v}")?,
            (Some(m), None) => f.write_str(m)?,
            _ => f.write_str("input")?,
        }
        if !self.0.path.is_empty() {
            write!(f, ", field {}", self.field_path())?;
        }
        write!(f, ": {}", self.0.kind)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeErrorKind> for DecodeError {
    fn from(kind: DecodeErrorKind) -> Self {
        Self::new(kind)
    }
}

/// An encode failure. Each variant names the message and field involved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The version is outside what this crate implements for the message.
    #[error("{message} does not support version {version} (supported: {supported})")]
    UnsupportedVersion {
        /// Message name.
        message: &'static str,
        /// The version asked for.
        version: i16,
        /// What is implemented.
        supported: VersionRange,
    },
    /// A non-ignorable field holds a non-default value that the version cannot carry.
    #[error("{message} v{version} cannot carry a non-default value in field {field}")]
    FieldNotInVersion {
        /// Message or struct name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// The version being encoded.
        version: i16,
    },
    /// A field is null where the version does not allow null.
    #[error("{message} v{version} does not allow null in field {field}")]
    NullNotAllowed {
        /// Message or struct name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// The version being encoded.
        version: i16,
    },
    /// A string, byte array or array is longer than its wire length type allows.
    #[error("{message}: field {field} is too long ({length} exceeds {max})")]
    TooLong {
        /// Message or struct name.
        message: &'static str,
        /// Field name.
        field: &'static str,
        /// The length that was found.
        length: usize,
        /// The maximum the wire type can carry.
        max: usize,
    },
    /// A record set could not be encoded.
    #[error("record encoding failed: {0}")]
    Records(String),
}

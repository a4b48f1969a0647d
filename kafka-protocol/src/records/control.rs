//! Control records (KIP-98): the transaction markers a transaction coordinator writes into
//! each partition when a transaction commits or aborts.
//!
//! A control record lives in a batch with the control attribute set. Its key is
//! `version: int16, type: int16` (0 = abort, 1 = commit; later KIPs add more types), and for
//! commit and abort markers its value is `version: int16, coordinatorEpoch: int32`.

use bytes::{BufMut, Bytes};

use super::batch::RecordBatchBuilder;
use super::compression::Compression;
use crate::codec::{DecodeError, DecodeErrorKind, EncodeError};

/// The type field of a control record key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ControlRecordType {
    /// A transaction abort marker (type 0).
    Abort,
    /// A transaction commit marker (type 1).
    Commit,
    /// Any other type (leader change, snapshot markers, future additions), kept verbatim.
    Unknown(i16),
}

impl ControlRecordType {
    /// The wire value.
    pub fn id(self) -> i16 {
        match self {
            Self::Abort => 0,
            Self::Commit => 1,
            Self::Unknown(t) => t,
        }
    }

    /// The type for a wire value.
    pub fn from_id(id: i16) -> Self {
        match id {
            0 => Self::Abort,
            1 => Self::Commit,
            other => Self::Unknown(other),
        }
    }
}

/// The key of a control record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ControlRecordKey {
    /// Key schema version (0 today).
    pub version: i16,
    /// What the control record means.
    pub record_type: ControlRecordType,
}

/// Size of an encoded [`ControlRecordKey`].
pub const CONTROL_KEY_SIZE: usize = 4;
/// Size of an encoded [`EndTransactionMarker`].
pub const END_TXN_MARKER_SIZE: usize = 6;

impl ControlRecordKey {
    /// A version-0 key of `record_type`.
    pub fn new(record_type: ControlRecordType) -> Self {
        Self { version: 0, record_type }
    }

    /// Decodes a control record key. Bytes after the known fields are tolerated, since a
    /// newer key version may append fields.
    pub fn decode(key: &[u8]) -> Result<Self, DecodeError> {
        let Some(&[v0, v1, t0, t1]) = key.first_chunk::<4>() else {
            return Err(DecodeError::new(DecodeErrorKind::Truncated {
                needed: CONTROL_KEY_SIZE,
                remaining: key.len(),
            })
            .in_field("ControlRecordKey"));
        };
        let version = i16::from_be_bytes([v0, v1]);
        if version < 0 {
            return Err(DecodeError::new(DecodeErrorKind::Invalid("negative control key version"))
                .in_field("ControlRecordKey"));
        }
        Ok(Self { version, record_type: ControlRecordType::from_id(i16::from_be_bytes([t0, t1])) })
    }

    /// Encodes the key.
    pub fn encode(&self) -> [u8; CONTROL_KEY_SIZE] {
        let mut out = [0u8; CONTROL_KEY_SIZE];
        let mut w = &mut out[..];
        w.put_i16(self.version);
        w.put_i16(self.record_type.id());
        out
    }
}

/// The value of a commit or abort control record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndTransactionMarker {
    /// Value schema version (0 today).
    pub version: i16,
    /// Epoch of the transaction coordinator that wrote the marker.
    pub coordinator_epoch: i32,
}

impl EndTransactionMarker {
    /// A version-0 marker value.
    pub fn new(coordinator_epoch: i32) -> Self {
        Self { version: 0, coordinator_epoch }
    }

    /// Decodes a marker value. Bytes after the known fields are tolerated for forward
    /// compatibility.
    pub fn decode(value: &[u8]) -> Result<Self, DecodeError> {
        let Some(&[v0, v1, e0, e1, e2, e3]) = value.first_chunk::<6>() else {
            return Err(DecodeError::new(DecodeErrorKind::Truncated {
                needed: END_TXN_MARKER_SIZE,
                remaining: value.len(),
            })
            .in_field("EndTransactionMarker"));
        };
        let version = i16::from_be_bytes([v0, v1]);
        if version < 0 {
            return Err(DecodeError::new(DecodeErrorKind::Invalid("negative marker version"))
                .in_field("EndTransactionMarker"));
        }
        Ok(Self { version, coordinator_epoch: i32::from_be_bytes([e0, e1, e2, e3]) })
    }

    /// Encodes the marker value.
    pub fn encode(&self) -> [u8; END_TXN_MARKER_SIZE] {
        let mut out = [0u8; END_TXN_MARKER_SIZE];
        let mut w = &mut out[..];
        w.put_i16(self.version);
        w.put_i32(self.coordinator_epoch);
        out
    }
}

/// A decoded commit or abort marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ControlRecord {
    /// The key.
    pub key: ControlRecordKey,
    /// The marker value, for commit and abort markers.
    pub marker: Option<EndTransactionMarker>,
}

impl ControlRecord {
    /// Decodes a control record from its key and value (the value is parsed only for
    /// commit and abort markers).
    pub fn decode(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Self, DecodeError> {
        let key = ControlRecordKey::decode(key.ok_or_else(|| {
            DecodeError::new(DecodeErrorKind::UnexpectedNull).in_field("ControlRecordKey")
        })?)?;
        let marker = match key.record_type {
            ControlRecordType::Abort | ControlRecordType::Commit => {
                Some(EndTransactionMarker::decode(value.ok_or_else(|| {
                    DecodeError::new(DecodeErrorKind::UnexpectedNull).in_field("EndTransactionMarker")
                })?)?)
            }
            ControlRecordType::Unknown(_) => None,
        };
        Ok(Self { key, marker })
    }
}

/// Encodes a complete control batch holding one transaction marker, as a transaction
/// coordinator (or a test broker) writes it: transactional and control attributes set,
/// uncompressed, the producer's id and epoch, base sequence -1.
pub fn end_transaction_batch(
    commit: bool,
    producer_id: i64,
    producer_epoch: i16,
    coordinator_epoch: i32,
    base_offset: i64,
    timestamp: i64,
) -> Result<Bytes, EncodeError> {
    let record_type = if commit { ControlRecordType::Commit } else { ControlRecordType::Abort };
    let key = ControlRecordKey::new(record_type).encode();
    let value = EndTransactionMarker::new(coordinator_epoch).encode();
    let mut b = RecordBatchBuilder::new(Compression::None)
        .with_base_offset(base_offset)
        .with_producer(producer_id, producer_epoch, -1)
        .with_transactional(true)
        .with_control(true);
    b.append(timestamp, Some(&key), Some(&value))?;
    b.finish()
}

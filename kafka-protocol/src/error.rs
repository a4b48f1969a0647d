//! Kafka protocol error codes. (Placeholder: the full table is filled in by its own change.)

/// A Kafka protocol error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i16);

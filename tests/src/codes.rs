//! The Kafka error codes the broker answers with, as `i16` constants named like Kafka's.
//!
//! Each is taken from `kafka_protocol::ErrorCode`, so the numbers live in one table; the
//! constants exist because responses carry raw `i16` fields. Fault-injection calls accept
//! either these or an `ErrorCode`.

use kafka_protocol::ErrorCode;

/// `NONE`.
pub const NONE: i16 = ErrorCode::None.code();
/// `OFFSET_OUT_OF_RANGE`.
pub const OFFSET_OUT_OF_RANGE: i16 = ErrorCode::OffsetOutOfRange.code();
/// `CORRUPT_MESSAGE`.
pub const CORRUPT_MESSAGE: i16 = ErrorCode::CorruptMessage.code();
/// `UNKNOWN_TOPIC_OR_PARTITION`.
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = ErrorCode::UnknownTopicOrPartition.code();
/// `LEADER_NOT_AVAILABLE`.
pub const LEADER_NOT_AVAILABLE: i16 = ErrorCode::LeaderNotAvailable.code();
/// `NOT_LEADER_OR_FOLLOWER`.
pub const NOT_LEADER_OR_FOLLOWER: i16 = ErrorCode::NotLeaderOrFollower.code();
/// `MESSAGE_TOO_LARGE`.
pub const MESSAGE_TOO_LARGE: i16 = ErrorCode::MessageTooLarge.code();
/// `COORDINATOR_NOT_AVAILABLE`.
pub const COORDINATOR_NOT_AVAILABLE: i16 = ErrorCode::CoordinatorNotAvailable.code();
/// `INVALID_TOPIC_EXCEPTION`.
pub const INVALID_TOPIC_EXCEPTION: i16 = ErrorCode::InvalidTopicException.code();
/// `INVALID_REQUIRED_ACKS`.
pub const INVALID_REQUIRED_ACKS: i16 = ErrorCode::InvalidRequiredAcks.code();
/// `UNSUPPORTED_VERSION`.
pub const UNSUPPORTED_VERSION: i16 = ErrorCode::UnsupportedVersion.code();
/// `TOPIC_ALREADY_EXISTS`.
pub const TOPIC_ALREADY_EXISTS: i16 = ErrorCode::TopicAlreadyExists.code();
/// `INVALID_PARTITIONS`.
pub const INVALID_PARTITIONS: i16 = ErrorCode::InvalidPartitions.code();
/// `INVALID_REPLICATION_FACTOR`.
pub const INVALID_REPLICATION_FACTOR: i16 = ErrorCode::InvalidReplicationFactor.code();
/// `INVALID_REPLICA_ASSIGNMENT`.
pub const INVALID_REPLICA_ASSIGNMENT: i16 = ErrorCode::InvalidReplicaAssignment.code();
/// `INVALID_CONFIG`.
pub const INVALID_CONFIG: i16 = ErrorCode::InvalidConfig.code();
/// `INVALID_REQUEST`.
pub const INVALID_REQUEST: i16 = ErrorCode::InvalidRequest.code();
/// `POLICY_VIOLATION`.
pub const POLICY_VIOLATION: i16 = ErrorCode::PolicyViolation.code();
/// `FETCH_SESSION_ID_NOT_FOUND`.
pub const FETCH_SESSION_ID_NOT_FOUND: i16 = ErrorCode::FetchSessionIdNotFound.code();
/// `INVALID_FETCH_SESSION_EPOCH`.
pub const INVALID_FETCH_SESSION_EPOCH: i16 = ErrorCode::InvalidFetchSessionEpoch.code();
/// `FENCED_LEADER_EPOCH`.
pub const FENCED_LEADER_EPOCH: i16 = ErrorCode::FencedLeaderEpoch.code();
/// `UNKNOWN_LEADER_EPOCH`.
pub const UNKNOWN_LEADER_EPOCH: i16 = ErrorCode::UnknownLeaderEpoch.code();
/// `UNSUPPORTED_COMPRESSION_TYPE`.
pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = ErrorCode::UnsupportedCompressionType.code();
/// `INVALID_RECORD`.
pub const INVALID_RECORD: i16 = ErrorCode::InvalidRecord.code();
/// `UNKNOWN_TOPIC_ID`.
pub const UNKNOWN_TOPIC_ID: i16 = ErrorCode::UnknownTopicId.code();

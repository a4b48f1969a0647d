//! Kafka protocol error codes: every code a broker can put in an `ErrorCode` field.
//!
//! [`ErrorCode`] is a typed view of the INT16 error codes defined by Apache Kafka's
//! `org.apache.kafka.common.protocol.Errors`, from `UNKNOWN_SERVER_ERROR` (-1) and `NONE` (0)
//! up to `SHARE_SESSION_LIMIT_REACHED` (133), the newest code in Kafka 4.x (KIP-932 share groups,
//! KIP-1071 streams groups, KIP-1102 rebootstrap). Codes this table does not know decode to
//! [`ErrorCode::Unknown`], so a newer broker never makes decoding fail.
//!
//! The whole table is one `error_codes!` invocation below: code, variant, Kafka name, whether
//! the Java client treats it as retriable (its exception extends `RetriableException`), and a
//! one-line description in our own words. Audit new codes there.

use std::fmt;
use std::hash::{Hash, Hasher};

/// Declares [`ErrorCode`] and its lookup methods from a single table.
///
/// Each row is `code => Variant, "KAFKA_NAME", retriable, "description";`.
macro_rules! error_codes {
    ($( $code:literal => $variant:ident, $name:literal, $retriable:literal, $description:literal; )*) => {
        /// A Kafka protocol error code.
        ///
        /// Build one from the wire with [`ErrorCode::from_i16`] (total: unknown codes become
        /// [`ErrorCode::Unknown`]) and write it back with [`ErrorCode::code`]. Equality and hashing
        /// compare the numeric code, so `ErrorCode::Unknown(3) == ErrorCode::UnknownTopicOrPartition`;
        /// prefer `from_i16` so that `match` sees the named variant.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug)]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $name, "` (", stringify!($code), "): ", $description)]
                $variant,
            )*
            /// A code this version of the crate does not know (for example one added by a newer
            /// broker). Like the Java client, it is treated as non-retriable.
            Unknown(i16),
        }

        impl ErrorCode {
            /// Every known error code, in ascending numeric order (excludes [`ErrorCode::Unknown`]).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// Maps a wire code to its variant; codes not in the table become [`ErrorCode::Unknown`].
            pub const fn from_i16(code: i16) -> ErrorCode {
                match code {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Unknown(other),
                }
            }

            /// The INT16 value sent on the wire.
            pub const fn code(self) -> i16 {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown(code) => code,
                }
            }

            /// The Kafka name of the code, e.g. `"NOT_LEADER_OR_FOLLOWER"`.
            ///
            /// For [`ErrorCode::Unknown`] (and an `Unknown` holding a known code) this is the
            /// name of the known code if there is one, otherwise `"UNKNOWN_ERROR_CODE"`.
            pub const fn name(self) -> &'static str {
                match ErrorCode::from_i16(self.code()) {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Unknown(_) => "UNKNOWN_ERROR_CODE",
                }
            }

            /// Whether retrying the same request may succeed, following the Java client's
            /// classification (its exception for this code is a `RetriableException`).
            ///
            /// `NONE` and unknown codes are not retriable.
            pub const fn is_retriable(self) -> bool {
                match ErrorCode::from_i16(self.code()) {
                    $(ErrorCode::$variant => $retriable,)*
                    ErrorCode::Unknown(_) => false,
                }
            }

            /// A one-line explanation of the code.
            pub const fn description(self) -> &'static str {
                match ErrorCode::from_i16(self.code()) {
                    $(ErrorCode::$variant => $description,)*
                    ErrorCode::Unknown(_) => "the broker returned an error code this client does not know",
                }
            }
        }
    };
}

error_codes! {
    -1 => UnknownServerError, "UNKNOWN_SERVER_ERROR", false, "the broker hit an unexpected failure while handling the request";
    0 => None, "NONE", false, "success, no error";
    1 => OffsetOutOfRange, "OFFSET_OUT_OF_RANGE", false, "the offset asked for lies outside the range the partition's log holds";
    2 => CorruptMessage, "CORRUPT_MESSAGE", true, "a record failed its CRC check, is too large, or is otherwise malformed";
    3 => UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION", true, "this broker has no such topic or partition";
    4 => InvalidFetchSize, "INVALID_FETCH_SIZE", false, "the fetch size in the request is not acceptable";
    5 => LeaderNotAvailable, "LEADER_NOT_AVAILABLE", true, "the partition has no leader right now, typically during a leader election";
    6 => NotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER", true, "this broker is not the leader (or not a replica) of the partition";
    7 => RequestTimedOut, "REQUEST_TIMED_OUT", true, "the broker gave up on the request before it completed";
    8 => BrokerNotAvailable, "BROKER_NOT_AVAILABLE", false, "the broker is not available";
    9 => ReplicaNotAvailable, "REPLICA_NOT_AVAILABLE", true, "a replica of the partition is not available";
    10 => MessageTooLarge, "MESSAGE_TOO_LARGE", false, "a message exceeds the largest size the broker accepts";
    11 => StaleControllerEpoch, "STALE_CONTROLLER_EPOCH", false, "the request came from a controller that has since been replaced";
    12 => OffsetMetadataTooLarge, "OFFSET_METADATA_TOO_LARGE", false, "the metadata string attached to a committed offset is too long";
    13 => NetworkException, "NETWORK_EXCEPTION", true, "the connection closed before a response arrived";
    14 => CoordinatorLoadInProgress, "COORDINATOR_LOAD_IN_PROGRESS", true, "the coordinator is still loading its state and cannot serve requests yet";
    15 => CoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE", true, "no coordinator is available for this group or transactional id";
    16 => NotCoordinator, "NOT_COORDINATOR", true, "this broker is not the coordinator for the group or transactional id";
    17 => InvalidTopicException, "INVALID_TOPIC_EXCEPTION", false, "the topic name is invalid or the operation is not allowed on it";
    18 => RecordListTooLarge, "RECORD_LIST_TOO_LARGE", false, "a record batch is larger than the log segment size";
    19 => NotEnoughReplicas, "NOT_ENOUGH_REPLICAS", true, "the write was refused because fewer replicas are in sync than min.insync.replicas";
    20 => NotEnoughReplicasAfterAppend, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "the write reached the log but fewer replicas than required are in sync";
    21 => InvalidRequiredAcks, "INVALID_REQUIRED_ACKS", false, "the produce request's acks value is not allowed";
    22 => IllegalGeneration, "ILLEGAL_GENERATION", false, "the group generation in the request is not the current one";
    23 => InconsistentGroupProtocol, "INCONSISTENT_GROUP_PROTOCOL", false, "the member's protocol type or protocols do not match the rest of the group";
    24 => InvalidGroupId, "INVALID_GROUP_ID", false, "the group id is empty or otherwise invalid";
    25 => UnknownMemberId, "UNKNOWN_MEMBER_ID", false, "the coordinator does not know this member id";
    26 => InvalidSessionTimeout, "INVALID_SESSION_TIMEOUT", false, "the session timeout is outside the broker's allowed range";
    27 => RebalanceInProgress, "REBALANCE_IN_PROGRESS", false, "the group is rebalancing and the member must rejoin";
    28 => InvalidCommitOffsetSize, "INVALID_COMMIT_OFFSET_SIZE", false, "the offset commit is too large";
    29 => TopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED", false, "the principal is not authorized to access the topic";
    30 => GroupAuthorizationFailed, "GROUP_AUTHORIZATION_FAILED", false, "the principal is not authorized to access the group";
    31 => ClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED", false, "the principal is not authorized for this cluster operation";
    32 => InvalidTimestamp, "INVALID_TIMESTAMP", false, "a record timestamp is outside the range the broker accepts";
    33 => UnsupportedSaslMechanism, "UNSUPPORTED_SASL_MECHANISM", false, "the broker does not offer the requested SASL mechanism";
    34 => IllegalSaslState, "ILLEGAL_SASL_STATE", false, "the request is not allowed at this point of the SASL exchange";
    35 => UnsupportedVersion, "UNSUPPORTED_VERSION", false, "the broker does not support this API or API version";
    36 => TopicAlreadyExists, "TOPIC_ALREADY_EXISTS", false, "a topic with this name already exists";
    37 => InvalidPartitions, "INVALID_PARTITIONS", false, "the requested partition count is invalid";
    38 => InvalidReplicationFactor, "INVALID_REPLICATION_FACTOR", false, "the requested replication factor is invalid";
    39 => InvalidReplicaAssignment, "INVALID_REPLICA_ASSIGNMENT", false, "the explicit replica assignment is invalid";
    40 => InvalidConfig, "INVALID_CONFIG", false, "a configuration entry in the request is invalid";
    41 => NotController, "NOT_CONTROLLER", true, "this broker is not the active controller";
    42 => InvalidRequest, "INVALID_REQUEST", false, "the request is malformed or breaks a protocol rule; the broker log has details";
    43 => UnsupportedForMessageFormat, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "the topic's message format version does not support this request";
    44 => PolicyViolation, "POLICY_VIOLATION", false, "the request was rejected by a broker-side policy";
    45 => OutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, "the broker saw a producer sequence number it did not expect next";
    46 => DuplicateSequenceNumber, "DUPLICATE_SEQUENCE_NUMBER", false, "the broker already has a batch with this producer sequence number";
    47 => InvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", false, "the producer epoch is older than the one the broker knows";
    48 => InvalidTxnState, "INVALID_TXN_STATE", false, "the operation is not allowed in the transaction's current state";
    49 => InvalidProducerIdMapping, "INVALID_PRODUCER_ID_MAPPING", false, "the producer id does not match the one registered for the transactional id";
    50 => InvalidTransactionTimeout, "INVALID_TRANSACTION_TIMEOUT", false, "the transaction timeout exceeds transaction.max.timeout.ms on the broker";
    51 => ConcurrentTransactions, "CONCURRENT_TRANSACTIONS", true, "another transaction operation for this producer is still being completed";
    52 => TransactionCoordinatorFenced, "TRANSACTION_COORDINATOR_FENCED", false, "a newer transaction coordinator has taken over this producer";
    53 => TransactionalIdAuthorizationFailed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "the principal is not authorized to use the transactional id";
    54 => SecurityDisabled, "SECURITY_DISABLED", false, "security features are turned off on the broker";
    55 => OperationNotAttempted, "OPERATION_NOT_ATTEMPTED", false, "the broker skipped this item because another part of the batch failed";
    56 => KafkaStorageError, "KAFKA_STORAGE_ERROR", true, "the broker's log directory for this partition is offline";
    57 => LogDirNotFound, "LOG_DIR_NOT_FOUND", false, "the named log directory does not exist on the broker";
    58 => SaslAuthenticationFailed, "SASL_AUTHENTICATION_FAILED", false, "SASL authentication was rejected";
    59 => UnknownProducerId, "UNKNOWN_PRODUCER_ID", false, "the broker has no state for this producer id, usually after its records expired";
    60 => ReassignmentInProgress, "REASSIGNMENT_IN_PROGRESS", false, "a replica reassignment is already running for the partition";
    61 => DelegationTokenAuthDisabled, "DELEGATION_TOKEN_AUTH_DISABLED", false, "delegation token authentication is not enabled";
    62 => DelegationTokenNotFound, "DELEGATION_TOKEN_NOT_FOUND", false, "the delegation token does not exist";
    63 => DelegationTokenOwnerMismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", false, "the principal neither owns nor may renew this delegation token";
    64 => DelegationTokenRequestNotAllowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "delegation token requests are refused on this kind of connection or for token-authenticated clients";
    65 => DelegationTokenAuthorizationFailed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "the principal is not authorized for this delegation token operation";
    66 => DelegationTokenExpired, "DELEGATION_TOKEN_EXPIRED", false, "the delegation token has expired";
    67 => InvalidPrincipalType, "INVALID_PRINCIPAL_TYPE", false, "the principal type is not supported";
    68 => NonEmptyGroup, "NON_EMPTY_GROUP", false, "the group still has members, so it cannot be deleted";
    69 => GroupIdNotFound, "GROUP_ID_NOT_FOUND", false, "no group with this id exists";
    70 => FetchSessionIdNotFound, "FETCH_SESSION_ID_NOT_FOUND", true, "the incremental fetch session is unknown to the broker";
    71 => InvalidFetchSessionEpoch, "INVALID_FETCH_SESSION_EPOCH", true, "the incremental fetch session epoch is wrong";
    72 => ListenerNotFound, "LISTENER_NOT_FOUND", true, "the partition leader has no endpoint on the listener this request arrived on";
    73 => TopicDeletionDisabled, "TOPIC_DELETION_DISABLED", false, "topic deletion is turned off on the broker";
    74 => FencedLeaderEpoch, "FENCED_LEADER_EPOCH", true, "the request's leader epoch is older than the broker's";
    75 => UnknownLeaderEpoch, "UNKNOWN_LEADER_EPOCH", true, "the request's leader epoch is newer than the broker's";
    76 => UnsupportedCompressionType, "UNSUPPORTED_COMPRESSION_TYPE", false, "the compression codec cannot be used with this request version";
    77 => StaleBrokerEpoch, "STALE_BROKER_EPOCH", false, "the broker epoch in the request is out of date";
    78 => OffsetNotAvailable, "OFFSET_NOT_AVAILABLE", true, "the leader cannot serve this offset yet, typically because the high watermark is still catching up";
    79 => MemberIdRequired, "MEMBER_ID_REQUIRED", false, "the member must rejoin using the member id the coordinator just assigned";
    80 => PreferredLeaderNotAvailable, "PREFERRED_LEADER_NOT_AVAILABLE", true, "the preferred leader replica is not available";
    81 => GroupMaxSizeReached, "GROUP_MAX_SIZE_REACHED", false, "the group already has its maximum number of members";
    82 => FencedInstanceId, "FENCED_INSTANCE_ID", false, "another member with the same group.instance.id replaced this one";
    83 => EligibleLeadersNotAvailable, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "no replica eligible to become leader is available";
    84 => ElectionNotNeeded, "ELECTION_NOT_NEEDED", true, "the partition already has the leader the election would pick";
    85 => NoReassignmentInProgress, "NO_REASSIGNMENT_IN_PROGRESS", false, "there is no replica reassignment to cancel";
    86 => GroupSubscribedToTopic, "GROUP_SUBSCRIBED_TO_TOPIC", false, "offsets cannot be deleted while the group is subscribed to the topic";
    87 => InvalidRecord, "INVALID_RECORD", false, "the broker rejected a record that fails its validation rules";
    88 => UnstableOffsetCommit, "UNSTABLE_OFFSET_COMMIT", true, "a transactional offset commit for this partition is still pending";
    89 => ThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED", true, "the request exceeded a throttling quota (e.g. topic mutation rate)";
    90 => ProducerFenced, "PRODUCER_FENCED", false, "a newer producer with the same transactional id has fenced this one";
    91 => ResourceNotFound, "RESOURCE_NOT_FOUND", false, "the resource named in the request does not exist";
    92 => DuplicateResource, "DUPLICATE_RESOURCE", false, "the request names the same resource more than once";
    93 => UnacceptableCredential, "UNACCEPTABLE_CREDENTIAL", false, "the credential does not meet the broker's requirements";
    94 => InconsistentVoterSet, "INCONSISTENT_VOTER_SET", false, "the sender's voter set does not match the receiver's (KRaft)";
    95 => InvalidUpdateVersion, "INVALID_UPDATE_VERSION", false, "the feature version update is invalid";
    96 => FeatureUpdateFailed, "FEATURE_UPDATE_FAILED", false, "the feature update could not be applied by the controller";
    97 => PrincipalDeserializationFailure, "PRINCIPAL_DESERIALIZATION_FAILURE", false, "a forwarded request carried a principal the broker could not deserialize";
    98 => SnapshotNotFound, "SNAPSHOT_NOT_FOUND", false, "the requested metadata snapshot does not exist";
    99 => PositionOutOfRange, "POSITION_OUT_OF_RANGE", false, "the snapshot position is negative or past the end of the snapshot";
    100 => UnknownTopicId, "UNKNOWN_TOPIC_ID", true, "this broker has no topic with this topic id";
    101 => DuplicateBrokerRegistration, "DUPLICATE_BROKER_REGISTRATION", false, "another live broker already registered this broker id";
    102 => BrokerIdNotRegistered, "BROKER_ID_NOT_REGISTERED", false, "the broker id has not been registered with the controller";
    103 => InconsistentTopicId, "INCONSISTENT_TOPIC_ID", true, "the topic id in the request differs from the one in the partition's log";
    104 => InconsistentClusterId, "INCONSISTENT_CLUSTER_ID", false, "the cluster id in the request differs from the receiver's";
    105 => TransactionalIdNotFound, "TRANSACTIONAL_ID_NOT_FOUND", false, "no transaction state exists for this transactional id";
    106 => FetchSessionTopicIdError, "FETCH_SESSION_TOPIC_ID_ERROR", true, "the fetch session mixed requests with and without topic ids";
    107 => IneligibleReplica, "INELIGIBLE_REPLICA", false, "the proposed ISR contains a replica that may not join it";
    108 => NewLeaderElected, "NEW_LEADER_ELECTED", false, "the partition change was applied but leadership moved in the meantime";
    109 => OffsetMovedToTieredStorage, "OFFSET_MOVED_TO_TIERED_STORAGE", false, "the offset is only available in tiered (remote) storage";
    110 => FencedMemberEpoch, "FENCED_MEMBER_EPOCH", false, "the coordinator fenced this member's epoch; it must give up its partitions and rejoin";
    111 => UnreleasedInstanceId, "UNRELEASED_INSTANCE_ID", false, "another member still holds this group.instance.id and must leave first";
    112 => UnsupportedAssignor, "UNSUPPORTED_ASSIGNOR", false, "the group does not support the requested server-side assignor or its version";
    113 => StaleMemberEpoch, "STALE_MEMBER_EPOCH", false, "the member epoch is outdated; retry once a heartbeat returns the current one";
    114 => MismatchedEndpointType, "MISMATCHED_ENDPOINT_TYPE", false, "the request reached a broker or controller endpoint of the wrong kind";
    115 => UnsupportedEndpointType, "UNSUPPORTED_ENDPOINT_TYPE", false, "this endpoint kind is not supported yet";
    116 => UnknownControllerId, "UNKNOWN_CONTROLLER_ID", false, "the controller id is not known";
    117 => UnknownSubscriptionId, "UNKNOWN_SUBSCRIPTION_ID", false, "the telemetry subscription id is unknown or outdated";
    118 => TelemetryTooLarge, "TELEMETRY_TOO_LARGE", false, "the pushed telemetry payload exceeds the broker's limit";
    119 => InvalidRegistration, "INVALID_REGISTRATION", false, "the controller judged the broker registration invalid";
    120 => TransactionAbortable, "TRANSACTION_ABORTABLE", false, "the transaction hit an error; abort it to keep using the transactional id";
    121 => InvalidRecordState, "INVALID_RECORD_STATE", false, "a share-group acknowledgement refers to a record in the wrong delivery state";
    122 => ShareSessionNotFound, "SHARE_SESSION_NOT_FOUND", true, "the share fetch session is unknown to the broker";
    123 => InvalidShareSessionEpoch, "INVALID_SHARE_SESSION_EPOCH", true, "the share fetch session epoch is wrong";
    124 => FencedStateEpoch, "FENCED_STATE_EPOCH", false, "the share coordinator rejected a stale share-group state epoch";
    125 => InvalidVoterKey, "INVALID_VOTER_KEY", false, "the voter key does not match the receiving replica (KRaft)";
    126 => DuplicateVoter, "DUPLICATE_VOTER", false, "the voter is already in the voter set (KRaft)";
    127 => VoterNotFound, "VOTER_NOT_FOUND", false, "the voter is not in the voter set (KRaft)";
    128 => InvalidRegularExpression, "INVALID_REGULAR_EXPRESSION", false, "the subscription regular expression cannot be parsed";
    129 => RebootstrapRequired, "REBOOTSTRAP_REQUIRED", false, "the client's metadata is too stale; it should start again from the bootstrap servers";
    130 => StreamsInvalidTopology, "STREAMS_INVALID_TOPOLOGY", false, "the streams topology sent to the group is invalid";
    131 => StreamsInvalidTopologyEpoch, "STREAMS_INVALID_TOPOLOGY_EPOCH", false, "the streams topology epoch is invalid";
    132 => StreamsTopologyFenced, "STREAMS_TOPOLOGY_FENCED", false, "the streams topology epoch is older than the group's";
    133 => ShareSessionLimitReached, "SHARE_SESSION_LIMIT_REACHED", true, "the broker already holds as many share sessions as it allows";
}

impl ErrorCode {
    /// The highest code in the table (`SHARE_SESSION_LIMIT_REACHED`, Kafka 4.1).
    pub const MAX_KNOWN: i16 = 133;

    /// `true` for `NONE` (code 0).
    pub const fn is_ok(self) -> bool {
        self.code() == 0
    }

    /// `Ok(())` for `NONE`, otherwise `Err(self)`, for use with `?`.
    pub const fn into_result(self) -> Result<(), ErrorCode> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// Whether the client's cached cluster metadata should be refreshed before retrying.
    ///
    /// These are the codes whose Java exception is an `InvalidMetadataException`: the
    /// partition moved, its leader changed, or the broker does not know the topic (yet).
    pub const fn invalidates_metadata(self) -> bool {
        matches!(
            ErrorCode::from_i16(self.code()),
            ErrorCode::UnknownTopicOrPartition
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::ReplicaNotAvailable
                | ErrorCode::NetworkException
                | ErrorCode::KafkaStorageError
                | ErrorCode::ListenerNotFound
                | ErrorCode::FencedLeaderEpoch
                | ErrorCode::PreferredLeaderNotAvailable
                | ErrorCode::EligibleLeadersNotAvailable
                | ErrorCode::ElectionNotNeeded
                | ErrorCode::UnknownTopicId
                | ErrorCode::InconsistentTopicId
        )
    }
}

impl Default for ErrorCode {
    /// `NONE`, matching the default of every generated `error_code` field.
    fn default() -> Self {
        ErrorCode::None
    }
}

impl PartialEq for ErrorCode {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Eq for ErrorCode {}

impl Hash for ErrorCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code().hash(state);
    }
}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> Self {
        ErrorCode::from_i16(code)
    }
}

impl From<ErrorCode> for i16 {
    fn from(error: ErrorCode) -> Self {
        error.code()
    }
}

impl fmt::Display for ErrorCode {
    /// `NAME (code): description`, e.g. `NOT_COORDINATOR (16): this broker is not ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code(), self.description())
    }
}

impl std::error::Error for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::HashSet;

    #[test]
    fn every_code_round_trips() {
        for &error in ErrorCode::ALL {
            let code = error.code();
            let back = ErrorCode::from_i16(code);
            assert!(!matches!(back, ErrorCode::Unknown(_)), "{code} decoded as Unknown");
            assert_eq!(back, error);
            assert_eq!(back.code(), code);
            assert_eq!(back.name(), error.name());
        }
    }

    #[test]
    fn table_is_contiguous_from_minus_one_to_max() {
        let codes: Vec<i16> = ErrorCode::ALL.iter().map(|e| e.code()).collect();
        let expected: Vec<i16> = (-1..=ErrorCode::MAX_KNOWN).collect();
        assert_eq!(codes, expected);
    }

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<i16> = ErrorCode::ALL.iter().map(|e| e.code()).collect();
        let names: HashSet<&str> = ErrorCode::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for &error in ErrorCode::ALL {
            let name = error.name();
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{name} is not SCREAMING_SNAKE"
            );
            assert!(!error.description().is_empty(), "{name} has no description");
        }
    }

    #[test]
    fn well_known_codes() {
        let cases: &[(i16, ErrorCode, &str, bool)] = &[
            (-1, ErrorCode::UnknownServerError, "UNKNOWN_SERVER_ERROR", false),
            (0, ErrorCode::None, "NONE", false),
            (1, ErrorCode::OffsetOutOfRange, "OFFSET_OUT_OF_RANGE", false),
            (2, ErrorCode::CorruptMessage, "CORRUPT_MESSAGE", true),
            (3, ErrorCode::UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION", true),
            (6, ErrorCode::NotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER", true),
            (7, ErrorCode::RequestTimedOut, "REQUEST_TIMED_OUT", true),
            (8, ErrorCode::BrokerNotAvailable, "BROKER_NOT_AVAILABLE", false),
            (15, ErrorCode::CoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE", true),
            (16, ErrorCode::NotCoordinator, "NOT_COORDINATOR", true),
            (22, ErrorCode::IllegalGeneration, "ILLEGAL_GENERATION", false),
            (25, ErrorCode::UnknownMemberId, "UNKNOWN_MEMBER_ID", false),
            (27, ErrorCode::RebalanceInProgress, "REBALANCE_IN_PROGRESS", false),
            (35, ErrorCode::UnsupportedVersion, "UNSUPPORTED_VERSION", false),
            (41, ErrorCode::NotController, "NOT_CONTROLLER", true),
            (45, ErrorCode::OutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", false),
            (47, ErrorCode::InvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", false),
            (51, ErrorCode::ConcurrentTransactions, "CONCURRENT_TRANSACTIONS", true),
            (58, ErrorCode::SaslAuthenticationFailed, "SASL_AUTHENTICATION_FAILED", false),
            (79, ErrorCode::MemberIdRequired, "MEMBER_ID_REQUIRED", false),
            (82, ErrorCode::FencedInstanceId, "FENCED_INSTANCE_ID", false),
            (89, ErrorCode::ThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED", true),
            (90, ErrorCode::ProducerFenced, "PRODUCER_FENCED", false),
            (99, ErrorCode::PositionOutOfRange, "POSITION_OUT_OF_RANGE", false),
            (100, ErrorCode::UnknownTopicId, "UNKNOWN_TOPIC_ID", true),
            (110, ErrorCode::FencedMemberEpoch, "FENCED_MEMBER_EPOCH", false),
            (120, ErrorCode::TransactionAbortable, "TRANSACTION_ABORTABLE", false),
            (121, ErrorCode::InvalidRecordState, "INVALID_RECORD_STATE", false),
            (122, ErrorCode::ShareSessionNotFound, "SHARE_SESSION_NOT_FOUND", true),
            (128, ErrorCode::InvalidRegularExpression, "INVALID_REGULAR_EXPRESSION", false),
            (129, ErrorCode::RebootstrapRequired, "REBOOTSTRAP_REQUIRED", false),
            (133, ErrorCode::ShareSessionLimitReached, "SHARE_SESSION_LIMIT_REACHED", true),
        ];
        for &(code, error, name, retriable) in cases {
            let decoded = ErrorCode::from_i16(code);
            assert!(
                std::mem::discriminant(&decoded) == std::mem::discriminant(&error),
                "{code} decoded as {decoded:?}, expected {error:?}"
            );
            assert_eq!(decoded.name(), name, "name of {code}");
            assert_eq!(decoded.is_retriable(), retriable, "retriability of {name}");
        }
    }

    #[test]
    fn unknown_codes_decode_without_failing() {
        for code in [ErrorCode::MAX_KNOWN + 1, 999, i16::MAX, -2, i16::MIN] {
            let error = ErrorCode::from_i16(code);
            assert_eq!(error, ErrorCode::Unknown(code));
            assert!(matches!(error, ErrorCode::Unknown(c) if c == code));
            assert_eq!(error.code(), code);
            assert_eq!(error.name(), "UNKNOWN_ERROR_CODE");
            assert!(!error.is_retriable());
            assert!(!error.is_ok());
            assert_eq!(error.into_result(), Err(error));
            assert!(error.to_string().contains(&code.to_string()));
        }
    }

    #[test]
    fn unknown_holding_a_known_code_behaves_like_it() {
        let wrapped = ErrorCode::Unknown(6);
        assert_eq!(wrapped, ErrorCode::NotLeaderOrFollower);
        assert_eq!(wrapped.name(), "NOT_LEADER_OR_FOLLOWER");
        assert!(wrapped.is_retriable());
        assert!(wrapped.invalidates_metadata());
        let mut set = HashSet::new();
        set.insert(wrapped);
        assert!(set.contains(&ErrorCode::NotLeaderOrFollower));
    }

    #[test]
    fn ok_and_result() {
        assert!(ErrorCode::None.is_ok());
        assert_eq!(ErrorCode::None.into_result(), Ok(()));
        assert_eq!(ErrorCode::default(), ErrorCode::None);
        assert!(!ErrorCode::NotCoordinator.is_ok());
        assert_eq!(ErrorCode::NotCoordinator.into_result(), Err(ErrorCode::NotCoordinator));
        assert_eq!(i16::from(ErrorCode::NotCoordinator), 16);
        assert_eq!(ErrorCode::from(16i16), ErrorCode::NotCoordinator);
    }

    #[test]
    fn metadata_invalidation_follows_java() {
        assert!(ErrorCode::NotLeaderOrFollower.invalidates_metadata());
        assert!(ErrorCode::UnknownTopicOrPartition.invalidates_metadata());
        assert!(ErrorCode::LeaderNotAvailable.invalidates_metadata());
        assert!(ErrorCode::FencedLeaderEpoch.invalidates_metadata());
        assert!(!ErrorCode::NotCoordinator.invalidates_metadata());
        assert!(!ErrorCode::UnknownLeaderEpoch.invalidates_metadata());
        assert!(!ErrorCode::None.invalidates_metadata());
        // Every metadata-invalidating code is retriable in Java (InvalidMetadataException
        // extends RetriableException).
        for &error in ErrorCode::ALL {
            if error.invalidates_metadata() {
                assert!(error.is_retriable(), "{error}");
            }
        }
    }

    #[test]
    fn display_and_error_trait() {
        let text = ErrorCode::NotCoordinator.to_string();
        assert!(text.starts_with("NOT_COORDINATOR (16): "), "{text}");
        assert!(text.ends_with(ErrorCode::NotCoordinator.description()), "{text}");
        let boxed: Box<dyn std::error::Error> = Box::new(ErrorCode::SaslAuthenticationFailed);
        assert!(boxed.to_string().contains("SASL_AUTHENTICATION_FAILED (58)"));
    }
}

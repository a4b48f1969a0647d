//! One module per API key. Each module declares
//!
//! - `VERSIONS`: the versions it implements (ApiVersions advertises these, capped by the
//!   Kafka-version preset);
//! - `handle(ctx, request) -> Outcome`;
//! - `error_response(request, version, code)`: the response carrying a request-level error
//!   (used by fault injection);
//! - `touched(request, state)`: the topics and partitions the request names (request log
//!   and fault matching).
//!
//! Adding an API is one module plus one line in the [`handlers!`] list at the bottom.

use kafka_protocol::messages::{ApiKey, RequestBody, RequestHeader, ResponseBody};
use kafka_protocol::VersionRange;
use tokio::time::Instant;

use crate::faults::InjectedError;
use crate::state::ClusterState;

/// What a handler gets: the cluster state and who is asking.
pub(crate) struct Ctx<'a> {
    pub(crate) state: &'a mut ClusterState,
    /// Broker that received the request.
    pub(crate) broker: i32,
    /// Request version.
    pub(crate) version: i16,
    /// Request header (client id for groups).
    pub(crate) header: &'a RequestHeader,
    /// Partition-level errors injected by faults for this request.
    pub(crate) injected: &'a [InjectedError],
    /// Set by handlers that appended to a log or otherwise changed what parked requests
    /// wait for, so the actor re-checks them.
    pub(crate) changed: bool,
    /// Work for later (session timeouts, rebalance delays), run on the actor when due.
    #[allow(dead_code)]
    pub(crate) scheduled: Vec<crate::actor::Timer>,
    /// Responses for requests parked earlier with [`Outcome::Pending`], sent by the actor
    /// once the handler returns.
    pub(crate) completions: Vec<(u64, ResponseBody)>,
}

impl Ctx<'_> {
    /// A fresh token to park this request under with [`Outcome::Pending`].
    pub(crate) fn reply_token(&mut self) -> u64 {
        self.state.next_reply_token = self.state.next_reply_token.wrapping_add(1);
        self.state.next_reply_token
    }

    /// Answers a request parked earlier under `token`.
    pub(crate) fn complete(&mut self, token: u64, response: ResponseBody) {
        self.completions.push((token, response));
    }

    /// The injected error for a partition, if a fault targets it.
    pub(crate) fn injected_error(&self, topic: &str, partition: i32) -> Option<i16> {
        self.injected
            .iter()
            .find(|e| e.topic == topic && e.partition.is_none_or(|p| p == partition))
            .map(|e| e.code)
    }

    /// The injected error for a whole topic (a fault naming the topic but no partition).
    pub(crate) fn injected_topic_error(&self, topic: &str) -> Option<i16> {
        self.injected.iter().find(|e| e.topic == topic).map(|e| e.code)
    }
}

/// What handling a request produced.
pub(crate) enum Outcome {
    /// Send this response.
    Respond(ResponseBody),
    /// Send nothing (Produce with acks=0).
    NoResponse,
    /// Send nothing and close the connection: an acks=0 Produce that failed somewhere, which
    /// Kafka reports to the producer the only way it can (it reads no response).
    Close,
    /// Not ready: keep the request until its `poll` answers or its deadline passes.
    Park(Box<dyn Parked>),
    /// Not ready: keep the request under this token (from [`Ctx::reply_token`]) until some
    /// later call completes it ([`Ctx::complete`], or a subsystem timeout). This is the
    /// shape sans-IO coordinators use (the group coordinator's `ReplyToken`/`Completion`).
    Pending(u64),
}

/// A request waiting for state to change (long-poll Fetch now; JoinGroup and friends later).
pub(crate) trait Parked: Send {
    /// When the request must be answered regardless.
    fn deadline(&self) -> Instant;
    /// Returns the response when ready; with `expired` it must return one.
    fn poll(&mut self, state: &mut ClusterState, expired: bool) -> Option<ResponseBody>;
}

/// Topics a request names, each with the partitions it names (empty = the whole topic).
pub(crate) type TopicPartitions = Vec<(String, Vec<i32>)>;

/// A row of the dispatch table.
pub(crate) struct HandlerEntry {
    pub(crate) key: ApiKey,
    pub(crate) versions: VersionRange,
    pub(crate) handle: fn(&mut Ctx<'_>, RequestBody) -> Outcome,
    pub(crate) error_response: fn(&RequestBody, i16, i16) -> Option<ResponseBody>,
    pub(crate) touched: fn(&RequestBody, &ClusterState) -> TopicPartitions,
}

/// The handler for `key`, if the broker implements it.
pub(crate) fn entry(key: ApiKey) -> Option<&'static HandlerEntry> {
    HANDLERS.iter().find(|e| e.key == key)
}

/// Every implemented API with its version range.
pub(crate) fn implemented() -> impl Iterator<Item = (ApiKey, VersionRange)> {
    HANDLERS.iter().map(|e| (e.key, e.versions))
}

fn mismatch(key: ApiKey) -> Outcome {
    // The actor dispatches by the body's own key, so this cannot happen; answer safely anyway.
    tracing::error!(api = key.name(), "dispatch table mismatch");
    Outcome::NoResponse
}

macro_rules! handlers {
    ($($variant:ident => $module:ident),* $(,)?) => {
        $(pub(crate) mod $module;)*

        /// The dispatch table.
        pub(crate) static HANDLERS: &[HandlerEntry] = &[
            $(HandlerEntry {
                key: ApiKey::$variant,
                versions: $module::VERSIONS,
                handle: |ctx, body| match body {
                    RequestBody::$variant(r) => $module::handle(ctx, r),
                    _ => mismatch(ApiKey::$variant),
                },
                error_response: |body, version, code| match body {
                    RequestBody::$variant(r) => Some(ResponseBody::$variant($module::error_response(r, version, code))),
                    _ => None,
                },
                touched: |body, state| match body {
                    RequestBody::$variant(r) => $module::touched(r, state),
                    _ => Vec::new(),
                },
            }),*
        ];
    };
}

handlers! {
    Produce => produce,
    Fetch => fetch,
    ListOffsets => list_offsets,
    Metadata => metadata,
    FindCoordinator => find_coordinator,
    ApiVersions => api_versions,
    CreateTopics => create_topics,
    DeleteTopics => delete_topics,
    DeleteRecords => delete_records,
    OffsetForLeaderEpoch => offset_for_leader_epoch,
    CreatePartitions => create_partitions,
    DescribeCluster => describe_cluster,
    DescribeTopicPartitions => describe_topic_partitions,
    // Consumer groups and offsets: thin adaptors over `crate::group::GroupCoordinator`.
    OffsetCommit => offset_commit,
    OffsetFetch => offset_fetch,
    JoinGroup => join_group,
    Heartbeat => heartbeat,
    LeaveGroup => leave_group,
    SyncGroup => sync_group,
    DescribeGroups => describe_groups,
    ListGroups => list_groups,
    DeleteGroups => delete_groups,
    OffsetDelete => offset_delete,
    ConsumerGroupHeartbeat => consumer_group_heartbeat,
    ConsumerGroupDescribe => consumer_group_describe,
    // Idempotence and transactions: thin adaptors over `crate::txn::TxnCoordinator`.
    InitProducerId => init_producer_id,
    AddPartitionsToTxn => add_partitions_to_txn,
    AddOffsetsToTxn => add_offsets_to_txn,
    EndTxn => end_txn,
    TxnOffsetCommit => txn_offset_commit,
    DescribeProducers => describe_producers,
    DescribeTransactions => describe_transactions,
    ListTransactions => list_transactions,
    // Configs and client quotas: thin adaptors over `crate::config`.
    DescribeConfigs => describe_configs,
    AlterConfigs => alter_configs,
    IncrementalAlterConfigs => incremental_alter_configs,
    DescribeClientQuotas => describe_client_quotas,
    AlterClientQuotas => alter_client_quotas,
    // Partition administration.
    ElectLeaders => elect_leaders,
    AlterPartitionReassignments => alter_partition_reassignments,
    ListPartitionReassignments => list_partition_reassignments,
    DescribeLogDirs => describe_log_dirs,
    // Security: SASL (answered by the gate in `security.rs`), ACLs, SCRAM credentials.
    SaslHandshake => sasl_handshake,
    SaslAuthenticate => sasl_authenticate,
    DescribeAcls => describe_acls,
    CreateAcls => create_acls,
    DeleteAcls => delete_acls,
    DescribeUserScramCredentials => describe_user_scram_credentials,
    AlterUserScramCredentials => alter_user_scram_credentials,
}


/// The throttle time a test injected (`Cluster::set_throttle`, KIP-219) for this client and
/// API, if any.
pub(crate) fn throttle_for(state: &ClusterState, header: &RequestHeader, api: ApiKey) -> Option<i32> {
    state.quotas.throttle_for(header.client_id.as_deref(), api)
}

/// Puts `ms` into the response's `throttle_time_ms`, where the response has one.
pub(crate) fn set_throttle(body: &mut ResponseBody, ms: i32) {
    macro_rules! set {
        ($($variant:ident),*) => {
            match body {
                $(ResponseBody::$variant(r) => r.throttle_time_ms = ms,)*
                #[allow(unreachable_patterns)]
                _ => {}
            }
        };
    }
    set!(AddOffsetsToTxn, AddPartitionsToTxn, AddRaftVoter, AlterClientQuotas, AlterConfigs, AlterPartitionReassignments, AlterReplicaLogDirs, AlterUserScramCredentials, ApiVersions, ConsumerGroupDescribe, ConsumerGroupHeartbeat, CreateAcls, CreateDelegationToken, CreatePartitions, CreateTopics, DeleteAcls, DeleteGroups, DeleteRecords, DeleteTopics, DescribeAcls, DescribeClientQuotas, DescribeCluster, DescribeConfigs, DescribeDelegationToken, DescribeGroups, DescribeLogDirs, DescribeProducers, DescribeTopicPartitions, DescribeTransactions, DescribeUserScramCredentials, ElectLeaders, EndTxn, ExpireDelegationToken, Fetch, FindCoordinator, GetTelemetrySubscriptions, Heartbeat, IncrementalAlterConfigs, InitProducerId, JoinGroup, LeaveGroup, ListClientMetricsResources, ListGroups, ListOffsets, ListPartitionReassignments, ListTransactions, Metadata, OffsetCommit, OffsetDelete, OffsetFetch, OffsetForLeaderEpoch, Produce, PushTelemetry, RemoveRaftVoter, RenewDelegationToken, ShareAcknowledge, ShareFetch, ShareGroupDescribe, ShareGroupHeartbeat, SyncGroup, TxnOffsetCommit, UnregisterBroker, UpdateFeatures);
}

pub(crate) mod acl;
pub(crate) mod groups;
pub(crate) mod security;
pub(crate) mod transactions;

/// Shared helpers for handlers.
pub(crate) mod util {
    use crate::state::topics::Topic;
    use crate::state::ClusterState;

    /// Why a partition cannot be served by this broker, as an error code (None = it can).
    pub(crate) fn leader_check(state: &ClusterState, topic: Option<&Topic>, partition: i32, broker: i32) -> Result<(), i16> {
        let _ = state;
        let topic = topic.ok_or(crate::codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        let p = topic.partition(partition).ok_or(crate::codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        match p.leader {
            Some(l) if l == broker => Ok(()),
            _ => Err(crate::codes::NOT_LEADER_OR_FOLLOWER),
        }
    }

    /// (leader id, leader epoch) of a partition for KIP-951 hints; (-1, -1) when unknown.
    pub(crate) fn leader_hint(topic: Option<&Topic>, partition: i32) -> (i32, i32) {
        topic
            .and_then(|t| t.partition(partition))
            .map_or((-1, -1), |p| (p.leader.unwrap_or(-1), p.leader_epoch))
    }

    /// Checks a client's `current_leader_epoch` against the partition (KIP-320):
    /// older -> FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH, -1 = no check.
    pub(crate) fn epoch_check(current: i32, actual: i32) -> Result<(), i16> {
        if current < 0 || current == actual {
            Ok(())
        } else if current < actual {
            Err(crate::codes::FENCED_LEADER_EPOCH)
        } else {
            Err(crate::codes::UNKNOWN_LEADER_EPOCH)
        }
    }
}

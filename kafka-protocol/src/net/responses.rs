//! Facts the runtime reads out of typed responses without knowing their type statically:
//! throttle times (KIP-219), per-partition errors that make metadata stale, leader hints
//! (KIP-951) and coordinator errors.
//!
//! The generated messages share no trait for these fields, so this is a small hand-written
//! table keyed by type (`Any` downcasts). Audit it when message definitions change.

use std::any::Any;

use crate::codec::Uuid;
use crate::messages::{self, ApiKey};

use super::error::codes;

/// The `throttle_time_ms` of a response, for every response type that has one.
pub(crate) fn throttle_time_ms(response: &dyn Any) -> Option<i32> {
    macro_rules! throttled {
        ($($ty:ident),* $(,)?) => {
            $(if let Some(r) = response.downcast_ref::<messages::$ty>() {
                return Some(r.throttle_time_ms);
            })*
        };
    }
    throttled!(
        ProduceResponse, FetchResponse, MetadataResponse, ListOffsetsResponse,
        OffsetCommitResponse, OffsetFetchResponse, FindCoordinatorResponse, JoinGroupResponse,
        HeartbeatResponse, LeaveGroupResponse, SyncGroupResponse, DescribeGroupsResponse,
        ListGroupsResponse, ApiVersionsResponse, CreateTopicsResponse, DeleteTopicsResponse,
        DeleteRecordsResponse, InitProducerIdResponse, OffsetForLeaderEpochResponse,
        AddPartitionsToTxnResponse, AddOffsetsToTxnResponse, EndTxnResponse,
        TxnOffsetCommitResponse, DescribeAclsResponse, CreateAclsResponse, DeleteAclsResponse,
        DescribeConfigsResponse, AlterConfigsResponse, AlterReplicaLogDirsResponse,
        DescribeLogDirsResponse, CreatePartitionsResponse, CreateDelegationTokenResponse,
        RenewDelegationTokenResponse, ExpireDelegationTokenResponse,
        DescribeDelegationTokenResponse, DeleteGroupsResponse, ElectLeadersResponse,
        IncrementalAlterConfigsResponse, AlterPartitionReassignmentsResponse,
        ListPartitionReassignmentsResponse, OffsetDeleteResponse, DescribeClientQuotasResponse,
        AlterClientQuotasResponse, DescribeUserScramCredentialsResponse,
        AlterUserScramCredentialsResponse, UpdateFeaturesResponse, DescribeClusterResponse,
        DescribeProducersResponse, UnregisterBrokerResponse, DescribeTransactionsResponse,
        ListTransactionsResponse, ConsumerGroupHeartbeatResponse,
        ConsumerGroupDescribeResponse, GetTelemetrySubscriptionsResponse,
        PushTelemetryResponse, ListClientMetricsResourcesResponse,
        DescribeTopicPartitionsResponse, ShareGroupHeartbeatResponse,
        ShareGroupDescribeResponse, ShareFetchResponse, ShareAcknowledgeResponse,
        AddRaftVoterResponse, RemoveRaftVoterResponse,
    );
    None
}

/// The top-level error code of a coordinator-routed response, for the types that carry one.
pub(crate) fn coordinator_error(response: &dyn Any) -> Option<i16> {
    macro_rules! top_level {
        ($($ty:ident),* $(,)?) => {
            $(if let Some(r) = response.downcast_ref::<messages::$ty>() {
                return Some(r.error_code);
            })*
        };
    }
    top_level!(
        JoinGroupResponse, SyncGroupResponse, HeartbeatResponse, LeaveGroupResponse,
        InitProducerIdResponse, AddOffsetsToTxnResponse, EndTxnResponse,
        ConsumerGroupHeartbeatResponse, OffsetDeleteResponse, AddPartitionsToTxnResponse,
        ShareGroupHeartbeatResponse,
    );
    if let Some(r) = response.downcast_ref::<messages::OffsetFetchResponse>() {
        // v8+ answers per group; older versions at the top level.
        return std::iter::once(r.error_code)
            .chain(r.groups.iter().map(|g| g.error_code))
            .find(|c| codes::invalidates_coordinator(*c))
            .or(Some(r.error_code));
    }
    if let Some(r) = response.downcast_ref::<messages::DescribeGroupsResponse>() {
        return r.groups.iter().map(|g| g.error_code).find(|c| codes::invalidates_coordinator(*c));
    }
    if let Some(r) = response.downcast_ref::<messages::OffsetCommitResponse>() {
        return r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| p.error_code)
            .find(|c| codes::invalidates_coordinator(*c));
    }
    if let Some(r) = response.downcast_ref::<messages::TxnOffsetCommitResponse>() {
        return r
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| p.error_code)
            .find(|c| codes::invalidates_coordinator(*c));
    }
    None
}

/// A topic as a response names it: by name, or by id (Fetch v13+).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TopicRef {
    Name(String),
    Id(Uuid),
}

/// One partition-level outcome worth acting on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartitionFact {
    pub(crate) topic: TopicRef,
    pub(crate) partition: i32,
    pub(crate) error_code: i16,
    /// KIP-951 `CurrentLeader`, when the broker filled it in (leader id >= 0).
    pub(crate) leader_hint: Option<(i32, i32)>,
}

/// KIP-951 `NodeEndpoints`: addresses for leaders named in hints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EndpointFact {
    pub(crate) node_id: i32,
    pub(crate) host: String,
    pub(crate) port: i32,
    pub(crate) rack: Option<String>,
}

/// Partition errors that invalidate metadata, and leader hints, from leader-routed
/// responses (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch).
pub(crate) fn partition_facts(response: &dyn Any) -> (Vec<PartitionFact>, Vec<EndpointFact>) {
    let mut facts = Vec::new();
    let mut endpoints = Vec::new();
    let hint = |leader_id: i32, epoch: i32| (leader_id >= 0).then_some((leader_id, epoch));
    if let Some(r) = response.downcast_ref::<messages::ProduceResponse>() {
        for t in &r.responses {
            for p in &t.partition_responses {
                if codes::invalidates_metadata(p.error_code) {
                    facts.push(PartitionFact {
                        topic: TopicRef::Name(t.name.clone()),
                        partition: p.index,
                        error_code: p.error_code,
                        leader_hint: hint(p.current_leader.leader_id, p.current_leader.leader_epoch),
                    });
                }
            }
        }
        endpoints.extend(r.node_endpoints.iter().map(|e| EndpointFact {
            node_id: e.node_id,
            host: e.host.clone(),
            port: e.port,
            rack: e.rack.clone(),
        }));
    } else if let Some(r) = response.downcast_ref::<messages::FetchResponse>() {
        for t in &r.responses {
            let topic = if t.topic.is_empty() && !t.topic_id.is_zero() {
                TopicRef::Id(t.topic_id)
            } else {
                TopicRef::Name(t.topic.clone())
            };
            for p in &t.partitions {
                if codes::invalidates_metadata(p.error_code) {
                    facts.push(PartitionFact {
                        topic: topic.clone(),
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader_hint: hint(p.current_leader.leader_id, p.current_leader.leader_epoch),
                    });
                }
            }
        }
        endpoints.extend(r.node_endpoints.iter().map(|e| EndpointFact {
            node_id: e.node_id,
            host: e.host.clone(),
            port: e.port,
            rack: e.rack.clone(),
        }));
    } else if let Some(r) = response.downcast_ref::<messages::ListOffsetsResponse>() {
        for t in &r.topics {
            for p in &t.partitions {
                if codes::invalidates_metadata(p.error_code) {
                    facts.push(PartitionFact {
                        topic: TopicRef::Name(t.name.clone()),
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader_hint: None,
                    });
                }
            }
        }
    } else if let Some(r) = response.downcast_ref::<messages::OffsetForLeaderEpochResponse>() {
        for t in &r.topics {
            for p in &t.partitions {
                if codes::invalidates_metadata(p.error_code) {
                    facts.push(PartitionFact {
                        topic: TopicRef::Name(t.topic.clone()),
                        partition: p.partition,
                        error_code: p.error_code,
                        leader_hint: None,
                    });
                }
            }
        }
    }
    (facts, endpoints)
}

/// Whether the client must hold back its next requests after a response at `version`
/// carrying a throttle time (KIP-219). Older versions were delayed by the broker itself
/// before answering, so waiting again would throttle twice. The thresholds are the versions
/// Kafka's message definitions mark "brokers send out responses before throttling"; APIs
/// newer than KIP-219 always leave throttling to the client.
pub(crate) fn client_throttles(api: ApiKey, version: i16) -> bool {
    let from = match api {
        ApiKey::Produce => 6,
        ApiKey::Fetch => 8,
        ApiKey::ListOffsets => 3,
        ApiKey::Metadata => 6,
        ApiKey::OffsetCommit | ApiKey::OffsetFetch => 4,
        ApiKey::FindCoordinator
        | ApiKey::Heartbeat
        | ApiKey::LeaveGroup
        | ApiKey::SyncGroup
        | ApiKey::DescribeGroups
        | ApiKey::ListGroups
        | ApiKey::ApiVersions
        | ApiKey::DeleteTopics
        | ApiKey::DescribeConfigs
        | ApiKey::OffsetForLeaderEpoch => 2,
        ApiKey::JoinGroup | ApiKey::CreateTopics => 3,
        ApiKey::DeleteRecords
        | ApiKey::InitProducerId
        | ApiKey::AddPartitionsToTxn
        | ApiKey::AddOffsetsToTxn
        | ApiKey::EndTxn
        | ApiKey::TxnOffsetCommit
        | ApiKey::DescribeAcls
        | ApiKey::CreateAcls
        | ApiKey::DeleteAcls
        | ApiKey::AlterConfigs
        | ApiKey::AlterReplicaLogDirs
        | ApiKey::DescribeLogDirs
        | ApiKey::CreatePartitions
        | ApiKey::CreateDelegationToken
        | ApiKey::RenewDelegationToken
        | ApiKey::ExpireDelegationToken
        | ApiKey::DescribeDelegationToken
        | ApiKey::DeleteGroups => 1,
        _ => 0,
    };
    version >= from
}

//! Which ACL each request needs, following Kafka's `KafkaApis`, and what a denial looks like.
//!
//! Two layers:
//!
//! - [`RequestAuthorizer::request_error`]: the checks that fail a whole request (for
//!   example READ on the group for JoinGroup, ALTER on the cluster for CreateAcls). The
//!   actor runs it before dispatch and, on `Some(code)`, answers the handler's
//!   `error_response(request, version, code)` instead of calling the handler.
//! - Per-item checks made around the handler (`crate::handlers::acl`: a topic in Produce gets
//!   TOPIC_AUTHORIZATION_FAILED and the rest proceed; ListGroups leaves out groups the
//!   caller may not describe): [`RequestAuthorizer::check`] plus the helpers below for the
//!   APIs whose rules are more than one lookup ([`RequestAuthorizer::metadata_topics`],
//!   [`RequestAuthorizer::can_create_topic`], [`RequestAuthorizer::config_resource_error`],
//!   ...). [`per_item_checks`] lists them per API.
//!
//! Without an authorizer (`authorizer.class.name` unset) every check passes and
//! authorized-operations bitfields report every supported operation, as in Kafka.

use std::collections::HashSet;

use kafka_protocol::messages::{ApiKey, RequestBody};

use super::acl::{
    AclOperation, Authorizer, ResourceType, AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_NAME,
};
use super::codes;

/// One caller's view of the authorizer: who is asking, from where.
#[derive(Clone, Copy, Debug)]
pub struct RequestAuthorizer<'a> {
    /// The cluster's authorizer; `None` allows everything.
    pub authorizer: Option<&'a Authorizer>,
    /// The connection's principal (`User:alice`, `User:ANONYMOUS`).
    pub principal: &'a str,
    /// The client's address as text (`127.0.0.1`), matched against ACL hosts.
    pub host: &'a str,
}

/// DescribeConfigs/AlterConfigs resource type codes (`ConfigResource.Type`), which differ
/// from ACL resource types.
pub mod config_resource {
    /// A topic.
    pub const TOPIC: i8 = 2;
    /// A broker.
    pub const BROKER: i8 = 4;
    /// A broker's loggers.
    pub const BROKER_LOGGER: i8 = 8;
    /// Client metrics subscriptions (KIP-714).
    pub const CLIENT_METRICS: i8 = 16;
    /// A consumer group (KIP-848).
    pub const GROUP: i8 = 32;
}

/// Metadata's topic list after authorization, in request order (or the cluster's order
/// when listing all topics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataTopics {
    /// Topics to answer normally (existing ones with metadata; missing ones may be
    /// auto-created or answered UNKNOWN_TOPIC_OR_PARTITION as usual).
    pub authorized: Vec<String>,
    /// Topics to answer with TOPIC_AUTHORIZATION_FAILED and no partitions: requested by name
    /// without DESCRIBE (whether or not they exist, so their existence is not disclosed), or
    /// missing, eligible for auto-creation, and the caller lacks CREATE.
    pub denied: Vec<String>,
}

impl<'a> RequestAuthorizer<'a> {
    /// A view for `principal` at `host`.
    pub fn new(authorizer: Option<&'a Authorizer>, principal: &'a str, host: &'a str) -> Self {
        Self {
            authorizer,
            principal,
            host,
        }
    }

    /// Whether the caller may perform `operation` on the resource.
    pub fn can(&self, operation: AclOperation, resource_type: ResourceType, name: &str) -> bool {
        self.authorizer
            .is_none_or(|a| a.authorize(self.principal, self.host, operation, resource_type, name))
    }

    /// [`can`](Self::can) as a result with the resource type's authorization error.
    pub fn check(
        &self,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> Result<(), i16> {
        if self.can(operation, resource_type, name) {
            Ok(())
        } else {
            Err(resource_type.authorization_error())
        }
    }

    /// Whether the caller may perform `operation` on the cluster.
    pub fn can_on_cluster(&self, operation: AclOperation) -> bool {
        self.can(operation, ResourceType::Cluster, CLUSTER_NAME)
    }

    /// The KIP-430 bitfield for a resource (every supported operation without an
    /// authorizer). Send it where the request asked for authorized operations (Metadata
    /// topics v8+, DescribeGroups v3+, ConsumerGroupDescribe); otherwise send
    /// [`AUTHORIZED_OPERATIONS_OMITTED`].
    pub fn authorized_operations(&self, resource_type: ResourceType, name: &str) -> i32 {
        match self.authorizer {
            Some(a) => a.authorized_operations(self.principal, self.host, resource_type, name),
            None => resource_type
                .supported_operations()
                .iter()
                .fold(0, |bits, op| bits | (1i32 << op.code())),
        }
    }

    /// `cluster_authorized_operations` for Metadata v8-10 and DescribeCluster: omitted
    /// unless requested, 0 without DESCRIBE on the cluster, else the bitfield.
    pub fn cluster_authorized_operations(&self, requested: bool) -> i32 {
        if !requested {
            AUTHORIZED_OPERATIONS_OMITTED
        } else if !self.can_on_cluster(AclOperation::Describe) {
            0
        } else {
            self.authorized_operations(ResourceType::Cluster, CLUSTER_NAME)
        }
    }

    /// The error that fails the whole request, if any (see the module docs). `None` means
    /// dispatch as usual; per-item checks are the handler's.
    pub fn request_error(&self, request: &RequestBody, version: i16) -> Option<i16> {
        use AclOperation::*;
        use ResourceType::{Group, TransactionalId};
        let cluster = |op: AclOperation| {
            (!self.can_on_cluster(op)).then_some(codes::CLUSTER_AUTHORIZATION_FAILED)
        };
        let check = |op, rt, name: &str| self.check(op, rt, name).err();
        match request {
            RequestBody::Produce(r) => {
                // Kafka checks this when the batches are transactional; clients set the
                // transactional id exactly then.
                r.transactional_id
                    .as_deref()
                    .and_then(|id| check(Write, TransactionalId, id))
            }
            RequestBody::OffsetCommit(r) => check(Read, Group, &r.group_id),
            // v8+ carries several groups, each checked on its own.
            RequestBody::OffsetFetch(r) if version < 8 => check(Describe, Group, &r.group_id),
            RequestBody::FindCoordinator(r) if version < 4 => match r.key_type {
                0 => check(Describe, Group, &r.key),
                1 => check(Describe, TransactionalId, &r.key),
                _ => None,
            },
            RequestBody::JoinGroup(r) => check(Read, Group, &r.group_id),
            RequestBody::SyncGroup(r) => check(Read, Group, &r.group_id),
            RequestBody::Heartbeat(r) => check(Read, Group, &r.group_id),
            RequestBody::LeaveGroup(r) => check(Read, Group, &r.group_id),
            RequestBody::ConsumerGroupHeartbeat(r) => check(Read, Group, &r.group_id),
            RequestBody::ShareGroupHeartbeat(r) => check(Read, Group, &r.group_id),
            RequestBody::ShareFetch(r) => r.group_id.as_deref().and_then(|g| check(Read, Group, g)),
            RequestBody::ShareAcknowledge(r) => {
                r.group_id.as_deref().and_then(|g| check(Read, Group, g))
            }
            RequestBody::OffsetDelete(r) => check(Delete, Group, &r.group_id),
            RequestBody::InitProducerId(r) => match r.transactional_id.as_deref() {
                Some(id) => check(Write, TransactionalId, id),
                None => self.idempotent_producer_error(),
            },
            RequestBody::AddPartitionsToTxn(r) if version < 4 => {
                check(Write, TransactionalId, &r.v3_and_below_transactional_id)
            }
            // v4+ batches come from brokers verifying transactions.
            RequestBody::AddPartitionsToTxn(_) => cluster(ClusterAction),
            RequestBody::AddOffsetsToTxn(r) => check(Write, TransactionalId, &r.transactional_id)
                .or_else(|| check(Read, Group, &r.group_id)),
            RequestBody::EndTxn(r) => check(Write, TransactionalId, &r.transactional_id),
            RequestBody::TxnOffsetCommit(r) => check(Write, TransactionalId, &r.transactional_id)
                .or_else(|| check(Read, Group, &r.group_id)),
            RequestBody::WriteTxnMarkers(_) => cluster(ClusterAction),
            RequestBody::DescribeAcls(_) => cluster(Describe),
            RequestBody::CreateAcls(_) | RequestBody::DeleteAcls(_) => cluster(Alter),
            RequestBody::AlterReplicaLogDirs(_) => cluster(Alter),
            RequestBody::DescribeLogDirs(_) => cluster(Describe),
            RequestBody::ElectLeaders(_) => cluster(Alter),
            RequestBody::AlterPartitionReassignments(_) => cluster(Alter),
            RequestBody::ListPartitionReassignments(_) => cluster(Describe),
            RequestBody::DescribeClientQuotas(_) => cluster(DescribeConfigs),
            RequestBody::AlterClientQuotas(_) => cluster(AlterConfigs),
            RequestBody::DescribeUserScramCredentials(_) => cluster(Describe),
            RequestBody::AlterUserScramCredentials(_) => cluster(Alter),
            RequestBody::DescribeQuorum(_) => cluster(Describe),
            RequestBody::UpdateFeatures(_) => cluster(Alter),
            RequestBody::UnregisterBroker(_) => cluster(Alter),
            RequestBody::AddRaftVoter(_) | RequestBody::RemoveRaftVoter(_) => cluster(Alter),
            RequestBody::ListClientMetricsResources(_) => cluster(DescribeConfigs),
            RequestBody::InitializeShareGroupState(_)
            | RequestBody::ReadShareGroupState(_)
            | RequestBody::WriteShareGroupState(_)
            | RequestBody::DeleteShareGroupState(_)
            | RequestBody::ReadShareGroupStateSummary(_) => cluster(ClusterAction),
            _ => None,
        }
    }

    /// InitProducerId without a transactional id: IDEMPOTENT_WRITE on the cluster, or
    /// (KIP-679) WRITE on at least one topic; else CLUSTER_AUTHORIZATION_FAILED.
    pub fn idempotent_producer_error(&self) -> Option<i16> {
        let allowed = self.can_on_cluster(AclOperation::IdempotentWrite)
            || self.authorizer.is_none_or(|a| {
                a.authorize_by_resource_type(
                    self.principal,
                    self.host,
                    AclOperation::Write,
                    ResourceType::Topic,
                )
            });
        (!allowed).then_some(codes::CLUSTER_AUTHORIZATION_FAILED)
    }

    /// Metadata's topics after authorization (Kafka's `handleTopicMetadataRequest`).
    ///
    /// - `requested`: the names asked for, or `None` for all topics.
    /// - `all_topics`: the cluster's topics (used when listing all).
    /// - `exists`: whether a topic exists.
    /// - `auto_create`: `allow_auto_topic_creation` in the request and
    ///   `auto.create.topics.enable` on the broker.
    ///
    /// Listing all topics silently leaves out those without DESCRIBE. Named topics without
    /// DESCRIBE, and missing ones the caller may not create (CREATE on the cluster or the
    /// topic) when auto-creation applies, go to [`MetadataTopics::denied`].
    pub fn metadata_topics<'t>(
        &self,
        requested: Option<&[String]>,
        all_topics: impl IntoIterator<Item = &'t str>,
        exists: impl Fn(&str) -> bool,
        auto_create: bool,
    ) -> MetadataTopics {
        let mut out = MetadataTopics::default();
        let can_describe = |name: &str| self.can(AclOperation::Describe, ResourceType::Topic, name);
        let Some(requested) = requested else {
            out.authorized = all_topics
                .into_iter()
                .filter(|t| can_describe(t))
                .map(str::to_owned)
                .collect();
            return out;
        };
        let mut seen = HashSet::new();
        let cluster_create = auto_create && self.can_on_cluster(AclOperation::Create);
        for name in requested {
            if !seen.insert(name.as_str()) {
                continue;
            }
            // Without DESCRIBE the answer must not reveal whether the topic exists.
            let hidden = !can_describe(name);
            let create_denied = auto_create
                && !exists(name)
                && !cluster_create
                && !self.can(AclOperation::Create, ResourceType::Topic, name);
            if hidden || create_denied {
                out.denied.push(name.clone());
            } else {
                out.authorized.push(name.clone());
            }
        }
        out
    }

    /// CreateTopics (and auto-creation): CREATE on the cluster or on the topic. A denied
    /// topic gets TOPIC_AUTHORIZATION_FAILED with message "Authorization failed.".
    pub fn can_create_topic(&self, name: &str) -> bool {
        self.can_on_cluster(AclOperation::Create)
            || self.can(AclOperation::Create, ResourceType::Topic, name)
    }

    /// DescribeConfigs (`alter == false`, DESCRIBE_CONFIGS) or AlterConfigs and
    /// IncrementalAlterConfigs (`alter == true`, ALTER_CONFIGS) for one resource, by its
    /// config resource type ([`config_resource`]): topics need it on the topic
    /// (TOPIC_AUTHORIZATION_FAILED), groups on the group (GROUP_AUTHORIZATION_FAILED),
    /// brokers, broker loggers and client metrics on the cluster
    /// (CLUSTER_AUTHORIZATION_FAILED). Unknown types pass (the handler rejects them).
    pub fn config_resource_error(&self, resource_type: i8, name: &str, alter: bool) -> Option<i16> {
        let op = if alter {
            AclOperation::AlterConfigs
        } else {
            AclOperation::DescribeConfigs
        };
        match resource_type {
            config_resource::TOPIC => self.check(op, ResourceType::Topic, name).err(),
            config_resource::GROUP => self.check(op, ResourceType::Group, name).err(),
            config_resource::BROKER
            | config_resource::BROKER_LOGGER
            | config_resource::CLIENT_METRICS => {
                self.check(op, ResourceType::Cluster, CLUSTER_NAME).err()
            }
            _ => None,
        }
    }

    /// ListGroups: whether a group is listed (DESCRIBE on the cluster, or on the group).
    pub fn can_list_group(&self, group_id: &str) -> bool {
        self.can_on_cluster(AclOperation::Describe)
            || self.can(AclOperation::Describe, ResourceType::Group, group_id)
    }

    /// Fetch from a follower (`replica_id >= 0` or a replica state): CLUSTER_ACTION on the
    /// cluster, else every partition gets TOPIC_AUTHORIZATION_FAILED. Consumers need READ
    /// per topic instead.
    pub fn follower_fetch_error(&self) -> Option<i16> {
        (!self.can_on_cluster(AclOperation::ClusterAction))
            .then_some(codes::TOPIC_AUTHORIZATION_FAILED)
    }
}

/// Kafka's default message for an authorization error code (`Errors.message()`), which
/// answers carrying an `ApiError` send with a denial (DescribeConfigs, AlterConfigs,
/// IncrementalAlterConfigs, DeleteTopics); `None` for other codes.
pub fn authorization_message(code: i16) -> Option<&'static str> {
    match code {
        codes::TOPIC_AUTHORIZATION_FAILED => Some("Topic authorization failed."),
        codes::GROUP_AUTHORIZATION_FAILED => Some("Group authorization failed."),
        codes::CLUSTER_AUTHORIZATION_FAILED => Some("Cluster authorization failed."),
        codes::TRANSACTIONAL_ID_AUTHORIZATION_FAILED => Some("Transactional Id authorization failed."),
        _ => None,
    }
}

/// A per-item check a handler makes (documentation table; [`RequestAuthorizer::check`]
/// does the lookup).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemCheck {
    /// The operation.
    pub operation: AclOperation,
    /// The resource type.
    pub resource_type: ResourceType,
    /// What happens to a denied item.
    pub denied: Denied,
    /// Which items, and exceptions.
    pub note: &'static str,
}

/// What a denied item becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The item carries this error code; the others proceed.
    Error(i16),
    /// The item is left out of the response.
    Omitted,
}

/// The per-item checks of `api`, in the order Kafka makes them (empty when the API has
/// none; whole-request checks are [`RequestAuthorizer::request_error`]'s).
pub fn per_item_checks(api: ApiKey) -> &'static [ItemCheck] {
    use AclOperation::*;
    const TOPIC: i16 = codes::TOPIC_AUTHORIZATION_FAILED;
    const GROUP: i16 = codes::GROUP_AUTHORIZATION_FAILED;
    const TXN: i16 = codes::TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    macro_rules! item {
        ($op:expr, $rt:ident, $denied:expr, $note:literal) => {
            ItemCheck {
                operation: $op,
                resource_type: ResourceType::$rt,
                denied: $denied,
                note: $note,
            }
        };
    }
    match api {
        ApiKey::Produce => &[item!(Write, Topic, Denied::Error(TOPIC), "every partition of a topic without WRITE; checked before UNKNOWN_TOPIC_OR_PARTITION")],
        ApiKey::Fetch => &[item!(Read, Topic, Denied::Error(TOPIC), "consumer fetches; followers need CLUSTER_ACTION (follower_fetch_error)")],
        ApiKey::ListOffsets => &[item!(Describe, Topic, Denied::Error(TOPIC), "every partition of the topic")],
        ApiKey::Metadata => &[
            item!(Describe, Topic, Denied::Error(TOPIC), "named topics; omitted when listing all (metadata_topics)"),
            item!(Create, Topic, Denied::Error(TOPIC), "missing topics to auto-create, unless CREATE on the cluster"),
        ],
        ApiKey::OffsetCommit => &[item!(Read, Topic, Denied::Error(TOPIC), "every partition of the topic; after READ on the group")],
        ApiKey::OffsetFetch => &[
            item!(Describe, Group, Denied::Error(GROUP), "v8+: per group"),
            item!(Describe, Topic, Denied::Error(TOPIC), "named topics' partitions (offset -1); omitted when fetching all"),
        ],
        ApiKey::FindCoordinator => &[
            item!(Describe, Group, Denied::Error(GROUP), "v4+: per key with key type 0"),
            item!(Describe, TransactionalId, Denied::Error(TXN), "v4+: per key with key type 1"),
        ],
        ApiKey::DescribeGroups => &[item!(Describe, Group, Denied::Error(GROUP), "per group; authorized_operations v3+")],
        ApiKey::ListGroups => &[item!(Describe, Group, Denied::Omitted, "unless DESCRIBE on the cluster (can_list_group)")],
        ApiKey::DeleteGroups => &[item!(Delete, Group, Denied::Error(GROUP), "per group")],
        ApiKey::CreateTopics => &[
            item!(Create, Topic, Denied::Error(TOPIC), "unless CREATE on the cluster (can_create_topic); message \"Authorization failed.\""),
            item!(DescribeConfigs, Topic, Denied::Error(TOPIC), "v5+: topic_config_error_code, configs left out"),
        ],
        ApiKey::DeleteTopics => &[
            item!(Describe, Topic, Denied::Error(TOPIC), "by name: before UNKNOWN_TOPIC_OR_PARTITION; v6+ by topic id: name left null"),
            item!(Delete, Topic, Denied::Error(TOPIC), "existing topics; unknown ids are UNKNOWN_TOPIC_ID first; DELETE on the cluster allows every topic"),
        ],
        ApiKey::DeleteRecords => &[item!(Delete, Topic, Denied::Error(TOPIC), "every partition of the topic")],
        ApiKey::OffsetForLeaderEpoch => &[item!(Describe, Topic, Denied::Error(TOPIC), "unless CLUSTER_ACTION on the cluster (replicas)")],
        ApiKey::AddPartitionsToTxn => &[item!(Write, Topic, Denied::Error(TOPIC), "v0-3; then missing partitions get UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED")],
        ApiKey::TxnOffsetCommit => &[item!(Read, Topic, Denied::Error(TOPIC), "every partition of the topic")],
        ApiKey::DescribeConfigs => &[item!(DescribeConfigs, Topic, Denied::Error(TOPIC), "per resource by type (config_resource_error)")],
        ApiKey::AlterConfigs | ApiKey::IncrementalAlterConfigs => &[item!(AlterConfigs, Topic, Denied::Error(TOPIC), "per resource by type (config_resource_error)")],
        ApiKey::CreatePartitions => &[item!(Alter, Topic, Denied::Error(TOPIC), "per topic")],
        ApiKey::OffsetDelete => &[item!(Read, Topic, Denied::Error(TOPIC), "every partition of the topic; after DELETE on the group")],
        ApiKey::DescribeProducers => &[item!(Read, Topic, Denied::Error(TOPIC), "every partition of the topic")],
        ApiKey::DescribeTransactions => &[item!(Describe, TransactionalId, Denied::Error(TXN), "per transactional id; topics without DESCRIBE are left out of the state")],
        ApiKey::ListTransactions => &[item!(Describe, TransactionalId, Denied::Omitted, "per transaction")],
        ApiKey::ConsumerGroupDescribe => &[item!(Describe, Group, Denied::Error(GROUP), "per group; authorized_operations")],
        ApiKey::DescribeTopicPartitions => &[item!(Describe, Topic, Denied::Error(TOPIC), "named topics; omitted when listing all (before pagination)")],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{
        CreateAclsRequest, InitProducerIdRequest, JoinGroupRequest, ProduceRequest,
        TxnOffsetCommitRequest,
    };

    use super::*;
    use crate::security::acl::{AclBinding, AuthorizerConfig, ResourcePattern};

    const ALICE: &str = "User:alice";
    const HOST: &str = "10.1.1.1";

    fn authorizer(acls: Vec<AclBinding>) -> Authorizer {
        let mut a = Authorizer::new(AuthorizerConfig::default());
        for acl in acls {
            a.add_acl(acl).unwrap();
        }
        a
    }

    fn topic(name: &str) -> ResourcePattern {
        ResourcePattern::literal(ResourceType::Topic, name)
    }

    #[test]
    fn no_authorizer_allows_everything() {
        let r = RequestAuthorizer::new(None, "User:ANONYMOUS", HOST);
        assert!(r.can(AclOperation::Alter, ResourceType::Cluster, CLUSTER_NAME));
        let body = RequestBody::CreateAcls(CreateAclsRequest::default());
        assert_eq!(r.request_error(&body, 3), None);
        assert_eq!(
            r.authorized_operations(ResourceType::Group, "g"),
            (1 << 3) | (1 << 8) | (1 << 6)
        );
        assert_eq!(r.cluster_authorized_operations(false), i32::MIN);
    }

    #[test]
    fn whole_request_checks() {
        let a = authorizer(vec![
            AclBinding::allow(
                ResourcePattern::literal(ResourceType::Group, "g"),
                ALICE,
                AclOperation::Read,
            ),
            AclBinding::allow(
                ResourcePattern::literal(ResourceType::TransactionalId, "tx"),
                ALICE,
                AclOperation::Write,
            ),
        ]);
        let r = RequestAuthorizer::new(Some(&a), ALICE, HOST);
        let join =
            |g: &str| RequestBody::JoinGroup(JoinGroupRequest::default().with_group_id(g.into()));
        assert_eq!(r.request_error(&join("g"), 9), None);
        assert_eq!(
            r.request_error(&join("other"), 9),
            Some(codes::GROUP_AUTHORIZATION_FAILED)
        );
        let acls = RequestBody::CreateAcls(CreateAclsRequest::default());
        assert_eq!(
            r.request_error(&acls, 3),
            Some(codes::CLUSTER_AUTHORIZATION_FAILED)
        );
        let produce = |tx: Option<&str>| {
            RequestBody::Produce(
                ProduceRequest::default().with_transactional_id(tx.map(Into::into)),
            )
        };
        assert_eq!(r.request_error(&produce(None), 9), None);
        assert_eq!(r.request_error(&produce(Some("tx")), 9), None);
        assert_eq!(
            r.request_error(&produce(Some("nope")), 9),
            Some(codes::TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        );
        // TxnOffsetCommit checks the transactional id first, then the group.
        let commit = |tx: &str, g: &str| {
            RequestBody::TxnOffsetCommit(
                TxnOffsetCommitRequest::default()
                    .with_transactional_id(tx.into())
                    .with_group_id(g.into()),
            )
        };
        assert_eq!(r.request_error(&commit("tx", "g"), 3), None);
        assert_eq!(
            r.request_error(&commit("tx", "h"), 3),
            Some(codes::GROUP_AUTHORIZATION_FAILED)
        );
        assert_eq!(
            r.request_error(&commit("ty", "h"), 3),
            Some(codes::TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        );
    }

    #[test]
    fn idempotent_init_producer_id_needs_idempotent_write_or_a_writable_topic() {
        let body = RequestBody::InitProducerId(
            InitProducerIdRequest::default().with_transactional_id(None),
        );
        let none = authorizer(vec![AclBinding::allow(
            topic("t"),
            ALICE,
            AclOperation::Read,
        )]);
        let r = RequestAuthorizer::new(Some(&none), ALICE, HOST);
        assert_eq!(
            r.request_error(&body, 4),
            Some(codes::CLUSTER_AUTHORIZATION_FAILED)
        );
        let writer = authorizer(vec![AclBinding::allow(
            topic("t"),
            ALICE,
            AclOperation::Write,
        )]);
        assert_eq!(
            RequestAuthorizer::new(Some(&writer), ALICE, HOST).request_error(&body, 4),
            None
        );
        let cluster = authorizer(vec![AclBinding::allow(
            ResourcePattern::literal(ResourceType::Cluster, CLUSTER_NAME),
            ALICE,
            AclOperation::IdempotentWrite,
        )]);
        assert_eq!(
            RequestAuthorizer::new(Some(&cluster), ALICE, HOST).request_error(&body, 4),
            None
        );
    }

    #[test]
    fn metadata_hides_unauthorized_topics() {
        let a = authorizer(vec![
            AclBinding::allow(topic("visible"), ALICE, AclOperation::Describe),
            AclBinding::allow(topic("new-ok"), ALICE, AclOperation::Create),
            AclBinding::allow(topic("new-ok"), ALICE, AclOperation::Describe),
            AclBinding::allow(topic("new-no"), ALICE, AclOperation::Describe),
        ]);
        let r = RequestAuthorizer::new(Some(&a), ALICE, HOST);
        let existing = ["hidden", "visible"];
        let exists = |t: &str| existing.contains(&t);
        let all = r.metadata_topics(None, existing, exists, false);
        assert_eq!(all.authorized, ["visible"]);
        assert!(all.denied.is_empty());
        let names: Vec<String> = ["hidden", "visible", "new-ok", "new-no", "visible"]
            .map(String::from)
            .to_vec();
        let named = r.metadata_topics(Some(&names), existing, exists, true);
        assert_eq!(named.authorized, ["visible", "new-ok"]);
        assert_eq!(named.denied, ["hidden", "new-no"]);
        // Without auto-creation a missing but describable topic is answered normally
        // (UNKNOWN_TOPIC_OR_PARTITION by the handler).
        let named = r.metadata_topics(Some(&names), existing, exists, false);
        assert_eq!(named.authorized, ["visible", "new-ok", "new-no"]);
        assert_eq!(r.cluster_authorized_operations(true), 0);
        assert_eq!(
            r.authorized_operations(ResourceType::Topic, "visible"),
            1 << 8
        );
    }

    #[test]
    fn config_resources_map_to_their_acl_resource() {
        let a = authorizer(vec![AclBinding::allow(
            topic("t"),
            ALICE,
            AclOperation::AlterConfigs,
        )]);
        let r = RequestAuthorizer::new(Some(&a), ALICE, HOST);
        assert_eq!(
            r.config_resource_error(config_resource::TOPIC, "t", false),
            None
        );
        assert_eq!(
            r.config_resource_error(config_resource::TOPIC, "t", true),
            None
        );
        assert_eq!(
            r.config_resource_error(config_resource::TOPIC, "u", false),
            Some(codes::TOPIC_AUTHORIZATION_FAILED)
        );
        assert_eq!(
            r.config_resource_error(config_resource::BROKER, "1", false),
            Some(codes::CLUSTER_AUTHORIZATION_FAILED)
        );
        assert_eq!(
            r.config_resource_error(config_resource::GROUP, "g", true),
            Some(codes::GROUP_AUTHORIZATION_FAILED)
        );
        assert!(!r.can_create_topic("t"));
        assert!(!r.can_list_group("g"));
        assert_eq!(
            r.follower_fetch_error(),
            Some(codes::TOPIC_AUTHORIZATION_FAILED)
        );
    }

    #[test]
    fn per_item_table_uses_kafka_error_codes() {
        let produce = per_item_checks(ApiKey::Produce);
        assert_eq!(produce[0].operation, AclOperation::Write);
        assert_eq!(produce[0].denied, Denied::Error(29));
        assert_eq!(
            per_item_checks(ApiKey::ListGroups)[0].denied,
            Denied::Omitted
        );
        assert!(per_item_checks(ApiKey::ApiVersions).is_empty());
        for key in ApiKey::ALL {
            for check in per_item_checks(key) {
                if let Denied::Error(code) = check.denied {
                    assert_eq!(code, check.resource_type.authorization_error(), "{key:?}");
                }
            }
        }
    }
}

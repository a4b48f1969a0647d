//! Per-item ACL checks and KIP-430 authorized-operations bitfields over a real socket: a
//! SASL PLAIN user with partial ACLs (granted by a super user through CreateAcls) sends
//! requests naming allowed and denied topics, groups, transactional ids and config
//! resources; the allowed items are served and the denied ones carry Kafka's error code (or
//! are left out, for listings).

use kafka_testkit::protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_testkit::protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_testkit::protocol::messages::create_acls_request::AclCreation;
use kafka_testkit::protocol::messages::create_topics_request::CreatableTopic;
use kafka_testkit::protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_testkit::protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_testkit::protocol::messages::describe_topic_partitions_request::TopicRequest;
use kafka_testkit::protocol::messages::incremental_alter_configs_request as incremental;
use kafka_testkit::protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_testkit::protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_testkit::protocol::messages::offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
use kafka_testkit::protocol::messages::offset_fetch_request::{OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics};
use kafka_testkit::protocol::messages::*;
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::TestClient;
use kafka_testkit::{Cluster, SaslSettings};

// ACL resource types and operations (`AclBinding` wire codes).
const TOPIC: i8 = 2;
const GROUP: i8 = 3;
const CLUSTER: i8 = 4;
const TRANSACTIONAL_ID: i8 = 5;
const READ: i8 = 3;
const WRITE: i8 = 4;
const CREATE: i8 = 5;
const DELETE: i8 = 6;
const ALTER: i8 = 7;
const DESCRIBE: i8 = 8;
const DESCRIBE_CONFIGS: i8 = 10;
const ALTER_CONFIGS: i8 = 11;

// Config resource types.
const CONFIG_TOPIC: i8 = 2;
const CONFIG_BROKER: i8 = 4;

const TOPIC_DENIED: i16 = 29;
const GROUP_DENIED: i16 = 30;
const CLUSTER_DENIED: i16 = 31;
const TXN_DENIED: i16 = 53;
const OPERATION_NOT_ATTEMPTED: i16 = 55;
const OMITTED: i32 = i32::MIN;

/// The KIP-430 bitfield of these operations.
fn bits(ops: &[i8]) -> i32 {
    ops.iter().fold(0, |b, op| b | (1 << op))
}

/// One broker (it coordinates every group and transaction), topics `open` and `secret`,
/// users `admin` (super user) and `alice`.
async fn cluster() -> Cluster {
    Cluster::builder()
        .topic("open", 1, 1)
        .topic("secret", 1, 1)
        .seed(11)
        .sasl(SaslSettings::new().user("admin", "admin-secret").user("alice", "alice-secret"))
        .acls(["User:admin"])
        .build()
        .await
        .unwrap()
}

/// A raw connection logged in with SASL PLAIN as `user` (password `<user>-secret`).
async fn login(cluster: &Cluster, user: &str) -> TestClient {
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let handshake = c.send(&SaslHandshakeRequest::default().with_mechanism("PLAIN".into()), 1).await.unwrap();
    assert_eq!(handshake.error_code, 0, "{handshake:?}");
    let token = format!("\0{user}\0{user}-secret");
    let auth = SaslAuthenticateRequest::default().with_auth_bytes(token.into_bytes().into());
    let answer = c.send(&auth, 2).await.unwrap();
    assert_eq!(answer.error_code, 0, "{answer:?}");
    c
}

/// Grants `alice` each (resource type, literal name, operation) through CreateAcls.
async fn grant(admin: &mut TestClient, grants: &[(i8, &str, i8)]) {
    let creations = grants
        .iter()
        .map(|(rt, name, op)| {
            AclCreation::default()
                .with_resource_type(*rt)
                .with_resource_name((*name).into())
                .with_resource_pattern_type(3) // LITERAL
                .with_principal("User:alice".into())
                .with_host("*".into())
                .with_operation(*op)
                .with_permission_type(3) // ALLOW
        })
        .collect();
    let created = admin.send(&CreateAclsRequest::default().with_creations(creations), 3).await.unwrap();
    assert!(created.results.iter().all(|r| r.error_code == 0), "{created:?}");
}

fn list_offsets(topics: &[&str]) -> ListOffsetsRequest {
    ListOffsetsRequest::default().with_replica_id(-1).with_topics(
        topics
            .iter()
            .map(|t| {
                ListOffsetsTopic::default()
                    .with_name((*t).into())
                    .with_partitions(vec![ListOffsetsPartition::default().with_partition_index(0).with_timestamp(-1)])
            })
            .collect(),
    )
}

fn metadata(topics: &[&str]) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(Some(topics.iter().map(|t| MetadataRequestTopic::default().with_name(Some((*t).into()))).collect()))
        .with_allow_auto_topic_creation(false)
        .with_include_topic_authorized_operations(true)
        .with_include_cluster_authorized_operations(true)
}

fn commit(group: &str, topics: &[&str], offset: i64) -> OffsetCommitRequest {
    OffsetCommitRequest::default()
        .with_group_id(group.into())
        .with_generation_id_or_member_epoch(-1)
        .with_retention_time_ms(-1)
        .with_topics(
            topics
                .iter()
                .map(|t| {
                    OffsetCommitRequestTopic::default().with_name((*t).into()).with_partitions(vec![
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(0)
                            .with_committed_offset(offset)
                            .with_committed_leader_epoch(-1)
                            .with_commit_timestamp(-1),
                    ])
                })
                .collect(),
        )
}

/// (name, error code) of every topic/partition-level entry, sorted.
fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[tokio::test]
async fn topic_items_and_bitfields_follow_topic_acls() {
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    grant(&mut admin, &[(TOPIC, "open", DESCRIBE), (TOPIC, "open", READ)]).await;

    // ListOffsets: DESCRIBE per topic.
    let offsets = alice.send(&list_offsets(&["open", "secret"]), 7).await.unwrap();
    let answered: Vec<(&str, i16, i64)> =
        offsets.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code, t.partitions[0].offset)).collect();
    assert_eq!(sorted(answered), [("open", 0, 0), ("secret", TOPIC_DENIED, -1)]);

    // Metadata v10 with both bitfields asked for: the topic's operations (READ implies
    // DESCRIBE), none for the denied topic, and 0 for a cluster the caller may not describe.
    let meta = alice.send(&metadata(&["open", "secret"]), 10).await.unwrap();
    let topics: Vec<(Option<&str>, i16, i32)> =
        meta.topics.iter().map(|t| (t.name.as_deref(), t.error_code, t.topic_authorized_operations)).collect();
    assert_eq!(sorted(topics), [(Some("open"), 0, bits(&[READ, DESCRIBE])), (Some("secret"), TOPIC_DENIED, OMITTED)]);
    assert_eq!(meta.cluster_authorized_operations, 0);
    // Listing every topic leaves out the ones without DESCRIBE.
    let all = alice.send(&MetadataRequest::default().with_topics(None), 10).await.unwrap();
    let names: Vec<Option<&str>> = all.topics.iter().map(|t| t.name.as_deref()).collect();
    assert_eq!(names, [Some("open")]);

    // DescribeTopicPartitions: listing every topic shows only describable ones; named
    // topics without DESCRIBE are refused whether or not they exist.
    let every = alice.send(&DescribeTopicPartitionsRequest::default().with_response_partition_limit(100), 0).await.unwrap();
    let listed: Vec<(Option<&str>, i16, i32)> =
        every.topics.iter().map(|t| (t.name.as_deref(), t.error_code, t.topic_authorized_operations)).collect();
    assert_eq!(listed, [(Some("open"), 0, bits(&[READ, DESCRIBE]))]);
    assert_eq!(every.topics[0].partitions.len(), 1);
    let named = DescribeTopicPartitionsRequest::default()
        .with_response_partition_limit(100)
        .with_topics(["open", "secret", "missing"].map(|n| TopicRequest::default().with_name(n.into())).to_vec());
    let named = alice.send(&named, 0).await.unwrap();
    let answered: Vec<(Option<&str>, i16, usize, bool)> = named
        .topics
        .iter()
        .map(|t| (t.name.as_deref(), t.error_code, t.partitions.len(), t.topic_id == Uuid::ZERO))
        .collect();
    assert_eq!(
        sorted(answered),
        [(Some("missing"), TOPIC_DENIED, 0, true), (Some("open"), 0, 1, false), (Some("secret"), TOPIC_DENIED, 0, true)]
    );

    // DescribeCluster: 0 without DESCRIBE on the cluster, the bitfield with it.
    let request = DescribeClusterRequest::default().with_include_cluster_authorized_operations(true).with_endpoint_type(1);
    assert_eq!(alice.send(&request, 1).await.unwrap().cluster_authorized_operations, 0);
    grant(&mut admin, &[(CLUSTER, "kafka-cluster", DESCRIBE)]).await;
    let described = alice.send(&request, 1).await.unwrap();
    assert_eq!((described.error_code, described.cluster_authorized_operations), (0, bits(&[DESCRIBE])));
    let not_asked = alice.send(&DescribeClusterRequest::default().with_endpoint_type(1), 1).await.unwrap();
    assert_eq!(not_asked.cluster_authorized_operations, OMITTED);
    let meta = alice.send(&metadata(&["open"]), 10).await.unwrap();
    assert_eq!(meta.cluster_authorized_operations, bits(&[DESCRIBE]));

    // The super user sees everything.
    let offsets = admin.send(&list_offsets(&["open", "secret"]), 7).await.unwrap();
    assert!(offsets.topics.iter().all(|t| t.partitions[0].error_code == 0), "{offsets:?}");
}

#[tokio::test]
async fn create_and_delete_topics_per_topic() {
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    grant(
        &mut admin,
        &[
            (TOPIC, "mine", CREATE),
            (TOPIC, "mine", DELETE),
            (TOPIC, "full", CREATE),
            (TOPIC, "full", DESCRIBE_CONFIGS),
        ],
    )
    .await;

    let create = CreateTopicsRequest::default().with_timeout_ms(5000).with_topics(
        ["mine", "full", "theirs"]
            .map(|n| CreatableTopic::default().with_name(n.into()).with_num_partitions(2).with_replication_factor(1))
            .to_vec(),
    );
    let created = alice.send(&create, 7).await.unwrap();
    let by_name = |name: &str| created.topics.iter().find(|t| t.name == name).unwrap();
    // CREATE without DESCRIBE_CONFIGS: created, but the configs are not shown.
    let mine = by_name("mine");
    assert_eq!((mine.error_code, mine.topic_config_error_code, mine.num_partitions), (0, TOPIC_DENIED, -1));
    assert!(mine.configs.as_ref().is_none_or(Vec::is_empty));
    let full = by_name("full");
    assert_eq!((full.error_code, full.topic_config_error_code, full.num_partitions), (0, 0, 2));
    assert!(full.configs.as_ref().is_some_and(|c| !c.is_empty()));
    let theirs = by_name("theirs");
    assert_eq!((theirs.error_code, theirs.error_message.as_deref()), (TOPIC_DENIED, Some("Authorization failed.")));
    assert_eq!(cluster.topic_names().await.unwrap(), ["full", "mine", "open", "secret"]);

    // DeleteTopics v6: `mine` (DELETE, which implies DESCRIBE) is deleted; `full` named by
    // id without DESCRIBE is refused without its name; `secret` by name is refused.
    let full_id = full.topic_id;
    let delete = DeleteTopicsRequest::default().with_timeout_ms(5000).with_topics(vec![
        DeleteTopicState::default().with_name(Some("mine".into())),
        DeleteTopicState::default().with_name(None).with_topic_id(full_id),
        DeleteTopicState::default().with_name(Some("secret".into())),
    ]);
    let deleted = alice.send(&delete, 6).await.unwrap();
    let answered: Vec<(Option<&str>, i16, Option<&str>)> =
        deleted.responses.iter().map(|t| (t.name.as_deref(), t.error_code, t.error_message.as_deref())).collect();
    let denied = Some("Topic authorization failed.");
    assert_eq!(sorted(answered), [(None, TOPIC_DENIED, denied), (Some("mine"), 0, None), (Some("secret"), TOPIC_DENIED, denied)]);
    assert_eq!(cluster.topic_names().await.unwrap(), ["full", "open", "secret"]);
    // With DESCRIBE but not DELETE, a topic named by id is refused with its name.
    grant(&mut admin, &[(TOPIC, "full", DESCRIBE)]).await;
    let by_id = DeleteTopicsRequest::default().with_topics(vec![DeleteTopicState::default().with_name(None).with_topic_id(full_id)]);
    let refused = alice.send(&by_id, 6).await.unwrap();
    let answered: Vec<(Option<&str>, i16)> = refused.responses.iter().map(|t| (t.name.as_deref(), t.error_code)).collect();
    assert_eq!(answered, [(Some("full"), TOPIC_DENIED)]);
}

#[tokio::test]
async fn config_resources_are_checked_per_resource() {
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    grant(&mut admin, &[(TOPIC, "open", DESCRIBE_CONFIGS), (TOPIC, "open", ALTER_CONFIGS)]).await;

    let resource = |rt: i8, name: &str| DescribeConfigsResource::default().with_resource_type(rt).with_resource_name(name.into());
    let describe = DescribeConfigsRequest::default().with_resources(vec![
        resource(CONFIG_TOPIC, "open"),
        resource(CONFIG_TOPIC, "secret"),
        resource(CONFIG_BROKER, "1"),
    ]);
    let described = alice.send(&describe, 4).await.unwrap();
    let results: Vec<(&str, i16, Option<&str>, bool)> = described
        .results
        .iter()
        .map(|r| (r.resource_name.as_str(), r.error_code, r.error_message.as_deref().filter(|m| !m.is_empty()), r.configs.is_empty()))
        .collect();
    assert_eq!(
        sorted(results),
        [
            ("1", CLUSTER_DENIED, Some("Cluster authorization failed."), true),
            ("open", 0, None, false),
            ("secret", TOPIC_DENIED, Some("Topic authorization failed."), true),
        ]
    );

    let alter = AlterConfigsRequest::default().with_resources(
        ["open", "secret"]
            .map(|t| {
                AlterConfigsResource::default().with_resource_type(CONFIG_TOPIC).with_resource_name(t.into()).with_configs(vec![
                    AlterableConfig::default().with_name("retention.ms".into()).with_value(Some("60000".into())),
                ])
            })
            .to_vec(),
    );
    let altered = alice.send(&alter, 2).await.unwrap();
    let results: Vec<(&str, i16)> = altered.responses.iter().map(|r| (r.resource_name.as_str(), r.error_code)).collect();
    assert_eq!(sorted(results), [("open", 0), ("secret", TOPIC_DENIED)]);

    let op = |rt: i8, name: &str, key: &str| {
        incremental::AlterConfigsResource::default().with_resource_type(rt).with_resource_name(name.into()).with_configs(vec![
            incremental::AlterableConfig::default().with_name(key.into()).with_config_operation(0).with_value(Some("1000".into())),
        ])
    };
    let incremental = IncrementalAlterConfigsRequest::default()
        .with_resources(vec![op(CONFIG_TOPIC, "open", "retention.ms"), op(CONFIG_BROKER, "1", "log.retention.ms")]);
    let altered = alice.send(&incremental, 1).await.unwrap();
    let results: Vec<(&str, i16)> = altered.responses.iter().map(|r| (r.resource_name.as_str(), r.error_code)).collect();
    assert_eq!(sorted(results), [("1", CLUSTER_DENIED), ("open", 0)]);

    // Only the allowed change was made.
    let check = DescribeConfigsRequest::default().with_resources(vec![
        resource(CONFIG_TOPIC, "open").with_configuration_keys(Some(vec!["retention.ms".into()])),
        resource(CONFIG_TOPIC, "secret").with_configuration_keys(Some(vec!["retention.ms".into()])),
    ]);
    let values = admin.send(&check, 4).await.unwrap();
    let values: Vec<(&str, Option<&str>)> =
        values.results.iter().map(|r| (r.resource_name.as_str(), r.configs[0].value.as_deref())).collect();
    assert_eq!(sorted(values), [("open", Some("1000")), ("secret", Some("604800000"))]);
}

#[tokio::test]
async fn groups_and_offsets_are_checked_per_group_and_topic() {
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    // Two empty groups with offsets for both topics.
    for group in ["mine", "other"] {
        let committed = admin.send(&commit(group, &["open", "secret"], 3), 8).await.unwrap();
        assert!(committed.topics.iter().all(|t| t.partitions[0].error_code == 0), "{committed:?}");
    }
    grant(
        &mut admin,
        &[
            (GROUP, "mine", READ),
            (GROUP, "mine", DELETE),
            (TOPIC, "open", READ),
            (TRANSACTIONAL_ID, "tx-mine", DESCRIBE),
        ],
    )
    .await;

    // DescribeGroups v5 with authorized operations.
    let describe = DescribeGroupsRequest::default().with_groups(vec!["mine".into(), "other".into()]).with_include_authorized_operations(true);
    let described = alice.send(&describe, 5).await.unwrap();
    let groups: Vec<(&str, i16, i32)> =
        described.groups.iter().map(|g| (g.group_id.as_str(), g.error_code, g.authorized_operations)).collect();
    assert_eq!(sorted(groups), [("mine", 0, bits(&[READ, DELETE, DESCRIBE])), ("other", GROUP_DENIED, OMITTED)]);

    // ListGroups leaves out groups the caller may not describe; the super user sees both.
    let listed = alice.send(&ListGroupsRequest::default(), 4).await.unwrap();
    let ids: Vec<&str> = listed.groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(ids, ["mine"]);
    let listed = admin.send(&ListGroupsRequest::default(), 4).await.unwrap();
    assert_eq!(listed.groups.len(), 2);

    // OffsetCommit: READ per topic.
    let committed = alice.send(&commit("mine", &["open", "secret"], 7), 8).await.unwrap();
    let answered: Vec<(&str, i16)> = committed.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code)).collect();
    assert_eq!(sorted(answered), [("open", 0), ("secret", TOPIC_DENIED)]);

    // OffsetFetch v8: per group, then per topic (named: refused with offset -1; all: left out).
    let named = OffsetFetchRequestGroup::default().with_group_id("mine".into()).with_topics(Some(
        ["open", "secret"].map(|t| OffsetFetchRequestTopics::default().with_name(t.into()).with_partition_indexes(vec![0])).to_vec(),
    ));
    let fetch = OffsetFetchRequest::default()
        .with_groups(vec![named, OffsetFetchRequestGroup::default().with_group_id("other".into()).with_topics(None)]);
    let fetched = alice.send(&fetch, 8).await.unwrap();
    let mine = fetched.groups.iter().find(|g| g.group_id == "mine").unwrap();
    let offsets: Vec<(&str, i16, i64)> =
        mine.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code, t.partitions[0].committed_offset)).collect();
    assert_eq!(sorted(offsets), [("open", 0, 7), ("secret", TOPIC_DENIED, -1)]);
    let other = fetched.groups.iter().find(|g| g.group_id == "other").unwrap();
    assert_eq!(other.error_code, GROUP_DENIED);
    let all = OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default().with_group_id("mine".into()).with_topics(None)]);
    let fetched = alice.send(&all, 8).await.unwrap();
    let names: Vec<&str> = fetched.groups[0].topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["open"]);
    // v7 (one group, top-level topics).
    let v7 = OffsetFetchRequest::default().with_group_id("mine".into()).with_topics(Some(
        ["open", "secret"].map(|t| OffsetFetchRequestTopic::default().with_name(t.into()).with_partition_indexes(vec![0])).to_vec(),
    ));
    let fetched = alice.send(&v7, 7).await.unwrap();
    let offsets: Vec<(&str, i16, i64)> =
        fetched.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code, t.partitions[0].committed_offset)).collect();
    assert_eq!(sorted(offsets), [("open", 0, 7), ("secret", TOPIC_DENIED, -1)]);

    // FindCoordinator v4, batched: per key.
    let find = |key_type: i8, keys: &[&str]| {
        FindCoordinatorRequest::default().with_key_type(key_type).with_coordinator_keys(keys.iter().map(|k| (*k).into()).collect())
    };
    let found = alice.send(&find(0, &["mine", "other"]), 4).await.unwrap();
    let keys: Vec<(&str, i16, i32)> = found.coordinators.iter().map(|c| (c.key.as_str(), c.error_code, c.node_id)).collect();
    assert_eq!(sorted(keys), [("mine", 0, 1), ("other", GROUP_DENIED, -1)]);
    let found = alice.send(&find(1, &["tx-mine", "tx-other"]), 4).await.unwrap();
    let keys: Vec<(&str, i16, i32)> = found.coordinators.iter().map(|c| (c.key.as_str(), c.error_code, c.node_id)).collect();
    assert_eq!(sorted(keys), [("tx-mine", 0, 1), ("tx-other", TXN_DENIED, -1)]);

    // OffsetDelete (DELETE on the group, READ per topic), then DeleteGroups per group.
    let delete_offsets = OffsetDeleteRequest::default().with_group_id("mine".into()).with_topics(
        ["open", "secret"]
            .map(|t| {
                kafka_testkit::protocol::messages::offset_delete_request::OffsetDeleteRequestTopic::default()
                    .with_name(t.into())
                    .with_partitions(vec![
                        kafka_testkit::protocol::messages::offset_delete_request::OffsetDeleteRequestPartition::default()
                            .with_partition_index(0),
                    ])
            })
            .to_vec(),
    );
    let deleted = alice.send(&delete_offsets, 0).await.unwrap();
    assert_eq!(deleted.error_code, 0, "{deleted:?}");
    let answered: Vec<(&str, i16)> = deleted.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code)).collect();
    assert_eq!(sorted(answered), [("open", 0), ("secret", TOPIC_DENIED)]);

    let delete = DeleteGroupsRequest::default().with_groups_names(vec!["mine".into(), "other".into()]);
    let deleted = alice.send(&delete, 2).await.unwrap();
    let results: Vec<(&str, i16)> = deleted.results.iter().map(|r| (r.group_id.as_str(), r.error_code)).collect();
    assert_eq!(sorted(results), [("mine", 0), ("other", GROUP_DENIED)]);
    let listed = admin.send(&ListGroupsRequest::default(), 4).await.unwrap();
    let ids: Vec<&str> = listed.groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(ids, ["other"]);
}

#[tokio::test]
async fn transactions_are_checked_per_transactional_id() {
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    // Two ongoing transactions touching both topics.
    for id in ["tx-mine", "tx-other"] {
        let init = InitProducerIdRequest::default()
            .with_transactional_id(Some(id.into()))
            .with_transaction_timeout_ms(60_000)
            .with_producer_id(-1)
            .with_producer_epoch(-1);
        let init = admin.send(&init, 4).await.unwrap();
        assert_eq!(init.error_code, 0);
        let add = AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(id.into())
            .with_v3_and_below_producer_id(init.producer_id)
            .with_v3_and_below_producer_epoch(init.producer_epoch)
            .with_v3_and_below_topics(
                ["open", "secret"].map(|t| AddPartitionsToTxnTopic::default().with_name(t.into()).with_partitions(vec![0])).to_vec(),
            );
        let added = admin.send(&add, 3).await.unwrap();
        assert!(added.results_by_topic_v3_and_below.iter().all(|t| t.results_by_partition[0].partition_error_code == 0), "{added:?}");
    }
    grant(&mut admin, &[(TRANSACTIONAL_ID, "tx-mine", DESCRIBE), (TRANSACTIONAL_ID, "tx-mine", WRITE), (TOPIC, "open", WRITE)]).await;

    // DescribeTransactions: per id; topics the caller may not describe are left out.
    let describe = DescribeTransactionsRequest::default().with_transactional_ids(vec!["tx-mine".into(), "tx-other".into()]);
    let described = alice.send(&describe, 0).await.unwrap();
    let states: Vec<(&str, i16, Vec<&str>)> = described
        .transaction_states
        .iter()
        .map(|s| (s.transactional_id.as_str(), s.error_code, s.topics.iter().map(|t| t.topic.as_str()).collect()))
        .collect();
    assert_eq!(sorted(states), [("tx-mine", 0, vec!["open"]), ("tx-other", TXN_DENIED, vec![])]);

    // ListTransactions leaves out ids without DESCRIBE.
    let listed = alice.send(&ListTransactionsRequest::default().with_duration_filter(-1), 1).await.unwrap();
    let ids: Vec<&str> = listed.transaction_states.iter().map(|s| s.transactional_id.as_str()).collect();
    assert_eq!(ids, ["tx-mine"]);
    let listed = admin.send(&ListTransactionsRequest::default().with_duration_filter(-1), 1).await.unwrap();
    assert_eq!(listed.transaction_states.len(), 2);

    // AddPartitionsToTxn v3 with one topic without WRITE fails as a whole.
    let add = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id("tx-mine".into())
        .with_v3_and_below_producer_id(0)
        .with_v3_and_below_producer_epoch(0)
        .with_v3_and_below_topics(["open", "secret"].map(|t| AddPartitionsToTxnTopic::default().with_name(t.into()).with_partitions(vec![0])).to_vec());
    let added = alice.send(&add, 3).await.unwrap();
    let codes: Vec<(&str, i16)> =
        added.results_by_topic_v3_and_below.iter().map(|t| (t.name.as_str(), t.results_by_partition[0].partition_error_code)).collect();
    assert_eq!(sorted(codes), [("open", OPERATION_NOT_ATTEMPTED), ("secret", TOPIC_DENIED)]);
}

#[tokio::test]
async fn without_an_authorizer_bitfields_report_every_supported_operation() {
    let cluster = Cluster::builder().topic("open", 1, 1).seed(11).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let request = DescribeClusterRequest::default().with_include_cluster_authorized_operations(true).with_endpoint_type(1);
    // CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE.
    let cluster_ops = bits(&[CREATE, 9, DESCRIBE_CONFIGS, ALTER_CONFIGS, 12, ALTER, DESCRIBE]);
    assert_eq!(c.send(&request, 1).await.unwrap().cluster_authorized_operations, cluster_ops);
    let meta = c.send(&metadata(&["open"]), 10).await.unwrap();
    assert_eq!(meta.cluster_authorized_operations, cluster_ops);
    // READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
    let topic_ops = bits(&[READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS]);
    assert_eq!(meta.topics[0].topic_authorized_operations, topic_ops);
    let described = c.send(&DescribeTopicPartitionsRequest::default().with_response_partition_limit(10), 0).await.unwrap();
    assert_eq!(described.topics[0].topic_authorized_operations, topic_ops);
}

#[tokio::test]
async fn other_per_topic_apis_and_consumer_group_describe() {
    use kafka_testkit::protocol::messages::create_partitions_request::CreatePartitionsTopic;
    use kafka_testkit::protocol::messages::delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
    use kafka_testkit::protocol::messages::describe_producers_request::TopicRequest as ProducersTopic;
    use kafka_testkit::protocol::messages::offset_for_leader_epoch_request::{OffsetForLeaderPartition, OffsetForLeaderTopic};
    use kafka_testkit::protocol::messages::txn_offset_commit_request::{TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic};
    let cluster = cluster().await;
    let mut admin = login(&cluster, "admin").await;
    let mut alice = login(&cluster, "alice").await;
    grant(
        &mut admin,
        &[
            (TOPIC, "open", READ),
            (TOPIC, "open", DELETE),
            (TOPIC, "open", ALTER),
            (GROUP, "cg", DESCRIBE),
            (GROUP, "g", READ),
            (TRANSACTIONAL_ID, "tx", WRITE),
        ],
    )
    .await;
    let pairs = ["open", "secret"];

    // DeleteRecords: DELETE per topic.
    let delete = DeleteRecordsRequest::default().with_timeout_ms(5000).with_topics(
        pairs
            .map(|t| {
                DeleteRecordsTopic::default()
                    .with_name(t.into())
                    .with_partitions(vec![DeleteRecordsPartition::default().with_partition_index(0).with_offset(0)])
            })
            .to_vec(),
    );
    let deleted = alice.send(&delete, 2).await.unwrap();
    let answered: Vec<(&str, i16, i64)> =
        deleted.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code, t.partitions[0].low_watermark)).collect();
    assert_eq!(sorted(answered), [("open", 0, 0), ("secret", TOPIC_DENIED, -1)]);

    // OffsetForLeaderEpoch: DESCRIBE per topic (READ implies it).
    let epochs = OffsetForLeaderEpochRequest::default().with_replica_id(-1).with_topics(
        pairs
            .map(|t| {
                OffsetForLeaderTopic::default().with_topic(t.into()).with_partitions(vec![OffsetForLeaderPartition::default()
                    .with_partition(0)
                    .with_current_leader_epoch(-1)
                    .with_leader_epoch(0)])
            })
            .to_vec(),
    );
    let answered = alice.send(&epochs, 4).await.unwrap();
    let answered: Vec<(&str, i16)> = answered.topics.iter().map(|t| (t.topic.as_str(), t.partitions[0].error_code)).collect();
    assert_eq!(sorted(answered), [("open", 0), ("secret", TOPIC_DENIED)]);

    // DescribeProducers: READ per topic.
    let producers = DescribeProducersRequest::default()
        .with_topics(pairs.map(|t| ProducersTopic::default().with_name(t.into()).with_partition_indexes(vec![0])).to_vec());
    let described = alice.send(&producers, 0).await.unwrap();
    let answered: Vec<(&str, i16)> = described.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code)).collect();
    assert_eq!(sorted(answered), [("open", 0), ("secret", TOPIC_DENIED)]);

    // CreatePartitions: ALTER per topic.
    let grow = CreatePartitionsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(pairs.map(|t| CreatePartitionsTopic::default().with_name(t.into()).with_count(2).with_assignments(None)).to_vec());
    let grown = alice.send(&grow, 3).await.unwrap();
    let answered: Vec<(&str, i16)> = grown.results.iter().map(|t| (t.name.as_str(), t.error_code)).collect();
    assert_eq!(sorted(answered), [("open", 0), ("secret", TOPIC_DENIED)]);
    let meta = admin.send(&metadata(&["open", "secret"]), 10).await.unwrap();
    let counts: Vec<(Option<&str>, usize)> = meta.topics.iter().map(|t| (t.name.as_deref(), t.partitions.len())).collect();
    assert_eq!(sorted(counts), [(Some("open"), 2), (Some("secret"), 1)]);

    // TxnOffsetCommit: READ per topic; with every topic denied the coordinators are not asked.
    let txn_commit = TxnOffsetCommitRequest::default()
        .with_transactional_id("tx".into())
        .with_group_id("g".into())
        .with_producer_id(1)
        .with_producer_epoch(0)
        .with_topics(vec![TxnOffsetCommitRequestTopic::default().with_name("secret".into()).with_partitions(vec![
            TxnOffsetCommitRequestPartition::default().with_partition_index(0).with_committed_offset(1),
        ])]);
    let committed = alice.send(&txn_commit, 3).await.unwrap();
    let answered: Vec<(&str, i16)> = committed.topics.iter().map(|t| (t.name.as_str(), t.partitions[0].error_code)).collect();
    assert_eq!(answered, [("secret", TOPIC_DENIED)]);

    // ConsumerGroupDescribe: DESCRIBE per group, and the bitfield for the described group.
    let join = ConsumerGroupHeartbeatRequest::default()
        .with_group_id("cg".into())
        .with_member_id(String::new())
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(20_000)
        .with_subscribed_topic_names(Some(vec!["open".into()]))
        .with_topic_partitions(Some(Vec::new()));
    let joined = admin.send(&join, 0).await.unwrap();
    assert_eq!(joined.error_code, 0, "{joined:?}");
    let describe = ConsumerGroupDescribeRequest::default()
        .with_group_ids(vec!["cg".into(), "hidden".into()])
        .with_include_authorized_operations(true);
    let described = alice.send(&describe, 0).await.unwrap();
    let groups: Vec<(&str, i16, i32)> =
        described.groups.iter().map(|g| (g.group_id.as_str(), g.error_code, g.authorized_operations)).collect();
    assert_eq!(sorted(groups), [("cg", 0, bits(&[DESCRIBE])), ("hidden", GROUP_DENIED, OMITTED)]);
    assert_eq!(described.groups.iter().find(|g| g.group_id == "cg").map(|g| g.members.len()), Some(1));
}

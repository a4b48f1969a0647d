//! Raw-protocol tests of the config and quota APIs (DescribeConfigs, AlterConfigs,
//! IncrementalAlterConfigs, DescribeClientQuotas, AlterClientQuotas), the CreateTopics config
//! check, and the `set_topic_config` / `set_throttle` control calls, over a real socket.

mod support;

use kafka_testkit::codes;
use kafka_testkit::protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_testkit::protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_testkit::protocol::messages::*;
use kafka_testkit::testing::TestClient;
use kafka_testkit::{ApiKey, Cluster};
use support::*;

const TOPIC: i8 = 2;
const SET: i8 = 0;
const DELETE: i8 = 1;

async fn client(cluster: &Cluster) -> TestClient {
    TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap()
}

/// The topic's configs as (name -> (value, source)).
async fn describe(c: &mut TestClient, topic: &str) -> describe_configs_response::DescribeConfigsResult {
    let req = DescribeConfigsRequest::default().with_resources(vec![describe_configs_request::DescribeConfigsResource::default()
        .with_resource_type(TOPIC)
        .with_resource_name(topic.into())
        .with_configuration_keys(None)]);
    let mut resp = c.send(&req, 4).await.unwrap();
    assert_eq!(resp.results.len(), 1);
    resp.results.remove(0)
}

fn value_of(r: &describe_configs_response::DescribeConfigsResult, key: &str) -> (Option<String>, i8) {
    let c = r.configs.iter().find(|c| c.name == key).unwrap_or_else(|| panic!("{key} not described"));
    (c.value.clone(), c.config_source)
}

fn incremental(topic: &str, ops: &[(&str, i8, Option<&str>)]) -> IncrementalAlterConfigsRequest {
    IncrementalAlterConfigsRequest::default().with_resources(vec![incremental_alter_configs_request::AlterConfigsResource::default()
        .with_resource_type(TOPIC)
        .with_resource_name(topic.into())
        .with_configs(
            ops.iter()
                .map(|(k, op, v)| {
                    incremental_alter_configs_request::AlterableConfig::default()
                        .with_name((*k).into())
                        .with_config_operation(*op)
                        .with_value(v.map(Into::into))
                })
                .collect(),
        )])
}

#[tokio::test]
async fn describe_configs_reports_overrides_and_defaults_of_a_topic() {
    let cluster = Cluster::builder().topic_with_configs("t", 1, 1, [("retention.ms", "1000")]).build().await.unwrap();
    let mut c = client(&cluster).await;
    let r = describe(&mut c, "t").await;
    assert_eq!(r.error_code, 0);
    // DYNAMIC_TOPIC_CONFIG = 1, DEFAULT_CONFIG = 5 (KIP-226).
    assert_eq!(value_of(&r, "retention.ms"), (Some("1000".into()), 1));
    assert_eq!(value_of(&r, "cleanup.policy"), (Some("delete".into()), 5));
    let missing = describe(&mut c, "nope").await;
    assert_eq!(missing.error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);
}

#[tokio::test]
async fn alter_configs_replaces_overrides_and_produce_obeys_them() {
    let cluster = Cluster::builder().topic_with_configs("t", 1, 1, [("retention.ms", "1000")]).build().await.unwrap();
    let mut c = client(&cluster).await;
    let req = AlterConfigsRequest::default().with_resources(vec![alter_configs_request::AlterConfigsResource::default()
        .with_resource_type(TOPIC)
        .with_resource_name("t".into())
        .with_configs(vec![alter_configs_request::AlterableConfig::default()
            .with_name("max.message.bytes".into())
            .with_value(Some("100".into()))])]);
    let resp = c.send(&req, 2).await.unwrap();
    assert_eq!(resp.responses[0].error_code, 0, "{:?}", resp.responses[0].error_message);
    let r = describe(&mut c, "t").await;
    assert_eq!(value_of(&r, "max.message.bytes"), (Some("100".into()), 1));
    // AlterConfigs replaces the whole set: the retention override is gone.
    assert_eq!(value_of(&r, "retention.ms").1, 5);
    let big = vec![b'x'; 200];
    let resp = c.send(&produce("t", 0, &[&big], 1), 9).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, codes::MESSAGE_TOO_LARGE);
}

#[tokio::test]
async fn incremental_alter_configs_sets_and_deletes_one_key() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster).await;
    let resp = c.send(&incremental("t", &[("retention.ms", SET, Some("5000"))]), 1).await.unwrap();
    assert_eq!(resp.responses[0].error_code, 0, "{:?}", resp.responses[0].error_message);
    assert_eq!(value_of(&describe(&mut c, "t").await, "retention.ms"), (Some("5000".into()), 1));
    let resp = c.send(&incremental("t", &[("retention.ms", DELETE, None)]), 1).await.unwrap();
    assert_eq!(resp.responses[0].error_code, 0);
    assert_eq!(value_of(&describe(&mut c, "t").await, "retention.ms"), (Some("604800000".into()), 5));
}

#[tokio::test]
async fn unknown_config_keys_are_invalid_config_naming_the_key() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster).await;
    let resp = c.send(&incremental("t", &[("no.such.key", SET, Some("1"))]), 1).await.unwrap();
    assert_eq!(resp.responses[0].error_code, codes::INVALID_CONFIG);
    assert!(resp.responses[0].error_message.as_deref().unwrap_or_default().contains("no.such.key"));
    let create = CreateTopicsRequest::default().with_topics(vec![CreatableTopic::default()
        .with_name("u".into())
        .with_num_partitions(1)
        .with_replication_factor(1)
        .with_configs(vec![CreatableTopicConfig::default().with_name("no.such.key".into()).with_value(Some("1".into()))])]);
    let resp = c.send(&create, 7).await.unwrap();
    assert_eq!(resp.topics[0].error_code, codes::INVALID_CONFIG);
    assert!(resp.topics[0].error_message.as_deref().unwrap_or_default().contains("no.such.key"));
    assert!(!cluster.topic_names().await.unwrap().contains(&"u".to_owned()));
    // A bad value of a known key is refused too.
    let resp = c.send(&incremental("t", &[("retention.ms", SET, Some("soon"))]), 1).await.unwrap();
    assert_eq!(resp.responses[0].error_code, codes::INVALID_CONFIG);
}

#[tokio::test]
async fn create_topics_records_overrides_and_delete_topics_forgets_them() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster).await;
    let create = |configs: Vec<CreatableTopicConfig>| {
        CreateTopicsRequest::default().with_topics(vec![CreatableTopic::default()
            .with_name("n".into())
            .with_num_partitions(1)
            .with_replication_factor(1)
            .with_configs(configs)])
    };
    let resp = c
        .send(&create(vec![CreatableTopicConfig::default().with_name("retention.bytes".into()).with_value(Some("4096".into()))]), 7)
        .await
        .unwrap();
    assert_eq!(resp.topics[0].error_code, 0);
    let listed = resp.topics[0].configs.as_ref().unwrap();
    let rb = listed.iter().find(|c| c.name == "retention.bytes").unwrap();
    assert_eq!((rb.value.as_deref(), rb.config_source), (Some("4096"), 1));
    assert_eq!(value_of(&describe(&mut c, "n").await, "retention.bytes"), (Some("4096".into()), 1));
    let del = DeleteTopicsRequest::default().with_topics(vec![DeleteTopicState::default().with_name(Some("n".into()))]);
    assert_eq!(c.send(&del, 6).await.unwrap().responses[0].error_code, 0);
    assert_eq!(c.send(&create(vec![]), 7).await.unwrap().topics[0].error_code, 0);
    assert_eq!(value_of(&describe(&mut c, "n").await, "retention.bytes"), (Some("-1".into()), 5));
}

#[tokio::test]
async fn set_topic_config_switches_a_topic_to_log_append_time() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster).await;
    let resp = c.send(&produce("t", 0, &[b"a"], 1), 9).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].log_append_time_ms, -1);
    cluster.set_topic_config("t", "message.timestamp.type", Some("LogAppendTime")).await.unwrap();
    let resp = c.send(&produce("t", 0, &[b"b"], 1), 9).await.unwrap();
    assert!(resp.responses[0].partition_responses[0].log_append_time_ms > 0);
    let err = cluster.set_topic_config("t", "message.timestamp.type", Some("Sometimes")).await.unwrap_err();
    assert!(err.to_string().contains("message.timestamp.type"), "{err}");
}

#[tokio::test]
async fn client_quotas_alter_then_describe() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster).await;
    let alter = AlterClientQuotasRequest::default().with_entries(vec![alter_client_quotas_request::EntryData::default()
        .with_entity(vec![alter_client_quotas_request::EntityData::default()
            .with_entity_type("client-id".into())
            .with_entity_name(Some("app".into()))])
        .with_ops(vec![alter_client_quotas_request::OpData::default()
            .with_key("producer_byte_rate".into())
            .with_value(1024.0)])]);
    let resp = c.send(&alter, 1).await.unwrap();
    assert_eq!(resp.entries[0].error_code, 0, "{:?}", resp.entries[0].error_message);
    let describe = DescribeClientQuotasRequest::default().with_components(vec![describe_client_quotas_request::ComponentData::default()
        .with_entity_type("client-id".into())
        .with_match_type(0)
        .with_match(Some("app".into()))]);
    let resp = c.send(&describe, 1).await.unwrap();
    assert_eq!(resp.error_code, 0);
    let entries = resp.entries.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entity[0].entity_name.as_deref(), Some("app"));
    assert_eq!((entries[0].values[0].key.as_str(), entries[0].values[0].value), ("producer_byte_rate", 1024.0));
}

#[tokio::test]
async fn set_throttle_reports_throttle_time_to_that_client_and_api_only() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    cluster.set_throttle(Some("slow"), ApiKey::Metadata, 250).await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let mut slow = TestClient::connect(addr).await.unwrap().with_client_id(Some("slow"));
    let mut fast = TestClient::connect(addr).await.unwrap().with_client_id(Some("fast"));
    assert_eq!(slow.send(&metadata(&["t"]), 12).await.unwrap().throttle_time_ms, 250);
    assert_eq!(fast.send(&metadata(&["t"]), 12).await.unwrap().throttle_time_ms, 0);
    let resp = slow.send(&produce("t", 0, &[b"a"], 1), 9).await.unwrap();
    assert_eq!(resp.throttle_time_ms, 0);
    cluster.set_throttle(Some("slow"), ApiKey::Metadata, -1).await.unwrap();
    assert_eq!(slow.send(&metadata(&["t"]), 12).await.unwrap().throttle_time_ms, 0);
}

#[tokio::test]
async fn elect_leaders_moves_leadership_back_to_the_preferred_replica() {
    let cluster = Cluster::builder().brokers(3).topic("t", 1, 3).build().await.unwrap();
    let before = cluster.partition_state("t", 0).await.unwrap().unwrap();
    let preferred = before.replicas[0];
    let other = before.replicas[1];
    cluster.move_leader("t", 0, other).await.unwrap();
    let mut c = client(&cluster).await;
    let req = |parts: Option<Vec<i32>>| {
        ElectLeadersRequest::default().with_election_type(0).with_topic_partitions(
            parts.map(|p| vec![elect_leaders_request::TopicPartitions::default().with_topic("t".into()).with_partitions(p)]),
        )
    };
    let resp = c.send(&req(Some(vec![0, 7])), 2).await.unwrap();
    let results = &resp.replica_election_results[0].partition_result;
    assert_eq!((results[0].partition_id, results[0].error_code), (0, 0));
    assert_eq!((results[1].partition_id, results[1].error_code), (7, codes::UNKNOWN_TOPIC_OR_PARTITION));
    let after = cluster.partition_state("t", 0).await.unwrap().unwrap();
    assert_eq!(after.leader, Some(preferred));
    assert_eq!(after.leader_epoch, before.leader_epoch + 2);
    // Already preferred: ELECTION_NOT_NEEDED when named, left out when electing everything.
    let resp = c.send(&req(Some(vec![0])), 2).await.unwrap();
    assert_eq!(resp.replica_election_results[0].partition_result[0].error_code, 84);
    assert!(c.send(&req(None), 2).await.unwrap().replica_election_results.is_empty());
}

#[tokio::test]
async fn alter_partition_reassignments_applies_replicas_and_moves_the_leader() {
    let cluster = Cluster::builder().brokers(3).topic("t", 1, 1).build().await.unwrap();
    let before = cluster.partition_state("t", 0).await.unwrap().unwrap();
    let new: Vec<i32> = [1, 2, 3].into_iter().filter(|b| Some(*b) != before.leader).collect();
    let mut c = client(&cluster).await;
    let req = |replicas: Option<Vec<i32>>| {
        AlterPartitionReassignmentsRequest::default().with_topics(vec![alter_partition_reassignments_request::ReassignableTopic::default()
            .with_name("t".into())
            .with_partitions(vec![alter_partition_reassignments_request::ReassignablePartition::default()
                .with_partition_index(0)
                .with_replicas(replicas)])])
    };
    let resp = c.send(&req(Some(new.clone())), 0).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, 0, "{:?}", resp.responses[0].partitions[0].error_message);
    let after = cluster.partition_state("t", 0).await.unwrap().unwrap();
    assert_eq!((after.replicas.clone(), after.leader, after.leader_epoch), (new.clone(), Some(new[0]), before.leader_epoch + 1));
    let resp = c.send(&req(Some(vec![1, 9])), 0).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, codes::INVALID_REPLICA_ASSIGNMENT);
    let resp = c.send(&req(None), 0).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, 85); // NO_REASSIGNMENT_IN_PROGRESS
    let listed = c.send(&ListPartitionReassignmentsRequest::default(), 0).await.unwrap();
    assert_eq!((listed.error_code, listed.topics.len()), (0, 0));
}

#[tokio::test]
async fn describe_log_dirs_reports_partition_sizes_of_the_broker() {
    let cluster = Cluster::builder().topic("t", 2, 1).build().await.unwrap();
    let mut c = client(&cluster).await;
    let produced = c.send(&produce("t", 0, &[b"hello"], 1), 9).await.unwrap();
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
    let resp = c.send(&DescribeLogDirsRequest::default().with_topics(None), 4).await.unwrap();
    assert_eq!(resp.results.len(), 1);
    let dir = &resp.results[0];
    assert_eq!(dir.error_code, 0);
    let t = dir.topics.iter().find(|t| t.name == "t").unwrap();
    let size = |i: i32| t.partitions.iter().find(|p| p.partition_index == i).unwrap().partition_size;
    let batch_len = kafka_testkit::testing::record_batch(&[b"hello"], 1_000).len() as i64;
    assert_eq!((size(0), size(1)), (batch_len, 0));
}

#[tokio::test]
async fn create_topics_refuses_null_config_values_and_kafka_4_drops_removed_configs() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster).await;
    let create = |name: &str, key: &str, value: Option<&str>| {
        CreateTopicsRequest::default().with_topics(vec![CreatableTopic::default()
            .with_name(name.into())
            .with_num_partitions(1)
            .with_replication_factor(1)
            .with_configs(vec![CreatableTopicConfig::default().with_name(key.into()).with_value(value.map(Into::into))])])
    };
    let resp = c.send(&create("n", "retention.ms", None), 7).await.unwrap();
    assert_eq!(resp.topics[0].error_code, codes::INVALID_CONFIG);
    assert!(resp.topics[0].error_message.as_deref().unwrap_or_default().contains("retention.ms"));
    // message.format.version exists in 3.x and is gone in 4.0.
    let resp = c.send(&create("old", "message.format.version", Some("3.0")), 7).await.unwrap();
    assert_eq!(resp.topics[0].error_code, 0, "{:?}", resp.topics[0].error_message);
    let v4 = Cluster::builder().kafka_version(kafka_testkit::KafkaVersion::V4_0).build().await.unwrap();
    let mut c4 = client(&v4).await;
    let resp = c4.send(&create("old", "message.format.version", Some("3.0")), 7).await.unwrap();
    assert_eq!(resp.topics[0].error_code, codes::INVALID_CONFIG);
}

#[tokio::test]
async fn set_throttle_also_reaches_parked_fetches() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    cluster.set_throttle(Some("slow"), ApiKey::Fetch, 40).await.unwrap();
    let mut c = client(&cluster).await.with_client_id(Some("slow"));
    // Nothing to read and max_wait 20 ms: the fetch parks, then answers at its deadline.
    let req = fetch("t", kafka_testkit::protocol::Uuid::ZERO, 0, 0).with_max_wait_ms(20);
    let resp = c.send(&req, 12).await.unwrap();
    assert_eq!(resp.throttle_time_ms, 40);
    assert_eq!(resp.responses[0].partitions[0].records.as_ref().map_or(0, |r| r.len()), 0);
    // Data already there: answered at once, throttled too.
    c.send(&produce("t", 0, &[b"a"], 1), 9).await.unwrap();
    assert_eq!(c.send(&fetch("t", kafka_testkit::protocol::Uuid::ZERO, 0, 0), 12).await.unwrap().throttle_time_ms, 40);
}

#[tokio::test]
async fn acks_all_needs_min_insync_replicas_live_replicas() {
    let cluster = Cluster::builder().topic_with_configs("t", 1, 1, [("min.insync.replicas", "2")]).build().await.unwrap();
    let mut c = client(&cluster).await;
    let resp = c.send(&produce("t", 0, &[b"a"], -1), 9).await.unwrap();
    let p = &resp.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 19, "{:?}", p.error_message); // NOT_ENOUGH_REPLICAS
    assert!(p.error_message.as_deref().unwrap_or_default().contains("min.insync.replicas"));
    // acks=1 does not care.
    assert_eq!(c.send(&produce("t", 0, &[b"a"], 1), 9).await.unwrap().responses[0].partition_responses[0].error_code, 0);
    cluster.set_topic_config("t", "min.insync.replicas", None).await.unwrap();
    assert_eq!(c.send(&produce("t", 0, &[b"a"], -1), 9).await.unwrap().responses[0].partition_responses[0].error_code, 0);
}

#[tokio::test]
async fn acks_all_fails_when_a_replica_broker_is_down() {
    let cluster = Cluster::builder().brokers(2).topic_with_configs("t", 1, 2, [("min.insync.replicas", "2")]).build().await.unwrap();
    let state = cluster.partition_state("t", 0).await.unwrap().unwrap();
    let leader = state.leader.unwrap();
    let follower = state.replicas.iter().copied().find(|r| *r != leader).unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
    assert_eq!(c.send(&produce("t", 0, &[b"a"], -1), 9).await.unwrap().responses[0].partition_responses[0].error_code, 0);
    cluster.broker_down(follower).await.unwrap();
    assert_eq!(c.send(&produce("t", 0, &[b"a"], -1), 9).await.unwrap().responses[0].partition_responses[0].error_code, 19);
}

#[tokio::test]
async fn create_time_topics_refuse_timestamps_outside_the_configured_window() {
    let cluster = Cluster::builder().topic_with_configs("t", 1, 1, [("message.timestamp.before.max.ms", "60000")]).build().await.unwrap();
    let mut c = client(&cluster).await;
    // record_batch(.., 1_000): a 1970 timestamp, far more than a minute old.
    let p = c.send(&produce("t", 0, &[b"old"], 1), 9).await.unwrap().responses[0].partition_responses[0].clone();
    assert_eq!(p.error_code, 32, "{:?}", p.error_message); // INVALID_TIMESTAMP
    cluster.set_topic_config("t", "message.timestamp.type", Some("LogAppendTime")).await.unwrap();
    let p = c.send(&produce("t", 0, &[b"old"], 1), 9).await.unwrap().responses[0].partition_responses[0].clone();
    assert_eq!(p.error_code, 0, "LogAppendTime topics overwrite timestamps instead: {:?}", p.error_message);
}

#[tokio::test]
async fn injected_request_errors_encode_at_every_version() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster).await;
    macro_rules! check {
        ($($api:ident => $req:expr, $versions:expr;)*) => {$(
            cluster.faults().fail(ApiKey::$api, 100, codes::INVALID_REQUEST).await.unwrap();
            for v in $versions {
                c.send(&$req, v).await.unwrap_or_else(|e| panic!("{} v{v}: {e}", stringify!($api)));
            }
            cluster.faults().clear().await.unwrap();
        )*};
    }
    check! {
        DescribeConfigs => DescribeConfigsRequest::default(), 0..=4;
        AlterConfigs => AlterConfigsRequest::default(), 0..=2;
        IncrementalAlterConfigs => IncrementalAlterConfigsRequest::default(), 0..=1;
        DescribeClientQuotas => DescribeClientQuotasRequest::default(), 0..=1;
        AlterClientQuotas => AlterClientQuotasRequest::default(), 0..=1;
        ElectLeaders => ElectLeadersRequest::default().with_topic_partitions(Some(vec![
            elect_leaders_request::TopicPartitions::default().with_topic("t".into()).with_partitions(vec![0])])), 0..=2;
        AlterPartitionReassignments => AlterPartitionReassignmentsRequest::default(), 0..=0;
        ListPartitionReassignments => ListPartitionReassignmentsRequest::default(), 0..=0;
        DescribeLogDirs => DescribeLogDirsRequest::default(), 0..=4;
    }
}

#[tokio::test]
async fn describe_configs_of_the_broker_reflects_the_builder() {
    let cluster = Cluster::builder().default_partitions(4).auto_create_topics(false).build().await.unwrap();
    let mut c = client(&cluster).await;
    let req = DescribeConfigsRequest::default().with_resources(vec![describe_configs_request::DescribeConfigsResource::default()
        .with_resource_type(4) // BROKER
        .with_resource_name("1".into())
        .with_configuration_keys(Some(vec!["num.partitions".into(), "auto.create.topics.enable".into()]))]);
    let resp = c.send(&req, 4).await.unwrap();
    let r = &resp.results[0];
    assert_eq!(r.error_code, 0, "{:?}", r.error_message);
    assert_eq!(value_of(r, "num.partitions").0.as_deref(), Some("4"));
    assert_eq!(value_of(r, "auto.create.topics.enable").0.as_deref(), Some("false"));
}

//! `data_dir`: topics and batches survive a restart.

mod support;

use kafka_testkit::protocol::messages::delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
use kafka_testkit::protocol::messages::DeleteRecordsRequest;
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::TestClient;
use kafka_testkit::Cluster;
use support::*;

#[tokio::test]
async fn topics_and_batches_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("kafka-testkit-persist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let (cluster_id, topic_id) = {
        let cluster = Cluster::builder()
            .brokers(2)
            .topic_with_configs("kept", 2, 2, [("retention.ms", "-1")])
            .data_dir(&dir)
            .build()
            .await
            .unwrap();
        let leader = cluster.partition_state("kept", 1).await.unwrap().unwrap().leader.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
        for i in 0..3u8 {
            c.send(&produce("kept", 1, &[&[i], &[i, i]], 1), 9).await.unwrap();
        }
        let req = DeleteRecordsRequest::default().with_topics(vec![DeleteRecordsTopic::default()
            .with_name("kept".into())
            .with_partitions(vec![DeleteRecordsPartition::default().with_partition_index(1).with_offset(2)])]);
        assert_eq!(c.send(&req, 2).await.unwrap().topics[0].partitions[0].error_code, 0);
        cluster.move_leader("kept", 1, leader).await.unwrap();
        cluster.create_topic("gone", 1, 1).await.unwrap();
        let topic_id = c.send(&metadata(&["kept"]), 12).await.unwrap().topics[0].topic_id;
        let id = cluster.cluster_id().await.unwrap();
        let mut c2 = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let del = kafka_testkit::protocol::messages::DeleteTopicsRequest::default().with_topic_names(vec!["gone".into()]);
        c2.send(&del, 5).await.unwrap();
        cluster.flush().await.unwrap();
        (id, topic_id)
    };

    // A different seed: everything that matters must come from the disk.
    let cluster = Cluster::builder().brokers(2).seed(99).data_dir(&dir).build().await.unwrap();
    assert_eq!(cluster.cluster_id().await.unwrap(), cluster_id);
    assert_eq!(cluster.topic_names().await.unwrap(), vec!["kept".to_string()]);
    let state = cluster.partition_state("kept", 1).await.unwrap().unwrap();
    assert_eq!((state.log_start_offset, state.high_watermark, state.leader_epoch), (2, 6, 1));
    let leader = state.leader.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
    assert_eq!(c.send(&metadata(&["kept"]), 12).await.unwrap().topics[0].topic_id, topic_id);
    let r = c.send(&fetch("kept", Uuid::ZERO, 1, 2), 12).await.unwrap();
    assert_eq!(base_offsets(r.responses[0].partitions[0].records.as_ref().unwrap()), vec![2, 4]);
    // New appends continue the offsets and persist too.
    let r = c.send(&produce("kept", 1, &[b"more"], 1), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].base_offset, 6);
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn altered_topic_configs_survive_a_restart() {
    use kafka_testkit::protocol::messages::describe_configs_request::DescribeConfigsResource;
    use kafka_testkit::protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    use kafka_testkit::protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};
    let dir = std::env::temp_dir().join(format!("kafka-testkit-persist-configs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let cluster = Cluster::builder().topic("c", 1, 1).data_dir(&dir).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name("c".into())
            .with_configs(vec![AlterableConfig::default()
                .with_name("max.message.bytes".into())
                .with_config_operation(0)
                .with_value(Some("100".into()))])]);
        assert_eq!(c.send(&req, 1).await.unwrap().responses[0].error_code, 0);
        cluster.set_topic_config("c", "retention.ms", Some("1234")).await.unwrap();
        cluster.flush().await.unwrap();
    }
    let cluster = Cluster::builder().data_dir(&dir).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let req = DescribeConfigsRequest::default().with_resources(vec![DescribeConfigsResource::default()
        .with_resource_type(2)
        .with_resource_name("c".into())
        .with_configuration_keys(Some(vec!["max.message.bytes".into(), "retention.ms".into()]))]);
    let resp = c.send(&req, 4).await.unwrap();
    let values: Vec<(String, Option<String>)> = resp.results[0].configs.iter().map(|c| (c.name.clone(), c.value.clone())).collect();
    assert_eq!(
        values,
        vec![("max.message.bytes".into(), Some("100".into())), ("retention.ms".into(), Some("1234".into()))]
    );
    // And produce obeys the reloaded limit.
    let big = vec![b'x'; 200];
    let r = c.send(&produce("c", 0, &[&big], 1), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].error_code, kafka_testkit::codes::MESSAGE_TOO_LARGE);
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

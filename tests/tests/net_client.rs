//! The client runtime (`kafka_protocol::net`) end to end against the in-process broker:
//! negotiation against version presets, routing to leaders and coordinators as they move,
//! injected errors, lost and dropped responses, brokers going down and up, pipelining.

use std::time::Duration;

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    DescribeClusterRequest, HeartbeatRequest, ListOffsetsRequest, MetadataRequest,
};
use kafka_protocol::ErrorCode;
use kafka_protocol::net::{Client, ClientConfig, ConnectionKind, CoordinatorKey, NetError};
use kafka_testkit::{ApiKey, Cluster, CloseWhen, CoordinatorType, KafkaVersion, RequestMatcher};
use tokio::time::Instant;

fn config(cluster: &Cluster) -> ClientConfig {
    ClientConfig::builder()
        .bootstrap_servers(cluster.bootstrap_servers().split(',').map(str::to_owned))
        .request_timeout(Duration::from_secs(3))
        .default_api_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(20))
        .reconnect_backoff_max(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(100))
        .jitter_seed(7)
        .build()
        .unwrap()
}

fn list_offsets(topic: &str, partition: i32) -> ListOffsetsRequest {
    ListOffsetsRequest::default().with_replica_id(-1).with_topics(vec![ListOffsetsTopic::default()
        .with_name(topic.into())
        .with_partitions(vec![ListOffsetsPartition::default()
            .with_partition_index(partition)
            .with_timestamp(-1)])])
}

async fn cluster(brokers: i32) -> Cluster {
    Cluster::builder().brokers(brokers).topic("orders", 4, brokers.min(3) as i16).seed(11).build().await.unwrap()
}

#[tokio::test]
async fn metadata_and_leaders_match_the_cluster() {
    let cluster = cluster(3).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    let meta = client.refresh_metadata(["orders"]).await.unwrap();
    assert_eq!(meta.brokers.len(), 3);
    assert_eq!(meta.cluster_id.as_deref(), Some(cluster.cluster_id().await.unwrap().as_str()));
    for p in 0..4 {
        let state = cluster.partition_state("orders", p).await.unwrap().unwrap();
        assert_eq!(client.leader_for("orders", p).await.unwrap(), state.leader.unwrap());
        assert_eq!(meta.topic("orders").unwrap().partition(p).unwrap().leader_epoch, state.leader_epoch);
    }
    let resp = client.send_to_leader("orders", 0, &list_offsets("orders", 0)).await.unwrap();
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    client.close().await;
}

#[tokio::test]
async fn every_kafka_version_preset_negotiates() {
    for preset in [KafkaVersion::V2_1, KafkaVersion::V2_8, KafkaVersion::V3_9, KafkaVersion::V4_0] {
        let cluster = Cluster::builder().brokers(1).topic("orders", 1, 1).kafka_version(preset).build().await.unwrap();
        let client = Client::connect(config(&cluster)).await.unwrap();
        let conn = client.connection(1, ConnectionKind::Default).await.unwrap();
        let theirs = preset.versions(ApiKey::Metadata).unwrap();
        let expected = theirs.max.min(ApiKey::Metadata.max_stable_version());
        assert_eq!(conn.negotiate::<MetadataRequest>().unwrap(), expected, "{preset:?}");
        let resp = client.send_to_leader("orders", 0, &list_offsets("orders", 0)).await.unwrap();
        assert_eq!(resp.topics[0].partitions[0].error_code, 0, "{preset:?}");
        let versions: Vec<i16> = cluster
            .requests_matching(ApiKey::Metadata)
            .await
            .unwrap()
            .iter()
            .map(|r| r.version)
            .collect();
        assert!(versions.iter().all(|v| *v == expected), "{preset:?}: {versions:?}");
    }
}

#[tokio::test]
async fn api_versions_falls_back_on_an_older_broker() {
    let cluster = Cluster::builder().brokers(1).cap_version(ApiKey::ApiVersions, 0, 2).build().await.unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    assert_eq!(client.metadata().brokers.len(), 1);
    let logged = cluster.requests_matching(ApiKey::ApiVersions).await.unwrap();
    assert!(logged.iter().any(|r| r.version == 2), "{:?}", logged.iter().map(|r| r.version).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_disabled_api_is_a_typed_error_before_sending() {
    let cluster = Cluster::builder().brokers(1).disable_api(ApiKey::DescribeCluster).build().await.unwrap();
    let client = Client::connect(config(&cluster)).await.unwrap();
    let err = client.send_to_broker(1, &DescribeClusterRequest::default()).await.unwrap_err();
    assert!(matches!(err, NetError::UnsupportedVersion { api: ApiKey::DescribeCluster, theirs: None, .. }), "{err:?}");
    assert!(cluster.requests_matching(ApiKey::DescribeCluster).await.unwrap().is_empty());
}

#[tokio::test]
async fn moved_leaders_are_followed() {
    let cluster = cluster(3).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    let old = client.leader_for("orders", 0).await.unwrap();
    let new = cluster.broker_ids().into_iter().find(|b| *b != old).unwrap();
    cluster.move_leader("orders", 0, new).await.unwrap();
    let resp = client.send_to_leader("orders", 0, &list_offsets("orders", 0)).await.unwrap();
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    assert_eq!(client.leader_for("orders", 0).await.unwrap(), new);
    let on_new = cluster.requests_matching(RequestMatcher::api(ApiKey::ListOffsets).broker(new)).await.unwrap();
    assert_eq!(on_new.len(), 1);
}

#[tokio::test]
async fn injected_stale_metadata_errors_are_retried_after_a_refresh() {
    let cluster = cluster(1).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    client.leader_for("orders", 0).await.unwrap();
    let metadata_before = cluster.requests_matching(ApiKey::Metadata).await.unwrap().len();
    cluster.faults().fail_partition(ApiKey::ListOffsets, "orders", 0, 2, ErrorCode::NotLeaderOrFollower).await.unwrap();
    let resp = client.send_to_leader("orders", 0, &list_offsets("orders", 0)).await.unwrap();
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    assert_eq!(cluster.requests_matching(ApiKey::ListOffsets).await.unwrap().len(), 3);
    assert!(cluster.requests_matching(ApiKey::Metadata).await.unwrap().len() > metadata_before);
}

#[tokio::test]
async fn not_coordinator_after_a_move_triggers_rediscovery() {
    let cluster = cluster(3).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    let key = CoordinatorKey::Group("g1".into());
    let first = client.coordinator(&key).await.unwrap();
    assert_eq!(first, cluster.coordinator(CoordinatorType::Group, "g1").await.unwrap());
    let other = cluster.broker_ids().into_iter().find(|b| *b != first).unwrap();
    cluster.move_coordinator(CoordinatorType::Group, "g1", other).await.unwrap();
    let heartbeat = HeartbeatRequest::default().with_group_id("g1".into()).with_member_id("m".into());
    let resp = client.send_to_coordinator(&key, &heartbeat).await.unwrap();
    // The group does not exist, so the new coordinator refuses the member, but it is the
    // new coordinator answering, not the old one saying NOT_COORDINATOR.
    assert_ne!(ErrorCode::from_i16(resp.error_code), ErrorCode::NotCoordinator);
    assert_eq!(client.coordinator(&key).await.unwrap(), other);
    let on_old = cluster.requests_matching(RequestMatcher::api(ApiKey::Heartbeat).broker(first)).await.unwrap();
    let on_new = cluster.requests_matching(RequestMatcher::api(ApiKey::Heartbeat).broker(other)).await.unwrap();
    assert_eq!((on_old.len(), on_new.len()), (1, 1));
    assert_eq!(cluster.requests_matching(ApiKey::FindCoordinator).await.unwrap().len(), 2);
    // Batched lookups (FindCoordinator v4+).
    let found = client
        .find_coordinators(&[CoordinatorKey::Group("a".into()), CoordinatorKey::Group("b".into())])
        .await
        .unwrap();
    assert!(found.iter().all(|(_, r)| r.is_ok()), "{found:?}");
    let last = cluster.requests_matching(ApiKey::FindCoordinator).await.unwrap();
    assert!(last.last().unwrap().version >= 4);
}

#[tokio::test]
async fn broker_down_fails_fast_then_recovers() {
    let cluster = cluster(1).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    let req = MetadataRequest::default().with_topics(Some(vec![]));
    client.send_to_broker(1, &req).await.unwrap();
    cluster.broker_down(1).await.unwrap();
    let started = Instant::now();
    loop {
        match client.send_to_broker(1, &req).await {
            Err(NetError::BrokerUnavailable { .. }) => break,
            Err(e) => assert!(e.is_connection_error(), "{e:?}"),
            Ok(_) => panic!("broker is down"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    cluster.broker_up(1).await.unwrap();
    let started = Instant::now();
    loop {
        match client.send_to_broker(1, &req).await {
            Ok(_) => break,
            Err(NetError::BrokerUnavailable { retry_in, .. }) => tokio::time::sleep(retry_in).await,
            Err(e) => assert!(e.is_retriable(), "{e:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never reconnected");
    }
}

#[tokio::test]
async fn closed_connection_fails_the_request_and_the_next_one_reconnects() {
    let cluster = cluster(1).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    client.leader_for("orders", 0).await.unwrap();
    cluster.faults().close_connection(ApiKey::ListOffsets, CloseWhen::Before).await.unwrap();
    let err = client.send_to_broker(1, &list_offsets("orders", 0)).await.unwrap_err();
    assert!(matches!(err, NetError::ConnectionLost { .. }), "{err:?}");
    client.send_to_broker(1, &list_offsets("orders", 0)).await.unwrap();
}

#[tokio::test]
async fn dropped_and_truncated_responses_are_typed_errors() {
    let cluster = cluster(1).await;
    let cfg = ClientConfig::from_properties([
        ("bootstrap.servers", cluster.bootstrap_servers().as_str()),
        ("request.timeout.ms", "300"),
    ])
    .unwrap();
    let client = Client::connect(cfg).await.unwrap();
    client.leader_for("orders", 0).await.unwrap();
    cluster.faults().drop_response(ApiKey::ListOffsets, 1).await.unwrap();
    let err = client.send_to_broker(1, &list_offsets("orders", 0)).await.unwrap_err();
    let NetError::ConnectionLost { cause, .. } = &err else { panic!("{err:?}") };
    assert!(matches!(&**cause, NetError::RequestTimeout { api: ApiKey::ListOffsets, .. }), "{cause:?}");
    cluster.faults().truncate_response(ApiKey::ListOffsets).await.unwrap();
    let err = client.send_to_broker(1, &list_offsets("orders", 0)).await.unwrap_err();
    assert!(matches!(err, NetError::Decode { api: ApiKey::ListOffsets, .. }), "{err:?}");
    // The frame boundary was intact, so the connection survives.
    client.send_to_broker(1, &list_offsets("orders", 0)).await.unwrap();
}

#[tokio::test]
async fn requests_are_pipelined_on_one_connection() {
    let cluster = cluster(1).await;
    let client = Client::connect(config(&cluster)).await.unwrap();
    client.leader_for("orders", 0).await.unwrap();
    let held = cluster.hold(ApiKey::ListOffsets).await.unwrap();
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send_to_broker(1, &list_offsets("orders", 0)).await })
        })
        .collect();
    let seen = held.wait_for_held(5, Duration::from_secs(5)).await.unwrap();
    let connections: std::collections::BTreeSet<u64> = seen.iter().map(|r| r.connection).collect();
    assert_eq!(connections.len(), 1, "all five on one connection, unanswered");
    held.release().await.unwrap();
    for call in calls {
        call.await.unwrap().unwrap();
    }
}

//! Fault injection, topology changes, holds and the request log.

mod support;

use std::time::Duration;

use kafka_testkit::codes;
use kafka_testkit::protocol::messages::{ApiVersionsRequest, FetchRequest, MetadataRequest, ProduceRequest};
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::{ClientError, TestClient};
use kafka_testkit::{ApiKey, CloseWhen, Cluster, CoordinatorType, Fault, FaultAction, RequestMatcher};
use support::*;

async fn client(cluster: &Cluster, broker: i32) -> TestClient {
    TestClient::connect(cluster.broker_addr(broker).unwrap()).await.unwrap()
}

async fn leader_of(cluster: &Cluster, topic: &str, partition: i32) -> i32 {
    cluster.partition_state(topic, partition).await.unwrap().unwrap().leader.unwrap()
}

#[tokio::test]
async fn request_level_and_partition_level_errors() {
    let cluster = Cluster::builder().topic("t", 2, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let l0 = leader_of(&cluster, "t", 0).await;
    assert_eq!(l0, 1);
    cluster.faults().fail(ApiKey::Produce, 2, codes::NOT_LEADER_OR_FOLLOWER).await.unwrap();
    for _ in 0..2 {
        let r = c.send(&produce("t", 0, &[b"x"], 1), 9).await.unwrap();
        assert_eq!(r.responses[0].partition_responses[0].error_code, codes::NOT_LEADER_OR_FOLLOWER);
    }
    let r = c.send(&produce("t", 0, &[b"x"], 1), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    assert_eq!(cluster.faults().pending().await.unwrap(), 0);

    // Partition-level: only partition 1 fails; partition 0 in the same request succeeds.
    cluster.faults().fail_partition(ApiKey::Produce, "t", 1, 1, codes::MESSAGE_TOO_LARGE).await.unwrap();
    let mut req = produce("t", 0, &[b"x"], 1);
    req.topic_data[0].partition_data.push(produce("t", 1, &[b"y"], 1).topic_data[0].partition_data[0].clone());
    let r = c.send(&req, 9).await.unwrap();
    let codes_seen: Vec<i16> = r.responses[0].partition_responses.iter().map(|p| p.error_code).collect();
    assert_eq!(codes_seen, vec![0, codes::MESSAGE_TOO_LARGE]);
    assert_eq!(cluster.partition_state("t", 1).await.unwrap().unwrap().high_watermark, 0);

    // Broker filter: a rule for broker 2 does not touch broker 1.
    cluster.faults().fail(RequestMatcher::api(ApiKey::Metadata).broker(2), 1, codes::LEADER_NOT_AVAILABLE).await.unwrap();
    assert_eq!(c.send(&metadata(&["t"]), 9).await.unwrap().topics[0].error_code, 0);
    // Whole-request error for Fetch uses the top-level error code.
    cluster.faults().fail(ApiKey::Fetch, 1, codes::INVALID_FETCH_SESSION_EPOCH).await.unwrap();
    assert_eq!(c.send(&fetch("t", Uuid::ZERO, 0, 0), 12).await.unwrap().error_code, codes::INVALID_FETCH_SESSION_EPOCH);
    cluster.faults().clear().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn delay_holds_the_response_back() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    c.timeout = Duration::from_secs(600);
    cluster.faults().delay(ApiKey::ApiVersions, Duration::from_secs(30)).await.unwrap();
    let started = tokio::time::Instant::now();
    c.send(&ApiVersionsRequest::default(), 3).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(30));
}

#[tokio::test]
async fn dropped_responses_and_closed_connections() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    c.timeout = Duration::from_millis(300);
    cluster.faults().drop_response(ApiKey::Metadata, 1).await.unwrap();
    assert!(matches!(c.send(&metadata(&["t"]), 9).await, Err(ClientError::Timeout(_))));

    // Close after: the produce takes effect but the connection closes unanswered.
    let mut c = client(&cluster, 1).await;
    cluster.faults().close_connection(ApiKey::Produce, CloseWhen::After).await.unwrap();
    assert!(c.send(&produce("t", 0, &[b"x"], 1), 9).await.is_err());
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 1);
    // Close before: no effect.
    let mut c = client(&cluster, 1).await;
    cluster.faults().close_connection(ApiKey::Produce, CloseWhen::Before).await.unwrap();
    assert!(c.send(&produce("t", 0, &[b"x"], 1), 9).await.is_err());
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 1);
}

#[tokio::test]
async fn corrupt_and_truncated_responses_fail_to_decode() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    cluster.faults().truncate_response(ApiKey::Metadata).await.unwrap();
    assert!(matches!(c.send(&metadata(&["t"]), 9).await, Err(ClientError::Decode(_))));
    let mut c = client(&cluster, 1).await;
    cluster.faults().corrupt_response(ApiKey::Metadata).await.unwrap();
    let corrupted = c.send(&metadata(&["t"]), 9).await;
    assert!(!matches!(&corrupted, Ok(r) if r.topics.len() == 1 && r.topics[0].name.as_deref() == Some("t")), "{corrupted:?}");
    // Rules are one-shot: the next request is answered normally.
    let mut c = client(&cluster, 1).await;
    assert_eq!(c.send(&metadata(&["t"]), 9).await.unwrap().topics[0].error_code, 0);
}

#[tokio::test]
async fn broker_down_refuses_connections_and_up_restores_the_same_port() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    let addr = cluster.broker_addr(2).unwrap();
    let mut open = client(&cluster, 2).await;
    cluster.broker_down(2).await.unwrap();
    assert!(open.is_closed(Duration::from_secs(5)).await, "open connection closed");
    assert!(TestClient::connect(addr).await.is_err(), "listener closed");
    // Broker 1 still serves, and lists broker 2's replicas as offline.
    let mut c = client(&cluster, 1).await;
    assert_eq!(c.send(&ApiVersionsRequest::default(), 3).await.unwrap().error_code, 0);
    cluster.broker_up(2).await.unwrap();
    assert_eq!(cluster.broker_addr(2).unwrap(), addr);
    let mut back = TestClient::connect(addr).await.unwrap();
    assert_eq!(back.send(&ApiVersionsRequest::default(), 3).await.unwrap().error_code, 0);
}

#[tokio::test]
async fn coordinator_on_a_down_broker_is_unavailable() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    cluster.move_coordinator(CoordinatorType::Group, "g", 2).await.unwrap();
    cluster.broker_down(2).await.unwrap();
    let mut c = client(&cluster, 1).await;
    let r = c
        .send(&kafka_testkit::protocol::messages::FindCoordinatorRequest::default().with_key("g".into()), 3)
        .await
        .unwrap();
    assert_eq!(r.error_code, codes::COORDINATOR_NOT_AVAILABLE);
}

#[tokio::test]
async fn move_leader_bumps_the_epoch_and_the_old_leader_redirects() {
    let cluster = Cluster::builder().brokers(3).topic("t", 1, 3).seed(3).build().await.unwrap();
    let old = leader_of(&cluster, "t", 0).await;
    let new = if old == 3 { 1 } else { old + 1 };
    cluster.move_leader("t", 0, new).await.unwrap();
    let state = cluster.partition_state("t", 0).await.unwrap().unwrap();
    assert_eq!((state.leader, state.leader_epoch), (Some(new), 1));
    let mut c = client(&cluster, old).await;
    let r = c.send(&produce("t", 0, &[b"x"], 1), 10).await.unwrap();
    let p = &r.responses[0].partition_responses[0];
    assert_eq!(p.error_code, codes::NOT_LEADER_OR_FOLLOWER);
    assert_eq!((p.current_leader.leader_id, p.current_leader.leader_epoch), (new, 1));
    let id = c.send(&metadata(&["t"]), 12).await.unwrap().topics[0].topic_id;
    let r = c.send(&fetch("t", id, 0, 0), 16).await.unwrap();
    let p = &r.responses[0].partitions[0];
    assert_eq!(p.error_code, codes::NOT_LEADER_OR_FOLLOWER);
    assert_eq!(p.current_leader.leader_id, new);
    assert_eq!(r.node_endpoints[0].node_id, new);
    let md = c.send(&metadata(&["t"]), 9).await.unwrap();
    assert_eq!((md.topics[0].partitions[0].leader_id, md.topics[0].partitions[0].leader_epoch), (new, 1));

    cluster.set_leaderless("t", 0).await.unwrap();
    let md = c.send(&metadata(&["t"]), 9).await.unwrap();
    assert_eq!(md.topics[0].partitions[0].error_code, codes::LEADER_NOT_AVAILABLE);
    assert_eq!(md.topics[0].partitions[0].leader_id, -1);
}

#[tokio::test]
async fn held_requests_wait_until_released_and_responses_stay_in_order() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let held = cluster.hold(ApiKey::Produce).await.unwrap();
    let corr_produce = c.write(&produce("t", 0, &[b"x"], 1), 9).await.unwrap();
    let corr_meta = c.write(&metadata(&["t"]), 9).await.unwrap();
    let seen = held.wait_for_held(1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(seen[0].api_key, ApiKey::Produce);
    // The metadata request was handled already but its response queues behind the produce.
    cluster.wait_for_request(ApiKey::Metadata, Duration::from_secs(5)).await.unwrap();
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 0);
    held.release().await.unwrap();
    let r = c.read::<ProduceRequest>(corr_produce, 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].base_offset, 0);
    c.read::<MetadataRequest>(corr_meta, 9).await.unwrap();
    // wait_for_held times out cleanly.
    let held = cluster.hold(ApiKey::Fetch).await.unwrap();
    assert!(held.wait_for_held(1, Duration::from_millis(50)).await.is_err());
}

#[tokio::test]
async fn request_log_records_decoded_requests() {
    let cluster = Cluster::builder().brokers(2).topic("t", 1, 1).build().await.unwrap();
    let leader = leader_of(&cluster, "t", 0).await;
    let mut c = client(&cluster, leader).await.with_client_id(Some("app-1"));
    c.send(&produce("t", 0, &[b"x"], 1), 9).await.unwrap();
    c.send(&fetch("t", Uuid::ZERO, 0, 0), 11).await.unwrap();
    let log = cluster.requests().await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].api_key, log[0].version, log[0].broker), (ApiKey::Produce, 9, leader));
    assert_eq!(log[0].client_id.as_deref(), Some("app-1"));
    assert_eq!(log[0].topics, vec![("t".to_string(), vec![0])]);
    assert_eq!(log[1].correlation_id, 2);
    let matched = cluster
        .requests_matching(RequestMatcher::api(ApiKey::Fetch).partition("t", 0).client_id("app-1"))
        .await
        .unwrap();
    assert_eq!(matched.len(), 1);
    assert!(matches!(matched[0].body, kafka_testkit::protocol::messages::RequestBody::Fetch(_)));
    assert!(cluster.wait_for_request(ApiKey::DeleteTopics, Duration::from_millis(50)).await.is_err());
    cluster.clear_requests().await.unwrap();
    assert!(cluster.requests().await.unwrap().is_empty());
    // A custom rule with a lifetime: every Fetch on broker `leader` for two requests.
    cluster
        .faults()
        .inject(Fault::new(RequestMatcher::api(ApiKey::Fetch).broker(leader), FaultAction::Error(codes::UNKNOWN_TOPIC_OR_PARTITION)).times(2))
        .await
        .unwrap();
    let r = c.send(&FetchRequest::default().with_max_wait_ms(0), 12).await.unwrap();
    assert_eq!(r.error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);
    assert_eq!(cluster.faults().pending().await.unwrap(), 1);
}

#[tokio::test]
async fn same_seed_same_cluster() {
    let describe = |seed| async move {
        let c = Cluster::builder().brokers(3).topic("a", 5, 2).topic("b", 3, 3).seed(seed).build().await.unwrap();
        let mut leaders = Vec::new();
        for (t, n) in [("a", 5), ("b", 3)] {
            for p in 0..n {
                leaders.push(c.partition_state(t, p).await.unwrap().unwrap().leader);
            }
        }
        let mut client = TestClient::connect(c.broker_addr(1).unwrap()).await.unwrap();
        let ids: Vec<Uuid> = client.send(&metadata(&["a", "b"]), 12).await.unwrap().topics.iter().map(|t| t.topic_id).collect();
        (c.cluster_id().await.unwrap(), leaders, ids)
    };
    let first = describe(42).await;
    assert_eq!(first, describe(42).await);
    assert_ne!(first, describe(43).await);
}

#[tokio::test]
async fn dropping_the_cluster_closes_everything() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let mut c = TestClient::connect(addr).await.unwrap();
    let other = Cluster::builder().build().await.unwrap();
    drop(cluster);
    assert!(c.is_closed(Duration::from_secs(5)).await);
    // Give the runtime a moment to drop the aborted listener, then the port refuses.
    let mut refused = false;
    for _ in 0..100 {
        if TestClient::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(refused);
    // The other cluster in the same process is unaffected.
    let mut c = TestClient::connect(other.broker_addr(1).unwrap()).await.unwrap();
    assert_eq!(c.send(&ApiVersionsRequest::default(), 3).await.unwrap().error_code, 0);
}

#[tokio::test(start_paused = true)]
async fn broker_down_for_comes_back_on_its_own() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    let addr = cluster.broker_addr(2).unwrap();
    cluster.broker_down_for(2, Duration::from_secs(30)).await.unwrap();
    assert!(TestClient::connect(addr).await.is_err());
    tokio::time::sleep(Duration::from_secs(31)).await;
    let mut c = TestClient::connect(addr).await.unwrap();
    c.timeout = Duration::from_secs(600);
    assert_eq!(c.send(&ApiVersionsRequest::default(), 3).await.unwrap().error_code, 0);
}

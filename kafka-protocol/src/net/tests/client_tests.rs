//! The client against a fake cluster: bootstrap, metadata, routing to leaders and
//! coordinators, rerouting after moves, reconnect backoff, re-bootstrap, shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::{Action, FakeCluster};
use crate::messages::metadata_request::MetadataRequestTopic;
use crate::messages::produce_request::{PartitionProduceData, TopicProduceData};
use crate::messages::{ApiKey, HeartbeatRequest, MetadataRequest, ProduceRequest, RequestBody};
use crate::net::{
    BrokerRef, Client, ConnectionKind, CoordinatorKey, Hooks, MetadataRecoveryStrategy,
    NetError, RequestEvent, ResponseEvent,
};

fn produce(topic: &str, partition: i32) -> ProduceRequest {
    ProduceRequest::default().with_acks(1).with_timeout_ms(1000).with_topic_data(vec![
        TopicProduceData::default().with_name(topic.into()).with_partition_data(vec![
            PartitionProduceData::default().with_index(partition).with_records(Some(Bytes::new())),
        ]),
    ])
}

#[tokio::test]
async fn bootstrap_fills_the_metadata_cache() {
    let cluster = FakeCluster::start(3).await;
    cluster.model().partitions.insert(("orders".into(), 0), (2, 5));
    cluster.model().partitions.insert(("orders".into(), 1), (3, 9));
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let meta = client.refresh_metadata(["orders"]).await.unwrap();
    assert_eq!(meta.brokers.len(), 3);
    assert_eq!(meta.brokers[&2].addr(), cluster.addr(2));
    assert_eq!(meta.cluster_id.as_deref(), Some("fake-cluster"));
    assert_eq!(meta.controller_id, Some(1));
    let orders = meta.topic("orders").unwrap();
    assert_eq!(orders.partitions.len(), 2);
    assert_eq!(orders.partition(1).unwrap().leader_epoch, 9);
    assert_eq!(client.leader_for("orders", 0).await.unwrap(), 2);
    assert_eq!(client.leader_for("orders", 1).await.unwrap(), 3);
    // An unknown partition is a typed, retriable error.
    let err = client.leader_for("orders", 7).await.unwrap_err();
    assert!(matches!(err, NetError::NoLeader { partition: 7, .. }) && err.is_retriable(), "{err:?}");
    let err = client.leader_for("missing", 0).await.unwrap_err();
    assert_eq!(err.kafka_code(), Some(crate::ErrorCode::UnknownTopicOrPartition), "{err:?}");
}

#[tokio::test]
async fn leader_move_is_followed_after_a_metadata_refresh() {
    let cluster = FakeCluster::start(2).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let resp = client.send_to_leader("t", 0, &produce("t", 0)).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].base_offset, 42);
    cluster.model().partitions.insert(("t".into(), 0), (2, 2));
    let before = cluster.model().count(ApiKey::Metadata);
    let resp = client.send_to_leader("t", 0, &produce("t", 0)).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, 0);
    let m = cluster.model();
    assert_eq!(m.count_on(1, ApiKey::Produce), 2, "one success, one NOT_LEADER_OR_FOLLOWER");
    assert_eq!(m.count_on(2, ApiKey::Produce), 1);
    assert!(m.count(ApiKey::Metadata) > before, "metadata was refreshed");
    assert_eq!(client.metadata().leader("t", 0), Some(2));
}

#[tokio::test]
async fn leader_hints_reroute_without_a_metadata_refresh() {
    let cluster = FakeCluster::start(2).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    cluster.model().leader_hints = true;
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    client.send_to_leader("t", 0, &produce("t", 0)).await.unwrap();
    cluster.model().partitions.insert(("t".into(), 0), (2, 2));
    let before = cluster.model().count(ApiKey::Metadata);
    let resp = client.send_to_leader("t", 0, &produce("t", 0)).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, 0);
    let m = cluster.model();
    assert_eq!(m.count(ApiKey::Metadata), before, "KIP-951 hint applied, no refresh");
    assert_eq!(m.count_on(2, ApiKey::Produce), 1);
    let meta = client.metadata();
    let p = meta.topic("t").unwrap().partition(0).unwrap();
    assert_eq!((p.leader, p.leader_epoch), (Some(2), 2));
}

#[tokio::test]
async fn not_coordinator_triggers_rediscovery() {
    let cluster = FakeCluster::start(2).await;
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let key = CoordinatorKey::Group("g".into());
    let hb = HeartbeatRequest::default().with_group_id("g".into()).with_member_id("m".into());
    let resp = client.send_to_coordinator(&key, &hb).await.unwrap();
    assert_eq!(resp.error_code, 0);
    assert_eq!(client.coordinator(&key).await.unwrap(), 1);
    cluster.model().coordinator = 2;
    let resp = client.send_to_coordinator(&key, &hb).await.unwrap();
    assert_eq!(resp.error_code, 0);
    assert_eq!(client.coordinator(&key).await.unwrap(), 2);
    let m = cluster.model();
    assert_eq!(m.count(ApiKey::FindCoordinator), 2);
    assert_eq!(m.count_on(1, ApiKey::Heartbeat), 2);
    assert_eq!(m.count_on(2, ApiKey::Heartbeat), 1);
    // Heartbeats ride the group connection, separate from metadata.
    let hb_conn = m.log.iter().find(|s| s.api == ApiKey::Heartbeat && s.node == 2).unwrap().connection;
    let fc_conns: Vec<usize> =
        m.log.iter().filter(|s| s.api == ApiKey::FindCoordinator && s.node == 2).map(|s| s.connection).collect();
    assert!(!fc_conns.contains(&hb_conn));
}

#[tokio::test]
async fn coordinator_lookup_uses_batched_find_coordinator() {
    let cluster = FakeCluster::start(1).await;
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let keys = [
        CoordinatorKey::Group("a".into()),
        CoordinatorKey::Group("b".into()),
        CoordinatorKey::Transaction("tx".into()),
    ];
    let found = client.find_coordinators(&keys).await.unwrap();
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|(_, r)| matches!(r, Ok(1))));
    let m = cluster.model();
    // One request per key type.
    let versions: Vec<i16> =
        m.log.iter().filter(|s| s.api == ApiKey::FindCoordinator).map(|s| s.version).collect();
    assert_eq!(versions.len(), 2);
    assert!(versions.iter().all(|v| *v >= 4));
}

#[tokio::test]
async fn broker_down_fails_fast_backs_off_and_recovers() {
    let cluster = FakeCluster::start(1).await;
    let cfg = cluster
        .config()
        .reconnect_backoff(Duration::from_millis(100))
        .reconnect_backoff_max(Duration::from_millis(1000))
        .build()
        .unwrap();
    let client = Client::connect(cfg).await.unwrap();
    let req = MetadataRequest::default().with_topics(Some(vec![]));
    client.send_to_broker(1, &req).await.unwrap();
    let port = cluster.down(1).await;

    // The first failure may be the old connection noticing the close, or a refused
    // reconnect; either way it is a typed connection error, and soon the broker is in backoff.
    let mut backoffs = Vec::new();
    let started = Instant::now();
    while backoffs.len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(5), "no backoff observed");
        match client.send_to_broker(1, &req).await {
            Err(NetError::BrokerUnavailable { retry_in, last_error, broker }) => {
                assert_eq!(broker.id, Some(1));
                assert!(matches!(&*last_error, NetError::Connect { .. }), "{last_error:?}");
                backoffs.push(retry_in);
                // Fail fast: no network round trip while backing off.
                let t = Instant::now();
                assert!(matches!(
                    client.send_to_broker(1, &req).await,
                    Err(NetError::BrokerUnavailable { .. })
                ));
                assert!(t.elapsed() < Duration::from_millis(50));
                tokio::time::sleep(retry_in).await;
            }
            Err(e) => assert!(e.is_connection_error() && e.is_retriable(), "{e:?}"),
            Ok(_) => panic!("broker is down"),
        }
    }
    // Exponential: the second wait is about twice the first (each within ±20%).
    assert!(backoffs[0] <= Duration::from_millis(120), "{backoffs:?}");
    assert!(backoffs[1] >= Duration::from_millis(150) && backoffs[1] <= Duration::from_millis(240), "{backoffs:?}");

    cluster.up(1, port).await;
    let started = Instant::now();
    loop {
        match client.send_to_broker(1, &req).await {
            Ok(_) => break,
            Err(NetError::BrokerUnavailable { retry_in, .. }) => tokio::time::sleep(retry_in).await,
            Err(e) => assert!(e.is_retriable(), "{e:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never reconnected");
    }
    let stats = client.stats();
    let b = stats.broker(1).unwrap();
    assert!(b.connect_failures >= 2 && b.connects >= 2, "{b:?}");
}

#[tokio::test]
async fn rebootstraps_when_every_known_broker_is_unreachable() {
    for strategy in [MetadataRecoveryStrategy::Rebootstrap, MetadataRecoveryStrategy::None] {
        let cluster = FakeCluster::start(1).await;
        // Advertise only a broker that is not listening.
        let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dead_addr = dead.local_addr().unwrap().to_string();
        drop(dead);
        let real = cluster.model().brokers.clone();
        cluster.model().brokers = [(7, dead_addr)].into();
        let cfg = cluster.config().metadata_recovery_strategy(strategy).build().unwrap();
        let client = Client::connect(cfg).await.unwrap();
        assert_eq!(client.metadata().brokers.keys().copied().collect::<Vec<_>>(), [7]);
        cluster.model().brokers = real;
        let result = client.refresh_metadata(Vec::<String>::new()).await;
        match strategy {
            MetadataRecoveryStrategy::Rebootstrap => {
                let meta = result.unwrap();
                assert_eq!(meta.brokers.keys().copied().collect::<Vec<_>>(), [1]);
            }
            _ => {
                let err = result.unwrap_err();
                assert!(matches!(err, NetError::NoBrokerAvailable { attempts: 1, .. }), "{err:?}");
            }
        }
    }
}

#[tokio::test]
async fn close_and_drop_never_hang_with_requests_in_flight() {
    for close in [true, false] {
        let cluster = FakeCluster::start(1).await;
        cluster.model().script = Some(Arc::new(|_, req, _| match &req.body {
            RequestBody::Metadata(m) if m.topics.as_ref().is_some_and(|t| !t.is_empty()) => Some(Action::Silent),
            _ => None,
        }));
        let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
        let conn = client.connection(1, ConnectionKind::Default).await.unwrap();
        let req = MetadataRequest::default()
            .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some("hang".into()))]));
        let call = tokio::spawn(async move { conn.send(&req).await });
        while cluster.model().log.iter().filter(|s| s.api == ApiKey::Metadata).count() < 2 {
            tokio::task::yield_now().await;
        }
        if close {
            tokio::time::timeout(Duration::from_secs(2), client.close()).await.expect("close hung");
            assert!(client.is_closed());
            assert!(matches!(client.refresh_metadata(["x"]).await, Err(NetError::ClientClosed)));
        } else {
            drop(client);
        }
        let result = tokio::time::timeout(Duration::from_secs(2), call).await.expect("request hung").unwrap();
        assert!(matches!(result, Err(NetError::ClientClosed)), "{result:?}");
    }
}

#[derive(Default)]
struct Counting {
    connects: AtomicUsize,
    sent: AtomicUsize,
    received: AtomicUsize,
    disconnects: AtomicUsize,
}

impl Hooks for Counting {
    fn on_connect(&self, _: &BrokerRef, _: ConnectionKind) {
        self.connects.fetch_add(1, Ordering::SeqCst);
    }
    fn on_disconnect(&self, _: &BrokerRef, _: ConnectionKind, _: Option<&NetError>) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
    }
    fn on_request_sent(&self, e: &RequestEvent<'_>) {
        assert!(e.bytes > 8);
        self.sent.fetch_add(1, Ordering::SeqCst);
    }
    fn on_response_received(&self, _: &ResponseEvent<'_>) {
        self.received.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn hooks_and_stats_see_every_request() {
    let cluster = FakeCluster::start(1).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    let hooks = Arc::new(Counting::default());
    let client = Client::connect(cluster.config().hooks(hooks.clone()).build().unwrap()).await.unwrap();
    for _ in 0..3 {
        client.send_to_leader("t", 0, &produce("t", 0)).await.unwrap();
    }
    let seen = cluster.model().log.len();
    assert_eq!(hooks.sent.load(Ordering::SeqCst), seen);
    assert_eq!(hooks.received.load(Ordering::SeqCst), seen);
    let stats = client.stats();
    let total: u64 = stats.brokers.iter().map(|b| b.responses).sum();
    assert_eq!(stats.total_requests(), seen as u64);
    assert_eq!(total, seen as u64);
    let b = stats.broker(1).unwrap();
    assert!(b.bytes_sent > 0 && b.bytes_received > 0 && b.latency_p50.is_some() && b.in_flight == 0, "{b:?}");
    // Bootstrap connection + Default + Produce connections to node 1.
    assert_eq!(hooks.connects.load(Ordering::SeqCst), 3);
    client.close().await;
    assert_eq!(hooks.disconnects.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn metadata_older_than_max_age_is_refreshed_on_use() {
    let cluster = FakeCluster::start(1).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    let cfg = cluster.config().metadata_max_age(Duration::from_millis(50)).build().unwrap();
    let client = Client::connect(cfg).await.unwrap();
    client.leader_for("t", 0).await.unwrap();
    let after_first = cluster.model().count(ApiKey::Metadata);
    client.leader_for("t", 0).await.unwrap();
    assert_eq!(cluster.model().count(ApiKey::Metadata), after_first, "fresh metadata is reused");
    tokio::time::sleep(Duration::from_millis(60)).await;
    client.leader_for("t", 0).await.unwrap();
    assert_eq!(cluster.model().count(ApiKey::Metadata), after_first + 1);
    client.fresh_metadata().await.unwrap();
    assert_eq!(cluster.model().count(ApiKey::Metadata), after_first + 1, "still fresh");
    client.invalidate_metadata();
    client.fresh_metadata().await.unwrap();
    assert_eq!(cluster.model().count(ApiKey::Metadata), after_first + 2, "stale after an error");
}

#[tokio::test]
async fn a_slow_fetch_does_not_hold_up_produce_or_metadata() {
    use crate::messages::{FetchRequest, FetchResponse, ResponseBody};
    let cluster = FakeCluster::start(1).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    cluster.model().script = Some(Arc::new(|_, req, _| match &req.body {
        RequestBody::Fetch(_) => Some(Action::Delay(
            Duration::from_millis(400),
            Box::new(Action::Reply(ResponseBody::Fetch(FetchResponse::default()))),
        )),
        _ => None,
    }));
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    client.leader_for("t", 0).await.unwrap();
    let fetch = tokio::spawn({
        let client = client.clone();
        async move { client.send_to_broker(1, &FetchRequest::default().with_max_wait_ms(400)).await }
    });
    while cluster.model().count(ApiKey::Fetch) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let started = Instant::now();
    client.send_to_broker(1, &produce("t", 0)).await.unwrap();
    client.send_to_broker(1, &MetadataRequest::default().with_topics(Some(vec![]))).await.unwrap();
    let fast = started.elapsed();
    assert!(!fetch.is_finished(), "the fetch should still be waiting");
    assert!(fast < Duration::from_millis(300), "produce and metadata waited {fast:?}");
    fetch.await.unwrap().unwrap();
}

#[tokio::test]
async fn acks0_produce_through_the_client_completes_on_write() {
    let cluster = FakeCluster::start(1).await;
    cluster.model().partitions.insert(("t".into(), 0), (1, 1));
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let request = produce("t", 0).with_acks(0);
    client.send_oneway_to_broker(1, &request).await.unwrap();
    assert!(matches!(
        client.send_to_broker(1, &request).await,
        Err(NetError::InvalidRequest { api: ApiKey::Produce, .. })
    ));
    // The next acknowledged produce on the same connection lines up with its response.
    let resp = client.send_to_broker(1, &produce("t", 0)).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].base_offset, 42);
    let m = cluster.model();
    assert_eq!(m.count(ApiKey::Produce), 2);
    let conns: Vec<usize> = m.log.iter().filter(|s| s.api == ApiKey::Produce).map(|s| s.connection).collect();
    assert_eq!(conns[0], conns[1]);
}

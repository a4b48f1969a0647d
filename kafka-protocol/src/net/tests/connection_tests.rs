//! One connection against hand-scripted servers: negotiation, pipelining, failure
//! propagation, timeouts, framing limits, acks=0, cancellation and throttling.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::{all_api_versions, FakeCluster};
use crate::codec::VersionRange;
use crate::frame::{self, RequestFrame};
use crate::messages::api_versions_response::ApiVersion;
use crate::messages::metadata_request::MetadataRequestTopic;
use crate::messages::produce_request::{PartitionProduceData, TopicProduceData};
use crate::messages::{
    ApiKey, ApiVersionsResponse, HeartbeatRequest, MetadataRequest, MetadataResponse,
    ProduceRequest, RequestBody,
};
use crate::net::connection::{ConnectContext, Throttle};
use crate::net::stats::StatsRegistry;
use crate::net::{
    BrokerRef, Client, ClientConfig, Connection, ConnectionKind, Hooks, NetError,
};

/// Opens a connection outside any client.
async fn open(addr: &str, config: ClientConfig) -> (Connection, watch::Sender<bool>) {
    let (shutdown, shutdown_rx) = watch::channel(false);
    let broker = BrokerRef::node(1, addr);
    let ctx = ConnectContext {
        counters: StatsRegistry::default().broker(&broker),
        config: Arc::new(config),
        throttle: Arc::new(Throttle::default()),
        shutdown: shutdown_rx,
        tasks: Arc::default(),
    };
    let connection = Connection::open(broker, ConnectionKind::Default, ctx).await.unwrap();
    (connection, shutdown)
}

fn config(addr: &str) -> crate::net::ClientConfigBuilder {
    ClientConfig::builder().bootstrap_servers([addr]).request_timeout(Duration::from_secs(5))
}

/// A raw server: reads frames, lets the test decide what to send.
struct Raw {
    stream: TcpStream,
    buf: BytesMut,
}

impl Raw {
    async fn accept(listener: &TcpListener) -> Self {
        let (stream, _) = listener.accept().await.unwrap();
        let mut raw = Self { stream, buf: BytesMut::new() };
        // Every connection starts with ApiVersions.
        let req = raw.read().await;
        assert_eq!(req.api_key, ApiKey::ApiVersions);
        raw.reply(&req, &ApiVersionsResponse::default().with_api_keys(all_api_versions())).await;
        raw
    }

    async fn read(&mut self) -> RequestFrame {
        loop {
            if self.buf.len() >= 4 {
                let size = u32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
                if self.buf.len() >= 4 + size {
                    self.buf.advance(4);
                    return frame::decode_request(self.buf.split_to(size).freeze()).unwrap();
                }
            }
            let n = self.stream.read_buf(&mut self.buf).await.unwrap();
            assert!(n > 0, "client closed the connection");
        }
    }

    async fn reply<M: crate::Message>(&mut self, req: &RequestFrame, body: &M) {
        let mut out = BytesMut::new();
        frame::encode_response(
            &mut out,
            req.api_key,
            req.header.correlation_id,
            body,
            req.header.request_api_version,
        )
        .unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }
}

async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    (l, addr)
}

fn metadata_for(topic: &str) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(topic.to_owned()))]))
        .with_allow_auto_topic_creation(false)
}

fn requested_topic(req: &RequestFrame) -> String {
    match &req.body {
        RequestBody::Metadata(m) => m.topics.as_ref().unwrap()[0].name.clone().unwrap(),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn negotiates_highest_common_version_and_sends_software_name() {
    let cluster = FakeCluster::start(1).await;
    let mut keys = all_api_versions();
    for k in &mut keys {
        if k.api_key == ApiKey::Metadata.key() {
            k.max_version = 7;
        }
    }
    cluster.model().api_versions.insert(1, keys);
    let software: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen = software.clone();
    cluster.model().script = Some(Arc::new(move |_, req, _| {
        if let RequestBody::ApiVersions(r) = &req.body {
            seen.lock().unwrap().push((r.client_software_name.clone(), r.client_software_version.clone()));
        }
        None
    }));
    let cfg = cluster.config().client_software("my-app", "1.2.3").build().unwrap();
    let client = Client::connect(cfg).await.unwrap();
    let conn = client.connection(1, ConnectionKind::Default).await.unwrap();
    assert_eq!(software.lock().unwrap()[0], ("my-app".to_owned(), "1.2.3".to_owned()));
    assert_eq!(conn.negotiate::<MetadataRequest>().unwrap(), 7);
    assert_eq!(conn.versions().range(ApiKey::Metadata), Some(VersionRange::new(0, 7)));
    let m = cluster.model();
    let metadata: Vec<i16> =
        m.log.iter().filter(|s| s.api == ApiKey::Metadata).map(|s| s.version).collect();
    assert!(!metadata.is_empty() && metadata.iter().all(|v| *v == 7), "{metadata:?}");
    let first = m.log.iter().find(|s| s.api == ApiKey::ApiVersions).unwrap();
    assert_eq!(first.version, ApiKey::ApiVersions.max_stable_version());
}

#[tokio::test]
async fn api_versions_falls_back_to_the_brokers_maximum() {
    let cluster = FakeCluster::start(1).await;
    let mut keys = all_api_versions();
    for k in &mut keys {
        if k.api_key == ApiKey::ApiVersions.key() {
            k.max_version = 2;
        }
    }
    cluster.model().api_versions.insert(1, keys);
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    assert_eq!(client.metadata().brokers.len(), 1);
    let m = cluster.model();
    let versions: Vec<i16> = m
        .log
        .iter()
        .filter(|s| s.api == ApiKey::ApiVersions && s.connection == 1)
        .map(|s| s.version)
        .collect();
    assert_eq!(versions, [ApiKey::ApiVersions.max_stable_version(), 2]);
}

#[tokio::test]
async fn no_common_version_names_api_and_both_ranges() {
    let cluster = FakeCluster::start(1).await;
    let mut keys = all_api_versions();
    keys.retain(|k| k.api_key != ApiKey::Heartbeat.key());
    keys.push(ApiVersion::default().with_api_key(ApiKey::Heartbeat.key()).with_min_version(10).with_max_version(12));
    cluster.model().api_versions.insert(1, keys);
    let client = Client::connect(cluster.config().build().unwrap()).await.unwrap();
    let conn = client.connection(1, ConnectionKind::Group).await.unwrap();
    let err = conn.send(&HeartbeatRequest::default()).await.unwrap_err();
    match &err {
        NetError::UnsupportedVersion { api, ours, theirs, broker } => {
            assert_eq!(*api, ApiKey::Heartbeat);
            assert_eq!(*ours, VersionRange::new(0, ApiKey::Heartbeat.max_stable_version()));
            assert_eq!(*theirs, Some(VersionRange::new(10, 12)));
            assert_eq!(broker.id, Some(1));
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("Heartbeat") && text.contains("10..=12") && text.contains("0..=4"), "{text}");
    assert!(!err.is_retriable());
    // Nothing was sent.
    assert_eq!(cluster.model().count(ApiKey::Heartbeat), 0);
}

#[tokio::test]
async fn pipelines_requests_and_matches_responses_by_correlation_id() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        // All five arrive before any response is sent: only possible with pipelining.
        let mut reqs = Vec::new();
        for _ in 0..5 {
            reqs.push(raw.read().await);
        }
        let ids: Vec<i32> = reqs.iter().map(|r| r.header.correlation_id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        for req in &reqs {
            let topic = requested_topic(req);
            raw.reply(req, &MetadataResponse::default().with_cluster_id(Some(topic))).await;
        }
        ids
    });
    let (conn, _shutdown) = open(&addr, config(&addr).max_in_flight(5).build().unwrap()).await;
    let calls = (0..5).map(|i| {
        let conn = conn.clone();
        async move {
            let topic = format!("topic-{i}");
            let resp = conn.send(&metadata_for(&topic)).await.unwrap();
            assert_eq!(resp.cluster_id.as_deref(), Some(topic.as_str()));
        }
    });
    futures::future::join_all(calls).await;
    let ids = server.await.unwrap();
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn connection_loss_fails_every_in_flight_request_with_one_shared_error() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        for _ in 0..3 {
            raw.read().await;
        }
        drop(raw);
    });
    let (conn, _shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let calls = (0..3).map(|i| {
        let conn = conn.clone();
        async move { conn.send(&metadata_for(&format!("t{i}"))).await.unwrap_err() }
    });
    let errors = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(calls))
        .await
        .expect("in-flight requests must not hang");
    server.await.unwrap();
    let causes: Vec<Arc<NetError>> = errors
        .iter()
        .map(|e| match e {
            NetError::ConnectionLost { cause, .. } => cause.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert!(causes.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    assert!(matches!(&*causes[0], NetError::Closed { .. } | NetError::Io { .. }), "{:?}", causes[0]);
    assert!(errors[0].is_retriable());
    assert!(conn.is_closed());
    // A closed connection refuses new work at once.
    assert!(matches!(conn.send(&metadata_for("x")).await, Err(NetError::Closed { .. })));
}

#[tokio::test]
async fn request_timeout_fails_and_closes_the_connection() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let _req = raw.read().await;
        // Never answer; hold the socket until the client gives up.
        let mut rest = Vec::new();
        let _ = raw.stream.read_to_end(&mut rest).await;
    });
    let cfg = config(&addr).request_timeout(Duration::from_millis(200)).build().unwrap();
    let (conn, _shutdown) = open(&addr, cfg).await;
    let started = Instant::now();
    let err = conn.send(&metadata_for("slow")).await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        NetError::ConnectionLost { cause, .. } => match &**cause {
            NetError::RequestTimeout { api, correlation_id, timeout, .. } => {
                assert_eq!(*api, ApiKey::Metadata);
                assert!(correlation_id.is_some());
                assert!(*timeout >= Duration::from_millis(200) - Duration::from_millis(5));
            }
            other => panic!("unexpected cause {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
    assert!(elapsed >= Duration::from_millis(190), "{elapsed:?}");
    assert!(err.is_retriable());
    server.await.unwrap();
}

#[tokio::test]
async fn oversized_frame_is_rejected_before_reading_it() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let _req = raw.read().await;
        raw.write(&(2 * 1024 * 1024i32).to_be_bytes()).await;
        raw.write(&[0; 64]).await;
        let mut rest = Vec::new();
        let _ = raw.stream.read_to_end(&mut rest).await;
    });
    let cfg = config(&addr).max_frame_size(1024 * 1024).build().unwrap();
    let (conn, _shutdown) = open(&addr, cfg).await;
    let err = conn.send(&metadata_for("big")).await.unwrap_err();
    let NetError::ConnectionLost { cause, .. } = &err else { panic!("unexpected {err:?}") };
    assert!(
        matches!(&**cause, NetError::FrameTooLarge { size: 2097152, max: 1048576, .. }),
        "{cause:?}"
    );
    assert!(!err.is_retriable());
    server.await.unwrap();
}

#[tokio::test]
async fn correlation_mismatch_poisons_the_connection() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let mut req = raw.read().await;
        req.header.correlation_id += 100;
        raw.reply(&req, &MetadataResponse::default()).await;
    });
    let (conn, _shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let err = conn.send(&metadata_for("x")).await.unwrap_err();
    let NetError::ConnectionLost { cause, .. } = &err else { panic!("unexpected {err:?}") };
    assert!(matches!(&**cause, NetError::CorrelationMismatch { .. }), "{cause:?}");
    server.await.unwrap();
}

fn produce(acks: i16) -> ProduceRequest {
    ProduceRequest::default().with_acks(acks).with_timeout_ms(1000).with_topic_data(vec![
        TopicProduceData::default()
            .with_name("t".into())
            .with_partition_data(vec![PartitionProduceData::default().with_index(0).with_records(Some(Bytes::new()))]),
    ])
}

#[tokio::test]
async fn acks0_produce_completes_on_write_and_keeps_correlation_aligned() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let p = raw.read().await;
        assert_eq!(p.api_key, ApiKey::Produce);
        let m = raw.read().await;
        raw.reply(&m, &MetadataResponse::default().with_cluster_id(Some("after".into()))).await;
        (p.header.correlation_id, m.header.correlation_id)
    });
    let (conn, _shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let version = conn.negotiate::<ProduceRequest>().unwrap();
    assert!(matches!(
        conn.send(&produce(0)).await,
        Err(NetError::InvalidRequest { api: ApiKey::Produce, .. })
    ));
    assert!(matches!(
        conn.send_oneway(&produce(1), version).await,
        Err(NetError::InvalidRequest { .. })
    ));
    conn.send_oneway(&produce(0), version).await.unwrap();
    let resp = conn.send(&metadata_for("x")).await.unwrap();
    assert_eq!(resp.cluster_id.as_deref(), Some("after"));
    let (p, m) = server.await.unwrap();
    assert_ne!(p, m);
}

#[tokio::test]
async fn cancelled_caller_does_not_disturb_the_connection() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        for _ in 0..2 {
            let req = raw.read().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let topic = requested_topic(&req);
            raw.reply(&req, &MetadataResponse::default().with_cluster_id(Some(topic))).await;
        }
    });
    let (conn, _shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let gave_up = tokio::time::timeout(Duration::from_millis(5), conn.send(&metadata_for("first"))).await;
    assert!(gave_up.is_err(), "the first call should have been cancelled");
    let resp = conn.send(&metadata_for("second")).await.unwrap();
    assert_eq!(resp.cluster_id.as_deref(), Some("second"));
    server.await.unwrap();
}

#[derive(Default)]
struct Recorder {
    throttles: Mutex<Vec<Duration>>,
}

impl Hooks for Recorder {
    fn on_throttle(&self, _broker: &BrokerRef, _api: ApiKey, delay: Duration) {
        self.throttles.lock().unwrap().push(delay);
    }
}

#[tokio::test]
async fn throttle_time_delays_the_next_request() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let first = raw.read().await;
        raw.reply(&first, &MetadataResponse::default().with_throttle_time_ms(150)).await;
        let replied = Instant::now();
        let second = raw.read().await;
        let gap = replied.elapsed();
        raw.reply(&second, &MetadataResponse::default()).await;
        gap
    });
    let hooks = Arc::new(Recorder::default());
    let cfg = config(&addr).hooks(hooks.clone()).build().unwrap();
    let (conn, _shutdown) = open(&addr, cfg).await;
    conn.send(&metadata_for("a")).await.unwrap();
    conn.send(&metadata_for("b")).await.unwrap();
    let gap = server.await.unwrap();
    assert!(gap >= Duration::from_millis(140), "second request came after only {gap:?}");
    assert_eq!(*hooks.throttles.lock().unwrap(), [Duration::from_millis(150)]);
}

#[tokio::test]
async fn shutdown_fails_in_flight_requests_promptly() {
    let (l, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let _ = raw.read().await;
        let mut rest = Vec::new();
        let _ = raw.stream.read_to_end(&mut rest).await;
    });
    let (conn, shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let call = tokio::spawn({
        let conn = conn.clone();
        async move { conn.send(&metadata_for("x")).await }
    });
    tokio::task::yield_now().await;
    shutdown.send(true).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(2), call).await.expect("must not hang").unwrap();
    assert!(matches!(result, Err(NetError::ClientClosed)), "{result:?}");
}

#[tokio::test]
async fn garbage_size_prefix_is_a_typed_error() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        let _ = raw.read().await;
        let mut out = BytesMut::new();
        out.put_i32(-7);
        raw.write(&out).await;
        let mut rest = Vec::new();
        let _ = raw.stream.read_to_end(&mut rest).await;
    });
    let (conn, _shutdown) = open(&addr, config(&addr).build().unwrap()).await;
    let err = conn.send(&metadata_for("x")).await.unwrap_err();
    let NetError::ConnectionLost { cause, .. } = &err else { panic!("unexpected {err:?}") };
    assert!(matches!(&**cause, NetError::FrameTooLarge { size: -7, .. }), "{cause:?}");
    server.await.unwrap();
}

#[tokio::test]
async fn never_more_than_max_in_flight_requests_on_the_wire() {
    let (l, addr) = listener().await;
    let server = tokio::spawn(async move {
        let mut raw = Raw::accept(&l).await;
        for _ in 0..3 {
            let req = raw.read().await;
            // With max.in.flight=1 the next request cannot arrive before this response.
            let early = tokio::time::timeout(Duration::from_millis(50), raw.read()).await;
            assert!(early.is_err(), "a second request arrived while one was in flight");
            raw.reply(&req, &MetadataResponse::default()).await;
        }
    });
    let (conn, _shutdown) = open(&addr, config(&addr).max_in_flight(1).build().unwrap()).await;
    let calls = (0..3).map(|i| {
        let conn = conn.clone();
        async move { conn.send(&metadata_for(&format!("t{i}"))).await.unwrap() }
    });
    futures::future::join_all(calls).await;
    server.await.unwrap();
}

#[tokio::test]
async fn idle_connections_close_and_the_pool_reconnects() {
    let cluster = FakeCluster::start(1).await;
    let cfg = cluster.config().connections_max_idle(Duration::from_millis(100)).build().unwrap();
    let client = Client::connect(cfg).await.unwrap();
    let conn = client.connection(1, ConnectionKind::Default).await.unwrap();
    let req = MetadataRequest::default().with_topics(Some(vec![]));
    conn.send(&req).await.unwrap();
    let started = Instant::now();
    while !conn.is_closed() {
        assert!(started.elapsed() < Duration::from_secs(2), "idle connection never closed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(80));
    client.send_to_broker(1, &req).await.unwrap();
    let stats = client.stats();
    assert_eq!(stats.broker(1).unwrap().connects, 2);
}

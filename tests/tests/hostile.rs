//! Hostile but well-formed requests: every served API at every served version gets seeded
//! random requests whose fields are biased to edge values (i32/i64 extremes, negative counts,
//! empty and oversized names, names and ids of real topics and groups, duplicates, damaged
//! record batches) over a real socket to a 3-broker cluster. Each must get a decodable
//! response with its correlation id, or a closed connection; after each batch every broker
//! still answers ApiVersions and Metadata on a fresh connection, and a topic produced to
//! before the sweep still fetches back the same batches.
//!
//! The requests come from kafka-protocol's version-aware random value generator (feature
//! `arbitrary`, hidden, test-only) in hostile mode, so every request type is covered without
//! a hand-written generator per API.
//!
//! Time is paused: waits the requests ask for (Fetch `max_wait_ms`, rebalance and session
//! timeouts up to `i32::MAX` ms) pass in virtual time, and a request the broker never answers
//! shows up as a virtual-time timeout of 60 days instead of a stuck test.
//!
//! `HOSTILE_ROUNDS=n` (default 1) runs n rounds, each on a fresh cluster with different
//! request seeds; `HOSTILE_SEED=s` starts from another seed.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{decode_response_body, encode_request_body, peek_correlation_id};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, FetchRequest, MetadataRequest, ProduceRequest, RequestBody, RequestHeader, ResponseBody,
};
use kafka_protocol::testing::{arbitrary_request, Dictionary, Rng};
use kafka_protocol::Uuid;
use kafka_testkit::testing::{producer_batch, record_batch, ClientError, TestClient};
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::{CreateAclsRequest, SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_testkit::{Cluster, SaslSettings};

/// Requests per API version per round.
const PER_VERSION: usize = 12;
/// A request the broker leaves unanswered this long (virtual time) counts as a hang.
const HANG: Duration = Duration::from_secs(60 * 24 * 3600);
const SENTINEL: &str = "sentinel";
/// Names every round starts with (harvested ids come after them).
const BASE_STRINGS: usize = 34;

/// What happened to one request.
#[derive(Debug, Default)]
struct Tally {
    answered: usize,
    closed: usize,
    silent: usize,
    unencodable: usize,
}

/// One encoded request and what to expect of it.
struct Sent<'a> {
    frame: &'a [u8],
    key: ApiKey,
    version: i16,
    correlation: i32,
    /// False for acks=0 Produce.
    expect_answer: bool,
}

struct Conn {
    client: Option<TestClient>,
    /// Who the connection logs in as (secured sweep).
    user: Option<&'static str>,
}

async fn connect(cluster: &Cluster, broker: i32) -> TestClient {
    connect_as(cluster, broker, None).await
}

/// A connection, logged in with SASL PLAIN as `user` (password `<user>-secret`) if given.
async fn connect_as(cluster: &Cluster, broker: i32, user: Option<&str>) -> TestClient {
    let mut c = TestClient::connect(cluster.broker_addr(broker).expect("broker address")).await.expect("connect");
    c.timeout = HANG;
    if let Some(user) = user {
        let handshake = c.send(&SaslHandshakeRequest::default().with_mechanism("PLAIN".into()), 1).await.expect("handshake");
        assert_eq!(handshake.error_code, 0, "{handshake:?}");
        let token = format!("\0{user}\0{user}-secret");
        let auth = SaslAuthenticateRequest::default().with_auth_bytes(token.into_bytes().into());
        let answer = c.send(&auth, 2).await.expect("authenticate");
        assert_eq!(answer.error_code, 0, "{answer:?}");
    }
    c
}

/// Sends one raw request frame and classifies the outcome; a hang, a response that does not
/// decode or carries the wrong correlation id is an error.
async fn exchange(
    cluster: &Cluster,
    conn: &mut Conn,
    broker: i32,
    sent: &Sent<'_>,
    tally: &mut Tally,
    dict: &mut Dictionary,
) -> Result<(), String> {
    if conn.client.is_none() {
        conn.client = Some(connect_as(cluster, broker, conn.user).await);
    }
    let Some(client) = conn.client.as_mut() else { return Ok(()) };
    let Sent { frame, key, version, correlation, expect_answer } = *sent;
    if client.write_raw(frame).await.is_err() {
        tally.closed += 1;
        conn.client = None;
        return Ok(());
    }
    if !expect_answer {
        tally.silent += 1;
        return Ok(());
    }
    match client.read_frame().await {
        Ok(frame) => {
            let got = peek_correlation_id(&frame);
            if got != Some(correlation) {
                return Err(format!("correlation id {got:?}, expected {correlation}"));
            }
            let (_, body) =
                decode_response_body(frame, key, version).map_err(|e| format!("undecodable response: {e}"))?;
            harvest(dict, &body);
            tally.answered += 1;
        }
        Err(ClientError::Timeout(_)) => return Err(format!("no response and no close within {HANG:?} (virtual time)")),
        Err(_) => {
            tally.closed += 1;
            conn.client = None;
        }
    }
    Ok(())
}

/// Keeps ids the broker handed out (member ids, producer ids and epochs, generations, fetch
/// sessions) so later requests can name them: random values would never match.
fn harvest(dict: &mut Dictionary, body: &ResponseBody) {
    const KEEP: usize = 48;
    let mut strings = Vec::new();
    let mut ints = Vec::new();
    match body {
        ResponseBody::JoinGroup(r) => {
            strings.push(r.member_id.clone());
            ints.push(i64::from(r.generation_id));
        }
        ResponseBody::ConsumerGroupHeartbeat(r) => {
            strings.extend(r.member_id.clone());
            ints.push(i64::from(r.member_epoch));
        }
        ResponseBody::InitProducerId(r) => {
            ints.push(r.producer_id);
            ints.push(i64::from(r.producer_epoch));
        }
        ResponseBody::Fetch(r) => ints.push(i64::from(r.session_id)),
        _ => {}
    }
    for s in strings.into_iter().filter(|s| !s.is_empty()) {
        if dict.strings.len() >= KEEP * 2 {
            dict.strings.remove(BASE_STRINGS);
        }
        dict.strings.push(s);
    }
    for i in ints.into_iter().filter(|i| *i > 0) {
        if dict.ints.len() >= KEEP {
            dict.ints.remove(0);
        }
        dict.ints.push(i);
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn leader(cluster: &Cluster, topic: &str, partition: i32) -> i32 {
    let state = cluster.partition_state(topic, partition).await.expect("cluster up").expect("partition exists");
    state.leader.expect("partition has a leader")
}

/// The sentinel partitions' records as Fetch returns them from their leaders.
async fn sentinel_records(cluster: &Cluster, admin: Option<&str>) -> BTreeMap<i32, Bytes> {
    let mut out = BTreeMap::new();
    for partition in 0..2 {
        let broker = leader(cluster, SENTINEL, partition).await;
        let mut c = connect_as(cluster, broker, admin).await;
        let request = FetchRequest::default().with_max_wait_ms(0).with_max_bytes(1 << 20).with_topics(vec![
            FetchTopic::default().with_topic(SENTINEL.into()).with_partitions(vec![FetchPartition::default()
                .with_partition(partition)
                .with_fetch_offset(0)
                .with_partition_max_bytes(1 << 20)]),
        ]);
        let response = c.send(&request, 12).await.expect("sentinel fetch");
        let p = &response.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "sentinel fetch of partition {partition} from broker {broker}");
        out.insert(partition, p.records.clone().unwrap_or_default());
    }
    out
}

/// Every broker answers ApiVersions and Metadata on a fresh connection, and the sentinel's
/// data is intact.
async fn check_alive(cluster: &Cluster, admin: Option<&str>, expected: &BTreeMap<i32, Bytes>, after: &str) {
    for broker in 1..=3 {
        let mut c = connect_as(cluster, broker, admin).await;
        let versions = c.send(&ApiVersionsRequest::default(), 3).await;
        assert!(versions.is_ok_and(|r| r.error_code == 0), "after {after}: broker {broker} ApiVersions");
        let metadata = c.send(&MetadataRequest::default().with_topics(None), 12).await.expect("metadata");
        assert_eq!(metadata.brokers.len(), 3, "after {after}: broker {broker} metadata brokers");
        assert!(
            metadata.topics.iter().any(|t| t.name.as_deref() == Some(SENTINEL) && t.partitions.len() == 2),
            "after {after}: broker {broker} lost the sentinel topic"
        );
    }
    assert_eq!(&sentinel_records(cluster, admin).await, expected, "after {after}: sentinel data changed");
}

/// The sweep's cluster. Secured: SASL PLAIN users `admin` (super user) and `alice`, ACLs on,
/// alice allowed some operations on some of the dictionary's names, so requests mix allowed
/// and denied items (the per-item ACL split and merge).
async fn setup(secured: bool) -> (Cluster, Dictionary, BTreeMap<i32, Bytes>, Vec<(ApiKey, i16, i16)>) {
    let mut builder = Cluster::builder().brokers(3).seed(11).topic(SENTINEL, 2, 3).topic("t1", 3, 2).topic("t2", 1, 1);
    if secured {
        builder = builder
            .sasl(SaslSettings::new().user("admin", "admin-secret").user("alice", "alice-secret"))
            .acls(["User:admin"]);
    }
    let cluster = builder.build().await.expect("cluster");
    let admin = secured.then_some("admin");
    if secured {
        // (resource type, name, operation): topic 2, group 3, cluster 4, transactional id 5;
        // ALL 2, READ 3, WRITE 4, DESCRIBE 8.
        let grants: [(i8, &str, i8); 6] =
            [(2, "t1", 2), (2, "t2", 8), (3, "g1", 2), (3, "g2", 3), (5, "txn-1", 2), (4, "kafka-cluster", 8)];
        let creations = grants
            .iter()
            .map(|(rt, name, op)| {
                AclCreation::default()
                    .with_resource_type(*rt)
                    .with_resource_name((*name).into())
                    .with_resource_pattern_type(3)
                    .with_principal("User:alice".into())
                    .with_host("*".into())
                    .with_operation(*op)
                    .with_permission_type(3)
            })
            .collect();
        let mut c = connect_as(&cluster, 1, admin).await;
        let created = c.send(&CreateAclsRequest::default().with_creations(creations), 3).await.expect("create acls");
        assert!(created.results.iter().all(|r| r.error_code == 0), "{created:?}");
    }
    // The sentinel: two batches per partition, produced before the sweep.
    for partition in 0..2 {
        let broker = leader(&cluster, SENTINEL, partition).await;
        let mut c = connect_as(&cluster, broker, admin).await;
        for n in 0..2 {
            let batch = record_batch(&[format!("p{partition}-{n}-a").as_bytes(), b"second"], 1_700_000_000_000 + n);
            let request = ProduceRequest::default().with_acks(-1).with_timeout_ms(1000).with_topic_data(vec![
                TopicProduceData::default().with_name(SENTINEL.into()).with_partition_data(vec![
                    PartitionProduceData::default().with_index(partition).with_records(Some(batch.into())),
                ]),
            ]);
            let response = c.send(&request, 9).await.expect("sentinel produce");
            assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
        }
    }
    let expected = sentinel_records(&cluster, admin).await;
    assert!(expected.values().all(|r| !r.is_empty()));

    let mut c = connect_as(&cluster, 1, admin).await;
    let metadata = c.send(&MetadataRequest::default().with_topics(None), 12).await.expect("metadata");
    // The sentinel's name and id stay out of the dictionary: requests may legitimately delete
    // or truncate what they name, and the sentinel must come through untouched.
    let uuids: Vec<Uuid> =
        metadata.topics.iter().filter(|t| t.name.as_deref() != Some(SENTINEL)).map(|t| t.topic_id).collect();
    let strings: Vec<String> = [
        "t1", "t2", "g1", "g2", "txn-1", "client-1", "consumer", "range", "uniform", "roundrobin",
        "retention.ms", "retention.bytes", "cleanup.policy", "max.message.bytes", "min.insync.replicas",
        "message.timestamp.type", "segment.bytes", "-1", "0", "2147483647", "User:alice", "User:*", "*",
        "__consumer_offsets", "__transaction_state", "PLAIN", "SCRAM-SHA-256", "OAUTHBEARER", "producer_byte_rate",
        "user", "client-id", ".", "..", "topic.with.dots",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(strings.len(), BASE_STRINGS);
    let bytes = vec![
        Bytes::from(record_batch(&[b"x", b"yy"], 1_700_000_000_000)),
        Bytes::from(record_batch(&[b"edge"], i64::MAX)),
        Bytes::from(record_batch(&[], -1)),
        Bytes::from(producer_batch(&[b"idempotent"], 1_700_000_000_000, 0, 0, 0, false)),
        Bytes::from(producer_batch(&[b"txn"], 1_700_000_000_000, 1, 0, i32::MAX, true)),
        Bytes::new(),
    ];
    let dict = Dictionary { strings, uuids, bytes, ints: Vec::new() };

    let versions = c.send(&ApiVersionsRequest::default(), 3).await.expect("api versions");
    let served = versions
        .api_keys
        .iter()
        .filter_map(|k| ApiKey::from_i16(k.api_key).map(|key| (key, k.min_version, k.max_version)))
        .collect();
    (cluster, dict, expected, served)
}

#[tokio::test(start_paused = true)]
async fn hostile_requests_never_take_the_broker_down() {
    sweep(false).await;
}

#[tokio::test(start_paused = true)]
async fn hostile_requests_from_a_sasl_user_with_partial_acls() {
    sweep(true).await;
}

async fn sweep(secured: bool) {
    let user = secured.then_some("alice");
    let admin = secured.then_some("admin");
    let rounds = env_u64("HOSTILE_ROUNDS", 1);
    let base_seed = env_u64("HOSTILE_SEED", 0x5eed_0001);
    let mut tally = Tally::default();
    let mut per_api: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut correlation = 0i32;
    let mut harvested = (0, 0);
    for round in 0..rounds {
        // A fresh cluster per round: rounds stay independent (and reproducible alone), and
        // the topics a round creates do not slow the next one down.
        let (cluster, mut dict, expected, served) = setup(secured).await;
        let mut conns: Vec<Conn> = (0..3).map(|_| Conn { client: None, user }).collect();
        for &(key, min, max) in &served {
            for version in min..=max {
                let seed = base_seed ^ (round << 40) ^ ((key.key() as u64) << 16) ^ version as u64;
                let mut rng = Rng::hostile(seed, dict.clone());
                for i in 0..PER_VERSION {
                    let body = arbitrary_request(key, &mut rng, version);
                    let broker = 1 + rng.below(3) as i32;
                    correlation = correlation.wrapping_add(1);
                    let mut header = RequestHeader::default();
                    header.request_api_key = key.key();
                    header.request_api_version = version;
                    header.correlation_id = correlation;
                    header.client_id = if rng.one_in(8) { None } else { Some(rng.string()) };
                    let mut frame = BytesMut::new();
                    if encode_request_body(&mut frame, &header, &body).is_err() {
                        // e.g. a 32 767-character string in a field that cannot hold it.
                        tally.unencodable += 1;
                        continue;
                    }
                    let expect_answer = !matches!(&body, RequestBody::Produce(p) if p.acks == 0);
                    let conn = &mut conns[(broker - 1) as usize];
                    let sent = Sent { frame: &frame, key, version, correlation, expect_answer };
                    let outcome =
                        exchange(&cluster, conn, broker, &sent, &mut tally, &mut dict).await;
                    if let Err(e) = outcome {
                        let shown: String = format!("{body:?}").chars().take(1500).collect();
                        panic!("{key:?} v{version} seed {seed:#x} request {i} to broker {broker}: {e}\n{shown}");
                    }
                    *per_api.entry(key.name()).or_default() += 1;
                }
                check_alive(&cluster, admin, &expected, &format!("{key:?} v{version} (seed {seed:#x})")).await;
            }
        }
        harvested = (dict.strings.len() - BASE_STRINGS, dict.ints.len());
    }
    println!(
        "hostile sweep (secured: {secured}): {rounds} round(s), {tally:?}, ids harvested in the last round (strings, ints): {harvested:?}, \
         requests per API: {per_api:?}"
    );
    assert!(tally.answered > 1000, "too few answered requests to mean anything: {tally:?}");
}

// Regression tests for what the sweep and the fuzzer pointed at.

use kafka_protocol::messages::create_partitions_request::{CreatePartitionsAssignment, CreatePartitionsTopic};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::{CreatePartitionsRequest, CreateTopicsRequest};

const POLICY_VIOLATION: i16 = 44;
const INVALID_REQUEST: i16 = 42;
const INVALID_REPLICA_ASSIGNMENT: i16 = 39;

#[tokio::test]
async fn create_topics_refuses_more_than_10000_partitions_per_request() {
    // 20 topics x 1000 partitions: each alone is fine, together they would make a 2 KB
    // request allocate 20 000 partitions. Kafka (KAFKA-17870) refuses the whole request.
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let mut c = connect(&cluster, 1).await;
    let topics = (0..20).map(|i| CreatableTopic::default().with_name(format!("big{i}")).with_num_partitions(1000).with_replication_factor(1)).collect();
    let response = c.send(&CreateTopicsRequest::default().with_topics(topics).with_timeout_ms(1000), 7).await.unwrap();
    assert_eq!(response.topics.len(), 20);
    for t in &response.topics {
        assert_eq!(t.error_code, POLICY_VIOLATION, "{t:?}");
        assert_eq!(t.error_message.as_deref(), Some("Excessively large number of partitions per request."));
    }
    // i32::MAX partitions in each of two topics: the sum does not overflow either.
    let topics = (0..2).map(|i| CreatableTopic::default().with_name(format!("max{i}")).with_num_partitions(i32::MAX).with_replication_factor(1)).collect();
    let response = c.send(&CreateTopicsRequest::default().with_topics(topics), 7).await.unwrap();
    assert!(response.topics.iter().all(|t| t.error_code == POLICY_VIOLATION));
    let metadata = c.send(&MetadataRequest::default().with_topics(None), 12).await.unwrap();
    assert!(metadata.topics.is_empty(), "nothing was created: {:?}", metadata.topics);
    // 10 000 in all is still allowed.
    let topics = (0..2).map(|i| CreatableTopic::default().with_name(format!("ok{i}")).with_num_partitions(5000).with_replication_factor(1)).collect();
    let response = c.send(&CreateTopicsRequest::default().with_topics(topics).with_validate_only(true), 7).await.unwrap();
    assert!(response.topics.iter().all(|t| t.error_code == 0), "{:?}", response.topics);
}

#[tokio::test]
async fn create_topics_with_a_duplicate_name_creates_neither_copy() {
    let cluster = Cluster::builder().brokers(1).build().await.unwrap();
    let mut c = connect(&cluster, 1).await;
    let topic = |name: &str| CreatableTopic::default().with_name(name.into()).with_num_partitions(1).with_replication_factor(1);
    let response = c
        .send(&CreateTopicsRequest::default().with_topics(vec![topic("dup"), topic("single"), topic("dup")]), 7)
        .await
        .unwrap();
    let by_name: BTreeMap<_, _> = response.topics.iter().map(|t| (t.name.as_str(), t)).collect();
    assert_eq!(response.topics.len(), 2, "{:?}", response.topics);
    assert_eq!(by_name["dup"].error_code, INVALID_REQUEST);
    assert_eq!(by_name["dup"].error_message.as_deref(), Some("Duplicate topic name."));
    assert_eq!(by_name["single"].error_code, 0);
    assert!(cluster.partition_state("dup", 0).await.unwrap().is_none(), "the duplicate was created");
}

#[tokio::test]
async fn create_partitions_refuses_duplicates_huge_growth_and_repeated_replicas() {
    let cluster = Cluster::builder().brokers(3).topic("a", 1, 1).topic("b", 1, 1).build().await.unwrap();
    let mut c = connect(&cluster, 1).await;
    let grow = |name: &str, count: i32| CreatePartitionsTopic::default().with_name(name.into()).with_count(count);
    let response = c
        .send(&CreatePartitionsRequest::default().with_topics(vec![grow("a", 2), grow("a", 3)]).with_timeout_ms(1000), 3)
        .await
        .unwrap();
    assert_eq!(response.results.len(), 1);
    assert_eq!(response.results[0].error_code, INVALID_REQUEST);
    assert_eq!(cluster.partition_state("a", 1).await.unwrap(), None, "a duplicate grew the topic");
    // 2 x 99 999 new partitions: each under the per-topic limit, together far over 10 000.
    let response = c
        .send(&CreatePartitionsRequest::default().with_topics(vec![grow("a", 100_000), grow("b", 100_000)]), 3)
        .await
        .unwrap();
    assert!(response.results.iter().all(|r| r.error_code == POLICY_VIOLATION), "{:?}", response.results);
    assert_eq!(cluster.partition_state("b", 1).await.unwrap(), None);
    // A broker named twice in one assignment.
    let assignment = CreatePartitionsAssignment::default().with_broker_ids(vec![2, 2]);
    let response = c
        .send(&CreatePartitionsRequest::default().with_topics(vec![grow("a", 2).with_assignments(Some(vec![assignment]))]), 3)
        .await
        .unwrap();
    assert_eq!(response.results[0].error_code, INVALID_REPLICA_ASSIGNMENT);
    assert_eq!(cluster.partition_state("a", 1).await.unwrap(), None);
}

#[tokio::test]
async fn request_log_keeps_at_most_64_mib() {
    // Four 20 MiB produce requests: the log (default 10 000 entries) must not pin them all.
    let cluster = Cluster::builder().brokers(1).topic("big", 1, 1).build().await.unwrap();
    let mut c = connect(&cluster, 1).await;
    let blob = Bytes::from(vec![0x5a_u8; 20 << 20]);
    for _ in 0..4 {
        let request = ProduceRequest::default().with_acks(1).with_topic_data(vec![TopicProduceData::default()
            .with_name("big".into())
            .with_partition_data(vec![PartitionProduceData::default().with_index(0).with_records(Some(blob.clone()))])]);
        // Garbage records: refused, but logged.
        let response = c.send(&request, 9).await.unwrap();
        assert_ne!(response.responses[0].partition_responses[0].error_code, 0);
    }
    let logged = cluster.requests().await.unwrap();
    let bytes: usize = logged.iter().map(|r| r.body.encoded_len(r.version)).sum();
    assert!(bytes <= 64 << 20, "request log holds {bytes} bytes");
    let produces = logged.iter().filter(|r| r.api_key == ApiKey::Produce).count();
    assert_eq!(produces, 3, "the newest produce requests that fit are kept");
}

#[tokio::test]
async fn refused_acks0_produce_closes_instead_of_answering() {
    // Found by the secured sweep: an acks=0 Produce refused as a whole by the authorizer
    // (transactional id without WRITE) was answered, so the producer, which reads no
    // response for acks=0, would take that answer for its next request's.
    let (cluster, ..) = setup(true).await;
    let mut c = connect_as(&cluster, 1, Some("alice")).await;
    let batch = producer_batch(&[b"v"], 1_700_000_000_000, 1, 0, 0, true);
    let request = ProduceRequest::default()
        .with_acks(0)
        .with_transactional_id(Some("not-granted".into()))
        .with_topic_data(vec![TopicProduceData::default().with_name("t1".into()).with_partition_data(vec![
            PartitionProduceData::default().with_index(0).with_records(Some(batch.into())),
        ])]);
    c.write(&request, 9).await.unwrap();
    let next = c.write(&ApiVersionsRequest::default(), 3).await;
    // Either the connection is closed (what Kafka does on acks=0 errors) or the next frame
    // answers the ApiVersions.
    if let (Ok(correlation), Ok(frame)) = (next, c.read_frame().await) {
        assert_eq!(peek_correlation_id(&frame), Some(correlation), "a response to the acks=0 produce arrived");
    }
    assert!(c.is_closed(Duration::from_secs(1)).await, "connection stays open after a refused acks=0 produce");
}

#[tokio::test]
async fn acks0_produce_with_a_denied_topic_closes_instead_of_answering() {
    // alice may write t1 (ALL) but only describe t2: the per-topic denial of an acks=0
    // produce must not be answered (the producer reads no response) but close the
    // connection; the allowed topic's batch is still appended, as in Kafka.
    let (cluster, ..) = setup(true).await;
    let leader_of = |p: Option<kafka_testkit::PartitionState>| p.and_then(|p| p.leader).unwrap();
    let (l1, l2) = (
        leader_of(cluster.partition_state("t1", 0).await.unwrap()),
        leader_of(cluster.partition_state("t2", 0).await.unwrap()),
    );
    if l1 != l2 {
        cluster.move_leader("t2", 0, l1).await.unwrap();
    }
    let before = cluster.partition_state("t1", 0).await.unwrap().unwrap().high_watermark;
    let mut c = connect_as(&cluster, l1, Some("alice")).await;
    let data = |topic: &str| {
        TopicProduceData::default().with_name(topic.into()).with_partition_data(vec![
            PartitionProduceData::default().with_index(0).with_records(Some(kafka_testkit::testing::record_batch(&[b"v"], 1).into())),
        ])
    };
    let request = ProduceRequest::default().with_acks(0).with_topic_data(vec![data("t1"), data("t2")]);
    c.write(&request, 9).await.unwrap();
    let next = c.write(&ApiVersionsRequest::default(), 3).await;
    if let (Ok(correlation), Ok(frame)) = (next, c.read_frame().await) {
        assert_eq!(peek_correlation_id(&frame), Some(correlation), "a response to the acks=0 produce arrived");
    }
    assert!(c.is_closed(Duration::from_secs(1)).await, "connection stays open after a partly denied acks=0 produce");
    assert_eq!(cluster.partition_state("t1", 0).await.unwrap().unwrap().high_watermark, before + 1, "t1's batch appended");
}

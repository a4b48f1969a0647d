//! Raw-protocol tests of each handler over a real socket.

mod support;

use std::time::Duration;

use bytes::Bytes;
use kafka_testkit::codes;
use kafka_testkit::protocol::frame::encode_request;
use kafka_testkit::protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_testkit::protocol::messages::create_topics_request::{CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig};
use kafka_testkit::protocol::messages::delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
use kafka_testkit::protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_testkit::protocol::messages::describe_topic_partitions_request::TopicRequest;
use kafka_testkit::protocol::messages::fetch_request::ForgottenTopic;
use kafka_testkit::protocol::messages::offset_for_leader_epoch_request::{OffsetForLeaderPartition, OffsetForLeaderTopic};
use kafka_testkit::protocol::messages::*;
use kafka_testkit::protocol::{Request, Uuid};
use kafka_testkit::testing::{record_batch, TestClient};
use kafka_testkit::{ApiKey, Cluster, ErrorCode, KafkaVersion};
use support::*;

async fn client(cluster: &Cluster, broker: i32) -> TestClient {
    TestClient::connect(cluster.broker_addr(broker).unwrap()).await.unwrap()
}

async fn leader_of(cluster: &Cluster, topic: &str, partition: i32) -> i32 {
    cluster.partition_state(topic, partition).await.unwrap().unwrap().leader.unwrap()
}

#[tokio::test]
async fn api_versions_advertises_the_handler_table_at_every_version() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    for v in 0..=4 {
        let resp = c.send(&ApiVersionsRequest::default().with_client_software_name("t".into()).with_client_software_version("1".into()), v).await.unwrap();
        assert_eq!(resp.error_code, 0);
        let produce = resp.api_keys.iter().find(|k| k.api_key == 0).unwrap();
        assert_eq!((produce.min_version, produce.max_version), (3, 11));
        let fetch = resp.api_keys.iter().find(|k| k.api_key == 1).unwrap();
        assert_eq!((fetch.min_version, fetch.max_version), (4, 17));
        assert!(resp.api_keys.iter().any(|k| k.api_key == 75), "DescribeTopicPartitions served");
        assert!(resp.api_keys.iter().any(|k| k.api_key == 11), "JoinGroup served");
        assert!(resp.api_keys.iter().any(|k| k.api_key == 22), "InitProducerId served");
        assert!(!resp.api_keys.iter().any(|k| k.api_key == 78), "ShareFetch not served");
    }
}

#[tokio::test]
async fn api_versions_too_new_gets_v0_unsupported_version_with_the_table() {
    let cluster = Cluster::builder().build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    // Header v2 (flexible) request for ApiVersions v99: key 18, version 99, corr 7, client id, tags.
    let mut frame = vec![0, 18, 0, 99, 0, 0, 0, 7, 0, 1, b'x', 0];
    frame.extend_from_slice(&[0]);
    let mut raw = (frame.len() as i32).to_be_bytes().to_vec();
    raw.extend_from_slice(&frame);
    c.write_raw(&raw).await.unwrap();
    let body = c.read_frame().await.unwrap();
    let (header, resp) = kafka_testkit::protocol::frame::decode_response::<ApiVersionsRequest>(body, 0).unwrap();
    assert_eq!(header.correlation_id, 7);
    assert_eq!(resp.error_code, codes::UNSUPPORTED_VERSION);
    assert!(resp.api_keys.iter().any(|k| k.api_key == 18 && k.max_version == 4));
}

#[tokio::test]
async fn kafka_version_preset_caps_the_table() {
    let cluster = Cluster::builder().kafka_version(KafkaVersion::V2_1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let resp = c.send(&ApiVersionsRequest::default(), 2).await.unwrap();
    let max = |k: i16| resp.api_keys.iter().find(|a| a.api_key == k).map(|a| a.max_version);
    assert_eq!(max(3), Some(7));
    assert_eq!(max(0), Some(7));
    assert_eq!(max(1), Some(10));
    assert_eq!(max(60), None, "DescribeCluster did not exist in 2.1");
    // A version above the cap is refused by closing the connection.
    let mut c2 = client(&cluster, 1).await;
    c2.write(&metadata(&[]), 12).await.unwrap();
    assert!(c2.is_closed(Duration::from_secs(5)).await);

    let v4 = Cluster::builder().kafka_version(KafkaVersion::V4_0).cap_version(ApiKey::Metadata, 0, 9).build().await.unwrap();
    let mut c = client(&v4, 1).await;
    let resp = c.send(&ApiVersionsRequest::default(), 3).await.unwrap();
    let produce = resp.api_keys.iter().find(|a| a.api_key == 0).unwrap();
    assert_eq!((produce.min_version, produce.max_version), (3, 11));
    assert_eq!(resp.api_keys.iter().find(|a| a.api_key == 3).unwrap().max_version, 9);
}

#[tokio::test]
async fn bad_requests_close_the_connection_and_the_broker_stays_up() {
    let cluster = Cluster::builder().max_frame_size(1 << 20).build().await.unwrap();
    let addr = cluster.broker_addr(1).unwrap();
    let cases: Vec<Vec<u8>> = vec![
        // unknown API key 999
        { let f = [3u8, 231, 0, 0, 0, 0, 0, 1, 0xff, 0xff]; let mut v = (f.len() as i32).to_be_bytes().to_vec(); v.extend_from_slice(&f); v },
        // Metadata v0 body truncated (topic array length says 5, no topics)
        { let f = [0u8, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 5]; let mut v = (f.len() as i32).to_be_bytes().to_vec(); v.extend_from_slice(&f); v },
        // frame larger than the limit: refused before reading the body
        (64i32 << 20).to_be_bytes().to_vec(),
        // negative size
        (-1i32).to_be_bytes().to_vec(),
        // too short for a header
        vec![0, 0, 0, 2, 0, 3],
    ];
    for raw in cases {
        let mut c = TestClient::connect(addr).await.unwrap();
        c.write_raw(&raw).await.unwrap();
        assert!(c.is_closed(Duration::from_secs(5)).await, "connection not closed for {raw:?}");
    }
    let mut c = TestClient::connect(addr).await.unwrap();
    assert_eq!(c.send(&ApiVersionsRequest::default(), 3).await.unwrap().error_code, 0);
}

#[tokio::test]
async fn metadata_every_version_describes_brokers_topics_and_leaders() {
    let cluster = Cluster::builder().brokers(3).rack(2, "rack-b").topic("t", 4, 2).seed(11).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    for v in 0..=12 {
        let resp = c.send(&metadata(&["t"]), v).await.unwrap();
        assert_eq!(resp.brokers.len(), 3, "v{v}");
        let t = &resp.topics[0];
        assert_eq!(t.error_code, 0, "v{v}");
        assert_eq!(t.partitions.len(), 4);
        for p in &t.partitions {
            assert_eq!(p.replica_nodes.len(), 2);
            assert_eq!(p.leader_id, p.replica_nodes[0]);
        }
        if v >= 1 {
            assert_eq!(resp.brokers.iter().find(|b| b.node_id == 2).unwrap().rack.as_deref(), Some("rack-b"));
            assert_eq!(resp.controller_id, 1);
        }
        if v >= 2 {
            assert_eq!(resp.cluster_id, Some(cluster.cluster_id().await.unwrap()));
        }
        if v >= 7 {
            assert_eq!(t.partitions[0].leader_epoch, 0);
        }
        if v >= 10 {
            assert_ne!(t.topic_id, Uuid::ZERO);
        }
    }
    // Leaders are spread: with 4 partitions over 3 brokers, at least 3 distinct leaders.
    let resp = c.send(&metadata(&["t"]), 12).await.unwrap();
    let mut leaders: Vec<i32> = resp.topics[0].partitions.iter().map(|p| p.leader_id).collect();
    leaders.sort();
    leaders.dedup();
    assert_eq!(leaders.len(), 3);
    // v12: by topic id.
    let id = resp.topics[0].topic_id;
    let by_id = MetadataRequest::default().with_topics(Some(vec![metadata_request::MetadataRequestTopic::default().with_topic_id(id)]));
    let resp = c.send(&by_id, 12).await.unwrap();
    assert_eq!(resp.topics[0].name.as_deref(), Some("t"));
    // All topics: null list (v1+) and empty list at v0.
    assert_eq!(c.send(&MetadataRequest::default().with_topics(None), 9).await.unwrap().topics.len(), 1);
    assert_eq!(c.send(&MetadataRequest::default().with_topics(Some(vec![])), 0).await.unwrap().topics.len(), 1);
    assert_eq!(c.send(&MetadataRequest::default().with_topics(Some(vec![])), 1).await.unwrap().topics.len(), 0);
}

#[tokio::test]
async fn metadata_auto_creates_topics_only_when_allowed() {
    let cluster = Cluster::builder().brokers(2).default_partitions(3).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let mut no_auto = metadata(&["auto"]);
    no_auto.allow_auto_topic_creation = false;
    assert_eq!(c.send(&no_auto, 9).await.unwrap().topics[0].error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);
    let resp = c.send(&metadata(&["auto"]), 9).await.unwrap();
    assert_eq!(resp.topics[0].error_code, 0);
    assert_eq!(resp.topics[0].partitions.len(), 3);
    assert_eq!(resp.topics[0].partitions[0].replica_nodes.len(), 2, "rf capped at broker count");
    assert_eq!(c.send(&metadata(&["bad name!"]), 9).await.unwrap().topics[0].error_code, codes::INVALID_TOPIC_EXCEPTION);

    let off = Cluster::builder().auto_create_topics(false).build().await.unwrap();
    let mut c = client(&off, 1).await;
    assert_eq!(c.send(&metadata(&["x"]), 4).await.unwrap().topics[0].error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);
    assert!(off.topic_names().await.unwrap().is_empty());
}

#[tokio::test]
async fn produce_then_fetch_round_trips_batches_at_every_version() {
    let cluster = Cluster::builder().brokers(3).topic("t", 1, 3).build().await.unwrap();
    let leader = leader_of(&cluster, "t", 0).await;
    let mut c = client(&cluster, leader).await;
    let mut expected_offset = 0;
    for v in 3..=11 {
        let resp = c.send(&produce("t", 0, &[b"one", b"two"], -1), v).await.unwrap();
        let p = &resp.responses[0].partition_responses[0];
        assert_eq!(p.error_code, 0, "produce v{v}");
        assert_eq!(p.base_offset, expected_offset);
        expected_offset += 2;
    }
    let id = c.send(&metadata(&["t"]), 12).await.unwrap().topics[0].topic_id;
    for v in 4..=17 {
        let resp = c.send(&fetch("t", if v >= 13 { id } else { Uuid::ZERO }, 0, 4), v).await.unwrap();
        let p = &resp.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch v{v}");
        assert_eq!(p.high_watermark, 18);
        let records = p.records.as_ref().unwrap();
        assert_eq!(count_records(records), 14, "fetch v{v}");
        assert_eq!(base_offsets(records)[0], 4);
        if v >= 5 {
            assert_eq!(p.log_start_offset, 0);
        }
    }
}

#[tokio::test]
async fn produce_acks_zero_sends_no_response() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    c.write(&produce("t", 0, &[b"silent"], 0), 9).await.unwrap();
    // The next response on the connection is the Metadata one.
    let resp = c.send(&metadata(&["t"]), 9).await.unwrap();
    assert_eq!(resp.topics[0].name.as_deref(), Some("t"));
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 1);
}

#[tokio::test]
async fn failed_acks_zero_produce_closes_the_connection() {
    // Kafka's way of telling an acks=0 producer that something failed (it reads no
    // response): close the connection. Three ways to fail: a partition error from the
    // handler (not the leader), an injected error, an unknown topic.
    let cluster = Cluster::builder().brokers(2).topic("t", 1, 2).build().await.unwrap();
    let leader = leader_of(&cluster, "t", 0).await;
    let follower = if leader == 1 { 2 } else { 1 };
    let mut c = client(&cluster, follower).await;
    c.write(&produce("t", 0, &[b"to the follower"], 0), 9).await.unwrap();
    assert!(c.is_closed(Duration::from_secs(5)).await, "NOT_LEADER_OR_FOLLOWER on acks=0");

    let mut c = client(&cluster, leader).await;
    c.write(&produce("missing", 0, &[b"x"], 0), 9).await.unwrap();
    assert!(c.is_closed(Duration::from_secs(5)).await, "unknown topic on acks=0");

    cluster.faults().fail(ApiKey::Produce, 1, ErrorCode::KafkaStorageError).await.unwrap();
    let mut c = client(&cluster, leader).await;
    c.write(&produce("t", 0, &[b"x"], 0), 9).await.unwrap();
    assert!(c.is_closed(Duration::from_secs(5)).await, "injected error on acks=0");

    // A successful one keeps the connection and sends nothing.
    let mut c = client(&cluster, leader).await;
    c.write(&produce("t", 0, &[b"ok"], 0), 9).await.unwrap();
    let resp = c.send(&metadata(&["t"]), 9).await.unwrap();
    assert_eq!(resp.topics[0].name.as_deref(), Some("t"));
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 1);
}

#[tokio::test]
async fn produce_validates_batches_and_leadership() {
    let cluster = Cluster::builder()
        .brokers(2)
        .topic("t", 1, 2)
        .topic_with_configs("small", 1, 1, [("max.message.bytes", "100")])
        .build()
        .await
        .unwrap();
    let leader = leader_of(&cluster, "t", 0).await;
    let follower = if leader == 1 { 2 } else { 1 };
    let mut c = client(&cluster, leader).await;
    let code = |r: ProduceResponse| r.responses[0].partition_responses[0].error_code;

    let mut bad_crc = record_batch(&[b"x"], 1);
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    assert_eq!(code(c.send(&produce_raw("t", 0, bad_crc.into(), 1), 9).await.unwrap()), codes::CORRUPT_MESSAGE);
    let good = record_batch(&[b"x"], 1);
    assert_eq!(code(c.send(&produce_raw("t", 0, Bytes::copy_from_slice(&good[..40]), 1), 9).await.unwrap()), codes::CORRUPT_MESSAGE);
    let mut magic1 = good.clone();
    magic1[16] = 1;
    assert_eq!(code(c.send(&produce_raw("t", 0, magic1.into(), 1), 9).await.unwrap()), codes::INVALID_RECORD);
    let mut codec7 = good.clone();
    codec7[22] |= 7;
    let crc = crc32c::crc32c(&codec7[21..]);
    codec7[17..21].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(code(c.send(&produce_raw("t", 0, codec7.into(), 1), 9).await.unwrap()), codes::UNSUPPORTED_COMPRESSION_TYPE);
    assert_eq!(code(c.send(&produce("t", 5, &[b"x"], 1), 9).await.unwrap()), codes::UNKNOWN_TOPIC_OR_PARTITION);
    assert_eq!(code(c.send(&produce("nope", 0, &[b"x"], 1), 9).await.unwrap()), codes::UNKNOWN_TOPIC_OR_PARTITION);
    assert_eq!(code(c.send(&produce("t", 0, &[b"x"], 2), 9).await.unwrap()), codes::INVALID_REQUIRED_ACKS);
    let big = vec![7u8; 200];
    let small_leader = leader_of(&cluster, "small", 0).await;
    let mut s = client(&cluster, small_leader).await;
    let resp = s.send(&produce("small", 0, &[&big], 1), 9).await.unwrap();
    assert_eq!(code(resp.clone()), codes::MESSAGE_TOO_LARGE);
    assert!(resp.responses[0].partition_responses[0].error_message.as_deref().unwrap().contains("max.message.bytes"));
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 0);

    // Sent to the follower: NOT_LEADER_OR_FOLLOWER with the KIP-951 hint at v10+.
    let mut f = client(&cluster, follower).await;
    let resp = f.send(&produce("t", 0, &[b"x"], 1), 11).await.unwrap();
    let p = &resp.responses[0].partition_responses[0];
    assert_eq!(p.error_code, codes::NOT_LEADER_OR_FOLLOWER);
    assert_eq!(p.current_leader.leader_id, leader);
    assert_eq!(resp.node_endpoints.len(), 1);
    assert_eq!(resp.node_endpoints[0].node_id, leader);
    let resp = f.send(&produce("t", 0, &[b"x"], 1), 8).await.unwrap();
    assert_eq!(resp.responses[0].partition_responses[0].error_code, codes::NOT_LEADER_OR_FOLLOWER);
}

#[tokio::test]
async fn log_append_time_topics_stamp_batches_and_keep_the_crc_valid() {
    let cluster = Cluster::builder().topic_with_configs("lat", 1, 1, [("message.timestamp.type", "LogAppendTime")]).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let resp = c.send(&produce("lat", 0, &[b"a"], 1), 9).await.unwrap();
    let stamped = resp.responses[0].partition_responses[0].log_append_time_ms;
    assert!(stamped > 1_000_000, "log append time {stamped}");
    let f = c.send(&fetch("lat", Uuid::ZERO, 0, 0), 12).await.unwrap();
    let records = f.responses[0].partitions[0].records.clone().unwrap();
    assert_eq!(i64::from_be_bytes(records[35..43].try_into().unwrap()), stamped);
    assert_eq!(records[22] & 0x08, 0x08);
    assert_eq!(crc32c::crc32c(&records[21..]), u32::from_be_bytes(records[17..21].try_into().unwrap()));
}

#[tokio::test]
async fn fetch_limits_and_offset_errors() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let big = vec![1u8; 3000];
    for _ in 0..3 {
        c.send(&produce("t", 0, &[&big], 1), 9).await.unwrap();
    }
    // Partition max smaller than a batch: still one batch (KIP-74).
    let mut req = fetch("t", Uuid::ZERO, 0, 0);
    req.topics[0].partitions[0].partition_max_bytes = 10;
    let resp = c.send(&req, 11).await.unwrap();
    assert_eq!(base_offsets(resp.responses[0].partitions[0].records.as_ref().unwrap()), vec![0]);
    // Response max of 5000 bytes: first batch only.
    let mut req = fetch("t", Uuid::ZERO, 0, 0);
    req.max_bytes = 5000;
    let resp = c.send(&req, 11).await.unwrap();
    assert_eq!(base_offsets(resp.responses[0].partitions[0].records.as_ref().unwrap()), vec![0]);
    // Past the end.
    let resp = c.send(&fetch("t", Uuid::ZERO, 0, 4), 11).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, codes::OFFSET_OUT_OF_RANGE);
    // At the end: empty, no error.
    let resp = c.send(&fetch("t", Uuid::ZERO, 0, 3), 11).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, 0);
    assert!(resp.responses[0].partitions[0].records.as_ref().unwrap().is_empty());
    // Unknown topic id at v13+.
    let resp = c.send(&fetch("", Uuid([9; 16]), 0, 0), 13).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, codes::UNKNOWN_TOPIC_ID);
    // Stale leader epoch.
    cluster.move_leader("t", 0, 1).await.unwrap();
    let mut req = fetch("t", Uuid::ZERO, 0, 0);
    req.topics[0].partitions[0].current_leader_epoch = 0;
    let resp = c.send(&req, 12).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, codes::FENCED_LEADER_EPOCH);
}

#[tokio::test]
async fn long_poll_fetch_completes_when_data_arrives() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut consumer = client(&cluster, 1).await;
    let mut producer = client(&cluster, 1).await;
    let mut req = fetch("t", Uuid::ZERO, 0, 0);
    req.max_wait_ms = 30_000;
    let corr = consumer.write(&req, 12).await.unwrap();
    cluster.wait_for_request(ApiKey::Fetch, Duration::from_secs(5)).await.unwrap();
    producer.send(&produce("t", 0, &[b"wake"], 1), 9).await.unwrap();
    let resp = consumer.read::<FetchRequest>(corr, 12).await.unwrap();
    assert_eq!(count_records(resp.responses[0].partitions[0].records.as_ref().unwrap()), 1);
}

#[tokio::test(start_paused = true)]
async fn long_poll_fetch_expires_on_tokio_time() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    c.timeout = Duration::from_secs(600);
    let mut req = fetch("t", Uuid::ZERO, 0, 0);
    req.max_wait_ms = 60_000;
    let started = tokio::time::Instant::now();
    let resp = c.send(&req, 12).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(60));
    assert!(resp.responses[0].partitions[0].records.as_ref().unwrap().is_empty());
}

#[tokio::test]
async fn fetch_sessions_are_incremental() {
    let cluster = Cluster::builder().topic("a", 1, 1).topic("b", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    c.send(&produce("a", 0, &[b"1"], 1), 9).await.unwrap();
    // Open a session with both partitions, a already read up to its end.
    let mut req = fetch("a", Uuid::ZERO, 0, 1);
    let b_topic = fetch("b", Uuid::ZERO, 0, 0).topics.remove(0);
    req.topics.push(b_topic);
    req.session_id = 0;
    req.session_epoch = 0;
    let resp = c.send(&req, 12).await.unwrap();
    assert_eq!(resp.error_code, 0);
    let session = resp.session_id;
    assert_ne!(session, 0);
    assert_eq!(resp.responses.len(), 2, "full response lists every partition");
    // Incremental, nothing changed: empty response.
    let inc = |epoch: i32| FetchRequest::default().with_max_wait_ms(0).with_min_bytes(0).with_max_bytes(1 << 20).with_session_id(session).with_session_epoch(epoch);
    let resp = c.send(&inc(1), 12).await.unwrap();
    assert_eq!(resp.error_code, 0);
    assert!(resp.responses.is_empty(), "{resp:?}");
    // New data on b: only b comes back.
    c.send(&produce("b", 0, &[b"2"], 1), 9).await.unwrap();
    let mut req = inc(2);
    req.topics = fetch("a", Uuid::ZERO, 0, 1).topics;
    let resp = c.send(&req, 12).await.unwrap();
    let names: Vec<&str> = resp.responses.iter().map(|t| t.topic.as_str()).collect();
    assert_eq!(names, vec!["b"]);
    // Forget b; produce to b; nothing comes back.
    let mut req = inc(3);
    req.forgotten_topics_data = vec![ForgottenTopic::default().with_topic("b".into()).with_partitions(vec![0])];
    c.send(&produce("b", 0, &[b"3"], 1), 9).await.unwrap();
    assert!(c.send(&req, 12).await.unwrap().responses.is_empty());
    // Wrong epoch and unknown session.
    assert_eq!(c.send(&inc(9), 12).await.unwrap().error_code, codes::INVALID_FETCH_SESSION_EPOCH);
    let mut unknown = inc(1);
    unknown.session_id = session.wrapping_add(1);
    assert_eq!(c.send(&unknown, 12).await.unwrap().error_code, codes::FETCH_SESSION_ID_NOT_FOUND);
    // Close the session.
    let resp = c.send(&fetch("a", Uuid::ZERO, 0, 0).with_session_id(session).with_session_epoch(-1), 12).await.unwrap();
    assert_eq!(resp.session_id, 0);
    assert_eq!(c.send(&inc(4), 12).await.unwrap().error_code, codes::FETCH_SESSION_ID_NOT_FOUND);
}

async fn ask(c: &mut TestClient, ts: i64, v: i16) -> list_offsets_response::ListOffsetsPartitionResponse {
    c.send(&list_offsets("t", 0, ts), v).await.unwrap().topics[0].partitions[0].clone()
}

#[tokio::test]
async fn list_offsets_earliest_latest_max_timestamp_and_by_time() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    for ts in [100i64, 300, 200] {
        c.send(&produce_raw("t", 0, record_batch(&[b"x", b"y"], ts).into(), 1), 9).await.unwrap();
    }
    assert_eq!(ask(&mut c, -1, 7).await.offset, 6);
    assert_eq!(ask(&mut c, -2, 7).await.offset, 0);
    let max = ask(&mut c, -3, 7).await;
    assert_eq!((max.offset, max.timestamp), (2, 300));
    let by_time = ask(&mut c, 150, 5).await;
    assert_eq!((by_time.offset, by_time.timestamp), (2, 300));
    assert_eq!(ask(&mut c, 1000, 5).await.offset, -1);
    assert_eq!(ask(&mut c, -1, 0).await.old_style_offsets, vec![6]);
    assert_eq!(ask(&mut c, -1, 4).await.leader_epoch, 0);
    // DeleteRecords moves the earliest offset.
    let req = DeleteRecordsRequest::default().with_topics(vec![DeleteRecordsTopic::default()
        .with_name("t".into())
        .with_partitions(vec![DeleteRecordsPartition::default().with_partition_index(0).with_offset(2)])]);
    let resp = c.send(&req, 2).await.unwrap();
    assert_eq!(resp.topics[0].partitions[0].low_watermark, 2);
    assert_eq!(ask(&mut c, -2, 7).await.offset, 2);
    let resp = c.send(&fetch("t", Uuid::ZERO, 0, 0), 12).await.unwrap();
    assert_eq!(resp.responses[0].partitions[0].error_code, codes::OFFSET_OUT_OF_RANGE);
    // Kafka reports no offsets with an error (log start -1); clients ask ListOffsets.
    assert_eq!(resp.responses[0].partitions[0].log_start_offset, -1);
}

#[tokio::test]
async fn create_topics_validates_and_stores() {
    let cluster = Cluster::builder().brokers(3).topic("exists", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let topic = |name: &str, p: i32, rf: i16| CreatableTopic::default().with_name(name.into()).with_num_partitions(p).with_replication_factor(rf);
    let req = CreateTopicsRequest::default().with_timeout_ms(1000).with_topics(vec![
        topic("new", 3, 2).with_configs(vec![CreatableTopicConfig::default().with_name("retention.ms".into()).with_value(Some("1000".into()))]),
        topic("exists", 1, 1),
        topic("zero", 0, 1),
        topic("rf", 1, 4),
        topic("bad/name", 1, 1),
        topic("assigned", -1, -1).with_assignments(vec![
            CreatableReplicaAssignment::default().with_partition_index(0).with_broker_ids(vec![3, 1]),
            CreatableReplicaAssignment::default().with_partition_index(1).with_broker_ids(vec![2, 3]),
        ]),
        topic("defaults", -1, -1),
    ]);
    let resp = c.send(&req, 7).await.unwrap();
    let codes_by_name: Vec<(String, i16)> = resp.topics.iter().map(|t| (t.name.clone(), t.error_code)).collect();
    assert_eq!(codes_by_name, vec![
        ("new".into(), 0),
        ("exists".into(), codes::TOPIC_ALREADY_EXISTS),
        ("zero".into(), codes::INVALID_PARTITIONS),
        ("rf".into(), codes::INVALID_REPLICATION_FACTOR),
        ("bad/name".into(), codes::INVALID_TOPIC_EXCEPTION),
        ("assigned".into(), 0),
        ("defaults".into(), 0),
    ]);
    assert_eq!(resp.topics[0].num_partitions, 3);
    assert_ne!(resp.topics[0].topic_id, Uuid::ZERO);
    assert!(resp.topics[2].error_message.is_some());
    let assigned = cluster.partition_state("assigned", 0).await.unwrap().unwrap();
    assert_eq!((assigned.leader, assigned.replicas), (Some(3), vec![3, 1]));
    // Validate-only creates nothing; every version encodes.
    for v in 0..=7 {
        let mut req = CreateTopicsRequest::default().with_topics(vec![topic(&format!("v{v}"), 1, 1)]);
        req.validate_only = v >= 1;
        let resp = c.send(&req, v).await.unwrap();
        assert_eq!(resp.topics[0].error_code, 0, "v{v}");
    }
    let names = cluster.topic_names().await.unwrap();
    assert!(names.contains(&"v0".to_string()));
    assert!(!names.contains(&"v1".to_string()));
}

#[tokio::test]
async fn delete_topics_by_name_and_id() {
    let cluster = Cluster::builder().topic("a", 1, 1).topic("b", 1, 1).topic("c", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let resp = c.send(&DeleteTopicsRequest::default().with_topic_names(vec!["a".into(), "zz".into()]), 5).await.unwrap();
    assert_eq!(resp.responses.iter().map(|r| r.error_code).collect::<Vec<_>>(), vec![0, codes::UNKNOWN_TOPIC_OR_PARTITION]);
    let id = c.send(&metadata(&["b"]), 12).await.unwrap().topics[0].topic_id;
    let req = DeleteTopicsRequest::default().with_topics(vec![
        DeleteTopicState::default().with_topic_id(id),
        DeleteTopicState::default().with_name(Some("c".into())),
        DeleteTopicState::default().with_topic_id(Uuid([1; 16])),
    ]);
    let resp = c.send(&req, 6).await.unwrap();
    assert_eq!(resp.responses[0].name.as_deref(), Some("b"));
    assert_eq!(resp.responses.iter().map(|r| r.error_code).collect::<Vec<_>>(), vec![0, 0, codes::UNKNOWN_TOPIC_ID]);
    assert!(cluster.topic_names().await.unwrap().is_empty());
}

#[tokio::test]
async fn create_partitions_grows_topics() {
    let cluster = Cluster::builder().brokers(2).topic("t", 2, 2).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let req = CreatePartitionsRequest::default().with_topics(vec![
        // Null assignments: the broker places replicas (an empty list would be rejected).
        CreatePartitionsTopic::default().with_name("t".into()).with_count(5).with_assignments(None),
        CreatePartitionsTopic::default().with_name("nope".into()).with_count(5).with_assignments(None),
    ]);
    let resp = c.send(&req, 3).await.unwrap();
    assert_eq!(resp.results.iter().map(|r| r.error_code).collect::<Vec<_>>(), vec![0, codes::UNKNOWN_TOPIC_OR_PARTITION]);
    assert_eq!(c.send(&metadata(&["t"]), 9).await.unwrap().topics[0].partitions.len(), 5);
    let shrink = CreatePartitionsRequest::default().with_topics(vec![CreatePartitionsTopic::default().with_name("t".into()).with_count(3)]);
    assert_eq!(c.send(&shrink, 0).await.unwrap().results[0].error_code, codes::INVALID_PARTITIONS);
}

#[tokio::test]
async fn find_coordinator_single_and_batched() {
    let cluster = Cluster::builder().brokers(3).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let expected = cluster.coordinator(kafka_testkit::CoordinatorType::Group, "g1").await.unwrap();
    for v in 0..=3 {
        let resp = c.send(&FindCoordinatorRequest::default().with_key("g1".into()), v).await.unwrap();
        assert_eq!((resp.error_code, resp.node_id), (0, expected), "v{v}");
        assert_eq!(resp.port, i32::from(cluster.broker_addr(expected).unwrap().port()));
    }
    cluster.move_coordinator(kafka_testkit::CoordinatorType::Transaction, "tx", 2).await.unwrap();
    let req = FindCoordinatorRequest::default().with_key_type(1).with_coordinator_keys(vec!["tx".into(), "other".into()]);
    let resp = c.send(&req, 5).await.unwrap();
    assert_eq!(resp.coordinators[0].node_id, 2);
    assert_eq!(resp.coordinators[1].error_code, 0);
    let bad = FindCoordinatorRequest::default().with_key_type(9).with_coordinator_keys(vec!["x".into()]);
    assert_eq!(c.send(&bad, 4).await.unwrap().coordinators[0].error_code, codes::INVALID_REQUEST);
}

#[tokio::test]
async fn describe_cluster_and_topic_partitions() {
    let cluster = Cluster::builder().brokers(2).rack(1, "r1").topic("a", 3, 2).topic("b", 2, 1).build().await.unwrap();
    let mut c = client(&cluster, 2).await;
    for v in 0..=1 {
        let resp = c.send(&DescribeClusterRequest::default(), v).await.unwrap();
        assert_eq!(resp.brokers.len(), 2);
        assert_eq!(resp.cluster_id, cluster.cluster_id().await.unwrap());
        assert_eq!(resp.brokers.iter().find(|b| b.broker_id == 1).unwrap().rack.as_deref(), Some("r1"));
    }
    let req = DescribeTopicPartitionsRequest::default().with_response_partition_limit(4);
    let resp = c.send(&req, 0).await.unwrap();
    let parts: usize = resp.topics.iter().map(|t| t.partitions.len()).sum();
    assert_eq!(parts, 4);
    let cursor = resp.next_cursor.clone().unwrap();
    assert_eq!((cursor.topic_name.as_str(), cursor.partition_index), ("b", 1));
    let mut req = DescribeTopicPartitionsRequest::default().with_response_partition_limit(4);
    req.cursor = Some(describe_topic_partitions_request::Cursor::default().with_topic_name("b".into()).with_partition_index(1));
    let resp = c.send(&req, 0).await.unwrap();
    assert_eq!(resp.topics.len(), 1);
    assert_eq!(resp.topics[0].partitions[0].partition_index, 1);
    assert!(resp.next_cursor.is_none());
    let req = DescribeTopicPartitionsRequest::default().with_response_partition_limit(10).with_topics(vec![TopicRequest::default().with_name("zz".into())]);
    assert_eq!(c.send(&req, 0).await.unwrap().topics[0].error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);
}

#[tokio::test]
async fn offset_for_leader_epoch_follows_leader_changes() {
    let cluster = Cluster::builder().brokers(2).topic("t", 1, 2).build().await.unwrap();
    let first = leader_of(&cluster, "t", 0).await;
    let second = if first == 1 { 2 } else { 1 };
    let mut c1 = client(&cluster, first).await;
    c1.send(&produce("t", 0, &[b"a", b"b"], 1), 9).await.unwrap();
    cluster.move_leader("t", 0, second).await.unwrap();
    let mut c2 = client(&cluster, second).await;
    c2.send(&produce("t", 0, &[b"c"], 1), 9).await.unwrap();
    let ask = |epoch: i32| OffsetForLeaderEpochRequest::default().with_replica_id(-2).with_topics(vec![OffsetForLeaderTopic::default()
        .with_topic("t".into())
        .with_partitions(vec![OffsetForLeaderPartition::default().with_partition(0).with_leader_epoch(epoch).with_current_leader_epoch(-1)])]);
    let r = c2.send(&ask(0), 4).await.unwrap().topics[0].partitions[0].clone();
    assert_eq!((r.error_code, r.leader_epoch, r.end_offset), (0, 0, 2));
    let r = c2.send(&ask(1), 4).await.unwrap().topics[0].partitions[0].clone();
    assert_eq!((r.leader_epoch, r.end_offset), (1, 3));
    let r = c1.send(&ask(0), 3).await.unwrap().topics[0].partitions[0].clone();
    assert_eq!(r.error_code, codes::NOT_LEADER_OR_FOLLOWER);
}

#[tokio::test]
async fn retention_deletes_old_batches_but_keeps_the_newest() {
    let cluster = Cluster::builder()
        .topic_with_configs("t", 1, 1, [("retention.ms", "1000")])
        .topic_with_configs("sized", 1, 1, [("retention.bytes", "1")])
        .build()
        .await
        .unwrap();
    let mut c = client(&cluster, 1).await;
    for ts in [1_000i64, 5_000, 9_500] {
        c.send(&produce_raw("t", 0, record_batch(&[b"x"], ts).into(), 1), 9).await.unwrap();
        c.send(&produce_raw("sized", 0, record_batch(&[b"x"], ts).into(), 1), 9).await.unwrap();
    }
    let removed = cluster.apply_retention_at(10_000).await.unwrap();
    assert_eq!(removed, 2 + 2);
    let state = cluster.partition_state("t", 0).await.unwrap().unwrap();
    assert_eq!((state.log_start_offset, state.high_watermark, state.batches), (2, 3, 1));
}

#[tokio::test]
async fn every_served_request_version_answers() {
    // Sends a default request of every served API at every served version: the broker must
    // answer each with a decodable response (never close the connection on a valid request).
    let cluster = Cluster::builder().brokers(2).topic("t", 1, 1).build().await.unwrap();
    let mut c = client(&cluster, 1).await;
    let resp = c.send(&ApiVersionsRequest::default(), 3).await.unwrap();
    for k in &resp.api_keys {
        for v in k.min_version..=k.max_version {
            let key = ApiKey::from_i16(k.api_key).unwrap();
            let mut buf = bytes::BytesMut::new();
            macro_rules! send {
                ($($variant:ident => $req:expr),*) => {
                    match key {
                        $(ApiKey::$variant => encode_request(&mut buf, 99, Some("all"), &$req, v).unwrap(),)*
                        other => panic!("add {other:?} to this test"),
                    }
                };
            }
            send!(Produce => ProduceRequest::default().with_acks(-1), Fetch => FetchRequest::default(),
                  ListOffsets => ListOffsetsRequest::default(), Metadata => MetadataRequest::default(),
                  FindCoordinator => FindCoordinatorRequest::default(), ApiVersions => ApiVersionsRequest::default(),
                  CreateTopics => CreateTopicsRequest::default(), DeleteTopics => DeleteTopicsRequest::default(),
                  DeleteRecords => DeleteRecordsRequest::default(),
                  OffsetForLeaderEpoch => OffsetForLeaderEpochRequest::default(),
                  CreatePartitions => CreatePartitionsRequest::default(),
                  DescribeCluster => DescribeClusterRequest::default(),
                  DescribeTopicPartitions => DescribeTopicPartitionsRequest::default(),
                  OffsetCommit => OffsetCommitRequest::default(), OffsetFetch => OffsetFetchRequest::default(),
                  JoinGroup => JoinGroupRequest::default(), Heartbeat => HeartbeatRequest::default(),
                  LeaveGroup => LeaveGroupRequest::default(), SyncGroup => SyncGroupRequest::default(),
                  DescribeGroups => DescribeGroupsRequest::default(), ListGroups => ListGroupsRequest::default(),
                  DeleteGroups => DeleteGroupsRequest::default(), OffsetDelete => OffsetDeleteRequest::default(),
                  ConsumerGroupHeartbeat => ConsumerGroupHeartbeatRequest::default(),
                  ConsumerGroupDescribe => ConsumerGroupDescribeRequest::default(),
                  InitProducerId => InitProducerIdRequest::default(), AddPartitionsToTxn => AddPartitionsToTxnRequest::default(),
                  AddOffsetsToTxn => AddOffsetsToTxnRequest::default(), EndTxn => EndTxnRequest::default(),
                  TxnOffsetCommit => TxnOffsetCommitRequest::default(), DescribeProducers => DescribeProducersRequest::default(),
                  DescribeTransactions => DescribeTransactionsRequest::default(),
                  ListTransactions => ListTransactionsRequest::default(),
                  DescribeConfigs => DescribeConfigsRequest::default(), AlterConfigs => AlterConfigsRequest::default(),
                  IncrementalAlterConfigs => IncrementalAlterConfigsRequest::default(),
                  DescribeClientQuotas => DescribeClientQuotasRequest::default(),
                  AlterClientQuotas => AlterClientQuotasRequest::default(),
                  ElectLeaders => ElectLeadersRequest::default(),
                  AlterPartitionReassignments => AlterPartitionReassignmentsRequest::default(),
                  ListPartitionReassignments => ListPartitionReassignmentsRequest::default(),
                  DescribeLogDirs => DescribeLogDirsRequest::default(),
                  SaslHandshake => kafka_testkit::protocol::messages::SaslHandshakeRequest::default(),
                  SaslAuthenticate => kafka_testkit::protocol::messages::SaslAuthenticateRequest::default(),
                  DescribeAcls => kafka_testkit::protocol::messages::DescribeAclsRequest::default(),
                  CreateAcls => kafka_testkit::protocol::messages::CreateAclsRequest::default(),
                  DeleteAcls => kafka_testkit::protocol::messages::DeleteAclsRequest::default(),
                  DescribeUserScramCredentials => kafka_testkit::protocol::messages::DescribeUserScramCredentialsRequest::default(),
                  AlterUserScramCredentials => kafka_testkit::protocol::messages::AlterUserScramCredentialsRequest::default());
            c.write_raw(&buf).await.unwrap();
            let frame = c.read_frame().await.unwrap_or_else(|e| panic!("{key:?} v{v}: {e}"));
            let (_, _) = kafka_testkit::protocol::frame::decode_response_body(frame, key, v)
                .unwrap_or_else(|e| panic!("{key:?} v{v}: {e}"));
        }
    }
    let _ = <ProduceRequest as Request>::KEY;
}

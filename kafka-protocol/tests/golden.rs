//! Golden bytes from a real client: request frames sent by kcat 1.7.1 (librdkafka 2.0.2),
//! captured with `tests/data/capture_kcat.py` (see `tests/data/kcat/README.md`).
//!
//! Each frame is decoded (header at the version `ApiKey::request_header_version` gives, then the
//! body), its fields are checked against what librdkafka is known to send, and re-encoding the
//! decoded header and body must reproduce the captured bytes exactly. Covered: ApiVersions v0
//! and v3, Metadata v2 and v4, Produce v7 (uncompressed with headers, gzip, snappy, lz4, zstd,
//! idempotent), InitProducerId v4, ListOffsets v2 and Fetch v11. The record batches inside the Produce frames
//! are also checked field by field (CRC-32C, producer id, keys, values, headers).

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{self, RequestFrame};
use kafka_protocol::messages::{
    ApiVersionsRequest, FetchRequest, InitProducerIdRequest, MetadataRequest, ProduceRequest,
    RequestBody, RequestHeader,
};
use kafka_protocol::{wire, ApiKey, Message, Request};

const API_VERSIONS_V0: &[u8] = include_bytes!("data/kcat/api_versions_v0.bin");
const API_VERSIONS_V3: &[u8] = include_bytes!("data/kcat/api_versions_v3.bin");
const METADATA_V2_BROKERS_ONLY: &[u8] = include_bytes!("data/kcat/metadata_v2_brokers_only.bin");
const METADATA_V2_ALL_TOPICS: &[u8] = include_bytes!("data/kcat/metadata_v2_all_topics.bin");
const METADATA_V2_TOPIC: &[u8] = include_bytes!("data/kcat/metadata_v2_topic.bin");
const METADATA_V4_BROKERS_ONLY: &[u8] = include_bytes!("data/kcat/metadata_v4_brokers_only.bin");
const METADATA_V4_ALL_TOPICS: &[u8] = include_bytes!("data/kcat/metadata_v4_all_topics.bin");
const METADATA_V4_TOPIC: &[u8] = include_bytes!("data/kcat/metadata_v4_topic.bin");
const PRODUCE_V7_NONE: &[u8] = include_bytes!("data/kcat/produce_v7_none.bin");
const PRODUCE_V7_GZIP: &[u8] = include_bytes!("data/kcat/produce_v7_gzip.bin");
const PRODUCE_V7_SNAPPY: &[u8] = include_bytes!("data/kcat/produce_v7_snappy.bin");
const PRODUCE_V7_LZ4: &[u8] = include_bytes!("data/kcat/produce_v7_lz4.bin");
const PRODUCE_V7_ZSTD: &[u8] = include_bytes!("data/kcat/produce_v7_zstd.bin");
const PRODUCE_V7_IDEMPOTENT: &[u8] = include_bytes!("data/kcat/produce_v7_idempotent.bin");
const INIT_PRODUCER_ID_V4: &[u8] = include_bytes!("data/kcat/init_producer_id_v4.bin");
const FETCH_V11: &[u8] = include_bytes!("data/kcat/fetch_v11.bin");
const LIST_OFFSETS_V2_EARLIEST: &[u8] = include_bytes!("data/kcat/list_offsets_v2_earliest.bin");
const LIST_OFFSETS_V2_TIMESTAMP: &[u8] = include_bytes!("data/kcat/list_offsets_v2_timestamp.bin");

/// Every captured frame with its file name, for the checks that apply to all of them.
const ALL: &[(&str, &[u8])] = &[
    ("api_versions_v0.bin", API_VERSIONS_V0),
    ("api_versions_v3.bin", API_VERSIONS_V3),
    ("metadata_v2_brokers_only.bin", METADATA_V2_BROKERS_ONLY),
    ("metadata_v2_all_topics.bin", METADATA_V2_ALL_TOPICS),
    ("metadata_v2_topic.bin", METADATA_V2_TOPIC),
    ("metadata_v4_brokers_only.bin", METADATA_V4_BROKERS_ONLY),
    ("metadata_v4_all_topics.bin", METADATA_V4_ALL_TOPICS),
    ("metadata_v4_topic.bin", METADATA_V4_TOPIC),
    ("produce_v7_none.bin", PRODUCE_V7_NONE),
    ("produce_v7_gzip.bin", PRODUCE_V7_GZIP),
    ("produce_v7_snappy.bin", PRODUCE_V7_SNAPPY),
    ("produce_v7_lz4.bin", PRODUCE_V7_LZ4),
    ("produce_v7_zstd.bin", PRODUCE_V7_ZSTD),
    ("produce_v7_idempotent.bin", PRODUCE_V7_IDEMPOTENT),
    ("init_producer_id_v4.bin", INIT_PRODUCER_ID_V4),
    ("fetch_v11.bin", FETCH_V11),
    ("list_offsets_v2_earliest.bin", LIST_OFFSETS_V2_EARLIEST),
    ("list_offsets_v2_timestamp.bin", LIST_OFFSETS_V2_TIMESTAMP),
];

/// librdkafka's default `client.id`, which kcat does not override.
const CLIENT_ID: &str = "rdkafka";

fn decode(name: &str, bytes: &'static [u8]) -> RequestFrame {
    frame::decode_request(Bytes::from_static(bytes))
        .unwrap_or_else(|e| panic!("{name}: decoding failed: {e}"))
}

/// Re-encodes a decoded frame and checks it is byte-for-byte the capture.
fn assert_reencodes(name: &str, decoded: &RequestFrame, captured: &[u8]) {
    let mut out = BytesMut::new();
    frame::encode_request_body(&mut out, &decoded.header, &decoded.body)
        .unwrap_or_else(|e| panic!("{name}: re-encoding failed: {e}"));
    let (prefix, rest) = out.split_at(4);
    assert_eq!(prefix, (captured.len() as i32).to_be_bytes(), "{name}: size prefix");
    assert_eq!(rest, captured, "{name}: re-encoded bytes differ from the capture");
}

/// Decodes a frame the long way: header at the version the API key dictates, then the
/// concrete body type, which must consume the rest exactly.
fn decode_typed<R: Request>(name: &str, bytes: &'static [u8], version: i16) -> (RequestHeader, R) {
    let mut buf = Bytes::from_static(bytes);
    let header_version = R::KEY.request_header_version(version);
    let header = RequestHeader::decode(&mut buf, header_version)
        .unwrap_or_else(|e| panic!("{name}: header: {e}"));
    let body = R::decode_exact(buf, version).unwrap_or_else(|e| panic!("{name}: body: {e}"));
    (header, body)
}

fn assert_header(name: &str, header: &RequestHeader, key: ApiKey, version: i16, correlation_id: i32) {
    assert_eq!(header.request_api_key, key.key(), "{name}: api key");
    assert_eq!(header.request_api_version, version, "{name}: api version");
    assert_eq!(header.correlation_id, correlation_id, "{name}: correlation id");
    assert_eq!(header.client_id.as_deref(), Some(CLIENT_ID), "{name}: client id");
    assert!(header.unknown_tagged_fields.is_empty(), "{name}: header tagged fields");
}

fn api_versions(decoded: &RequestFrame) -> &ApiVersionsRequest {
    match &decoded.body {
        RequestBody::ApiVersions(body) => body,
        other => panic!("expected ApiVersions, got {:?}", other.api_key()),
    }
}

fn metadata(decoded: &RequestFrame) -> &MetadataRequest {
    match &decoded.body {
        RequestBody::Metadata(body) => body,
        other => panic!("expected Metadata, got {:?}", other.api_key()),
    }
}

fn topic_names(body: &MetadataRequest) -> Option<Vec<Option<&str>>> {
    body.topics
        .as_ref()
        .map(|topics| topics.iter().map(|t| t.name.as_deref()).collect())
}

#[test]
fn api_versions_v3_carries_client_software() {
    let name = "api_versions_v3.bin";
    let decoded = decode(name, API_VERSIONS_V3);
    assert_eq!(decoded.api_key, ApiKey::ApiVersions);
    // v3 is flexible: request header v2 (client id still a classic INT16 string).
    assert_eq!(ApiKey::ApiVersions.request_header_version(3), 2);
    assert_header(name, &decoded.header, ApiKey::ApiVersions, 3, 1);
    let body = api_versions(&decoded);
    assert_eq!(body.client_software_name, "librdkafka");
    assert_eq!(body.client_software_version, "2.0.2");
    assert!(body.unknown_tagged_fields.is_empty());
    assert_reencodes(name, &decoded, API_VERSIONS_V3);

    let (header, typed) = decode_typed::<ApiVersionsRequest>(name, API_VERSIONS_V3, 3);
    assert_eq!(&header, &decoded.header);
    assert_eq!(&typed, body);
}

#[test]
fn api_versions_v0_after_downgrade() {
    // Sent after the capture broker answered v3 with UNSUPPORTED_VERSION and max version 0.
    let name = "api_versions_v0.bin";
    let decoded = decode(name, API_VERSIONS_V0);
    assert_eq!(ApiKey::ApiVersions.request_header_version(0), 1);
    assert_header(name, &decoded.header, ApiKey::ApiVersions, 0, 2);
    // v0 has an empty body: the software name and version are not on the wire.
    assert_eq!(api_versions(&decoded), &ApiVersionsRequest::default());
    assert_eq!(API_VERSIONS_V0.len(), 8 + 2 + CLIENT_ID.len());
    assert_reencodes(name, &decoded, API_VERSIONS_V0);
}

#[test]
fn metadata_v4_requests() {
    // Broker discovery: an empty topic list, no auto-creation.
    let name = "metadata_v4_brokers_only.bin";
    let decoded = decode(name, METADATA_V4_BROKERS_ONLY);
    assert_header(name, &decoded.header, ApiKey::Metadata, 4, 2);
    let body = metadata(&decoded);
    assert_eq!(topic_names(body), Some(vec![]));
    assert!(!body.allow_auto_topic_creation);
    assert_reencodes(name, &decoded, METADATA_V4_BROKERS_ONLY);

    // `kcat -L`: a null topic list means every topic.
    let name = "metadata_v4_all_topics.bin";
    let decoded = decode(name, METADATA_V4_ALL_TOPICS);
    assert_header(name, &decoded.header, ApiKey::Metadata, 4, 3);
    let body = metadata(&decoded);
    assert_eq!(topic_names(body), None);
    assert!(body.allow_auto_topic_creation);
    assert_reencodes(name, &decoded, METADATA_V4_ALL_TOPICS);

    // `kcat -L -t golden-topic`.
    let name = "metadata_v4_topic.bin";
    let decoded = decode(name, METADATA_V4_TOPIC);
    assert_header(name, &decoded.header, ApiKey::Metadata, 4, 2);
    let body = metadata(&decoded);
    assert_eq!(topic_names(body), Some(vec![Some("golden-topic")]));
    assert!(body.allow_auto_topic_creation);
    assert!(!body.include_cluster_authorized_operations);
    assert!(!body.include_topic_authorized_operations);
    assert_reencodes(name, &decoded, METADATA_V4_TOPIC);

    let (header, typed) = decode_typed::<MetadataRequest>(name, METADATA_V4_TOPIC, 4);
    assert_eq!(&header, &decoded.header);
    assert_eq!(&typed, body);
}

#[test]
fn metadata_v2_requests() {
    // v2 has no AllowAutoTopicCreation on the wire; the decoded value is the schema default
    // (true), which is also what a v2 broker does.
    let name = "metadata_v2_brokers_only.bin";
    let decoded = decode(name, METADATA_V2_BROKERS_ONLY);
    assert_header(name, &decoded.header, ApiKey::Metadata, 2, 3);
    let body = metadata(&decoded);
    assert_eq!(topic_names(body), Some(vec![]));
    assert!(body.allow_auto_topic_creation);
    assert_reencodes(name, &decoded, METADATA_V2_BROKERS_ONLY);

    let name = "metadata_v2_all_topics.bin";
    let decoded = decode(name, METADATA_V2_ALL_TOPICS);
    assert_header(name, &decoded.header, ApiKey::Metadata, 2, 4);
    assert_eq!(topic_names(metadata(&decoded)), None);
    assert_reencodes(name, &decoded, METADATA_V2_ALL_TOPICS);

    let name = "metadata_v2_topic.bin";
    let decoded = decode(name, METADATA_V2_TOPIC);
    assert_header(name, &decoded.header, ApiKey::Metadata, 2, 3);
    assert_eq!(topic_names(metadata(&decoded)), Some(vec![Some("golden-topic")]));
    assert_reencodes(name, &decoded, METADATA_V2_TOPIC);
}

#[test]
fn typed_encoder_reproduces_the_metadata_capture() {
    // Build the `-L -t golden-topic` request from scratch with the typed API and compare.
    let topic = kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
        .with_name(Some("golden-topic".to_owned()));
    let request = MetadataRequest::default()
        .with_topics(Some(vec![topic]))
        .with_allow_auto_topic_creation(true);
    let mut out = BytesMut::new();
    frame::encode_request(&mut out, 2, Some(CLIENT_ID), &request, 4).expect("encode");
    assert_eq!(&out[4..], METADATA_V4_TOPIC);
}

#[test]
fn every_strict_prefix_is_rejected() {
    for &(name, bytes) in ALL {
        for len in 0..bytes.len() {
            let truncated = Bytes::copy_from_slice(&bytes[..len]);
            assert!(
                frame::decode_request(truncated).is_err(),
                "{name}: a {len}-byte prefix decoded"
            );
        }
    }
}

#[test]
fn every_capture_round_trips() {
    for &(name, bytes) in ALL {
        let decoded = decode(name, bytes);
        assert_eq!(decoded.header.client_id.as_deref(), Some(CLIENT_ID), "{name}");
        assert_reencodes(name, &decoded, bytes);
    }
}

// ---- Produce, InitProducerId, Fetch ------------------------------------------------------

/// The value kcat produced for both records of the compression captures: "golden" x 20.
fn golden_value() -> Vec<u8> {
    b"golden".repeat(20)
}

fn produce(decoded: &RequestFrame) -> &ProduceRequest {
    match &decoded.body {
        RequestBody::Produce(body) => body,
        other => panic!("expected Produce, got {:?}", other.api_key()),
    }
}

/// Checks the Produce envelope kcat sends (acks=all, 30 s timeout, one partition of
/// golden-topic) and returns the raw record batch.
fn produce_batch(name: &str, decoded: &RequestFrame, correlation_id: i32) -> Bytes {
    assert_header(name, &decoded.header, ApiKey::Produce, 7, correlation_id);
    let body = produce(decoded);
    assert_eq!(body.transactional_id, None, "{name}");
    assert_eq!(body.acks, -1, "{name}: acks");
    assert_eq!(body.timeout_ms, 30_000, "{name}: request.timeout.ms");
    assert_eq!(body.topic_data.len(), 1, "{name}");
    let topic = &body.topic_data[0];
    assert_eq!(topic.name, "golden-topic", "{name}");
    assert_eq!(topic.partition_data.len(), 1, "{name}");
    assert_eq!(topic.partition_data[0].index, 0, "{name}");
    topic.partition_data[0].records.clone().unwrap_or_else(|| panic!("{name}: null records"))
}

/// The fixed fields of a v2 record batch, read with the wire primitives (independently of
/// the `records` module) so the captures also check our reading of the batch layout.
#[derive(Debug)]
struct BatchHeader {
    base_offset: i64,
    partition_leader_epoch: i32,
    magic: i8,
    attributes: i16,
    last_offset_delta: i32,
    base_timestamp: i64,
    max_timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    record_count: i32,
    records: Bytes,
}

fn read_batch(name: &str, mut batch: Bytes) -> BatchHeader {
    let whole = batch.clone();
    let base_offset = wire::read_i64(&mut batch).expect("base offset");
    let batch_length = wire::read_i32(&mut batch).expect("batch length");
    assert_eq!(usize::try_from(batch_length).ok(), Some(whole.len() - 12), "{name}: batch length");
    let partition_leader_epoch = wire::read_i32(&mut batch).expect("leader epoch");
    let magic = wire::read_i8(&mut batch).expect("magic");
    let crc = wire::read_i32(&mut batch).expect("crc") as u32;
    // CRC-32C over everything after the CRC field.
    assert_eq!(crc32c::crc32c(&whole[21..]), crc, "{name}: batch CRC-32C");
    BatchHeader {
        base_offset,
        partition_leader_epoch,
        magic,
        attributes: wire::read_i16(&mut batch).expect("attributes"),
        last_offset_delta: wire::read_i32(&mut batch).expect("last offset delta"),
        base_timestamp: wire::read_i64(&mut batch).expect("base timestamp"),
        max_timestamp: wire::read_i64(&mut batch).expect("max timestamp"),
        producer_id: wire::read_i64(&mut batch).expect("producer id"),
        producer_epoch: wire::read_i16(&mut batch).expect("producer epoch"),
        base_sequence: wire::read_i32(&mut batch).expect("base sequence"),
        record_count: wire::read_i32(&mut batch).expect("record count"),
        records: batch,
    }
}

#[derive(Debug, PartialEq)]
struct Record {
    timestamp_delta: i64,
    offset_delta: i32,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Vec<(String, Option<Vec<u8>>)>,
}

fn read_varint_bytes(buf: &mut Bytes) -> Option<Vec<u8>> {
    let len = wire::read_varint(buf).expect("length");
    (len >= 0).then(|| wire::take(buf, len as usize).expect("bytes").to_vec())
}

fn read_records(mut buf: Bytes, count: i32) -> Vec<Record> {
    let mut out = Vec::new();
    for _ in 0..count {
        let len = wire::read_varint(&mut buf).expect("record length");
        let mut rec = wire::take(&mut buf, len as usize).expect("record");
        assert_eq!(wire::read_i8(&mut rec).expect("attributes"), 0);
        let timestamp_delta = wire::read_varlong(&mut rec).expect("timestamp delta");
        let offset_delta = wire::read_varint(&mut rec).expect("offset delta");
        let key = read_varint_bytes(&mut rec);
        let value = read_varint_bytes(&mut rec);
        let header_count = wire::read_varint(&mut rec).expect("header count");
        let mut headers = Vec::new();
        for _ in 0..header_count {
            let key = read_varint_bytes(&mut rec).expect("header key");
            headers.push((String::from_utf8(key).expect("utf-8"), read_varint_bytes(&mut rec)));
        }
        assert!(rec.is_empty(), "record has {} trailing bytes", rec.len());
        out.push(Record { timestamp_delta, offset_delta, key, value, headers });
    }
    assert!(buf.is_empty(), "{} bytes after the last record", buf.len());
    out
}

/// Decompresses a batch's records section with the codec named by its attributes, or
/// returns `None` when that codec's cargo feature is off.
fn decompress(codec: i16, data: &[u8]) -> Option<Vec<u8>> {
    #[cfg(any(feature = "gzip", feature = "lz4"))]
    use std::io::Read;
    let mut out = Vec::new();
    match codec {
        0 => out.extend_from_slice(data),
        #[cfg(feature = "gzip")]
        1 => {
            flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("gzip");
        }
        // librdkafka compresses v2 batches with raw snappy (no xerial framing).
        #[cfg(feature = "snappy")]
        2 => out = snap::raw::Decoder::new().decompress_vec(data).expect("snappy"),
        #[cfg(feature = "lz4")]
        3 => {
            lz4_flex::frame::FrameDecoder::new(data).read_to_end(&mut out).expect("lz4");
        }
        #[cfg(feature = "zstd")]
        4 => out = zstd::stream::decode_all(data).expect("zstd"),
        _ => return None,
    }
    Some(out)
}

fn check_compressed_capture(name: &str, bytes: &'static [u8], codec: i16) {
    let decoded = decode(name, bytes);
    let batch = read_batch(name, produce_batch(name, &decoded, 3));
    assert_eq!(batch.base_offset, 0, "{name}");
    assert_eq!(batch.magic, 2, "{name}");
    assert_eq!(batch.partition_leader_epoch, 0, "{name}");
    // Compression codec in bits 0-2; CreateTime, not transactional, not control.
    assert_eq!(batch.attributes, codec, "{name}: attributes");
    assert_eq!(batch.last_offset_delta, 1, "{name}");
    assert!(batch.max_timestamp >= batch.base_timestamp, "{name}");
    assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, -1, -1), "{name}");
    assert_eq!(batch.record_count, 2, "{name}");
    match decompress(codec, &batch.records) {
        Some(plain) => {
            let records = read_records(Bytes::from(plain), batch.record_count);
            let keys: Vec<_> = records.iter().map(|r| r.key.clone()).collect();
            assert_eq!(keys, vec![Some(b"key1".to_vec()), Some(b"key2".to_vec())], "{name}");
            for (i, r) in records.iter().enumerate() {
                assert_eq!(r.offset_delta, i as i32, "{name}");
                assert_eq!(r.value.as_deref(), Some(&golden_value()[..]), "{name}");
                assert!(r.headers.is_empty(), "{name}");
            }
        }
        None => eprintln!("{name}: codec {codec} feature disabled, record contents not checked"),
    }
    assert_reencodes(name, &decoded, bytes);
}

#[test]
fn produce_v7_uncompressed_with_headers() {
    let name = "produce_v7_none.bin";
    let decoded = decode(name, PRODUCE_V7_NONE);
    let batch = read_batch(name, produce_batch(name, &decoded, 3));
    assert_eq!(batch.magic, 2);
    assert_eq!(batch.attributes, 0);
    assert_eq!(batch.record_count, 2);
    assert_eq!(batch.last_offset_delta, 1);
    assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (-1, -1, -1));
    let records = read_records(batch.records.clone(), batch.record_count);
    let headers = vec![
        ("h1".to_owned(), Some(b"v1".to_vec())),
        ("h2".to_owned(), Some(b"v2".to_vec())),
    ];
    for (i, (r, key)) in records.iter().zip([&b"key1"[..], b"key2"]).enumerate() {
        assert_eq!(r.offset_delta, i as i32);
        assert!(r.timestamp_delta >= 0);
        assert_eq!(r.key.as_deref(), Some(key));
        assert_eq!(r.value.as_deref(), Some(&golden_value()[..]));
        assert_eq!(r.headers, headers);
    }
    assert_reencodes(name, &decoded, PRODUCE_V7_NONE);
}

#[test]
fn produce_v7_gzip() {
    check_compressed_capture("produce_v7_gzip.bin", PRODUCE_V7_GZIP, 1);
}

#[test]
fn produce_v7_snappy() {
    check_compressed_capture("produce_v7_snappy.bin", PRODUCE_V7_SNAPPY, 2);
}

#[test]
fn produce_v7_lz4() {
    check_compressed_capture("produce_v7_lz4.bin", PRODUCE_V7_LZ4, 3);
}

#[test]
fn produce_v7_zstd() {
    check_compressed_capture("produce_v7_zstd.bin", PRODUCE_V7_ZSTD, 4);
}

#[test]
fn idempotent_producer_init_and_produce() {
    let name = "init_producer_id_v4.bin";
    let decoded = decode(name, INIT_PRODUCER_ID_V4);
    assert_eq!(ApiKey::InitProducerId.request_header_version(4), 2);
    assert_header(name, &decoded.header, ApiKey::InitProducerId, 4, 3);
    let body = match &decoded.body {
        RequestBody::InitProducerId(body) => body,
        other => panic!("expected InitProducerId, got {:?}", other.api_key()),
    };
    // Idempotence without transactions: no transactional id, no timeout, no existing id.
    assert_eq!(body.transactional_id, None);
    assert_eq!(body.transaction_timeout_ms, -1);
    assert_eq!(body.producer_id, -1);
    assert_eq!(body.producer_epoch, -1);
    assert_reencodes(name, &decoded, INIT_PRODUCER_ID_V4);
    let (_, typed) = decode_typed::<InitProducerIdRequest>(name, INIT_PRODUCER_ID_V4, 4);
    assert_eq!(&typed, body);

    // The capture broker handed out producer id 4242, epoch 0.
    let name = "produce_v7_idempotent.bin";
    let decoded = decode(name, PRODUCE_V7_IDEMPOTENT);
    let batch = read_batch(name, produce_batch(name, &decoded, 4));
    assert_eq!((batch.producer_id, batch.producer_epoch, batch.base_sequence), (4242, 0, 0));
    assert_eq!(batch.attributes, 0);
    assert_eq!(batch.record_count, 1);
    let records = read_records(batch.records.clone(), 1);
    assert_eq!(records[0].key.as_deref(), Some(&b"key1"[..]));
    assert_eq!(records[0].value.as_deref(), Some(&b"value1"[..]));
    assert_reencodes(name, &decoded, PRODUCE_V7_IDEMPOTENT);
}

#[test]
fn fetch_v11_from_offset_zero() {
    let name = "fetch_v11.bin";
    let decoded = decode(name, FETCH_V11);
    assert_header(name, &decoded.header, ApiKey::Fetch, 11, 5);
    let body = match &decoded.body {
        RequestBody::Fetch(body) => body,
        other => panic!("expected Fetch, got {:?}", other.api_key()),
    };
    assert_eq!(body.replica_id, -1);
    assert_eq!(body.max_wait_ms, 500, "fetch.wait.max.ms");
    assert_eq!(body.min_bytes, 1, "fetch.min.bytes");
    assert_eq!(body.max_bytes, 52_428_800, "fetch.max.bytes");
    assert_eq!(body.isolation_level, 1, "librdkafka defaults to read_committed");
    assert_eq!((body.session_id, body.session_epoch), (0, -1), "no fetch session");
    assert_eq!(body.topics.len(), 1);
    assert_eq!(body.topics[0].topic, "golden-topic");
    assert_eq!(body.topics[0].partitions.len(), 1);
    let p = &body.topics[0].partitions[0];
    assert_eq!(p.partition, 0);
    assert_eq!(p.current_leader_epoch, -1);
    assert_eq!(p.fetch_offset, 0);
    assert_eq!(p.log_start_offset, -1);
    assert_eq!(p.partition_max_bytes, 1_048_576, "max.partition.fetch.bytes");
    assert!(body.forgotten_topics_data.is_empty());
    assert_eq!(body.rack_id, "");
    assert_reencodes(name, &decoded, FETCH_V11);
    let (_, typed) = decode_typed::<FetchRequest>(name, FETCH_V11, 11);
    assert_eq!(&typed, body);
}

#[test]
fn list_offsets_v2_earliest_and_by_timestamp() {
    // `kcat -C -o beginning` asks for the earliest offset (timestamp -2); `kcat -Q` asks for
    // the first offset at or after a timestamp.
    for (name, bytes, correlation_id, timestamp) in [
        ("list_offsets_v2_earliest.bin", LIST_OFFSETS_V2_EARLIEST, 4, -2),
        ("list_offsets_v2_timestamp.bin", LIST_OFFSETS_V2_TIMESTAMP, 3, 1_700_000_000_000),
    ] {
        let decoded = decode(name, bytes);
        assert_header(name, &decoded.header, ApiKey::ListOffsets, 2, correlation_id);
        let body = match &decoded.body {
            RequestBody::ListOffsets(body) => body,
            other => panic!("expected ListOffsets, got {:?}", other.api_key()),
        };
        assert_eq!(body.replica_id, -1, "{name}");
        assert_eq!(body.isolation_level, 1, "{name}: read_committed");
        assert_eq!(body.topics.len(), 1, "{name}");
        assert_eq!(body.topics[0].name, "golden-topic", "{name}");
        assert_eq!(body.topics[0].partitions.len(), 1, "{name}");
        let p = &body.topics[0].partitions[0];
        assert_eq!(p.partition_index, 0, "{name}");
        assert_eq!(p.timestamp, timestamp, "{name}");
        assert_reencodes(name, &decoded, bytes);
    }
}

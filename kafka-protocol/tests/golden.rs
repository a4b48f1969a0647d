//! Golden bytes from a real client: request frames sent by kcat 1.7.1 (librdkafka 2.0.2),
//! captured with `tests/data/capture_kcat.py` (see `tests/data/kcat/README.md`).
//!
//! Each frame is decoded (header at the version `ApiKey::request_header_version` gives, then the
//! body), its fields are checked against what librdkafka is known to send, and re-encoding the
//! decoded header and body must reproduce the captured bytes exactly.

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{self, RequestFrame};
use kafka_protocol::messages::{
    ApiVersionsRequest, MetadataRequest, RequestBody, RequestHeader,
};
use kafka_protocol::{ApiKey, Message, Request};

const API_VERSIONS_V0: &[u8] = include_bytes!("data/kcat/api_versions_v0.bin");
const API_VERSIONS_V3: &[u8] = include_bytes!("data/kcat/api_versions_v3.bin");
const METADATA_V2_BROKERS_ONLY: &[u8] = include_bytes!("data/kcat/metadata_v2_brokers_only.bin");
const METADATA_V2_ALL_TOPICS: &[u8] = include_bytes!("data/kcat/metadata_v2_all_topics.bin");
const METADATA_V2_TOPIC: &[u8] = include_bytes!("data/kcat/metadata_v2_topic.bin");
const METADATA_V4_BROKERS_ONLY: &[u8] = include_bytes!("data/kcat/metadata_v4_brokers_only.bin");
const METADATA_V4_ALL_TOPICS: &[u8] = include_bytes!("data/kcat/metadata_v4_all_topics.bin");
const METADATA_V4_TOPIC: &[u8] = include_bytes!("data/kcat/metadata_v4_topic.bin");

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

//! Property round-trips over every generated message and every version it implements.
//!
//! For each (message, version) a seeded random value valid at that version is encoded,
//! decoded and re-encoded: the value must survive, the bytes must be identical, the encoded
//! length must be exact, and truncated input must fail cleanly. Seeds come from proptest, whose
//! failures persist in `proptest-regressions/`, plus a fixed list that always runs.

use proptest::prelude::*;

use crate::messages::round_trip_checks;
use crate::Message;

/// Seeds that always run, whatever proptest draws.
const FIXED_SEEDS: &[u64] = &[0, 1, 2, 3, 42, 0xdead_beef, u64::MAX];

fn check_all(seed: u64) -> Result<(), String> {
    for (name, versions, check) in round_trip_checks() {
        for version in versions.min..=versions.max {
            check(seed, version).map_err(|e| format!("{name} v{version} seed {seed}: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn every_message_round_trips_with_fixed_seeds() {
    for &seed in FIXED_SEEDS {
        if let Err(e) = check_all(seed) {
            panic!("{e}");
        }
    }
    // `KAFKA_PROTOCOL_FUZZ_SEEDS=kafka-protocol/fuzz/seeds cargo test -p kafka-protocol --lib
    // fixed_seeds` refreshes the fuzzers' seed corpus from these valid encodings.
    if let Ok(dir) = std::env::var("KAFKA_PROTOCOL_FUZZ_SEEDS") {
        write_fuzz_seeds(std::path::Path::new(&dir)).expect("writing fuzz seeds");
    }
}

fn write_fuzz_seeds(dir: &std::path::Path) -> std::io::Result<()> {
    use bytes::BufMut;
    let requests = dir.join("request_decode");
    let responses = dir.join("response_decode");
    std::fs::create_dir_all(&requests)?;
    std::fs::create_dir_all(&responses)?;
    for (name, versions, check) in round_trip_checks() {
        let Some((index, key)) = crate::ApiKey::ALL.iter().enumerate().find(|(_, k)| {
            name.strip_suffix("Request").or_else(|| name.strip_suffix("Response")) == Some(k.name())
        }) else {
            continue;
        };
        for version in [versions.min, versions.max] {
            let body = check(1, version).expect("seed encoding");
            let mut out = bytes::BytesMut::new();
            if name.ends_with("Request") {
                let header = crate::messages::RequestHeader::default()
                    .with_request_api_key(key.key())
                    .with_request_api_version(version)
                    .with_correlation_id(1)
                    .with_client_id(Some("seed".into()));
                header.encode(&mut out, key.request_header_version(version)).expect("header");
                out.put_slice(&body);
                std::fs::write(requests.join(format!("{name}-v{version}")), &out)?;
            } else {
                out.put_u16(index as u16);
                out.put_u16((version - versions.min) as u16);
                out.put_slice(&body);
                std::fs::write(responses.join(format!("{name}-v{version}")), &out)?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_message_round_trips(seed in any::<u64>()) {
        if let Err(e) = check_all(seed) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_generated_set_covers_every_broker_api() {
    // 72 broker-served APIs in the definitions this crate is generated from.
    assert_eq!(crate::ApiKey::ALL.len(), 72);
    let names: Vec<&str> = round_trip_checks().iter().map(|(n, _, _)| *n).collect();
    for key in crate::ApiKey::ALL {
        assert!(names.contains(&format!("{}Request", key.name()).as_str()), "{key} request");
        assert!(names.contains(&format!("{}Response", key.name()).as_str()), "{key} response");
    }
    for data in ["RequestHeader", "ResponseHeader", "ConsumerProtocolSubscription",
                 "ConsumerProtocolAssignment", "DefaultPrincipalData", "LeaderChangeMessage"] {
        assert!(names.contains(&data), "{data}");
    }
}

mod semantics {
    use bytes::{BufMut, Bytes, BytesMut};

    use crate::codec::{DecodeErrorKind, EncodeError, Message, RawTaggedField, Request};
    use crate::messages::fetch_request::{FetchPartition, FetchTopic};
    use crate::messages::{
        ApiKey, ApiVersionsRequest, ConsumerGroupHeartbeatRequest, EndTxnRequest, FetchRequest,
        FetchResponse, MetadataRequest,
    };

    #[test]
    fn non_ignorable_field_outside_its_versions_is_an_error() {
        let req = MetadataRequest::default().with_allow_auto_topic_creation(false);
        assert_eq!(
            req.encode_to_bytes(3).unwrap_err(),
            EncodeError::FieldNotInVersion {
                message: "MetadataRequest",
                field: "AllowAutoTopicCreation",
                version: 3
            }
        );
        // The default value is fine in any version.
        assert!(MetadataRequest::default().encode_to_bytes(3).is_ok());
    }

    #[test]
    fn ignorable_field_outside_its_versions_is_dropped() {
        let req = FetchRequest::default().with_rack_id("rack-a".into());
        let bytes = req.encode_to_bytes(10).unwrap();
        let back = FetchRequest::decode_exact(bytes, 10).unwrap();
        assert_eq!(back.rack_id, "");
        let bytes = req.encode_to_bytes(11).unwrap();
        assert_eq!(FetchRequest::decode_exact(bytes, 11).unwrap().rack_id, "rack-a");
    }

    #[test]
    fn null_is_rejected_where_the_version_forbids_it() {
        // Metadata topics may be null (all topics) from v1 only.
        let req = MetadataRequest::default().with_topics(None);
        assert!(matches!(
            req.encode_to_bytes(0).unwrap_err(),
            EncodeError::NullNotAllowed { field: "Topics", version: 0, .. }
        ));
        assert!(req.encode_to_bytes(1).is_ok());
    }

    #[test]
    fn known_tagged_fields_are_written_only_when_set() {
        let plain = FetchRequest::default().encode_to_bytes(12).unwrap();
        let with_cluster = FetchRequest::default()
            .with_cluster_id(Some("c1".into()))
            .encode_to_bytes(12)
            .unwrap();
        // tag 0, size 3, compact string "c1" (len+1 = 3)
        assert_eq!(with_cluster.len(), plain.len() + 5);
        let back = FetchRequest::decode_exact(with_cluster, 12).unwrap();
        assert_eq!(back.cluster_id.as_deref(), Some("c1"));
        assert!(back.unknown_tagged_fields.is_empty());
    }

    #[test]
    fn unknown_tagged_fields_survive_a_round_trip_in_tag_order() {
        // ApiVersionsRequest v3: client software name and version, then the tagged section.
        let mut raw = BytesMut::new();
        raw.put_u8(4);
        raw.put_slice(b"abc");
        raw.put_u8(2);
        raw.put_slice(b"1");
        raw.put_u8(2); // two tagged fields
        raw.put_u8(5);
        raw.put_u8(1);
        raw.put_u8(0xaa);
        raw.put_u8(9);
        raw.put_u8(2);
        raw.put_slice(&[1, 2]);
        let raw = raw.freeze();
        let req = ApiVersionsRequest::decode_exact(raw.clone(), 3).unwrap();
        assert_eq!(req.client_software_name, "abc");
        assert_eq!(
            req.unknown_tagged_fields,
            vec![
                RawTaggedField { tag: 5, data: Bytes::from_static(&[0xaa]) },
                RawTaggedField { tag: 9, data: Bytes::from_static(&[1, 2]) },
            ]
        );
        assert_eq!(req.encode_to_bytes(3).unwrap(), raw);
    }

    #[test]
    fn unstable_latest_versions_are_not_picked_by_default() {
        // Both are marked latestVersionUnstable in the definitions.
        assert_eq!(EndTxnRequest::VERSIONS.max, 5);
        assert_eq!(EndTxnRequest::MAX_STABLE_VERSION, 4);
        assert_eq!(ApiKey::EndTxn.max_stable_version(), 4);
        assert_eq!(
            ConsumerGroupHeartbeatRequest::MAX_STABLE_VERSION,
            ConsumerGroupHeartbeatRequest::VERSIONS.max - 1
        );
        assert_eq!(ApiKey::Fetch.max_stable_version(), ApiKey::Fetch.versions().max);
    }

    #[test]
    fn decode_errors_name_message_version_and_field_path() {
        let req = FetchRequest::default().with_topics(vec![FetchTopic::default()
            .with_topic("t".into())
            .with_partitions(vec![FetchPartition::default().with_fetch_offset(7)])]);
        let bytes = req.encode_to_bytes(4).unwrap();
        let cut = bytes.slice(..bytes.len() - 3);
        let err = FetchRequest::decode_exact(cut, 4).unwrap_err();
        assert_eq!(err.message(), Some("FetchRequest"));
        assert_eq!(err.version(), Some(4));
        assert_eq!(err.field_path(), "Topics.Partitions.PartitionMaxBytes");
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated { .. }));
        assert_eq!(
            err.to_string(),
            "decoding FetchRequest v4, field Topics.Partitions.PartitionMaxBytes: input truncated: needed 4 bytes, 1 left"
        );
        let trailing = Bytes::from([bytes.to_vec(), vec![0]].concat());
        assert_eq!(
            FetchRequest::decode_exact(trailing, 4).unwrap_err().kind(),
            &DecodeErrorKind::TrailingBytes(1)
        );
    }

    #[test]
    fn unsupported_versions_are_typed_errors_both_ways() {
        assert!(matches!(
            FetchResponse::default().encode_to_bytes(99).unwrap_err(),
            EncodeError::UnsupportedVersion { message: "FetchResponse", version: 99, .. }
        ));
        let err = FetchResponse::decode_exact(Bytes::new(), -1).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::UnsupportedVersion { version: -1, .. }));
    }
}

#[test]
fn credential_fields_never_show_in_debug_output() {
    use crate::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
    use crate::messages::SaslAuthenticateRequest;
    let plain = SaslAuthenticateRequest::default()
        .with_auth_bytes(bytes::Bytes::from_static(b"\0alice\0hunter2"));
    let shown = format!("{plain:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("104, 117"), "{shown}");
    assert!(shown.contains("<redacted>"));
    let scram = ScramCredentialUpsertion::default()
        .with_name("bob".into())
        .with_salted_password(bytes::Bytes::from_static(b"secret-salted"));
    let shown = format!("{scram:?}");
    assert!(shown.contains("bob") && !shown.contains("secret") && shown.contains("<redacted>"));
}

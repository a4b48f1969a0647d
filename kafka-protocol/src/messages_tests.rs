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

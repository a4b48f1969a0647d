//! Property round-trips over every generated message and every version it implements.
//!
//! For each (message, version) a seeded random value valid at that version is encoded,
//! decoded and re-encoded: the value must survive, the bytes must be identical, the encoded
//! length must be exact, and truncated input must fail cleanly. Seeds come from proptest, whose
//! failures persist in `proptest-regressions/`, plus a fixed list that always runs.

use proptest::prelude::*;

use crate::messages::round_trip_checks;

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

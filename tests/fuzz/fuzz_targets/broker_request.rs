//! Arbitrary bytes as a sequence of request frames (see `kafka_testkit::fuzzing::run` for the
//! layout) pushed through the broker's request handling on a fresh 3-broker cluster, sans IO.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kafka_testkit::fuzzing::run(data);
});

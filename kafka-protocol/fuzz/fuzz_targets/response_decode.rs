//! Decodes arbitrary bytes as a response body: the first two bytes pick the API, the next two
//! the version, the rest is the body.
//!
//! Must never panic. When decoding succeeds, re-encoding must succeed, report its exact
//! length, and be stable across a second decode/encode.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ResponseBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let all = ApiKey::ALL;
    let key = all[usize::from(u16::from_be_bytes([data[0], data[1]])) % all.len()];
    let range = key.versions();
    let span = (range.max - range.min + 1) as u16;
    let version = range.min + (u16::from_be_bytes([data[2], data[3]]) % span) as i16;
    let mut body = Bytes::copy_from_slice(&data[4..]);
    let Ok(value) = ResponseBody::decode(key, &mut body, version) else { return };
    let mut first = BytesMut::new();
    value.encode(&mut first, version).expect("a decoded response re-encodes");
    assert_eq!(first.len(), value.encoded_len(version), "encoded_len mismatch");
    let mut bytes = first.clone().freeze();
    let again = ResponseBody::decode(key, &mut bytes, version).expect("re-encoded response decodes");
    assert!(bytes.is_empty(), "re-encoded response has trailing bytes");
    let mut second = BytesMut::new();
    again.encode(&mut second, version).expect("second encode");
    assert_eq!(first, second, "re-encoding is not stable");
});

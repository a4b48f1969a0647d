//! Decodes arbitrary bytes as a request frame (header + body, any API and version).
//!
//! Must never panic. When decoding succeeds, re-encoding must succeed and be stable:
//! encode(decode(encode(v))) == encode(v), and the encoded length must be exact.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame::{decode_request, encode_request_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = decode_request(Bytes::copy_from_slice(data)) else { return };
    let mut first = BytesMut::new();
    encode_request_body(&mut first, &frame.header, &frame.body).expect("a decoded request re-encodes");
    let again = decode_request(first.clone().freeze().split_off(4)).expect("re-encoded request decodes");
    let mut second = BytesMut::new();
    encode_request_body(&mut second, &again.header, &again.body).expect("second encode");
    assert_eq!(first, second, "re-encoding is not stable");
});

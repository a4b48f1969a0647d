//! Encodes a Metadata request at every version the crate implements and prints its size.
//!
//! Run with `cargo run --example encode_request`.

use kafka_protocol::messages::MetadataRequest;
use kafka_protocol::{Message, Request};

fn main() {
    let request = MetadataRequest::default().with_topics(None);
    let versions = MetadataRequest::VERSIONS;
    for version in versions.min..=versions.max {
        let mut buf = bytes::BytesMut::new();
        match request.encode(&mut buf, version) {
            Ok(()) => println!("{} v{version}: {} bytes", MetadataRequest::NAME, buf.len()),
            Err(e) => println!("{} v{version}: {e}", MetadataRequest::NAME),
        }
    }
    println!("api key {:?}", MetadataRequest::KEY);
}

//! Encodes a Metadata request at every version the crate implements, prints its size, and
//! decodes it back. Run with `cargo run --example encode_request`.

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::MetadataRequest;
use kafka_protocol::{Message, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some("orders".into()))]))
        .with_allow_auto_topic_creation(false);
    let versions = MetadataRequest::VERSIONS;
    for version in versions.min..=versions.max {
        match request.encode_to_bytes(version) {
            Ok(bytes) => {
                let back = MetadataRequest::decode_exact(bytes.clone(), version)?;
                assert_eq!(back, request);
                println!("{} v{version}: {} bytes", MetadataRequest::NAME, bytes.len());
            }
            // Versions 0-3 cannot express allow_auto_topic_creation=false.
            Err(e) => println!("{} v{version}: {e}", MetadataRequest::NAME),
        }
    }
    println!("api key {} ({})", MetadataRequest::KEY.key(), MetadataRequest::KEY);
    Ok(())
}

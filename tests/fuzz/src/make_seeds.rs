//! Writes the seed corpus for `broker_request`: per served API, at its lowest and highest
//! served version, a record producing one batch to topic `t` on every broker (so later
//! requests find data), then three hostile random requests of that API (kafka-protocol's
//! generator, fixed seeds). Usage: `cargo run --bin make_seeds -- seeds/broker_request`.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::frame::encode_request_body;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, RequestBody, RequestHeader};
use kafka_protocol::testing::{arbitrary_request, Dictionary, Rng};

fn record(out: &mut Vec<u8>, control: u8, header: &RequestHeader, body: &RequestBody) -> bool {
    let mut frame = BytesMut::new();
    if encode_request_body(&mut frame, header, body).is_err() {
        return false;
    }
    let frame = &frame[4..];
    // Small seeds: the fuzzer grows what it needs.
    let Ok(len) = u16::try_from(frame.len()) else { return false };
    if frame.len() > 2048 {
        return false;
    }
    out.put_u8(control);
    out.put_u16(len);
    out.extend_from_slice(frame);
    true
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "seeds/broker_request".into());
    std::fs::create_dir_all(&dir)?;
    let batch = Bytes::from(kafka_testkit::testing::record_batch(&[b"seed", b"data"], 1_700_000_000_000));
    let dict = Dictionary {
        strings: ["t", "u", "g1", "txn-1", "consumer", "range", "retention.ms", "cleanup.policy", "User:alice", "*"]
            .map(String::from)
            .to_vec(),
        uuids: Vec::new(),
        bytes: vec![batch.clone()],
        ints: Vec::new(),
    };
    let produce = ProduceRequest::default().with_acks(-1).with_timeout_ms(1000).with_topic_data(vec![
        TopicProduceData::default()
            .with_name("t".into())
            .with_partition_data(vec![PartitionProduceData::default().with_index(0).with_records(Some(batch))]),
    ]);
    let mut written = 0;
    for (key, range) in kafka_testkit::fuzzing::served() {
        let versions = if range.min == range.max { vec![range.min] } else { vec![range.min, range.max] };
        for version in versions {
            let mut out = Vec::new();
            let mut header = RequestHeader::default();
            header.request_api_key = 0;
            header.request_api_version = 9;
            header.client_id = Some("seed".into());
            for broker in 0..3u8 {
                header.correlation_id = i32::from(broker);
                record(&mut out, broker, &header, &RequestBody::Produce(produce.clone()));
            }
            let mut rng = Rng::hostile(u64::from(key.key() as u16) << 16 | u64::from(version as u16), dict.clone());
            header.request_api_key = key.key();
            header.request_api_version = version;
            for i in 0..3u8 {
                header.correlation_id = 10 + i32::from(i);
                let body = arbitrary_request(key, &mut rng, version);
                // Broker 1..3 in turn, connection 0; the last one after a time jump.
                let control = if i == 2 { 0x80 | 16 } else { i };
                record(&mut out, control, &header, &body);
            }
            std::fs::write(format!("{dir}/{}-v{version}", key.name()), out)?;
            written += 1;
        }
    }
    println!("wrote {written} seeds to {dir}");
    Ok(())
}

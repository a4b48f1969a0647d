//! Decodes arbitrary bytes as the `records` field of a Produce or Fetch message: v2 batches
//! and legacy v0/v1 messages, decompressing every codec and iterating every record and
//! header.
//!
//! Must never panic. CRC checks are off so the fuzzer reaches the record parser; the
//! decompression cap is small to keep runs fast. A v2 batch whose records all decode must
//! re-encode to a batch that decodes to the same records.
#![no_main]

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    ControlRecord, DecodeOptions, RecordBatch, RecordSet, RecordSetEntry,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions::default()
        .with_verify_crc(false)
        .with_max_decompressed_size(1 << 20);
    let mut set = RecordSet::with_options(Bytes::copy_from_slice(data), options);
    for entry in set.by_ref() {
        match entry {
            Ok(RecordSetEntry::Batch(batch)) => check_batch(&batch, &options),
            Ok(RecordSetEntry::Legacy(message)) => {
                if let Ok(inner) = message.messages(&options) {
                    for m in inner {
                        let r = m.into_record();
                        std::hint::black_box((r.key.map(|k| k.len()), r.value.map(|v| v.len())));
                    }
                }
            }
            Err(_) => {}
        }
    }
    assert!(set.partial_tail() <= data.len());
});

fn check_batch(batch: &RecordBatch, options: &DecodeOptions) {
    let Ok(records) = batch.records(options) else { return };
    let mut complete = true;
    for r in records.iter() {
        let Ok(r) = r else {
            complete = false;
            break;
        };
        let mut n = r.key.map_or(0, <[u8]>::len) + r.value.map_or(0, <[u8]>::len);
        for h in r.headers() {
            n += h.key.len() + h.value.map_or(0, <[u8]>::len);
        }
        std::hint::black_box(n);
        if batch.header.is_control {
            let _ = ControlRecord::decode(r.key, r.value);
        }
    }
    if !complete {
        return;
    }
    let owned = records.to_vec().expect("records that iterate also collect");
    let mut out = BytesMut::new();
    batch.encode(&mut out).expect("a decoded batch re-encodes");
    let mut bytes = out.freeze();
    let again = RecordBatch::decode(&mut bytes, &DecodeOptions::default().with_max_decompressed_size(1 << 20))
        .expect("re-encoded batch decodes with a valid CRC");
    assert!(bytes.is_empty());
    assert_eq!(again.payload, batch.payload);
    assert_eq!(again.to_records(options).expect("same records"), owned);
}

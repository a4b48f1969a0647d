//! Proves the hot paths do not allocate per record: a counting global allocator (`stats_alloc`, this
//! test binary only) measures heap allocations while encoding and decoding uncompressed batches.
//!
//! The allocator's counters are process-wide, so this binary runs without the libtest harness
//! (`harness = false` in Cargo.toml): no other thread allocates while it measures.

use std::alloc::System;

use kafka_protocol::records::{Compression, DecodeOptions, Header, RecordBatch, RecordBatchBuilder};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations and reallocations so far, across all threads of this test binary (it holds a
/// single test so nothing else runs concurrently).
fn allocations() -> usize {
    let s = GLOBAL.stats();
    s.allocations + s.reallocations
}

const N: usize = 2000;

fn main() {
    encode_and_decode_do_not_allocate_per_record();
    println!("records_alloc: encode and decode allocate nothing per record: ok");
}

fn encode_and_decode_do_not_allocate_per_record() {
    let value = [7u8; 100];
    let headers = [Header::new("h", Some(&b"v"[..]))];
    let mut builder = RecordBatchBuilder::new(Compression::None).with_capacity(1 << 20);

    let before = allocations();
    for i in 0..N {
        let key = (i as u32).to_be_bytes();
        if i % 2 == 0 {
            builder.append(1_700_000_000_000 + i as i64, Some(&key), Some(&value)).unwrap();
        } else {
            builder.append_with_headers(1_700_000_000_000, Some(&key), Some(&value), &headers).unwrap();
        }
    }
    let encode_allocs = allocations() - before;
    assert_eq!(encode_allocs, 0, "appending {N} records into a pre-sized builder allocated");

    let bytes = builder.finish().unwrap();
    let options = DecodeOptions::default();
    let batch = RecordBatch::decode(&mut bytes.clone(), &options).unwrap();
    let records = batch.records(&options).unwrap();

    let before = allocations();
    let mut total = 0usize;
    for r in records.iter() {
        let r = r.unwrap();
        total += r.key.map_or(0, <[u8]>::len) + r.value.map_or(0, <[u8]>::len);
        for h in r.headers() {
            total += h.key.len() + h.value.map_or(0, <[u8]>::len);
        }
    }
    let view_allocs = allocations() - before;
    assert_eq!(total, N * 104 + N / 2 * 2);
    assert_eq!(view_allocs, 0, "iterating {N} zero-copy records allocated");

    // Owned records share the buffer: at most one allocation overall (the shared header a
    // `Bytes` made from a `Vec` allocates on its first clone), none per record.
    let before = allocations();
    let mut owned_total = 0usize;
    for r in records.iter() {
        let owned = r.unwrap().to_record();
        owned_total += owned.value.map_or(0, |v| v.len()) + owned.headers.len();
    }
    let owned_allocs = allocations() - before;
    assert_eq!(owned_total, N * 100 + N / 2);
    assert!(owned_allocs <= 1, "owned records allocated {owned_allocs} times for {N} records");
}

//! Record batch throughput: one batch of 10,000 records with 100-byte values and 8-byte keys,
//! encoded and decoded uncompressed, and encoded plus decoded with lz4 and zstd.
//!
//! Run: `cargo bench -p kafka-protocol --bench records -- --warm-up-time 1 --measurement-time 3`
//!
//! Times are the benchmark thread's CPU time (user + system, `CLOCK_THREAD_CPUTIME_ID`), not
//! wall time, so the figures stay meaningful on a shared, loaded machine: they say what one
//! core spends. Set `RECORDS_BENCH_WALL=1` to measure wall time instead.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use kafka_protocol::records::{Compression, DecodeOptions, RecordBatch, RecordBatchBuilder};

const RECORDS: usize = 10_000;
const VALUE_SIZE: usize = 100;
const TS: i64 = 1_700_000_000_000;

fn values() -> Vec<[u8; VALUE_SIZE]> {
    // Mildly compressible, deterministic payloads.
    (0..RECORDS)
        .map(|i| {
            let mut v = [0u8; VALUE_SIZE];
            for (j, b) in v.iter_mut().enumerate() {
                *b = b"abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + j * 13) % 36];
            }
            v
        })
        .collect()
}

fn encode(builder: &mut RecordBatchBuilder, values: &[[u8; VALUE_SIZE]]) -> Bytes {
    for (i, v) in values.iter().enumerate() {
        let key = (i as u64).to_be_bytes();
        builder.append(TS + (i as i64 & 0xff), Some(&key), Some(v)).unwrap();
    }
    builder.finish().unwrap()
}

/// Decodes the batch and touches every key and value byte count.
fn decode(bytes: &Bytes, options: &DecodeOptions) -> usize {
    let batch = RecordBatch::decode(&mut bytes.clone(), options).unwrap();
    let records = batch.records(options).unwrap();
    let mut total = 0usize;
    for r in records.iter() {
        let r = r.unwrap();
        total += r.key.map_or(0, |k| k.len()) + r.value.map_or(0, |v| v.len() + usize::from(v[0]));
    }
    total
}

/// Thread CPU time as a criterion measurement.
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        i.elapsed()
    }
    fn add(&self, v1: &Self::Value, v2: &Self::Value) -> Self::Value {
        *v1 + *v2
    }
    fn zero(&self) -> Self::Value {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Self::Value) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn bench<M: Measurement>(c: &mut Criterion<M>) {
    let values = values();
    let options = DecodeOptions::default();

    let mut group = c.benchmark_group("records");
    group.throughput(Throughput::Elements(RECORDS as u64));

    let mut builder = RecordBatchBuilder::new(Compression::None).with_capacity(1 << 21);
    group.bench_function("encode/none", |b| b.iter(|| black_box(encode(&mut builder, &values))));
    let plain = encode(&mut builder, &values);
    group.bench_function("decode/none", |b| b.iter(|| black_box(decode(&plain, &options))));

    for codec in [Compression::Lz4, Compression::Zstd] {
        if !codec.is_enabled() {
            println!("skipping {codec}: cargo feature off");
            continue;
        }
        let mut builder = RecordBatchBuilder::new(codec).with_capacity(1 << 21);
        let compressed = encode(&mut builder, &values);
        group.bench_function(format!("encode/{codec}"), |b| {
            b.iter(|| black_box(encode(&mut builder, &values)))
        });
        group.bench_function(format!("decode/{codec}"), |b| {
            b.iter(|| black_box(decode(&compressed, &options)))
        });
        group.bench_function(format!("encode+decode/{codec}"), |b| {
            b.iter(|| {
                let bytes = encode(&mut builder, &values);
                black_box(decode(&bytes, &options))
            })
        });
    }
    group.finish();

    // Decompression alone, in bytes of output per second.
    let mut group = c.benchmark_group("decompress");
    let raw = {
        let batch = RecordBatch::decode(&mut plain.clone(), &options).unwrap();
        batch.payload.clone()
    };
    group.throughput(Throughput::Bytes(raw.len() as u64));
    for codec in [Compression::Lz4, Compression::Zstd] {
        if !codec.is_enabled() {
            continue;
        }
        let mut compressed = Vec::new();
        kafka_protocol::records::compress(codec, &raw, &mut compressed).unwrap();
        group.bench_function(codec.name(), |b| {
            b.iter(|| {
                black_box(kafka_protocol::records::decompress(codec, &compressed, 64 << 20).unwrap())
            })
        });
    }
    group.finish();
}

fn main() {
    if std::env::var_os("RECORDS_BENCH_WALL").is_some() {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().with_measurement(ThreadCpuTime).configure_from_args();
        bench(&mut c);
        c.final_summary();
    }
}

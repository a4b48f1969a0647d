#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn
//! Broker throughput and start-up benchmarks.
//!
//! - `append`: Produce (acks=1) of 1000-record batches of 100-byte records through one
//!   connection, 16 requests pipelined; throughput in records.
//! - `fetch`: Fetch of a 100k-record partition from offset 0 to the end, up to 8 MiB per
//!   response; throughput in records.
//! - `start_3_brokers`: building a 3-broker cluster (bind, actor, listeners) and dropping it.
//!
//! Everything runs on one thread (a current-thread tokio runtime: the broker and the client
//! share one core); `BROKER_BENCH_THREADS=N` uses an N-worker runtime.

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafka_testkit::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_testkit::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_testkit::protocol::messages::{FetchRequest, ProduceRequest};
use kafka_testkit::testing::{record_batch, TestClient};
use kafka_testkit::Cluster;

const RECORDS_PER_BATCH: usize = 1000;
const RECORD_SIZE: usize = 100;
const PIPELINE: usize = 16;

fn batch() -> Bytes {
    let value = [b'v'; RECORD_SIZE];
    let values: Vec<&[u8]> = (0..RECORDS_PER_BATCH).map(|_| &value[..]).collect();
    Bytes::from(record_batch(&values, 1_700_000_000_000))
}

fn produce_request(records: Bytes) -> ProduceRequest {
    ProduceRequest::default().with_acks(1).with_timeout_ms(30_000).with_topic_data(vec![TopicProduceData::default()
        .with_name("bench".into())
        .with_partition_data(vec![PartitionProduceData::default().with_index(0).with_records(Some(records))])])
}

fn fetch_request(offset: i64) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(-1)
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(8 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default().with_topic("bench".into()).with_partitions(vec![FetchPartition::default()
            .with_partition(0)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(8 << 20)
            .with_current_leader_epoch(-1)])])
}

fn benches(c: &mut Criterion) {
    // One core by default: broker (actor, connection tasks) and client share one thread.
    // BROKER_BENCH_THREADS=N runs them on an N-worker runtime instead.
    let rt = match std::env::var("BROKER_BENCH_THREADS").ok().and_then(|n| n.parse::<usize>().ok()) {
        Some(n) if n > 1 => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build().unwrap(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
    };

    let mut group = c.benchmark_group("broker");
    group.measurement_time(Duration::from_secs(5));
    group.sample_size(20);

    group.throughput(Throughput::Elements((RECORDS_PER_BATCH * PIPELINE) as u64));
    group.bench_function("append", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let cluster = Cluster::builder().topic("bench", 1, 1).request_log_limit(0).build().await.unwrap();
            let mut client = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
            let request = produce_request(batch());
            let start = Instant::now();
            for _ in 0..iters {
                let mut ids = Vec::with_capacity(PIPELINE);
                for _ in 0..PIPELINE {
                    ids.push(client.write(&request, 9).await.unwrap());
                }
                for id in ids {
                    let r = client.read::<ProduceRequest>(id, 9).await.unwrap();
                    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
                }
            }
            start.elapsed()
        })
    });

    const FETCH_BATCHES: usize = 100;
    group.throughput(Throughput::Elements((RECORDS_PER_BATCH * FETCH_BATCHES) as u64));
    group.bench_function("fetch", |b| {
        let (cluster, mut client) = rt.block_on(async {
            let cluster = Cluster::builder().topic("bench", 1, 1).request_log_limit(0).build().await.unwrap();
            let mut client = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
            let request = produce_request(batch());
            for _ in 0..FETCH_BATCHES {
                client.send(&request, 9).await.unwrap();
            }
            (cluster, client)
        });
        let end = (RECORDS_PER_BATCH * FETCH_BATCHES) as i64;
        b.iter(|| {
            rt.block_on(async {
                let mut offset = 0;
                while offset < end {
                    let r = client.send(&fetch_request(offset), 12).await.unwrap();
                    let records = r.responses[0].partitions[0].records.as_ref().unwrap();
                    // Advance past the last batch returned.
                    let mut rest = &records[..];
                    while rest.len() >= 61 {
                        let len = i32::from_be_bytes(rest[8..12].try_into().unwrap()) as usize + 12;
                        let base = i64::from_be_bytes(rest[0..8].try_into().unwrap());
                        let last_delta = i32::from_be_bytes(rest[23..27].try_into().unwrap());
                        offset = base + i64::from(last_delta) + 1;
                        rest = &rest[len.min(rest.len())..];
                    }
                }
            })
        });
        drop(cluster);
    });

    group.throughput(Throughput::Elements(1));
    group.bench_function("start_3_brokers", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let start = Instant::now();
            for _ in 0..iters {
                let cluster = Cluster::builder().brokers(3).topic("t", 3, 3).build().await.unwrap();
                drop(cluster);
                // Let the aborted listener and actor tasks finish inside the measurement.
                tokio::task::yield_now().await;
            }
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(broker, benches);
criterion_main!(broker);

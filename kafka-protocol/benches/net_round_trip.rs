//! Request throughput and latency of the client runtime over loopback TCP against a minimal
//! in-process responder (ApiVersions + Metadata), so the numbers measure the client's
//! connection task, framing and decoding rather than a broker.
//!
//! `cargo bench -p kafka-protocol --bench net_round_trip`

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use bytes::{Buf, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafka_protocol::frame;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, MetadataRequest, MetadataResponse, RequestBody, ResponseBody,
};
use kafka_protocol::net::{Client, ClientConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn responder() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = BytesMut::with_capacity(64 * 1024);
                let mut out = BytesMut::with_capacity(64 * 1024);
                loop {
                    if stream.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                    while buf.len() >= 4 {
                        let size = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                        if buf.len() < 4 + size {
                            break;
                        }
                        buf.advance(4);
                        let request = frame::decode_request(buf.split_to(size).freeze()).unwrap();
                        let body = match request.body {
                            RequestBody::ApiVersions(_) => ResponseBody::ApiVersions(
                                ApiVersionsResponse::default().with_api_keys(
                                    ApiKey::ALL
                                        .iter()
                                        .map(|k| {
                                            ApiVersion::default()
                                                .with_api_key(k.key())
                                                .with_min_version(k.versions().min)
                                                .with_max_version(k.versions().max)
                                        })
                                        .collect(),
                                ),
                            ),
                            _ => ResponseBody::Metadata(MetadataResponse::default().with_brokers(vec![
                                MetadataResponseBroker::default()
                                    .with_node_id(1)
                                    .with_host(addr.ip().to_string())
                                    .with_port(i32::from(addr.port())),
                            ])),
                        };
                        frame::encode_response_body(
                            &mut out,
                            request.header.correlation_id,
                            &body,
                            request.header.request_api_version,
                        )
                        .unwrap();
                    }
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                    out.clear();
                }
            });
        }
    });
    addr.to_string()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = rt.block_on(async {
        let addr = responder().await;
        let config = ClientConfig::builder().bootstrap_servers([addr]).build().unwrap();
        Client::connect(config).await.unwrap()
    });
    let request = MetadataRequest::default().with_topics(Some(vec![]));

    let mut group = c.benchmark_group("net");
    group.throughput(Throughput::Elements(1));
    group.bench_function("metadata_round_trip_sequential", |b| {
        b.iter(|| rt.block_on(client.send_to_broker(1, &request)).unwrap());
    });
    const BATCH: u64 = 1000;
    group.throughput(Throughput::Elements(BATCH));
    group.bench_function("metadata_1000_concurrent_pipelined", |b| {
        b.iter(|| {
            rt.block_on(futures::future::join_all((0..BATCH).map(|_| client.send_to_broker(1, &request))))
                .into_iter()
                .for_each(|r| {
                    r.unwrap();
                })
        });
    });
    group.finish();
    rt.block_on(client.close());
}

criterion_group!(benches, bench);
criterion_main!(benches);

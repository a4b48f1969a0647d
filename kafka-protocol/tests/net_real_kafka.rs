//! The client runtime against a real Apache Kafka broker (see `tests/real-kafka/start.sh`).
//! Runs only when `KAFKA_BOOTSTRAP` is set; otherwise each test prints why it skipped.
#![cfg(feature = "net")]

use std::time::Duration;

use kafka_protocol::messages::{ApiKey, MetadataRequest};
use kafka_protocol::net::{Client, ClientConfig, ConnectionKind, CoordinatorKey};

fn bootstrap() -> Option<String> {
    match std::env::var("KAFKA_BOOTSTRAP") {
        Ok(b) if !b.is_empty() => Some(b),
        _ => {
            eprintln!("skipped: KAFKA_BOOTSTRAP is not set (start a broker with tests/real-kafka/start.sh)");
            None
        }
    }
}

fn config(bootstrap: &str) -> ClientConfig {
    ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("client.id", "net-real-kafka-test"),
        ("request.timeout.ms", "10000"),
    ])
    .unwrap()
}

#[tokio::test]
async fn negotiates_and_reads_metadata_from_real_kafka() {
    let Some(bootstrap) = bootstrap() else { return };
    let client = Client::connect(config(&bootstrap)).await.unwrap();
    let meta = client.metadata();
    assert!(!meta.brokers.is_empty());
    assert!(meta.cluster_id.is_some(), "Kafka 2.x+ always reports a cluster id");
    let id = *meta.brokers.keys().next().unwrap();
    let conn = client.connection(id, ConnectionKind::Default).await.unwrap();
    // Every API this crate sends by default must negotiate against a current broker.
    let metadata_version = conn.negotiate::<MetadataRequest>().unwrap();
    let theirs = conn.versions().range(ApiKey::Metadata).unwrap();
    assert_eq!(metadata_version, theirs.max.min(ApiKey::Metadata.max_stable_version()));
    let response = client.send_to_broker(id, &MetadataRequest::default().with_topics(None)).await.unwrap();
    assert!(!response.brokers.is_empty());
    let stats = client.stats();
    assert!(stats.total_requests() >= 3, "{stats:?}");
    tokio::time::timeout(Duration::from_secs(5), client.close()).await.unwrap();
}

#[tokio::test]
async fn finds_a_group_coordinator_on_real_kafka() {
    let Some(bootstrap) = bootstrap() else { return };
    let client = Client::connect(config(&bootstrap)).await.unwrap();
    let key = CoordinatorKey::Group("net-real-kafka-test-group".into());
    // The offsets topic may still be created on a fresh broker: retry within the API timeout.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let coordinator = loop {
        match client.coordinator(&key).await {
            Ok(id) => break id,
            Err(e) if e.is_retriable() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(client.metadata().brokers.contains_key(&coordinator));
    client.close().await;
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// SASL (PLAIN and SCRAM) and TLS through the client's connection set-up.
#[tokio::test]
async fn secured_listeners_on_real_kafka() {
    let Some(sasl) = env("KAFKA_SASL_PLAINTEXT_BOOTSTRAP") else {
        eprintln!("skipped: KAFKA_SASL_PLAINTEXT_BOOTSTRAP is not set");
        return;
    };
    let user = env("KAFKA_SASL_SCRAM_USERNAME").unwrap_or_else(|| "scram-user".into());
    let password = env("KAFKA_SASL_SCRAM_PASSWORD").unwrap_or_else(|| "scram-secret".into());
    let mut cases: Vec<Vec<(&str, String)>> = vec![vec![
        ("bootstrap.servers", sasl),
        ("security.protocol", "SASL_PLAINTEXT".into()),
        ("sasl.mechanism", "SCRAM-SHA-512".into()),
        ("sasl.username", user.clone()),
        ("sasl.password", password.clone()),
    ]];
    if let (Some(ssl), Some(ca)) = (env("KAFKA_SASL_SSL_BOOTSTRAP"), env("KAFKA_SSL_CA_FILE")) {
        cases.push(vec![
            ("bootstrap.servers", ssl),
            ("security.protocol", "SASL_SSL".into()),
            ("ssl.ca.location", ca),
            ("sasl.mechanism", "SCRAM-SHA-256".into()),
            ("sasl.username", user),
            ("sasl.password", password),
        ]);
    } else {
        eprintln!("SASL_SSL case skipped: KAFKA_SASL_SSL_BOOTSTRAP or KAFKA_SSL_CA_FILE is not set");
    }
    for case in cases {
        let config = ClientConfig::from_properties(case.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        let client = Client::connect(config).await.unwrap();
        let id = *client.metadata().brokers.keys().next().unwrap();
        client.send_to_broker(id, &MetadataRequest::default().with_topics(None)).await.unwrap();
        client.close().await;
    }
}

//! SASL through the connection task: PLAIN against a scripted broker, rejected
//! credentials, and KIP-368 session expiry replacing the connection.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Action, FakeCluster};
use crate::messages::{
    ApiKey, MetadataRequest, RequestBody, ResponseBody, SaslAuthenticateResponse,
    SaslHandshakeResponse,
};
use crate::net::{Client, ClientConfig, ConnectionKind, NetError};

/// Makes the fake cluster demand SASL PLAIN for `user`/`password`, granting sessions of
/// `lifetime_ms` (0: unlimited).
fn require_plain(cluster: &FakeCluster, user: &'static str, password: &'static str, lifetime_ms: i64) {
    cluster.model().script = Some(Arc::new(move |_, req, _| match &req.body {
        RequestBody::SaslHandshake(h) => {
            let code = if h.mechanism == "PLAIN" { 0 } else { 33 };
            Some(Action::Reply(ResponseBody::SaslHandshake(
                SaslHandshakeResponse::default().with_error_code(code).with_mechanisms(vec!["PLAIN".into()]),
            )))
        }
        RequestBody::SaslAuthenticate(a) => {
            let expected = format!("\0{user}\0{password}");
            let body = if a.auth_bytes == expected.as_bytes() {
                SaslAuthenticateResponse::default().with_session_lifetime_ms(lifetime_ms)
            } else {
                SaslAuthenticateResponse::default()
                    .with_error_code(58)
                    .with_error_message(Some("Authentication failed: Invalid username or password".into()))
            };
            Some(Action::Reply(ResponseBody::SaslAuthenticate(body)))
        }
        _ => None,
    }));
}

fn sasl_config(cluster: &FakeCluster, password: &str) -> ClientConfig {
    let mut builder = cluster.config();
    for (k, v) in [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", "alice"),
        ("sasl.password", password),
    ] {
        builder.set(k, v).unwrap();
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn sasl_plain_runs_after_api_versions_on_every_connection() {
    let cluster = FakeCluster::start(1).await;
    require_plain(&cluster, "alice", "s3cret", 0);
    let config = sasl_config(&cluster, "s3cret");
    assert!(!format!("{config:?}").contains("s3cret"), "password leaked into Debug");
    let client = Client::connect(config).await.unwrap();
    client.send_to_broker(1, &MetadataRequest::default().with_topics(Some(vec![]))).await.unwrap();
    let m = cluster.model();
    let mut connections: Vec<usize> = m.log.iter().map(|s| s.connection).collect();
    connections.dedup();
    assert!(connections.len() >= 2);
    for c in connections {
        let apis: Vec<ApiKey> = m.log.iter().filter(|s| s.connection == c).map(|s| s.api).take(3).collect();
        assert_eq!(apis, [ApiKey::ApiVersions, ApiKey::SaslHandshake, ApiKey::SaslAuthenticate]);
    }
}

#[tokio::test]
async fn rejected_credentials_are_a_fatal_typed_error_without_the_password() {
    let cluster = FakeCluster::start(1).await;
    require_plain(&cluster, "alice", "s3cret", 0);
    let err = Client::connect(sasl_config(&cluster, "wrong-pass")).await.unwrap_err();
    let NetError::NoBrokerAvailable { last_error, .. } = &err else { panic!("unexpected {err:?}") };
    let NetError::Authentication { message, broker } = &**last_error else { panic!("unexpected {last_error:?}") };
    assert!(message.contains("Invalid username or password"), "{message}");
    assert_eq!(broker.id, None, "failed on the bootstrap server");
    assert!(!err.is_retriable());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-pass"), "{shown}");
}

#[tokio::test]
async fn expiring_sessions_get_a_fresh_authenticated_connection() {
    let cluster = FakeCluster::start(1).await;
    require_plain(&cluster, "alice", "s3cret", 300);
    let client = Client::connect(sasl_config(&cluster, "s3cret")).await.unwrap();
    let first = client.connection(1, ConnectionKind::Default).await.unwrap();
    assert!(first.is_usable());
    let started = Instant::now();
    while first.is_usable() {
        assert!(started.elapsed() < Duration::from_secs(2), "session never expired");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Re-authentication point: 85%..95% of the 300 ms lifetime.
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    let before = cluster.model().count(ApiKey::SaslAuthenticate);
    let second = client.connection(1, ConnectionKind::Default).await.unwrap();
    assert!(second.is_usable());
    assert_eq!(cluster.model().count(ApiKey::SaslAuthenticate), before + 1);
    client.send_to_broker(1, &MetadataRequest::default().with_topics(Some(vec![]))).await.unwrap();
}

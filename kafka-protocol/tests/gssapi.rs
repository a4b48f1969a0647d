//! SASL GSSAPI end to end against a real MIT Kerberos KDC and a fake broker that accepts the
//! Kerberos context with its keytab and runs the RFC 4752 security-layer negotiation.
//!
//! Needs the `gssapi` feature and a KDC from `tests/krb5/start-kdc.sh`:
//!
//! ```sh
//! eval "$(kafka-protocol/tests/krb5/start-kdc.sh)"
//! cargo test -p kafka-protocol --features gssapi --test gssapi
//! kafka-protocol/tests/krb5/stop-kdc.sh
//! ```
//!
//! Without `KAFKA_SDK_KRB5_TEST_DIR` each test prints why it skipped and passes.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame;
use kafka_protocol::messages::{
    RequestBody, ResponseBody, SaslAuthenticateResponse, SaslHandshakeResponse,
};
use kafka_protocol::net::sasl::{authenticate, authenticate_broker, SaslConfig, SaslMechanismKind};
use kafka_protocol::net::security::SecurityError;
use kafka_protocol::net::transport::{RequestChannel, Transport};
use libgssapi::context::{SecurityContext, ServerCtx};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn kdc_ready(test: &str) -> bool {
    if std::env::var_os("KAFKA_SDK_KRB5_TEST_DIR").is_none() {
        eprintln!(
            "skipping {test}: KAFKA_SDK_KRB5_TEST_DIR is not set \
             (run `eval \"$(kafka-protocol/tests/krb5/start-kdc.sh)\"`)"
        );
        return false;
    }
    true
}

#[derive(PartialEq)]
enum Phase {
    Context,
    AwaitEmpty,
    AwaitLayerChoice,
    Done,
}

/// A fake broker with the `kafka/localhost` keytab (KRB5_KTNAME).
async fn fake_broker() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut io, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut ctx = ServerCtx::new(None);
                let mut phase = Phase::Context;
                loop {
                    let mut prefix = [0u8; 4];
                    if io.read_exact(&mut prefix).await.is_err() {
                        return;
                    }
                    let mut body = vec![0; frame::frame_size(prefix, 1 << 20).unwrap()];
                    io.read_exact(&mut body).await.unwrap();
                    let request = frame::decode_request(Bytes::from(body)).unwrap();
                    let version = request.header.request_api_version;
                    let response = match request.body {
                        RequestBody::SaslHandshake(_) => ResponseBody::SaslHandshake(
                            SaslHandshakeResponse::default().with_mechanisms(vec!["GSSAPI".into()]),
                        ),
                        RequestBody::SaslAuthenticate(a) => {
                            let mut ok = SaslAuthenticateResponse::default();
                            let result: Result<Vec<u8>, String> = match phase {
                                Phase::Context => match ctx.step(&a.auth_bytes, None) {
                                    Ok(out) => {
                                        if ctx.is_complete() {
                                            phase = Phase::AwaitEmpty;
                                        }
                                        Ok(out.map(|t| t.to_vec()).unwrap_or_default())
                                    }
                                    Err(e) => Err(format!("GSSAPI accept failed: {e}")),
                                },
                                Phase::AwaitEmpty => {
                                    phase = Phase::AwaitLayerChoice;
                                    // Offer "no security layer" only, max 64 KiB.
                                    ctx.wrap(false, &[0x01, 0x01, 0x00, 0x00])
                                        .map(|b| b.to_vec())
                                        .map_err(|e| e.to_string())
                                }
                                Phase::AwaitLayerChoice => match ctx.unwrap(&a.auth_bytes) {
                                    Ok(choice) if choice.first() == Some(&0x01) => {
                                        phase = Phase::Done;
                                        Ok(vec![])
                                    }
                                    Ok(_) => {
                                        Err("client chose an unsupported security layer".into())
                                    }
                                    Err(e) => Err(format!("cannot unwrap the layer choice: {e}")),
                                },
                                Phase::Done => Err("exchange already complete".into()),
                            };
                            match result {
                                Ok(bytes) => {
                                    ok = ok
                                        .with_auth_bytes(Bytes::from(bytes))
                                        .with_session_lifetime_ms(600_000)
                                }
                                Err(message) => {
                                    ok = ok.with_error_code(58).with_error_message(Some(message))
                                }
                            }
                            ResponseBody::SaslAuthenticate(ok)
                        }
                        other => panic!("unexpected {:?}", other.api_key()),
                    };
                    let mut out = BytesMut::new();
                    frame::encode_response_body(
                        &mut out,
                        request.header.correlation_id,
                        &response,
                        version,
                    )
                    .unwrap();
                    io.write_all(&out).await.unwrap();
                }
            });
        }
    });
    addr
}

async fn login(
    addr: SocketAddr,
    cfg: &SaslConfig,
    host: Option<&str>,
) -> Result<Option<i64>, SecurityError> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut ch = RequestChannel::new(Transport::from(tcp));
    let session = authenticate_broker(&mut ch, cfg, host, 1, 2).await?;
    Ok(session.session_lifetime_ms)
}

#[tokio::test]
async fn gssapi_authenticates_with_the_ticket_cache() {
    if !kdc_ready("gssapi_authenticates_with_the_ticket_cache") {
        return;
    }
    let addr = fake_broker().await;
    let cfg = SaslConfig::default().with_mechanism(SaslMechanismKind::Gssapi);
    assert_eq!(
        login(addr, &cfg, Some("localhost")).await.unwrap(),
        Some(600_000)
    );

    // With an explicit client principal.
    let cfg = cfg.with_kerberos_principal("client@KAFKA.TEST");
    assert_eq!(
        login(addr, &cfg, Some("localhost")).await.unwrap(),
        Some(600_000)
    );
}

#[tokio::test]
async fn gssapi_errors_name_the_problem() {
    if !kdc_ready("gssapi_errors_name_the_problem") {
        return;
    }
    let addr = fake_broker().await;
    // No service principal kafka/unknown-host exists in the realm.
    let cfg = SaslConfig::default().with_mechanism(SaslMechanismKind::Gssapi);
    let err = login(addr, &cfg, Some("unknown-host")).await.unwrap_err();
    assert!(matches!(err, SecurityError::Mechanism { .. }), "{err:?}");

    // The wrong service name.
    let cfg = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::Gssapi)
        .with_kerberos_service_name("zookeeper");
    assert!(login(addr, &cfg, Some("localhost")).await.is_err());

    // Without a host name, GSSAPI cannot name the service.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut ch = RequestChannel::new(Transport::from(tcp));
    let cfg = SaslConfig::default().with_mechanism(SaslMechanismKind::Gssapi);
    let err = authenticate(&mut ch, &cfg, 1, 2).await.unwrap_err();
    assert!(err.to_string().contains("authenticate_broker"), "{err}");
}

/// Against a real broker whose SASL_PLAINTEXT listener enables GSSAPI with the
/// `kafka/localhost` keytab (not part of `tests/real-kafka/start.sh`; set
/// `KAFKA_SASL_GSSAPI_BOOTSTRAP` to such a listener to run it).
#[tokio::test]
async fn gssapi_against_a_real_broker() {
    if !kdc_ready("gssapi_against_a_real_broker") {
        return;
    }
    let Ok(bootstrap) = std::env::var("KAFKA_SASL_GSSAPI_BOOTSTRAP") else {
        eprintln!("skipping gssapi_against_a_real_broker: KAFKA_SASL_GSSAPI_BOOTSTRAP is not set");
        return;
    };
    use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, MetadataRequest};
    let tcp = TcpStream::connect(bootstrap.split(',').next().unwrap())
        .await
        .unwrap();
    let mut ch = RequestChannel::new(Transport::from(tcp));
    let request = ApiVersionsRequest::default()
        .with_client_software_name("kafka-sdk-rust".into())
        .with_client_software_version(env!("CARGO_PKG_VERSION").into());
    let ResponseBody::ApiVersions(versions) =
        ch.send(RequestBody::ApiVersions(request), 3).await.unwrap()
    else {
        panic!("expected ApiVersions")
    };
    let max = |key: ApiKey| {
        versions
            .api_keys
            .iter()
            .find(|k| k.api_key == key.key())
            .unwrap()
            .max_version
            .min(key.max_stable_version())
    };
    let cfg = SaslConfig::default().with_mechanism(SaslMechanismKind::Gssapi);
    let session = authenticate_broker(
        &mut ch,
        &cfg,
        Some("localhost"),
        max(ApiKey::SaslHandshake),
        max(ApiKey::SaslAuthenticate),
    )
    .await
    .unwrap();
    eprintln!(
        "GSSAPI session lifetime from the broker: {:?} ms",
        session.session_lifetime_ms
    );
    let ResponseBody::Metadata(md) = ch
        .send(
            RequestBody::Metadata(MetadataRequest::default().with_topics(None)),
            max(ApiKey::Metadata),
        )
        .await
        .unwrap()
    else {
        panic!("expected Metadata")
    };
    assert!(!md.brokers.is_empty());
}

//! TLS and SASL against a real Apache Kafka broker.
//!
//! Runs only when the variables printed by `tests/real-kafka/start.sh` are set:
//!
//! ```sh
//! eval "$(tests/real-kafka/start.sh)"
//! cargo test -p kafka-protocol --test real_kafka_security
//! tests/real-kafka/stop.sh --clean
//! ```
//!
//! Otherwise each test prints why it skipped and passes.

use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, RequestBody, ResponseBody,
};
use kafka_protocol::net::sasl::{authenticate, SaslConfig, SaslMechanismKind};
use kafka_protocol::net::security::SecurityError;
use kafka_protocol::net::tls::{connect_tls, TlsConfig};
use kafka_protocol::net::transport::{RequestChannel, Transport};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The named variables, or `None` after printing which one is missing.
fn vars<const N: usize>(test: &str, names: [&str; N]) -> Option<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, name) in out.iter_mut().zip(names) {
        match std::env::var(name) {
            Ok(v) if !v.is_empty() => *slot = v,
            _ => {
                eprintln!(
                    "skipping {test}: {name} is not set (start a broker with \
                     `eval \"$(tests/real-kafka/start.sh)\"`)"
                );
                return None;
            }
        }
    }
    Some(out)
}

/// `host:port` -> host (brackets of IPv6 literals kept for `connect_tls` to strip).
fn host_of(bootstrap: &str) -> &str {
    let first = bootstrap.split(',').next().unwrap_or(bootstrap);
    first.rsplit_once(':').map_or(first, |(h, _)| h)
}

fn first_address(bootstrap: &str) -> &str {
    bootstrap.split(',').next().unwrap_or(bootstrap)
}

async fn open(
    bootstrap: &str,
    tls: Option<&TlsConfig>,
    server_name: &str,
) -> Result<Transport, SecurityError> {
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect(first_address(bootstrap)))
        .await
        .expect("TCP connect timed out")
        .expect("TCP connect failed");
    match tls {
        Some(cfg) => tokio::time::timeout(TIMEOUT, connect_tls(tcp, server_name, cfg))
            .await
            .expect("TLS handshake timed out"),
        None => Ok(Transport::Plain(tcp)),
    }
}

async fn api_versions(
    channel: &mut RequestChannel<Transport>,
) -> Result<ApiVersionsResponse, SecurityError> {
    // v3 requires a valid client software name and version (KIP-511), else INVALID_REQUEST.
    let request = ApiVersionsRequest::default()
        .with_client_software_name("kafka-sdk-rust".into())
        .with_client_software_version(env!("CARGO_PKG_VERSION").into());
    match channel.send(RequestBody::ApiVersions(request), 3).await? {
        ResponseBody::ApiVersions(r) => Ok(r),
        other => panic!("expected ApiVersions, got {:?}", other.api_key()),
    }
}

/// The highest version of `key` both sides support.
fn negotiate(versions: &ApiVersionsResponse, key: ApiKey) -> i16 {
    let theirs = versions
        .api_keys
        .iter()
        .find(|k| k.api_key == key.key())
        .unwrap_or_else(|| panic!("broker does not offer {key:?}"));
    theirs.max_version.min(key.max_stable_version())
}

fn channel(transport: Transport) -> RequestChannel<Transport> {
    RequestChannel::new(transport)
        .with_client_id(Some("kafka-sdk-security-test".into()))
        .with_timeout(TIMEOUT)
}

#[tokio::test]
async fn real_tls_connect_and_api_versions() {
    let Some([bootstrap, ca_file]) = vars(
        "real_tls_connect_and_api_versions",
        ["KAFKA_SSL_BOOTSTRAP", "KAFKA_SSL_CA_FILE"],
    ) else {
        return;
    };
    let host = host_of(&bootstrap).to_owned();
    let mut tls = TlsConfig::default();
    tls.set_property("ssl.ca.location", &ca_file).unwrap();

    for server_name in [host.as_str(), "localhost"] {
        let transport = open(&bootstrap, Some(&tls), server_name).await.unwrap();
        let mut ch = channel(transport);
        let versions = api_versions(&mut ch).await.unwrap();
        assert_eq!(versions.error_code, 0);
        assert!(versions
            .api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::Metadata.key()));
        // The connection is fully usable: a Metadata request at the negotiated version.
        let v = negotiate(&versions, ApiKey::Metadata);
        let ResponseBody::Metadata(md) = ch
            .send(
                RequestBody::Metadata(MetadataRequest::default().with_topics(None)),
                v,
            )
            .await
            .unwrap()
        else {
            panic!("expected Metadata")
        };
        assert!(!md.brokers.is_empty());
    }

    // The broker's certificate names localhost and 127.0.0.1 only.
    let err = open(&bootstrap, Some(&tls), "wrong.example")
        .await
        .unwrap_err();
    assert!(matches!(err, SecurityError::TlsHandshake { .. }), "{err}");

    // Not trusting the test CA: refused.
    let err = open(&bootstrap, Some(&TlsConfig::default()), &host)
        .await
        .unwrap_err();
    assert!(matches!(err, SecurityError::TlsHandshake { .. }), "{err}");
}

#[tokio::test]
async fn real_mutual_tls_with_client_certificate() {
    let Some([bootstrap, ca_file, cert, key]) = vars(
        "real_mutual_tls_with_client_certificate",
        [
            "KAFKA_SSL_BOOTSTRAP",
            "KAFKA_SSL_CA_FILE",
            "KAFKA_SSL_CLIENT_CERT",
            "KAFKA_SSL_CLIENT_KEY",
        ],
    ) else {
        return;
    };
    let mut tls = TlsConfig::default();
    for (k, v) in [
        ("ssl.ca.location", &ca_file),
        ("ssl.certificate.location", &cert),
        ("ssl.key.location", &key),
    ] {
        tls.set_property(k, v).unwrap();
    }
    let transport = open(&bootstrap, Some(&tls), host_of(&bootstrap))
        .await
        .unwrap();
    let versions = api_versions(&mut channel(transport)).await.unwrap();
    assert_eq!(versions.error_code, 0);
}

/// Authenticates with `mechanism` on `bootstrap`; then proves the session works with a
/// Metadata request.
async fn sasl_round(
    bootstrap: &str,
    tls: Option<&TlsConfig>,
    mechanism: SaslMechanismKind,
    user: &str,
    password: &str,
) -> Result<Option<i64>, SecurityError> {
    let transport = open(bootstrap, tls, host_of(bootstrap)).await?;
    let mut ch = channel(transport);
    let versions = api_versions(&mut ch).await?;
    let handshake = negotiate(&versions, ApiKey::SaslHandshake);
    let auth = negotiate(&versions, ApiKey::SaslAuthenticate);
    let cfg = SaslConfig::default()
        .with_mechanism(mechanism)
        .with_username(user)
        .with_password(password);
    let session = authenticate(&mut ch, &cfg, handshake, auth).await?;
    assert_eq!(session.mechanism, mechanism);
    let v = negotiate(&versions, ApiKey::Metadata);
    let response = ch
        .send(
            RequestBody::Metadata(MetadataRequest::default().with_topics(None)),
            v,
        )
        .await?;
    let ResponseBody::Metadata(md) = response else {
        panic!("expected Metadata")
    };
    assert!(!md.brokers.is_empty());

    // KIP-368 re-authentication on the same connection, then the connection still works.
    // Brokers accept it only when they set a session lifetime (connections.max.reauth.ms > 0);
    // otherwise a second SaslHandshake is ILLEGAL_SASL_STATE.
    if let Some(lifetime) = session.session_lifetime_ms {
        let again = authenticate(&mut ch, &cfg, handshake, auth).await?;
        assert_eq!(again.mechanism, mechanism);
        let after = again
            .reauthenticate_after(0.5)
            .expect("a lifetime gives a re-auth delay");
        assert!(after.as_millis() < u128::try_from(lifetime).unwrap());
        eprintln!(
            "{mechanism}: re-authenticated; session lifetime {lifetime} ms, next after {after:?}"
        );
        let response = ch
            .send(
                RequestBody::Metadata(MetadataRequest::default().with_topics(None)),
                v,
            )
            .await?;
        assert!(matches!(response, ResponseBody::Metadata(_)));
    } else {
        let err = authenticate(&mut ch, &cfg, handshake, auth)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SecurityError::HandshakeFailed { error_code: 34, .. }),
            "re-authentication without a session lifetime: {err:?}"
        );
    }
    Ok(session.session_lifetime_ms)
}

async fn sasl_matrix(bootstrap: &str, tls: Option<&TlsConfig>) {
    let Some([plain_user, plain_pw, scram_user, scram_pw]) = vars(
        "real SASL",
        [
            "KAFKA_SASL_PLAIN_USERNAME",
            "KAFKA_SASL_PLAIN_PASSWORD",
            "KAFKA_SASL_SCRAM_USERNAME",
            "KAFKA_SASL_SCRAM_PASSWORD",
        ],
    ) else {
        return;
    };
    let cases = [
        (SaslMechanismKind::Plain, &plain_user, &plain_pw),
        (SaslMechanismKind::ScramSha256, &scram_user, &scram_pw),
        (SaslMechanismKind::ScramSha512, &scram_user, &scram_pw),
    ];
    for (mechanism, user, password) in cases {
        sasl_round(bootstrap, tls, mechanism, user, password)
            .await
            .unwrap_or_else(|e| panic!("{mechanism} as {user} on {bootstrap}: {e}"));

        let wrong = "definitely-wrong-password";
        match sasl_round(bootstrap, tls, mechanism, user, wrong).await {
            Err(SecurityError::AuthenticationFailed {
                mechanism: m,
                error_code,
                broker_message,
            }) => {
                assert_eq!(m, mechanism.as_str());
                assert_eq!(error_code, 58, "{broker_message}");
                assert!(!broker_message.is_empty());
                assert!(!broker_message.contains(wrong));
                eprintln!("{mechanism} wrong password refused as expected: {broker_message}");
            }
            other => panic!(
                "{mechanism} with a wrong password: expected AuthenticationFailed, got {other:?}"
            ),
        }
    }
}

#[tokio::test]
async fn real_sasl_plaintext_plain_and_scram() {
    let Some([bootstrap]) = vars(
        "real_sasl_plaintext_plain_and_scram",
        ["KAFKA_SASL_PLAINTEXT_BOOTSTRAP"],
    ) else {
        return;
    };
    sasl_matrix(&bootstrap, None).await;
}

#[tokio::test]
async fn real_sasl_ssl_plain_and_scram() {
    let Some([bootstrap, ca_file]) = vars(
        "real_sasl_ssl_plain_and_scram",
        ["KAFKA_SASL_SSL_BOOTSTRAP", "KAFKA_SSL_CA_FILE"],
    ) else {
        return;
    };
    let mut tls = TlsConfig::default();
    tls.set_property("ssl.ca.location", &ca_file).unwrap();
    sasl_matrix(&bootstrap, Some(&tls)).await;
}

#[tokio::test]
async fn real_sasl_unsupported_mechanism_lists_the_brokers() {
    // The SASL_SSL listener enables PLAIN and SCRAM only; ask for OAUTHBEARER.
    let Some([bootstrap, ca_file]) = vars(
        "real_sasl_unsupported_mechanism_lists_the_brokers",
        ["KAFKA_SASL_SSL_BOOTSTRAP", "KAFKA_SSL_CA_FILE"],
    ) else {
        return;
    };
    let mut tls = TlsConfig::default();
    tls.set_property("ssl.ca.location", &ca_file).unwrap();
    let provider =
        std::sync::Arc::new(kafka_protocol::net::sasl::oauthbearer::StaticTokenProvider(
            kafka_protocol::net::sasl::oauthbearer::OAuthBearerToken::new(
                "a.b.c",
                i64::MAX,
                "nobody",
            ),
        ));
    let transport = open(&bootstrap, Some(&tls), host_of(&bootstrap))
        .await
        .unwrap();
    let mut ch = channel(transport);
    let versions = api_versions(&mut ch).await.unwrap();
    let cfg = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::OAuthBearer)
        .with_oauthbearer_token_provider(provider);
    let err = authenticate(
        &mut ch,
        &cfg,
        negotiate(&versions, ApiKey::SaslHandshake),
        negotiate(&versions, ApiKey::SaslAuthenticate),
    )
    .await
    .unwrap_err();
    match err {
        SecurityError::UnsupportedMechanism { enabled, .. } => {
            assert!(enabled.iter().any(|m| m == "SCRAM-SHA-512"), "{enabled:?}")
        }
        other => panic!("{other:?}"),
    }
}

/// OAUTHBEARER with an unsecured JWT against a broker whose listener enables OAUTHBEARER
/// with Kafka's default (unsecured) validator. `tests/real-kafka/start.sh` does not enable
/// it; point `KAFKA_SASL_OAUTHBEARER_BOOTSTRAP` at such a SASL_PLAINTEXT listener to run.
#[tokio::test]
async fn real_sasl_oauthbearer_unsecured_jwt() {
    let Ok(bootstrap) = std::env::var("KAFKA_SASL_OAUTHBEARER_BOOTSTRAP") else {
        eprintln!(
            "skipping real_sasl_oauthbearer_unsecured_jwt: KAFKA_SASL_OAUTHBEARER_BOOTSTRAP is not set \
             (tests/real-kafka/start.sh does not enable OAUTHBEARER)"
        );
        return;
    };
    use kafka_protocol::net::sasl::oauthbearer::{
        OAuthBearerToken, StaticTokenProvider, UnsecuredJwtProvider,
    };
    use kafka_protocol::net::security::{SecurityConfig, SecurityProtocol};

    let mut config = SecurityConfig::new(SecurityProtocol::SaslPlaintext);
    for (k, v) in [
        ("sasl.mechanism", "OAUTHBEARER"),
        ("enable.sasl.oauthbearer.unsecure.jwt", "true"),
        (
            "sasl.oauthbearer.config",
            "principal=admin lifeSeconds=600 extension_traceId=abc",
        ),
    ] {
        assert!(config.set_property(k, v).unwrap(), "{k}");
    }
    config.validate().unwrap();

    let login = |cfg: SaslConfig| {
        let bootstrap = bootstrap.clone();
        async move {
            let transport = open(&bootstrap, None, host_of(&bootstrap)).await?;
            let mut ch = channel(transport);
            let versions = api_versions(&mut ch).await?;
            authenticate(
                &mut ch,
                &cfg,
                negotiate(&versions, ApiKey::SaslHandshake),
                negotiate(&versions, ApiKey::SaslAuthenticate),
            )
            .await
        }
    };
    let session = login(config.sasl().clone()).await.unwrap();
    eprintln!(
        "OAUTHBEARER session lifetime: {:?} ms",
        session.session_lifetime_ms
    );

    // A token that expired an hour ago: the broker answers with its JSON status first.
    let expired_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 3_600_000;
    let expired: OAuthBearerToken =
        UnsecuredJwtProvider::from_config("principal=admin lifeSeconds=60")
            .unwrap()
            .token_at(expired_at);
    let cfg = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::OAuthBearer)
        .with_oauthbearer_token_provider(std::sync::Arc::new(StaticTokenProvider(expired)));
    match login(cfg).await {
        Err(SecurityError::AuthenticationFailed { broker_message, .. }) => {
            eprintln!("expired token refused as expected: {broker_message}");
            assert!(broker_message.contains("invalid_token"), "{broker_message}");
        }
        other => panic!("expected AuthenticationFailed, got {other:?}"),
    }
}

/// SCRAM with a delegation token (KIP-48): create a token as the SCRAM user, then log in with
/// it. Needs a broker with `delegation.token.secret.key` set, which `tests/real-kafka/start.sh`
/// does not configure; point `KAFKA_DELEGATION_TOKEN_BOOTSTRAP` at such a SASL_PLAINTEXT
/// listener to run.
#[tokio::test]
async fn real_scram_delegation_token() {
    let Ok(bootstrap) = std::env::var("KAFKA_DELEGATION_TOKEN_BOOTSTRAP") else {
        eprintln!(
            "skipping real_scram_delegation_token: KAFKA_DELEGATION_TOKEN_BOOTSTRAP is not set \
             (tests/real-kafka/start.sh does not enable delegation tokens)"
        );
        return;
    };
    let Some([user, password]) = vars(
        "real_scram_delegation_token",
        ["KAFKA_SASL_SCRAM_USERNAME", "KAFKA_SASL_SCRAM_PASSWORD"],
    ) else {
        return;
    };
    use base64::Engine as _;
    use kafka_protocol::messages::CreateDelegationTokenRequest;

    let connect = || async {
        let transport = open(&bootstrap, None, host_of(&bootstrap)).await.unwrap();
        let mut ch = channel(transport);
        let versions = api_versions(&mut ch).await.unwrap();
        (ch, versions)
    };
    let (mut ch, versions) = connect().await;
    let (hs, auth) = (
        negotiate(&versions, ApiKey::SaslHandshake),
        negotiate(&versions, ApiKey::SaslAuthenticate),
    );
    let cfg = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::ScramSha256)
        .with_username(user.as_str())
        .with_password(password.as_str());
    authenticate(&mut ch, &cfg, hs, auth).await.unwrap();
    let request = CreateDelegationTokenRequest::default().with_max_lifetime_ms(-1);
    let v = negotiate(&versions, ApiKey::CreateDelegationToken);
    let ResponseBody::CreateDelegationToken(token) = ch
        .send(RequestBody::CreateDelegationToken(request), v)
        .await
        .unwrap()
    else {
        panic!("expected CreateDelegationToken")
    };
    assert_eq!(token.error_code, 0, "CreateDelegationToken failed");
    let hmac = base64::engine::general_purpose::STANDARD.encode(&token.hmac);

    for mechanism in [
        SaslMechanismKind::ScramSha256,
        SaslMechanismKind::ScramSha512,
    ] {
        let token_cfg = SaslConfig::default()
            .with_mechanism(mechanism)
            .with_username(token.token_id.as_str())
            .with_password(hmac.as_str());
        // The broker learns of the new token through its metadata log, asynchronously: poll
        // (bounded) until it accepts it.
        let mut attempt = 0;
        loop {
            let (mut ch, _) = connect().await;
            match authenticate(
                &mut ch,
                &token_cfg.clone().with_scram_token_auth(true),
                hs,
                auth,
            )
            .await
            {
                Ok(_) => break,
                Err(e) if attempt < 50 => {
                    attempt += 1;
                    if attempt == 1 {
                        eprintln!("{mechanism} with the token not accepted yet ({e}); retrying");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{mechanism} with the delegation token: {e}"),
            }
        }
        eprintln!("{mechanism} with the delegation token accepted after {attempt} retries");
        // Without the extension the token id is looked up as a user name: refused.
        let (mut ch, _) = connect().await;
        let err = authenticate(&mut ch, &token_cfg, hs, auth)
            .await
            .unwrap_err();
        assert!(
            matches!(err, SecurityError::AuthenticationFailed { .. }),
            "{err:?}"
        );
    }
}

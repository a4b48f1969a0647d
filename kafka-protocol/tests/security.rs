//! TLS and SASL end to end over loopback: a tokio-rustls server with certificates generated
//! here by rcgen, and a scripted fake broker that answers SaslHandshake / SaslAuthenticate
//! and verifies PLAIN, SCRAM (with the reusable server in `tests/src/sasl_server.rs`) and
//! OAUTHBEARER.

#[allow(unreachable_pub)]
#[path = "../../tests/src/sasl_server.rs"]
mod sasl_server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::frame;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, RequestBody, ResponseBody, SaslAuthenticateResponse,
    SaslHandshakeResponse,
};
use kafka_protocol::net::sasl::oauthbearer::{OAuthBearerToken, StaticTokenProvider};
use kafka_protocol::net::sasl::{authenticate, SaslConfig, SaslMechanismKind};
use kafka_protocol::net::security::{SecurityConfig, SecurityError, SecurityProtocol};
use kafka_protocol::net::tls::{connect_tls, TlsConfig};
use kafka_protocol::net::transport::{secure, RequestChannel, Transport};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sasl_server::{ScramCredential, ScramHash, ScramServer, ScramServerStep};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------
// Certificates

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf certificate for `names` (DNS names or IP addresses); returns (cert PEM, key PEM).
    fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "leaf");
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

fn key_der(pem: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap()
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(
    cert_pem: &str,
    key_pem: &str,
    client_ca: Option<&Ca>,
) -> Arc<rustls::ServerConfig> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.cert.der().clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(
        builder
            .with_single_cert(chain(cert_pem), key_der(key_pem))
            .unwrap(),
    )
}

/// A TLS server on 127.0.0.1 that echoes the first 4 bytes of each connection, or (with
/// `sasl`) acts as the fake SASL broker inside TLS.
async fn tls_server(config: Arc<rustls::ServerConfig>, sasl: Option<FakeBroker>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let sasl = sasl.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                match sasl {
                    Some(broker) => broker.serve(tls).await,
                    None => {
                        let mut buf = [0u8; 4];
                        if tls.read_exact(&mut buf).await.is_ok() {
                            let _ = tls.write_all(&buf).await;
                            let _ = tls.flush().await;
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Connects, runs the TLS handshake, and echoes 4 bytes (so that a server-side rejection of
/// the client certificate, which TLS 1.3 reports after the client's handshake, surfaces).
async fn tls_echo(
    addr: SocketAddr,
    server_name: &str,
    cfg: &TlsConfig,
) -> Result<(), SecurityError> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut transport = connect_tls(tcp, server_name, cfg).await?;
    assert!(transport.is_tls());
    let io = |source| SecurityError::Io {
        stage: "echo".into(),
        source,
    };
    transport.write_all(b"ping").await.map_err(io)?;
    transport.flush().await.map_err(io)?;
    let mut buf = [0u8; 4];
    transport.read_exact(&mut buf).await.map_err(io)?;
    assert_eq!(&buf, b"ping");
    Ok(())
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kafka-protocol-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// TLS tests

#[tokio::test]
async fn tls_connects_with_ca_from_pem_string_and_from_file() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["broker.test", "localhost"]);
    let addr = tls_server(server_config(&cert, &key, None), None).await;

    let from_pem = TlsConfig::default().with_ca_pem(ca.pem());
    tls_echo(addr, "broker.test", &from_pem).await.unwrap();
    // A second connection reuses the cached rustls configuration.
    tls_echo(addr, "localhost", &from_pem).await.unwrap();

    let path = temp_file("ca.pem", &ca.pem());
    let mut from_file = TlsConfig::default();
    assert!(from_file
        .set_property("ssl.ca.location", path.to_str().unwrap())
        .unwrap());
    tls_echo(addr, "broker.test", &from_file).await.unwrap();
}

#[tokio::test]
async fn tls_ip_address_server_names_match_ip_sans() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["127.0.0.1"]);
    let addr = tls_server(server_config(&cert, &key, None), None).await;
    let cfg = TlsConfig::default().with_ca_pem(ca.pem());
    tls_echo(addr, "127.0.0.1", &cfg).await.unwrap();
    let err = tls_echo(addr, "localhost", &cfg).await.unwrap_err();
    assert!(matches!(err, SecurityError::TlsHandshake { .. }), "{err}");
}

#[tokio::test]
async fn tls_wrong_hostname_is_rejected_unless_verification_is_opted_out() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["broker.test"]);
    let addr = tls_server(server_config(&cert, &key, None), None).await;

    let verifying = TlsConfig::default().with_ca_pem(ca.pem());
    let err = tls_echo(addr, "other.test", &verifying).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SecurityError::TlsHandshake { .. }), "{text}");
    assert!(text.contains("other.test"), "{text}");

    // ssl.endpoint.identification.algorithm=none: chain still verified, name not.
    let mut no_hostname = TlsConfig::default().with_ca_pem(ca.pem());
    no_hostname
        .set_property("ssl.endpoint.identification.algorithm", "none")
        .unwrap();
    tls_echo(addr, "other.test", &no_hostname).await.unwrap();

    // ...but an untrusted chain is still refused.
    let other_ca = Ca::new("other ca");
    let mut untrusted = TlsConfig::default().with_ca_pem(other_ca.pem());
    untrusted
        .set_property("ssl.endpoint.identification.algorithm", "none")
        .unwrap();
    assert!(tls_echo(addr, "broker.test", &untrusted).await.is_err());

    // The dangerous opt-out accepts anything.
    let mut danger = TlsConfig::default().with_ca_pem(other_ca.pem());
    danger
        .set_property("enable.ssl.certificate.verification", "false")
        .unwrap();
    tls_echo(addr, "other.test", &danger).await.unwrap();
}

#[tokio::test]
async fn tls_untrusted_server_is_rejected_with_builtin_roots() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["broker.test"]);
    let addr = tls_server(server_config(&cert, &key, None), None).await;
    // No CA configured: only the built-in web roots are trusted, which do not include ours.
    let err = tls_echo(addr, "broker.test", &TlsConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(err, SecurityError::TlsHandshake { .. }), "{err}");
}

#[tokio::test]
async fn mutual_tls_requires_the_client_certificate() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["broker.test"]);
    let client_ca = Ca::new("client ca");
    let addr = tls_server(server_config(&cert, &key, Some(&client_ca)), None).await;

    let without = TlsConfig::default().with_ca_pem(ca.pem());
    assert!(tls_echo(addr, "broker.test", &without).await.is_err());

    let (client_cert, client_key) = client_ca.issue(&["client.test"]);
    let with_pem = TlsConfig::default()
        .with_ca_pem(ca.pem())
        .with_certificate_pem(client_cert.clone())
        .with_key_pem(client_key.clone());
    tls_echo(addr, "broker.test", &with_pem).await.unwrap();

    let mut with_files = TlsConfig::default();
    for (k, v) in [
        ("ssl.ca.location", temp_file("mtls-ca.pem", &ca.pem())),
        (
            "ssl.certificate.location",
            temp_file("client.pem", &client_cert),
        ),
        ("ssl.key.location", temp_file("client.key", &client_key)),
    ] {
        assert!(with_files.set_property(k, v.to_str().unwrap()).unwrap());
    }
    tls_echo(addr, "broker.test", &with_files).await.unwrap();

    // A certificate from an untrusted issuer is refused by the server.
    let (rogue_cert, rogue_key) = Ca::new("rogue").issue(&["client.test"]);
    let rogue = TlsConfig::default()
        .with_ca_pem(ca.pem())
        .with_certificate_pem(rogue_cert)
        .with_key_pem(rogue_key);
    assert!(tls_echo(addr, "broker.test", &rogue).await.is_err());
}

// ---------------------------------------------------------------------------------------
// Fake SASL broker

#[derive(Clone)]
struct FakeBroker {
    plain_users: HashMap<String, String>,
    scram256: HashMap<String, ScramCredential>,
    scram512: HashMap<String, ScramCredential>,
    /// Accepted OAUTHBEARER token.
    oauth_token: String,
    /// The enabled mechanisms.
    mechanisms: Vec<String>,
    /// Impostor mode: accept any SCRAM proof and answer with a made-up server signature.
    impostor: bool,
}

const FAILED: &str = "Authentication failed: Invalid username or password";

impl FakeBroker {
    fn new() -> Self {
        let salt = b"fixed-test-salt!";
        let mut scram256 = HashMap::new();
        scram256.insert(
            "alice".to_owned(),
            ScramCredential::new(ScramHash::Sha256, "alice-pw", salt, 4096),
        );
        let mut scram512 = HashMap::new();
        scram512.insert(
            "alice".to_owned(),
            ScramCredential::new(ScramHash::Sha512, "alice-pw", salt, 4096),
        );
        let mut plain_users = HashMap::new();
        plain_users.insert("alice".to_owned(), "alice-pw".to_owned());
        FakeBroker {
            plain_users,
            scram256,
            scram512,
            oauth_token: "good.token.sig".to_owned(),
            mechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]
                .map(String::from)
                .to_vec(),
            impostor: false,
        }
    }

    async fn listen(self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(self.clone().serve(tcp));
            }
        });
        addr
    }

    /// Serves one connection: ApiVersions, one SaslHandshake, then SaslAuthenticate rounds.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(self, mut io: S) {
        let mut mechanism = String::new();
        let mut scram: Option<ScramServer> = None;
        let mut oauth_failed = false;
        loop {
            let mut prefix = [0u8; 4];
            if io.read_exact(&mut prefix).await.is_err() {
                return;
            }
            let size = frame::frame_size(prefix, 1 << 20).unwrap();
            let mut body = vec![0; size];
            io.read_exact(&mut body).await.unwrap();
            let request = frame::decode_request(Bytes::from(body)).unwrap();
            let version = request.header.request_api_version;
            let id = request.header.correlation_id;
            let (response, close) = match request.body {
                RequestBody::ApiVersions(_) => {
                    (ResponseBody::ApiVersions(Default::default()), false)
                }
                RequestBody::SaslHandshake(h) => {
                    let enabled = self.mechanisms.contains(&h.mechanism);
                    mechanism = h.mechanism.clone();
                    scram = match h.mechanism.as_str() {
                        "SCRAM-SHA-256" => {
                            Some(ScramServer::new(ScramHash::Sha256, self.scram256.clone()))
                        }
                        "SCRAM-SHA-512" => {
                            Some(ScramServer::new(ScramHash::Sha512, self.scram512.clone()))
                        }
                        _ => None,
                    };
                    let resp = SaslHandshakeResponse::default()
                        .with_error_code(if enabled { 0 } else { 33 })
                        .with_mechanisms(self.mechanisms.clone());
                    (ResponseBody::SaslHandshake(resp), !enabled)
                }
                RequestBody::SaslAuthenticate(a) => {
                    let (resp, close) =
                        self.authenticate(&mechanism, &mut scram, &mut oauth_failed, &a.auth_bytes);
                    (ResponseBody::SaslAuthenticate(resp), close)
                }
                other => panic!("fake broker got unexpected {:?}", other.api_key()),
            };
            let mut out = BytesMut::new();
            frame::encode_response_body(&mut out, id, &response, version).unwrap();
            io.write_all(&out).await.unwrap();
            io.flush().await.unwrap();
            if close {
                return;
            }
        }
    }

    fn authenticate(
        &self,
        mechanism: &str,
        scram: &mut Option<ScramServer>,
        oauth_failed: &mut bool,
        bytes: &[u8],
    ) -> (SaslAuthenticateResponse, bool) {
        let ok = |auth: Vec<u8>| {
            (
                SaslAuthenticateResponse::default()
                    .with_auth_bytes(Bytes::from(auth))
                    .with_session_lifetime_ms(3_600_000),
                false,
            )
        };
        let fail = |message: &str| {
            (
                SaslAuthenticateResponse::default()
                    .with_error_code(58)
                    .with_error_message(Some(message.to_owned())),
                true,
            )
        };
        match mechanism {
            "PLAIN" => match sasl_server::verify_plain(bytes, &self.plain_users) {
                Ok(_) => ok(vec![]),
                Err(_) => fail(FAILED),
            },
            "SCRAM-SHA-256" | "SCRAM-SHA-512" => {
                let Some(server) = scram.as_mut() else {
                    return fail("no SCRAM state");
                };
                if self.impostor && bytes.starts_with(b"c=") {
                    // Pretend the proof is right without knowing the user's server key.
                    return ok(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_vec());
                }
                match server.step(bytes) {
                    Ok(ScramServerStep::Challenge(m)) => ok(m),
                    Ok(ScramServerStep::Success { server_final, .. }) => ok(server_final),
                    Err(_) => fail(&format!(
                        "Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"
                    )),
                }
            }
            "OAUTHBEARER" => {
                if *oauth_failed {
                    return fail(r#"{"status":"invalid_token"}"#);
                }
                let expected = format!("n,,\x01auth=Bearer {}\x01", self.oauth_token);
                if bytes.starts_with(expected.as_bytes()) && bytes.ends_with(b"\x01\x01") {
                    ok(vec![])
                } else {
                    *oauth_failed = true;
                    ok(br#"{"status":"invalid_token"}"#.to_vec())
                }
            }
            _ => fail("unknown mechanism"),
        }
    }
}

fn sasl(mechanism: SaslMechanismKind, user: &str, password: &str) -> SaslConfig {
    SaslConfig::default()
        .with_mechanism(mechanism)
        .with_username(user)
        .with_password(password)
}

async fn sasl_login(
    addr: SocketAddr,
    cfg: &SaslConfig,
    authenticate_version: i16,
) -> Result<Option<i64>, SecurityError> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut channel =
        RequestChannel::new(Transport::from(tcp)).with_client_id(Some("security-test".into()));
    // ApiVersions first, as a real connection does.
    let response = channel
        .send(RequestBody::ApiVersions(ApiVersionsRequest::default()), 3)
        .await?;
    assert_eq!(response.api_key(), ApiKey::ApiVersions);
    let session = authenticate(&mut channel, cfg, 1, authenticate_version).await?;
    Ok(session.session_lifetime_ms)
}

fn assert_auth_failed(err: SecurityError, mechanism: &str, needle: &str) {
    match &err {
        SecurityError::AuthenticationFailed {
            mechanism: m,
            broker_message,
            ..
        } => {
            assert_eq!(m, mechanism);
            assert!(broker_message.contains(needle), "{broker_message}");
            assert!(
                !err.to_string().contains("wrong-pw"),
                "password leaked: {err}"
            );
        }
        other => panic!("expected AuthenticationFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn sasl_plain_success_and_failure() {
    let addr = FakeBroker::new().listen().await;
    for version in [0, 1, 2] {
        let lifetime = sasl_login(
            addr,
            &sasl(SaslMechanismKind::Plain, "alice", "alice-pw"),
            version,
        )
        .await
        .unwrap();
        assert_eq!(
            lifetime,
            if version >= 1 { Some(3_600_000) } else { None },
            "v{version}"
        );
    }
    let err = sasl_login(
        addr,
        &sasl(SaslMechanismKind::Plain, "alice", "wrong-pw"),
        2,
    )
    .await
    .unwrap_err();
    assert_auth_failed(err, "PLAIN", "Invalid username or password");
}

#[tokio::test]
async fn sasl_scram_success_and_failure() {
    let addr = FakeBroker::new().listen().await;
    for mechanism in [
        SaslMechanismKind::ScramSha256,
        SaslMechanismKind::ScramSha512,
    ] {
        let lifetime = sasl_login(addr, &sasl(mechanism, "alice", "alice-pw"), 2)
            .await
            .unwrap();
        assert_eq!(lifetime, Some(3_600_000));
        let err = sasl_login(addr, &sasl(mechanism, "alice", "wrong-pw"), 1)
            .await
            .unwrap_err();
        assert_auth_failed(err, mechanism.as_str(), "invalid credentials");
        let err = sasl_login(addr, &sasl(mechanism, "mallory", "x"), 1)
            .await
            .unwrap_err();
        assert_auth_failed(err, mechanism.as_str(), "invalid credentials");
    }
}

#[tokio::test]
async fn sasl_scram_detects_an_impostor_broker() {
    let mut broker = FakeBroker::new();
    broker.impostor = true;
    let addr = broker.listen().await;
    let err = sasl_login(
        addr,
        &sasl(SaslMechanismKind::ScramSha256, "alice", "alice-pw"),
        2,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, SecurityError::Mechanism { detail, .. } if detail.contains("server signature")),
        "{err:?}"
    );
}

#[tokio::test]
async fn sasl_unsupported_mechanism_names_the_enabled_ones() {
    let mut broker = FakeBroker::new();
    broker.mechanisms = vec!["SCRAM-SHA-512".into()];
    let addr = broker.listen().await;
    let err = sasl_login(
        addr,
        &sasl(SaslMechanismKind::Plain, "alice", "alice-pw"),
        2,
    )
    .await
    .unwrap_err();
    match err {
        SecurityError::UnsupportedMechanism { mechanism, enabled } => {
            assert_eq!(mechanism, "PLAIN");
            assert_eq!(enabled, vec!["SCRAM-SHA-512".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sasl_oauthbearer_success_and_server_status_on_failure() {
    let addr = FakeBroker::new().listen().await;
    let provider = |token: &str| {
        Arc::new(StaticTokenProvider(OAuthBearerToken::new(
            token,
            i64::MAX,
            "alice",
        )))
    };
    let good = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::OAuthBearer)
        .with_oauthbearer_token_provider(provider("good.token.sig"))
        .with_oauthbearer_extension("traceId", "t-1")
        .unwrap();
    assert_eq!(sasl_login(addr, &good, 2).await.unwrap(), Some(3_600_000));

    let bad = SaslConfig::default()
        .with_mechanism(SaslMechanismKind::OAuthBearer)
        .with_oauthbearer_token_provider(provider("expired.token.sig"));
    let err = sasl_login(addr, &bad, 2).await.unwrap_err();
    assert_auth_failed(err, "OAUTHBEARER", "invalid_token");
}

#[tokio::test]
async fn sasl_ssl_end_to_end_through_secure() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["localhost"]);
    let addr = tls_server(server_config(&cert, &key, None), Some(FakeBroker::new())).await;

    let mut config = SecurityConfig::default();
    for (k, v) in [
        ("security.protocol", "SASL_SSL"),
        ("ssl.ca.pem", ca.pem().as_str()),
        ("sasl.mechanism", "SCRAM-SHA-512"),
        ("sasl.username", "alice"),
        ("sasl.password", "alice-pw"),
    ] {
        assert!(config.set_property(k, v).unwrap(), "{k}");
    }
    config.validate().unwrap();
    assert_eq!(config.protocol(), SecurityProtocol::SaslSsl);

    let tcp = TcpStream::connect(addr).await.unwrap();
    let transport = secure(tcp, "localhost", &config).await.unwrap();
    assert!(transport.is_tls());
    let mut channel = RequestChannel::new(transport);
    let session = authenticate(&mut channel, config.sasl(), 1, 2)
        .await
        .unwrap();
    assert_eq!(session.mechanism, SaslMechanismKind::ScramSha512);
    assert_eq!(session.session_lifetime_ms, Some(3_600_000));
}

#[tokio::test]
async fn tls_versions_follow_ssl_enabled_protocols() {
    let ca = Ca::new("test ca");
    let (cert, key) = ca.issue(&["broker.test"]);
    let tls12_only = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain(&cert), key_der(&key))
            .unwrap(),
    );
    let addr = tls_server(tls12_only, None).await;
    let mut both = TlsConfig::default().with_ca_pem(ca.pem());
    tls_echo(addr, "broker.test", &both).await.unwrap();
    both.set_property("ssl.enabled.protocols", "TLSv1.3")
        .unwrap();
    assert!(tls_echo(addr, "broker.test", &both).await.is_err());
}

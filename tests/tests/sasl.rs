//! SASL sessions end to end over real sockets: KIP-368 re-authentication on one connection
//! (PLAIN and SCRAM, raw requests), session expiry closing the connection, principal
//! changes refused, and the SDK's client runtime carrying on across session expiry.
//!
//! Time is tokio's paused clock (`start_paused`), which the cluster clock follows, so session
//! lifetimes of minutes pass without sleeping.

use std::time::Duration;

use kafka_protocol::messages::{MetadataRequest, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest};
use kafka_protocol::net::sasl::scram::{ScramClient, ScramHash};
use kafka_protocol::net::sasl::{SaslConfig, SaslMechanism as _, SaslMechanismKind, SaslStep};
use kafka_protocol::net::security::{Secret, SecurityConfig, SecurityProtocol};
use kafka_protocol::net::{Client, ClientConfig};
use kafka_protocol::ErrorCode;
use kafka_testkit::testing::{ClientError, TestClient};
use kafka_testkit::{ApiKey, Cluster, SaslSettings};

const REAUTH_MS: i64 = 60_000;

async fn cluster(reauth_ms: i64) -> Cluster {
    Cluster::builder()
        .topic("orders", 1, 1)
        .seed(11)
        .sasl(SaslSettings::new().user("alice", "alice-secret").user("bob", "bob-secret").connections_max_reauth_ms(reauth_ms))
        .build()
        .await
        .unwrap()
}

async fn raw(cluster: &Cluster) -> TestClient {
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    // Paused time auto-advances while the runtime idles; keep the read timeout far beyond
    // any session lifetime used here.
    c.timeout = Duration::from_secs(3600);
    c
}

fn metadata() -> MetadataRequest {
    MetadataRequest::default().with_topics(None)
}

async fn handshake(c: &mut TestClient, mechanism: &str) -> Result<i16, ClientError> {
    let response = c.send(&SaslHandshakeRequest::default().with_mechanism(mechanism.to_owned()), 1).await?;
    Ok(response.error_code)
}

async fn token(c: &mut TestClient, bytes: &[u8]) -> Result<SaslAuthenticateResponse, ClientError> {
    c.send(&SaslAuthenticateRequest::default().with_auth_bytes(bytes.to_vec().into()), 2).await
}

/// A PLAIN login on `c`; returns the final SaslAuthenticate response.
async fn plain(c: &mut TestClient, user: &str, password: &str) -> SaslAuthenticateResponse {
    assert_eq!(handshake(c, "PLAIN").await.unwrap(), 0);
    token(c, format!("\0{user}\0{password}").as_bytes()).await.unwrap()
}

/// A SCRAM-SHA-256 login on `c`; returns the final SaslAuthenticate response.
async fn scram(c: &mut TestClient, user: &str, password: &str) -> SaslAuthenticateResponse {
    assert_eq!(handshake(c, "SCRAM-SHA-256").await.unwrap(), 0);
    let mut client = ScramClient::new(ScramHash::Sha256, user, Secret::new(password)).unwrap();
    let first = client.initial_response().unwrap();
    let challenge = token(c, &first).await.unwrap();
    assert_eq!(challenge.error_code, 0, "{:?}", challenge.error_message);
    let SaslStep::Respond(last) = client.step(&challenge.auth_bytes).unwrap() else { panic!("SCRAM ended early") };
    let done = token(c, &last).await.unwrap();
    if done.error_code == 0 {
        assert_eq!(client.step(&done.auth_bytes).unwrap(), SaslStep::Done, "server signature verified");
    }
    done
}

async fn advance(ms: i64) {
    tokio::time::advance(Duration::from_millis(ms as u64)).await;
}

#[tokio::test(start_paused = true)]
async fn plain_reauthentication_on_one_connection_extends_the_session() {
    let cluster = cluster(REAUTH_MS).await;
    let mut c = raw(&cluster).await;
    let login = plain(&mut c, "alice", "alice-secret").await;
    assert_eq!((login.error_code, login.session_lifetime_ms), (0, REAUTH_MS));
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1);

    // 50 s in: re-authenticate in place; the new session runs 60 s from now.
    advance(50_000).await;
    let again = plain(&mut c, "alice", "alice-secret").await;
    assert_eq!((again.error_code, again.session_lifetime_ms), (0, REAUTH_MS));
    // 100 s after the first login (past its lifetime, inside the new one): still served.
    advance(50_000).await;
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1);
    let principals = cluster.principals().await.unwrap();
    assert_eq!(principals.values().filter(|p| *p == "User:alice").count(), 1, "{principals:?}");

    // Past the re-authenticated session: the next request closes the connection unanswered.
    advance(10_001).await;
    let err = c.send(&metadata(), 12).await.unwrap_err();
    assert!(matches!(err, ClientError::Io(_)), "expected the connection closed, got {err:?}");
}

#[tokio::test(start_paused = true)]
async fn scram_reauthentication_and_a_changed_principal_is_refused() {
    let cluster = cluster(REAUTH_MS).await;
    let mut c = raw(&cluster).await;
    let login = scram(&mut c, "bob", "bob-secret").await;
    assert_eq!((login.error_code, login.session_lifetime_ms), (0, REAUTH_MS));
    advance(30_000).await;
    let again = scram(&mut c, "bob", "bob-secret").await;
    assert_eq!((again.error_code, again.session_lifetime_ms), (0, REAUTH_MS));
    advance(45_000).await;
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1, "the session was extended");

    // Re-authenticating as someone else fails, with Kafka's message, and closes.
    advance(2_000).await;
    let other = scram(&mut c, "alice", "alice-secret").await;
    assert_eq!(other.error_code, ErrorCode::SaslAuthenticationFailed.code());
    assert_eq!(other.error_message.as_deref(), Some("Cannot change principals during re-authentication from User.bob: User.alice"));
    assert!(c.is_closed(Duration::from_secs(5)).await, "connection closed after the refused re-authentication");
}

#[tokio::test(start_paused = true)]
async fn reauthentication_rules_on_one_connection() {
    let cluster = cluster(REAUTH_MS).await;
    let mut c = raw(&cluster).await;
    assert_eq!(plain(&mut c, "alice", "alice-secret").await.error_code, 0);
    // Another mechanism than the session's: the handshake passes, the token fails, close.
    advance(5_000).await;
    assert_eq!(handshake(&mut c, "SCRAM-SHA-256").await.unwrap(), 0);
    let refused = token(&mut c, b"n,,n=alice,r=abc").await.unwrap();
    assert_eq!(refused.error_code, ErrorCode::SaslAuthenticationFailed.code());
    assert!(refused.error_message.unwrap().contains("not supported for re-authentication of mechanism 'PLAIN'"));
    assert!(c.is_closed(Duration::from_secs(5)).await);

    // A wrong password during re-authentication closes the connection too.
    let mut c = raw(&cluster).await;
    assert_eq!(plain(&mut c, "alice", "alice-secret").await.error_code, 0);
    advance(5_000).await;
    let bad = plain(&mut c, "alice", "wrong").await;
    assert_eq!(bad.error_code, ErrorCode::SaslAuthenticationFailed.code());
    assert!(c.is_closed(Duration::from_secs(5)).await);

    // An expired session can still re-authenticate with a SaslHandshake first...
    let mut c = raw(&cluster).await;
    assert_eq!(plain(&mut c, "alice", "alice-secret").await.error_code, 0);
    advance(REAUTH_MS + 1).await;
    assert_eq!(plain(&mut c, "alice", "alice-secret").await.error_code, 0);
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1);
    // ...but a late SaslAuthenticate alone closes it.
    advance(REAUTH_MS + 1).await;
    let late = token(&mut c, b"\0alice\0alice-secret").await;
    assert!(matches!(late, Err(ClientError::Io(_))), "{late:?}");
}

#[tokio::test(start_paused = true)]
async fn without_max_reauth_sessions_do_not_expire_and_reauthentication_is_refused() {
    let cluster = cluster(0).await;
    let mut c = raw(&cluster).await;
    let login = plain(&mut c, "alice", "alice-secret").await;
    assert_eq!((login.error_code, login.session_lifetime_ms), (0, 0));
    advance(24 * 3600 * 1000).await;
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1);
    assert_eq!(handshake(&mut c, "PLAIN").await.unwrap(), ErrorCode::IllegalSaslState.code());
    assert_eq!(c.send(&metadata(), 12).await.unwrap().topics.len(), 1, "connection kept");
}

fn client_config(cluster: &Cluster, mechanism: SaslMechanismKind) -> ClientConfig {
    let security = SecurityConfig::new(SecurityProtocol::SaslPlaintext)
        .with_sasl(SaslConfig::default().with_mechanism(mechanism).with_username("alice").with_password("alice-secret"));
    ClientConfig::builder()
        .bootstrap_servers(cluster.bootstrap_servers().split(',').map(str::to_owned))
        .request_timeout(Duration::from_secs(30))
        .default_api_timeout(Duration::from_secs(60))
        .reconnect_backoff(Duration::from_millis(20))
        .reconnect_backoff_max(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(100))
        .jitter_seed(7)
        .security(security)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn client_runtime_keeps_working_across_session_expiry() {
    for mechanism in [SaslMechanismKind::Plain, SaslMechanismKind::ScramSha512] {
        let cluster = cluster(REAUTH_MS).await;
        let client = Client::connect(client_config(&cluster, mechanism)).await.unwrap();
        assert_eq!(client.refresh_metadata(["orders"]).await.unwrap().topic("orders").unwrap().partitions.len(), 1);
        let logins_before = cluster.requests_matching(ApiKey::SaslHandshake).await.unwrap().len();
        // Three session lifetimes later the client has replaced its connection at least once
        // (it re-authenticates by reconnecting) and was never cut off mid-request.
        for _ in 0..6 {
            advance(REAUTH_MS / 2).await;
            let meta = client.refresh_metadata(["orders"]).await.unwrap_or_else(|e| panic!("{mechanism:?}: {e}"));
            assert_eq!(meta.topic("orders").unwrap().partitions.len(), 1);
        }
        let logins_after = cluster.requests_matching(ApiKey::SaslHandshake).await.unwrap().len();
        assert!(logins_after >= logins_before + 2, "{mechanism:?}: {logins_before} -> {logins_after} logins");
        let principals = cluster.principals().await.unwrap();
        assert!(principals.values().all(|p| p == "User:alice"), "{principals:?}");
        client.close().await;
    }
}

// ---------------------------------------------------------------------------------------
// OAUTHBEARER: the client runtime's token providers against the broker's unsecured validator.

mod oauthbearer {
    use std::sync::Arc;

    use kafka_protocol::net::sasl::oauthbearer::{OAuthBearerToken, OAuthBearerTokenProvider, StaticTokenProvider, UnsecuredJwtProvider};
    use kafka_protocol::net::NetError;
    use kafka_testkit::OAuthBearerValidator;

    use super::*;

    fn wall_ms() -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        i64::try_from(now.as_millis()).unwrap()
    }

    async fn oauth_cluster(validator: OAuthBearerValidator, reauth_ms: i64) -> Cluster {
        Cluster::builder()
            .brokers(2)
            .topic("orders", 2, 2)
            .seed(13)
            .sasl(SaslSettings::new().oauthbearer(validator).connections_max_reauth_ms(reauth_ms))
            .build()
            .await
            .unwrap()
    }

    fn oauth_config(cluster: &Cluster, provider: Arc<dyn OAuthBearerTokenProvider>, extension: Option<(&str, &str)>) -> ClientConfig {
        let mut sasl = SaslConfig::default().with_mechanism(SaslMechanismKind::OAuthBearer).with_oauthbearer_token_provider(provider);
        if let Some((k, v)) = extension {
            sasl = sasl.with_oauthbearer_extension(k, v).unwrap();
        }
        ClientConfig::builder()
            .bootstrap_servers(cluster.bootstrap_servers().split(',').map(str::to_owned))
            .request_timeout(Duration::from_secs(3))
            .default_api_timeout(Duration::from_secs(5))
            .reconnect_backoff(Duration::from_millis(20))
            .reconnect_backoff_max(Duration::from_millis(200))
            .retry_backoff(Duration::from_millis(10))
            .retry_backoff_max(Duration::from_millis(100))
            .jitter_seed(7)
            .security(SecurityConfig::new(SecurityProtocol::SaslPlaintext).with_sasl(sasl))
            .build()
            .unwrap()
    }

    /// Connects and asks for metadata; the error if either fails.
    async fn metadata(config: ClientConfig) -> Result<usize, NetError> {
        let client = Client::connect(config).await?;
        let result = client.refresh_metadata(["orders"]).await.map(|m| m.topic("orders").map_or(0, |t| t.partitions.len()));
        client.close().await;
        result
    }

    fn auth_failure(result: Result<usize, NetError>) -> String {
        let error = match result {
            Err(NetError::NoBrokerAvailable { last_error, .. }) => (*last_error).clone(),
            Err(other) => other,
            Ok(n) => panic!("the token was accepted ({n} partitions)"),
        };
        match error {
            NetError::Authentication { message, .. } => message,
            other => panic!("expected an authentication failure, got {other}"),
        }
    }

    #[tokio::test]
    async fn unsecured_jwt_logs_in_with_its_principal_and_extensions() {
        let cluster = oauth_cluster(OAuthBearerValidator::new().required_scope(["kafka"]), 0).await;
        let provider = Arc::new(UnsecuredJwtProvider::from_config("principal=alice scope=kafka,extra lifeSeconds=600").unwrap());
        let client = Client::connect(oauth_config(&cluster, provider, Some(("traceId", "t-1")))).await.unwrap();
        let meta = client.refresh_metadata(["orders"]).await.unwrap();
        assert_eq!(meta.topic("orders").unwrap().partitions.len(), 2);
        let sessions = cluster.sessions().await.unwrap();
        let oauth: Vec<_> = sessions.values().filter(|s| s.mechanism.as_deref() == Some("OAUTHBEARER")).collect();
        assert!(!oauth.is_empty(), "{sessions:?}");
        let now = wall_ms();
        for session in oauth {
            assert_eq!(session.principal, "User:alice");
            assert_eq!(session.extensions.get("traceId").map(String::as_str), Some("t-1"), "extension passed through");
            // No connections.max.reauth.ms: the session ends with the token (600 s).
            let expiry = session.session_expiry_ms.expect("OAUTHBEARER sessions expire with their token");
            assert!(expiry > now + 590_000 && expiry <= now + 601_000, "expiry {expiry} vs now {now}");
        }
        client.close().await;
    }

    #[tokio::test]
    async fn expired_token_is_refused_with_invalid_token() {
        let cluster = oauth_cluster(OAuthBearerValidator::new(), 0).await;
        let stale = UnsecuredJwtProvider::from_config("principal=alice lifeSeconds=60").unwrap().token_at(wall_ms() - 3_600_000);
        let message = auth_failure(metadata(oauth_config(&cluster, Arc::new(StaticTokenProvider(stale)), None)).await);
        assert!(message.contains(r#"{"status":"invalid_token"}"#), "{message}");
        // A token issued "in the future" (the issuer's clock runs ahead) is refused, unless
        // within the allowed clock skew. (An already-expired token within the skew would
        // authenticate with a session lifetime of 0, which Kafka expires at once, so the
        // skew is shown with `iat`.)
        let ahead = || UnsecuredJwtProvider::from_config("principal=alice lifeSeconds=600").unwrap().token_at(wall_ms() + 120_000);
        let message = auth_failure(metadata(oauth_config(&cluster, Arc::new(StaticTokenProvider(ahead())), None)).await);
        assert!(message.contains(r#"{"status":"invalid_token"}"#), "{message}");
        let cluster = oauth_cluster(OAuthBearerValidator::new().allowable_clock_skew_ms(600_000), 0).await;
        assert_eq!(metadata(oauth_config(&cluster, Arc::new(StaticTokenProvider(ahead())), None)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn missing_scope_is_refused_with_insufficient_scope() {
        let cluster = oauth_cluster(OAuthBearerValidator::new().required_scope(["kafka"]), 0).await;
        let provider = Arc::new(UnsecuredJwtProvider::from_config("principal=alice scope=other").unwrap());
        let message = auth_failure(metadata(oauth_config(&cluster, provider, None)).await);
        assert!(message.contains(r#""status":"insufficient_scope""#) && message.contains("[kafka]"), "{message}");
        // And a token that is not an unsecured JWS at all.
        let junk = OAuthBearerToken::new("not-a-jwt", i64::MAX, "alice");
        let message = auth_failure(metadata(oauth_config(&cluster, Arc::new(StaticTokenProvider(junk)), None)).await);
        assert!(message.contains("invalid_token"), "{message}");
    }

    #[tokio::test]
    async fn custom_principal_claim() {
        let cluster = oauth_cluster(OAuthBearerValidator::new().principal_claim_name("client_id"), 0).await;
        let provider = Arc::new(UnsecuredJwtProvider::from_config("principal=svc-1 principalClaimName=client_id").unwrap());
        assert_eq!(metadata(oauth_config(&cluster, provider, None)).await.unwrap(), 2);
        // A token naming the principal in `sub` has no `client_id`: refused.
        let provider = Arc::new(UnsecuredJwtProvider::from_config("principal=svc-1").unwrap());
        assert!(auth_failure(metadata(oauth_config(&cluster, provider, None)).await).contains("invalid_token"));
    }

    /// Mints unsecured JWTs from the cluster clock's point of view (wall clock at start plus
    /// paused tokio time), counting how often it is asked.
    struct ClusterClockTokens {
        wall_at_start: i64,
        started: tokio::time::Instant,
        life_seconds: i64,
        minted: std::sync::atomic::AtomicUsize,
    }

    impl OAuthBearerTokenProvider for ClusterClockTokens {
        fn token(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<OAuthBearerToken, kafka_protocol::net::security::SecurityError>> + Send + '_>> {
            self.minted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let now = self.wall_at_start + i64::try_from(self.started.elapsed().as_millis()).unwrap();
            let config = format!("principal=alice lifeSeconds={}", self.life_seconds);
            let token = UnsecuredJwtProvider::from_config(&config).unwrap().token_at(now);
            Box::pin(async move { Ok(token) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn raw_session_is_capped_by_the_token_and_client_refreshes_tokens_across_expiry() {
        // connections.max.reauth.ms (10 min) is longer than the tokens (2 min).
        let cluster = oauth_cluster(OAuthBearerValidator::new(), 600_000).await;
        let tokens = Arc::new(ClusterClockTokens {
            wall_at_start: wall_ms(),
            started: tokio::time::Instant::now(),
            life_seconds: 120,
            minted: Default::default(),
        });
        // Raw: the reported lifetime is the token's remaining life, not max reauth.
        let mut c = raw(&cluster).await;
        assert_eq!(handshake(&mut c, "OAUTHBEARER").await.unwrap(), 0);
        let token = tokens.token().await.unwrap();
        let message = format!("n,,\x01auth=Bearer {}\x01\x01", token.value.expose());
        let done = super::token(&mut c, message.as_bytes()).await.unwrap();
        assert_eq!(done.error_code, 0, "{:?}", done.error_message);
        assert!(done.session_lifetime_ms > 118_000 && done.session_lifetime_ms <= 120_000, "{}", done.session_lifetime_ms);
        advance(done.session_lifetime_ms + 1).await;
        assert!(matches!(c.send(&super::metadata(), 12).await, Err(ClientError::Io(_))), "closed when the token expired");

        // The client runtime asks for a fresh token whenever it reconnects.
        let client = Client::connect(oauth_config(&cluster, tokens.clone(), None)).await.unwrap();
        client.refresh_metadata(["orders"]).await.unwrap();
        let minted_before = tokens.minted.load(std::sync::atomic::Ordering::SeqCst);
        for _ in 0..6 {
            advance(60_000).await;
            client.refresh_metadata(["orders"]).await.unwrap();
        }
        let minted_after = tokens.minted.load(std::sync::atomic::Ordering::SeqCst);
        assert!(minted_after >= minted_before + 2, "tokens minted: {minted_before} -> {minted_after}");
        client.close().await;
    }
}

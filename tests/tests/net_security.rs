//! Security end to end with the SDK's client runtime: SASL (PLAIN, SCRAM-SHA-256/512) on
//! SASL_PLAINTEXT listeners, the pre-authentication gate, TLS listeners (server
//! verification, host names, mutual TLS) and SASL_SSL, and ACLs.

use std::time::Duration;

use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
use kafka_protocol::net::sasl::{SaslConfig, SaslMechanismKind};
use kafka_protocol::net::security::{SecurityConfig, SecurityProtocol};
use kafka_protocol::net::{Client, ClientConfig, NetError};
use kafka_testkit::testing::{ClientError, TestClient};
use kafka_testkit::{ApiKey, Cluster, SaslSettings};

fn config(cluster: &Cluster, security: SecurityConfig) -> ClientConfig {
    config_for(&cluster.bootstrap_servers(), security)
}

fn config_for(bootstrap: &str, security: SecurityConfig) -> ClientConfig {
    ClientConfig::builder()
        .bootstrap_servers(bootstrap.split(',').map(str::to_owned))
        .request_timeout(Duration::from_secs(3))
        .default_api_timeout(Duration::from_secs(5))
        .reconnect_backoff(Duration::from_millis(20))
        .reconnect_backoff_max(Duration::from_millis(200))
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(100))
        .jitter_seed(7)
        .security(security)
        .build()
        .unwrap()
}

fn sasl(protocol: SecurityProtocol, mechanism: SaslMechanismKind, user: &str, password: &str) -> SecurityConfig {
    SecurityConfig::new(protocol)
        .with_sasl(SaslConfig::default().with_mechanism(mechanism).with_username(user).with_password(password))
}

async fn sasl_cluster() -> Cluster {
    Cluster::builder()
        .brokers(2)
        .topic("orders", 2, 2)
        .seed(5)
        .sasl(SaslSettings::new().user("alice", "alice-secret").user("bob", "bob-secret"))
        .build()
        .await
        .unwrap()
}

#[tokio::test]
async fn sasl_plaintext_logins_with_every_mechanism() {
    use kafka_testkit::protocol::messages::RequestBody;
    let cluster = sasl_cluster().await;
    for mechanism in [SaslMechanismKind::Plain, SaslMechanismKind::ScramSha256, SaslMechanismKind::ScramSha512] {
        let mark = cluster.requests().await.unwrap().last().map(|r| r.seq);
        let security = sasl(SecurityProtocol::SaslPlaintext, mechanism, "alice", "alice-secret");
        let client = Client::connect(config(&cluster, security)).await.unwrap();
        let meta = client.refresh_metadata(["orders"]).await.unwrap();
        assert_eq!(meta.topic("orders").unwrap().partitions.len(), 2, "{mechanism:?}");
        let log: Vec<_> = cluster.requests().await.unwrap().into_iter().filter(|r| mark.is_none_or(|m| r.seq > m)).collect();
        // The connection that asked for metadata last authenticated as alice.
        let seen = log.iter().rev().find(|r| r.api_key == ApiKey::Metadata).expect("a Metadata request");
        let principals = cluster.principals().await.unwrap();
        assert_eq!(principals.get(&seen.connection).map(String::as_str), Some("User:alice"), "{mechanism:?}");
        // The request log keeps the SASL exchange but not its credentials.
        let auths: Vec<_> = log.iter().filter(|r| r.api_key == ApiKey::SaslAuthenticate).collect();
        assert!(!auths.is_empty(), "{mechanism:?}: the SASL exchange is logged");
        for logged in auths {
            match &logged.body {
                RequestBody::SaslAuthenticate(r) => assert!(r.auth_bytes.is_empty(), "{mechanism:?}: credentials in the log"),
                other => panic!("logged as SaslAuthenticate: {other:?}"),
            }
        }
        client.close().await;
    }
}

#[tokio::test]
async fn principal_is_recorded_per_connection() {
    let cluster = sasl_cluster().await;
    let security = sasl(SecurityProtocol::SaslPlaintext, SaslMechanismKind::ScramSha512, "bob", "bob-secret");
    let client = Client::connect(config(&cluster, security)).await.unwrap();
    client.refresh_metadata(["orders"]).await.unwrap();
    let principals = cluster.principals().await.unwrap();
    assert!(principals.values().any(|p| p == "User:bob"), "{principals:?}");
    assert!(principals.values().all(|p| p == "User:bob" || p == "User:ANONYMOUS"), "{principals:?}");
    client.close().await;
}

#[tokio::test]
async fn wrong_password_is_an_authentication_failure_with_the_broker_message() {
    let cluster = sasl_cluster().await;
    for mechanism in [SaslMechanismKind::Plain, SaslMechanismKind::ScramSha256] {
        let security = sasl(SecurityProtocol::SaslPlaintext, mechanism, "alice", "not-the-password");
        let result = match Client::connect(config(&cluster, security)).await {
            Ok(client) => client.refresh_metadata(["orders"]).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let error = match result {
            Err(NetError::NoBrokerAvailable { last_error, .. }) => (*last_error).clone(),
            other => other.err().unwrap_or_else(|| panic!("{mechanism:?}: a wrong password was accepted")),
        };
        match error {
            NetError::Authentication { message, .. } => {
                assert!(message.contains("Authentication failed"), "{mechanism:?}: {message}");
            }
            other => panic!("{mechanism:?}: expected an authentication failure, got {other}"),
        }
    }
}

#[tokio::test]
async fn request_before_authentication_closes_the_connection() {
    let cluster = sasl_cluster().await;
    let mut raw = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    // One ApiVersions is allowed before authentication.
    let versions = raw.send(&ApiVersionsRequest::default(), 3).await.unwrap();
    assert_eq!(versions.error_code, 0);
    assert!(versions.api_keys.iter().any(|k| k.api_key == ApiKey::SaslHandshake.key()));
    let err = raw.send(&MetadataRequest::default(), 12).await.unwrap_err();
    assert!(matches!(err, ClientError::Io(_)), "expected the connection closed, got {err:?}");
    // A fresh connection gets closed on a Metadata first request too.
    let mut raw = TestClient::connect(cluster.broker_addr(2).unwrap()).await.unwrap();
    let err = raw.send(&MetadataRequest::default(), 12).await.unwrap_err();
    assert!(matches!(err, ClientError::Io(_)), "expected the connection closed, got {err:?}");
}

#[tokio::test]
async fn plaintext_client_against_sasl_listener_fails() {
    let cluster = sasl_cluster().await;
    let mut cfg = config(&cluster, SecurityConfig::new(SecurityProtocol::Plaintext));
    cfg = ClientConfig::builder()
        .bootstrap_servers(cluster.bootstrap_servers().split(',').map(str::to_owned))
        .request_timeout(Duration::from_secs(1))
        .default_api_timeout(Duration::from_secs(2))
        .reconnect_backoff(Duration::from_millis(20))
        .reconnect_backoff_max(Duration::from_millis(50))
        .retry_backoff(Duration::from_millis(10))
        .retry_backoff_max(Duration::from_millis(50))
        .jitter_seed(7)
        .security(cfg.security().clone())
        .build()
        .unwrap();
    let result = match Client::connect(cfg).await {
        Ok(client) => client.refresh_metadata(["orders"]).await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(result.is_err(), "a client without SASL must not get metadata");
}

// ---------------------------------------------------------------------------------------
// TLS

mod tls {
    use super::*;
    use kafka_protocol::net::tls::TlsConfig;
    use kafka_testkit::TlsSettings;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

    pub(super) struct Ca {
        cert: rcgen::Certificate,
        key: KeyPair,
    }

    impl Ca {
        pub(super) fn new(name: &str) -> Ca {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.self_signed(&key).unwrap();
            Ca { cert, key }
        }

        pub(super) fn pem(&self) -> String {
            self.cert.pem()
        }

        /// A leaf for `names` (DNS names or IP addresses): (cert PEM, key PEM).
        pub(super) fn issue(&self, common_name: &str, names: &[&str]) -> (String, String) {
            let key = KeyPair::generate().unwrap();
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            let mut params = CertificateParams::new(names).unwrap();
            params.distinguished_name.push(DnType::CommonName, common_name);
            let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
            (cert.pem(), key.serialize_pem())
        }
    }

    async fn tls_cluster(settings: TlsSettings, sasl: Option<SaslSettings>) -> Cluster {
        let mut builder = Cluster::builder().brokers(2).topic("orders", 2, 2).seed(9).tls(settings);
        if let Some(sasl) = sasl {
            builder = builder.sasl(sasl);
        }
        builder.build().await.unwrap()
    }

    async fn metadata(cluster: &Cluster, security: SecurityConfig) -> Result<usize, NetError> {
        let client = Client::connect(config(cluster, security)).await?;
        let result = client.refresh_metadata(["orders"]).await.map(|m| m.topic("orders").map_or(0, |t| t.partitions.len()));
        client.close().await;
        result
    }

    fn ssl(tls: TlsConfig) -> SecurityConfig {
        SecurityConfig::new(SecurityProtocol::Ssl).with_tls(tls)
    }

    #[tokio::test]
    async fn plaintext_and_ssl_listeners_on_one_cluster() {
        use kafka_testkit::security::SecurityProtocol as Listener;
        let ca = Ca::new("testkit-ca");
        let (cert, key) = ca.issue("broker", &["127.0.0.1", "localhost"]);
        let cluster = Cluster::builder()
            .brokers(2)
            .topic("orders", 2, 2)
            .seed(9)
            .listener("INTERNAL", Listener::Plaintext)
            .listener("EXTERNAL", Listener::Ssl)
            .tls(TlsSettings::new(cert, key))
            .build()
            .await
            .unwrap();
        let (internal, external) = (cluster.bootstrap_servers_for("INTERNAL").unwrap(), cluster.bootstrap_servers_for("EXTERNAL").unwrap());
        let tls = || ssl(TlsConfig::default().with_ca_pem(ca.pem()));
        for (bootstrap, security, listener) in [
            (&internal, SecurityConfig::new(SecurityProtocol::Plaintext), "INTERNAL"),
            (&external, tls(), "EXTERNAL"),
        ] {
            let client = Client::connect(config_for(bootstrap, security)).await.unwrap();
            // Produce-side routing: every partition leader is reached on this listener's port.
            let meta = client.refresh_metadata(["orders"]).await.unwrap();
            assert_eq!(meta.topic("orders").unwrap().partitions.len(), 2);
            for broker in cluster.broker_ids() {
                let versions = client.send_to_broker(broker, &ApiVersionsRequest::default()).await.unwrap();
                assert_eq!(versions.error_code, 0, "{listener} broker {broker}");
            }
            let sessions = cluster.sessions().await.unwrap();
            assert!(sessions.values().any(|s| s.listener == listener), "{listener}: {sessions:?}");
            client.close().await;
        }
        // Each port speaks only its own protocol.
        assert!(metadata_at(&external, SecurityConfig::new(SecurityProtocol::Plaintext)).await.is_err(), "plaintext on the SSL port");
        assert!(metadata_at(&internal, tls()).await.is_err(), "TLS on the plaintext port");
    }

    async fn metadata_at(bootstrap: &str, security: SecurityConfig) -> Result<usize, NetError> {
        let client = Client::connect(config_for(bootstrap, security)).await?;
        let result = client.refresh_metadata(["orders"]).await.map(|m| m.topic("orders").map_or(0, |t| t.partitions.len()));
        client.close().await;
        result
    }

    #[tokio::test]
    async fn ssl_with_the_test_ca_succeeds() {
        let ca = Ca::new("testkit-ca");
        let (cert, key) = ca.issue("broker", &["127.0.0.1", "localhost"]);
        let cluster = tls_cluster(TlsSettings::new(cert, key), None).await;
        let n = metadata(&cluster, ssl(TlsConfig::default().with_ca_pem(ca.pem()))).await.unwrap();
        assert_eq!(n, 2);
        // A client that does not trust the CA is refused.
        let other = Ca::new("someone-else");
        let err = metadata(&cluster, ssl(TlsConfig::default().with_ca_pem(other.pem()))).await.unwrap_err();
        assert!(err.to_string().contains("TLS") || err.to_string().contains("certificate"), "{err}");
    }

    #[tokio::test]
    async fn certificate_for_another_host_is_rejected() {
        let ca = Ca::new("testkit-ca");
        let (cert, key) = ca.issue("broker", &["broker.other.test"]);
        let cluster = tls_cluster(TlsSettings::new(cert, key), None).await;
        let err = metadata(&cluster, ssl(TlsConfig::default().with_ca_pem(ca.pem()))).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("TLS handshake") || text.contains("certificate"), "{text}");
        // With host-name verification off (ssl.endpoint.identification.algorithm=) it works.
        let n = metadata(&cluster, ssl(TlsConfig::default().with_ca_pem(ca.pem()).with_hostname_verification(false)))
            .await
            .unwrap();
        assert_eq!(n, 2);
    }

    #[tokio::test]
    async fn mutual_tls_requires_a_client_certificate() {
        let ca = Ca::new("testkit-ca");
        let client_ca = Ca::new("clients-ca");
        let (cert, key) = ca.issue("broker", &["127.0.0.1"]);
        let cluster = tls_cluster(TlsSettings::new(cert, key).require_client_cert(client_ca.pem()), None).await;
        assert!(metadata(&cluster, ssl(TlsConfig::default().with_ca_pem(ca.pem()))).await.is_err());
        // A certificate from a CA the broker does not trust is refused too.
        let (stranger_cert, stranger_key) = ca.issue("mallory", &["mallory.test"]);
        let stranger = TlsConfig::default().with_ca_pem(ca.pem()).with_certificate_pem(stranger_cert).with_key_pem(stranger_key);
        assert!(metadata(&cluster, ssl(stranger)).await.is_err());
        let (client_cert, client_key) = client_ca.issue("alice", &["alice.test"]);
        let tls = TlsConfig::default().with_ca_pem(ca.pem()).with_certificate_pem(client_cert).with_key_pem(client_key);
        assert_eq!(metadata(&cluster, ssl(tls)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn client_certificate_subject_is_the_ssl_principal_for_acls() {
        use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
        let ca = Ca::new("testkit-ca");
        let client_ca = Ca::new("clients-ca");
        let (cert, key) = ca.issue("broker", &["127.0.0.1"]);
        let cluster = Cluster::builder()
            .topic("orders", 1, 1)
            .seed(9)
            .tls(TlsSettings::new(cert, key).require_client_cert(client_ca.pem()))
            .acls(["User:CN=admin"])
            .build()
            .await
            .unwrap();
        let request = MetadataRequest::default()
            .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some("orders".into()))]))
            .with_allow_auto_topic_creation(false);
        let mut codes = Vec::new();
        for user in ["alice", "admin"] {
            let (c, k) = client_ca.issue(user, &[]);
            let tls = TlsConfig::default().with_ca_pem(ca.pem()).with_certificate_pem(c).with_key_pem(k);
            let client = Client::connect(config(&cluster, ssl(tls))).await.unwrap();
            let meta = client.send_to_broker(1, &request).await.unwrap();
            codes.push(meta.topics[0].error_code);
            let principals = cluster.principals().await.unwrap();
            assert!(principals.values().any(|p| *p == format!("User:CN={user}")), "{principals:?}");
            client.close().await;
        }
        assert_eq!(codes, [29, 0]);
    }

    #[tokio::test]
    async fn sasl_ssl_with_scram() {
        let ca = Ca::new("testkit-ca");
        let (cert, key) = ca.issue("broker", &["127.0.0.1"]);
        let cluster = tls_cluster(TlsSettings::new(cert, key), Some(SaslSettings::new().user("alice", "alice-secret"))).await;
        let security = sasl(SecurityProtocol::SaslSsl, SaslMechanismKind::ScramSha256, "alice", "alice-secret")
            .with_tls(TlsConfig::default().with_ca_pem(ca.pem()));
        assert_eq!(metadata(&cluster, security).await.unwrap(), 2);
        let principals = cluster.principals().await.unwrap();
        assert!(principals.values().any(|p| p == "User:alice"), "{principals:?}");
        let wrong = sasl(SecurityProtocol::SaslSsl, SaslMechanismKind::ScramSha256, "alice", "wrong")
            .with_tls(TlsConfig::default().with_ca_pem(ca.pem()));
        let err = metadata(&cluster, wrong).await.unwrap_err();
        assert!(err.to_string().contains("Authentication failed"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// ACLs

mod acls {
    use super::*;
    use kafka_protocol::messages::create_acls_request::AclCreation;
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{
        CreateAclsRequest, DescribeAclsRequest, DescribeUserScramCredentialsRequest, ProduceRequest,
    };
    use kafka_testkit::testing::record_batch;

    const TOPIC_RESOURCE: i8 = 2;
    const LITERAL: i8 = 3;
    const ALLOW: i8 = 3;
    const READ: i8 = 3;
    const WRITE: i8 = 4;
    const DESCRIBE: i8 = 8;
    const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
    const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;

    async fn client(cluster: &Cluster, user: &str) -> Client {
        let security = sasl(SecurityProtocol::SaslPlaintext, SaslMechanismKind::ScramSha512, user, &format!("{user}-secret"));
        Client::connect(config(cluster, security)).await.unwrap()
    }

    fn metadata_for(topic: &str) -> MetadataRequest {
        MetadataRequest::default()
            .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(topic.into()))]))
            .with_allow_auto_topic_creation(false)
    }

    fn produce(topic: &str) -> ProduceRequest {
        ProduceRequest::default().with_acks(-1).with_timeout_ms(1000).with_topic_data(vec![TopicProduceData::default()
            .with_name(topic.into())
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(record_batch(&[b"v"], 1_700_000_000_000).into()))])])
    }

    /// A DescribeAcls filter matching every binding (the generated defaults are empty-string
    /// name/principal/host filters, which match nothing).
    fn describe_any() -> DescribeAclsRequest {
        DescribeAclsRequest::default()
            .with_resource_type_filter(1) // ANY
            .with_resource_name_filter(None)
            .with_pattern_type_filter(1) // ANY
            .with_principal_filter(None)
            .with_host_filter(None)
            .with_operation(1) // ANY
            .with_permission_type(1) // ANY
    }

    fn fetch_request(topic: &str, topic_id: kafka_protocol::Uuid) -> kafka_protocol::messages::FetchRequest {
        use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
        kafka_protocol::messages::FetchRequest::default()
            .with_replica_id(-1)
            .with_max_wait_ms(5_000)
            .with_min_bytes(1)
            .with_max_bytes(1 << 20)
            .with_session_epoch(-1)
            .with_topics(vec![FetchTopic::default().with_topic(topic.into()).with_topic_id(topic_id).with_partitions(vec![
                FetchPartition::default().with_partition(0).with_fetch_offset(0).with_partition_max_bytes(1 << 20),
            ])])
    }

    fn allow(principal: &str, operation: i8) -> AclCreation {
        AclCreation::default()
            .with_resource_type(TOPIC_RESOURCE)
            .with_resource_name("orders".into())
            .with_resource_pattern_type(LITERAL)
            .with_principal(principal.into())
            .with_host("*".into())
            .with_operation(operation)
            .with_permission_type(ALLOW)
    }

    #[tokio::test]
    async fn topic_acls_are_enforced_and_granted_by_a_super_user() {
        let cluster = Cluster::builder()
            .topic("orders", 1, 1)
            .seed(3)
            .sasl(SaslSettings::new().user("admin", "admin-secret").user("alice", "alice-secret"))
            .acls(["User:admin"])
            .build()
            .await
            .unwrap();
        let alice = client(&cluster, "alice").await;
        let admin = client(&cluster, "admin").await;

        let meta = alice.send_to_broker(1, &metadata_for("orders")).await.unwrap();
        assert_eq!(meta.topics.len(), 1);
        assert_eq!(meta.topics[0].error_code, TOPIC_AUTHORIZATION_FAILED);
        assert!(meta.topics[0].partitions.is_empty());
        let produced = alice.send_to_broker(1, &produce("orders")).await.unwrap();
        assert_eq!(produced.responses[0].partition_responses[0].error_code, TOPIC_AUTHORIZATION_FAILED);
        assert_eq!(cluster.partition_state("orders", 0).await.unwrap().unwrap().high_watermark, 0);

        // Only a super user (or ALTER on the cluster) may create ACLs.
        let refused = alice.send_to_broker(1, &CreateAclsRequest::default().with_creations(vec![allow("User:alice", WRITE)])).await.unwrap();
        assert_eq!(refused.results[0].error_code, CLUSTER_AUTHORIZATION_FAILED);
        let created = admin
            .send_to_broker(1, &CreateAclsRequest::default().with_creations(vec![allow("User:alice", WRITE), allow("User:alice", DESCRIBE)]))
            .await
            .unwrap();
        assert!(created.results.iter().all(|r| r.error_code == 0), "{created:?}");

        let meta = alice.send_to_broker(1, &metadata_for("orders")).await.unwrap();
        assert_eq!(meta.topics[0].error_code, 0);
        assert_eq!(meta.topics[0].partitions.len(), 1);
        let produced = alice.send_to_broker(1, &produce("orders")).await.unwrap();
        assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
        assert_eq!(cluster.partition_state("orders", 0).await.unwrap().unwrap().high_watermark, 1);

        // Fetch needs READ: denied at once (no long-poll wait), then served after a grant.
        let fetch = fetch_request("orders", meta.topics[0].topic_id);
        let fetched = alice.send_to_broker(1, &fetch).await.unwrap();
        assert_eq!(fetched.responses.len(), 1);
        assert_eq!(fetched.responses[0].partitions[0].error_code, TOPIC_AUTHORIZATION_FAILED);
        let created = admin.send_to_broker(1, &CreateAclsRequest::default().with_creations(vec![allow("User:alice", READ)])).await.unwrap();
        assert_eq!(created.results[0].error_code, 0);
        let fetched = alice.send_to_broker(1, &fetch).await.unwrap();
        let partition = &fetched.responses[0].partitions[0];
        assert_eq!((partition.error_code, partition.high_watermark), (0, 1));
        assert!(partition.records.as_ref().is_some_and(|r| !r.is_empty()));

        let described = admin
            .send_to_broker(
                1,
                &describe_any(),
            )
            .await
            .unwrap();
        assert_eq!(described.error_code, 0);
        let acls: usize = described.resources.iter().map(|r| r.acls.len()).sum();
        assert_eq!(acls, 3);

        let creds = admin.send_to_broker(1, &DescribeUserScramCredentialsRequest::default()).await.unwrap();
        let mut users: Vec<&str> = creds.results.iter().map(|r| r.user.as_str()).collect();
        users.sort_unstable();
        assert_eq!(users, ["admin", "alice"]);
        alice.close().await;
        admin.close().await;
    }

    #[tokio::test]
    async fn altered_scram_credentials_take_effect_for_new_logins() {
        use kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
        use kafka_protocol::messages::AlterUserScramCredentialsRequest;
        let cluster = Cluster::builder()
            .seed(3)
            .sasl(SaslSettings::new().user("admin", "admin-secret").user("alice", "alice-secret"))
            .acls(["User:admin"])
            .build()
            .await
            .unwrap();
        let admin = client(&cluster, "admin").await;
        // What `kafka-configs --alter --add-config 'SCRAM-SHA-512=[password=new-secret]'` sends.
        let salt = b"fixed-test-salt".to_vec();
        let mut salted = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<sha2::Sha512>(b"new-secret", &salt, 4096, &mut salted);
        let upsert = ScramCredentialUpsertion::default()
            .with_name("alice".into())
            .with_mechanism(2) // SCRAM-SHA-512
            .with_iterations(4096)
            .with_salt(salt.into())
            .with_salted_password(salted.to_vec().into());
        let altered = admin
            .send_to_broker(1, &AlterUserScramCredentialsRequest::default().with_upsertions(vec![upsert]))
            .await
            .unwrap();
        assert_eq!(altered.results.len(), 1);
        assert_eq!(altered.results[0].error_code, 0, "{altered:?}");
        // The old password no longer works for SCRAM-SHA-512; the new one does.
        let old = sasl(SecurityProtocol::SaslPlaintext, SaslMechanismKind::ScramSha512, "alice", "alice-secret");
        let result = match Client::connect(config(&cluster, old)).await {
            Ok(c) => c.send_to_broker(1, &ApiVersionsRequest::default()).await.map(|_| ()),
            Err(e) => Err(e),
        };
        assert!(result.is_err(), "the replaced password still logs in");
        let new = sasl(SecurityProtocol::SaslPlaintext, SaslMechanismKind::ScramSha512, "alice", "new-secret");
        let alice = Client::connect(config(&cluster, new)).await.unwrap();
        alice.send_to_broker(1, &ApiVersionsRequest::default()).await.unwrap();
        // alice (no ACLs) may not alter credentials.
        let denied = alice
            .send_to_broker(1, &AlterUserScramCredentialsRequest::default().with_deletions(vec![
                kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialDeletion::default()
                    .with_name("admin".into())
                    .with_mechanism(2),
            ]))
            .await
            .unwrap();
        assert_eq!(denied.results[0].error_code, CLUSTER_AUTHORIZATION_FAILED);
        alice.close().await;
        admin.close().await;
    }

    #[tokio::test]
    async fn acl_apis_without_an_authorizer_answer_security_disabled() {
        let cluster = Cluster::builder().seed(3).build().await.unwrap();
        let client = Client::connect(config(&cluster, SecurityConfig::new(SecurityProtocol::Plaintext))).await.unwrap();
        let described = client.send_to_broker(1, &describe_any()).await.unwrap();
        assert_eq!(described.error_code, kafka_protocol::ErrorCode::SecurityDisabled.code());
        client.close().await;
    }
}

//! Mixed listeners: one cluster whose brokers each have a PLAINTEXT and a SASL_PLAINTEXT
//! port. Clients on either listener see only that listener's ports (Metadata,
//! FindCoordinator, DescribeCluster) and act as their own principal for ACLs
//! (`User:ANONYMOUS` on PLAINTEXT).

use std::collections::BTreeSet;
use std::time::Duration;

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    CreateAclsRequest, DescribeClusterRequest, FindCoordinatorRequest, MetadataRequest, SaslHandshakeRequest,
};
use kafka_protocol::net::sasl::{SaslConfig, SaslMechanismKind};
use kafka_protocol::net::security::{SecurityConfig, SecurityProtocol as ClientProtocol};
use kafka_protocol::net::{Client, ClientConfig};
use kafka_testkit::security::SecurityProtocol;
use kafka_testkit::testing::TestClient;
use kafka_testkit::{Cluster, ErrorCode, SaslSettings};

const TOPIC_RESOURCE: i8 = 2;
const GROUP_RESOURCE: i8 = 3;
const LITERAL: i8 = 3;
const ALLOW: i8 = 3;
const DESCRIBE: i8 = 8;

async fn mixed_cluster() -> Cluster {
    Cluster::builder()
        .brokers(2)
        .topic("orders", 2, 2)
        .seed(17)
        .listener("PLAINTEXT", SecurityProtocol::Plaintext)
        .listener("SASL", SecurityProtocol::SaslPlaintext)
        .sasl(SaslSettings::new().user("admin", "admin-secret").user("alice", "alice-secret"))
        .acls(["User:admin"])
        .build()
        .await
        .unwrap()
}

fn config(bootstrap: String, security: SecurityConfig) -> ClientConfig {
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

async fn plaintext_client(cluster: &Cluster) -> Client {
    let bootstrap = cluster.bootstrap_servers_for("PLAINTEXT").unwrap();
    Client::connect(config(bootstrap, SecurityConfig::new(ClientProtocol::Plaintext))).await.unwrap()
}

async fn sasl_client(cluster: &Cluster, user: &str) -> Client {
    let security = SecurityConfig::new(ClientProtocol::SaslPlaintext).with_sasl(
        SaslConfig::default()
            .with_mechanism(SaslMechanismKind::ScramSha256)
            .with_username(user)
            .with_password(format!("{user}-secret")),
    );
    Client::connect(config(cluster.bootstrap_servers_for("SASL").unwrap(), security)).await.unwrap()
}

fn ports(cluster: &Cluster, listener: &str) -> BTreeSet<i32> {
    cluster.broker_ids().into_iter().map(|id| i32::from(cluster.broker_addr_for(listener, id).unwrap().port())).collect()
}

fn metadata_for(topic: &str) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(topic.into()))]))
        .with_allow_auto_topic_creation(false)
}

/// Every broker port `client` is told about, through broker `via`.
async fn advertised_ports(client: &Client, via: i32) -> BTreeSet<i32> {
    let mut seen = BTreeSet::new();
    let meta = client.send_to_broker(via, &MetadataRequest::default().with_topics(None)).await.unwrap();
    seen.extend(meta.brokers.iter().map(|b| b.port));
    let cluster = client.send_to_broker(via, &DescribeClusterRequest::default()).await.unwrap();
    assert_eq!(cluster.error_code, 0);
    seen.extend(cluster.brokers.iter().map(|b| b.port));
    let coordinator = client
        .send_to_broker(via, &FindCoordinatorRequest::default().with_coordinator_keys(vec!["group-1".into()]))
        .await
        .unwrap();
    assert!(coordinator.coordinators.iter().all(|c| c.error_code == 0), "{coordinator:?}");
    if coordinator.coordinators.is_empty() {
        seen.insert(coordinator.port);
    } else {
        seen.extend(coordinator.coordinators.iter().map(|c| c.port));
    }
    seen
}

#[tokio::test]
async fn each_listener_advertises_its_own_ports() {
    let cluster = mixed_cluster().await;
    assert_eq!(cluster.listener_names(), ["PLAINTEXT", "SASL"]);
    assert_eq!(cluster.bootstrap_servers_for("plaintext"), Some(cluster.bootstrap_servers()));
    assert!(cluster.bootstrap_servers_for("SSL").is_none());
    let (plain_ports, sasl_ports) = (ports(&cluster, "PLAINTEXT"), ports(&cluster, "SASL"));
    assert_eq!(plain_ports.len() + sasl_ports.len(), 4);
    assert!(plain_ports.is_disjoint(&sasl_ports));

    let plain = plaintext_client(&cluster).await;
    let alice = sasl_client(&cluster, "alice").await;
    // FindCoordinator answers a key only to whoever may DESCRIBE it.
    let admin = sasl_client(&cluster, "admin").await;
    let grant = CreateAclsRequest::default().with_creations(vec![AclCreation::default()
        .with_resource_type(GROUP_RESOURCE)
        .with_resource_name("group-1".into())
        .with_resource_pattern_type(LITERAL)
        .with_principal("User:*".into())
        .with_host("*".into())
        .with_operation(DESCRIBE)
        .with_permission_type(ALLOW)]);
    assert_eq!(admin.send_to_broker(1, &grant).await.unwrap().results[0].error_code, 0);
    admin.close().await;
    for broker in [1, 2] {
        assert_eq!(advertised_ports(&plain, broker).await, plain_ports, "plaintext client via broker {broker}");
        assert_eq!(advertised_ports(&alice, broker).await, sasl_ports, "SASL client via broker {broker}");
    }

    // The connections are recorded with their listener and principal.
    let sessions = cluster.sessions().await.unwrap();
    assert!(sessions.values().any(|s| s.listener == "PLAINTEXT"), "{sessions:?}");
    assert!(sessions.values().any(|s| s.listener == "SASL"), "{sessions:?}");
    for session in sessions.values() {
        match session.listener.as_str() {
            "PLAINTEXT" => assert_eq!((session.principal.as_str(), session.mechanism.as_deref()), ("User:ANONYMOUS", None)),
            "SASL" => assert_eq!(session.principal, "User:alice"),
            other => panic!("unknown listener {other}"),
        }
    }
    plain.close().await;
    alice.close().await;
}

async fn error_for(client: &Client) -> i16 {
    client.send_to_broker(1, &metadata_for("orders")).await.unwrap().topics[0].error_code
}

#[tokio::test]
async fn acls_apply_per_principal_across_listeners() {
    let cluster = mixed_cluster().await;
    let plain = plaintext_client(&cluster).await;
    let alice = sasl_client(&cluster, "alice").await;
    let admin = sasl_client(&cluster, "admin").await;
    let denied = ErrorCode::TopicAuthorizationFailed.code();
    assert_eq!(error_for(&plain).await, denied);
    assert_eq!(error_for(&alice).await, denied);
    assert_eq!(error_for(&admin).await, 0, "super user");

    let grant = |principal: &str| {
        CreateAclsRequest::default().with_creations(vec![AclCreation::default()
            .with_resource_type(TOPIC_RESOURCE)
            .with_resource_name("orders".into())
            .with_resource_pattern_type(LITERAL)
            .with_principal(principal.into())
            .with_host("*".into())
            .with_operation(DESCRIBE)
            .with_permission_type(ALLOW)])
    };
    // The anonymous plaintext principal may not create ACLs.
    let refused = plain.send_to_broker(1, &grant("User:ANONYMOUS")).await.unwrap();
    assert_eq!(refused.results[0].error_code, ErrorCode::ClusterAuthorizationFailed.code());

    assert_eq!(admin.send_to_broker(1, &grant("User:alice")).await.unwrap().results[0].error_code, 0);
    assert_eq!(error_for(&alice).await, 0);
    assert_eq!(error_for(&plain).await, denied, "a grant to alice does not reach the plaintext listener");
    assert_eq!(admin.send_to_broker(2, &grant("User:ANONYMOUS")).await.unwrap().results[0].error_code, 0);
    assert_eq!(error_for(&plain).await, 0);
    plain.close().await;
    alice.close().await;
    admin.close().await;
}

#[tokio::test]
async fn plaintext_port_does_not_authenticate_and_sasl_port_requires_it() {
    let cluster = mixed_cluster().await;
    // SaslHandshake on the PLAINTEXT listener: ILLEGAL_SASL_STATE, connection kept.
    let mut c = TestClient::connect(cluster.broker_addr_for("PLAINTEXT", 1).unwrap()).await.unwrap();
    let handshake = c.send(&SaslHandshakeRequest::default().with_mechanism("PLAIN".into()), 1).await.unwrap();
    assert_eq!(handshake.error_code, ErrorCode::IllegalSaslState.code());
    assert_eq!(c.send(&MetadataRequest::default().with_topics(None), 12).await.unwrap().brokers.len(), 2);
    // Metadata before authentication on the SASL listener: closed.
    let mut c = TestClient::connect(cluster.broker_addr_for("SASL", 2).unwrap()).await.unwrap();
    assert!(c.send(&MetadataRequest::default().with_topics(None), 12).await.is_err());
}

#[tokio::test]
async fn broker_restart_reopens_every_listener() {
    let cluster = mixed_cluster().await;
    cluster.broker_down(2).await.unwrap();
    for listener in ["PLAINTEXT", "SASL"] {
        assert!(TestClient::connect(cluster.broker_addr_for(listener, 2).unwrap()).await.is_err(), "{listener} closed");
    }
    cluster.broker_up(2).await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr_for("PLAINTEXT", 2).unwrap()).await.unwrap();
    let meta = c.send(&MetadataRequest::default().with_topics(None), 12).await.unwrap();
    assert_eq!(meta.brokers.iter().map(|b| b.port).collect::<BTreeSet<_>>(), ports(&cluster, "PLAINTEXT"));
    assert!(TestClient::connect(cluster.broker_addr_for("SASL", 2).unwrap()).await.is_ok());
}

#[tokio::test]
async fn single_listener_api_is_unchanged_and_bad_listener_setups_are_refused() {
    let cluster = Cluster::builder().build().await.unwrap();
    assert_eq!(cluster.listener_names(), ["PLAINTEXT"]);
    assert_eq!(cluster.bootstrap_servers_for("PLAINTEXT"), Some(cluster.bootstrap_servers()));
    let cluster = Cluster::builder().sasl(SaslSettings::new()).build().await.unwrap();
    assert_eq!(cluster.listener_names(), ["SASL_PLAINTEXT"]);

    let refused = [
        Cluster::builder().listener("SASL", SecurityProtocol::SaslPlaintext).build().await.err(),
        Cluster::builder().listener("TLS", SecurityProtocol::Ssl).build().await.err(),
        Cluster::builder()
            .listener("A", SecurityProtocol::Plaintext)
            .listener("a", SecurityProtocol::Plaintext)
            .build()
            .await
            .err(),
        Cluster::builder().listener("bad name", SecurityProtocol::Plaintext).build().await.err(),
        Cluster::builder().listener("A", SecurityProtocol::Plaintext).sasl(SaslSettings::new()).build().await.err(),
    ];
    for (i, err) in refused.into_iter().enumerate() {
        assert!(matches!(err, Some(kafka_testkit::Error::Config(_))), "case {i}: {err:?}");
    }
}

#[tokio::test]
async fn listeners_from_kafka_properties() {
    let cluster = Cluster::builder()
        .listeners_from_properties(
            "PLAINTEXT://localhost:9092,SASL://localhost:9093",
            Some("PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT"),
        )
        .unwrap()
        .sasl(SaslSettings::new().user("alice", "alice-secret"))
        .build()
        .await
        .unwrap();
    assert_eq!(cluster.listener_names(), ["PLAINTEXT", "SASL"]);
    let mut c = TestClient::connect(cluster.broker_addr_for("SASL", 1).unwrap()).await.unwrap();
    assert!(c.send(&MetadataRequest::default().with_topics(None), 12).await.is_err(), "SASL listener gates");
    // Without a map, names are protocol names.
    let cluster = Cluster::builder().listeners_from_properties("PLAINTEXT://:0", None).unwrap().build().await.unwrap();
    assert_eq!(cluster.listener_names(), ["PLAINTEXT"]);
    assert!(Cluster::builder().listeners_from_properties("CLIENT://:0", None).is_err());
    assert!(Cluster::builder().listeners_from_properties("CLIENT://:0", Some("CLIENT:TLS")).is_err());
    assert!(Cluster::builder().listeners_from_properties("CLIENT", Some("CLIENT:SSL")).is_err());
}

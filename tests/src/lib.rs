//! An in-process Kafka cluster that speaks the real wire protocol on loopback TCP, for tests.
//!
//! Start a cluster with [`Cluster::builder`], point any Kafka client (ours, librdkafka, the
//! Java client) at [`Cluster::bootstrap_servers`], and steer it from the test: inject errors,
//! delays and dropped connections ([`Cluster::faults`]), take brokers down and up, move
//! partition leaders and coordinators, hold requests until released ([`Cluster::hold`]), and
//! assert on the log of decoded requests ([`Cluster::requests`],
//! [`Cluster::wait_for_request`]).
//!
//! ```
//! use std::time::Duration;
//! use kafka_testkit::{testing::TestClient, ApiKey, Cluster, ErrorCode};
//! use kafka_testkit::protocol::messages::{MetadataRequest, metadata_request::MetadataRequestTopic};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let cluster = Cluster::builder().brokers(3).topic("orders", 6, 3).seed(7).build().await?;
//! cluster.faults().fail(ApiKey::Metadata, 1, ErrorCode::LeaderNotAvailable).await?;
//! let mut client = TestClient::connect(cluster.broker_addr(1).unwrap()).await?;
//! let request = MetadataRequest::default()
//!     .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some("orders".into()))]));
//! let first = client.send(&request, 12).await?;
//! assert_eq!(first.topics[0].error_code, 5);
//! let second = client.send(&request, 12).await?;
//! assert_eq!(second.topics[0].partitions.len(), 6);
//! let seen = cluster.wait_for_request(ApiKey::Metadata, Duration::from_secs(5)).await?;
//! assert_eq!(seen.client_id.as_deref(), Some("testkit"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # How it is built
//!
//! Served: metadata and topic admin (Metadata, CreateTopics, DeleteTopics, CreatePartitions,
//! DescribeCluster, DescribeTopicPartitions), produce and fetch (idempotent and
//! transactional producers, fetch sessions, long-poll, read_committed), offsets
//! (ListOffsets, OffsetForLeaderEpoch, DeleteRecords), consumer groups (classic and KIP-848)
//! with committed offsets, transactions, and security: SASL PLAIN / SCRAM / OAUTHBEARER
//! with KIP-368 re-authentication ([`ClusterBuilder::sasl`]), TLS and mutual TLS
//! ([`ClusterBuilder::tls`]), ACLs checked per request and per item
//! ([`ClusterBuilder::acls`]) with the ACL and SCRAM-credential APIs, and several named
//! listeners per broker ([`ClusterBuilder::listener`]). [`ClusterBuilder::data_dir`] keeps
//! topics, batches, committed offsets and transaction state across restarts.
//! `tests/BROKER.md` lists what is not modelled.
//!
//! One task, the cluster actor (the private `actor` module), owns all state and
//! handles requests one at a time; each connection has a reader and a writer task and
//! answers in request order. Each API is one module under `handlers/` that declares the
//! versions it implements; ApiVersions advertises exactly those, capped by
//! [`KafkaVersion`]. Brokers have ids `1..=n`, each with its own port per listener on 127.0.0.1.
//! Every random choice comes from the builder's seed.

mod actor;
mod batch;
mod cluster;
pub mod codes;
mod faults;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod group;
mod handlers;
mod listeners;
mod rng;
mod server;
mod state;
pub mod testing;

pub mod config;
pub mod sasl_server;
pub mod security;
pub mod txn;
mod version;

pub use cluster::{Cluster, ClusterBuilder, CoordinatorType, Error, Faults, HeldRequests, PartitionState, SessionInfo};
pub use faults::{CloseWhen, Fault, FaultAction, LoggedRequest, RequestMatcher};
pub use kafka_protocol as protocol;
pub use security::{OAuthBearerValidator, SaslSettings, TlsSettings};
pub use kafka_protocol::{ApiKey, ErrorCode};
pub use state::persist::DataDirError;
pub use version::KafkaVersion;

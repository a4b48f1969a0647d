//! The shared async client runtime (cargo feature `net`): connections, version
//! negotiation, cluster metadata, routing, retries and observability.
//!
//! Producer, consumer and admin clients are built on [`Client`]:
//!
//! - [`Connection`] ([`connection`]): one tokio task per broker connection owns the socket;
//!   callers talk to it through a channel, so a cancelled caller never leaves a half-written
//!   frame. Requests are pipelined up to `max.in.flight.requests.per.connection`, matched to
//!   responses by correlation id, and bounded by `request.timeout.ms`. Separate connections
//!   per [`ConnectionKind`] keep long polls away from produce and metadata traffic.
//! - Negotiation ([`versions`]): ApiVersions on connect with the KIP-511 fallback; every
//!   request goes at the highest stable version both sides support (KIP-35).
//! - [`Client`] ([`client`]): bootstrap and re-bootstrap (KIP-899), the metadata cache
//!   ([`metadata`]) with leader hints (KIP-951), coordinator lookup (KIP-699 batching),
//!   reconnect and retry backoff with jitter (KIP-580), broker throttling (KIP-219).
//! - Security ([`security`], [`tls`], [`sasl`], [`transport`]): TLS through rustls (cargo
//!   feature `tls`) and SASL PLAIN / SCRAM / OAUTHBEARER (GSSAPI behind `gssapi`), run during
//!   connection set-up after ApiVersions; SASL goes through the connection task, and sessions
//!   with a lifetime are replaced before they expire (KIP-368).
//! - [`ClientConfig`] ([`config`]): typed builder and Kafka-style properties; `security.*`,
//!   `ssl.*` and `sasl.*` keys are delegated to [`security::SecurityConfig`].
//! - [`Hooks`] ([`hooks`]), `tracing` spans and [`Stats`] ([`stats`]) for observability.
//!
//! # Example
//!
//! ```no_run
//! use kafka_protocol::messages::ListOffsetsRequest;
//! use kafka_protocol::net::{Client, ClientConfig};
//!
//! # async fn run() -> Result<(), kafka_protocol::net::NetError> {
//! let config = ClientConfig::builder().bootstrap_servers(["localhost:9092"]).build()?;
//! let client = Client::connect(config).await?;
//! let metadata = client.refresh_metadata(["orders"]).await?;
//! println!("cluster {:?} has {} brokers", metadata.cluster_id, metadata.brokers.len());
//! let leader = client.leader_for("orders", 0).await?;
//! println!("orders-0 is led by broker {leader}");
//! client.close().await;
//! # let _ = ListOffsetsRequest::default();
//! # Ok(()) }
//! ```

pub mod backoff;
pub mod client;
pub mod config;
pub mod connection;
pub mod error;
pub mod hooks;
pub mod metadata;
mod responses;
pub mod sasl;
pub mod security;
pub mod stats;
pub mod tls;
pub mod transport;
pub mod versions;

#[cfg(test)]
mod tests;

pub use client::{Client, CoordinatorKey};
pub use config::{ClientConfig, ClientConfigBuilder, MetadataRecoveryStrategy};
pub use connection::{Connection, ConnectionKind};
pub use error::{BrokerRef, ConfigError, NetError};
pub use hooks::{Hooks, NoHooks, RequestEvent, ResponseEvent};
pub use metadata::{BrokerMetadata, Metadata, PartitionMetadata, TopicMetadata};
pub use stats::{BrokerStats, Stats};
pub use versions::BrokerVersions;

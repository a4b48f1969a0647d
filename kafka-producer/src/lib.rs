//! The async Kafka producer.
//!
//! This crate is a placeholder: the producer (delivery futures, batching, linger, partitioners,
//! idempotence, transactions) is built on top of `kafka-protocol`'s client runtime in a later
//! issue. It compiles today so the workspace layout is fixed.

pub use kafka_protocol as protocol;

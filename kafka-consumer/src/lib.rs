//! The async Kafka consumer.
//!
//! This crate is a placeholder: consumer groups, commits, the poll loop and the `Stream` are
//! built on top of `kafka-protocol`'s client runtime in a later issue. It compiles today so the
//! workspace layout is fixed.

pub use kafka_protocol as protocol;

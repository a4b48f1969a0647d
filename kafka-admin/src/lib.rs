//! The async Kafka admin client.
//!
//! This crate is a placeholder: topics, configs, groups, ACLs and the rest of the admin surface
//! are built on top of `kafka-protocol`'s client runtime in a later issue. It compiles today so
//! the workspace layout is fixed.

pub use kafka_protocol as protocol;

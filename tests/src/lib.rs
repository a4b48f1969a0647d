//! The bundled in-process Kafka broker and the SDK's end-to-end test suite.
//!
//! The broker itself is built in its own issue; this crate exists now so the workspace layout
//! is fixed and so shared test helpers have a home.

pub mod group;

pub use kafka_protocol as protocol;

pub mod config;
pub mod sasl_server;
pub mod security;
pub mod txn;

//! [`Hooks`]: callbacks for metrics and auditing, kept outside the core so that metrics
//! backends (Prometheus, OpenTelemetry, ...) live in their own crates.
//!
//! Every method has an empty default body: implement only what you need. Hooks run inline
//! on the connection task or the caller's task, so they must be quick and must not block.

use std::fmt;
use std::time::Duration;

use crate::messages::ApiKey;

use super::error::{BrokerRef, NetError};
use super::ConnectionKind;

/// A request written to a broker.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestEvent<'a> {
    /// The broker.
    pub broker: &'a BrokerRef,
    /// The connection's workload class.
    pub kind: ConnectionKind,
    /// The API.
    pub api: ApiKey,
    /// The version sent.
    pub version: i16,
    /// The correlation id assigned.
    pub correlation_id: i32,
    /// Frame size including the size prefix.
    pub bytes: usize,
}

/// A response read from a broker.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResponseEvent<'a> {
    /// The broker.
    pub broker: &'a BrokerRef,
    /// The connection's workload class.
    pub kind: ConnectionKind,
    /// The API.
    pub api: ApiKey,
    /// The version of the request.
    pub version: i16,
    /// The correlation id.
    pub correlation_id: i32,
    /// Frame size including the size prefix.
    pub bytes: usize,
    /// Time from the request being written to the response being read.
    pub latency: Duration,
}

/// Callbacks the runtime invokes; all optional.
pub trait Hooks: Send + Sync {
    /// A connection finished setting up (TCP, TLS, ApiVersions, SASL).
    fn on_connect(&self, broker: &BrokerRef, kind: ConnectionKind) {
        let _ = (broker, kind);
    }

    /// A connection closed; `error` is `None` for an orderly close (idle, client closed).
    fn on_disconnect(&self, broker: &BrokerRef, kind: ConnectionKind, error: Option<&NetError>) {
        let _ = (broker, kind, error);
    }

    /// A request frame was fully written to the socket.
    fn on_request_sent(&self, event: &RequestEvent<'_>) {
        let _ = event;
    }

    /// A response frame was read and matched to its request.
    fn on_response_received(&self, event: &ResponseEvent<'_>) {
        let _ = event;
    }

    /// A broker asked the client to back off (KIP-219); further requests to it are held
    /// for `delay`.
    fn on_throttle(&self, broker: &BrokerRef, api: ApiKey, delay: Duration) {
        let _ = (broker, api, delay);
    }
}

/// The default hooks: do nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}

impl fmt::Debug for dyn Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hooks")
    }
}

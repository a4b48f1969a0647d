//! The runtime's error type: what failed, on which broker, for which API and version.
//!
//! Errors are cheap to clone: the one failure that closes a connection is shared (`Arc`) by
//! every request that was in flight on it, so callers can tell "my request failed because the
//! connection died" apart from "my request failed on its own".

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{DecodeError, EncodeError, VersionRange};
use crate::messages::ApiKey;
use crate::ErrorCode;

/// Which broker an error or event concerns: its node id (unknown for a bootstrap address)
/// and the address dialled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BrokerRef {
    /// The broker's node id; `None` for a bootstrap server not yet identified by metadata.
    pub id: Option<i32>,
    /// `host:port` as configured or as advertised in metadata.
    pub addr: Arc<str>,
}

impl BrokerRef {
    /// A broker known by id.
    pub fn node(id: i32, addr: impl Into<Arc<str>>) -> Self {
        Self { id: Some(id), addr: addr.into() }
    }

    /// A bootstrap server.
    pub fn bootstrap(addr: impl Into<Arc<str>>) -> Self {
        Self { id: None, addr: addr.into() }
    }
}

impl fmt::Display for BrokerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "broker {id} ({})", self.addr),
            None => write!(f, "bootstrap server {}", self.addr),
        }
    }
}

/// A configuration error: names the property and says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A property this client does not know.
    #[error("unknown configuration property `{key}`")]
    UnknownKey {
        /// The property name as given.
        key: String,
    },
    /// A property whose value could not be used. The value is deliberately not echoed, since
    /// it may be a credential.
    #[error("invalid value for `{key}`: {reason}")]
    InvalidValue {
        /// The property name.
        key: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A required property was not set.
    #[error("missing required configuration property `{key}`")]
    Missing {
        /// The property name.
        key: String,
    },
    /// A security setting (`security.protocol`, `ssl.*`, `sasl.*`) was rejected.
    #[error(transparent)]
    Security(#[from] super::security::ConfigError),
    /// A line of a `key=value` text that is not a property.
    #[error("line {line} of the properties text is not `key=value`")]
    Syntax {
        /// 1-based line number.
        line: usize,
    },
}

impl ConfigError {
    /// The property the error concerns, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::UnknownKey { key } | Self::InvalidValue { key, .. } | Self::Missing { key } => {
                Some(key)
            }
            Self::Security(e) => Some(e.key()),
            Self::Syntax { .. } => None,
        }
    }

    pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> Self {
        Self::InvalidValue { key: key.to_owned(), reason: reason.into() }
    }
}

/// An error from the client runtime.
///
/// Every variant says where it happened (broker, API, version) when that is known.
/// [`NetError::is_retriable`] says whether the same request may succeed if sent again
/// (possibly after a metadata refresh and a backoff).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The configuration was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// A host name could not be resolved.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The `host:port` looked up.
        host: Arc<str>,
        /// What the resolver reported.
        source: Arc<std::io::Error>,
    },

    /// A TCP connection could not be opened (refused, unreachable, reset during setup).
    #[error("cannot connect to {broker}: {source}")]
    Connect {
        /// The broker dialled.
        broker: BrokerRef,
        /// The socket error.
        source: Arc<std::io::Error>,
    },

    /// Connection setup (TCP, TLS, ApiVersions, SASL) did not finish within
    /// `socket.connection.setup.timeout.ms`.
    #[error("connecting to {broker} timed out after {timeout:?}")]
    ConnectTimeout {
        /// The broker dialled.
        broker: BrokerRef,
        /// The limit that was hit.
        timeout: Duration,
    },

    /// The broker is in reconnect backoff after failing to connect; the request was not sent.
    #[error("{broker} is unreachable (retrying in {retry_in:?}): {last_error}")]
    BrokerUnavailable {
        /// The broker.
        broker: BrokerRef,
        /// Time until the next connection attempt is allowed.
        retry_in: Duration,
        /// Why the last attempt failed.
        last_error: Arc<NetError>,
    },

    /// The connection failed while the request was queued or in flight. Every request on
    /// that connection gets the same `cause`. For a produce request the outcome is unknown:
    /// the broker may or may not have appended the batch.
    #[error("connection to {broker} lost: {cause}")]
    ConnectionLost {
        /// The broker.
        broker: BrokerRef,
        /// The failure that closed the connection, shared by every affected request.
        cause: Arc<NetError>,
    },

    /// The peer closed the connection.
    #[error("{broker} closed the connection")]
    Closed {
        /// The broker.
        broker: BrokerRef,
    },

    /// A socket read or write failed.
    #[error("I/O error on the connection to {broker}: {source}")]
    Io {
        /// The broker.
        broker: BrokerRef,
        /// The socket error.
        source: Arc<std::io::Error>,
    },

    /// No response arrived within `request.timeout.ms`.
    #[error("{api} v{version} request{} to {broker} timed out after {timeout:?}", match .correlation_id { Some(id) => format!(" (correlation id {id})"), None => " (not yet written)".to_owned() })]
    RequestTimeout {
        /// The broker.
        broker: BrokerRef,
        /// The API.
        api: ApiKey,
        /// The version sent.
        version: i16,
        /// The correlation id, when the request had been written.
        correlation_id: Option<i32>,
        /// The configured limit.
        timeout: Duration,
    },

    /// A response frame declared a size above the limit (or a negative size).
    #[error("{broker} sent a frame of {size} bytes, above the {max}-byte limit")]
    FrameTooLarge {
        /// The broker.
        broker: BrokerRef,
        /// The declared size.
        size: i64,
        /// The limit.
        max: usize,
    },

    /// A response arrived whose correlation id does not match the oldest request in flight.
    #[error("{broker} answered correlation id {received}, expected {expected}")]
    CorrelationMismatch {
        /// The broker.
        broker: BrokerRef,
        /// The id the oldest in-flight request carries.
        expected: i32,
        /// The id the response carries.
        received: i32,
    },

    /// A response could not be decoded.
    #[error("cannot decode {api} v{version} response from {broker}: {source}")]
    Decode {
        /// The broker.
        broker: BrokerRef,
        /// The API.
        api: ApiKey,
        /// The version the request was sent at.
        version: i16,
        /// The decoder's report.
        source: DecodeError,
    },

    /// A request could not be encoded at the chosen version.
    #[error("cannot encode {api} v{version} request: {source}")]
    Encode {
        /// The API.
        api: ApiKey,
        /// The chosen version.
        version: i16,
        /// The encoder's report.
        source: EncodeError,
    },

    /// No version of the API is supported by both this client and the broker.
    #[error("no common version of {api} with {broker}: client supports {ours}, broker supports {}", match .theirs { Some(r) => r.to_string(), None => "none".to_owned() })]
    UnsupportedVersion {
        /// The broker.
        broker: BrokerRef,
        /// The API.
        api: ApiKey,
        /// What this client can send.
        ours: VersionRange,
        /// What the broker advertised (`None`: the broker does not offer the API at all).
        theirs: Option<VersionRange>,
    },

    /// The request was not valid for the call it was given to.
    #[error("invalid {api} request: {reason}")]
    InvalidRequest {
        /// The API.
        api: ApiKey,
        /// What is wrong.
        reason: &'static str,
    },

    /// TLS or SASL authentication failed.
    #[error("authentication with {broker} failed: {message}")]
    Authentication {
        /// The broker.
        broker: BrokerRef,
        /// The broker's (or the TLS layer's) explanation. Never contains credentials.
        message: String,
    },

    /// Securing the connection failed for a reason other than rejected credentials: TLS
    /// handshake (untrusted certificate, wrong host name), a broker too old for SASL, or a
    /// security setting found invalid when first used.
    #[error("securing the connection to {broker} failed: {source}")]
    Security {
        /// The broker.
        broker: BrokerRef,
        /// What the TLS or SASL layer reported. Never contains credentials.
        source: Arc<super::security::SecurityError>,
    },

    /// The broker answered with a Kafka error code.
    #[error("{api} on {broker} failed with {} ({}){}", .code.name(), .code.code(), match .message { Some(m) => format!(": {m}"), None => String::new() })]
    Kafka {
        /// The broker.
        broker: BrokerRef,
        /// The API.
        api: ApiKey,
        /// The Kafka error code.
        code: ErrorCode,
        /// The broker's error message, when it sent one.
        message: Option<String>,
    },

    /// Metadata names no leader for the partition, or the topic or partition is unknown.
    #[error("no leader known for {topic}-{partition}{}", match .code { Some(c) => format!(" ({})", c.name()), None => String::new() })]
    NoLeader {
        /// Topic name.
        topic: String,
        /// Partition index.
        partition: i32,
        /// The error metadata (or the leader) reported for the topic or partition, if any.
        code: Option<ErrorCode>,
    },

    /// Metadata does not list a broker with this id.
    #[error("broker {0} is not in the cluster metadata")]
    UnknownBroker(i32),

    /// Every known broker and bootstrap server failed.
    #[error("no broker reachable (tried {attempts} addresses): {last_error}")]
    NoBrokerAvailable {
        /// How many addresses were tried.
        attempts: usize,
        /// The last failure.
        last_error: Arc<NetError>,
    },

    /// The client was closed.
    #[error("the client is closed")]
    ClientClosed,
}

impl NetError {
    /// Classifies a TLS or SASL failure: rejected credentials or mechanism become
    /// [`NetError::Authentication`] (with the broker's message), the rest
    /// [`NetError::Security`].
    pub(crate) fn from_security(broker: &BrokerRef, error: super::security::SecurityError) -> Self {
        if error.is_authentication_failure() {
            Self::Authentication { broker: broker.clone(), message: error.to_string() }
        } else {
            Self::Security { broker: broker.clone(), source: Arc::new(error) }
        }
    }

    /// Whether sending the same request again may succeed (after a backoff, and after a
    /// metadata refresh where the error says metadata is stale).
    ///
    /// Connection failures count as retriable; for produce requests that may duplicate a
    /// batch unless idempotence is on.
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Resolve { .. }
            | Self::Connect { .. }
            | Self::ConnectTimeout { .. }
            | Self::BrokerUnavailable { .. }
            | Self::Closed { .. }
            | Self::Io { .. }
            | Self::RequestTimeout { .. }
            | Self::NoLeader { .. }
            | Self::UnknownBroker(_) => true,
            Self::NoBrokerAvailable { last_error, .. } => last_error.is_retriable(),
            Self::ConnectionLost { cause, .. } => cause.is_retriable(),
            Self::Kafka { code, .. } => code.is_retriable(),
            Self::Security { source, .. } => matches!(
                &**source,
                super::security::SecurityError::Io { .. }
                    | super::security::SecurityError::Closed { .. }
                    | super::security::SecurityError::Timeout { .. }
            ),
            Self::Config(_)
            | Self::FrameTooLarge { .. }
            | Self::CorrelationMismatch { .. }
            | Self::Decode { .. }
            | Self::Encode { .. }
            | Self::UnsupportedVersion { .. }
            | Self::InvalidRequest { .. }
            | Self::Authentication { .. }
            | Self::ClientClosed => false,
        }
    }

    /// The broker involved, when there is one.
    pub fn broker(&self) -> Option<&BrokerRef> {
        match self {
            Self::Connect { broker, .. }
            | Self::ConnectTimeout { broker, .. }
            | Self::BrokerUnavailable { broker, .. }
            | Self::ConnectionLost { broker, .. }
            | Self::Closed { broker }
            | Self::Io { broker, .. }
            | Self::RequestTimeout { broker, .. }
            | Self::FrameTooLarge { broker, .. }
            | Self::CorrelationMismatch { broker, .. }
            | Self::Decode { broker, .. }
            | Self::UnsupportedVersion { broker, .. }
            | Self::Authentication { broker, .. }
            | Self::Security { broker, .. }
            | Self::Kafka { broker, .. } => Some(broker),
            _ => None,
        }
    }

    /// The Kafka error code, for [`NetError::Kafka`] and [`NetError::NoLeader`].
    pub fn kafka_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Kafka { code, .. } => Some(*code),
            Self::NoLeader { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether the error means the connection (or connection attempt) failed rather than
    /// the broker answering.
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            Self::Resolve { .. }
                | Self::Connect { .. }
                | Self::ConnectTimeout { .. }
                | Self::BrokerUnavailable { .. }
                | Self::ConnectionLost { .. }
                | Self::Closed { .. }
                | Self::Io { .. }
        )
    }
}

/// The Kafka error codes the runtime itself reacts to, as wire values, and the
/// classifications it uses (from [`ErrorCode`]).
pub(crate) mod codes {
    use crate::ErrorCode;

    pub(crate) const NONE: i16 = 0;
    pub(crate) const UNSUPPORTED_VERSION: i16 = 35;

    /// Codes after which cached partition metadata must be refreshed before retrying.
    pub(crate) fn invalidates_metadata(code: i16) -> bool {
        ErrorCode::from_i16(code).invalidates_metadata()
    }

    /// Codes after which a cached coordinator must be looked up again.
    pub(crate) fn invalidates_coordinator(code: i16) -> bool {
        matches!(
            ErrorCode::from_i16(code),
            ErrorCode::NotCoordinator
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::CoordinatorLoadInProgress
        )
    }
}

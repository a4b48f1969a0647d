//! One broker connection: a task that owns the socket, and a cheap [`Connection`] handle
//! that talks to it through a channel.
//!
//! The task is the only code that reads or writes the socket. Callers hand it an encoded
//! request body and a oneshot reply slot; the task assigns the correlation id, writes the
//! header and body, keeps up to `max.in.flight.requests.per.connection` requests in flight
//! (pipelining) and hands each response frame back to its caller. Kafka answers in request
//! order, so responses are matched against the oldest request in flight. A caller that gives
//! up (drops its future) only drops its reply slot; a half-written frame is impossible.
//!
//! Any I/O error, framing error (oversized frame, correlation mismatch) or request timeout
//! fails every request on the connection with one shared error and closes the socket: after a
//! timeout the byte stream can no longer be trusted to line up with the queue.
//!
//! Also here: connection set-up (DNS on every attempt, TCP, ApiVersions negotiation with the
//! KIP-511 fallback, the TLS and SASL hook points) and broker throttling (KIP-219).

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::Instrument;

use crate::codec::{Message, Request, VersionRange};
use crate::frame;
use crate::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, ProduceRequest, RequestBody, RequestHeader,
    ResponseBody,
};

use futures::future::BoxFuture;

use super::backoff::Jitter;
use super::config::{split_host_port, ClientConfig};
use super::error::{codes, BrokerRef, NetError};
use super::hooks::{Hooks, RequestEvent, ResponseEvent};
use super::responses::{client_throttles, throttle_time_ms};
use super::sasl::{self, SaslRoundTrip};
use super::security::SecurityError;
use super::stats::BrokerCounters;
use super::transport::{self, Transport};
use super::versions::{client_range, BrokerVersions};

/// The workload class of a connection. Each class gets its own connection to a broker, so
/// a long fetch poll or a JoinGroup never delays produce or metadata requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ConnectionKind {
    /// Metadata, coordinators, offsets, admin: everything not in another class.
    Default,
    /// Produce requests.
    Produce,
    /// Fetch requests (long polls).
    Fetch,
    /// Group membership requests that the broker may hold (JoinGroup, SyncGroup, ...).
    Group,
}

impl ConnectionKind {
    /// The class an API is sent on by default.
    pub fn for_api(api: ApiKey) -> Self {
        match api {
            ApiKey::Produce => Self::Produce,
            ApiKey::Fetch => Self::Fetch,
            ApiKey::JoinGroup
            | ApiKey::SyncGroup
            | ApiKey::Heartbeat
            | ApiKey::LeaveGroup
            | ApiKey::ConsumerGroupHeartbeat => Self::Group,
            _ => Self::Default,
        }
    }
}

/// A handle to one broker connection. Cheap to clone; the connection closes when every
/// handle is dropped and its in-flight requests are answered, when it has been idle for
/// `connections.max.idle.ms`, or on the first error.
#[derive(Clone, Debug)]
pub struct Connection {
    inner: Arc<ConnectionInner>,
}

#[derive(Debug)]
struct ConnectionInner {
    tx: mpsc::Sender<Envelope>,
    broker: BrokerRef,
    kind: ConnectionKind,
    versions: BrokerVersions,
    throttle: Arc<Throttle>,
    hooks: Arc<dyn Hooks>,
    request_timeout: Duration,
    /// KIP-368: when the SASL session ends; the pool stops handing the connection out.
    session_expires: Option<Instant>,
}

impl Connection {
    /// The broker at the other end.
    pub fn broker(&self) -> &BrokerRef {
        &self.inner.broker
    }

    /// The workload class this connection serves.
    pub fn kind(&self) -> ConnectionKind {
        self.inner.kind
    }

    /// What the broker advertised in ApiVersions.
    pub fn versions(&self) -> &BrokerVersions {
        &self.inner.versions
    }

    /// Whether the connection task has stopped.
    pub fn is_closed(&self) -> bool {
        self.inner.tx.is_closed()
    }

    /// Whether new requests may go on this connection: open, and (with SASL) not past the
    /// re-authentication point.
    pub fn is_usable(&self) -> bool {
        !self.is_closed() && self.inner.session_expires.is_none_or(|t| Instant::now() < t)
    }

    /// The version `R` goes out at on this connection: the highest version inside both this
    /// client's stable range and the broker's range.
    pub fn negotiate<R: Request>(&self) -> Result<i16, NetError> {
        let ours = VersionRange::new(R::VERSIONS.min, R::MAX_STABLE_VERSION);
        self.inner.versions.pick(&self.inner.broker, R::KEY, ours)
    }

    /// Sends `request` at the negotiated version and waits for the typed response.
    ///
    /// Cancel-safe: dropping the future before it completes never corrupts the connection
    /// (a request already handed to the task is still written, and its response discarded).
    pub async fn send<R: Request + 'static>(&self, request: &R) -> Result<R::Response, NetError> {
        let version = self.negotiate::<R>()?;
        self.send_version(request, version).await
    }

    /// Sends `request` at an explicit `version`, which must be implemented by this crate and
    /// advertised by the broker (unstable versions are allowed here, on request).
    pub async fn send_version<R: Request + 'static>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<R::Response, NetError> {
        if is_acks0_produce(request) {
            return Err(NetError::InvalidRequest {
                api: R::KEY,
                reason: "a produce request with acks=0 gets no response; use send_oneway",
            });
        }
        self.check_version::<R>(version)?;
        let body = request
            .encode_to_bytes(version)
            .map_err(|source| NetError::Encode { api: R::KEY, version, source })?;
        let span = tracing::debug_span!(
            "kafka.request",
            api = %R::KEY,
            version,
            broker = %self.inner.broker,
            correlation_id = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        let reply = self.round_trip(R::KEY, version, body, true).instrument(span.clone()).await?;
        span.record("correlation_id", reply.correlation_id);
        span.record("latency_us", u64::try_from(reply.latency.as_micros()).unwrap_or(u64::MAX));
        let (_header, response) = frame::decode_response::<R>(reply.frame, version).map_err(
            |source| NetError::Decode { broker: self.inner.broker.clone(), api: R::KEY, version, source },
        )?;
        if let Some(ms) = throttle_time_ms(&response as &dyn Any) {
            if client_throttles(R::KEY, version) {
                self.apply_throttle(R::KEY, ms);
            }
        }
        Ok(response)
    }

    /// Sends a request that gets no response (a produce request with `acks=0`); completes
    /// once the frame is written to the socket.
    pub async fn send_oneway<R: Request + 'static>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<(), NetError> {
        if !is_acks0_produce(request) {
            return Err(NetError::InvalidRequest {
                api: R::KEY,
                reason: "only produce requests with acks=0 are sent without waiting for a response",
            });
        }
        self.check_version::<R>(version)?;
        let body = request
            .encode_to_bytes(version)
            .map_err(|source| NetError::Encode { api: R::KEY, version, source })?;
        self.round_trip(R::KEY, version, body, false).await.map(drop)
    }

    /// Sends an already encoded request body and returns the raw response frame (response
    /// header included, size prefix stripped). The building block for the typed calls and
    /// for SASL exchanges.
    pub async fn send_raw(&self, api: ApiKey, version: i16, body: Bytes) -> Result<Bytes, NetError> {
        Ok(self.round_trip(api, version, body, true).await?.frame)
    }

    fn check_version<R: Request>(&self, version: i16) -> Result<(), NetError> {
        let theirs = self.inner.versions.range(R::KEY);
        let ok = R::VERSIONS.contains(version) && theirs.is_some_and(|t| t.contains(version));
        if ok {
            Ok(())
        } else {
            Err(NetError::UnsupportedVersion {
                broker: self.inner.broker.clone(),
                api: R::KEY,
                ours: VersionRange::new(version, version).intersect(&R::VERSIONS).unwrap_or(R::VERSIONS),
                theirs,
            })
        }
    }

    fn apply_throttle(&self, api: ApiKey, ms: i32) {
        if ms > 0 {
            let delay = Duration::from_millis(u64::from(ms.unsigned_abs()));
            self.inner.throttle.hold_for(delay);
            tracing::debug!(broker = %self.inner.broker, %api, delay_ms = ms, "broker throttled us");
            self.inner.hooks.on_throttle(&self.inner.broker, api, delay);
        }
    }

    async fn round_trip(
        &self,
        api: ApiKey,
        version: i16,
        body: Bytes,
        expect_response: bool,
    ) -> Result<Reply, NetError> {
        let (reply_tx, reply_rx) = oneshot::channel();
        let timeout = self.inner.request_timeout;
        let envelope = Envelope {
            api,
            version,
            body,
            expect_response,
            reply: reply_tx,
            deadline: Instant::now() + timeout,
        };
        // The channel is bounded; waiting for room is itself bounded by the request timeout.
        match tokio::time::timeout(timeout, self.inner.tx.send(envelope)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(NetError::Closed { broker: self.inner.broker.clone() }),
            Err(_) => {
                return Err(NetError::RequestTimeout {
                    broker: self.inner.broker.clone(),
                    api,
                    version,
                    correlation_id: None,
                    timeout,
                })
            }
        }
        // The task answers every envelope it accepted, or drops it when it exits.
        reply_rx.await.unwrap_or_else(|_| {
            Err(NetError::ConnectionLost {
                broker: self.inner.broker.clone(),
                cause: Arc::new(NetError::Closed { broker: self.inner.broker.clone() }),
            })
        })
    }
}

/// Whether `request` is a produce request with `acks=0`, which the broker never answers.
fn is_acks0_produce<R: Request + 'static>(request: &R) -> bool {
    R::KEY == ApiKey::Produce
        && (request as &dyn Any).downcast_ref::<ProduceRequest>().is_some_and(|p| p.acks == 0)
}

/// KIP-219 state shared by every connection to one broker: requests are held back until
/// the throttle time a response carried has passed.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    until: Mutex<Option<Instant>>,
}

impl Throttle {
    fn hold_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut slot = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }

    fn until(&self) -> Option<Instant> {
        let slot = self.until.lock().unwrap_or_else(|e| e.into_inner());
        (*slot).filter(|t| *t > Instant::now())
    }
}

/// What a connection needs from its client.
#[derive(Clone)]
pub(crate) struct ConnectContext {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) counters: Arc<BrokerCounters>,
    pub(crate) throttle: Arc<Throttle>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Where spawned connection tasks are registered, so that closing the client can wait
    /// for them.
    pub(crate) tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Connection {
    /// Opens a connection to `broker` (resolving its address now), starts its task and
    /// negotiates versions; the whole set-up is bounded by
    /// `socket.connection.setup.timeout.ms`.
    pub(crate) async fn open(
        broker: BrokerRef,
        kind: ConnectionKind,
        ctx: ConnectContext,
    ) -> Result<Self, NetError> {
        let limit = ctx.config.connection_setup_timeout;
        let span = tracing::debug_span!("kafka.connect", broker = %broker, kind = ?kind);
        let result = tokio::time::timeout(limit, Self::open_inner(broker.clone(), kind, ctx.clone()))
            .instrument(span)
            .await
            .unwrap_or_else(|_| Err(NetError::ConnectTimeout { broker: broker.clone(), timeout: limit }));
        match &result {
            Ok(_) => {
                BrokerCounters::add(&ctx.counters.connects, 1);
                ctx.config.hooks.on_connect(&broker, kind);
            }
            Err(e) => {
                BrokerCounters::add(&ctx.counters.connect_failures, 1);
                tracing::debug!(%broker, error = %e, "connection attempt failed");
            }
        }
        result
    }

    async fn open_inner(
        broker: BrokerRef,
        kind: ConnectionKind,
        ctx: ConnectContext,
    ) -> Result<Self, NetError> {
        let config = ctx.config.clone();
        let tcp = dial(&broker).await?;
        // TLS for SSL / SASL_SSL (server name = the host dialled); plain TCP otherwise.
        let host = split_host_port(&broker.addr).map(|(h, _)| h).unwrap_or(&broker.addr);
        let transport = transport::secure(tcp, host, &config.security)
            .await
            .map_err(|e| NetError::from_security(&broker, e))?;
        let (tx, rx) = mpsc::channel(config.max_in_flight.saturating_mul(2).max(16));
        let task = ConnectionTask::new(transport, rx, broker.clone(), kind, &ctx);
        let span = tracing::debug_span!("kafka.connection", broker = %broker, kind = ?kind);
        let handle = tokio::spawn(task.run().instrument(span));
        {
            let mut tasks = ctx.tasks.lock().unwrap_or_else(|e| e.into_inner());
            tasks.retain(|t| !t.is_finished());
            tasks.push(handle);
        }
        let mut connection = Self {
            inner: Arc::new(ConnectionInner {
                tx,
                broker,
                kind,
                versions: BrokerVersions::default(),
                throttle: ctx.throttle.clone(),
                hooks: config.hooks.clone(),
                request_timeout: config.request_timeout,
                session_expires: None,
            }),
        };
        let versions = negotiate_versions(&connection, &config).await?;
        let session_expires = if config.security.protocol().uses_sasl() {
            authenticate(&connection, &versions, &config).await?
        } else {
            None
        };
        let old = &connection.inner;
        connection = Self {
            inner: Arc::new(ConnectionInner {
                tx: old.tx.clone(),
                broker: old.broker.clone(),
                kind: old.kind,
                versions,
                throttle: old.throttle.clone(),
                hooks: old.hooks.clone(),
                request_timeout: old.request_timeout,
                session_expires,
            }),
        };
        Ok(connection)
    }
}

/// SASL on a fresh connection, through the connection task (SaslHandshake v1+, then
/// SaslAuthenticate). Returns when the pool must stop using the connection: the point
/// between 85% and 95% of the broker's session lifetime (KIP-368), after which a new,
/// freshly authenticated connection replaces it.
async fn authenticate(
    connection: &Connection,
    versions: &BrokerVersions,
    config: &ClientConfig,
) -> Result<Option<Instant>, NetError> {
    let broker = connection.broker();
    let handshake = versions.pick(broker, ApiKey::SaslHandshake, client_range(ApiKey::SaslHandshake))?;
    let exchange = versions.pick(broker, ApiKey::SaslAuthenticate, client_range(ApiKey::SaslAuthenticate))?;
    let mut io = SaslExchange { connection };
    let session = sasl::authenticate(&mut io, config.security.sasl(), handshake, exchange)
        .await
        .map_err(|e| NetError::from_security(broker, e))?;
    tracing::debug!(%broker, mechanism = %session.mechanism, lifetime_ms = ?session.session_lifetime_ms, "authenticated");
    let jitter = Jitter::from_entropy().next_unit();
    Ok(session.reauthenticate_after(jitter).map(|d| Instant::now() + d))
}

/// Carries SASL requests through the connection task, so authentication shares the
/// connection's correlation ids, timeouts and framing limits.
struct SaslExchange<'a> {
    connection: &'a Connection,
}

impl SaslRoundTrip for SaslExchange<'_> {
    fn round_trip(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>> {
        Box::pin(async move {
            let api = request.api_key();
            let mut body = BytesMut::with_capacity(request.encoded_len(version));
            request
                .encode(&mut body, version)
                .map_err(|source| SecurityError::Encode { api: api.name(), source })?;
            let frame = self.connection.send_raw(api, version, body.freeze()).await.map_err(|e| {
                let stage = api.name().to_owned();
                match e {
                    NetError::RequestTimeout { timeout, .. } => SecurityError::Timeout {
                        stage,
                        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    },
                    NetError::Closed { .. } | NetError::ConnectionLost { .. } => {
                        SecurityError::Closed { stage }
                    }
                    other => SecurityError::Io { stage, source: std::io::Error::other(other.to_string()) },
                }
            })?;
            frame::decode_response_body(frame, api, version)
                .map(|(_, body)| body)
                .map_err(|source| SecurityError::Decode { api: api.name(), source })
        })
    }
}

/// Resolves `broker.addr` (every attempt, so DNS changes are picked up) and connects to the
/// first address that accepts.
async fn dial(broker: &BrokerRef) -> Result<TcpStream, NetError> {
    let (host, port) = split_host_port(&broker.addr).map_err(|reason| NetError::Resolve {
        host: broker.addr.clone(),
        source: Arc::new(std::io::Error::new(std::io::ErrorKind::InvalidInput, reason)),
    })?;
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| NetError::Resolve { host: broker.addr.clone(), source: Arc::new(e) })?
        .collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no addresses resolved");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // Kafka requests are latency-sensitive and already batched.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(NetError::Connect { broker: broker.clone(), source: Arc::new(last) })
}

/// ApiVersions on a fresh connection. Starts at the highest version this crate implements;
/// a broker that does not know it answers UNSUPPORTED_VERSION with a v0 body listing its own
/// ApiVersions range, and the request is repeated at the broker's maximum (KIP-511).
async fn negotiate_versions(
    connection: &Connection,
    config: &ClientConfig,
) -> Result<BrokerVersions, NetError> {
    let broker = connection.broker();
    let ours = ApiKey::ApiVersions.max_stable_version();
    let mut version = ours;
    loop {
        let mut request = ApiVersionsRequest::default();
        if version >= 3 {
            request.client_software_name = config.software_name.clone();
            request.client_software_version = config.software_version.clone();
        }
        let body = request.encode_to_bytes(version).map_err(|source| NetError::Encode {
            api: ApiKey::ApiVersions,
            version,
            source,
        })?;
        let reply = connection.round_trip(ApiKey::ApiVersions, version, body, true).await?;
        let response = decode_api_versions(reply.frame, version).map_err(|source| NetError::Decode {
            broker: broker.clone(),
            api: ApiKey::ApiVersions,
            version,
            source,
        })?;
        match response.error_code {
            codes::NONE => return Ok(BrokerVersions::from_api_keys(&response.api_keys)),
            codes::UNSUPPORTED_VERSION => {
                let theirs = response
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiKey::ApiVersions.key())
                    .map(|k| VersionRange::new(k.min_version, k.max_version));
                // A broker that names no range gets v0, which every broker speaks.
                let next = theirs.map_or(0, |t| t.max).min(ours);
                if next >= version || next < 0 {
                    return Err(NetError::UnsupportedVersion {
                        broker: broker.clone(),
                        api: ApiKey::ApiVersions,
                        ours: ApiKey::ApiVersions.versions(),
                        theirs,
                    });
                }
                tracing::debug!(%broker, from = version, to = next, "ApiVersions fallback");
                version = next;
            }
            code => {
                return Err(NetError::Kafka {
                    broker: broker.clone(),
                    api: ApiKey::ApiVersions,
                    code: crate::ErrorCode::from_i16(code),
                    message: None,
                })
            }
        }
    }
}

/// Decodes an ApiVersions response; a broker that rejected the version answers in v0, so a
/// body that does not parse at the version sent is retried as v0.
fn decode_api_versions(
    frame: Bytes,
    version: i16,
) -> Result<ApiVersionsResponse, crate::codec::DecodeError> {
    match frame::decode_response::<ApiVersionsRequest>(frame.clone(), version) {
        Ok((_, response)) => Ok(response),
        Err(err) if version > 0 => frame::decode_response::<ApiVersionsRequest>(frame, 0)
            .map(|(_, r)| r)
            .map_err(|_| err),
        Err(err) => Err(err),
    }
}

/// A request on its way to the connection task.
#[derive(Debug)]
struct Envelope {
    api: ApiKey,
    version: i16,
    body: Bytes,
    expect_response: bool,
    reply: oneshot::Sender<Result<Reply, NetError>>,
    deadline: Instant,
}

/// A response frame handed back to a caller.
#[derive(Debug)]
struct Reply {
    /// Response header and body, without the size prefix.
    frame: Bytes,
    correlation_id: i32,
    latency: Duration,
}

/// A request written (or being written) and waiting for its response.
#[derive(Debug)]
struct InFlight {
    correlation_id: i32,
    api: ApiKey,
    version: i16,
    reply: oneshot::Sender<Result<Reply, NetError>>,
    deadline: Instant,
    queued_at: Instant,
}

/// Completion bookkeeping for a frame in the write buffer.
#[derive(Debug)]
struct WriteMark {
    /// Total bytes written on the connection once this frame is fully out.
    end: u64,
    correlation_id: i32,
    api: ApiKey,
    version: i16,
    bytes: usize,
    /// Set for requests without a response (acks=0): completed when written.
    oneway_reply: Option<oneshot::Sender<Result<Reply, NetError>>>,
}

struct ConnectionTask {
    reader: ReadHalf<Transport>,
    writer: WriteHalf<Transport>,
    rx: mpsc::Receiver<Envelope>,
    broker: BrokerRef,
    kind: ConnectionKind,
    client_id: String,
    max_in_flight: usize,
    max_frame_size: usize,
    idle_timeout: Duration,
    request_timeout: Duration,
    hooks: Arc<dyn Hooks>,
    counters: Arc<BrokerCounters>,
    throttle: Arc<Throttle>,
    shutdown: watch::Receiver<bool>,
    /// Accepted from the channel, not yet written (in-flight limit or throttle).
    pending: VecDeque<Envelope>,
    /// Written or being written, awaiting a response, oldest first.
    in_flight: VecDeque<InFlight>,
    /// Frames in `write_buf`, oldest first.
    marks: VecDeque<WriteMark>,
    oneway_unwritten: usize,
    write_buf: BytesMut,
    needs_flush: bool,
    read_buf: BytesMut,
    written: u64,
    queued: u64,
    next_correlation_id: i32,
    last_activity: Instant,
    channel_closed: bool,
}

enum WriteProgress {
    Wrote(usize),
    Flushed,
}

/// One write step: more bytes out while there are any, then a flush (a no-op for TCP, it
/// pushes buffered TLS records). Cancel-safe: `write_buf` advances the buffer only by what
/// was written.
async fn write_or_flush(
    writer: &mut WriteHalf<Transport>,
    buf: &mut BytesMut,
) -> std::io::Result<WriteProgress> {
    if buf.is_empty() {
        writer.flush().await.map(|()| WriteProgress::Flushed)
    } else {
        writer.write_buf(buf).await.map(WriteProgress::Wrote)
    }
}

/// How the task loop ended.
enum Exit {
    /// Orderly: every handle dropped and nothing left in flight, or idle.
    Done,
    /// The client is closing.
    Shutdown,
    /// An error that fails everything in flight.
    Failed(NetError),
}

impl ConnectionTask {
    fn new(
        transport: Transport,
        rx: mpsc::Receiver<Envelope>,
        broker: BrokerRef,
        kind: ConnectionKind,
        ctx: &ConnectContext,
    ) -> Self {
        let (reader, writer) = tokio::io::split(transport);
        let c = &ctx.config;
        Self {
            reader,
            writer,
            rx,
            broker,
            kind,
            client_id: c.client_id.clone(),
            max_in_flight: c.max_in_flight.max(1),
            max_frame_size: c.max_frame_size,
            idle_timeout: c.connections_max_idle,
            request_timeout: c.request_timeout,
            hooks: c.hooks.clone(),
            counters: ctx.counters.clone(),
            throttle: ctx.throttle.clone(),
            shutdown: ctx.shutdown.clone(),
            pending: VecDeque::new(),
            in_flight: VecDeque::new(),
            marks: VecDeque::new(),
            oneway_unwritten: 0,
            write_buf: BytesMut::with_capacity(16 * 1024),
            needs_flush: false,
            read_buf: BytesMut::with_capacity(16 * 1024),
            written: 0,
            queued: 0,
            next_correlation_id: 0,
            last_activity: Instant::now(),
            channel_closed: false,
        }
    }

    async fn run(mut self) {
        tracing::debug!("connection task started");
        let exit = self.drive().await;
        match exit {
            Exit::Done => {
                tracing::debug!("connection closed (idle or unused)");
                // Orderly close; bounded, since a TLS close_notify could wait on a full socket.
                let _ = tokio::time::timeout(Duration::from_secs(1), self.writer.shutdown()).await;
                self.fail_all(NetError::Closed { broker: self.broker.clone() });
                self.hooks.on_disconnect(&self.broker, self.kind, None);
            }
            Exit::Shutdown => {
                self.fail_all(NetError::ClientClosed);
                self.hooks.on_disconnect(&self.broker, self.kind, None);
            }
            Exit::Failed(error) => {
                tracing::debug!(error = %error, "connection failed");
                self.hooks.on_disconnect(&self.broker, self.kind, Some(&error));
                self.fail_all(error);
            }
        }
    }

    async fn drive(&mut self) -> Exit {
        if *self.shutdown.borrow() {
            return Exit::Shutdown;
        }
        loop {
            let now = Instant::now();
            if let Err(e) = self.expire(now) {
                return Exit::Failed(e);
            }
            if let Err(e) = self.fill_write_buffer() {
                return Exit::Failed(e);
            }
            let idle = self.pending.is_empty() && self.in_flight.is_empty() && self.marks.is_empty();
            if idle && self.channel_closed {
                return Exit::Done;
            }
            if idle && now >= self.last_activity + self.idle_timeout {
                return Exit::Done;
            }
            let wake = self.next_wake(idle);
            let accepting = !self.channel_closed && self.pending.len() < self.max_in_flight;
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => return Exit::Shutdown,
                progress = write_or_flush(&mut self.writer, &mut self.write_buf),
                    if !self.write_buf.is_empty() || self.needs_flush =>
                {
                    match progress {
                        Ok(WriteProgress::Wrote(0)) => {
                            return Exit::Failed(NetError::Closed { broker: self.broker.clone() })
                        }
                        Ok(WriteProgress::Wrote(n)) => {
                            self.needs_flush = true;
                            self.on_written(n);
                        }
                        Ok(WriteProgress::Flushed) => self.needs_flush = false,
                        Err(e) => return Exit::Failed(self.io_error(e)),
                    }
                }
                read = self.reader.read_buf(&mut self.read_buf) => {
                    match read {
                        Ok(0) => return Exit::Failed(NetError::Closed { broker: self.broker.clone() }),
                        Ok(n) => {
                            BrokerCounters::add(&self.counters.bytes_received, n as u64);
                            if let Err(e) = self.on_readable() {
                                return Exit::Failed(e);
                            }
                        }
                        Err(e) => return Exit::Failed(self.io_error(e)),
                    }
                }
                envelope = self.rx.recv(), if accepting => {
                    match envelope {
                        Some(envelope) => self.pending.push_back(envelope),
                        None => self.channel_closed = true,
                    }
                }
                _ = tokio::time::sleep_until(wake.unwrap_or(now)), if wake.is_some() => {}
            }
        }
    }

    fn io_error(&self, e: std::io::Error) -> NetError {
        NetError::Io { broker: self.broker.clone(), source: Arc::new(e) }
    }

    /// The earliest time the loop must wake without I/O: a request deadline, the end of a
    /// throttle, or the idle limit.
    fn next_wake(&self, idle: bool) -> Option<Instant> {
        let mut wake: Option<Instant> = None;
        let mut consider = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        if let Some(f) = self.in_flight.front() {
            consider(f.deadline);
        }
        if let Some(d) = self.pending.iter().map(|p| p.deadline).min() {
            consider(d);
        }
        if !self.pending.is_empty() {
            if let Some(t) = self.throttle.until() {
                consider(t);
            }
        }
        if idle {
            consider(self.last_activity + self.idle_timeout);
        }
        wake
    }

    /// Fails requests whose deadline passed. A request still queued just fails; one already
    /// written poisons the connection (its response would still arrive and misalign the
    /// queue).
    fn expire(&mut self, now: Instant) -> Result<(), NetError> {
        if let Some(f) = self.in_flight.front() {
            if f.deadline <= now {
                return Err(NetError::RequestTimeout {
                    broker: self.broker.clone(),
                    api: f.api,
                    version: f.version,
                    correlation_id: Some(f.correlation_id),
                    timeout: self.request_timeout,
                });
            }
        }
        let mut i = 0;
        while i < self.pending.len() {
            let expired = self.pending.get(i).is_some_and(|p| p.deadline <= now || p.reply.is_closed());
            if expired {
                if let Some(p) = self.pending.remove(i) {
                    if !p.reply.is_closed() {
                        BrokerCounters::add(&self.counters.errors, 1);
                        let _ = p.reply.send(Err(NetError::RequestTimeout {
                            broker: self.broker.clone(),
                            api: p.api,
                            version: p.version,
                            correlation_id: None,
                            timeout: self.request_timeout,
                        }));
                    }
                }
            } else {
                i += 1;
            }
        }
        Ok(())
    }

    /// Moves queued requests into the write buffer while the in-flight limit and the broker's
    /// throttle allow.
    fn fill_write_buffer(&mut self) -> Result<(), NetError> {
        if self.throttle.until().is_some() {
            return Ok(());
        }
        while self.in_flight.len() + self.oneway_unwritten < self.max_in_flight {
            let Some(envelope) = self.pending.pop_front() else { break };
            if envelope.reply.is_closed() {
                // The caller gave up before anything was written: skip it entirely.
                continue;
            }
            self.encode(envelope)?;
        }
        Ok(())
    }

    fn encode(&mut self, envelope: Envelope) -> Result<(), NetError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1) & i32::MAX;
        let header = RequestHeader::default()
            .with_request_api_key(envelope.api.key())
            .with_request_api_version(envelope.version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let header_version = envelope.api.request_header_version(envelope.version);
        let size = header.encoded_len(header_version) + envelope.body.len();
        let Ok(size_prefix) = i32::try_from(size) else {
            let _ = envelope.reply.send(Err(NetError::InvalidRequest {
                api: envelope.api,
                reason: "request frame larger than 2 GiB",
            }));
            return Ok(());
        };
        let start = self.write_buf.len();
        self.write_buf.reserve(size + 4);
        self.write_buf.put_i32(size_prefix);
        if let Err(source) = header.encode(&mut self.write_buf, header_version) {
            self.write_buf.truncate(start);
            let _ = envelope.reply.send(Err(NetError::Encode {
                api: envelope.api,
                version: envelope.version,
                source,
            }));
            return Ok(());
        }
        self.write_buf.extend_from_slice(&envelope.body);
        let bytes = size + 4;
        self.queued += bytes as u64;
        self.last_activity = Instant::now();
        let oneway_reply = if envelope.expect_response {
            self.in_flight.push_back(InFlight {
                correlation_id,
                api: envelope.api,
                version: envelope.version,
                reply: envelope.reply,
                deadline: envelope.deadline,
                queued_at: Instant::now(),
            });
            BrokerCounters::add(&self.counters.in_flight, 1);
            None
        } else {
            self.oneway_unwritten += 1;
            Some(envelope.reply)
        };
        self.marks.push_back(WriteMark {
            end: self.queued,
            correlation_id,
            api: envelope.api,
            version: envelope.version,
            bytes,
            oneway_reply,
        });
        tracing::trace!(api = %envelope.api, version = envelope.version, correlation_id, bytes, "request queued for write");
        Ok(())
    }

    fn on_written(&mut self, n: usize) {
        self.written += n as u64;
        BrokerCounters::add(&self.counters.bytes_sent, n as u64);
        while self.marks.front().is_some_and(|m| m.end <= self.written) {
            let Some(mark) = self.marks.pop_front() else { break };
            BrokerCounters::add(&self.counters.requests, 1);
            self.hooks.on_request_sent(&RequestEvent {
                broker: &self.broker,
                kind: self.kind,
                api: mark.api,
                version: mark.version,
                correlation_id: mark.correlation_id,
                bytes: mark.bytes,
            });
            if let Some(reply) = mark.oneway_reply {
                self.oneway_unwritten = self.oneway_unwritten.saturating_sub(1);
                let _ = reply.send(Ok(Reply {
                    frame: Bytes::new(),
                    correlation_id: mark.correlation_id,
                    latency: Duration::ZERO,
                }));
            }
        }
    }

    /// Splits complete frames off the read buffer and hands each to its request.
    fn on_readable(&mut self) -> Result<(), NetError> {
        loop {
            let Some(prefix) = self.read_buf.get(..4) else { return Ok(()) };
            let prefix = [prefix[0], prefix[1], prefix[2], prefix[3]];
            let size = frame::frame_size(prefix, self.max_frame_size).map_err(|_| {
                NetError::FrameTooLarge {
                    broker: self.broker.clone(),
                    size: i64::from(i32::from_be_bytes(prefix)),
                    max: self.max_frame_size,
                }
            })?;
            let needed = size + 4;
            if self.read_buf.len() < needed {
                self.read_buf.reserve(needed - self.read_buf.len());
                return Ok(());
            }
            self.read_buf.advance(4);
            let response = self.read_buf.split_to(size).freeze();
            self.complete(response, needed)?;
        }
    }

    fn complete(&mut self, response: Bytes, bytes: usize) -> Result<(), NetError> {
        let received = frame::peek_correlation_id(&response).unwrap_or(-1);
        let Some(request) = self.in_flight.pop_front() else {
            return Err(NetError::CorrelationMismatch {
                broker: self.broker.clone(),
                expected: -1,
                received,
            });
        };
        BrokerCounters::sub(&self.counters.in_flight, 1);
        if received != request.correlation_id {
            let expected = request.correlation_id;
            // Put it back so it fails with everything else.
            self.in_flight.push_front(request);
            BrokerCounters::add(&self.counters.in_flight, 1);
            return Err(NetError::CorrelationMismatch { broker: self.broker.clone(), expected, received });
        }
        let now = Instant::now();
        self.last_activity = now;
        let latency = now.saturating_duration_since(request.queued_at);
        BrokerCounters::add(&self.counters.responses, 1);
        self.counters.record_latency(latency);
        self.hooks.on_response_received(&ResponseEvent {
            broker: &self.broker,
            kind: self.kind,
            api: request.api,
            version: request.version,
            correlation_id: request.correlation_id,
            bytes,
            latency,
        });
        tracing::trace!(api = %request.api, correlation_id = request.correlation_id, latency_us = latency.as_micros() as u64, "response");
        let _ = request.reply.send(Ok(Reply { frame: response, correlation_id: request.correlation_id, latency }));
        Ok(())
    }

    /// Fails every request this connection holds (in flight, being written, queued, and
    /// still in the channel) with one shared error.
    fn fail_all(&mut self, cause: NetError) {
        let cause = Arc::new(cause);
        let error = || match &*cause {
            NetError::ClientClosed => NetError::ClientClosed,
            _ => NetError::ConnectionLost { broker: self.broker.clone(), cause: cause.clone() },
        };
        self.rx.close();
        let mut failed = 0u64;
        let in_flight = self.in_flight.len() as u64;
        for request in self.in_flight.drain(..) {
            failed += 1;
            let _ = request.reply.send(Err(error()));
        }
        BrokerCounters::sub(&self.counters.in_flight, in_flight);
        for mark in self.marks.drain(..) {
            if let Some(reply) = mark.oneway_reply {
                failed += 1;
                let _ = reply.send(Err(error()));
            }
        }
        for envelope in self.pending.drain(..) {
            failed += 1;
            let _ = envelope.reply.send(Err(error()));
        }
        while let Ok(envelope) = self.rx.try_recv() {
            failed += 1;
            let _ = envelope.reply.send(Err(error()));
        }
        BrokerCounters::add(&self.counters.errors, failed);
    }
}

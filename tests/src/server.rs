//! The network side: one listener task per broker, and per connection a reader and a writer.
//!
//! The reader enforces the frame-size limit before allocating, decodes the request (refusing
//! unknown APIs and versions outside the served table), sends it to the actor together with
//! a oneshot for its reply, and queues that oneshot for the writer. The writer awaits the
//! replies in queue order, so responses leave in request order however the actor finishes
//! them (pipelining, parked fetches, holds and delays included).
//!
//! A broker's connections live in its listener task's `JoinSet`, so aborting that task
//! (broker down, cluster dropped) closes the listener and every connection at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::frame::{decode_request, encode_response_body, frame_size, peek_request_prefix};
use kafka_protocol::messages::{api_versions_response::ApiVersion, ApiKey, ApiVersionsResponse, ResponseBody};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::actor::{ActorMsg, Incoming, Reply, WriteEffects};
use crate::version::SupportedApis;

/// Responses a connection may have outstanding before its reader stops reading.
const MAX_IN_FLIGHT: usize = 1024;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// What every listener and connection needs; one per named listener.
#[derive(Clone)]
pub(crate) struct ServerShared {
    pub(crate) actor: mpsc::WeakUnboundedSender<ActorMsg>,
    pub(crate) apis: Arc<SupportedApis>,
    pub(crate) max_frame: usize,
    /// TLS on the listener (`SSL` / `SASL_SSL`), else plaintext.
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    /// The listener's index in the cluster's listener list (0 = the first).
    pub(crate) listener: usize,
    /// This listener's port on each broker.
    pub(crate) ports: Arc<std::collections::BTreeMap<i32, u16>>,
    /// First-listener port -> this listener's port, for responses on listeners other than
    /// the first ([`crate::listeners::rewrite_endpoints`]).
    pub(crate) endpoint_ports: Option<Arc<std::collections::HashMap<i32, i32>>>,
}

/// How long a client has to finish the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A rustls server config from PEM settings (ring provider; client certificates required
/// when a client CA is given).
pub(crate) fn tls_acceptor(settings: &crate::security::TlsSettings) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(settings.cert_chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tls: server certificate chain PEM: {e}"))?;
    if certs.is_empty() {
        return Err("tls: the server certificate chain PEM holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(settings.key_pem.as_bytes()).map_err(|e| format!("tls: server key PEM: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?;
    let builder = match &settings.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                let cert = cert.map_err(|e| format!("tls: client CA PEM: {e}"))?;
                roots.add(cert).map_err(|e| format!("tls: client CA: {e}"))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("tls: client verifier: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| format!("tls: server certificate and key: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A broker's running listeners; dropping it aborts them and their connections.
pub(crate) struct ListenerGuard {
    handles: Vec<JoinHandle<()>>,
}

impl ListenerGuard {
    /// Adds `other`'s listeners to this guard.
    pub(crate) fn merge(&mut self, mut other: ListenerGuard) {
        self.handles.append(&mut other.handles);
    }

    /// Aborts the listeners and waits until their sockets and connections are closed.
    pub(crate) async fn shutdown(mut self) {
        for handle in std::mem::take(&mut self.handles) {
            handle.abort();
            let _ = handle.await;
        }
    }
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }
}

/// Binds 127.0.0.1:`port` (0 = any free port) synchronously.
pub(crate) fn bind(host: &str, port: u16) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind((host, port))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Starts serving broker `broker` on `listener`. Must run inside a tokio runtime.
pub(crate) fn spawn_listener(
    listener: std::net::TcpListener,
    broker: i32,
    shared: ServerShared,
) -> std::io::Result<ListenerGuard> {
    let listener = TcpListener::from_std(listener)?;
    let handle = tokio::spawn(accept_loop(listener, broker, shared));
    Ok(ListenerGuard { handles: vec![handle] })
}

async fn accept_loop(listener: TcpListener, broker: i32, shared: ServerShared) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, peer, broker, shared.clone()));
                }
                Err(e) => {
                    tracing::warn!(broker, error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, broker: i32, shared: ServerShared) {
    let id = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(broker, connection = id, listener = shared.listener, %peer, "connection opened");
    // Tells the actor the connection is gone however this task ends (aborts included).
    let _closed = ClosedNotice { id, actor: shared.actor.clone() };
    match shared.tls.clone() {
        None => {
            let (read, write) = stream.into_split();
            serve(read, write, id, peer, broker, &shared).await;
        }
        Some(acceptor) => match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => {
                // The SSL principal: `User:<subject DN>` of the verified client certificate.
                let dn = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|certs| certs.first())
                    .and_then(|cert| crate::security::dn::subject_dn(cert));
                if let (Some(dn), Some(actor)) = (dn, shared.actor.upgrade()) {
                    let listener = shared.listener;
                    let _ = actor.send(ActorMsg::Control(Box::new(move |a| {
                        a.state.security.open(id, listener).set_peer_certificate_dn(Some(&dn));
                    })));
                }
                let (read, write) = tokio::io::split(tls);
                serve(read, write, id, peer, broker, &shared).await;
            }
            Ok(Err(e)) => tracing::warn!(broker, connection = id, %peer, "TLS handshake failed: {e}"),
            Err(_) => tracing::warn!(broker, connection = id, %peer, "TLS handshake timed out"),
        },
    }
    tracing::debug!(broker, connection = id, "connection closed");
}

struct ClosedNotice {
    id: u64,
    actor: mpsc::WeakUnboundedSender<ActorMsg>,
}

impl Drop for ClosedNotice {
    fn drop(&mut self) {
        if let Some(actor) = self.actor.upgrade() {
            let _ = actor.send(ActorMsg::Closed(self.id));
        }
    }
}

async fn serve<R, W>(read: R, write: W, id: u64, peer: SocketAddr, broker: i32, shared: &ServerShared)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (queue_tx, queue_rx) = mpsc::channel(MAX_IN_FLIGHT);
    let writing = writer(write, queue_rx, shared.endpoint_ports.clone());
    tokio::pin!(writing);
    tokio::select! {
        result = reader(read, id, broker, shared, queue_tx) => match result {
            // The client finished sending: answer what it already asked, then close.
            Ok(()) => writing.await,
            Err(reason) => tracing::warn!(broker, connection = id, %peer, "closing connection: {reason}"),
        },
        () = &mut writing => {}
    }
}

async fn reader(
    mut read: impl AsyncRead + Unpin,
    connection: u64,
    broker: i32,
    shared: &ServerShared,
    queue: mpsc::Sender<oneshot::Receiver<Reply>>,
) -> Result<(), String> {
    loop {
        let mut prefix = [0u8; 4];
        match read.read_exact(&mut prefix).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(format!("read failed: {e}")),
        }
        let size = frame_size(prefix, shared.max_frame).map_err(|e| format!("bad frame size: {e}"))?;
        // Grow with the bytes that actually arrive, so a size prefix alone cannot make the
        // broker allocate up to the frame limit.
        let mut buf = Vec::with_capacity(size.min(64 * 1024));
        (&mut read)
            .take(size as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| format!("frame of {size} bytes: {e}"))?;
        if buf.len() != size {
            return Err(format!("frame of {size} bytes cut short after {}", buf.len()));
        }
        let frame = Bytes::from(buf);
        let prefix = peek_request_prefix(&frame).ok_or_else(|| format!("request of {size} bytes has no header"))?;
        let (tx, rx) = oneshot::channel();
        match shared.apis.range(prefix.api_key) {
            Some(range) if range.contains(prefix.api_version) => {
                let frame = decode_request(frame).map_err(|e| format!("malformed request: {e}"))?;
                let actor = shared.actor.upgrade().ok_or("cluster stopped")?;
                actor
                    .send(ActorMsg::Request(Incoming { connection, broker, listener: shared.listener, frame, reply: tx }))
                    .map_err(|_| "cluster stopped")?;
            }
            _ if prefix.api_key == ApiKey::ApiVersions.key() => {
                // KIP-511: an ApiVersions version we do not know gets a v0 answer with
                // UNSUPPORTED_VERSION and our table, so the client can retry lower.
                let _ = tx.send(Reply::Response {
                    version: 0,
                    correlation_id: prefix.correlation_id,
                    body: ResponseBody::ApiVersions(unsupported_api_versions(&shared.apis)),
                    effects: WriteEffects::default(),
                });
            }
            _ => {
                return Err(format!(
                    "unsupported request: api key {} version {}",
                    prefix.api_key, prefix.api_version
                ))
            }
        }
        queue.send(rx).await.map_err(|_| "writer gone")?;
    }
}

async fn writer(
    mut write: impl AsyncWrite + Unpin,
    mut queue: mpsc::Receiver<oneshot::Receiver<Reply>>,
    endpoint_ports: Option<Arc<std::collections::HashMap<i32, i32>>>,
) {
    let mut out = BytesMut::new();
    while let Some(rx) = queue.recv().await {
        let Ok(reply) = rx.await else { return };
        match reply {
            Reply::Close => return,
            Reply::Nothing => continue,
            Reply::Response { version, correlation_id, mut body, effects } => {
                if let Some(ports) = &endpoint_ports {
                    crate::listeners::rewrite_endpoints(&mut body, ports);
                }
                if let Some(delay) = effects.delay {
                    tokio::time::sleep(delay).await;
                }
                if effects.drop_response {
                    continue;
                }
                if effects.close_after {
                    return;
                }
                out.clear();
                if let Err(e) = encode_response_body(&mut out, correlation_id, &body, version) {
                    tracing::error!(api = body.api_key().name(), version, error = %e, "cannot encode response; closing");
                    return;
                }
                let frame = apply_damage(&mut out, &effects);
                if write.write_all(&frame).await.is_err() || write.flush().await.is_err() {
                    return;
                }
                if effects.close_after_write {
                    let _ = write.shutdown().await;
                    return;
                }
            }
        }
    }
}

/// Corrupts or truncates an encoded frame (size prefix + header + body) as faults ask.
fn apply_damage(frame: &mut BytesMut, effects: &WriteEffects) -> Bytes {
    // The header is the 4-byte correlation id (+1 tag byte for flexible headers); damage
    // only what follows the first 8 bytes so the client can still match the response.
    const KEEP: usize = 8;
    if effects.corrupt && frame.len() > KEEP {
        for b in frame.iter_mut().skip(KEEP) {
            *b = !*b;
        }
    }
    if effects.truncate && frame.len() > KEEP {
        let body = frame.len() - KEEP;
        let keep = KEEP + body / 2;
        let mut cut = BytesMut::with_capacity(keep);
        cut.put_i32((keep - 4) as i32);
        cut.extend_from_slice(&frame[4..keep]);
        return cut.freeze();
    }
    frame.split().freeze()
}

/// The ApiVersions v0 answer to a too-new ApiVersions request.
pub(crate) fn unsupported_api_versions(apis: &SupportedApis) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = crate::codes::UNSUPPORTED_VERSION;
    response.api_keys = api_version_list(apis);
    response
}

/// The served table as ApiVersions entries.
pub(crate) fn api_version_list(apis: &SupportedApis) -> Vec<ApiVersion> {
    apis.iter()
        .map(|(key, range)| {
            ApiVersion::default().with_api_key(key).with_min_version(range.min).with_max_version(range.max)
        })
        .collect()
}

//! The byte stream under a broker connection: plain TCP or TLS ([`Transport`]), and a simple
//! one-request-at-a-time channel over it ([`RequestChannel`]) for the exchanges that happen
//! before a connection's task takes over the socket (ApiVersions, SASL).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicI32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::frame;
use crate::messages::{RequestBody, RequestHeader, ResponseBody};
use crate::net::sasl::SaslRoundTrip;
use crate::net::security::SecurityError;

/// A connected byte stream to a broker.
#[derive(Debug)]
#[non_exhaustive]
pub enum Transport {
    /// Plain TCP (`PLAINTEXT`, `SASL_PLAINTEXT`).
    Plain(TcpStream),
    /// TLS over TCP (`SSL`, `SASL_SSL`). Boxed: the TLS state is large.
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Transport {
    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(_) => true,
        }
    }

    /// The underlying TCP stream (for socket options and addresses).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            #[cfg(feature = "tls")]
            Transport::Tls(s) => s.get_ref().0,
        }
    }
}

impl From<TcpStream> for Transport {
    fn from(tcp: TcpStream) -> Self {
        Transport::Plain(tcp)
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Transport::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Secures a freshly connected TCP stream as `security.protocol` says: TLS for `SSL` and
/// `SASL_SSL` (with `host` as the server name), unchanged otherwise. SASL is a separate step
/// ([`authenticate`](crate::net::sasl::authenticate)), after ApiVersions.
pub async fn secure(
    tcp: TcpStream,
    host: &str,
    config: &crate::net::security::SecurityConfig,
) -> Result<Transport, SecurityError> {
    if config.protocol().uses_tls() {
        #[cfg(feature = "tls")]
        {
            return crate::net::tls::connect_tls(tcp, host, config.tls()).await;
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (tcp, host);
            return Err(SecurityError::Unavailable {
                what: "TLS",
                reason: "this build lacks the `tls` cargo feature".into(),
            });
        }
    }
    Ok(Transport::Plain(tcp))
}

/// Default [`RequestChannel`] response size limit: 1 MiB, plenty for ApiVersions and SASL.
pub const DEFAULT_CHANNEL_MAX_FRAME_SIZE: usize = 1024 * 1024;
/// Default [`RequestChannel`] round-trip timeout: 30 s.
pub const DEFAULT_CHANNEL_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends one request at a time over a stream and reads its response: for connection set-up
/// (ApiVersions, SaslHandshake, SaslAuthenticate) before a connection task owns the socket.
///
/// Correlation ids are local to the channel and checked on every response. Each round trip
/// is bounded by a timeout, and responses by a size limit. Not cancel-safe: a cancelled round
/// trip may leave half a frame on the wire, so drop the connection then.
#[derive(Debug)]
pub struct RequestChannel<T> {
    io: T,
    client_id: Option<String>,
    next_correlation_id: i32,
    max_frame_size: usize,
    timeout: Duration,
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> RequestChannel<T> {
    /// A channel over `io`, with no client id, the default timeout and frame limit.
    pub fn new(io: T) -> Self {
        Self {
            io,
            client_id: None,
            next_correlation_id: 1,
            max_frame_size: DEFAULT_CHANNEL_MAX_FRAME_SIZE,
            timeout: DEFAULT_CHANNEL_TIMEOUT,
        }
    }

    /// Sets the client id sent in request headers (`client.id`).
    pub fn with_client_id(mut self, client_id: Option<String>) -> Self {
        self.client_id = client_id;
        self
    }

    /// Sets the first correlation id (default 1).
    pub fn with_first_correlation_id(mut self, id: i32) -> Self {
        self.next_correlation_id = id;
        self
    }

    /// Sets the per-round-trip timeout (default [`DEFAULT_CHANNEL_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response accepted (default [`DEFAULT_CHANNEL_MAX_FRAME_SIZE`]).
    pub fn with_max_frame_size(mut self, max: usize) -> Self {
        self.max_frame_size = max;
        self
    }

    /// The next correlation id the channel will use (so a connection task can continue the
    /// sequence).
    pub fn next_correlation_id(&self) -> i32 {
        self.next_correlation_id
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Gives the stream back.
    pub fn into_inner(self) -> T {
        self.io
    }

    /// Sends `request` at `version` and returns the decoded response.
    pub async fn send(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> Result<ResponseBody, SecurityError> {
        let api = request.api_key().name();
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.exchange(request, version)).await {
            Ok(result) => result,
            Err(_) => Err(SecurityError::Timeout {
                stage: api.to_owned(),
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    async fn exchange(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> Result<ResponseBody, SecurityError> {
        let api_key = request.api_key();
        let api = api_key.name();
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);

        let header = RequestHeader::default()
            .with_request_api_key(api_key.key())
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(self.client_id.clone());
        let mut out = BytesMut::new();
        frame::encode_request_body(&mut out, &header, &request)
            .map_err(|source| SecurityError::Encode { api, source })?;
        let io_err = |source: io::Error| {
            if source.kind() == io::ErrorKind::UnexpectedEof {
                SecurityError::Closed {
                    stage: api.to_owned(),
                }
            } else {
                SecurityError::Io {
                    stage: api.to_owned(),
                    source,
                }
            }
        };
        self.io.write_all(&out).await.map_err(io_err)?;
        self.io.flush().await.map_err(io_err)?;

        let mut prefix = [0u8; 4];
        self.io.read_exact(&mut prefix).await.map_err(io_err)?;
        let size = frame::frame_size(prefix, self.max_frame_size)
            .map_err(|source| SecurityError::Decode { api, source })?;
        // Grow with the data actually received rather than trusting the size prefix.
        let mut body = Vec::with_capacity(size.min(64 * 1024));
        (&mut self.io)
            .take(size as u64)
            .read_to_end(&mut body)
            .await
            .map_err(io_err)?;
        if body.len() < size {
            return Err(SecurityError::Closed {
                stage: api.to_owned(),
            });
        }
        let body = Bytes::from(body);
        match frame::peek_correlation_id(&body) {
            Some(id) if id == correlation_id => {}
            other => {
                return Err(SecurityError::UnexpectedResponse {
                    api,
                    detail: format!("correlation id {other:?}, expected {correlation_id}"),
                })
            }
        }
        let (_, response) = frame::decode_response_body(body, api_key, version)
            .map_err(|source| SecurityError::Decode { api, source })?;
        Ok(response)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> SaslRoundTrip for RequestChannel<T> {
    fn round_trip(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>> {
        Box::pin(self.send(request, version))
    }
}

/// Correlation ids for round trips made directly on a [`Transport`]: process-wide so that
/// consecutive calls on one connection never repeat an id.
static TRANSPORT_CORRELATION_ID: AtomicI32 = AtomicI32::new(1);

impl SaslRoundTrip for Transport {
    /// One round trip with a fresh [`RequestChannel`] (no client id, default timeout and
    /// frame limit). Use a `RequestChannel` directly to set those.
    fn round_trip(
        &mut self,
        request: RequestBody,
        version: i16,
    ) -> BoxFuture<'_, Result<ResponseBody, SecurityError>> {
        Box::pin(async move {
            let id = TRANSPORT_CORRELATION_ID.fetch_add(1, Ordering::Relaxed) & i32::MAX;
            RequestChannel::new(self)
                .with_first_correlation_id(id)
                .send(request, version)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
    use tokio::io::duplex;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn channel_frames_requests_and_checks_correlation_ids() {
        rt().block_on(async {
            let (client, mut server) = duplex(4096);
            let broker = tokio::spawn(async move {
                for reply_id_offset in [0, 1] {
                    let mut prefix = [0u8; 4];
                    server.read_exact(&mut prefix).await.unwrap();
                    let mut body = vec![0; frame::frame_size(prefix, 1 << 20).unwrap()];
                    server.read_exact(&mut body).await.unwrap();
                    let req = frame::decode_request(Bytes::from(body)).unwrap();
                    assert_eq!(req.header.client_id.as_deref(), Some("me"));
                    let mut out = BytesMut::new();
                    let resp = ApiVersionsResponse::default().with_throttle_time_ms(7);
                    frame::encode_response(
                        &mut out,
                        ApiKey::ApiVersions,
                        req.header.correlation_id + reply_id_offset,
                        &resp,
                        3,
                    )
                    .unwrap();
                    server.write_all(&out).await.unwrap();
                }
            });
            let mut ch = RequestChannel::new(client).with_client_id(Some("me".into()));
            let req = RequestBody::ApiVersions(ApiVersionsRequest::default());
            let ResponseBody::ApiVersions(resp) = ch.send(req.clone(), 3).await.unwrap() else {
                panic!("wrong response type");
            };
            assert_eq!(resp.throttle_time_ms, 7);
            let err = ch.send(req, 3).await.unwrap_err();
            assert!(
                matches!(err, SecurityError::UnexpectedResponse { .. }),
                "{err:?}"
            );
            broker.await.unwrap();
        });
    }

    #[test]
    fn oversized_frames_closed_streams_and_silence_are_errors() {
        rt().block_on(async {
            let req = RequestBody::ApiVersions(ApiVersionsRequest::default());

            let (client, mut server) = duplex(4096);
            let mut ch = RequestChannel::new(client).with_max_frame_size(100);
            server.write_all(&1000i32.to_be_bytes()).await.unwrap();
            let err = ch.send(req.clone(), 3).await.unwrap_err();
            assert!(matches!(err, SecurityError::Decode { .. }), "{err:?}");

            let (client, mut server) = duplex(4096);
            let mut ch = RequestChannel::new(client);
            server.write_all(&50i32.to_be_bytes()).await.unwrap();
            server.write_all(&[0; 10]).await.unwrap();
            drop(server);
            let err = ch.send(req.clone(), 3).await.unwrap_err();
            assert!(
                matches!(err, SecurityError::Closed { .. } | SecurityError::Io { .. }),
                "{err:?}"
            );

            let (client, _server) = duplex(4096);
            let mut ch = RequestChannel::new(client).with_timeout(Duration::from_millis(20));
            let err = ch.send(req, 3).await.unwrap_err();
            assert!(matches!(err, SecurityError::Timeout { .. }), "{err:?}");
        });
    }
}

//! Helpers for talking to the broker at the protocol level in tests: a minimal client that
//! sends one typed request at a chosen version and reads the typed response, and a builder
//! for uncompressed v2 record batches. Not a general Kafka client.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::frame::{decode_response, encode_request, frame_size, DEFAULT_MAX_FRAME_SIZE};
use kafka_protocol::{DecodeError, EncodeError, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What can go wrong in [`TestClient`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Socket trouble, including the broker closing the connection.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The request could not be encoded.
    #[error("encode: {0}")]
    Encode(#[from] EncodeError),
    /// The response could not be decoded.
    #[error("decode: {0}")]
    Decode(#[from] DecodeError),
    /// The response's correlation id is not the request's.
    #[error("correlation id {got} does not match {expected}")]
    Correlation {
        /// Sent.
        expected: i32,
        /// Received.
        got: i32,
    },
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
}

/// One connection to one broker.
#[derive(Debug)]
pub struct TestClient {
    stream: TcpStream,
    next_correlation: i32,
    client_id: Option<String>,
    /// How long `send` waits for a response. Default 10 s.
    pub timeout: Duration,
}

impl TestClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> Result<Self, ClientError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream, next_correlation: 1, client_id: Some("testkit".into()), timeout: Duration::from_secs(10) })
    }

    /// Sets the client id sent in request headers.
    pub fn with_client_id(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.map(str::to_owned);
        self
    }

    /// Sends `request` at `version` and returns the decoded response.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> Result<R::Response, ClientError> {
        let correlation = self.write(request, version).await?;
        self.read::<R>(correlation, version).await
    }

    /// Sends a request without waiting for a response (e.g. acks=0); returns its correlation id.
    pub async fn write<R: Request>(&mut self, request: &R, version: i16) -> Result<i32, ClientError> {
        let correlation = self.next_correlation;
        self.next_correlation = self.next_correlation.wrapping_add(1);
        let mut buf = BytesMut::new();
        encode_request(&mut buf, correlation, self.client_id.as_deref(), request, version)?;
        self.stream.write_all(&buf).await?;
        Ok(correlation)
    }

    /// Reads the next response, which must carry `correlation`.
    pub async fn read<R: Request>(&mut self, correlation: i32, version: i16) -> Result<R::Response, ClientError> {
        let frame = self.read_frame().await?;
        let (header, body) = decode_response::<R>(frame, version)?;
        if header.correlation_id != correlation {
            return Err(ClientError::Correlation { expected: correlation, got: header.correlation_id });
        }
        Ok(body)
    }

    /// Reads one raw response frame (without its size prefix).
    pub async fn read_frame(&mut self) -> Result<Bytes, ClientError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, async {
            let mut prefix = [0u8; 4];
            self.stream.read_exact(&mut prefix).await?;
            let size = frame_size(prefix, DEFAULT_MAX_FRAME_SIZE)?;
            let mut buf = BytesMut::zeroed(size);
            self.stream.read_exact(&mut buf).await?;
            Ok(buf.freeze())
        })
        .await
        .map_err(|_| ClientError::Timeout(timeout))?
    }

    /// Writes raw bytes (for malformed-input tests).
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// Whether the broker has closed the connection (reads EOF or an error within `wait`).
    pub async fn is_closed(&mut self, wait: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(tokio::time::timeout(wait, self.stream.read(&mut byte)).await, Ok(Ok(0)) | Ok(Err(_)))
    }
}

/// Encodes an uncompressed record batch (magic 2) holding one record per value, keys null,
/// no headers, all with `timestamp`, base offset 0 and no producer id.
pub fn record_batch(values: &[&[u8]], timestamp: i64) -> Vec<u8> {
    producer_batch(values, timestamp, -1, -1, -1, false)
}

/// Like [`record_batch`], from an idempotent or transactional producer.
pub fn producer_batch(
    values: &[&[u8]],
    timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
) -> Vec<u8> {
    let mut records = BytesMut::new();
    for (i, value) in values.iter().enumerate() {
        let mut body = BytesMut::new();
        body.put_i8(0); // attributes
        put_varint(&mut body, 0); // timestamp delta
        put_varint(&mut body, i as i64); // offset delta
        put_varint(&mut body, -1); // null key
        put_varint(&mut body, value.len() as i64);
        body.put_slice(value);
        put_varint(&mut body, 0); // headers
        put_varint(&mut records, body.len() as i64);
        records.put_slice(&body);
    }
    let count = values.len() as i32;
    let mut batch = BytesMut::with_capacity(61 + records.len());
    batch.put_i64(0); // base offset
    batch.put_i32((49 + records.len()) as i32); // batch length: from leader epoch on
    batch.put_i32(-1); // partition leader epoch
    batch.put_i8(2); // magic
    batch.put_u32(0); // crc placeholder
    batch.put_i16(if transactional { 0x10 } else { 0 }); // attributes
    batch.put_i32(count - 1); // last offset delta
    batch.put_i64(timestamp);
    batch.put_i64(timestamp);
    batch.put_i64(producer_id);
    batch.put_i16(producer_epoch);
    batch.put_i32(base_sequence);
    batch.put_i32(count);
    batch.put_slice(&records);
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    batch.to_vec()
}

fn put_varint(buf: &mut BytesMut, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

//! Request and response framing: the INT32 size prefix and the request/response headers.
//!
//! Every Kafka frame is `INT32 size` followed by `size` bytes: a header and a body. The request
//! header version follows from the API and version (v2 when flexible, else v1); the response
//! header version likewise (v1 when flexible, else v0), except that ApiVersions responses
//! always use v0 so a client can read them whatever version it sent (KIP-511).
//!
//! These helpers are sans-IO: they turn values into bytes and bytes into values. The client
//! runtime and the in-process broker do the socket work.

use bytes::{Buf, BufMut, Bytes};

use crate::codec::{DecodeError, DecodeErrorKind, EncodeError, Message, Request};
use crate::messages::{ApiKey, RequestBody, RequestHeader, ResponseBody, ResponseHeader};

/// Default cap on a frame's size: Kafka's `socket.request.max.bytes` default (100 MiB).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 100 * 1024 * 1024;

/// Checks a frame's 4-byte size prefix and returns the body size.
///
/// Negative sizes and sizes above `max` are errors, so a reader never allocates for a frame it
/// will not accept.
pub fn frame_size(prefix: [u8; 4], max: usize) -> Result<usize, DecodeError> {
    let size = i32::from_be_bytes(prefix);
    if size < 0 {
        return Err(DecodeError::new(DecodeErrorKind::NegativeLength(i64::from(size))));
    }
    let size = size as usize;
    if size > max {
        return Err(DecodeError::new(DecodeErrorKind::FrameTooLarge {
            size: size as u64,
            max: max as u64,
        }));
    }
    Ok(size)
}

/// The fixed start of every request header: enough to route or reject a request whose API
/// or version is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestPrefix {
    /// The raw API key.
    pub api_key: i16,
    /// The requested version.
    pub api_version: i16,
    /// The correlation id to echo.
    pub correlation_id: i32,
}

/// Reads the API key, version and correlation id from the front of a request frame (without
/// consuming it). `None` when the frame is shorter than 8 bytes.
pub fn peek_request_prefix(frame: &[u8]) -> Option<RequestPrefix> {
    let b = frame.get(..8)?;
    Some(RequestPrefix {
        api_key: i16::from_be_bytes([b[0], b[1]]),
        api_version: i16::from_be_bytes([b[2], b[3]]),
        correlation_id: i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
    })
}

/// Builds the request header for `R` at `version`.
pub fn request_header<R: Request>(
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
) -> RequestHeader {
    RequestHeader::default()
        .with_request_api_key(R::KEY.key())
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(client_id.map(str::to_owned))
}

/// Appends a whole request frame (size prefix, header, body) to `buf`.
pub fn encode_request<R: Request, B: BufMut>(
    buf: &mut B,
    correlation_id: i32,
    client_id: Option<&str>,
    body: &R,
    version: i16,
) -> Result<(), EncodeError> {
    let header = request_header::<R>(correlation_id, client_id, version);
    let header_version = R::KEY.request_header_version(version);
    write_frame(buf, &header, header_version, |b| body.encode(b, version), body.encoded_len(version))
}

/// Appends a whole request frame for a dynamically typed body; the header's API key and
/// version must match the body.
pub fn encode_request_body<B: BufMut>(
    buf: &mut B,
    header: &RequestHeader,
    body: &RequestBody,
) -> Result<(), EncodeError> {
    let key = body.api_key();
    let version = header.request_api_version;
    let header_version = key.request_header_version(version);
    write_frame(buf, header, header_version, |b| body.encode(b, version), body.encoded_len(version))
}

/// A decoded request frame.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestFrame {
    /// The header, including correlation id and client id.
    pub header: RequestHeader,
    /// The API.
    pub api_key: ApiKey,
    /// The body.
    pub body: RequestBody,
}

/// Decodes a request frame (without its size prefix): header then body, which must fill the
/// frame exactly.
pub fn decode_request(mut frame: Bytes) -> Result<RequestFrame, DecodeError> {
    let prefix = peek_request_prefix(&frame).ok_or_else(|| {
        DecodeError::new(DecodeErrorKind::Truncated { needed: 8, remaining: frame.len() })
            .in_message("RequestHeader", 0)
    })?;
    let api_key = ApiKey::try_from(prefix.api_key)?;
    let supported = api_key.versions();
    if !supported.contains(prefix.api_version) {
        return Err(DecodeError::new(DecodeErrorKind::UnsupportedVersion {
            version: prefix.api_version,
            supported,
        })
        .in_message(api_key.name(), prefix.api_version));
    }
    let header_version = api_key.request_header_version(prefix.api_version);
    let header = RequestHeader::decode(&mut frame, header_version)?;
    let body = RequestBody::decode(api_key, &mut frame, prefix.api_version)?;
    if frame.has_remaining() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(frame.remaining()))
            .in_message(api_key.name(), prefix.api_version));
    }
    Ok(RequestFrame { header, api_key, body })
}

/// Appends a whole response frame (size prefix, header, body) to `buf`.
pub fn encode_response<M: Message, B: BufMut>(
    buf: &mut B,
    api_key: ApiKey,
    correlation_id: i32,
    body: &M,
    version: i16,
) -> Result<(), EncodeError> {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_version = api_key.response_header_version(version);
    write_frame(buf, &header, header_version, |b| body.encode(b, version), body.encoded_len(version))
}

/// Appends a whole response frame for a dynamically typed body.
pub fn encode_response_body<B: BufMut>(
    buf: &mut B,
    correlation_id: i32,
    body: &ResponseBody,
    version: i16,
) -> Result<(), EncodeError> {
    let api_key = body.api_key();
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_version = api_key.response_header_version(version);
    write_frame(buf, &header, header_version, |b| body.encode(b, version), body.encoded_len(version))
}

/// Reads the correlation id at the front of a response frame without consuming it.
pub fn peek_correlation_id(frame: &[u8]) -> Option<i32> {
    let b = frame.get(..4)?;
    Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decodes a response frame (without its size prefix) for request type `R` sent at
/// `version`. Returns the header and the body; the body must fill the frame exactly.
pub fn decode_response<R: Request>(
    mut frame: Bytes,
    version: i16,
) -> Result<(ResponseHeader, R::Response), DecodeError> {
    let header_version = R::KEY.response_header_version(version);
    let header = ResponseHeader::decode(&mut frame, header_version)?;
    let body = R::Response::decode_exact(frame, version)?;
    Ok((header, body))
}

/// Decodes a response frame for a dynamically known API.
pub fn decode_response_body(
    mut frame: Bytes,
    api_key: ApiKey,
    version: i16,
) -> Result<(ResponseHeader, ResponseBody), DecodeError> {
    let header_version = api_key.response_header_version(version);
    let header = ResponseHeader::decode(&mut frame, header_version)?;
    let body = ResponseBody::decode(api_key, &mut frame, version)?;
    if frame.has_remaining() {
        return Err(DecodeError::new(DecodeErrorKind::TrailingBytes(frame.remaining()))
            .in_message(api_key.name(), version));
    }
    Ok((header, body))
}

fn write_frame<H: Message, B: BufMut>(
    buf: &mut B,
    header: &H,
    header_version: i16,
    body: impl FnOnce(&mut B) -> Result<(), EncodeError>,
    body_len: usize,
) -> Result<(), EncodeError> {
    let size = header.encoded_len(header_version) + body_len;
    let size = i32::try_from(size).map_err(|_| EncodeError::TooLong {
        message: H::NAME,
        field: "frame",
        length: size,
        max: i32::MAX as usize,
    })?;
    buf.put_i32(size);
    header.encode(buf, header_version)?;
    body(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{ApiVersionsRequest, ApiVersionsResponse, MetadataRequest};

    #[test]
    fn request_frame_round_trip() {
        let req = MetadataRequest::default().with_allow_auto_topic_creation(false);
        let mut buf = bytes::BytesMut::new();
        encode_request(&mut buf, 7, Some("me"), &req, 12).unwrap();
        let mut bytes = buf.freeze();
        let size = frame_size(bytes[..4].try_into().unwrap(), DEFAULT_MAX_FRAME_SIZE).unwrap();
        bytes.advance(4);
        assert_eq!(size, bytes.len());
        let frame = decode_request(bytes).unwrap();
        assert_eq!(frame.api_key, ApiKey::Metadata);
        assert_eq!(frame.header.correlation_id, 7);
        assert_eq!(frame.header.client_id.as_deref(), Some("me"));
        assert_eq!(frame.body, RequestBody::Metadata(req));
    }

    #[test]
    fn api_versions_response_uses_header_v0_even_when_flexible() {
        let resp = ApiVersionsResponse::default().with_error_code(35);
        let mut buf = bytes::BytesMut::new();
        encode_response(&mut buf, ApiKey::ApiVersions, 9, &resp, 3).unwrap();
        let frame = buf.freeze().slice(4..);
        // Header v0 is the bare correlation id; a v1 header would add a tagged-field byte.
        let (header, body) = decode_response::<ApiVersionsRequest>(frame, 3).unwrap();
        assert_eq!(header.correlation_id, 9);
        assert_eq!(body.error_code, 35);
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        assert!(matches!(
            frame_size((-5i32).to_be_bytes(), 100).unwrap_err().kind(),
            DecodeErrorKind::NegativeLength(-5)
        ));
        assert!(matches!(
            frame_size(1000i32.to_be_bytes(), 100).unwrap_err().kind(),
            DecodeErrorKind::FrameTooLarge { .. }
        ));
        let unknown = Bytes::from_static(&[0x7f, 0x00, 0, 0, 0, 0, 0, 1]);
        assert_eq!(decode_request(unknown).unwrap_err().kind(), &DecodeErrorKind::UnknownApiKey(0x7f00));
        let too_new = Bytes::from_static(&[0, 3, 0x7f, 0, 0, 0, 0, 1]);
        assert!(matches!(
            decode_request(too_new).unwrap_err().kind(),
            DecodeErrorKind::UnsupportedVersion { .. }
        ));
    }
}

//! The Kafka wire protocol, sans-IO, plus the shared async client runtime.
//!
//! - [`messages`]: every request and response a Kafka broker serves, generated from Apache
//!   Kafka's JSON message definitions, with [`ApiKey`], [`Message`] and [`Request`].
//! - [`records`]: record batches (message format v2), legacy message sets, compression, CRC.
//! - [`error`]: every Kafka error code.
//! - [`frame`]: request and response framing (size prefix and headers).
//! - `net` (cargo feature `net`, on by default): the async client runtime.
//!
//! The codec modules never touch a socket, a clock or an async runtime; build with
//! `--no-default-features` to get only them.
//!
//! # Example
//!
//! ```
//! use kafka_protocol::messages::{MetadataRequest, MetadataResponse};
//! use kafka_protocol::{Message, Request};
//!
//! let request = MetadataRequest::default().with_topics(None);
//! let version = MetadataRequest::MAX_STABLE_VERSION;
//! let bytes = request.encode_to_bytes(version)?;
//! assert_eq!(bytes.len(), request.encoded_len(version));
//! let back = MetadataRequest::decode_exact(bytes, version)?;
//! assert_eq!(back, request);
//! # let _ = std::marker::PhantomData::<MetadataResponse>;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod codec;
pub mod error;
pub mod frame;
pub mod messages;
#[cfg(feature = "net")]
pub mod net;
pub mod records;
pub mod wire;

#[cfg(test)]
mod messages_tests;
#[cfg(any(test, feature = "arbitrary"))]
#[doc(hidden)]
pub mod testing;

pub use codec::{
    DecodeError, DecodeErrorKind, EncodeError, Message, RawTaggedField, Request, Uuid,
    VersionRange,
};
pub use error::ErrorCode;
pub use messages::ApiKey;

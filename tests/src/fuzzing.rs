//! Sans-IO request handling for fuzzing (the cargo-fuzz target in `tests/fuzz`) and for the
//! regression tests of what it finds. Not public API: hidden, behind the `fuzzing` feature.
//!
//! [`SansIoCluster`] is the cluster actor without sockets or tasks: a request frame goes through
//! the same steps as on a connection (the served-version check and ApiVersions fallback of the
//! reader, then the actor's log, SASL gate, faults, ACLs and handler), and the response is
//! encoded as the writer would and decoded again. [`run`] drives one from fuzzer input on a
//! paused current-thread runtime, so timers (sessions, rebalances, transaction timeouts,
//! long-poll fetches) fire as the input advances virtual time.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::frame::{decode_request, decode_response_body, encode_response_body, peek_request_prefix};
use kafka_protocol::messages::{ApiKey, ResponseBody};
use tokio::sync::oneshot;

use crate::actor::{Actor, Incoming, Reply};
use crate::version::SupportedApis;
use crate::{ClusterBuilder, Error};

/// What became of one request.
#[derive(Debug)]
pub enum Handled {
    /// Answered: the encoded response frame (without size prefix).
    Response(Bytes),
    /// Not answered yet (parked fetch, pending join); see [`SansIoCluster::tick`].
    Waiting,
    /// Deliberately unanswered (acks=0, dropped by a fault).
    Nothing,
    /// The connection would be closed, with the reason.
    Closed(String),
}

struct Outstanding {
    connection: u64,
    api_key: ApiKey,
    rx: oneshot::Receiver<Reply>,
}

/// The cluster actor without I/O.
pub struct SansIoCluster {
    actor: Actor,
    apis: Arc<SupportedApis>,
    outstanding: Vec<Outstanding>,
}

impl SansIoCluster {
    /// The cluster `builder` describes, without binding ports (no data dir).
    pub fn new(builder: &ClusterBuilder) -> Result<Self, Error> {
        let (state, apis) = builder.build_sans_io()?;
        Ok(Self { actor: Actor::new(state, Vec::new(), 64), apis, outstanding: Vec::new() })
    }

    /// Handles one request frame (without its size prefix) that arrived on `connection` at
    /// `broker`, and returns what became of it. Earlier requests still waiting are picked up
    /// by later calls and [`SansIoCluster::tick`] (a real connection answers in order).
    pub fn request(&mut self, connection: u64, broker: i32, frame: Bytes) -> Handled {
        let Some(prefix) = peek_request_prefix(&frame) else {
            return Handled::Closed("request has no header".into());
        };
        let (tx, rx) = oneshot::channel();
        let api_key = match self.apis.range(prefix.api_key) {
            Some(range) if range.contains(prefix.api_version) => {
                let frame = match decode_request(frame) {
                    Ok(frame) => frame,
                    Err(e) => return Handled::Closed(format!("malformed request: {e}")),
                };
                let api_key = frame.api_key;
                self.actor.on_request(Incoming { connection, broker, listener: 0, frame, reply: tx });
                api_key
            }
            _ if prefix.api_key == ApiKey::ApiVersions.key() => {
                let body = ResponseBody::ApiVersions(crate::server::unsupported_api_versions(&self.apis));
                return match encoded(ApiKey::ApiVersions, 0, prefix.correlation_id, &body) {
                    Ok(b) => Handled::Response(b),
                    Err(e) => Handled::Closed(e),
                };
            }
            _ => return Handled::Closed("unsupported api key or version".into()),
        };
        self.outstanding.push(Outstanding { connection, api_key, rx });
        self.poll_outstanding().unwrap_or(Handled::Waiting)
    }

    /// Checks outstanding replies; returns the last request's outcome when it has one.
    fn poll_outstanding(&mut self) -> Option<Handled> {
        let last = self.outstanding.len().checked_sub(1);
        let mut result = None;
        let mut i = 0;
        let mut index = 0;
        while i < self.outstanding.len() {
            let entry = &mut self.outstanding[i];
            let handled = match entry.rx.try_recv() {
                Ok(reply) => Some(reply_outcome(entry.api_key, reply)),
                Err(oneshot::error::TryRecvError::Empty) => None,
                Err(oneshot::error::TryRecvError::Closed) => Some(Handled::Closed("reply dropped".into())),
            };
            if Some(index) == last {
                result = handled.as_ref().map(clone_handled);
            }
            index += 1;
            match handled {
                Some(Handled::Closed(_)) => {
                    // Like the connection writer: a close ends the connection.
                    let connection = self.outstanding[i].connection;
                    self.outstanding.retain(|o| o.connection != connection);
                    self.actor.state.security.closed(connection);
                    i = 0;
                    index = usize::MAX / 2; // the last request's outcome is already known
                }
                Some(_) => {
                    self.outstanding.remove(i);
                }
                None => i += 1,
            }
        }
        result
    }

    /// Runs the due timers and re-polls parked requests (call it after advancing the
    /// runtime's paused clock).
    pub fn tick(&mut self) {
        self.actor.run_timers();
        self.actor.poll_parked();
        self.poll_outstanding();
    }

    /// When the actor next needs [`SansIoCluster::tick`].
    pub fn next_deadline(&self) -> Option<tokio::time::Instant> {
        self.actor.next_deadline()
    }

    /// Requests still waiting.
    pub fn waiting(&self) -> usize {
        self.outstanding.len()
    }

    /// A connection closed by the client.
    pub fn close(&mut self, connection: u64) {
        self.outstanding.retain(|o| o.connection != connection);
        self.actor.handle_closed(connection);
    }

    /// Checks cross-structure invariants of the stored data (offsets, high watermarks).
    pub fn check(&self) -> Result<(), String> {
        self.actor.state.check_invariants()
    }
}

fn clone_handled(h: &Handled) -> Handled {
    match h {
        Handled::Response(b) => Handled::Response(b.clone()),
        Handled::Waiting => Handled::Waiting,
        Handled::Nothing => Handled::Nothing,
        Handled::Closed(r) => Handled::Closed(r.clone()),
    }
}

fn reply_outcome(api_key: ApiKey, reply: Reply) -> Handled {
    match reply {
        Reply::Close => Handled::Closed("closed by the broker".into()),
        Reply::Nothing => Handled::Nothing,
        Reply::Response { version, correlation_id, body, effects } => {
            if effects.drop_response || effects.close_after {
                return Handled::Nothing;
            }
            match encoded(api_key, version, correlation_id, &body) {
                Ok(b) => Handled::Response(b),
                Err(e) => Handled::Closed(e),
            }
        }
    }
}

/// Encodes a response like the connection writer, then checks that it decodes again.
fn encoded(api_key: ApiKey, version: i16, correlation_id: i32, body: &ResponseBody) -> Result<Bytes, String> {
    let mut out = BytesMut::new();
    // An unencodable response closes the connection (logged by the writer).
    encode_response_body(&mut out, correlation_id, body, version)
        .map_err(|e| format!("cannot encode {api_key:?} v{version} response: {e}"))?;
    let mut frame = out.freeze();
    frame.advance(4);
    if let Err(e) = decode_response_body(frame.clone(), api_key, version) {
        // The broker encoded something a client cannot read: a codec or handler bug.
        panic!("{api_key:?} v{version}: the broker's response does not decode: {e}");
    }
    Ok(frame)
}

/// The cluster the fuzzer starts from: 3 brokers, a few topics (one with data written by
/// the first inputs of the seed corpus, not here), fixed seed.
pub fn fuzz_cluster() -> ClusterBuilder {
    ClusterBuilder::default().brokers(3).seed(7).topic("t", 2, 3).topic("u", 1, 1)
}

/// Runs fuzzer input against a fresh [`fuzz_cluster`] on a paused current-thread runtime.
///
/// Input: records of `[control: u8][length: u16 BE][frame: length bytes]`. The control byte
/// picks the broker (`% 3 + 1`) and connection (`>> 2 & 3`); bit 7 set advances virtual time
/// by `2^(control & 31)` ms before the request (up to ~24 days) and runs due timers; a frame
/// cut short by the end of input is still sent. Panics when the broker panics, answers with
/// bytes that do not decode, or leaves its data inconsistent.
pub fn run(input: &[u8]) -> RunStats {
    let mut stats = RunStats::default();
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build() else {
        return stats;
    };
    rt.block_on(async {
        let Ok(mut cluster) = SansIoCluster::new(&fuzz_cluster()) else { return };
        let mut data = Bytes::copy_from_slice(input);
        while data.remaining() >= 3 {
            let control = data.get_u8();
            let len = usize::from(data.get_u16());
            let frame = data.split_to(len.min(data.remaining()));
            if control & 0x80 != 0 {
                tokio::time::advance(Duration::from_millis(1u64 << (control & 31))).await;
                cluster.tick();
            }
            let broker = i32::from(control % 3) + 1;
            let connection = u64::from((control >> 2) & 3);
            stats.requests += 1;
            match cluster.request(connection, broker, frame) {
                Handled::Response(_) => stats.answered += 1,
                Handled::Closed(_) => {
                    stats.closed += 1;
                    cluster.close(connection);
                }
                Handled::Waiting | Handled::Nothing => {}
            }
            if let Err(e) = cluster.check() {
                panic!("inconsistent state: {e}");
            }
        }
        // Let every timer that the input armed run (bounded: each pass advances to the next
        // deadline, capped at 30 days).
        for _ in 0..64 {
            let Some(deadline) = cluster.next_deadline() else { break };
            let now = tokio::time::Instant::now();
            if deadline > now + Duration::from_secs(30 * 24 * 3600) {
                break;
            }
            tokio::time::advance(deadline.saturating_duration_since(now) + Duration::from_millis(1)).await;
            cluster.tick();
        }
        if let Err(e) = cluster.check() {
            panic!("inconsistent state: {e}");
        }
    });
    stats
}

/// What [`run`] saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    /// Request records in the input.
    pub requests: usize,
    /// Answered at once.
    pub answered: usize,
    /// Refused with a close (malformed, unsupported version, ...).
    pub closed: usize,
}

/// Every API and version range the fuzz cluster serves.
pub fn served() -> Vec<(ApiKey, kafka_protocol::VersionRange)> {
    match fuzz_cluster().build_sans_io() {
        Ok((_, apis)) => apis.iter().filter_map(|(k, r)| ApiKey::from_i16(k).map(|k| (k, r))).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seed corpus of the fuzz target runs clean (a regression test for every
    /// input added there).
    #[test]
    fn fuzz_seed_corpus_runs_clean() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/broker_request");
        let mut files: Vec<_> = std::fs::read_dir(&dir).expect("seed corpus").filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        assert!(files.len() > 50, "expected the seed corpus in {}", dir.display());
        let (mut requests, mut answered) = (0, 0);
        for file in files {
            let input = std::fs::read(&file).expect("seed file");
            let stats = run(&input);
            requests += stats.requests;
            answered += stats.answered;
        }
        println!("seed corpus: {answered} of {requests} requests answered at once");
        // The seeds reach the handlers: nearly every request is answered, not refused.
        assert!(answered * 10 >= requests * 8, "{answered} of {requests} seed requests answered");
    }

    /// A produced batch is answered, stored and fetched back through the sans-IO path.
    #[test]
    fn sans_io_cluster_answers_and_keeps_data() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("runtime");
        rt.block_on(async {
            let mut cluster = SansIoCluster::new(&fuzz_cluster()).expect("cluster");
            let header = |key: ApiKey, version: i16| {
                let mut h = kafka_protocol::messages::RequestHeader::default();
                h.request_api_key = key.key();
                h.request_api_version = version;
                h.correlation_id = 5;
                h
            };
            let mut buf = BytesMut::new();
            let body = kafka_protocol::messages::RequestBody::Metadata(kafka_protocol::messages::MetadataRequest::default().with_topics(None));
            kafka_protocol::frame::encode_request_body(&mut buf, &header(ApiKey::Metadata, 12), &body).expect("encode");
            let Handled::Response(frame) = cluster.request(1, 1, buf.freeze().split_off(4)) else { panic!("no metadata response") };
            let (_, body) = decode_response_body(frame, ApiKey::Metadata, 12).expect("decode");
            let ResponseBody::Metadata(m) = body else { panic!("not metadata") };
            assert_eq!(m.brokers.len(), 3);
            assert_eq!(m.topics.len(), 2);
            // An unknown version closes; a too-new ApiVersions gets the v0 fallback.
            let mut raw = BytesMut::new();
            raw.extend_from_slice(&[0, 3, 0x7f, 0x00, 0, 0, 0, 1]);
            assert!(matches!(cluster.request(1, 1, raw.freeze()), Handled::Closed(_)));
            let mut raw = BytesMut::new();
            raw.extend_from_slice(&[0, 18, 0x7f, 0x00, 0, 0, 0, 1]);
            assert!(matches!(cluster.request(2, 1, raw.freeze()), Handled::Response(_)));
            cluster.check().expect("consistent");
        });
    }
}

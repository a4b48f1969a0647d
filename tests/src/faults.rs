//! Fault injection and observation: which requests a rule applies to ([`RequestMatcher`]),
//! what it does ([`FaultAction`]), the request log ([`LoggedRequest`]) and held requests.
//!
//! Rules are checked in the order they were added; every matching rule applies and uses up
//! one of its `times`. An error rule whose matcher names a topic turns into a partition-level
//! error for the matching partitions; without a topic it becomes the request-level error
//! (the top-level error code where the response has one, else every partition or topic).

use std::time::Duration;

use kafka_protocol::messages::{RequestBody, RequestHeader};
use kafka_protocol::ApiKey;
use tokio::time::Instant;

/// Selects requests by API, broker, topic, partition and client id; every filter left unset
/// matches anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMatcher {
    api_key: Option<ApiKey>,
    broker: Option<i32>,
    topic: Option<String>,
    partition: Option<i32>,
    client_id: Option<String>,
}

impl RequestMatcher {
    /// Matches every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Matches requests of one API.
    pub fn api(key: ApiKey) -> Self {
        Self { api_key: Some(key), ..Self::default() }
    }

    /// Only requests received by broker `id`.
    pub fn broker(mut self, id: i32) -> Self {
        self.broker = Some(id);
        self
    }

    /// Only requests that name `topic` (Produce, Fetch, ListOffsets, Metadata, ...).
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Only requests that name partition `partition` of `topic`.
    pub fn partition(mut self, topic: impl Into<String>, partition: i32) -> Self {
        self.topic = Some(topic.into());
        self.partition = Some(partition);
        self
    }

    /// Only requests whose header carries this client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Whether a logged request satisfies every filter.
    pub fn matches(&self, request: &LoggedRequest) -> bool {
        self.api_key.is_none_or(|k| k == request.api_key)
            && self.broker.is_none_or(|b| b == request.broker)
            && self.client_id.as_ref().is_none_or(|c| request.client_id.as_deref() == Some(c.as_str()))
            && self.topic.as_ref().is_none_or(|t| {
                request.topics.iter().any(|(name, parts)| {
                    name == t && self.partition.is_none_or(|p| parts.is_empty() || parts.contains(&p))
                })
            })
    }

    /// The topic filter, if any.
    pub(crate) fn topic_filter(&self) -> Option<(&str, Option<i32>)> {
        self.topic.as_deref().map(|t| (t, self.partition))
    }
}

impl From<ApiKey> for RequestMatcher {
    fn from(key: ApiKey) -> Self {
        Self::api(key)
    }
}

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answer with this Kafka error code instead of handling the request (partition-level
    /// when the matcher names a topic).
    Error(i16),
    /// Handle the request, then hold the response back for this long.
    Delay(Duration),
    /// Handle the request but never send the response.
    DropResponse,
    /// Close the connection instead of handling the request.
    CloseBefore,
    /// Handle the request, then close the connection without answering.
    CloseAfter,
    /// Send the response with its body bytes inverted (the frame stays well-sized).
    CorruptResponse,
    /// Send a frame holding only the first half of the response body.
    TruncateResponse,
}

/// When `close_connection` closes: before handling the request, or after handling it but
/// before the response is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseWhen {
    /// The request is never handled.
    Before,
    /// The request takes effect, the response is lost.
    After,
}

/// A fault rule: a matcher, an action and how many matching requests it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) matcher: RequestMatcher,
    pub(crate) action: FaultAction,
    pub(crate) remaining: Option<u32>,
}

impl Fault {
    /// A rule applying `action` to the next matching request.
    pub fn new(matcher: impl Into<RequestMatcher>, action: FaultAction) -> Self {
        Self { matcher: matcher.into(), action, remaining: Some(1) }
    }

    /// Apply to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Apply to every matching request until the rules are cleared.
    pub fn always(mut self) -> Self {
        self.remaining = None;
        self
    }
}

/// A request as the broker received it, for assertions.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// Sequence number in the log, from 0.
    pub seq: u64,
    /// Broker that received it.
    pub broker: i32,
    /// Connection it came on (unique within the process).
    pub connection: u64,
    /// API.
    pub api_key: ApiKey,
    /// API version.
    pub version: i16,
    /// Header client id.
    pub client_id: Option<String>,
    /// Header correlation id.
    pub correlation_id: i32,
    /// Topics named by the request, each with the partitions named (empty = whole topic).
    pub topics: Vec<(String, Vec<i32>)>,
    /// The decoded request body, credentials emptied (SaslAuthenticate `auth_bytes`,
    /// AlterUserScramCredentials `salt` and `salted_password`).
    pub body: RequestBody,
    /// When it arrived (tokio time).
    pub received: Instant,
}

impl LoggedRequest {
    pub(crate) fn new(
        seq: u64,
        broker: i32,
        connection: u64,
        header: &RequestHeader,
        api_key: ApiKey,
        body: RequestBody,
        topics: Vec<(String, Vec<i32>)>,
    ) -> Self {
        Self {
            seq,
            broker,
            connection,
            api_key,
            version: header.request_api_version,
            client_id: header.client_id.clone(),
            correlation_id: header.correlation_id,
            topics,
            body: redacted(body),
            received: Instant::now(),
        }
    }
}

/// The body as the log keeps it: credentials (SaslAuthenticate tokens, which carry PLAIN
/// passwords, and AlterUserScramCredentials salted passwords) are emptied, so a test that
/// prints or keeps the log never holds a secret.
fn redacted(mut body: RequestBody) -> RequestBody {
    match &mut body {
        RequestBody::SaslAuthenticate(r) => r.auth_bytes = bytes::Bytes::new(),
        RequestBody::AlterUserScramCredentials(r) => {
            for upsertion in &mut r.upsertions {
                upsertion.salted_password = bytes::Bytes::new();
                upsertion.salt = bytes::Bytes::new();
            }
        }
        _ => {}
    }
    body
}

/// How the writer must treat a response, as decided by the faults that matched.
#[derive(Clone, Debug, Default)]
pub(crate) struct Effects {
    pub(crate) delay: Option<Duration>,
    pub(crate) drop_response: bool,
    pub(crate) close_before: bool,
    pub(crate) close_after: bool,
    pub(crate) corrupt: bool,
    pub(crate) truncate: bool,
    /// Request-level error to answer with.
    pub(crate) error: Option<i16>,
    /// Partition-level errors: (topic, partition or every partition, code).
    pub(crate) partition_errors: Vec<InjectedError>,
}

/// A partition-level injected error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InjectedError {
    pub(crate) topic: String,
    pub(crate) partition: Option<i32>,
    pub(crate) code: i16,
}

/// The ordered rule list.
#[derive(Debug, Default)]
pub(crate) struct FaultRules {
    rules: Vec<Fault>,
}

impl FaultRules {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.rules.push(fault);
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Uses of rules still pending (`u64::MAX` counts as one unlimited rule each).
    pub(crate) fn pending(&self) -> usize {
        self.rules.len()
    }

    /// Applies every matching rule to `request`, consuming one use of each.
    pub(crate) fn apply(&mut self, request: &LoggedRequest) -> Effects {
        let mut effects = Effects::default();
        for rule in &mut self.rules {
            if !rule.matcher.matches(request) {
                continue;
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            match &rule.action {
                FaultAction::Error(code) => match rule.matcher.topic_filter() {
                    Some((topic, partition)) => effects.partition_errors.push(InjectedError {
                        topic: topic.to_owned(),
                        partition,
                        code: *code,
                    }),
                    None => effects.error = Some(*code),
                },
                FaultAction::Delay(d) => {
                    effects.delay = Some(effects.delay.unwrap_or_default() + *d);
                }
                FaultAction::DropResponse => effects.drop_response = true,
                FaultAction::CloseBefore => effects.close_before = true,
                FaultAction::CloseAfter => effects.close_after = true,
                FaultAction::CorruptResponse => effects.corrupt = true,
                FaultAction::TruncateResponse => effects.truncate = true,
            }
        }
        self.rules.retain(|r| r.remaining != Some(0));
        effects
    }
}

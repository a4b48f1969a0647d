//! The group coordinator: consumer groups and committed offsets, as a sans-IO state machine.
//!
//! The cluster actor owns one [`GroupCoordinator`] and calls it with decoded requests; the
//! coordinator answers with the generated response types. It never touches a socket, a clock
//! or a runtime:
//!
//! - **Time is passed in.** Every call that can start, extend or end a timer takes
//!   `now: std::time::Instant` (the actor passes `tokio::time::Instant::now().into_std()`, so a
//!   paused tokio clock works). [`GroupCoordinator::next_deadline`] says when the coordinator
//!   next needs [`GroupCoordinator::on_timeout`]; calling it early is harmless.
//! - **Requests that wait** (a JoinGroup until the rebalance completes, a SyncGroup until the
//!   leader sends the assignment) carry a caller-chosen [`ReplyToken`]. The call returns
//!   [`Answer::Pending`] and the response turns up later as a [`Completion`] returned by some
//!   other call (another member's join, the leader's sync, a leave, a timeout, an unload).
//!   Every parked request is completed exactly once: by the rebalance finishing, by its
//!   timeout, by being superseded (REBALANCE_IN_PROGRESS), by its member being removed or
//!   fenced, or with NOT_COORDINATOR when the group is unloaded.
//! - **Topic knowledge** (partition counts and topic ids for KIP-848 assignment, existence
//!   checks for offset commits) comes from the caller through [`TopicView`].
//!
//! Protocols and KIPs implemented:
//!
//! - the classic group protocol (JoinGroup v0-9, SyncGroup v0-5, Heartbeat v0-4, LeaveGroup
//!   v0-5, DescribeGroups v0-5, ListGroups v0-5, DeleteGroups v0-2), with KIP-394 (JoinGroup
//!   v4+ requires a member id: MEMBER_ID_REQUIRED), KIP-345 (static membership), KIP-814
//!   (`SkipAssignment` for a replaced static leader), KIP-429 (cooperative rebalancing is a
//!   client-side protocol; the coordinator just runs the extra rebalances);
//! - offsets: OffsetCommit v0-9, OffsetFetch v0-9 (v8+ batched groups), OffsetDelete v0,
//!   transactional offsets staged until the transaction ends and KIP-447 `RequireStable`;
//! - KIP-848, the consumer group protocol: ConsumerGroupHeartbeat v0-1 and
//!   ConsumerGroupDescribe v0, with server-side `uniform` and `range` assignors and
//!   revoke-before-reassign reconciliation.
//!
//! See `README.md` in this directory for what is modelled and what is not.

mod assignor;
mod classic;
mod consumer;
mod offsets;
pub(crate) mod persist;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafka_protocol::messages::{
    delete_groups_response::DeletableGroupResult, list_groups_response::ListedGroup,
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest,
    ConsumerGroupHeartbeatResponse, DeleteGroupsRequest, DeleteGroupsResponse,
    DescribeGroupsRequest, DescribeGroupsResponse, HeartbeatRequest, HeartbeatResponse,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest,
    OffsetDeleteResponse, OffsetFetchRequest, OffsetFetchResponse, ResponseBody, SyncGroupRequest,
    SyncGroupResponse, TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use kafka_protocol::Uuid;

pub use assignor::AssignorKind;

use classic::ClassicGroup;
use consumer::ConsumerGroup;
use offsets::OffsetStore;

/// Settings of the group coordinator. Each setter names the broker property it mirrors.
///
/// Defaults are Kafka's except `group.initial.rebalance.delay.ms`, which is 0 here (Kafka: 3000)
/// so tests do not wait for the first rebalance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    initial_rebalance_delay: Duration,
    min_session_timeout: Duration,
    max_session_timeout: Duration,
    max_group_size: usize,
    offsets_retention: Duration,
    offsets_retention_check_interval: Duration,
    offset_metadata_max_bytes: usize,
    consumer_session_timeout: Duration,
    consumer_heartbeat_interval: Duration,
    consumer_assignors: Vec<AssignorKind>,
    seed: u64,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay: Duration::ZERO,
            min_session_timeout: Duration::from_millis(6_000),
            max_session_timeout: Duration::from_millis(1_800_000),
            max_group_size: usize::MAX,
            offsets_retention: Duration::from_secs(7 * 24 * 3600),
            offsets_retention_check_interval: Duration::from_millis(600_000),
            offset_metadata_max_bytes: 4096,
            consumer_session_timeout: Duration::from_millis(45_000),
            consumer_heartbeat_interval: Duration::from_millis(5_000),
            consumer_assignors: vec![AssignorKind::Uniform, AssignorKind::Range],
            seed: 0x6b61_666b_615f_6772,
        }
    }
}

/// A property given to [`GroupConfig::from_properties`] that is unknown or has a bad value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupConfigError {
    /// The key is not a group coordinator property.
    #[error("unknown group coordinator property `{key}`")]
    UnknownKey {
        /// The property name.
        key: String,
    },
    /// The value does not parse or is out of range.
    #[error("invalid value `{value}` for `{key}`: expected {expected}")]
    InvalidValue {
        /// The property name.
        key: String,
        /// The value given.
        value: String,
        /// What the property accepts.
        expected: &'static str,
    },
}

impl GroupConfig {
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits
    /// for more members (extended per new member up to the rebalance timeout). Default 0 here.
    pub fn with_initial_rebalance_delay(mut self, delay: Duration) -> Self {
        self.initial_rebalance_delay = delay;
        self
    }

    /// `group.min.session.timeout.ms` (default 6000): smaller JoinGroup session timeouts get
    /// INVALID_SESSION_TIMEOUT.
    pub fn with_min_session_timeout(mut self, timeout: Duration) -> Self {
        self.min_session_timeout = timeout;
        self
    }

    /// `group.max.session.timeout.ms` (default 1800000).
    pub fn with_max_session_timeout(mut self, timeout: Duration) -> Self {
        self.max_session_timeout = timeout;
        self
    }

    /// `group.max.size` (default unbounded): joins beyond it get GROUP_MAX_SIZE_REACHED.
    pub fn with_max_group_size(mut self, size: usize) -> Self {
        self.max_group_size = size;
        self
    }

    /// `offsets.retention.minutes` (default 7 days): how long offsets of an empty group (or of
    /// topics no member subscribes to) are kept.
    pub fn with_offsets_retention(mut self, retention: Duration) -> Self {
        self.offsets_retention = retention;
        self
    }

    /// `offsets.retention.check.interval.ms` (default 600000): how often expired offsets and
    /// dead empty groups are swept.
    pub fn with_offsets_retention_check_interval(mut self, interval: Duration) -> Self {
        self.offsets_retention_check_interval = interval;
        self
    }

    /// `offset.metadata.max.bytes` (default 4096): longer commit metadata strings get
    /// OFFSET_METADATA_TOO_LARGE.
    pub fn with_offset_metadata_max_bytes(mut self, bytes: usize) -> Self {
        self.offset_metadata_max_bytes = bytes;
        self
    }

    /// `group.consumer.session.timeout.ms` (default 45000): KIP-848 member session timeout.
    pub fn with_consumer_session_timeout(mut self, timeout: Duration) -> Self {
        self.consumer_session_timeout = timeout;
        self
    }

    /// `group.consumer.heartbeat.interval.ms` (default 5000): KIP-848 heartbeat interval told
    /// to members.
    pub fn with_consumer_heartbeat_interval(mut self, interval: Duration) -> Self {
        self.consumer_heartbeat_interval = interval;
        self
    }

    /// `group.consumer.assignors` (default `uniform,range`): the server-side assignors; the
    /// first is used when no member asks for one. An empty list keeps the default.
    pub fn with_consumer_assignors(mut self, assignors: Vec<AssignorKind>) -> Self {
        if !assignors.is_empty() {
            self.consumer_assignors = assignors;
        }
        self
    }

    /// Seed of the random source that mints member ids (no Kafka property: determinism).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Builds a config from Kafka-style `key=value` broker properties (only the group
    /// coordinator's keys listed on the setters, plus `testkit.group.seed`).
    pub fn from_properties<'a, I>(props: I) -> Result<Self, GroupConfigError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut config = Self::default();
        for (key, value) in props {
            let millis = || -> Result<Duration, GroupConfigError> {
                value
                    .trim()
                    .parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| GroupConfigError::InvalidValue {
                        key: key.to_owned(),
                        value: value.to_owned(),
                        expected: "a non-negative number of milliseconds",
                    })
            };
            match key {
                "group.initial.rebalance.delay.ms" => config.initial_rebalance_delay = millis()?,
                "group.min.session.timeout.ms" => config.min_session_timeout = millis()?,
                "group.max.session.timeout.ms" => config.max_session_timeout = millis()?,
                "offsets.retention.check.interval.ms" => {
                    config.offsets_retention_check_interval = millis()?
                }
                "group.consumer.session.timeout.ms" => config.consumer_session_timeout = millis()?,
                "group.consumer.heartbeat.interval.ms" => {
                    config.consumer_heartbeat_interval = millis()?
                }
                "offsets.retention.minutes" => {
                    let minutes = value.trim().parse::<u64>().map_err(|_| {
                        GroupConfigError::InvalidValue {
                            key: key.to_owned(),
                            value: value.to_owned(),
                            expected: "a non-negative number of minutes",
                        }
                    })?;
                    config.offsets_retention = Duration::from_secs(minutes.saturating_mul(60));
                }
                "group.max.size" | "offset.metadata.max.bytes" | "testkit.group.seed" => {
                    let n = value.trim().parse::<u64>().map_err(|_| {
                        GroupConfigError::InvalidValue {
                            key: key.to_owned(),
                            value: value.to_owned(),
                            expected: "a non-negative integer",
                        }
                    })?;
                    let as_usize = usize::try_from(n).unwrap_or(usize::MAX);
                    match key {
                        "group.max.size" => config.max_group_size = as_usize,
                        "offset.metadata.max.bytes" => config.offset_metadata_max_bytes = as_usize,
                        _ => config.seed = n,
                    }
                }
                "group.consumer.assignors" => {
                    let mut kinds = Vec::new();
                    for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        let kind = AssignorKind::from_name(name).ok_or_else(|| {
                            GroupConfigError::InvalidValue {
                                key: key.to_owned(),
                                value: value.to_owned(),
                                expected: "a comma-separated list of `uniform`, `range`",
                            }
                        })?;
                        kinds.push(kind);
                    }
                    config = config.with_consumer_assignors(kinds);
                }
                _ => {
                    return Err(GroupConfigError::UnknownKey {
                        key: key.to_owned(),
                    })
                }
            }
        }
        Ok(config)
    }

    /// `group.initial.rebalance.delay.ms`.
    pub fn initial_rebalance_delay(&self) -> Duration {
        self.initial_rebalance_delay
    }

    /// `group.min.session.timeout.ms`.
    pub fn min_session_timeout(&self) -> Duration {
        self.min_session_timeout
    }

    /// `group.max.session.timeout.ms`.
    pub fn max_session_timeout(&self) -> Duration {
        self.max_session_timeout
    }

    /// `offsets.retention.minutes` as a duration.
    pub fn offsets_retention(&self) -> Duration {
        self.offsets_retention
    }

    /// `group.consumer.session.timeout.ms`.
    pub fn consumer_session_timeout(&self) -> Duration {
        self.consumer_session_timeout
    }

    /// `group.consumer.heartbeat.interval.ms`.
    pub fn consumer_heartbeat_interval(&self) -> Duration {
        self.consumer_heartbeat_interval
    }

    /// The default KIP-848 assignor (first of `group.consumer.assignors`).
    pub fn default_assignor(&self) -> AssignorKind {
        self.consumer_assignors
            .first()
            .copied()
            .unwrap_or(AssignorKind::Uniform)
    }
}

/// An opaque handle the caller attaches to a request that may be answered later; the
/// coordinator hands it back in the [`Completion`]. Tokens of requests in flight must be
/// unique.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyToken(pub u64);

/// A response to a request that was parked earlier.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// The token the request was parked with.
    pub token: ReplyToken,
    /// The request's API version (the response is built for it).
    pub version: i16,
    /// The response: `ResponseBody::JoinGroup` or `ResponseBody::SyncGroup`.
    pub response: ResponseBody,
}

/// The immediate outcome of a request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<T> {
    /// Answer now with this.
    Ready(T),
    /// The request is parked under its [`ReplyToken`]; its response will come back as a
    /// [`Completion`].
    Pending,
}

impl<T> Answer<T> {
    /// The ready response, if any.
    pub fn ready(self) -> Option<T> {
        match self {
            Self::Ready(t) => Some(t),
            Self::Pending => None,
        }
    }
}

/// What a group call produced: its own answer and any parked requests it completed.
#[derive(Clone, Debug, PartialEq)]
pub struct Handled<T> {
    /// The answer to this request.
    pub answer: Answer<T>,
    /// Responses to other parked requests that this call completed (send them too).
    pub completions: Vec<Completion>,
}

/// Who sent a request: the request header's client id and the peer address, which
/// DescribeGroups and ConsumerGroupDescribe report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The request header's `client_id` (empty when null).
    pub client_id: String,
    /// The client's host as Kafka prints it, e.g. `/127.0.0.1`.
    pub client_host: String,
}

impl ClientInfo {
    /// A client with this id and host.
    pub fn new(client_id: impl Into<String>, client_host: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_host: client_host.into(),
        }
    }
}

/// The cluster's topics as the coordinator needs them: the caller implements this over its
/// own topic table.
pub trait TopicView {
    /// The partition count of `topic`, `None` when it does not exist.
    fn partitions(&self, topic: &str) -> Option<i32>;
    /// The id of `topic`.
    fn topic_id(&self, topic: &str) -> Option<Uuid>;
    /// The name of the topic with this id.
    fn topic_name(&self, id: Uuid) -> Option<String>;
    /// Every topic a regex subscription may match (leave internal topics out).
    fn topic_names(&self) -> Vec<String>;
}

/// A fixed [`TopicView`] built from a list, for tests and simple callers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicTable {
    topics: BTreeMap<String, (Uuid, i32)>,
}

impl TopicTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a topic.
    pub fn with_topic(mut self, name: impl Into<String>, id: Uuid, partitions: i32) -> Self {
        self.insert(name, id, partitions);
        self
    }

    /// Adds (or replaces) a topic.
    pub fn insert(&mut self, name: impl Into<String>, id: Uuid, partitions: i32) {
        self.topics.insert(name.into(), (id, partitions));
    }

    /// Removes a topic.
    pub fn remove(&mut self, name: &str) {
        self.topics.remove(name);
    }
}

impl TopicView for TopicTable {
    fn partitions(&self, topic: &str) -> Option<i32> {
        self.topics.get(topic).map(|(_, n)| *n)
    }

    fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.topics.get(topic).map(|(id, _)| *id)
    }

    fn topic_name(&self, id: Uuid) -> Option<String> {
        self.topics
            .iter()
            .find(|(_, (tid, _))| *tid == id)
            .map(|(name, _)| name.clone())
    }

    fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }
}

/// One offset staged by a transactional producer (TxnOffsetCommit), applied or dropped when
/// the transaction ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnOffset {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: i32,
    /// The offset to commit.
    pub offset: i64,
    /// The leader epoch of the last consumed record, -1 when unknown.
    pub leader_epoch: i32,
    /// Commit metadata (`None` is stored as the empty string, like Kafka).
    pub metadata: Option<String>,
}

/// The group coordinator of the whole in-process cluster.
#[derive(Debug)]
pub struct GroupCoordinator {
    config: GroupConfig,
    groups: BTreeMap<String, Group>,
    rng: Rng,
    /// Orders commits so a transaction's offsets lose to a plain commit written after them.
    commit_seq: u64,
    next_retention_check: Option<Instant>,
    /// Last group incarnation handed out.
    incarnations: u64,
}

/// One group: its membership (classic or consumer) and its committed offsets.
#[derive(Debug)]
struct Group {
    kind: GroupKind,
    offsets: OffsetStore,
    /// Which creation of this group id this is (unique per coordinator): `data_dir`
    /// persistence tells a deleted and re-created group from the one it wrote before.
    incarnation: u64,
}

#[derive(Debug)]
enum GroupKind {
    Classic(ClassicGroup),
    Consumer(ConsumerGroup),
}

impl Group {
    fn has_members(&self) -> bool {
        match &self.kind {
            GroupKind::Classic(g) => !g.members.is_empty(),
            GroupKind::Consumer(g) => !g.members.is_empty(),
        }
    }

    fn state_name(&self) -> &'static str {
        match &self.kind {
            GroupKind::Classic(g) => g.state.name(),
            GroupKind::Consumer(g) => g.state_name(),
        }
    }

    fn protocol_type(&self) -> String {
        match &self.kind {
            GroupKind::Classic(g) => g.protocol_type.clone().unwrap_or_default(),
            GroupKind::Consumer(_) => "consumer".to_owned(),
        }
    }

    fn type_name(&self) -> &'static str {
        match &self.kind {
            GroupKind::Classic(_) => "classic",
            GroupKind::Consumer(_) => "consumer",
        }
    }

    /// Whether some member consumes `topic` (OffsetDelete refuses those partitions).
    fn is_subscribed_to(&self, topic: &str) -> bool {
        match &self.kind {
            GroupKind::Classic(g) => g.is_subscribed_to(topic),
            GroupKind::Consumer(g) => g.is_subscribed_to(topic),
        }
    }
}

/// Authorized operations of a group when the client asks for them and nothing is denied:
/// READ (3), DELETE (6) and DESCRIBE (8) as a bit field.
const GROUP_AUTHORIZED_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8);
/// `AuthorizedOperations` when the client did not ask.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

impl GroupCoordinator {
    /// A coordinator with no groups.
    pub fn new(config: GroupConfig) -> Self {
        let rng = Rng::new(config.seed);
        Self {
            config,
            groups: BTreeMap::new(),
            rng,
            commit_seq: 0,
            next_retention_check: None,
            incarnations: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// The ids of every group the coordinator knows, sorted.
    pub fn group_ids(&self) -> Vec<String> {
        self.groups.keys().cloned().collect()
    }

    /// A group's state name as DescribeGroups/ConsumerGroupDescribe report it, `None` if the
    /// group does not exist.
    pub fn group_state(&self, group_id: &str) -> Option<&'static str> {
        self.groups.get(group_id).map(Group::state_name)
    }

    // ---------------------------------------------------------------- classic protocol

    /// JoinGroup v0-9. May park the request under `token`.
    pub fn join_group(
        &mut self,
        now: Instant,
        token: ReplyToken,
        version: i16,
        client: &ClientInfo,
        request: JoinGroupRequest,
    ) -> Handled<JoinGroupResponse> {
        self.arm_retention(now);
        let mut out = Vec::new();
        let immediate = self.join_group_inner(now, token, version, client, request, &mut out);
        finish(immediate, token, &mut out, |body| match body {
            ResponseBody::JoinGroup(r) => Some(r),
            _ => None,
        })
    }

    fn join_group_inner(
        &mut self,
        now: Instant,
        token: ReplyToken,
        version: i16,
        client: &ClientInfo,
        request: JoinGroupRequest,
        out: &mut Vec<Completion>,
    ) -> Option<JoinGroupResponse> {
        let error = |code: i16| Some(classic::join_error(version, code, &request.member_id));
        if request.group_id.is_empty() {
            return error(code::INVALID_GROUP_ID);
        }
        let session = u64::try_from(request.session_timeout_ms)
            .ok()
            .map(Duration::from_millis);
        match session {
            Some(s)
                if s >= self.config.min_session_timeout && s <= self.config.max_session_timeout => {
            }
            _ => return error(code::INVALID_SESSION_TIMEOUT),
        }
        if let Some(group) = self.groups.get(&request.group_id) {
            if let GroupKind::Consumer(g) = &group.kind {
                if !g.members.is_empty() {
                    return error(code::INCONSISTENT_GROUP_PROTOCOL);
                }
            }
        } else if !request.member_id.is_empty() {
            return error(code::UNKNOWN_MEMBER_ID);
        }
        let group_id = request.group_id.clone();
        let incarnation = self.next_incarnation();
        let group = self
            .groups
            .entry(group_id.clone())
            .or_insert_with(|| Group {
                kind: GroupKind::Classic(ClassicGroup::new(Some(now))),
                offsets: OffsetStore::default(),
                incarnation,
            });
        if let GroupKind::Consumer(_) = group.kind {
            // An empty consumer group becomes a classic one; its offsets stay.
            group.kind = GroupKind::Classic(ClassicGroup::new(Some(now)));
        }
        let GroupKind::Classic(classic) = &mut group.kind else {
            return error(code::UNKNOWN_SERVER_ERROR);
        };
        let response = classic.join(
            now,
            token,
            version,
            client,
            request,
            &self.config,
            &mut self.rng,
            out,
        );
        if group.is_vacant() && group.offsets.is_empty() {
            // A join that failed on a group it just created leaves nothing behind.
            self.groups.remove(&group_id);
        }
        response
    }

    /// SyncGroup v0-5. May park the request under `token`.
    pub fn sync_group(
        &mut self,
        now: Instant,
        token: ReplyToken,
        version: i16,
        request: SyncGroupRequest,
    ) -> Handled<SyncGroupResponse> {
        let mut out = Vec::new();
        let immediate = match self.groups.get_mut(&request.group_id) {
            Some(Group {
                kind: GroupKind::Classic(g),
                ..
            }) => g.sync(now, token, version, request, &mut out),
            _ => Some(classic::sync_error(version, code::UNKNOWN_MEMBER_ID)),
        };
        finish(immediate, token, &mut out, |body| match body {
            ResponseBody::SyncGroup(r) => Some(r),
            _ => None,
        })
    }

    /// Heartbeat v0-4.
    pub fn heartbeat(
        &mut self,
        now: Instant,
        version: i16,
        request: HeartbeatRequest,
    ) -> HeartbeatResponse {
        let _ = version;
        let code = match self.groups.get_mut(&request.group_id) {
            Some(Group {
                kind: GroupKind::Classic(g),
                ..
            }) => g.heartbeat(now, &request),
            _ => code::UNKNOWN_MEMBER_ID,
        };
        HeartbeatResponse::default().with_error_code(code)
    }

    /// LeaveGroup v0-5 (v3+ removes a batch of members, with per-member errors).
    pub fn leave_group(
        &mut self,
        now: Instant,
        version: i16,
        request: LeaveGroupRequest,
    ) -> Handled<LeaveGroupResponse> {
        let mut out = Vec::new();
        let response = match self.groups.get_mut(&request.group_id) {
            Some(Group {
                kind: GroupKind::Classic(g),
                ..
            }) => g.leave(now, version, &request, &mut out),
            _ => classic::leave_unknown_group(version, &request),
        };
        Handled {
            answer: Answer::Ready(response),
            completions: out,
        }
    }

    /// DescribeGroups v0-5. Unknown groups (and KIP-848 groups, as Kafka 3.7+ does) are
    /// described as `Dead` with no error.
    pub fn describe_groups(
        &self,
        version: i16,
        request: &DescribeGroupsRequest,
    ) -> DescribeGroupsResponse {
        let groups = request
            .groups
            .iter()
            .map(|id| {
                let mut described = match self.groups.get(id) {
                    Some(Group {
                        kind: GroupKind::Classic(g),
                        ..
                    }) => g.describe(id),
                    _ => classic::describe_dead(id),
                };
                // The field exists from v3; the request flag too.
                described.authorized_operations =
                    if version >= 3 && request.include_authorized_operations {
                        GROUP_AUTHORIZED_OPERATIONS
                    } else {
                        AUTHORIZED_OPERATIONS_OMITTED
                    };
                described
            })
            .collect();
        DescribeGroupsResponse::default().with_groups(groups)
    }

    /// ListGroups v0-5: states filter (v4+) and types filter (v5+), both case-insensitive.
    pub fn list_groups(&self, version: i16, request: &ListGroupsRequest) -> ListGroupsResponse {
        let states: Vec<String> = if version >= 4 {
            request
                .states_filter
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect()
        } else {
            Vec::new()
        };
        let types: Vec<String> = if version >= 5 {
            request
                .types_filter
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect()
        } else {
            Vec::new()
        };
        let groups = self
            .groups
            .iter()
            .filter(|(_, g)| {
                states.is_empty() || states.contains(&g.state_name().to_ascii_lowercase())
            })
            .filter(|(_, g)| types.is_empty() || types.iter().any(|t| t == g.type_name()))
            .map(|(id, g)| {
                ListedGroup::default()
                    .with_group_id(id.clone())
                    .with_protocol_type(g.protocol_type())
                    .with_group_state(g.state_name().to_owned())
                    .with_group_type(g.type_name().to_owned())
            })
            .collect();
        ListGroupsResponse::default().with_groups(groups)
    }

    /// DeleteGroups v0-2: GROUP_ID_NOT_FOUND for unknown groups, NON_EMPTY_GROUP while members
    /// exist; deleting drops the group's offsets, staged transactional ones included.
    pub fn delete_groups(
        &mut self,
        version: i16,
        request: &DeleteGroupsRequest,
    ) -> DeleteGroupsResponse {
        let _ = version;
        let results = request
            .groups_names
            .iter()
            .map(|id| {
                let code = match self.groups.get(id) {
                    _ if id.is_empty() => code::INVALID_GROUP_ID,
                    None => code::GROUP_ID_NOT_FOUND,
                    // Parked requests imply members, so deleting never strands one; ids handed
                    // out with MEMBER_ID_REQUIRED do not count (the group is Empty, as in Kafka).
                    Some(g) if g.has_members() => code::NON_EMPTY_GROUP,
                    Some(_) => {
                        self.groups.remove(id);
                        code::NONE
                    }
                };
                DeletableGroupResult::default()
                    .with_group_id(id.clone())
                    .with_error_code(code)
            })
            .collect();
        DeleteGroupsResponse::default().with_results(results)
    }

    // ---------------------------------------------------------------- offsets

    /// OffsetCommit v0-9.
    pub fn offset_commit(
        &mut self,
        now: Instant,
        version: i16,
        topics: &dyn TopicView,
        request: &OffsetCommitRequest,
    ) -> OffsetCommitResponse {
        self.arm_retention(now);
        offsets::offset_commit(self, now, version, topics, request)
    }

    /// OffsetFetch v0-9 (v8+ batched groups, v7+ RequireStable).
    pub fn offset_fetch(&self, version: i16, request: &OffsetFetchRequest) -> OffsetFetchResponse {
        offsets::offset_fetch(self, version, request)
    }

    /// OffsetDelete v0.
    pub fn offset_delete(
        &mut self,
        version: i16,
        topics: &dyn TopicView,
        request: &OffsetDeleteRequest,
    ) -> OffsetDeleteResponse {
        let _ = version;
        offsets::offset_delete(self, topics, request)
    }

    /// TxnOffsetCommit v0-4, the group side: validates the group, member and generation
    /// (v3+), topic existence and metadata size, then stages the offsets for `producer_id`.
    /// The transaction coordinator checks the producer id/epoch and that the group was added
    /// to the transaction before calling this.
    pub fn txn_offset_commit(
        &mut self,
        now: Instant,
        version: i16,
        topics: &dyn TopicView,
        request: &TxnOffsetCommitRequest,
    ) -> TxnOffsetCommitResponse {
        self.arm_retention(now);
        offsets::txn_offset_commit(self, now, version, topics, request)
    }

    /// Stages offsets of a transaction without any checks; they become visible when
    /// [`complete_txn`](Self::complete_txn) commits, and vanish when it aborts.
    pub fn stage_txn_offsets(&mut self, producer_id: i64, group_id: &str, offsets: Vec<TxnOffset>) {
        let seq = self.next_commit_seq();
        let incarnation = self.next_incarnation();
        let group = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(|| Group {
                kind: GroupKind::Classic(ClassicGroup::new(None)),
                offsets: OffsetStore::default(),
                incarnation,
            });
        group.offsets.stage(producer_id, offsets, seq);
    }

    /// Ends a transaction: its staged offsets (in every group) are committed at `now` or
    /// dropped. A staged offset loses to a plain commit of the same partition made after it.
    pub fn complete_txn(&mut self, now: Instant, producer_id: i64, commit: bool) {
        for group in self.groups.values_mut() {
            group.offsets.complete_txn(now, producer_id, commit);
        }
        if commit {
            self.arm_retention(now);
        }
    }

    /// Whether a transaction holds uncommitted offsets for this partition (OffsetFetch
    /// RequireStable answers UNSTABLE_OFFSET_COMMIT then).
    pub fn has_pending_txn_offsets(&self, group_id: &str, topic: &str, partition: i32) -> bool {
        self.groups
            .get(group_id)
            .is_some_and(|g| g.offsets.has_pending(topic, partition))
    }

    // ---------------------------------------------------------------- KIP-848

    /// ConsumerGroupHeartbeat v0-1 (KIP-848).
    pub fn consumer_group_heartbeat(
        &mut self,
        now: Instant,
        version: i16,
        client: &ClientInfo,
        topics: &dyn TopicView,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> ConsumerGroupHeartbeatResponse {
        self.arm_retention(now);
        consumer::heartbeat(self, now, version, client, topics, request)
    }

    /// ConsumerGroupDescribe v0 (KIP-848); classic groups get GROUP_ID_NOT_FOUND.
    pub fn consumer_group_describe(
        &self,
        version: i16,
        topics: &dyn TopicView,
        request: &ConsumerGroupDescribeRequest,
    ) -> ConsumerGroupDescribeResponse {
        let _ = version;
        consumer::describe(self, topics, request)
    }

    // ---------------------------------------------------------------- time and lifecycle

    /// When [`on_timeout`](Self::on_timeout) next has work: a rebalance or session timeout,
    /// an initial-delay step, a sync deadline, a KIP-848 session or revocation deadline, or
    /// the periodic offset-retention sweep.
    pub fn next_deadline(&self) -> Option<Instant> {
        let groups = self.groups.values().filter_map(|g| match &g.kind {
            GroupKind::Classic(c) => c.next_deadline(),
            GroupKind::Consumer(c) => c.next_deadline(),
        });
        groups.chain(self.next_retention_check).min()
    }

    /// Runs every timer that is due at `now`, returning the parked requests this completed.
    pub fn on_timeout(&mut self, now: Instant) -> Vec<Completion> {
        let mut out = Vec::new();
        // One pass handles every due timer; a pass can start a timer that is already due only
        // in corner cases (zero timeouts), so a few passes settle it.
        for _ in 0..8 {
            self.timeout_pass(now, &mut out);
            if self.next_deadline().is_none_or(|d| d > now) {
                break;
            }
        }
        out
    }

    fn timeout_pass(&mut self, now: Instant, out: &mut Vec<Completion>) {
        for group in self.groups.values_mut() {
            match &mut group.kind {
                GroupKind::Classic(c) => c.on_timeout(now, out),
                GroupKind::Consumer(c) => c.on_timeout(now),
            }
        }
        if self.next_retention_check.is_some_and(|at| at <= now) {
            self.next_retention_check = None;
            self.expire_offsets(now);
            if !self.groups.is_empty() {
                self.arm_retention(now);
            }
        }
    }

    /// The coordinator of `group_id` moved to another broker: every parked request of the
    /// group completes with NOT_COORDINATOR (the clients find the new coordinator and retry).
    /// Membership and offsets stay, as the new coordinator would load them; member session
    /// timers restart from `now`.
    pub fn coordinator_moved(&mut self, now: Instant, group_id: &str) -> Vec<Completion> {
        let mut out = Vec::new();
        if let Some(Group {
            kind: GroupKind::Classic(g),
            ..
        }) = self.groups.get_mut(group_id)
        {
            g.unload(now, code::NOT_COORDINATOR, &mut out);
        }
        out
    }

    /// Completes every parked request of every group with `error_code` (e.g. NOT_COORDINATOR
    /// when the broker shuts down).
    pub fn fail_all_pending(&mut self, now: Instant, error_code: i16) -> Vec<Completion> {
        let mut out = Vec::new();
        for group in self.groups.values_mut() {
            if let GroupKind::Classic(g) = &mut group.kind {
                g.unload(now, error_code, &mut out);
            }
        }
        out
    }

    // ---------------------------------------------------------------- internals

    /// A fresh incarnation number for a group being created.
    fn next_incarnation(&mut self) -> u64 {
        self.incarnations = self.incarnations.wrapping_add(1);
        self.incarnations
    }

    fn next_commit_seq(&mut self) -> u64 {
        self.commit_seq = self.commit_seq.wrapping_add(1);
        self.commit_seq
    }

    /// Schedules the retention sweep if there is anything to sweep.
    fn arm_retention(&mut self, now: Instant) {
        if self.next_retention_check.is_none() {
            self.next_retention_check =
                now.checked_add(self.config.offsets_retention_check_interval);
        }
    }

    /// Drops expired offsets and groups left with neither members nor offsets.
    fn expire_offsets(&mut self, now: Instant) {
        let retention = self.config.offsets_retention;
        for group in self.groups.values_mut() {
            let policy = match &group.kind {
                GroupKind::Classic(c) => c.expiry_policy(),
                GroupKind::Consumer(c) => c.expiry_policy(),
            };
            group.offsets.expire(now, retention, &policy);
        }
        self.groups
            .retain(|_, g| !(g.is_vacant() && g.offsets.is_empty()));
        if self.groups.is_empty() {
            self.next_retention_check = None;
        }
    }
}

impl Group {
    /// No members, no pending members: nothing but (maybe) offsets.
    fn is_vacant(&self) -> bool {
        match &self.kind {
            GroupKind::Classic(g) => g.is_vacant(),
            GroupKind::Consumer(g) => g.members.is_empty(),
        }
    }
}

/// Which committed offsets of a group may expire, and from when retention counts.
#[derive(Debug)]
pub(crate) enum ExpiryPolicy {
    /// Nothing expires (a rebalance is in progress, or subscriptions are unknown).
    Keep,
    /// All offsets; retention counts from this instant (the group became empty) when given,
    /// else from each offset's commit time.
    All { since: Option<Instant> },
    /// Offsets of topics outside this set, counted from their commit time.
    Unsubscribed {
        topics: std::collections::BTreeSet<String>,
    },
}

/// Pulls the caller's own response out of the completions when it was completed within the
/// call that parked it.
fn finish<T>(
    immediate: Option<T>,
    token: ReplyToken,
    out: &mut Vec<Completion>,
    unwrap: impl Fn(ResponseBody) -> Option<T>,
) -> Handled<T> {
    if let Some(response) = immediate {
        return Handled {
            answer: Answer::Ready(response),
            completions: std::mem::take(out),
        };
    }
    let mut answer = Answer::Pending;
    if let Some(i) = out.iter().position(|c| c.token == token) {
        let own = out.remove(i);
        if let Some(r) = unwrap(own.response) {
            answer = Answer::Ready(r);
        }
    }
    Handled {
        answer,
        completions: std::mem::take(out),
    }
}

/// Kafka error codes the coordinator answers with (numbers are Kafka's).
pub mod code {
    #![allow(missing_docs)]
    pub const NONE: i16 = 0;
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const OFFSET_METADATA_TOO_LARGE: i16 = 12;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const NOT_COORDINATOR: i16 = 16;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub const INVALID_GROUP_ID: i16 = 24;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const UNSUPPORTED_VERSION: i16 = 35;
    pub const INVALID_REQUEST: i16 = 42;
    pub const NON_EMPTY_GROUP: i16 = 68;
    pub const GROUP_ID_NOT_FOUND: i16 = 69;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    pub const GROUP_MAX_SIZE_REACHED: i16 = 81;
    pub const FENCED_INSTANCE_ID: i16 = 82;
    pub const GROUP_SUBSCRIBED_TO_TOPIC: i16 = 86;
    pub const UNSTABLE_OFFSET_COMMIT: i16 = 88;
    pub const FENCED_MEMBER_EPOCH: i16 = 110;
    pub const UNRELEASED_INSTANCE_ID: i16 = 111;
    pub const UNSUPPORTED_ASSIGNOR: i16 = 112;
    pub const STALE_MEMBER_EPOCH: i16 = 113;
    pub const INVALID_REGULAR_EXPRESSION: i16 = 128;
}

/// SplitMix64, seeded from the config, for member ids.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A version-4 UUID.
    fn uuid(&mut self) -> Uuid {
        let mut uuid = Uuid::from_u64_pair(self.next_u64(), self.next_u64());
        uuid.0[6] = (uuid.0[6] & 0x0f) | 0x40;
        uuid.0[8] = (uuid.0[8] & 0x3f) | 0x80;
        uuid
    }

    /// Java's `UUID.toString()` form (8-4-4-4-12 hex), which classic member ids use.
    fn hyphenated_uuid(&mut self) -> String {
        let b = self.uuid().0;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

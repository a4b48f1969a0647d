//! The classic group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and
//! DescribeGroups for one group, with the Empty -> PreparingRebalance -> CompletingRebalance
//! -> Stable life cycle, KIP-394 (member id required), KIP-345 (static membership) and KIP-814
//! (skip assignment for a replaced static leader).
//!
//! Timers a group keeps (all reported through [`ClassicGroup::next_deadline`]):
//! - the rebalance: the initial delay of an empty group's first rebalance (stepped per new
//!   member up to the rebalance timeout), then the rebalance timeout, when members that did
//!   not rejoin are dropped and the generation completes anyway;
//! - each member's session: `last heartbeat + session timeout`, suspended while the member
//!   waits in JoinGroup or SyncGroup, except that a member new to this rebalance is dropped
//!   after five minutes of waiting (Kafka's new-member join timeout);
//! - members that got MEMBER_ID_REQUIRED and have not joined yet: their session timeout;
//! - after a generation forms, every member must SyncGroup within the rebalance timeout or
//!   is removed and the group rebalances again.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::{
    describe_groups_response::{DescribedGroup, DescribedGroupMember},
    join_group_response::JoinGroupResponseMember,
    leave_group_response::MemberResponse,
    ConsumerProtocolSubscription, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, LeaveGroupResponse, ResponseBody, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::Message;

use super::{code, ClientInfo, Completion, ExpiryPolicy, GroupConfig, ReplyToken, Rng};

/// How long a member that joined during this rebalance may wait in JoinGroup before it is
/// dropped (Kafka's `GroupCoordinator.NewMemberJoinTimeoutMs`).
const NEW_MEMBER_JOIN_TIMEOUT: Duration = Duration::from_secs(300);

/// The state of a classic group, named as DescribeGroups reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClassicState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
}

impl ClassicState {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Stable => "Stable",
        }
    }
}

/// A parked request.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    token: ReplyToken,
    version: i16,
}

/// A member of a classic group.
#[derive(Debug)]
pub(crate) struct ClassicMember {
    member_id: String,
    instance_id: Option<String>,
    client_id: String,
    client_host: String,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocol_type: String,
    /// (name, metadata) in the member's order of preference.
    protocols: Vec<(String, Bytes)>,
    assignment: Bytes,
    awaiting_join: Option<Waiter>,
    awaiting_sync: Option<Waiter>,
    /// Joined during the current rebalance (not yet part of a generation).
    is_new: bool,
    joined_at: Instant,
    last_heartbeat: Instant,
    /// Has not sent SyncGroup for the current generation yet.
    pending_sync: bool,
    /// Join order, for deterministic leader election and member lists.
    seq: u64,
}

impl ClassicMember {
    fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    fn metadata_for(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    fn session_deadline(&self) -> Option<Instant> {
        let waiting = self.awaiting_join.is_some() || self.awaiting_sync.is_some();
        if self.is_new && self.awaiting_join.is_some() {
            self.joined_at.checked_add(NEW_MEMBER_JOIN_TIMEOUT)
        } else if waiting {
            None
        } else {
            self.last_heartbeat.checked_add(self.session_timeout)
        }
    }
}

/// The running rebalance (state PreparingRebalance).
#[derive(Debug)]
struct Rebalance {
    /// When the rebalance completes whether or not everyone rejoined.
    deadline: Instant,
    /// The initial-delay phase of an empty group's first rebalance.
    initial: Option<InitialDelay>,
}

#[derive(Debug)]
struct InitialDelay {
    until: Instant,
    delay: Duration,
    remaining: Duration,
    new_member_added: bool,
}

/// One classic group.
#[derive(Debug)]
pub(crate) struct ClassicGroup {
    pub(crate) state: ClassicState,
    /// When the group last became Empty (`None` for groups that only ever stored offsets).
    empty_since: Option<Instant>,
    pub(crate) protocol_type: Option<String>,
    protocol_name: Option<String>,
    generation: i32,
    leader: Option<String>,
    pub(crate) members: BTreeMap<String, ClassicMember>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the instant they expire.
    pub(crate) pending_members: BTreeMap<String, Instant>,
    /// group.instance.id -> member id.
    static_members: BTreeMap<String, String>,
    rebalance: Option<Rebalance>,
    /// Members must SyncGroup by then (set when a generation forms).
    sync_deadline: Option<Instant>,
    /// Topics the members subscribe to (parsed from the consumer protocol metadata); `None`
    /// when unknown.
    subscribed_topics: Option<BTreeSet<String>>,
    next_seq: u64,
}

/// The JoinGroup response for an error.
pub(crate) fn join_error(version: i16, error: i16, member_id: &str) -> JoinGroupResponse {
    let mut r = JoinGroupResponse::default()
        .with_error_code(error)
        .with_generation_id(-1);
    r.member_id = member_id.to_owned();
    r.protocol_name = if version >= 7 {
        None
    } else {
        Some(String::new())
    };
    r
}

/// The SyncGroup response for an error.
pub(crate) fn sync_error(version: i16, error: i16) -> SyncGroupResponse {
    let _ = version;
    SyncGroupResponse::default().with_error_code(error)
}

/// The LeaveGroup answer when the group does not exist: every member is unknown.
pub(crate) fn leave_unknown_group(version: i16, request: &LeaveGroupRequest) -> LeaveGroupResponse {
    let leaving = leaving_members(version, request);
    let members = leaving
        .into_iter()
        .map(|(member_id, instance_id)| {
            MemberResponse::default()
                .with_member_id(member_id)
                .with_group_instance_id(instance_id)
                .with_error_code(code::UNKNOWN_MEMBER_ID)
        })
        .collect();
    leave_response(version, code::NONE, members)
}

/// DescribeGroups' answer for a group that does not exist.
pub(crate) fn describe_dead(group_id: &str) -> DescribedGroup {
    DescribedGroup::default()
        .with_group_id(group_id.to_owned())
        .with_group_state("Dead".to_owned())
}

impl ClassicGroup {
    /// A new Empty group; `empty_since` is `None` for a group created by a simple offset
    /// commit.
    pub(crate) fn new(empty_since: Option<Instant>) -> Self {
        Self {
            state: ClassicState::Empty,
            empty_since,
            protocol_type: None,
            protocol_name: None,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            rebalance: None,
            sync_deadline: None,
            subscribed_topics: None,
            next_seq: 0,
        }
    }

    /// What `data_dir` persistence keeps: protocol type, protocol name, generation, and
    /// whether the group had members.
    pub(crate) fn image(&self) -> (Option<String>, Option<String>, i32, bool) {
        (
            self.protocol_type.clone(),
            self.protocol_name.clone(),
            self.generation,
            !self.is_vacant(),
        )
    }

    /// A group read back from the data dir: Empty, without members (they rejoin, as after a
    /// coordinator failover). A group that had members moves one generation on and forgets
    /// its protocol, as Kafka's group does once the loaded members' sessions expire.
    pub(crate) fn restored(
        now: Instant,
        protocol_type: Option<String>,
        protocol_name: Option<String>,
        generation: i32,
        had_members: bool,
    ) -> Self {
        let mut group = Self::new(protocol_type.is_some().then_some(now));
        group.protocol_type = protocol_type;
        if had_members {
            group.generation = generation.wrapping_add(1);
        } else {
            group.generation = generation;
            group.protocol_name = protocol_name;
        }
        group
    }

    /// Current generation id.
    pub(crate) fn generation(&self) -> i32 {
        self.generation
    }

    /// No members and nobody holding a MEMBER_ID_REQUIRED id.
    pub(crate) fn is_vacant(&self) -> bool {
        self.members.is_empty() && self.pending_members.is_empty()
    }

    /// `Err(code)` when `member_id`/`instance_id` are not a current member (offset commits).
    pub(crate) fn validate_member(
        &self,
        member_id: &str,
        instance_id: Option<&str>,
    ) -> Result<(), i16> {
        if self.is_fenced(member_id, instance_id) {
            return Err(code::FENCED_INSTANCE_ID);
        }
        if !self.members.contains_key(member_id) {
            return Err(code::UNKNOWN_MEMBER_ID);
        }
        Ok(())
    }

    /// Whether `instance_id` belongs to a different member (KIP-345 fencing).
    fn is_fenced(&self, member_id: &str, instance_id: Option<&str>) -> bool {
        instance_id
            .and_then(|iid| self.static_members.get(iid))
            .is_some_and(|current| current != member_id)
    }

    /// Records a heartbeat-equivalent (offset commits reset the session timer in Kafka).
    pub(crate) fn touch(&mut self, now: Instant, member_id: &str) {
        if let Some(m) = self.members.get_mut(member_id) {
            m.last_heartbeat = now;
        }
    }

    pub(crate) fn is_subscribed_to(&self, topic: &str) -> bool {
        if self.members.is_empty() {
            return false;
        }
        match &self.subscribed_topics {
            Some(topics) => topics.contains(topic),
            // Unknown subscriptions: assume the worst, as Kafka does.
            None => true,
        }
    }

    pub(crate) fn expiry_policy(&self) -> ExpiryPolicy {
        match (&self.protocol_type, self.state) {
            (None, _) => ExpiryPolicy::All { since: None },
            (Some(_), ClassicState::Empty) => ExpiryPolicy::All {
                since: self.empty_since,
            },
            (Some(t), ClassicState::Stable) if t == "consumer" => match &self.subscribed_topics {
                Some(topics) => ExpiryPolicy::Unsubscribed {
                    topics: topics.clone(),
                },
                None => ExpiryPolicy::Keep,
            },
            _ => ExpiryPolicy::Keep,
        }
    }

    // ------------------------------------------------------------------ JoinGroup

    /// Handles a JoinGroup; `None` means the request is parked under `token` (and may already
    /// be completed in `out`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn join(
        &mut self,
        now: Instant,
        token: ReplyToken,
        version: i16,
        client: &ClientInfo,
        request: JoinGroupRequest,
        config: &GroupConfig,
        rng: &mut Rng,
        out: &mut Vec<Completion>,
    ) -> Option<JoinGroupResponse> {
        let waiter = Waiter { token, version };
        let protocols: Vec<(String, Bytes)> = request
            .protocols
            .iter()
            .map(|p| (p.name.clone(), p.metadata.clone()))
            .collect();
        let session_timeout =
            Duration::from_millis(u64::try_from(request.session_timeout_ms).unwrap_or(0));
        let rebalance_timeout = match u64::try_from(request.rebalance_timeout_ms) {
            Ok(ms) if version >= 1 => Duration::from_millis(ms),
            _ => session_timeout,
        };
        let error = |code: i16| Some(join_error(version, code, &request.member_id));
        if !self.supports_protocols(&request.protocol_type, &protocols) {
            return error(code::INCONSISTENT_GROUP_PROTOCOL);
        }
        let instance_id = request.group_instance_id.clone().filter(|_| version >= 5);
        let spec = JoinSpec {
            client_id: client.client_id.clone(),
            client_host: client.client_host.clone(),
            instance_id: instance_id.clone(),
            session_timeout,
            rebalance_timeout,
            protocol_type: request.protocol_type.clone(),
            protocols,
        };

        if request.member_id.is_empty() {
            let full = self
                .members
                .len()
                .saturating_add(self.pending_members.len())
                >= config.max_group_size;
            let known_static = instance_id
                .as_ref()
                .and_then(|iid| self.static_members.get(iid))
                .cloned();
            if full && known_static.is_none() {
                return error(code::GROUP_MAX_SIZE_REACHED);
            }
            let new_id = format!("{}-{}", client.client_id, rng.hyphenated_uuid());
            if let Some(old_id) = known_static {
                return self.replace_static_member(now, waiter, &old_id, new_id, spec, config, out);
            }
            if instance_id.is_none() && version >= 4 {
                // KIP-394: hand out the id and wait for the member to come back with it.
                let deadline = now.checked_add(session_timeout).unwrap_or(now);
                self.pending_members.insert(new_id.clone(), deadline);
                return Some(join_error(version, code::MEMBER_ID_REQUIRED, &new_id));
            }
            self.add_member_and_rebalance(now, waiter, new_id, spec, config, out);
            return None;
        }

        let member_id = request.member_id;
        if self.pending_members.remove(&member_id).is_some() {
            self.add_member_and_rebalance(now, waiter, member_id, spec, config, out);
            return None;
        }
        if self.is_fenced(&member_id, instance_id.as_deref()) {
            return Some(join_error(version, code::FENCED_INSTANCE_ID, &member_id));
        }
        let Some(member) = self.members.get(&member_id) else {
            return Some(join_error(version, code::UNKNOWN_MEMBER_ID, &member_id));
        };
        match self.state {
            ClassicState::PreparingRebalance => {
                self.update_member_and_rebalance(now, waiter, &member_id, spec, config, out);
                None
            }
            ClassicState::CompletingRebalance if member.matches(&spec.protocols) => {
                // The member lost its JoinGroup response: send the current generation again.
                Some(self.join_result(&member_id, version))
            }
            ClassicState::Stable
                if member.matches(&spec.protocols)
                    && self.leader.as_deref() != Some(member_id.as_str()) =>
            {
                Some(self.join_result(&member_id, version))
            }
            ClassicState::CompletingRebalance | ClassicState::Stable => {
                self.update_member_and_rebalance(now, waiter, &member_id, spec, config, out);
                None
            }
            ClassicState::Empty => Some(join_error(version, code::UNKNOWN_MEMBER_ID, &member_id)),
        }
    }

    /// Kafka's `supportsProtocols`: an empty group takes anything non-empty; otherwise the
    /// protocol type must match and one protocol must be supported by every member.
    fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            })
    }

    #[allow(clippy::too_many_arguments)]
    fn add_member_and_rebalance(
        &mut self,
        now: Instant,
        waiter: Waiter,
        member_id: String,
        spec: JoinSpec,
        config: &GroupConfig,
        out: &mut Vec<Completion>,
    ) {
        if self.members.is_empty() {
            self.protocol_type = Some(spec.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member_id.clone());
        }
        if let Some(iid) = &spec.instance_id {
            self.static_members.insert(iid.clone(), member_id.clone());
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let member = ClassicMember {
            member_id: member_id.clone(),
            instance_id: spec.instance_id,
            client_id: spec.client_id,
            client_host: spec.client_host,
            session_timeout: spec.session_timeout,
            rebalance_timeout: spec.rebalance_timeout,
            protocol_type: spec.protocol_type,
            protocols: spec.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(waiter),
            awaiting_sync: None,
            is_new: true,
            joined_at: now,
            last_heartbeat: now,
            pending_sync: false,
            seq,
        };
        self.members.insert(member_id, member);
        if let Some(initial) = self.rebalance.as_mut().and_then(|r| r.initial.as_mut()) {
            initial.new_member_added = true;
        }
        self.maybe_prepare_rebalance(now, config, out);
        self.try_complete_join(now, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn update_member_and_rebalance(
        &mut self,
        now: Instant,
        waiter: Waiter,
        member_id: &str,
        spec: JoinSpec,
        config: &GroupConfig,
        out: &mut Vec<Completion>,
    ) {
        if let Some(member) = self.members.get_mut(member_id) {
            if let Some(old) = member.awaiting_join.replace(waiter) {
                // A retried JoinGroup supersedes the parked one; answer the old one so nothing
                // is left hanging.
                out.push(join_completion(
                    old,
                    join_error(old.version, code::REBALANCE_IN_PROGRESS, member_id),
                ));
            }
            member.protocols = spec.protocols;
            member.protocol_type = spec.protocol_type;
            member.session_timeout = spec.session_timeout;
            member.rebalance_timeout = spec.rebalance_timeout;
            member.client_id = spec.client_id;
            member.client_host = spec.client_host;
            member.last_heartbeat = now;
        }
        self.maybe_prepare_rebalance(now, config, out);
        self.try_complete_join(now, out);
    }

    /// KIP-345: a static member rejoined with an unknown member id; the new id takes over the
    /// old member's place, the old id is fenced from now on.
    #[allow(clippy::too_many_arguments)]
    fn replace_static_member(
        &mut self,
        now: Instant,
        waiter: Waiter,
        old_id: &str,
        new_id: String,
        spec: JoinSpec,
        config: &GroupConfig,
        out: &mut Vec<Completion>,
    ) -> Option<JoinGroupResponse> {
        let Some(mut member) = self.members.remove(old_id) else {
            // Stale mapping: treat as a new static member.
            self.add_member_and_rebalance(now, waiter, new_id, spec, config, out);
            return None;
        };
        if let Some(old) = member.awaiting_join.take() {
            out.push(join_completion(
                old,
                join_error(old.version, code::FENCED_INSTANCE_ID, old_id),
            ));
        }
        if let Some(old) = member.awaiting_sync.take() {
            out.push(sync_completion(
                old,
                sync_error(old.version, code::FENCED_INSTANCE_ID),
            ));
        }
        let protocols_changed = !member.matches(&spec.protocols);
        member.member_id = new_id.clone();
        member.last_heartbeat = now;
        member.client_id = spec.client_id.clone();
        member.client_host = spec.client_host.clone();
        member.session_timeout = spec.session_timeout;
        member.rebalance_timeout = spec.rebalance_timeout;
        let was_leader = self.leader.as_deref() == Some(old_id);
        if was_leader {
            self.leader = Some(new_id.clone());
        }
        if let Some(iid) = &spec.instance_id {
            self.static_members.insert(iid.clone(), new_id.clone());
        }
        self.members.insert(new_id.clone(), member);

        match self.state {
            ClassicState::Stable if !protocols_changed => {
                // Nothing changed: no rebalance. The replaced leader must not reassign: v9+
                // says so with SkipAssignment; older versions see the old leader id.
                let version = waiter.version;
                let mut response = self.join_result(&new_id, version);
                if was_leader {
                    if version >= 9 {
                        response.skip_assignment = true;
                        response.members = self.member_list();
                    } else {
                        response.leader = old_id.to_owned();
                        response.members.clear();
                    }
                }
                Some(response)
            }
            ClassicState::Empty => {
                // Cannot happen (a static mapping implies members); join normally.
                self.update_member_and_rebalance(now, waiter, &new_id, spec, config, out);
                None
            }
            _ => {
                self.update_member_and_rebalance(now, waiter, &new_id, spec, config, out);
                None
            }
        }
    }

    fn maybe_prepare_rebalance(
        &mut self,
        now: Instant,
        config: &GroupConfig,
        out: &mut Vec<Completion>,
    ) {
        if self.state != ClassicState::PreparingRebalance {
            self.prepare_rebalance(now, config.initial_rebalance_delay, out);
        }
    }

    /// Starts a rebalance; `delay` (the initial rebalance delay) only applies to an Empty
    /// group.
    fn prepare_rebalance(&mut self, now: Instant, delay: Duration, out: &mut Vec<Completion>) {
        if self.state == ClassicState::CompletingRebalance {
            // The assignment being computed is void: tell the members waiting in SyncGroup.
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
                if let Some(w) = member.awaiting_sync.take() {
                    out.push(sync_completion(
                        w,
                        sync_error(w.version, code::REBALANCE_IN_PROGRESS),
                    ));
                }
            }
        }
        self.sync_deadline = None;
        for member in self.members.values_mut() {
            member.pending_sync = false;
        }
        let timeout = self.rebalance_timeout();
        let deadline = now.checked_add(timeout).unwrap_or(now);
        let initial =
            (self.state == ClassicState::Empty && !delay.is_zero()).then(|| InitialDelay {
                until: now.checked_add(delay).unwrap_or(now),
                delay,
                remaining: timeout.saturating_sub(delay),
                new_member_added: false,
            });
        self.rebalance = Some(Rebalance { deadline, initial });
        self.state = ClassicState::PreparingRebalance;
    }

    /// The group's rebalance timeout: the largest of its members'.
    fn rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Completes the join phase once every member (and every MEMBER_ID_REQUIRED holder) has
    /// joined, unless the initial delay is still running.
    fn try_complete_join(&mut self, now: Instant, out: &mut Vec<Completion>) {
        if self.state != ClassicState::PreparingRebalance {
            return;
        }
        if self.rebalance.as_ref().is_some_and(|r| r.initial.is_some()) {
            return;
        }
        let all_joined = self.members.values().all(|m| m.awaiting_join.is_some());
        if all_joined && self.pending_members.is_empty() {
            self.complete_join(now, out);
        }
    }

    fn complete_join(&mut self, now: Instant, out: &mut Vec<Completion>) {
        self.rebalance = None;
        // Dynamic members that did not rejoin are gone; static ones keep their place until
        // their session times out.
        let stragglers: Vec<String> = self
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && m.instance_id.is_none())
            .map(|m| m.member_id.clone())
            .collect();
        for id in stragglers {
            self.remove_member_only(&id, out);
        }
        if !self.members.is_empty() && self.members.values().all(|m| m.awaiting_join.is_none()) {
            // Only static members that have not rejoined are left: wait another rebalance
            // timeout rather than form a generation nobody joined; their sessions expire
            // meanwhile unless they come back.
            let timeout = self.rebalance_timeout();
            self.rebalance = Some(Rebalance {
                deadline: now.checked_add(timeout).unwrap_or(now),
                initial: None,
            });
            return;
        }
        // The leader must be a member that rejoined.
        let leader_joined = self
            .leader
            .as_ref()
            .and_then(|l| self.members.get(l))
            .is_some_and(|m| m.awaiting_join.is_some());
        if !leader_joined {
            self.leader = self
                .members
                .values()
                .filter(|m| m.awaiting_join.is_some())
                .min_by_key(|m| m.seq)
                .map(|m| m.member_id.clone())
                .or_else(|| {
                    self.members
                        .values()
                        .min_by_key(|m| m.seq)
                        .map(|m| m.member_id.clone())
                });
        }
        self.generation = self.generation.wrapping_add(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.set_empty(now);
            return;
        }
        self.protocol_name = self.select_protocol();
        self.subscribed_topics = self.compute_subscribed_topics();
        self.state = ClassicState::CompletingRebalance;
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let waiter = match self.members.get_mut(&id) {
                Some(m) => {
                    m.is_new = false;
                    m.last_heartbeat = now;
                    m.pending_sync = true;
                    m.awaiting_join.take()
                }
                None => None,
            };
            if let Some(w) = waiter {
                let response = self.join_result(&id, w.version);
                out.push(join_completion(w, response));
            }
        }
        self.sync_deadline = now.checked_add(self.rebalance_timeout());
    }

    fn set_empty(&mut self, now: Instant) {
        self.state = ClassicState::Empty;
        self.empty_since = Some(now);
        self.leader = None;
        self.sync_deadline = None;
        self.rebalance = None;
        self.subscribed_topics = None;
    }

    /// Protocols every member supports, the winner picked by each member's first choice
    /// among them; ties go to the earlier protocol in the oldest member's list.
    fn select_protocol(&self) -> Option<String> {
        let mut ordered: Vec<&ClassicMember> = self.members.values().collect();
        ordered.sort_by_key(|m| m.seq);
        let first = ordered.first()?;
        let candidates: Vec<&str> = first
            .protocols
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|name| {
                ordered
                    .iter()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            })
            .collect();
        let mut votes = vec![0usize; candidates.len()];
        for member in &ordered {
            if let Some(choice) = member
                .protocols
                .iter()
                .find_map(|(n, _)| candidates.iter().position(|c| c == n))
            {
                if let Some(v) = votes.get_mut(choice) {
                    *v = v.saturating_add(1);
                }
            }
        }
        let best = votes
            .iter()
            .enumerate()
            .max_by(|(ia, a), (ib, b)| a.cmp(b).then(ib.cmp(ia)))?
            .0;
        candidates.get(best).map(|s| (*s).to_owned())
    }

    /// The union of the topics in each member's consumer-protocol subscription, when the
    /// group speaks the consumer protocol and every subscription parses.
    fn compute_subscribed_topics(&self) -> Option<BTreeSet<String>> {
        if self.protocol_type.as_deref() != Some("consumer") {
            return None;
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = BTreeSet::new();
        for member in self.members.values() {
            let subscription = parse_subscription(&member.metadata_for(protocol))?;
            topics.extend(subscription.topics);
        }
        Some(topics)
    }

    /// Members with their metadata for the selected protocol, in join order.
    fn member_list(&self) -> Vec<JoinGroupResponseMember> {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let mut ordered: Vec<&ClassicMember> = self.members.values().collect();
        ordered.sort_by_key(|m| m.seq);
        ordered
            .into_iter()
            .map(|m| {
                JoinGroupResponseMember::default()
                    .with_member_id(m.member_id.clone())
                    .with_group_instance_id(m.instance_id.clone())
                    .with_metadata(m.metadata_for(&protocol))
            })
            .collect()
    }

    /// The JoinGroup response for `member_id` in the current generation; the leader gets
    /// every member's metadata.
    fn join_result(&self, member_id: &str, version: i16) -> JoinGroupResponse {
        let is_leader = self.leader.as_deref() == Some(member_id);
        let mut r = JoinGroupResponse::default().with_generation_id(self.generation);
        r.protocol_type = if version >= 7 {
            self.protocol_type.clone()
        } else {
            None
        };
        r.protocol_name = match (&self.protocol_name, version >= 7) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => Some(String::new()),
        };
        r.leader = self.leader.clone().unwrap_or_default();
        r.member_id = member_id.to_owned();
        if is_leader {
            r.members = self.member_list();
        }
        r
    }

    // ------------------------------------------------------------------ SyncGroup

    /// Handles a SyncGroup; `None` means parked under `token`.
    pub(crate) fn sync(
        &mut self,
        now: Instant,
        token: ReplyToken,
        version: i16,
        request: SyncGroupRequest,
        out: &mut Vec<Completion>,
    ) -> Option<SyncGroupResponse> {
        let error = |code: i16| Some(sync_error(version, code));
        let instance_id = request
            .group_instance_id
            .as_deref()
            .filter(|_| version >= 3);
        if self.is_fenced(&request.member_id, instance_id) {
            return error(code::FENCED_INSTANCE_ID);
        }
        if !self.members.contains_key(&request.member_id) {
            return error(code::UNKNOWN_MEMBER_ID);
        }
        if request.generation_id != self.generation {
            return error(code::ILLEGAL_GENERATION);
        }
        if version >= 5 {
            let type_mismatch = request
                .protocol_type
                .as_ref()
                .is_some_and(|t| Some(t) != self.protocol_type.as_ref());
            let name_mismatch = request
                .protocol_name
                .as_ref()
                .is_some_and(|n| Some(n) != self.protocol_name.as_ref());
            if type_mismatch || name_mismatch {
                return error(code::INCONSISTENT_GROUP_PROTOCOL);
            }
        }
        match self.state {
            ClassicState::Empty => error(code::UNKNOWN_MEMBER_ID),
            ClassicState::PreparingRebalance => error(code::REBALANCE_IN_PROGRESS),
            ClassicState::CompletingRebalance => {
                let waiter = Waiter { token, version };
                if let Some(m) = self.members.get_mut(&request.member_id) {
                    if let Some(old) = m.awaiting_sync.replace(waiter) {
                        out.push(sync_completion(
                            old,
                            sync_error(old.version, code::REBALANCE_IN_PROGRESS),
                        ));
                    }
                    m.pending_sync = false;
                    m.last_heartbeat = now;
                }
                if self.leader.as_deref() == Some(request.member_id.as_str()) {
                    let mut given: BTreeMap<String, Bytes> = BTreeMap::new();
                    for a in request.assignments {
                        given.insert(a.member_id, a.assignment);
                    }
                    for m in self.members.values_mut() {
                        m.assignment = given.remove(&m.member_id).unwrap_or_default();
                    }
                    self.state = ClassicState::Stable;
                    let (protocol_type, protocol_name) =
                        (self.protocol_type.clone(), self.protocol_name.clone());
                    for m in self.members.values_mut() {
                        if let Some(w) = m.awaiting_sync.take() {
                            let response = sync_ok(
                                w.version,
                                &protocol_type,
                                &protocol_name,
                                m.assignment.clone(),
                            );
                            out.push(sync_completion(w, response));
                        }
                    }
                }
                self.maybe_clear_sync_deadline();
                None
            }
            ClassicState::Stable => {
                let member = self.members.get_mut(&request.member_id)?;
                member.pending_sync = false;
                member.last_heartbeat = now;
                let assignment = member.assignment.clone();
                self.maybe_clear_sync_deadline();
                Some(sync_ok(
                    version,
                    &self.protocol_type,
                    &self.protocol_name,
                    assignment,
                ))
            }
        }
    }

    fn maybe_clear_sync_deadline(&mut self) {
        if self.members.values().all(|m| !m.pending_sync) {
            self.sync_deadline = None;
        }
    }

    // ------------------------------------------------------------------ Heartbeat

    pub(crate) fn heartbeat(&mut self, now: Instant, request: &HeartbeatRequest) -> i16 {
        if self.is_fenced(&request.member_id, request.group_instance_id.as_deref()) {
            return code::FENCED_INSTANCE_ID;
        }
        if self.state == ClassicState::Empty {
            return code::UNKNOWN_MEMBER_ID;
        }
        let generation = self.generation;
        let state = self.state;
        let Some(member) = self.members.get_mut(&request.member_id) else {
            return code::UNKNOWN_MEMBER_ID;
        };
        if request.generation_id != generation {
            return code::ILLEGAL_GENERATION;
        }
        member.last_heartbeat = now;
        match state {
            ClassicState::PreparingRebalance => code::REBALANCE_IN_PROGRESS,
            _ => code::NONE,
        }
    }

    // ------------------------------------------------------------------ LeaveGroup

    pub(crate) fn leave(
        &mut self,
        now: Instant,
        version: i16,
        request: &LeaveGroupRequest,
        out: &mut Vec<Completion>,
    ) -> LeaveGroupResponse {
        let mut responses = Vec::new();
        let mut removed_any = false;
        for (member_id, instance_id) in leaving_members(version, request) {
            let code = if member_id.is_empty() {
                // Administrative removal by instance id (KIP-345).
                match instance_id
                    .as_ref()
                    .and_then(|iid| self.static_members.get(iid))
                    .cloned()
                {
                    Some(current) => {
                        self.remove_member_only(&current, out);
                        removed_any = true;
                        code::NONE
                    }
                    None => code::UNKNOWN_MEMBER_ID,
                }
            } else if self.pending_members.remove(&member_id).is_some() {
                removed_any = true;
                code::NONE
            } else if self.is_fenced(&member_id, instance_id.as_deref()) {
                code::FENCED_INSTANCE_ID
            } else if self.members.contains_key(&member_id) {
                self.remove_member_only(&member_id, out);
                removed_any = true;
                code::NONE
            } else {
                code::UNKNOWN_MEMBER_ID
            };
            responses.push(
                MemberResponse::default()
                    .with_member_id(member_id)
                    .with_group_instance_id(instance_id)
                    .with_error_code(code),
            );
        }
        if removed_any {
            self.after_removal(now, out);
        }
        leave_response(version, code::NONE, responses)
    }

    /// Removes a member, answering its parked requests with UNKNOWN_MEMBER_ID; the caller
    /// follows up with [`after_removal`](Self::after_removal).
    fn remove_member_only(&mut self, member_id: &str, out: &mut Vec<Completion>) {
        let Some(mut member) = self.members.remove(member_id) else {
            return;
        };
        if let Some(w) = member.awaiting_join.take() {
            out.push(join_completion(
                w,
                join_error(w.version, code::UNKNOWN_MEMBER_ID, member_id),
            ));
        }
        if let Some(w) = member.awaiting_sync.take() {
            out.push(sync_completion(
                w,
                sync_error(w.version, code::UNKNOWN_MEMBER_ID),
            ));
        }
        if let Some(iid) = &member.instance_id {
            if self.static_members.get(iid).is_some_and(|m| m == member_id) {
                self.static_members.remove(iid);
            }
        }
        if self.leader.as_deref() == Some(member_id) {
            self.leader = self
                .members
                .values()
                .min_by_key(|m| m.seq)
                .map(|m| m.member_id.clone());
        }
    }

    /// What follows a member's departure: a stable or completing group rebalances; a
    /// rebalancing group may now have everyone it waits for.
    fn after_removal(&mut self, now: Instant, out: &mut Vec<Completion>) {
        match self.state {
            ClassicState::Empty => {}
            ClassicState::PreparingRebalance => self.try_complete_join(now, out),
            ClassicState::Stable | ClassicState::CompletingRebalance => {
                if self.members.is_empty() {
                    // Nobody left to rebalance: the generation ends here.
                    self.generation = self.generation.wrapping_add(1);
                    self.protocol_name = None;
                    for m in self.members.values_mut() {
                        m.pending_sync = false;
                    }
                    self.set_empty(now);
                } else {
                    self.prepare_rebalance(now, Duration::ZERO, out);
                }
            }
        }
    }

    // ------------------------------------------------------------------ DescribeGroups

    pub(crate) fn describe(&self, group_id: &str) -> DescribedGroup {
        let stable = self.state == ClassicState::Stable;
        let protocol = self.protocol_name.clone().unwrap_or_default();
        let mut ordered: Vec<&ClassicMember> = self.members.values().collect();
        ordered.sort_by_key(|m| m.seq);
        let members = ordered
            .into_iter()
            .map(|m| {
                let mut d = DescribedGroupMember::default()
                    .with_member_id(m.member_id.clone())
                    .with_group_instance_id(m.instance_id.clone())
                    .with_client_id(m.client_id.clone())
                    .with_client_host(m.client_host.clone());
                if stable {
                    d.member_metadata = m.metadata_for(&protocol);
                    d.member_assignment = m.assignment.clone();
                }
                d
            })
            .collect();
        DescribedGroup::default()
            .with_group_id(group_id.to_owned())
            .with_group_state(self.state.name().to_owned())
            .with_protocol_type(self.protocol_type.clone().unwrap_or_default())
            .with_protocol_data(if stable { protocol } else { String::new() })
            .with_members(members)
    }

    // ------------------------------------------------------------------ timers

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let rebalance = self.rebalance.as_ref().map(|r| match &r.initial {
            Some(i) => i.until,
            None => r.deadline,
        });
        let members = self
            .members
            .values()
            .filter_map(ClassicMember::session_deadline);
        let pending = self.pending_members.values().copied();
        rebalance
            .into_iter()
            .chain(members)
            .chain(pending)
            .chain(self.sync_deadline)
            .min()
    }

    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut Vec<Completion>) {
        // Expired MEMBER_ID_REQUIRED holders.
        let before = self.pending_members.len();
        self.pending_members.retain(|_, deadline| *deadline > now);
        let pending_expired = self.pending_members.len() != before;

        // Members whose session expired.
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| m.session_deadline().is_some_and(|d| d <= now))
            .map(|m| m.member_id.clone())
            .collect();
        for id in &expired {
            self.remove_member_only(id, out);
        }
        if !expired.is_empty() {
            self.after_removal(now, out);
        } else if pending_expired {
            self.try_complete_join(now, out);
        }

        // Members that never synced after the generation formed.
        if self.sync_deadline.is_some_and(|d| d <= now) {
            self.sync_deadline = None;
            let laggards: Vec<String> = self
                .members
                .values()
                .filter(|m| m.pending_sync)
                .map(|m| m.member_id.clone())
                .collect();
            if !laggards.is_empty() {
                for id in &laggards {
                    self.remove_member_only(id, out);
                }
                self.after_removal(now, out);
            }
        }

        // The rebalance: initial-delay steps, then the rebalance timeout.
        let step = match &mut self.rebalance {
            Some(Rebalance {
                initial: Some(initial),
                ..
            }) if initial.until <= now => {
                if initial.new_member_added && !initial.remaining.is_zero() {
                    let step = initial.delay.min(initial.remaining);
                    initial.remaining = initial.remaining.saturating_sub(step);
                    initial.new_member_added = false;
                    initial.until = now.checked_add(step).unwrap_or(now);
                    None
                } else {
                    Some(())
                }
            }
            Some(Rebalance {
                initial: None,
                deadline,
            }) if *deadline <= now => Some(()),
            _ => None,
        };
        if step.is_some() {
            if self.state == ClassicState::PreparingRebalance {
                self.complete_join(now, out);
            } else {
                self.rebalance = None;
            }
        }
    }

    /// The coordinator moved: every parked request gets `error`; membership stays and
    /// sessions restart from `now`, as when a new coordinator loads the group.
    pub(crate) fn unload(&mut self, now: Instant, error: i16, out: &mut Vec<Completion>) {
        for m in self.members.values_mut() {
            if let Some(w) = m.awaiting_join.take() {
                out.push(join_completion(
                    w,
                    join_error(w.version, error, &m.member_id),
                ));
            }
            if let Some(w) = m.awaiting_sync.take() {
                out.push(sync_completion(w, sync_error(w.version, error)));
            }
            m.is_new = false;
            m.last_heartbeat = now;
        }
        if let Some(r) = &mut self.rebalance {
            // The members rejoin at the new coordinator; give them a full timeout to do so.
            r.initial = None;
            r.deadline = now
                .checked_add(
                    self.members
                        .values()
                        .map(|m| m.rebalance_timeout)
                        .max()
                        .unwrap_or_default(),
                )
                .unwrap_or(now);
        }
    }
}

/// What a JoinGroup says about the member.
struct JoinSpec {
    client_id: String,
    client_host: String,
    instance_id: Option<String>,
    session_timeout: Duration,
    rebalance_timeout: Duration,
    protocol_type: String,
    protocols: Vec<(String, Bytes)>,
}

fn join_completion(w: Waiter, response: JoinGroupResponse) -> Completion {
    Completion {
        token: w.token,
        version: w.version,
        response: ResponseBody::JoinGroup(response),
    }
}

fn sync_completion(w: Waiter, response: SyncGroupResponse) -> Completion {
    Completion {
        token: w.token,
        version: w.version,
        response: ResponseBody::SyncGroup(response),
    }
}

fn sync_ok(
    version: i16,
    protocol_type: &Option<String>,
    protocol_name: &Option<String>,
    assignment: Bytes,
) -> SyncGroupResponse {
    let mut r = SyncGroupResponse::default().with_assignment(assignment);
    if version >= 5 {
        r.protocol_type = protocol_type.clone();
        r.protocol_name = protocol_name.clone();
    }
    r
}

/// (member id, instance id) pairs a LeaveGroup names: one member before v3, a batch after.
fn leaving_members(version: i16, request: &LeaveGroupRequest) -> Vec<(String, Option<String>)> {
    if version >= 3 {
        request
            .members
            .iter()
            .map(|m| (m.member_id.clone(), m.group_instance_id.clone()))
            .collect()
    } else {
        vec![(request.member_id.clone(), None)]
    }
}

/// Before v3 the single member's error is the top-level error and no member list is sent.
fn leave_response(version: i16, error: i16, members: Vec<MemberResponse>) -> LeaveGroupResponse {
    if version >= 3 {
        LeaveGroupResponse::default()
            .with_error_code(error)
            .with_members(members)
    } else {
        let member_error = members.first().map_or(code::NONE, |m| m.error_code);
        LeaveGroupResponse::default().with_error_code(if error != code::NONE {
            error
        } else {
            member_error
        })
    }
}

/// Parses a consumer-protocol subscription (version prefix + body).
pub(crate) fn parse_subscription(metadata: &Bytes) -> Option<ConsumerProtocolSubscription> {
    let mut buf = metadata.clone();
    if buf.len() < 2 {
        return None;
    }
    let version = i16::from_be_bytes([*buf.first()?, *buf.get(1)?]);
    bytes::Buf::advance(&mut buf, 2);
    // Newer versions than we know are read as the newest we know (their prefix is compatible).
    let known = ConsumerProtocolSubscription::VERSIONS;
    let version = version.clamp(0, known.max);
    ConsumerProtocolSubscription::decode(&mut buf, version).ok()
}

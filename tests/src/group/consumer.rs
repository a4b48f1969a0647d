//! KIP-848, the consumer group protocol: ConsumerGroupHeartbeat v0-1 and
//! ConsumerGroupDescribe v0.
//!
//! The group keeps a *group epoch* (bumped when membership, a subscription, the requested
//! assignor or the metadata of a subscribed topic changes) and a *target assignment*
//! computed by the server-side assignor for that epoch (the *assignment epoch*). Each member
//! reconciles towards its target one heartbeat at a time:
//!
//! - partitions it holds but should not are revoked first: the member stays at its epoch,
//!   is told to keep only the rest, and must confirm (a heartbeat whose owned partitions no
//!   longer include them) within its rebalance timeout or it is fenced;
//! - partitions it should get are handed over only once no other member holds them (their
//!   previous owner confirmed the revocation); until then the member waits at the new epoch
//!   (UNRELEASED_PARTITIONS);
//! - when it holds exactly its target it is Stable at the assignment epoch.
//!
//! Members are fenced by their session timeout (`group.consumer.session.timeout.ms`); epoch
//! -1 leaves, epoch -2 is a static member's temporary leave (it keeps its assignment until
//! its session expires or its instance id rejoins). Regex subscriptions use the `regex` crate
//! (RE2-like syntax, not Java's RE2J; differences are rare) and must match the whole name.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use kafka_protocol::messages::{
    consumer_group_describe_response as describe_rs,
    consumer_group_heartbeat_response as heartbeat_rs, ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
};
use kafka_protocol::Uuid;
use regex::Regex;

use super::assignor::{self, Assignment, AssignorKind, MemberSpec};
use super::offsets::OffsetStore;
use super::{
    code, ClientInfo, ExpiryPolicy, Group, GroupConfig, GroupCoordinator, GroupKind, Rng,
    TopicView, AUTHORIZED_OPERATIONS_OMITTED, GROUP_AUTHORIZED_OPERATIONS,
};

/// Epoch of a member leaving for good.
const LEAVE_EPOCH: i32 = -1;
/// Epoch of a static member leaving temporarily.
const STATIC_LEAVE_EPOCH: i32 = -2;

/// Where a member is in reconciling towards its target assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemberState {
    Stable,
    UnrevokedPartitions,
    UnreleasedPartitions,
}

/// A KIP-848 member.
#[derive(Debug)]
pub(crate) struct ConsumerMember {
    member_id: String,
    instance_id: Option<String>,
    rack_id: Option<String>,
    client_id: String,
    client_host: String,
    pub(crate) member_epoch: i32,
    previous_epoch: i32,
    state: MemberState,
    subscribed_names: Vec<String>,
    subscribed_regex: Option<(String, Regex)>,
    server_assignor: Option<AssignorKind>,
    rebalance_timeout: Duration,
    assigned: Assignment,
    pending_revocation: Assignment,
    session_deadline: Instant,
    revocation_deadline: Option<Instant>,
}

impl ConsumerMember {
    fn subscribes_to(&self, topic: &str) -> bool {
        self.subscribed_names.iter().any(|t| t == topic)
            || self
                .subscribed_regex
                .as_ref()
                .is_some_and(|(_, re)| re.is_match(topic))
    }
}

/// A KIP-848 consumer group.
#[derive(Debug)]
pub(crate) struct ConsumerGroup {
    group_epoch: i32,
    assignment_epoch: i32,
    pub(crate) members: BTreeMap<String, ConsumerMember>,
    /// group.instance.id -> member id.
    static_members: BTreeMap<String, String>,
    target: BTreeMap<String, Assignment>,
    /// Who holds each partition (assigned or still revoking).
    owners: BTreeMap<(Uuid, i32), String>,
    /// Subscribed topics that exist: name -> (id, partition count).
    subscription_metadata: BTreeMap<String, (Uuid, i32)>,
    assignor: AssignorKind,
    empty_since: Option<Instant>,
}

/// What the heartbeat handler borrows from the coordinator.
struct Ctx<'a> {
    now: Instant,
    config: &'a GroupConfig,
    rng: &'a mut Rng,
    topics: &'a dyn TopicView,
    client: &'a ClientInfo,
}

/// A heartbeat refused with this error code and message.
struct Reject {
    code: i16,
    message: String,
}

impl Reject {
    fn new(code: i16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn into_response(self) -> ConsumerGroupHeartbeatResponse {
        error_response(self.code, self.message)
    }
}

fn error_response(code: i16, message: impl Into<String>) -> ConsumerGroupHeartbeatResponse {
    let mut r = ConsumerGroupHeartbeatResponse::default().with_error_code(code);
    r.error_message = Some(message.into());
    r
}

/// ConsumerGroupHeartbeat.
pub(crate) fn heartbeat(
    coordinator: &mut GroupCoordinator,
    now: Instant,
    version: i16,
    client: &ClientInfo,
    topics: &dyn TopicView,
    request: &ConsumerGroupHeartbeatRequest,
) -> ConsumerGroupHeartbeatResponse {
    let regex = match validate(coordinator.config(), version, request) {
        Ok(regex) => regex,
        Err(reject) => return reject.into_response(),
    };
    let epoch = request.member_epoch;
    let group_id = &request.group_id;
    match coordinator.groups.get_mut(group_id) {
        Some(Group {
            kind: GroupKind::Classic(c),
            ..
        }) if !c.is_vacant() => {
            return error_response(
                code::GROUP_ID_NOT_FOUND,
                format!("Group {group_id} is not a consumer group."),
            );
        }
        Some(
            group @ Group {
                kind: GroupKind::Classic(_),
                ..
            },
        ) => {
            if epoch != 0 {
                return error_response(
                    code::GROUP_ID_NOT_FOUND,
                    format!("Group {group_id} is not a consumer group."),
                );
            }
            // An empty classic group becomes a consumer group; its offsets stay.
            group.kind =
                GroupKind::Consumer(ConsumerGroup::new(coordinator.config.default_assignor()));
        }
        Some(_) => {}
        None => {
            if epoch != 0 {
                return error_response(
                    code::GROUP_ID_NOT_FOUND,
                    format!("Consumer group {group_id} not found."),
                );
            }
            let incarnation = coordinator.next_incarnation();
            coordinator.groups.insert(
                group_id.clone(),
                Group {
                    kind: GroupKind::Consumer(ConsumerGroup::new(
                        coordinator.config.default_assignor(),
                    )),
                    offsets: OffsetStore::default(),
                    incarnation,
                },
            );
        }
    }
    let Some(Group {
        kind: GroupKind::Consumer(group),
        ..
    }) = coordinator.groups.get_mut(group_id)
    else {
        return error_response(code::UNKNOWN_SERVER_ERROR, "group vanished");
    };
    let mut ctx = Ctx {
        now,
        config: &coordinator.config,
        rng: &mut coordinator.rng,
        topics,
        client,
    };
    let response = group.heartbeat(&mut ctx, request, regex);
    if group.members.is_empty() && response.error_code != code::NONE {
        // A join that failed on a group it created leaves nothing behind.
        if coordinator
            .groups
            .get(group_id)
            .is_some_and(|g| g.offsets.is_empty())
        {
            coordinator.groups.remove(group_id);
        }
    }
    response
}

/// Request checks that need no group (Kafka's `throwIfConsumerGroupHeartbeatRequestIsInvalid`).
/// Returns the compiled regex when the request sets a non-empty one.
fn validate(
    config: &GroupConfig,
    version: i16,
    request: &ConsumerGroupHeartbeatRequest,
) -> Result<Option<Option<(String, Regex)>>, Reject> {
    let invalid = |m: &str| Err(Reject::new(code::INVALID_REQUEST, m));
    if request.group_id.is_empty() {
        return invalid("GroupId can't be empty.");
    }
    if request.instance_id.as_deref() == Some("") {
        return invalid("InstanceId can't be empty.");
    }
    if request.rack_id.as_deref() == Some("") {
        return invalid("RackId can't be empty.");
    }
    // Version 1+ clients generate their member id (KIP-848); checked against Kafka 4.3 by
    // tests/differential.rs.
    if version >= 1 && request.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    match request.member_epoch {
        0 => {
            if request.rebalance_timeout_ms < 0 {
                return invalid("RebalanceTimeoutMs must be provided in first request.");
            }
            if request
                .topic_partitions
                .as_ref()
                .is_none_or(|t| !t.is_empty())
            {
                return invalid("TopicPartitions must be empty when (re-)joining.");
            }
            let has_regex = version >= 1 && request.subscribed_topic_regex.is_some();
            if request.subscribed_topic_names.is_none() && !has_regex {
                return invalid(
                    "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.",
                );
            }
        }
        STATIC_LEAVE_EPOCH if request.instance_id.is_none() => {
            return invalid("InstanceId can't be null when leaving with epoch -2.");
        }
        e if e < STATIC_LEAVE_EPOCH => return invalid("MemberEpoch is invalid."),
        _ => {
            if request.member_id.is_empty() {
                return invalid("MemberId can't be empty.");
            }
        }
    }
    if let Some(name) = &request.server_assignor {
        let known = AssignorKind::from_name(name).filter(|k| config.consumer_assignors.contains(k));
        if known.is_none() {
            return Err(Reject::new(
                code::UNSUPPORTED_ASSIGNOR,
                format!("ServerAssignor {name} is not supported."),
            ));
        }
    }
    if version < 1 {
        return Ok(None);
    }
    match request.subscribed_topic_regex.as_deref() {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(pattern) => match Regex::new(&format!("^(?:{pattern})$")) {
            Ok(re) => Ok(Some(Some((pattern.to_owned(), re)))),
            Err(e) => Err(Reject::new(
                code::INVALID_REGULAR_EXPRESSION,
                format!("SubscribedTopicRegex `{pattern}` is not a valid regular expression: {e}"),
            )),
        },
    }
}

impl ConsumerGroup {
    fn new(assignor: AssignorKind) -> Self {
        Self {
            group_epoch: 0,
            assignment_epoch: 0,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            target: BTreeMap::new(),
            owners: BTreeMap::new(),
            subscription_metadata: BTreeMap::new(),
            assignor,
            empty_since: None,
        }
    }

    /// What `data_dir` persistence keeps: group epoch, assignment epoch, assignor, and
    /// whether the group had members. Members, their assignments and the target assignment
    /// are not kept (members rejoin with epoch 0 after a restart).
    pub(crate) fn image(&self) -> (i32, i32, AssignorKind, bool) {
        (
            self.group_epoch,
            self.assignment_epoch,
            self.assignor,
            !self.members.is_empty(),
        )
    }

    /// A group read back from the data dir, Empty. If it had members their removal bumps
    /// the group epoch once (Kafka bumps it as their sessions expire), so the next member
    /// gets a fresh assignment epoch.
    pub(crate) fn restored(
        now: Instant,
        group_epoch: i32,
        assignment_epoch: i32,
        assignor: AssignorKind,
        had_members: bool,
    ) -> Self {
        let mut group = Self::new(assignor);
        group.group_epoch = if had_members {
            group_epoch.saturating_add(1)
        } else {
            group_epoch
        };
        group.assignment_epoch = assignment_epoch.min(group.group_epoch);
        group.empty_since = Some(now);
        group
    }

    /// Kafka's consumer group state names.
    pub(crate) fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.group_epoch != self.assignment_epoch {
            "Assigning"
        } else if self
            .members
            .values()
            .any(|m| m.member_epoch != self.assignment_epoch || m.state != MemberState::Stable)
        {
            "Reconciling"
        } else {
            "Stable"
        }
    }

    pub(crate) fn is_subscribed_to(&self, topic: &str) -> bool {
        self.members.values().any(|m| m.subscribes_to(topic))
    }

    pub(crate) fn expiry_policy(&self) -> ExpiryPolicy {
        if self.members.is_empty() {
            ExpiryPolicy::All {
                since: self.empty_since,
            }
        } else {
            ExpiryPolicy::Unsubscribed {
                topics: self.subscription_metadata.keys().cloned().collect(),
            }
        }
    }

    fn bump_group_epoch(&mut self) {
        self.group_epoch = self.group_epoch.saturating_add(1);
    }

    fn heartbeat(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ConsumerGroupHeartbeatRequest,
        regex: Option<Option<(String, Regex)>>,
    ) -> ConsumerGroupHeartbeatResponse {
        let epoch = request.member_epoch;
        if epoch == LEAVE_EPOCH || epoch == STATIC_LEAVE_EPOCH {
            return self.leave(ctx.now, request);
        }
        let joining = epoch == 0;
        let mut changed = false;
        let member_id = if joining {
            match self.join_member(ctx, request) {
                Ok((id, is_new)) => {
                    changed = is_new;
                    id
                }
                Err(reject) => return reject.into_response(),
            }
        } else {
            let Some(member) = self.members.get(&request.member_id) else {
                return error_response(
                    code::UNKNOWN_MEMBER_ID,
                    format!("Member {} is not a member of the group.", request.member_id),
                );
            };
            if let Err(code) = check_epoch(member, epoch, request.topic_partitions.as_deref()) {
                return error_response(
                    code,
                    format!(
                        "Member epoch {epoch} does not match the current epoch {}.",
                        member.member_epoch
                    ),
                );
            }
            request.member_id.clone()
        };

        // Apply what the heartbeat says about the member.
        let session = ctx.config.consumer_session_timeout;
        if let Some(member) = self.members.get_mut(&member_id) {
            member.session_deadline = ctx.now.checked_add(session).unwrap_or(ctx.now);
            member.client_id = ctx.client.client_id.clone();
            member.client_host = ctx.client.client_host.clone();
            if let Ok(ms) = u64::try_from(request.rebalance_timeout_ms) {
                member.rebalance_timeout = Duration::from_millis(ms);
            }
            if let Some(rack) = &request.rack_id {
                member.rack_id = Some(rack.clone());
            }
            if let Some(names) = &request.subscribed_topic_names {
                let mut names = names.clone();
                names.sort();
                names.dedup();
                if names != member.subscribed_names {
                    member.subscribed_names = names;
                    changed = true;
                }
            }
            if let Some(new_regex) = regex {
                let old = member.subscribed_regex.as_ref().map(|(p, _)| p.as_str());
                if old != new_regex.as_ref().map(|(p, _)| p.as_str()) {
                    member.subscribed_regex = new_regex;
                    changed = true;
                }
            }
            if let Some(name) = &request.server_assignor {
                let kind = AssignorKind::from_name(name);
                if kind != member.server_assignor {
                    member.server_assignor = kind;
                    changed = true;
                }
            }
        }
        // One bump per heartbeat, whatever changed (membership, subscription, metadata).
        if self.refresh_subscription_metadata(ctx.topics) || changed {
            self.bump_group_epoch();
        }
        if self.group_epoch > self.assignment_epoch {
            self.compute_target_assignment(ctx.config);
        }

        let before = self
            .members
            .get(&member_id)
            .map(|m| m.assigned.clone())
            .unwrap_or_default();
        let owned = request.topic_partitions.as_deref().map(to_assignment);
        self.reconcile(&member_id, ctx.now, owned.as_ref());
        let Some(member) = self.members.get(&member_id) else {
            return error_response(code::UNKNOWN_SERVER_ERROR, "member vanished");
        };
        let mut response = ConsumerGroupHeartbeatResponse::default()
            .with_member_epoch(member.member_epoch)
            .with_heartbeat_interval_ms(duration_ms(ctx.config.consumer_heartbeat_interval));
        response.member_id = Some(member_id.clone());
        let send_assignment = joining
            || before != member.assigned
            || owned.as_ref().is_some_and(|o| *o != member.assigned);
        if send_assignment {
            response.assignment = Some(
                heartbeat_rs::Assignment::default().with_topic_partitions(
                    member
                        .assigned
                        .iter()
                        .map(|(id, ps)| {
                            heartbeat_rs::TopicPartitions::default()
                                .with_topic_id(*id)
                                .with_partitions(ps.iter().copied().collect())
                        })
                        .collect(),
                ),
            );
        }
        response
    }

    /// A heartbeat with epoch 0: a new member, a rejoining one, or a static member taking
    /// over its instance id. Returns the member id and whether the member is new.
    fn join_member(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> Result<(String, bool), Reject> {
        if let Some(iid) = &request.instance_id {
            if let Some(old_id) = self.static_members.get(iid).cloned() {
                if old_id == request.member_id {
                    return Ok((old_id, false));
                }
                let old_epoch = self
                    .members
                    .get(&old_id)
                    .map_or(STATIC_LEAVE_EPOCH, |m| m.member_epoch);
                if old_epoch != STATIC_LEAVE_EPOCH {
                    return Err(Reject::new(
                        code::UNRELEASED_INSTANCE_ID,
                        format!("Static member {old_id} with instance id {iid} is still active."),
                    ));
                }
                let new_id = self.new_member_id(ctx, &request.member_id);
                self.replace_static_member(&old_id, &new_id, ctx.now);
                return Ok((new_id, false));
            }
        }
        if !request.member_id.is_empty() && self.members.contains_key(&request.member_id) {
            return Ok((request.member_id.clone(), false));
        }
        let member_id = self.new_member_id(ctx, &request.member_id);
        let member = ConsumerMember {
            member_id: member_id.clone(),
            instance_id: request.instance_id.clone(),
            rack_id: None,
            client_id: ctx.client.client_id.clone(),
            client_host: ctx.client.client_host.clone(),
            member_epoch: 0,
            previous_epoch: -1,
            state: MemberState::Stable,
            subscribed_names: Vec::new(),
            subscribed_regex: None,
            server_assignor: None,
            rebalance_timeout: Duration::ZERO,
            assigned: Assignment::new(),
            pending_revocation: Assignment::new(),
            session_deadline: ctx.now,
            revocation_deadline: None,
        };
        if let Some(iid) = &request.instance_id {
            self.static_members.insert(iid.clone(), member_id.clone());
        }
        self.members.insert(member_id.clone(), member);
        self.empty_since = None;
        Ok((member_id, true))
    }

    /// The client's id (KIP-848 v1 clients make their own) or a fresh one.
    fn new_member_id(&self, ctx: &mut Ctx<'_>, requested: &str) -> String {
        if !requested.is_empty() && !self.members.contains_key(requested) {
            return requested.to_owned();
        }
        ctx.rng.uuid().to_string()
    }

    /// The new member inherits the old one's epoch, assignment and target; no rebalance.
    fn replace_static_member(&mut self, old_id: &str, new_id: &str, now: Instant) {
        let Some(mut member) = self.members.remove(old_id) else {
            return;
        };
        member.member_id = new_id.to_owned();
        member.session_deadline = now;
        // A static member leaving with -2 keeps the epoch it had before leaving as its
        // previous epoch; it resumes at the current assignment epoch once reconciled.
        if member.member_epoch == STATIC_LEAVE_EPOCH {
            member.member_epoch = member.previous_epoch.max(0);
        }
        if let Some(iid) = &member.instance_id {
            self.static_members.insert(iid.clone(), new_id.to_owned());
        }
        self.members.insert(new_id.to_owned(), member);
        if let Some(target) = self.target.remove(old_id) {
            self.target.insert(new_id.to_owned(), target);
        }
        for owner in self.owners.values_mut() {
            if owner == old_id {
                *owner = new_id.to_owned();
            }
        }
    }

    fn leave(
        &mut self,
        now: Instant,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> ConsumerGroupHeartbeatResponse {
        let epoch = request.member_epoch;
        let Some(member) = self.members.get_mut(&request.member_id) else {
            return error_response(
                code::UNKNOWN_MEMBER_ID,
                format!("Member {} is not a member of the group.", request.member_id),
            );
        };
        if request.instance_id.is_some() && request.instance_id != member.instance_id {
            return error_response(
                code::FENCED_INSTANCE_ID,
                "InstanceId does not match the member.",
            );
        }
        if epoch == STATIC_LEAVE_EPOCH {
            // Keeps its assignment; its instance id may rejoin under a new member id.
            if member.member_epoch != STATIC_LEAVE_EPOCH {
                member.previous_epoch = member.member_epoch;
            }
            member.member_epoch = STATIC_LEAVE_EPOCH;
        } else {
            self.remove_member(&request.member_id, now);
        }
        let mut response = ConsumerGroupHeartbeatResponse::default().with_member_epoch(epoch);
        response.member_id = Some(request.member_id.clone());
        response
    }

    /// Removes a member (left, fenced or timed out): its partitions are free at once.
    fn remove_member(&mut self, member_id: &str, now: Instant) {
        let Some(member) = self.members.remove(member_id) else {
            return;
        };
        if let Some(iid) = &member.instance_id {
            if self.static_members.get(iid).is_some_and(|m| m == member_id) {
                self.static_members.remove(iid);
            }
        }
        self.target.remove(member_id);
        self.owners.retain(|_, owner| owner != member_id);
        self.bump_group_epoch();
        if self.members.is_empty() {
            self.empty_since = Some(now);
        }
    }

    /// Re-reads the subscribed topics (names and regex matches) from the cluster; a change
    /// (topic created or deleted, partitions added) returns true: the group epoch must bump.
    fn refresh_subscription_metadata(&mut self, topics: &dyn TopicView) -> bool {
        let mut names: BTreeSet<String> = self
            .members
            .values()
            .flat_map(|m| m.subscribed_names.iter().cloned())
            .collect();
        if self.members.values().any(|m| m.subscribed_regex.is_some()) {
            for topic in topics.topic_names() {
                if self.members.values().any(|m| {
                    m.subscribed_regex
                        .as_ref()
                        .is_some_and(|(_, re)| re.is_match(&topic))
                }) {
                    names.insert(topic);
                }
            }
        }
        let metadata: BTreeMap<String, (Uuid, i32)> = names
            .into_iter()
            .filter_map(|name| {
                let id = topics.topic_id(&name)?;
                let partitions = topics.partitions(&name)?;
                Some((name, (id, partitions)))
            })
            .collect();
        if metadata == self.subscription_metadata {
            return false;
        }
        self.subscription_metadata = metadata;
        true
    }

    fn compute_target_assignment(&mut self, config: &GroupConfig) {
        self.assignor = self.preferred_assignor(config);
        let specs: Vec<MemberSpec> = self
            .members
            .values()
            .map(|m| MemberSpec {
                member_id: m.member_id.clone(),
                topics: self
                    .subscription_metadata
                    .keys()
                    .filter(|t| m.subscribes_to(t))
                    .cloned()
                    .collect(),
                current: self.target.get(&m.member_id).cloned().unwrap_or_default(),
            })
            .collect();
        self.target = assignor::assign(self.assignor, &specs, &self.subscription_metadata);
        self.assignment_epoch = self.group_epoch;
    }

    /// The assignor most members ask for (ties: the configured order), else the default.
    fn preferred_assignor(&self, config: &GroupConfig) -> AssignorKind {
        let mut votes: BTreeMap<AssignorKind, usize> = BTreeMap::new();
        for kind in self.members.values().filter_map(|m| m.server_assignor) {
            let v = votes.entry(kind).or_default();
            *v = v.saturating_add(1);
        }
        let rank = |k: &AssignorKind| {
            config
                .consumer_assignors
                .iter()
                .position(|c| c == k)
                .unwrap_or(usize::MAX)
        };
        votes
            .into_iter()
            .max_by(|(ka, va), (kb, vb)| va.cmp(vb).then(rank(kb).cmp(&rank(ka))))
            .map_or_else(|| config.default_assignor(), |(k, _)| k)
    }

    /// One reconciliation step for `member_id` given the partitions it reports owning.
    fn reconcile(&mut self, member_id: &str, now: Instant, owned: Option<&Assignment>) {
        let Some(member) = self.members.get(member_id) else {
            return;
        };
        match member.state {
            MemberState::Stable if member.member_epoch == self.assignment_epoch => {}
            MemberState::UnrevokedPartitions if owns_any(owned, &member.pending_revocation) => {}
            _ => self.compute_next_assignment(member_id, now, owned),
        }
    }

    fn compute_next_assignment(
        &mut self,
        member_id: &str,
        now: Instant,
        owned: Option<&Assignment>,
    ) {
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let assignment_epoch = self.assignment_epoch;
        let owners = &self.owners;
        let Some(member) = self.members.get_mut(member_id) else {
            return;
        };
        let kept = intersect(&member.assigned, &target);
        let revoke = subtract(&member.assigned, &target);
        let wanted = subtract(&target, &member.assigned);
        if !revoke.is_empty() && owns_any(owned, &revoke) {
            member.state = MemberState::UnrevokedPartitions;
            member.assigned = kept;
            member.pending_revocation = revoke;
            if member.revocation_deadline.is_none() {
                member.revocation_deadline = now.checked_add(member.rebalance_timeout);
            }
        } else {
            let free: Assignment = wanted
                .iter()
                .map(|(id, ps)| {
                    let ps: BTreeSet<i32> = ps
                        .iter()
                        .copied()
                        .filter(|p| owners.get(&(*id, *p)).is_none_or(|o| o == member_id))
                        .collect();
                    (*id, ps)
                })
                .filter(|(_, ps)| !ps.is_empty())
                .collect();
            let all_free = count(&free) == count(&wanted);
            let mut assigned = kept;
            for (id, ps) in free {
                assigned.entry(id).or_default().extend(ps);
            }
            member.assigned = assigned;
            member.pending_revocation.clear();
            member.revocation_deadline = None;
            if member.member_epoch != assignment_epoch {
                member.previous_epoch = member.member_epoch;
                member.member_epoch = assignment_epoch;
            }
            member.state = if all_free {
                MemberState::Stable
            } else {
                MemberState::UnreleasedPartitions
            };
        }
        let held: Vec<(Uuid, i32)> = member
            .assigned
            .iter()
            .chain(member.pending_revocation.iter())
            .flat_map(|(id, ps)| ps.iter().map(move |p| (*id, *p)))
            .collect();
        self.owners.retain(|_, owner| owner != member_id);
        for key in held {
            self.owners.insert(key, member_id.to_owned());
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.members
            .values()
            .flat_map(|m| [Some(m.session_deadline), m.revocation_deadline])
            .flatten()
            .min()
    }

    /// Fences members whose session expired or who did not revoke in time.
    pub(crate) fn on_timeout(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| {
                m.session_deadline <= now || m.revocation_deadline.is_some_and(|d| d <= now)
            })
            .map(|m| m.member_id.clone())
            .collect();
        for id in expired {
            self.remove_member(&id, now);
        }
    }

    fn describe(&self, group_id: &str, topics: &dyn TopicView) -> describe_rs::DescribedGroup {
        let to_described = |a: &Assignment| {
            describe_rs::Assignment::default().with_topic_partitions(
                a.iter()
                    .map(|(id, ps)| {
                        describe_rs::TopicPartitions::default()
                            .with_topic_id(*id)
                            .with_topic_name(topics.topic_name(*id).unwrap_or_default())
                            .with_partitions(ps.iter().copied().collect())
                    })
                    .collect(),
            )
        };
        let members = self
            .members
            .values()
            .map(|m| {
                describe_rs::Member::default()
                    .with_member_id(m.member_id.clone())
                    .with_instance_id(m.instance_id.clone())
                    .with_rack_id(m.rack_id.clone())
                    .with_member_epoch(m.member_epoch)
                    .with_client_id(m.client_id.clone())
                    .with_client_host(m.client_host.clone())
                    .with_subscribed_topic_names(m.subscribed_names.clone())
                    // Kafka describes a member without a regex with "" (not null);
                    // checked against Kafka 4.3 by tests/differential.rs.
                    .with_subscribed_topic_regex(Some(
                        m.subscribed_regex
                            .as_ref()
                            .map_or_else(String::new, |(p, _)| p.clone()),
                    ))
                    // Kafka describes the partitions a member still owns: the kept ones and
                    // those pending revocation (checked against Kafka 4.3 by
                    // tests/differential.rs).
                    .with_assignment(to_described(&{
                        let mut owned = m.assigned.clone();
                        for (id, ps) in &m.pending_revocation {
                            owned.entry(*id).or_default().extend(ps.iter().copied());
                        }
                        owned
                    }))
                    .with_target_assignment(to_described(
                        &self.target.get(&m.member_id).cloned().unwrap_or_default(),
                    ))
            })
            .collect();
        describe_rs::DescribedGroup::default()
            .with_group_id(group_id.to_owned())
            .with_group_state(self.state_name().to_owned())
            .with_group_epoch(self.group_epoch)
            .with_assignment_epoch(self.assignment_epoch)
            .with_assignor_name(self.assignor.name().to_owned())
            .with_members(members)
    }
}

/// ConsumerGroupDescribe.
pub(crate) fn describe(
    coordinator: &GroupCoordinator,
    topics: &dyn TopicView,
    request: &ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    let groups = request
        .group_ids
        .iter()
        .map(|id| {
            let mut described = match coordinator.groups.get(id) {
                Some(Group {
                    kind: GroupKind::Consumer(g),
                    ..
                }) => g.describe(id, topics),
                Some(_) => not_found(id, format!("Group {id} is not a consumer group.")),
                None => not_found(id, format!("Group {id} not found.")),
            };
            described.authorized_operations = if request.include_authorized_operations {
                GROUP_AUTHORIZED_OPERATIONS
            } else {
                AUTHORIZED_OPERATIONS_OMITTED
            };
            described
        })
        .collect();
    ConsumerGroupDescribeResponse::default().with_groups(groups)
}

fn not_found(group_id: &str, message: String) -> describe_rs::DescribedGroup {
    let mut d = describe_rs::DescribedGroup::default()
        .with_group_id(group_id.to_owned())
        .with_error_code(code::GROUP_ID_NOT_FOUND);
    d.error_message = Some(message);
    d
}

/// KIP-848 epoch check: a newer epoch than the member's is fenced; an older one is accepted
/// only if it is the previous epoch and the member owns no more than it is assigned (the
/// response that moved it on was lost).
fn check_epoch(
    member: &ConsumerMember,
    epoch: i32,
    owned: Option<&[kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions]>,
) -> Result<(), i16> {
    if epoch == member.member_epoch {
        return Ok(());
    }
    if epoch > member.member_epoch {
        return Err(code::FENCED_MEMBER_EPOCH);
    }
    let subset = owned.is_some_and(|o| {
        let owned = to_assignment(o);
        owned
            .iter()
            .all(|(id, ps)| member.assigned.get(id).is_some_and(|a| ps.is_subset(a)))
    });
    if epoch == member.previous_epoch && subset {
        Ok(())
    } else {
        Err(code::FENCED_MEMBER_EPOCH)
    }
}

fn to_assignment(
    partitions: &[kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions],
) -> Assignment {
    let mut out = Assignment::new();
    for tp in partitions {
        if !tp.partitions.is_empty() {
            out.entry(tp.topic_id)
                .or_default()
                .extend(tp.partitions.iter().copied());
        }
    }
    out
}

/// Whether the member still holds any of `partitions`; not reporting owned partitions
/// counts as holding them.
fn owns_any(owned: Option<&Assignment>, partitions: &Assignment) -> bool {
    match owned {
        None => true,
        Some(owned) => partitions
            .iter()
            .any(|(id, ps)| owned.get(id).is_some_and(|o| !o.is_disjoint(ps))),
    }
}

fn intersect(a: &Assignment, b: &Assignment) -> Assignment {
    a.iter()
        .filter_map(|(id, ps)| {
            let both: BTreeSet<i32> = ps.intersection(b.get(id)?).copied().collect();
            (!both.is_empty()).then_some((*id, both))
        })
        .collect()
}

fn subtract(a: &Assignment, b: &Assignment) -> Assignment {
    a.iter()
        .filter_map(|(id, ps)| {
            let rest: BTreeSet<i32> = match b.get(id) {
                Some(other) => ps.difference(other).copied().collect(),
                None => ps.clone(),
            };
            (!rest.is_empty()).then_some((*id, rest))
        })
        .collect()
}

fn count(a: &Assignment) -> usize {
    a.values().map(BTreeSet::len).sum()
}

fn duration_ms(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

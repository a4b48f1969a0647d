//! Behaviour tests of the group coordinator, time passed in explicitly.

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    consumer_group_heartbeat_request::TopicPartitions as HbTopicPartitions,
    join_group_request::JoinGroupRequestProtocol,
    leave_group_request::MemberIdentity,
    offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic},
    offset_delete_request::{OffsetDeleteRequestPartition, OffsetDeleteRequestTopic},
    offset_fetch_request::{
        OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
    },
    sync_group_request::SyncGroupRequestAssignment,
    txn_offset_commit_request::{TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic},
    ConsumerGroupDescribeRequest, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
    ConsumerProtocolSubscription, DeleteGroupsRequest, DescribeGroupsRequest, HeartbeatRequest,
    JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest, ListGroupsRequest, OffsetCommitRequest,
    OffsetCommitResponse, OffsetDeleteRequest, OffsetFetchRequest, OffsetFetchResponse,
    ResponseBody, SyncGroupRequest, SyncGroupResponse, TxnOffsetCommitRequest,
};
use kafka_protocol::{Message, Uuid};

use super::*;

const GROUP: &str = "g";

/// A coordinator plus a fixed time origin and a token counter.
struct Harness {
    coordinator: GroupCoordinator,
    base: Instant,
    next_token: u64,
    topics: TopicTable,
}

fn topic_id(n: u64) -> Uuid {
    Uuid::from_u64_pair(0xfeed, n)
}

/// Consumer-protocol subscription metadata for `topics` (v1 with its version prefix).
fn subscription(topics: &[&str]) -> Bytes {
    let body = ConsumerProtocolSubscription::default()
        .with_topics(topics.iter().map(|t| (*t).to_owned()).collect());
    let mut buf = BytesMut::new();
    buf.put_i16(1);
    body.encode(&mut buf, 1).expect("encodable subscription");
    buf.freeze()
}

fn protocols(list: &[(&str, Bytes)]) -> Vec<JoinGroupRequestProtocol> {
    list.iter()
        .map(|(n, m)| {
            JoinGroupRequestProtocol::default()
                .with_name((*n).to_owned())
                .with_metadata(m.clone())
        })
        .collect()
}

impl Harness {
    fn new(config: GroupConfig) -> Self {
        let topics = TopicTable::new()
            .with_topic("t", topic_id(1), 4)
            .with_topic("u", topic_id(2), 2);
        Self {
            coordinator: GroupCoordinator::new(config),
            base: Instant::now(),
            next_token: 0,
            topics,
        }
    }

    fn at(&self, ms: u64) -> Instant {
        self.base + Duration::from_millis(ms)
    }

    fn token(&mut self) -> ReplyToken {
        self.next_token += 1;
        ReplyToken(self.next_token)
    }

    fn join_request(
        &self,
        member_id: &str,
        instance: Option<&str>,
        protos: &[(&str, Bytes)],
    ) -> JoinGroupRequest {
        JoinGroupRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_session_timeout_ms(10_000)
            .with_rebalance_timeout_ms(30_000)
            .with_member_id(member_id.to_owned())
            .with_group_instance_id(instance.map(str::to_owned))
            .with_protocol_type("consumer".to_owned())
            .with_protocols(protocols(protos))
    }

    fn join(
        &mut self,
        ms: u64,
        version: i16,
        member_id: &str,
        instance: Option<&str>,
        protos: &[(&str, Bytes)],
    ) -> (ReplyToken, Handled<JoinGroupResponse>) {
        let token = self.token();
        let request = self.join_request(member_id, instance, protos);
        let client = ClientInfo::new("client", "/127.0.0.1");
        let now = self.at(ms);
        (
            token,
            self.coordinator
                .join_group(now, token, version, &client, request),
        )
    }

    /// A v9 join with the default range/t subscription.
    fn join_t(&mut self, ms: u64, member_id: &str) -> (ReplyToken, Handled<JoinGroupResponse>) {
        self.join(ms, 9, member_id, None, &[("range", subscription(&["t"]))])
    }

    /// Joins a new dynamic member through MEMBER_ID_REQUIRED; returns its id and the second
    /// join's token and outcome.
    fn join_new(&mut self, ms: u64) -> (String, ReplyToken, Handled<JoinGroupResponse>) {
        let (_, first) = self.join_t(ms, "");
        let first = first
            .answer
            .ready()
            .expect("MEMBER_ID_REQUIRED is immediate");
        assert_eq!(first.error_code, code::MEMBER_ID_REQUIRED);
        assert!(
            first.member_id.starts_with("client-"),
            "member id is client id + uuid: {}",
            first.member_id
        );
        let (token, second) = self.join_t(ms, &first.member_id);
        (first.member_id, token, second)
    }

    fn sync(
        &mut self,
        ms: u64,
        member_id: &str,
        generation: i32,
        assignments: &[(&str, &[u8])],
    ) -> (ReplyToken, Handled<SyncGroupResponse>) {
        let token = self.token();
        let request = SyncGroupRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_generation_id(generation)
            .with_member_id(member_id.to_owned())
            .with_protocol_type(Some("consumer".to_owned()))
            .with_protocol_name(Some("range".to_owned()))
            .with_assignments(
                assignments
                    .iter()
                    .map(|(m, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id((*m).to_owned())
                            .with_assignment(Bytes::copy_from_slice(a))
                    })
                    .collect(),
            );
        let now = self.at(ms);
        (token, self.coordinator.sync_group(now, token, 5, request))
    }

    fn heartbeat(&mut self, ms: u64, member_id: &str, generation: i32) -> i16 {
        self.heartbeat_static(ms, member_id, None, generation)
    }

    fn heartbeat_static(
        &mut self,
        ms: u64,
        member_id: &str,
        instance: Option<&str>,
        generation: i32,
    ) -> i16 {
        let request = HeartbeatRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_generation_id(generation)
            .with_member_id(member_id.to_owned())
            .with_group_instance_id(instance.map(str::to_owned));
        let now = self.at(ms);
        self.coordinator.heartbeat(now, 4, request).error_code
    }

    fn state(&self) -> Option<&'static str> {
        self.coordinator.group_state(GROUP)
    }

    /// Two members through join and sync to Stable at generation 2 (A alone formed gen 1).
    fn two_member_stable(&mut self) -> (String, String) {
        let (a, _, ja) = self.join_new(0);
        let ja = ja
            .answer
            .ready()
            .expect("first member completes the rebalance alone");
        assert_eq!(
            (ja.error_code, ja.generation_id, ja.leader.as_str()),
            (0, 1, a.as_str())
        );
        let (_, sa) = self.sync(0, &a, 1, &[(a.as_str(), b"A1")]);
        assert_eq!(
            sa.answer.ready().expect("leader sync completes").assignment,
            Bytes::from_static(b"A1")
        );
        let (b, tb, jb) = self.join_new(100);
        assert_eq!(jb.answer, Answer::Pending);
        assert_eq!(self.state(), Some("PreparingRebalance"));
        assert_eq!(self.heartbeat(150, &a, 1), code::REBALANCE_IN_PROGRESS);
        let (_, ja2) = self.join_t(200, &a);
        let completions = ja2.completions.clone();
        let ja2 = ja2
            .answer
            .ready()
            .expect("the last rejoin completes the rebalance");
        assert_eq!(ja2.generation_id, 2);
        assert_eq!(ja2.leader, a);
        assert_eq!(ja2.members.len(), 2, "the leader gets every member");
        assert_eq!(
            single_join(&completions, tb).map(|r| r.generation_id),
            Some(2)
        );
        (a, b)
    }
}

fn single_join(completions: &[Completion], token: ReplyToken) -> Option<JoinGroupResponse> {
    completions
        .iter()
        .find(|c| c.token == token)
        .and_then(|c| match &c.response {
            ResponseBody::JoinGroup(r) => Some(r.clone()),
            _ => None,
        })
}

fn single_sync(completions: &[Completion], token: ReplyToken) -> Option<SyncGroupResponse> {
    completions
        .iter()
        .find(|c| c.token == token)
        .and_then(|c| match &c.response {
            ResponseBody::SyncGroup(r) => Some(r.clone()),
            _ => None,
        })
}

// ------------------------------------------------------------------------- classic

#[test]
fn two_members_join_sync_and_become_stable() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, _, ja) = h.join_new(0);
    let ja = ja
        .answer
        .ready()
        .expect("alone: completes at once with no initial delay");
    assert_eq!(ja.generation_id, 1);
    assert_eq!(ja.protocol_name.as_deref(), Some("range"));
    assert_eq!(ja.members.len(), 1);
    assert_eq!(h.state(), Some("CompletingRebalance"));
    let (_, sa) = h.sync(0, &a, 1, &[(a.as_str(), b"all")]);
    assert_eq!(
        sa.answer.ready().map(|r| r.assignment),
        Some(Bytes::from_static(b"all"))
    );
    assert_eq!(h.state(), Some("Stable"));

    // B arrives: A learns of the rebalance from its heartbeat and rejoins.
    let (b, tb, jb) = h.join_new(100);
    assert_eq!(jb.answer, Answer::Pending);
    assert_eq!(h.heartbeat(150, &a, 1), code::REBALANCE_IN_PROGRESS);
    let (_, ja2) = h.join_t(200, &a);
    let leader = ja2
        .answer
        .clone()
        .ready()
        .expect("A's rejoin completes the rebalance");
    assert_eq!(
        (leader.generation_id, leader.leader.as_str()),
        (2, a.as_str())
    );
    let ids: Vec<&str> = leader
        .members
        .iter()
        .map(|m| m.member_id.as_str())
        .collect();
    assert_eq!(ids, vec![a.as_str(), b.as_str()], "members in join order");
    assert_eq!(leader.members[1].metadata, subscription(&["t"]));
    let follower = single_join(&ja2.completions, tb).expect("B's parked join completed");
    assert_eq!(
        (follower.generation_id, follower.leader.as_str()),
        (2, a.as_str())
    );
    assert!(follower.members.is_empty(), "followers get no member list");

    // B syncs first and waits; A's sync hands out both assignments.
    let (tbs, sb) = h.sync(250, &b, 2, &[]);
    assert_eq!(sb.answer, Answer::Pending);
    let (_, sa2) = h.sync(
        260,
        &a,
        2,
        &[(a.as_str(), b"a-part"), (b.as_str(), b"b-part")],
    );
    assert_eq!(
        sa2.answer.clone().ready().map(|r| r.assignment),
        Some(Bytes::from_static(b"a-part"))
    );
    let sb = single_sync(&sa2.completions, tbs).expect("B's sync completed by the leader's");
    assert_eq!(sb.assignment, Bytes::from_static(b"b-part"));
    assert_eq!(sb.protocol_name.as_deref(), Some("range"));
    assert_eq!(h.state(), Some("Stable"));
    assert_eq!(h.heartbeat(300, &a, 2), code::NONE);
    assert_eq!(h.heartbeat(300, &b, 2), code::NONE);
    assert_eq!(h.heartbeat(300, &b, 1), code::ILLEGAL_GENERATION);
    assert_eq!(h.heartbeat(300, "nobody", 2), code::UNKNOWN_MEMBER_ID);

    // Stable sync errors.
    let (_, bad) = h.sync(310, &b, 1, &[]);
    assert_eq!(
        bad.answer.ready().map(|r| r.error_code),
        Some(code::ILLEGAL_GENERATION)
    );
    let (_, bad) = h.sync(310, "nobody", 2, &[]);
    assert_eq!(
        bad.answer.ready().map(|r| r.error_code),
        Some(code::UNKNOWN_MEMBER_ID)
    );

    // DescribeGroups shows both members with metadata and assignment.
    let described = h.coordinator.describe_groups(
        5,
        &DescribeGroupsRequest::default().with_groups(vec![GROUP.to_owned(), "missing".to_owned()]),
    );
    let g = &described.groups[0];
    assert_eq!(
        (
            g.group_state.as_str(),
            g.protocol_type.as_str(),
            g.protocol_data.as_str()
        ),
        ("Stable", "consumer", "range")
    );
    assert_eq!(g.members.len(), 2);
    assert_eq!(
        g.members[1].member_assignment,
        Bytes::from_static(b"b-part")
    );
    assert_eq!(g.members[0].client_host, "/127.0.0.1");
    assert_eq!(g.authorized_operations, i32::MIN);
    assert_eq!(described.groups[1].group_state, "Dead");
}

#[test]
fn a_third_member_triggers_another_rebalance() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    let (_, sa) = h.sync(300, &a, 2, &[]);
    assert!(matches!(sa.answer, Answer::Ready(_)));
    let (_, sb) = h.sync(300, &b, 2, &[]);
    assert!(matches!(sb.answer, Answer::Ready(_)));
    assert_eq!(h.state(), Some("Stable"));

    let (c, tc, jc) = h.join_new(400);
    assert_eq!(jc.answer, Answer::Pending);
    assert_eq!(h.heartbeat(450, &b, 2), code::REBALANCE_IN_PROGRESS);
    let (tb, jb) = h.join_t(460, &b);
    assert_eq!(jb.answer, Answer::Pending, "A has not rejoined yet");
    let (_, ja) = h.join_t(470, &a);
    let leader = ja.answer.clone().ready().expect("complete");
    assert_eq!(leader.generation_id, 3);
    assert_eq!(leader.members.len(), 3);
    assert_eq!(
        single_join(&ja.completions, tb).map(|r| r.generation_id),
        Some(3)
    );
    assert_eq!(
        single_join(&ja.completions, tc).map(|r| (r.generation_id, r.member_id)),
        Some((3, c))
    );
}

#[test]
fn session_timeout_evicts_a_silent_member_and_rebalances() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    // A heartbeats, B stays silent: B's session (10s after its sync) runs out first.
    assert_eq!(h.heartbeat(5_000, &a, 2), code::NONE);
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(10_300)));
    assert!(h.coordinator.on_timeout(h.at(10_299)).is_empty());
    assert_eq!(h.state(), Some("Stable"));
    let done = h.coordinator.on_timeout(h.at(10_300));
    assert!(done.is_empty(), "no one was parked");
    assert_eq!(h.state(), Some("PreparingRebalance"));
    assert_eq!(h.heartbeat(10_400, &a, 2), code::REBALANCE_IN_PROGRESS);
    assert_eq!(h.heartbeat(10_400, &b, 2), code::UNKNOWN_MEMBER_ID);
    let (_, ja) = h.join_t(10_500, &a);
    let r = ja.answer.ready().expect("only A is left");
    assert_eq!((r.generation_id, r.members.len()), (3, 1));
}

#[test]
fn rebalance_timeout_removes_members_that_did_not_rejoin() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    // B changes its subscription: a new rebalance; A keeps heartbeating but never rejoins.
    let (tb, jb) = h.join(1_000, 9, &b, None, &[("range", subscription(&["t", "u"]))]);
    assert_eq!(jb.answer, Answer::Pending);
    assert_eq!(h.heartbeat(5_000, &a, 2), code::REBALANCE_IN_PROGRESS);
    // The rebalance timeout is the largest member's (30s), counted from the rebalance start.
    assert_eq!(
        h.coordinator.next_deadline(),
        Some(h.at(15_000)),
        "A's session comes first"
    );
    assert_eq!(h.heartbeat(14_000, &a, 2), code::REBALANCE_IN_PROGRESS);
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(24_000)));
    assert_eq!(h.heartbeat(23_000, &a, 2), code::REBALANCE_IN_PROGRESS);
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(31_000)));
    let done = h.coordinator.on_timeout(h.at(31_000));
    let rb = single_join(&done, tb).expect("B's join completes at the rebalance timeout");
    assert_eq!(rb.generation_id, 3);
    assert_eq!(
        rb.leader, b,
        "the leader is re-elected among the members that joined"
    );
    assert_eq!(rb.members.len(), 1, "A was dropped");
    assert_eq!(h.heartbeat(31_100, &a, 3), code::UNKNOWN_MEMBER_ID);
}

#[test]
fn member_id_required_holders_expire_and_do_not_block_the_rebalance_forever() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, _, ja) = h.join_new(0);
    assert!(ja.answer.ready().is_some());
    h.sync(0, &a, 1, &[]);
    // Someone asks for an id but never comes back.
    let (_, first) = h.join_t(100, "");
    assert_eq!(
        first.answer.ready().map(|r| r.error_code),
        Some(code::MEMBER_ID_REQUIRED)
    );
    assert_eq!(
        h.state(),
        Some("Stable"),
        "a MEMBER_ID_REQUIRED answer alone does not rebalance"
    );
    // A rejoins (e.g. metadata changed): the rebalance waits for the pending id holder...
    let (ta, ja) = h.join(200, 9, &a, None, &[("range", subscription(&["u"]))]);
    assert_eq!(ja.answer, Answer::Pending);
    // ...until its session timeout (10s) passes.
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(10_100)));
    let done = h.coordinator.on_timeout(h.at(10_100));
    assert_eq!(single_join(&done, ta).map(|r| r.generation_id), Some(2));
}

#[test]
fn sync_timeout_removes_members_that_never_sync() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    // Only the leader syncs; B heartbeats but never syncs. After the rebalance timeout
    // (30s from the generation forming at 200ms) B is removed.
    h.sync(300, &a, 2, &[(a.as_str(), b"x")]);
    assert_eq!(h.state(), Some("Stable"));
    for ms in [9_000, 18_000, 27_000] {
        assert_eq!(h.heartbeat(ms, &a, 2), code::NONE);
        assert_eq!(h.heartbeat(ms, &b, 2), code::NONE);
    }
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(30_200)));
    h.coordinator.on_timeout(h.at(30_200));
    assert_eq!(h.heartbeat(30_300, &b, 2), code::UNKNOWN_MEMBER_ID);
    assert_eq!(h.heartbeat(30_300, &a, 2), code::REBALANCE_IN_PROGRESS);
    assert_eq!(h.state(), Some("PreparingRebalance"));
}

#[test]
fn static_member_rejoin_replaces_the_old_member_without_rebalance() {
    let mut h = Harness::new(GroupConfig::default());
    let meta = subscription(&["t"]);
    // Static members join without MEMBER_ID_REQUIRED.
    let (_, ja) = h.join(0, 9, "", Some("ia"), &[("range", meta.clone())]);
    let ja = ja.answer.ready().expect("static member joins directly");
    let a = ja.member_id.clone();
    assert_eq!((ja.error_code, ja.generation_id), (code::NONE, 1));
    h.sync(0, &a, 1, &[(a.as_str(), b"A")]);
    let (tb, jb) = h.join(100, 9, "", Some("ib"), &[("range", meta.clone())]);
    assert_eq!(jb.answer, Answer::Pending);
    let (_, ja2) = h.join(200, 9, &a, Some("ia"), &[("range", meta.clone())]);
    let leader = ja2.answer.clone().ready().expect("complete");
    let b = single_join(&ja2.completions, tb)
        .expect("B completed")
        .member_id;
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[(a.as_str(), b"A2"), (b.as_str(), b"B2")]);
    assert_eq!(leader.generation_id, 2);
    assert_eq!(h.state(), Some("Stable"));

    // B restarts: unknown member id, same instance id, same protocols -> no rebalance.
    let (_, jb2) = h.join(1_000, 9, "", Some("ib"), &[("range", meta.clone())]);
    let jb2 = jb2.answer.ready().expect("replacement answers at once");
    assert_eq!(jb2.error_code, code::NONE);
    assert_ne!(jb2.member_id, b);
    assert_eq!(jb2.generation_id, 2, "same generation");
    assert_eq!(h.state(), Some("Stable"));
    let (_, sb) = h.sync(1_000, &jb2.member_id, 2, &[]);
    assert_eq!(
        sb.answer.ready().map(|r| r.assignment),
        Some(Bytes::from_static(b"B2")),
        "keeps its assignment"
    );
    // The old member id is fenced.
    assert_eq!(
        h.heartbeat_static(1_100, &b, Some("ib"), 2),
        code::FENCED_INSTANCE_ID
    );
    let (_, old_join) = h.join(1_100, 9, &b, Some("ib"), &[("range", meta.clone())]);
    assert_eq!(
        old_join.answer.ready().map(|r| r.error_code),
        Some(code::FENCED_INSTANCE_ID)
    );

    // The static leader restarts: v9 gets SkipAssignment and the members; v8 sees the old
    // leader id so it does not think it leads.
    let (_, ja3) = h.join(2_000, 9, "", Some("ia"), &[("range", meta.clone())]);
    let ja3 = ja3.answer.ready().expect("immediate");
    assert!(ja3.skip_assignment);
    assert_eq!(ja3.leader, ja3.member_id);
    assert_eq!(ja3.members.len(), 2);
    let (_, ja4) = h.join(3_000, 8, "", Some("ia"), &[("range", meta)]);
    let ja4 = ja4.answer.ready().expect("immediate");
    assert!(!ja4.skip_assignment);
    assert_eq!(
        ja4.leader, ja3.member_id,
        "v8 sees the replaced leader's id"
    );
    assert!(ja4.members.is_empty());
    assert_eq!(h.state(), Some("Stable"));
}

#[test]
fn leave_group_removes_members_with_per_member_errors() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    let request = LeaveGroupRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_members(vec![
            MemberIdentity::default().with_member_id(b.clone()),
            MemberIdentity::default().with_member_id("ghost".to_owned()),
        ]);
    let left = h.coordinator.leave_group(h.at(400), 5, request);
    let r = left.answer.ready().expect("immediate");
    assert_eq!(r.error_code, code::NONE);
    let codes: Vec<i16> = r.members.iter().map(|m| m.error_code).collect();
    assert_eq!(codes, vec![code::NONE, code::UNKNOWN_MEMBER_ID]);
    assert_eq!(h.state(), Some("PreparingRebalance"));

    // v0: the single member's error is the top-level error.
    let old = LeaveGroupRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_member_id("ghost".to_owned());
    let r = h
        .coordinator
        .leave_group(h.at(410), 0, old)
        .answer
        .ready()
        .expect("immediate");
    assert_eq!(r.error_code, code::UNKNOWN_MEMBER_ID);
    assert!(r.members.is_empty());

    // A rejoins alone, then leaves: the group is Empty.
    let (_, ja) = h.join_t(500, &a);
    assert_eq!(ja.answer.ready().map(|r| r.generation_id), Some(3));
    let leave_a = LeaveGroupRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_member_id(a.clone());
    let r = h
        .coordinator
        .leave_group(h.at(600), 2, leave_a)
        .answer
        .ready()
        .expect("immediate");
    assert_eq!(r.error_code, code::NONE);
    assert_eq!(h.state(), Some("Empty"));
}

#[test]
fn leaving_completes_a_rebalance_that_waited_for_the_leaver() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    let (tb, jb) = h.join(400, 9, &b, None, &[("range", subscription(&["u"]))]);
    assert_eq!(jb.answer, Answer::Pending);
    let leave = LeaveGroupRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_member_id(a);
    let left = h.coordinator.leave_group(h.at(500), 1, leave);
    let rb = single_join(&left.completions, tb).expect("B's join completes once A is gone");
    assert_eq!((rb.generation_id, rb.leader.as_str()), (3, b.as_str()));
}

#[test]
fn join_errors() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, _, ja) = h.join_new(0);
    assert!(ja.answer.ready().is_some());
    h.sync(0, &a, 1, &[]);
    // Different protocol type.
    let token = h.token();
    let mut request = h.join_request("", None, &[("range", Bytes::new())]);
    request.protocol_type = "connect".to_owned();
    let r = h
        .coordinator
        .join_group(h.at(10), token, 9, &ClientInfo::default(), request)
        .answer
        .ready();
    assert_eq!(
        r.map(|r| r.error_code),
        Some(code::INCONSISTENT_GROUP_PROTOCOL)
    );
    // No protocol in common.
    let (_, r) = h.join(10, 9, "", None, &[("roundrobin", Bytes::new())]);
    assert_eq!(
        r.answer.ready().map(|r| r.error_code),
        Some(code::INCONSISTENT_GROUP_PROTOCOL)
    );
    // Unknown member id.
    let (_, r) = h.join_t(10, "stranger");
    assert_eq!(
        r.answer.ready().map(|r| r.error_code),
        Some(code::UNKNOWN_MEMBER_ID)
    );
    // Session timeout outside [6s, 30min].
    let token = h.token();
    let request = h
        .join_request("", None, &[("range", Bytes::new())])
        .with_session_timeout_ms(1_000);
    let r = h
        .coordinator
        .join_group(h.at(10), token, 9, &ClientInfo::default(), request)
        .answer
        .ready();
    assert_eq!(r.map(|r| r.error_code), Some(code::INVALID_SESSION_TIMEOUT));
    // v3 joins directly without MEMBER_ID_REQUIRED; error responses of v<7 carry "" names.
    let (_, r) = h.join(20, 3, "", None, &[("range", subscription(&["t"]))]);
    assert_eq!(r.answer, Answer::Pending);
    let (_, r) = h.join(20, 3, "stranger", None, &[("range", Bytes::new())]);
    assert_eq!(
        r.answer.ready().map(|r| r.protocol_name),
        Some(Some(String::new()))
    );
}

#[test]
fn protocol_selection_follows_the_members_votes() {
    let mut h = Harness::new(
        GroupConfig::default().with_initial_rebalance_delay(Duration::from_millis(100)),
    );
    let (_, ta, ja) = {
        let (_, first) = h.join(
            0,
            9,
            "",
            None,
            &[("roundrobin", Bytes::new()), ("range", Bytes::new())],
        );
        let id = first.answer.ready().expect("id").member_id;
        let (t, j) = h.join(
            0,
            9,
            &id,
            None,
            &[("roundrobin", Bytes::new()), ("range", Bytes::new())],
        );
        (id, t, j)
    };
    assert_eq!(
        ja.answer,
        Answer::Pending,
        "the initial delay holds the first rebalance"
    );
    for _ in 0..2 {
        let (_, first) = h.join(
            10,
            9,
            "",
            None,
            &[("range", Bytes::new()), ("roundrobin", Bytes::new())],
        );
        let id = first.answer.ready().expect("id").member_id;
        let (_, j) = h.join(
            10,
            9,
            &id,
            None,
            &[("range", Bytes::new()), ("roundrobin", Bytes::new())],
        );
        assert_eq!(j.answer, Answer::Pending);
    }
    // New members arrived during the delay: it is extended once more.
    assert!(h.coordinator.on_timeout(h.at(100)).is_empty());
    let done = h.coordinator.on_timeout(h.at(200));
    assert_eq!(done.len(), 3);
    let r = single_join(&done, ta).expect("first member completed");
    assert_eq!(
        r.protocol_name.as_deref(),
        Some("range"),
        "two votes for range, one for roundrobin"
    );
    assert_eq!(r.members.len(), 3);
}

#[test]
fn superseded_and_unloaded_requests_are_answered() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    let (t1, j1) = h.join(400, 9, &b, None, &[("range", subscription(&["u"]))]);
    assert_eq!(j1.answer, Answer::Pending);
    // B retries its join: the first parked one is answered.
    let (t2, j2) = h.join(500, 9, &b, None, &[("range", subscription(&["u"]))]);
    assert_eq!(j2.answer, Answer::Pending);
    assert_eq!(
        single_join(&j2.completions, t1).map(|r| r.error_code),
        Some(code::REBALANCE_IN_PROGRESS)
    );
    // The coordinator moves: the parked join gets NOT_COORDINATOR.
    let moved = h.coordinator.coordinator_moved(h.at(600), GROUP);
    assert_eq!(
        single_join(&moved, t2).map(|r| r.error_code),
        Some(code::NOT_COORDINATOR)
    );
    // Membership survived; both rejoin at the "new" coordinator.
    let (tb, jb) = h.join(700, 9, &b, None, &[("range", subscription(&["u"]))]);
    assert_eq!(jb.answer, Answer::Pending);
    let (_, ja) = h.join_t(800, &a);
    assert_eq!(ja.answer.ready().map(|r| r.generation_id), Some(3));
    assert!(single_join(&ja.completions, tb).is_some());
}

#[test]
fn list_describe_and_delete_groups() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, _, _) = h.join_new(0);
    h.sync(0, &a, 1, &[]);
    commit(&mut h, 10, "simple", -1, "", 1, 5, None);
    let listed = h.coordinator.list_groups(5, &ListGroupsRequest::default());
    let rows: Vec<(&str, &str, &str, &str)> = listed
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.as_str(),
                g.protocol_type.as_str(),
                g.group_state.as_str(),
                g.group_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("g", "consumer", "Stable", "classic"),
            ("simple", "", "Empty", "classic")
        ]
    );
    let only_empty = h.coordinator.list_groups(
        4,
        &ListGroupsRequest::default().with_states_filter(vec!["empty".to_owned()]),
    );
    assert_eq!(only_empty.groups.len(), 1);
    let consumer_type = h.coordinator.list_groups(
        5,
        &ListGroupsRequest::default().with_types_filter(vec!["Consumer".to_owned()]),
    );
    assert!(consumer_type.groups.is_empty());

    let described = h.coordinator.describe_groups(
        5,
        &DescribeGroupsRequest::default()
            .with_groups(vec!["g".to_owned()])
            .with_include_authorized_operations(true),
    );
    assert_eq!(
        described.groups[0].authorized_operations,
        (1 << 3) | (1 << 6) | (1 << 8)
    );

    let deleted = h.coordinator.delete_groups(
        2,
        &DeleteGroupsRequest::default().with_groups_names(vec![
            "g".to_owned(),
            "simple".to_owned(),
            "none".to_owned(),
        ]),
    );
    let codes: Vec<i16> = deleted.results.iter().map(|r| r.error_code).collect();
    assert_eq!(
        codes,
        vec![code::NON_EMPTY_GROUP, code::NONE, code::GROUP_ID_NOT_FOUND]
    );
    assert_eq!(h.coordinator.group_ids(), vec!["g".to_owned()]);
}

// ------------------------------------------------------------------------- offsets

#[allow(clippy::too_many_arguments)]
fn commit_request(
    group: &str,
    generation: i32,
    member: &str,
    topic: &str,
    partition: i32,
    offset: i64,
    metadata: Option<&str>,
) -> OffsetCommitRequest {
    OffsetCommitRequest::default()
        .with_group_id(group.to_owned())
        .with_generation_id_or_member_epoch(generation)
        .with_member_id(member.to_owned())
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic.to_owned())
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(partition)
                .with_committed_offset(offset)
                .with_committed_leader_epoch(3)
                .with_committed_metadata(metadata.map(str::to_owned))])])
}

#[allow(clippy::too_many_arguments)]
fn commit(
    h: &mut Harness,
    ms: u64,
    group: &str,
    generation: i32,
    member: &str,
    partition: i32,
    offset: i64,
    metadata: Option<&str>,
) -> i16 {
    let request = commit_request(group, generation, member, "t", partition, offset, metadata);
    let r: OffsetCommitResponse = h
        .coordinator
        .offset_commit(h.at(ms), 8, &h.topics, &request);
    r.topics[0].partitions[0].error_code
}

fn fetch(
    h: &Harness,
    version: i16,
    group: &str,
    partitions: Option<&[i32]>,
    require_stable: bool,
) -> OffsetFetchResponse {
    let topics = partitions.map(|ps| {
        vec![OffsetFetchRequestTopic::default()
            .with_name("t".to_owned())
            .with_partition_indexes(ps.to_vec())]
    });
    let request = OffsetFetchRequest::default()
        .with_group_id(group.to_owned())
        .with_topics(topics)
        .with_require_stable(require_stable);
    h.coordinator.offset_fetch(version, &request)
}

#[test]
fn offset_commit_and_fetch_with_generation_checks() {
    let mut h = Harness::new(GroupConfig::default());
    // Simple commits (no membership) create a group that only stores offsets.
    assert_eq!(
        commit(&mut h, 0, "solo", -1, "", 0, 42, Some("meta")),
        code::NONE
    );
    let r = fetch(&h, 7, "solo", Some(&[0, 1]), false);
    let ps = &r.topics[0].partitions;
    assert_eq!(
        (
            ps[0].committed_offset,
            ps[0].committed_leader_epoch,
            ps[0].metadata.as_deref()
        ),
        (42, 3, Some("meta"))
    );
    assert_eq!(
        (ps[1].committed_offset, ps[1].error_code),
        (-1, code::NONE),
        "unknown partitions read -1"
    );
    assert_eq!(
        fetch(&h, 4, "solo", Some(&[0]), false).topics[0].partitions[0].committed_leader_epoch,
        -1,
        "no epoch before v5"
    );
    // A claimed generation for a group that does not exist.
    assert_eq!(
        commit(&mut h, 0, "nogroup", 1, "m", 0, 1, None),
        code::ILLEGAL_GENERATION
    );
    assert!(!h.coordinator.group_ids().contains(&"nogroup".to_owned()));

    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    assert_eq!(commit(&mut h, 400, GROUP, 2, &a, 0, 10, None), code::NONE);
    assert_eq!(
        commit(&mut h, 400, GROUP, 1, &a, 0, 11, None),
        code::ILLEGAL_GENERATION
    );
    assert_eq!(
        commit(&mut h, 400, GROUP, 2, "stranger", 0, 11, None),
        code::UNKNOWN_MEMBER_ID
    );
    assert_eq!(
        commit(&mut h, 400, GROUP, -1, "", 0, 11, None),
        code::UNKNOWN_MEMBER_ID,
        "simple commits need an empty group"
    );
    assert_eq!(
        commit(&mut h, 400, GROUP, 2, &a, 9, 11, None),
        code::UNKNOWN_TOPIC_OR_PARTITION
    );
    let long = "x".repeat(4097);
    assert_eq!(
        commit(&mut h, 400, GROUP, 2, &a, 1, 11, Some(&long)),
        code::OFFSET_METADATA_TOO_LARGE
    );
    // During CompletingRebalance commits are refused with REBALANCE_IN_PROGRESS.
    let (_, _, jc) = h.join_new(500);
    assert_eq!(jc.answer, Answer::Pending);
    assert_eq!(
        commit(&mut h, 510, GROUP, 2, &a, 0, 12, None),
        code::NONE,
        "allowed while preparing"
    );
    h.join_t(520, &a);
    h.join_t(520, &b);
    assert_eq!(h.state(), Some("CompletingRebalance"));
    assert_eq!(
        commit(&mut h, 530, GROUP, 3, &a, 0, 13, None),
        code::REBALANCE_IN_PROGRESS
    );

    // Fetch all partitions (topics null, v2+) and the batched form (v8+).
    let all = fetch(&h, 6, GROUP, None, false);
    assert_eq!(all.topics.len(), 1);
    assert_eq!(
        all.topics[0]
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.committed_offset))
            .collect::<Vec<_>>(),
        vec![(0, 12)]
    );
    let batched = h.coordinator.offset_fetch(
        8,
        &OffsetFetchRequest::default().with_groups(vec![
            OffsetFetchRequestGroup::default()
                .with_group_id(GROUP.to_owned())
                .with_topics(Some(vec![OffsetFetchRequestTopics::default()
                    .with_name("t".to_owned())
                    .with_partition_indexes(vec![0])])),
            OffsetFetchRequestGroup::default()
                .with_group_id("solo".to_owned())
                .with_topics(None),
        ]),
    );
    assert_eq!(
        batched.groups[0].topics[0].partitions[0].committed_offset,
        12
    );
    assert_eq!(
        batched.groups[1].topics[0].partitions[0].committed_offset,
        42
    );
}

#[test]
fn offset_delete_respects_subscriptions() {
    let mut h = Harness::new(GroupConfig::default());
    assert_eq!(
        h.coordinator
            .offset_delete(
                0,
                &h.topics,
                &OffsetDeleteRequest::default().with_group_id("none".to_owned())
            )
            .error_code,
        code::GROUP_ID_NOT_FOUND
    );
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    assert_eq!(commit(&mut h, 400, GROUP, 2, &a, 0, 10, None), code::NONE);
    let u = commit_request(GROUP, 2, &a, "u", 0, 5, None);
    assert_eq!(
        h.coordinator
            .offset_commit(h.at(400), 8, &h.topics, &u)
            .topics[0]
            .partitions[0]
            .error_code,
        code::NONE
    );
    let request = OffsetDeleteRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_topics(vec![
            OffsetDeleteRequestTopic::default()
                .with_name("t".to_owned())
                .with_partitions(vec![
                    OffsetDeleteRequestPartition::default().with_partition_index(0)
                ]),
            OffsetDeleteRequestTopic::default()
                .with_name("u".to_owned())
                .with_partitions(vec![
                    OffsetDeleteRequestPartition::default().with_partition_index(0)
                ]),
        ]);
    let r = h.coordinator.offset_delete(0, &h.topics, &request);
    assert_eq!(r.error_code, code::NONE);
    assert_eq!(
        r.topics[0].partitions[0].error_code,
        code::GROUP_SUBSCRIBED_TO_TOPIC,
        "members subscribe to t"
    );
    assert_eq!(r.topics[1].partitions[0].error_code, code::NONE);
    let f = h.coordinator.offset_fetch(
        7,
        &OffsetFetchRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                .with_name("u".to_owned())
                .with_partition_indexes(vec![0])])),
    );
    assert_eq!(
        f.topics[0].partitions[0].committed_offset, -1,
        "u's offset is gone"
    );
}

#[test]
fn require_stable_sees_staged_transactional_offsets() {
    let mut h = Harness::new(GroupConfig::default());
    assert_eq!(commit(&mut h, 0, "tx", -1, "", 0, 5, None), code::NONE);
    h.coordinator.stage_txn_offsets(
        77,
        "tx",
        vec![TxnOffset {
            topic: "t".to_owned(),
            partition: 0,
            offset: 9,
            leader_epoch: 1,
            metadata: None,
        }],
    );
    assert!(h.coordinator.has_pending_txn_offsets("tx", "t", 0));
    assert!(!h.coordinator.has_pending_txn_offsets("tx", "t", 1));
    let stable = fetch(&h, 7, "tx", Some(&[0, 1]), true);
    assert_eq!(
        stable.topics[0].partitions[0].error_code,
        code::UNSTABLE_OFFSET_COMMIT
    );
    assert_eq!(stable.topics[0].partitions[1].error_code, code::NONE);
    let relaxed = fetch(&h, 7, "tx", Some(&[0]), false);
    assert_eq!(
        relaxed.topics[0].partitions[0].committed_offset, 5,
        "uncommitted offsets are invisible"
    );
    assert_eq!(
        fetch(&h, 6, "tx", Some(&[0]), true).topics[0].partitions[0].error_code,
        code::NONE,
        "RequireStable is v7+"
    );

    h.coordinator.complete_txn(h.at(10), 77, true);
    assert!(!h.coordinator.has_pending_txn_offsets("tx", "t", 0));
    assert_eq!(
        fetch(&h, 7, "tx", Some(&[0]), true).topics[0].partitions[0].committed_offset,
        9
    );

    // Aborted offsets vanish; a plain commit made after staging wins over the transaction's.
    h.coordinator.stage_txn_offsets(
        78,
        "tx",
        vec![TxnOffset {
            topic: "t".to_owned(),
            partition: 0,
            offset: 100,
            leader_epoch: 1,
            metadata: None,
        }],
    );
    h.coordinator.complete_txn(h.at(20), 78, false);
    assert_eq!(
        fetch(&h, 7, "tx", Some(&[0]), true).topics[0].partitions[0].committed_offset,
        9
    );
    h.coordinator.stage_txn_offsets(
        79,
        "tx",
        vec![TxnOffset {
            topic: "t".to_owned(),
            partition: 0,
            offset: 200,
            leader_epoch: 1,
            metadata: None,
        }],
    );
    assert_eq!(commit(&mut h, 30, "tx", -1, "", 0, 150, None), code::NONE);
    h.coordinator.complete_txn(h.at(40), 79, true);
    assert_eq!(
        fetch(&h, 7, "tx", Some(&[0]), true).topics[0].partitions[0].committed_offset,
        150
    );
}

#[test]
fn txn_offset_commit_checks_the_generation_then_stages() {
    let mut h = Harness::new(GroupConfig::default());
    let (a, b) = h.two_member_stable();
    h.sync(300, &b, 2, &[]);
    h.sync(300, &a, 2, &[]);
    let request = |generation: i32, member: &str| {
        TxnOffsetCommitRequest::default()
            .with_transactional_id("txn".to_owned())
            .with_group_id(GROUP.to_owned())
            .with_producer_id(5)
            .with_generation_id(generation)
            .with_member_id(member.to_owned())
            .with_topics(vec![TxnOffsetCommitRequestTopic::default()
                .with_name("t".to_owned())
                .with_partitions(vec![TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(1)
                    .with_committed_offset(33)])])
    };
    let bad = h
        .coordinator
        .txn_offset_commit(h.at(400), 3, &h.topics, &request(1, &a));
    assert_eq!(
        bad.topics[0].partitions[0].error_code,
        code::ILLEGAL_GENERATION
    );
    assert!(!h.coordinator.has_pending_txn_offsets(GROUP, "t", 1));
    let ok = h
        .coordinator
        .txn_offset_commit(h.at(400), 3, &h.topics, &request(2, &a));
    assert_eq!(ok.topics[0].partitions[0].error_code, code::NONE);
    assert!(h.coordinator.has_pending_txn_offsets(GROUP, "t", 1));
    h.coordinator.complete_txn(h.at(500), 5, true);
    assert_eq!(
        fetch(&h, 7, GROUP, Some(&[1]), true).topics[0].partitions[0].committed_offset,
        33
    );
}

#[test]
fn offsets_of_an_empty_group_expire_after_retention() {
    let config = GroupConfig::default()
        .with_offsets_retention(Duration::from_secs(60))
        .with_offsets_retention_check_interval(Duration::from_secs(10));
    let mut h = Harness::new(config);
    assert_eq!(commit(&mut h, 0, "old", -1, "", 0, 1, None), code::NONE);
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(10_000)));
    h.coordinator.on_timeout(h.at(50_000));
    assert_eq!(
        fetch(&h, 7, "old", Some(&[0]), false).topics[0].partitions[0].committed_offset,
        1
    );
    let next = h.coordinator.next_deadline().expect("sweep rearmed");
    h.coordinator.on_timeout(next.max(h.at(60_000)));
    assert_eq!(
        fetch(&h, 7, "old", Some(&[0]), false).topics[0].partitions[0].committed_offset,
        -1
    );
    assert!(
        h.coordinator.group_ids().is_empty(),
        "an empty group without offsets is dropped"
    );
    assert_eq!(h.coordinator.next_deadline(), None);
}

// ------------------------------------------------------------------------- KIP-848

fn cg_join(group: &str, member_id: &str, topics: &[&str]) -> ConsumerGroupHeartbeatRequest {
    ConsumerGroupHeartbeatRequest::default()
        .with_group_id(group.to_owned())
        .with_member_id(member_id.to_owned())
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(20_000)
        .with_subscribed_topic_names(Some(topics.iter().map(|t| (*t).to_owned()).collect()))
        .with_topic_partitions(Some(Vec::new()))
}

fn cg_beat(member_id: &str, epoch: i32, owned: &[(Uuid, &[i32])]) -> ConsumerGroupHeartbeatRequest {
    ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GROUP.to_owned())
        .with_member_id(member_id.to_owned())
        .with_member_epoch(epoch)
        .with_topic_partitions(Some(
            owned
                .iter()
                .map(|(id, ps)| {
                    HbTopicPartitions::default()
                        .with_topic_id(*id)
                        .with_partitions(ps.to_vec())
                })
                .collect(),
        ))
}

fn assigned(r: &ConsumerGroupHeartbeatResponse) -> Option<Vec<(Uuid, Vec<i32>)>> {
    r.assignment.as_ref().map(|a| {
        a.topic_partitions
            .iter()
            .map(|tp| (tp.topic_id, tp.partitions.clone()))
            .collect()
    })
}

impl Harness {
    fn cg(
        &mut self,
        ms: u64,
        version: i16,
        request: &ConsumerGroupHeartbeatRequest,
    ) -> ConsumerGroupHeartbeatResponse {
        let client = ClientInfo::new("cg-client", "/10.0.0.1");
        let now = self.at(ms);
        self.coordinator
            .consumer_group_heartbeat(now, version, &client, &self.topics, request)
    }
}

#[test]
fn kip848_second_member_gets_partitions_only_after_revocation() {
    let mut h = Harness::new(
        GroupConfig::default().with_consumer_heartbeat_interval(Duration::from_millis(500)),
    );
    let t = topic_id(1);
    let ra = h.cg(0, 0, &cg_join(GROUP, "", &["t"]));
    assert_eq!(ra.error_code, code::NONE);
    let a = ra
        .member_id
        .clone()
        .expect("the coordinator mints a member id in v0");
    assert_eq!(a.len(), 22, "base64 uuid");
    assert_eq!((ra.member_epoch, ra.heartbeat_interval_ms), (1, 500));
    assert_eq!(assigned(&ra), Some(vec![(t, vec![0, 1, 2, 3])]));
    assert_eq!(h.state(), Some("Stable"));

    // A heartbeat with nothing new carries no assignment.
    let quiet = h.cg(100, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
    assert_eq!(
        (
            quiet.error_code,
            quiet.member_epoch,
            quiet.assignment.is_none()
        ),
        (code::NONE, 1, true)
    );

    // B joins with its own id (v1): the target gives it half, but A still holds them.
    let rb = h.cg(200, 1, &cg_join(GROUP, "member-b", &["t"]));
    assert_eq!(rb.member_id.as_deref(), Some("member-b"));
    assert_eq!(rb.member_epoch, 2);
    assert_eq!(assigned(&rb), Some(vec![]), "nothing is free yet");
    assert_eq!(h.state(), Some("Reconciling"));

    // A is asked to revoke (stays at epoch 1, keeps two).
    let ra = h.cg(300, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
    assert_eq!(ra.member_epoch, 1);
    let kept = assigned(&ra).expect("new assignment");
    assert_eq!(kept, vec![(t, vec![0, 1])]);
    // B still gets nothing while A has not confirmed.
    let rb = h.cg(350, 1, &cg_beat("member-b", 2, &[]));
    assert_eq!(rb.assignment, None);
    let ra = h.cg(360, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
    assert_eq!(ra.member_epoch, 1, "still revoking");
    // A confirms: it moves to epoch 2.
    let ra = h.cg(400, 0, &cg_beat(&a, 1, &[(t, &[0, 1])]));
    assert_eq!((ra.member_epoch, ra.assignment), (2, None));
    // Now B receives the released partitions.
    let rb = h.cg(500, 1, &cg_beat("member-b", 2, &[]));
    assert_eq!(
        (rb.member_epoch, assigned(&rb)),
        (2, Some(vec![(t, vec![2, 3])]))
    );
    assert_eq!(h.state(), Some("Stable"));

    let described = h.coordinator.consumer_group_describe(
        0,
        &h.topics,
        &ConsumerGroupDescribeRequest::default()
            .with_group_ids(vec![GROUP.to_owned(), "nope".to_owned()]),
    );
    let g = &described.groups[0];
    assert_eq!(
        (
            g.group_state.as_str(),
            g.group_epoch,
            g.assignment_epoch,
            g.assignor_name.as_str()
        ),
        ("Stable", 2, 2, "uniform")
    );
    assert_eq!(g.members.len(), 2);
    let mb = g
        .members
        .iter()
        .find(|m| m.member_id == "member-b")
        .expect("b described");
    assert_eq!(mb.assignment.topic_partitions[0].topic_name, "t");
    assert_eq!(
        mb.target_assignment.topic_partitions[0].partitions,
        vec![2, 3]
    );
    assert_eq!(mb.client_host, "/10.0.0.1");
    assert_eq!(described.groups[1].error_code, code::GROUP_ID_NOT_FOUND);

    // ListGroups reports the consumer group with its type.
    let listed = h.coordinator.list_groups(
        5,
        &ListGroupsRequest::default().with_types_filter(vec!["consumer".to_owned()]),
    );
    assert_eq!(listed.groups.len(), 1);
    assert_eq!(listed.groups[0].protocol_type, "consumer");
}

#[test]
fn kip848_fencing_leave_and_session_timeout() {
    let mut h =
        Harness::new(GroupConfig::default().with_consumer_session_timeout(Duration::from_secs(10)));
    let t = topic_id(1);
    let a = h
        .cg(0, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("id");
    assert_eq!(
        h.cg(10, 0, &cg_beat(&a, 5, &[])).error_code,
        code::FENCED_MEMBER_EPOCH
    );
    assert_eq!(
        h.cg(10, 0, &cg_beat("ghost", 1, &[])).error_code,
        code::UNKNOWN_MEMBER_ID
    );
    assert_eq!(
        h.cg(10, 0, &cg_beat("", 1, &[])).error_code,
        code::INVALID_REQUEST
    );
    let no_timeout = cg_join(GROUP, "", &["t"]).with_rebalance_timeout_ms(-1);
    assert_eq!(h.cg(10, 0, &no_timeout).error_code, code::INVALID_REQUEST);
    let bad_assignor = cg_join(GROUP, "", &["t"]).with_server_assignor(Some("sticky".to_owned()));
    assert_eq!(
        h.cg(10, 0, &bad_assignor).error_code,
        code::UNSUPPORTED_ASSIGNOR
    );

    let b = h
        .cg(100, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("id");
    // A revokes, B picks up; both at epoch 2.
    h.cg(200, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
    h.cg(300, 0, &cg_beat(&a, 1, &[(t, &[0, 1])]));
    let rb = h.cg(400, 0, &cg_beat(&b, 2, &[]));
    assert_eq!(rb.member_epoch, 2);
    // An older epoch than the member's is fenced unless it is the previous epoch with a
    // subset of the assignment (lost response).
    assert_eq!(
        h.cg(500, 0, &cg_beat(&a, 1, &[(t, &[0, 1])])).error_code,
        code::NONE
    );
    assert_eq!(
        h.cg(500, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2])])).error_code,
        code::FENCED_MEMBER_EPOCH
    );

    // B leaves: group epoch bumps, A gets everything back at epoch 3.
    let left = h.cg(600, 0, &cg_beat(&b, -1, &[]));
    assert_eq!((left.error_code, left.member_epoch), (code::NONE, -1));
    let ra = h.cg(700, 0, &cg_beat(&a, 2, &[(t, &[0, 1])]));
    assert_eq!(
        (ra.member_epoch, assigned(&ra)),
        (3, Some(vec![(t, vec![0, 1, 2, 3])]))
    );

    // A goes silent: its session expires 10s after its last heartbeat.
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(10_700)));
    h.coordinator.on_timeout(h.at(10_700));
    assert_eq!(h.state(), Some("Empty"));
    assert_eq!(
        h.cg(10_800, 0, &cg_beat(&a, 3, &[])).error_code,
        code::UNKNOWN_MEMBER_ID
    );
}

#[test]
fn kip848_unrevoked_partitions_time_out_and_fence_the_member() {
    let mut h = Harness::new(GroupConfig::default());
    let t = topic_id(1);
    let a = h
        .cg(0, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("id");
    let b = h
        .cg(100, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("id");
    let ra = h.cg(200, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
    assert_eq!(assigned(&ra), Some(vec![(t, vec![0, 1])]));
    // A keeps heartbeating while holding the revoked partitions past its rebalance timeout.
    for ms in [5_000, 10_000, 15_000] {
        h.cg(ms, 0, &cg_beat(&a, 1, &[(t, &[0, 1, 2, 3])]));
        h.cg(ms, 0, &cg_beat(&b, 2, &[]));
    }
    assert_eq!(h.coordinator.next_deadline(), Some(h.at(20_200)));
    h.coordinator.on_timeout(h.at(20_200));
    assert_eq!(
        h.cg(20_300, 0, &cg_beat(&a, 1, &[])).error_code,
        code::UNKNOWN_MEMBER_ID
    );
    let rb = h.cg(20_300, 0, &cg_beat(&b, 2, &[]));
    assert_eq!(
        (rb.member_epoch, assigned(&rb)),
        (3, Some(vec![(t, vec![0, 1, 2, 3])]))
    );
}

#[test]
fn kip848_static_member_rejoins_with_its_assignment() {
    let mut h = Harness::new(GroupConfig::default());
    let t = topic_id(1);
    let join = cg_join(GROUP, "", &["t"]).with_instance_id(Some("inst".to_owned()));
    let a = h.cg(0, 0, &join).member_id.expect("id");
    // While A is active, its instance id cannot be taken.
    assert_eq!(h.cg(10, 0, &join).error_code, code::UNRELEASED_INSTANCE_ID);
    let left = h.cg(
        20,
        0,
        &cg_beat(&a, -2, &[]).with_instance_id(Some("inst".to_owned())),
    );
    assert_eq!((left.error_code, left.member_epoch), (code::NONE, -2));
    let again = h.cg(30, 0, &join);
    assert_eq!(again.error_code, code::NONE);
    assert_ne!(again.member_id.as_deref(), Some(a.as_str()));
    assert_eq!(
        (again.member_epoch, assigned(&again)),
        (1, Some(vec![(t, vec![0, 1, 2, 3])]))
    );
    assert_eq!(
        h.cg(40, 0, &cg_beat(&a, 1, &[])).error_code,
        code::UNKNOWN_MEMBER_ID,
        "the old id is gone"
    );
}

#[test]
fn kip848_v1_requires_a_client_member_id() {
    let mut h = Harness::new(GroupConfig::default());
    let r = h.cg(0, 1, &cg_join(GROUP, "", &["t"]));
    assert_eq!((r.error_code, r.member_id), (code::INVALID_REQUEST, None));
    let r = h.cg(0, 1, &cg_join(GROUP, "client-made", &["t"]));
    assert_eq!(
        (r.error_code, r.member_id.as_deref()),
        (code::NONE, Some("client-made"))
    );
}

#[test]
fn kip848_regex_subscription_and_range_assignor() {
    let mut h = Harness::new(GroupConfig::default());
    h.topics.insert("t2", topic_id(3), 2);
    // Version 1: the client generates its member id.
    let join = cg_join(GROUP, "regex-member", &[])
        .with_subscribed_topic_names(None)
        .with_subscribed_topic_regex(Some("t.*".to_owned()))
        .with_server_assignor(Some("range".to_owned()));
    let r = h.cg(0, 1, &join);
    assert_eq!(r.error_code, code::NONE);
    assert_eq!(
        assigned(&r),
        Some(vec![
            (topic_id(1), vec![0, 1, 2, 3]),
            (topic_id(3), vec![0, 1])
        ])
    );
    let bad = cg_join(GROUP, "bad-regex", &[]).with_subscribed_topic_regex(Some("(".to_owned()));
    assert_eq!(
        h.cg(10, 1, &bad).error_code,
        code::INVALID_REGULAR_EXPRESSION
    );
    // A new matching topic bumps the group epoch and is assigned on the next heartbeat.
    h.topics.insert("t3", topic_id(4), 1);
    let a = r.member_id.expect("id");
    let r2 = h.cg(
        20,
        1,
        &cg_beat(
            &a,
            1,
            &[(topic_id(1), &[0, 1, 2, 3]), (topic_id(3), &[0, 1])],
        ),
    );
    assert_eq!(r2.member_epoch, 2);
    assert_eq!(assigned(&r2).map(|a| a.len()), Some(3));
    let described = h.coordinator.consumer_group_describe(
        0,
        &h.topics,
        &ConsumerGroupDescribeRequest::default().with_group_ids(vec![GROUP.to_owned()]),
    );
    assert_eq!(described.groups[0].assignor_name, "range");
    assert_eq!(
        described.groups[0].members[0]
            .subscribed_topic_regex
            .as_deref(),
        Some("t.*")
    );
}

#[test]
fn kip848_and_classic_groups_do_not_mix() {
    let mut h = Harness::new(GroupConfig::default());
    let a = h
        .cg(0, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("id");
    let (_, r) = h.join_t(10, "");
    assert_eq!(
        r.answer.ready().map(|r| r.error_code),
        Some(code::INCONSISTENT_GROUP_PROTOCOL)
    );
    let described = h.coordinator.describe_groups(
        5,
        &DescribeGroupsRequest::default().with_groups(vec![GROUP.to_owned()]),
    );
    assert_eq!(described.groups[0].group_state, "Dead");
    // A classic group with members refuses KIP-848 heartbeats.
    let (m, _, _) = {
        let mut other = Harness::new(GroupConfig::default());
        let joined = other.join_new(0);
        let r = other.cg(10, 0, &cg_join(GROUP, "", &["t"]));
        assert_eq!(r.error_code, code::GROUP_ID_NOT_FOUND);
        joined
    };
    assert!(!m.is_empty());
    // Offsets: v9 commits check the member epoch; older versions are refused for members.
    let commit_v = |h: &mut Harness, version: i16, epoch: i32, member: &str| {
        let request = commit_request(GROUP, epoch, member, "t", 0, 7, None);
        h.coordinator
            .offset_commit(h.at(50), version, &h.topics, &request)
            .topics[0]
            .partitions[0]
            .error_code
    };
    assert_eq!(commit_v(&mut h, 9, 1, &a), code::NONE);
    assert_eq!(commit_v(&mut h, 9, 0, &a), code::STALE_MEMBER_EPOCH);
    assert_eq!(commit_v(&mut h, 9, 2, &a), code::STALE_MEMBER_EPOCH);
    assert_eq!(commit_v(&mut h, 8, 1, &a), code::UNSUPPORTED_VERSION);
    assert_eq!(commit_v(&mut h, 9, 1, "ghost"), code::UNKNOWN_MEMBER_ID);
    let fetch_v9 = |member: &str, epoch: i32| {
        h.coordinator
            .offset_fetch(
                9,
                &OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default(
                )
                .with_group_id(GROUP.to_owned())
                .with_member_id(Some(member.to_owned()))
                .with_member_epoch(epoch)]),
            )
            .groups[0]
            .error_code
    };
    assert_eq!(fetch_v9(&a, 1), code::NONE);
    assert_eq!(fetch_v9(&a, 0), code::STALE_MEMBER_EPOCH);
    assert_eq!(fetch_v9("ghost", 1), code::UNKNOWN_MEMBER_ID);
}

#[test]
fn config_from_properties() {
    let config = GroupConfig::from_properties([
        ("group.initial.rebalance.delay.ms", "3000"),
        ("group.consumer.session.timeout.ms", "45000"),
        ("group.consumer.assignors", "range,uniform"),
        ("offsets.retention.minutes", "1"),
    ])
    .expect("valid");
    assert_eq!(
        config.initial_rebalance_delay(),
        Duration::from_millis(3000)
    );
    assert_eq!(config.default_assignor(), AssignorKind::Range);
    assert_eq!(config.offsets_retention(), Duration::from_secs(60));
    assert!(matches!(
        GroupConfig::from_properties([("group.max.session.timeout", "1")]),
        Err(GroupConfigError::UnknownKey { .. })
    ));
    let err = GroupConfig::from_properties([("group.min.session.timeout.ms", "soon")])
        .expect_err("bad value");
    assert!(
        err.to_string().contains("group.min.session.timeout.ms"),
        "{err}"
    );
}

#[test]
fn every_response_encodes_at_its_version() {
    fn encodes<M: Message + std::fmt::Debug>(what: &str, version: i16, m: &M) {
        if let Err(e) = m.encode_to_bytes(version) {
            panic!("{what} v{version} does not encode: {e}\n{m:?}");
        }
    }
    fn encodes_body(c: &Completion) {
        match &c.response {
            ResponseBody::JoinGroup(r) => encodes("JoinGroup completion", c.version, r),
            ResponseBody::SyncGroup(r) => encodes("SyncGroup completion", c.version, r),
            other => panic!("unexpected completion {other:?}"),
        }
    }
    for version in 0..=9i16 {
        let mut h = Harness::new(GroupConfig::default());
        let meta = subscription(&["t"]);
        let (_, first) = h.join(0, version, "", None, &[("range", meta.clone())]);
        let mut completions = first.completions.clone();
        let member = match first.answer {
            Answer::Ready(r) => {
                encodes("JoinGroup", version, &r);
                if r.error_code == code::MEMBER_ID_REQUIRED {
                    let (_, second) =
                        h.join(0, version, &r.member_id, None, &[("range", meta.clone())]);
                    completions.extend(second.completions.clone());
                    let r = second.answer.ready().expect("completes alone");
                    encodes("JoinGroup", version, &r);
                    r.member_id
                } else {
                    r.member_id
                }
            }
            Answer::Pending => panic!("v{version}: a lone member's join completes at once"),
        };
        let (_, bad) = h.join(0, version, "stranger", None, &[("range", meta.clone())]);
        encodes(
            "JoinGroup error",
            version,
            &bad.answer.ready().expect("immediate"),
        );
        completions.iter().for_each(encodes_body);

        let sync_version = version.min(5);
        let token = h.token();
        let sync = SyncGroupRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_generation_id(1)
            .with_member_id(member.clone())
            .with_assignments(vec![SyncGroupRequestAssignment::default()
                .with_member_id(member.clone())
                .with_assignment(Bytes::from_static(b"x"))]);
        let s = h.coordinator.sync_group(h.at(1), token, sync_version, sync);
        encodes(
            "SyncGroup",
            sync_version,
            &s.answer.ready().expect("leader sync"),
        );

        let hb_version = version.min(4);
        let hb = HeartbeatRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_generation_id(1)
            .with_member_id(member.clone());
        encodes(
            "Heartbeat",
            hb_version,
            &h.coordinator.heartbeat(h.at(2), hb_version, hb),
        );

        let dg_version = version.min(5);
        let dg = DescribeGroupsRequest::default()
            .with_groups(vec![GROUP.to_owned(), "x".to_owned()])
            .with_include_authorized_operations(true);
        encodes(
            "DescribeGroups",
            dg_version,
            &h.coordinator.describe_groups(dg_version, &dg),
        );
        encodes(
            "ListGroups",
            dg_version,
            &h.coordinator
                .list_groups(dg_version, &ListGroupsRequest::default()),
        );

        let oc = commit_request(GROUP, 1, &member, "t", 0, 5, Some("m"));
        encodes(
            "OffsetCommit",
            version,
            &h.coordinator
                .offset_commit(h.at(3), version, &h.topics, &oc),
        );
        let of = if version >= 8 {
            OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
                .with_group_id(GROUP.to_owned())
                .with_topics(None)])
        } else {
            OffsetFetchRequest::default()
                .with_group_id(GROUP.to_owned())
                .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                    .with_name("t".to_owned())
                    .with_partition_indexes(vec![0, 1])]))
        };
        encodes(
            "OffsetFetch",
            version,
            &h.coordinator.offset_fetch(version, &of),
        );
        let txn_version = version.min(4);
        let txn = TxnOffsetCommitRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_producer_id(1)
            .with_topics(vec![TxnOffsetCommitRequestTopic::default()
                .with_name("t".to_owned())
                .with_partitions(vec![TxnOffsetCommitRequestPartition::default()])]);
        encodes(
            "TxnOffsetCommit",
            txn_version,
            &h.coordinator
                .txn_offset_commit(h.at(3), txn_version, &h.topics, &txn),
        );

        let leave_version = version.min(5);
        let leave = if leave_version >= 3 {
            LeaveGroupRequest::default()
                .with_group_id(GROUP.to_owned())
                .with_members(vec![
                    MemberIdentity::default().with_member_id(member.clone())
                ])
        } else {
            LeaveGroupRequest::default()
                .with_group_id(GROUP.to_owned())
                .with_member_id(member.clone())
        };
        let left = h.coordinator.leave_group(h.at(4), leave_version, leave);
        encodes(
            "LeaveGroup",
            leave_version,
            &left.answer.ready().expect("immediate"),
        );
        let od = OffsetDeleteRequest::default()
            .with_group_id(GROUP.to_owned())
            .with_topics(vec![OffsetDeleteRequestTopic::default()
                .with_name("t".to_owned())
                .with_partitions(vec![OffsetDeleteRequestPartition::default()])]);
        encodes(
            "OffsetDelete",
            0,
            &h.coordinator.offset_delete(0, &h.topics, &od),
        );
        let del = DeleteGroupsRequest::default().with_groups_names(vec![GROUP.to_owned()]);
        encodes(
            "DeleteGroups",
            version.min(2),
            &h.coordinator.delete_groups(version.min(2), &del),
        );
    }
    for version in 0..=1i16 {
        let mut h = Harness::new(GroupConfig::default());
        let r = h.cg(0, version, &cg_join(GROUP, "", &["t"]));
        encodes("ConsumerGroupHeartbeat", version, &r);
        encodes(
            "ConsumerGroupHeartbeat error",
            version,
            &h.cg(0, version, &cg_beat("ghost", 3, &[])),
        );
        let d = h.coordinator.consumer_group_describe(
            0,
            &h.topics,
            &ConsumerGroupDescribeRequest::default()
                .with_group_ids(vec![GROUP.to_owned(), "x".to_owned()])
                .with_include_authorized_operations(true),
        );
        encodes("ConsumerGroupDescribe", 0, &d);
    }
}

#[test]
fn static_members_that_miss_the_rebalance_keep_their_place() {
    let mut h = Harness::new(GroupConfig::default());
    let meta = subscription(&["t"]);
    let (_, ja) = h.join(0, 9, "", Some("ia"), &[("range", meta.clone())]);
    let a = ja.answer.ready().expect("joined").member_id;
    h.sync(0, &a, 1, &[]);
    let (tb, _) = h.join(100, 9, "", Some("ib"), &[("range", meta.clone())]);
    let (_, ja2) = h.join(200, 9, &a, Some("ia"), &[("range", meta.clone())]);
    let b = single_join(&ja2.completions, tb)
        .expect("B joined")
        .member_id;
    h.sync(300, &a, 2, &[]);
    h.sync(300, &b, 2, &[]);
    // B changes its subscription; A keeps heartbeating but never rejoins.
    let (tb2, jb2) = h.join(1_000, 9, &b, Some("ib"), &[("range", subscription(&["u"]))]);
    assert_eq!(jb2.answer, Answer::Pending);
    for ms in [9_000, 18_000, 27_000] {
        assert_eq!(
            h.heartbeat_static(ms, &a, Some("ia"), 2),
            code::REBALANCE_IN_PROGRESS
        );
    }
    let done = h.coordinator.on_timeout(h.at(31_000));
    let rb = single_join(&done, tb2).expect("B's join completes at the rebalance timeout");
    assert_eq!(rb.generation_id, 3);
    assert_eq!(rb.leader, b, "leadership moves to a member that rejoined");
    assert_eq!(rb.members.len(), 2, "the static member A keeps its place");
    // A's session then runs out (10s after its last heartbeat) unless it heartbeats.
    assert_eq!(h.heartbeat_static(31_100, &a, Some("ia"), 3), code::NONE);
    h.coordinator.on_timeout(h.at(41_100));
    assert_eq!(
        h.heartbeat_static(41_200, &a, Some("ia"), 3),
        code::UNKNOWN_MEMBER_ID
    );
}

/// Random traffic from a handful of clients: every parked request is completed exactly once,
/// and once the clients go quiet every parked request is answered by timeouts.
#[test]
fn every_parked_request_completes_exactly_once() {
    use std::collections::BTreeSet;

    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    #[derive(Clone, Default)]
    struct Client {
        member_id: String,
        generation: i32,
        instance: Option<String>,
    }

    let mut total_parked = 0usize;
    let mut total_answered_by_timers = 0usize;
    for seed in 0..40u64 {
        let mut rng = Lcg(seed);
        let mut h = Harness::new(GroupConfig::default().with_seed(seed));
        let mut clients: Vec<Client> = (0..4)
            .map(|i| Client {
                instance: (i % 2 == 0).then(|| format!("inst-{i}")),
                ..Client::default()
            })
            .collect();
        let mut parked: BTreeSet<u64> = BTreeSet::new();
        let mut now_ms = 0u64;

        let absorb = |parked: &mut BTreeSet<u64>,
                      clients: &mut [Client],
                      completions: &[Completion]| {
            for c in completions {
                assert!(
                    parked.remove(&c.token.0),
                    "seed {seed}: token {} completed twice or never parked",
                    c.token.0
                );
                if let ResponseBody::JoinGroup(r) = &c.response {
                    if r.error_code == code::NONE {
                        if let Some(cl) = clients.iter_mut().find(|cl| cl.member_id == r.member_id)
                        {
                            cl.generation = r.generation_id;
                        }
                    }
                }
            }
        };

        for _ in 0..300 {
            let i = usize::try_from(rng.below(4)).expect("small");
            match rng.below(7) {
                0 | 1 => {
                    let client = clients[i].clone();
                    let topics: &[&str] = if rng.below(2) == 0 { &["t"] } else { &["u"] };
                    let (token, handled) = h.join(
                        now_ms,
                        9,
                        &client.member_id,
                        client.instance.as_deref(),
                        &[("range", subscription(topics))],
                    );
                    absorb(&mut parked, &mut clients, &handled.completions);
                    match handled.answer {
                        Answer::Ready(r) => {
                            if r.error_code == code::NONE
                                || r.error_code == code::MEMBER_ID_REQUIRED
                            {
                                clients[i].member_id = r.member_id.clone();
                                clients[i].generation = r.generation_id;
                            } else if r.error_code == code::UNKNOWN_MEMBER_ID
                                || r.error_code == code::FENCED_INSTANCE_ID
                            {
                                clients[i].member_id.clear();
                            }
                        }
                        Answer::Pending => {
                            parked.insert(token.0);
                            total_parked += 1;
                        }
                    }
                }
                2 => {
                    let client = clients[i].clone();
                    let everyone: Vec<(String, Vec<u8>)> = clients
                        .iter()
                        .filter(|c| !c.member_id.is_empty())
                        .map(|c| (c.member_id.clone(), b"x".to_vec()))
                        .collect();
                    let refs: Vec<(&str, &[u8])> = everyone
                        .iter()
                        .map(|(m, a)| (m.as_str(), a.as_slice()))
                        .collect();
                    let (token, handled) =
                        h.sync(now_ms, &client.member_id, client.generation, &refs);
                    absorb(&mut parked, &mut clients, &handled.completions);
                    if handled.answer == Answer::Pending {
                        parked.insert(token.0);
                        total_parked += 1;
                    }
                }
                3 => {
                    let client = clients[i].clone();
                    h.heartbeat_static(
                        now_ms,
                        &client.member_id,
                        client.instance.as_deref(),
                        client.generation,
                    );
                }
                4 => {
                    let client = clients[i].clone();
                    let request = LeaveGroupRequest::default()
                        .with_group_id(GROUP.to_owned())
                        .with_members(vec![MemberIdentity::default()
                            .with_member_id(client.member_id.clone())
                            .with_group_instance_id(client.instance.clone())]);
                    let handled = h.coordinator.leave_group(h.at(now_ms), 5, request);
                    absorb(&mut parked, &mut clients, &handled.completions);
                    clients[i].member_id.clear();
                }
                _ => {
                    now_ms += rng.below(12_000);
                    let done = h.coordinator.on_timeout(h.at(now_ms));
                    absorb(&mut parked, &mut clients, &done);
                }
            }
        }
        // Quiet from here on: timers alone must answer everything still parked.
        let mut rounds = 0;
        while let Some(deadline) = h.coordinator.next_deadline() {
            if parked.is_empty() || rounds > 1_000 {
                break;
            }
            rounds += 1;
            let done = h.coordinator.on_timeout(deadline);
            total_answered_by_timers += done.len();
            absorb(&mut parked, &mut clients, &done);
        }
        assert!(
            parked.is_empty(),
            "seed {seed}: tokens never completed: {parked:?}"
        );
    }
    println!(
        "parked {total_parked} requests, {total_answered_by_timers} answered by the final timers"
    );
    assert!(
        total_parked > 100,
        "the traffic parks requests ({total_parked})"
    );
    assert!(
        total_answered_by_timers > 0,
        "some requests were left for the timers"
    );
}

/// Random KIP-848 traffic from obedient clients (each consumes exactly what the last response
/// allowed): no partition is ever held by two live clients, and a quiet group converges to a
/// Stable state where every partition is owned.
#[test]
fn kip848_partitions_never_have_two_owners() {
    use std::collections::BTreeMap as Map;

    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    #[derive(Clone, Default)]
    struct Client {
        member_id: String,
        epoch: i32,
        owned: Map<Uuid, Vec<i32>>,
        last_heartbeat: u64,
        joined: bool,
    }

    const SESSION_MS: u64 = 10_000;
    let mut revocations = 0usize;
    for seed in 0..30u64 {
        let mut rng = Lcg(seed ^ 0x5eed);
        let config = GroupConfig::default()
            .with_consumer_session_timeout(Duration::from_millis(SESSION_MS))
            .with_seed(seed);
        let mut h = Harness::new(config);
        let mut clients: Vec<Client> = (0..4).map(|_| Client::default()).collect();
        let mut now = 0u64;
        for step in 0..400 {
            let i = usize::try_from(rng.below(4)).expect("small");
            match rng.below(10) {
                0..=5 => {
                    let c = clients[i].clone();
                    let request = if !c.joined {
                        let mut r = cg_join(
                            GROUP,
                            &format!("client-{i}"),
                            if i % 2 == 0 { &["t", "u"] } else { &["t"] },
                        );
                        if rng.below(3) == 0 {
                            r.server_assignor = Some("range".to_owned());
                        }
                        r
                    } else {
                        let owned: Vec<(Uuid, &[i32])> = c
                            .owned
                            .iter()
                            .map(|(id, ps)| (*id, ps.as_slice()))
                            .collect();
                        cg_beat(&c.member_id, c.epoch, &owned)
                    };
                    let r = h.cg(now, 1, &request);
                    let c = &mut clients[i];
                    if r.error_code == code::NONE {
                        c.joined = true;
                        c.member_id = r.member_id.clone().unwrap_or_default();
                        c.epoch = r.member_epoch;
                        c.last_heartbeat = now;
                        if let Some(a) = assigned(&r) {
                            let next: Map<Uuid, Vec<i32>> = a.into_iter().collect();
                            let shrank = c.owned.iter().any(|(id, ps)| {
                                ps.iter()
                                    .any(|p| !next.get(id).is_some_and(|n| n.contains(p)))
                            });
                            revocations += usize::from(shrank);
                            c.owned = next;
                        }
                    } else {
                        assert!(
                            [code::UNKNOWN_MEMBER_ID, code::FENCED_MEMBER_EPOCH]
                                .contains(&r.error_code),
                            "seed {seed} step {step}: unexpected error {}",
                            r.error_code
                        );
                        *c = Client::default();
                    }
                }
                6 => {
                    let c = clients[i].clone();
                    if c.joined {
                        h.cg(now, 1, &cg_beat(&c.member_id, -1, &[]));
                    }
                    clients[i] = Client::default();
                }
                7 => {
                    // Partitions are added to `u` now and then.
                    let n = h.topics.partitions("u").unwrap_or(2);
                    if n < 6 {
                        h.topics.insert("u", topic_id(2), n + 1);
                    }
                }
                _ => {
                    now += rng.below(6_000);
                    h.coordinator.on_timeout(h.at(now));
                }
            }
            // A client silent for a session timeout has lost its partitions (it knows too).
            for c in clients.iter_mut() {
                if c.joined && now.saturating_sub(c.last_heartbeat) >= SESSION_MS {
                    *c = Client::default();
                }
            }
            let mut holders: Map<(Uuid, i32), usize> = Map::new();
            for (ci, c) in clients.iter().enumerate() {
                for (id, ps) in &c.owned {
                    for p in ps {
                        if let Some(other) = holders.insert((*id, *p), ci) {
                            panic!("seed {seed} step {step}: partition {p} of {id} held by clients {other} and {ci}");
                        }
                    }
                }
            }
        }
        // Quiet phase: every live client heartbeats until nothing changes.
        for round in 0..10 {
            now += 500;
            for c in clients.iter_mut().filter(|c| c.joined) {
                let owned: Vec<(Uuid, &[i32])> = c
                    .owned
                    .iter()
                    .map(|(id, ps)| (*id, ps.as_slice()))
                    .collect();
                let r = h.cg(now, 1, &cg_beat(&c.member_id, c.epoch, &owned));
                assert_eq!(r.error_code, code::NONE, "seed {seed} round {round}");
                c.epoch = r.member_epoch;
                c.last_heartbeat = now;
                if let Some(a) = assigned(&r) {
                    c.owned = a.into_iter().collect();
                }
            }
        }
        if clients.iter().any(|c| c.joined) {
            assert_eq!(
                h.state(),
                Some("Stable"),
                "seed {seed}: a quiet group converges"
            );
            let owned: usize = clients
                .iter()
                .flat_map(|c| c.owned.values())
                .map(Vec::len)
                .sum();
            let total = 4 + usize::try_from(h.topics.partitions("u").unwrap_or(0)).unwrap_or(0);
            let u_subscribed = clients
                .iter()
                .enumerate()
                .any(|(i, c)| c.joined && i % 2 == 0);
            assert_eq!(
                owned,
                if u_subscribed { total } else { 4 },
                "seed {seed}: every subscribed partition is owned"
            );
        }
    }
    assert!(
        revocations > 20,
        "the traffic exercises revocation ({revocations})"
    );
}

#[test]
fn empty_groups_convert_between_protocols_keeping_offsets() {
    let mut h = Harness::new(GroupConfig::default());
    // An offsets-only (classic, empty) group becomes a consumer group on the first KIP-848 join.
    assert_eq!(commit(&mut h, 0, GROUP, -1, "", 0, 77, None), code::NONE);
    let a = h
        .cg(10, 0, &cg_join(GROUP, "", &["t"]))
        .member_id
        .expect("joined");
    assert_eq!(
        h.coordinator
            .list_groups(5, &ListGroupsRequest::default())
            .groups[0]
            .group_type,
        "consumer"
    );
    assert_eq!(
        fetch(&h, 7, GROUP, Some(&[0]), false).topics[0].partitions[0].committed_offset,
        77
    );
    // Once empty again, a classic join turns it back, offsets still there.
    h.cg(20, 0, &cg_beat(&a, -1, &[]));
    assert_eq!(h.state(), Some("Empty"));
    let (_, _, joined) = h.join_new(30);
    assert_eq!(
        joined.answer.ready().map(|r| r.error_code),
        Some(code::NONE)
    );
    assert_eq!(
        h.coordinator
            .list_groups(5, &ListGroupsRequest::default())
            .groups[0]
            .group_type,
        "classic"
    );
    assert_eq!(
        fetch(&h, 7, GROUP, Some(&[0]), false).topics[0].partitions[0].committed_offset,
        77
    );
}

#[test]
fn group_size_and_group_id_limits() {
    let mut h = Harness::new(GroupConfig::default().with_max_group_size(1));
    let (a, _, ja) = h.join_new(0);
    assert!(ja.answer.ready().is_some());
    let (_, second) = h.join_t(10, "");
    assert_eq!(
        second.answer.ready().map(|r| r.error_code),
        Some(code::GROUP_MAX_SIZE_REACHED)
    );
    let (_, again) = h.join_t(10, &a);
    assert!(
        matches!(again.answer, Answer::Ready(_)),
        "the existing member may rejoin"
    );
    let token = h.token();
    let request = h
        .join_request("", None, &[("range", Bytes::new())])
        .with_group_id(String::new());
    let r = h
        .coordinator
        .join_group(h.at(20), token, 9, &ClientInfo::default(), request);
    assert_eq!(
        r.answer.ready().map(|r| r.error_code),
        Some(code::INVALID_GROUP_ID)
    );
}

//! `data_dir`: topics, batches, producer state (rebuilt from the batches), group offsets and
//! metadata, and the transaction coordinator survive a restart; torn writes are tolerated
//! and damaged files reported. The standalone binary restarted under kcat is in
//! `persistence_binary_restart_with_kcat`.

mod support;

use bytes::Bytes;
use kafka_testkit::protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_testkit::protocol::messages::delete_records_request::{DeleteRecordsPartition, DeleteRecordsTopic};
use kafka_testkit::protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_testkit::protocol::messages::offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
use kafka_testkit::protocol::messages::offset_delete_request::{OffsetDeleteRequestPartition, OffsetDeleteRequestTopic};
use kafka_testkit::protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_testkit::protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_testkit::protocol::messages::txn_offset_commit_request::{TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic};
use kafka_testkit::protocol::messages::*;
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::{producer_batch, TestClient};
use kafka_testkit::{Cluster, ErrorCode};
use support::process::*;
use support::*;

#[tokio::test]
async fn a_restart_with_fewer_brokers_moves_leaders_to_surviving_brokers() {
    let dir = TempDir::new("shrink");
    {
        let cluster = Cluster::builder().brokers(3).topic("t", 3, 3).topic("solo", 3, 1).seed(4).data_dir(&dir.0).build().await.unwrap();
        for (topic, partition) in [("t", 0), ("t", 1), ("t", 2), ("solo", 0), ("solo", 1), ("solo", 2)] {
            let leader = cluster.partition_state(topic, partition).await.unwrap().unwrap().leader.unwrap();
            let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
            let r = c.send(&produce(topic, partition, &[b"kept"], 1), 9).await.unwrap();
            assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
        }
        cluster.flush().await.unwrap();
    }
    let mut before = Vec::new();
    for round in 0..2 {
        // One broker now: every partition is led by broker 1 and still holds its record.
        let cluster = Cluster::builder().brokers(1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let meta = c.send(&metadata(&["t", "solo"]), 12).await.unwrap();
        let mut epochs = Vec::new();
        for topic in &meta.topics {
            let name = topic.name.clone().unwrap();
            for p in &topic.partitions {
                assert_eq!((p.error_code, p.leader_id), (0, 1), "{name}-{}", p.partition_index);
                let fetched = c.send(&fetch(&name, topic.topic_id, p.partition_index, 0), 12).await.unwrap();
                let data = &fetched.responses[0].partitions[0];
                assert_eq!((data.error_code, data.high_watermark), (0, 1), "{name}-{}", p.partition_index);
                epochs.push((name.clone(), p.partition_index, p.leader_epoch));
            }
        }
        epochs.sort();
        if round == 0 {
            before = epochs;
        } else {
            // The move was written back: the second restart does not move (or bump) again.
            assert_eq!(epochs, before);
        }
        cluster.flush().await.unwrap();
    }
}

#[tokio::test]
async fn topics_and_batches_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("kafka-testkit-persist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let (cluster_id, topic_id) = {
        let cluster = Cluster::builder()
            .brokers(2)
            .topic_with_configs("kept", 2, 2, [("retention.ms", "-1")])
            .data_dir(&dir)
            .build()
            .await
            .unwrap();
        let leader = cluster.partition_state("kept", 1).await.unwrap().unwrap().leader.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
        for i in 0..3u8 {
            c.send(&produce("kept", 1, &[&[i], &[i, i]], 1), 9).await.unwrap();
        }
        let req = DeleteRecordsRequest::default().with_topics(vec![DeleteRecordsTopic::default()
            .with_name("kept".into())
            .with_partitions(vec![DeleteRecordsPartition::default().with_partition_index(1).with_offset(2)])]);
        assert_eq!(c.send(&req, 2).await.unwrap().topics[0].partitions[0].error_code, 0);
        cluster.move_leader("kept", 1, leader).await.unwrap();
        cluster.create_topic("gone", 1, 1).await.unwrap();
        let topic_id = c.send(&metadata(&["kept"]), 12).await.unwrap().topics[0].topic_id;
        let id = cluster.cluster_id().await.unwrap();
        let mut c2 = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let del = kafka_testkit::protocol::messages::DeleteTopicsRequest::default().with_topic_names(vec!["gone".into()]);
        c2.send(&del, 5).await.unwrap();
        cluster.flush().await.unwrap();
        (id, topic_id)
    };

    // A different seed: everything that matters must come from the disk.
    let cluster = Cluster::builder().brokers(2).seed(99).data_dir(&dir).build().await.unwrap();
    assert_eq!(cluster.cluster_id().await.unwrap(), cluster_id);
    assert_eq!(cluster.topic_names().await.unwrap(), vec!["kept".to_string()]);
    let state = cluster.partition_state("kept", 1).await.unwrap().unwrap();
    assert_eq!((state.log_start_offset, state.high_watermark, state.leader_epoch), (2, 6, 1));
    let leader = state.leader.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
    assert_eq!(c.send(&metadata(&["kept"]), 12).await.unwrap().topics[0].topic_id, topic_id);
    let r = c.send(&fetch("kept", Uuid::ZERO, 1, 2), 12).await.unwrap();
    assert_eq!(base_offsets(r.responses[0].partitions[0].records.as_ref().unwrap()), vec![2, 4]);
    // New appends continue the offsets and persist too.
    let r = c.send(&produce("kept", 1, &[b"more"], 1), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].base_offset, 6);
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn altered_topic_configs_survive_a_restart() {
    use kafka_testkit::protocol::messages::describe_configs_request::DescribeConfigsResource;
    use kafka_testkit::protocol::messages::incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    use kafka_testkit::protocol::messages::{DescribeConfigsRequest, IncrementalAlterConfigsRequest};
    let dir = std::env::temp_dir().join(format!("kafka-testkit-persist-configs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let cluster = Cluster::builder().topic("c", 1, 1).data_dir(&dir).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![AlterConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name("c".into())
            .with_configs(vec![AlterableConfig::default()
                .with_name("max.message.bytes".into())
                .with_config_operation(0)
                .with_value(Some("100".into()))])]);
        assert_eq!(c.send(&req, 1).await.unwrap().responses[0].error_code, 0);
        cluster.set_topic_config("c", "retention.ms", Some("1234")).await.unwrap();
        cluster.flush().await.unwrap();
    }
    let cluster = Cluster::builder().data_dir(&dir).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let req = DescribeConfigsRequest::default().with_resources(vec![DescribeConfigsResource::default()
        .with_resource_type(2)
        .with_resource_name("c".into())
        .with_configuration_keys(Some(vec!["max.message.bytes".into(), "retention.ms".into()]))]);
    let resp = c.send(&req, 4).await.unwrap();
    let values: Vec<(String, Option<String>)> = resp.results[0].configs.iter().map(|c| (c.name.clone(), c.value.clone())).collect();
    assert_eq!(
        values,
        vec![("max.message.bytes".into(), Some("100".into())), ("retention.ms".into(), Some("1234".into()))]
    );
    // And produce obeys the reloaded limit.
    let big = vec![b'x'; 200];
    let r = c.send(&produce("c", 0, &[&big], 1), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].error_code, kafka_testkit::codes::MESSAGE_TOO_LARGE);
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------ coordinators and producers

/// A fresh directory under the system temp dir, removed again when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kafka-testkit-persist-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn classic_join(group: &str, member_id: &str) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(group.into())
        .with_session_timeout_ms(30_000)
        .with_rebalance_timeout_ms(60_000)
        .with_member_id(member_id.into())
        .with_protocol_type("consumer".into())
        .with_protocols(vec![JoinGroupRequestProtocol::default().with_name("range".into()).with_metadata(Bytes::from_static(b"m"))])
}

fn commit(group: &str, generation: i32, member_id: &str, offsets: &[(&str, i32, i64)]) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (topic, partition, offset) in offsets {
        let p = OffsetCommitRequestPartition::default()
            .with_partition_index(*partition)
            .with_committed_offset(*offset)
            .with_committed_metadata(Some(format!("meta {offset}")));
        match topics.iter_mut().find(|t| t.name == *topic) {
            Some(t) => t.partitions.push(p),
            None => topics.push(OffsetCommitRequestTopic::default().with_name((*topic).into()).with_partitions(vec![p])),
        }
    }
    OffsetCommitRequest::default()
        .with_group_id(group.into())
        .with_generation_id_or_member_epoch(generation)
        .with_member_id(member_id.into())
        .with_topics(topics)
}

fn commit_errors(r: &OffsetCommitResponse) -> Vec<i16> {
    r.topics.iter().flat_map(|t| t.partitions.iter().map(|p| p.error_code)).collect()
}

/// Every committed offset of `group` as (topic, partition, offset, metadata).
async fn fetch_offsets(c: &mut TestClient, group: &str) -> Vec<(String, i32, i64, String)> {
    let req = OffsetFetchRequest::default()
        .with_groups(vec![OffsetFetchRequestGroup::default().with_group_id(group.into()).with_topics(None)]);
    let r = c.send(&req, 8).await.unwrap();
    assert_eq!(r.groups[0].error_code, 0);
    let mut out: Vec<(String, i32, i64, String)> = r.groups[0]
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| (t.name.clone(), p.partition_index, p.committed_offset, p.metadata.clone().unwrap_or_default()))
        })
        .collect();
    out.sort();
    out
}

fn offsets(list: &[(&str, i32, i64)]) -> Vec<(String, i32, i64, String)> {
    list.iter().map(|(t, p, o)| ((*t).to_owned(), *p, *o, format!("meta {o}"))).collect()
}

#[tokio::test]
async fn classic_group_offsets_and_metadata_survive_a_restart() {
    let dir = TempDir::new("classic");
    let member = {
        let cluster = Cluster::builder().topic("t", 2, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let first = c.send(&classic_join("g", ""), 5).await.unwrap();
        assert_eq!(first.error_code, ErrorCode::MemberIdRequired.code());
        let joined = c.send(&classic_join("g", &first.member_id), 5).await.unwrap();
        assert_eq!((joined.error_code, joined.generation_id), (0, 1));
        let sync = SyncGroupRequest::default()
            .with_group_id("g".into())
            .with_generation_id(1)
            .with_member_id(joined.member_id.clone())
            .with_assignments(vec![SyncGroupRequestAssignment::default()
                .with_member_id(joined.member_id.clone())
                .with_assignment(Bytes::from_static(b"a"))]);
        assert_eq!(c.send(&sync, 3).await.unwrap().error_code, 0);
        let r = c.send(&commit("g", 1, &joined.member_id, &[("t", 0, 5), ("t", 1, 7)]), 8).await.unwrap();
        assert_eq!(commit_errors(&r), vec![0, 0]);
        // Overwritten, then committed again: only the last value counts.
        c.send(&commit("g", 1, &joined.member_id, &[("t", 0, 6)]), 8).await.unwrap();
        // A simple (offsets-only) group, one whose offset is deleted, one deleted outright.
        assert_eq!(commit_errors(&c.send(&commit("simple", -1, "", &[("t", 0, 3)]), 8).await.unwrap()), vec![0]);
        c.send(&commit("partial", -1, "", &[("t", 0, 1), ("t", 1, 2)]), 8).await.unwrap();
        let del = OffsetDeleteRequest::default().with_group_id("partial".into()).with_topics(vec![
            OffsetDeleteRequestTopic::default().with_name("t".into()).with_partitions(vec![OffsetDeleteRequestPartition::default().with_partition_index(1)]),
        ]);
        assert_eq!(c.send(&del, 0).await.unwrap().error_code, 0);
        c.send(&commit("deleted", -1, "", &[("t", 0, 9)]), 8).await.unwrap();
        let r = c.send(&DeleteGroupsRequest::default().with_groups_names(vec!["deleted".into()]), 2).await.unwrap();
        assert_eq!(r.results[0].error_code, 0);
        cluster.flush().await.unwrap();
        joined.member_id
    };

    // A different seed and no builder topics: everything comes from the disk.
    let cluster = Cluster::builder().seed(77).data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    assert_eq!(fetch_offsets(&mut c, "g").await, offsets(&[("t", 0, 6), ("t", 1, 7)]));
    assert_eq!(fetch_offsets(&mut c, "simple").await, offsets(&[("t", 0, 3)]));
    assert_eq!(fetch_offsets(&mut c, "partial").await, offsets(&[("t", 0, 1)]));
    assert_eq!(fetch_offsets(&mut c, "deleted").await, vec![]);

    let listed = c.send(&ListGroupsRequest::default(), 4).await.unwrap();
    let mut groups: Vec<(String, String, String)> =
        listed.groups.iter().map(|g| (g.group_id.clone(), g.protocol_type.clone(), g.group_state.clone())).collect();
    groups.sort();
    let expected = [("g", "consumer", "Empty"), ("partial", "", "Empty"), ("simple", "", "Empty")];
    assert_eq!(groups, expected.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())).to_vec());
    let described = c.send(&DescribeGroupsRequest::default().with_groups(vec!["g".into()]), 5).await.unwrap();
    let g = &described.groups[0];
    assert_eq!((g.error_code, g.group_state.as_str(), g.protocol_type.as_str()), (0, "Empty", "consumer"));
    assert!(g.members.is_empty(), "members do not survive a restart: {g:?}");

    // The old member is gone: its commit is refused and it must rejoin; the group moved one
    // generation on (the members' departure), so the rejoin forms generation 3.
    let r = c.send(&commit("g", 1, &member, &[("t", 0, 100)]), 8).await.unwrap();
    assert_eq!(commit_errors(&r), vec![ErrorCode::UnknownMemberId.code()]);
    let first = c.send(&classic_join("g", ""), 5).await.unwrap();
    let joined = c.send(&classic_join("g", &first.member_id), 5).await.unwrap();
    assert_eq!((joined.error_code, joined.generation_id), (0, 3));
    assert_ne!(first.member_id, member, "member ids minted after a restart are new");
    assert_eq!(fetch_offsets(&mut c, "g").await, offsets(&[("t", 0, 6), ("t", 1, 7)]));

    // Changes after the restart persist too.
    c.send(&commit("simple", -1, "", &[("t", 1, 4)]), 8).await.unwrap();
    cluster.flush().await.unwrap();
    drop(cluster);
    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    assert_eq!(fetch_offsets(&mut c, "simple").await, offsets(&[("t", 0, 3), ("t", 1, 4)]));
    assert_eq!(fetch_offsets(&mut c, "g").await, offsets(&[("t", 0, 6), ("t", 1, 7)]));
}

#[tokio::test]
async fn consumer_group_offsets_and_epochs_survive_a_restart() {
    let dir = TempDir::new("kip848");
    let (member, epoch) = {
        let cluster = Cluster::builder().topic("t", 2, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let join = ConsumerGroupHeartbeatRequest::default()
            .with_group_id("cg".into())
            .with_member_id("member-a".into())
            .with_member_epoch(0)
            .with_rebalance_timeout_ms(20_000)
            .with_subscribed_topic_names(Some(vec!["t".into()]))
            .with_topic_partitions(Some(Vec::new()));
        let r = c.send(&join, 1).await.unwrap();
        assert_eq!(r.error_code, 0, "{r:?}");
        let (member, epoch) = (r.member_id.clone().unwrap_or_else(|| "member-a".into()), r.member_epoch);
        assert!(epoch >= 1);
        let r = c.send(&commit("cg", epoch, &member, &[("t", 0, 11), ("t", 1, 12)]), 9).await.unwrap();
        assert_eq!(commit_errors(&r), vec![0, 0]);
        cluster.flush().await.unwrap();
        (member, epoch)
    };

    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    assert_eq!(fetch_offsets(&mut c, "cg").await, offsets(&[("t", 0, 11), ("t", 1, 12)]));
    let listed = c.send(&ListGroupsRequest::default(), 5).await.unwrap();
    let g = &listed.groups[0];
    assert_eq!((g.group_id.as_str(), g.group_type.as_str(), g.group_state.as_str()), ("cg", "consumer", "Empty"));
    let described = c.send(&ConsumerGroupDescribeRequest::default().with_group_ids(vec!["cg".into()]), 0).await.unwrap();
    let d = &described.groups[0];
    assert_eq!((d.error_code, d.group_state.as_str()), (0, "Empty"));
    assert_eq!(d.group_epoch, epoch + 1, "the members' departure bumps the group epoch once");
    assert!(d.members.is_empty());
    // The old member must rejoin; a new member gets a newer epoch than anything before.
    let beat = ConsumerGroupHeartbeatRequest::default()
        .with_group_id("cg".into())
        .with_member_id(member.clone())
        .with_member_epoch(epoch)
        .with_topic_partitions(Some(Vec::new()));
    assert_eq!(c.send(&beat, 1).await.unwrap().error_code, ErrorCode::UnknownMemberId.code());
    let rejoin = ConsumerGroupHeartbeatRequest::default()
        .with_group_id("cg".into())
        .with_member_id(member)
        .with_member_epoch(0)
        .with_rebalance_timeout_ms(20_000)
        .with_subscribed_topic_names(Some(vec!["t".into()]))
        .with_topic_partitions(Some(Vec::new()));
    let r = c.send(&rejoin, 1).await.unwrap();
    assert_eq!(r.error_code, 0);
    assert_eq!(r.member_epoch, epoch + 2);
}

async fn init_producer(c: &mut TestClient, transactional_id: Option<&str>) -> (i64, i16) {
    let req = InitProducerIdRequest::default()
        .with_transactional_id(transactional_id.map(str::to_owned))
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(-1)
        .with_producer_epoch(-1);
    let r = c.send(&req, 4).await.unwrap();
    assert_eq!(r.error_code, 0, "{r:?}");
    (r.producer_id, r.producer_epoch)
}

fn produced(r: &ProduceResponse) -> (i16, i64) {
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[tokio::test]
async fn an_idempotent_retry_across_a_restart_is_a_duplicate() {
    let dir = TempDir::new("idempotent");
    let batch = |pid: i64, epoch: i16, seq: i32, values: &[&[u8]]| Bytes::from(producer_batch(values, 1, pid, epoch, seq, false));
    let (pid, epoch) = {
        let cluster = Cluster::builder().topic("t", 1, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let (pid, epoch) = init_producer(&mut c, None).await;
        assert_eq!(produced(&c.send(&produce_raw("t", 0, batch(pid, epoch, 0, &[b"a", b"b"]), -1), 9).await.unwrap()), (0, 0));
        assert_eq!(produced(&c.send(&produce_raw("t", 0, batch(pid, epoch, 2, &[b"c"]), -1), 9).await.unwrap()), (0, 2));
        cluster.flush().await.unwrap();
        (pid, epoch)
    };
    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    // The retry of the last batch (its response was "lost" in the restart) is answered with
    // the original offset and not appended again; so is an older batch in the window.
    assert_eq!(produced(&c.send(&produce_raw("t", 0, batch(pid, epoch, 2, &[b"c"]), -1), 9).await.unwrap()), (0, 2));
    assert_eq!(produced(&c.send(&produce_raw("t", 0, batch(pid, epoch, 0, &[b"a", b"b"]), -1), 9).await.unwrap()), (0, 0));
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 3);
    // Sequences continue; a gap is still refused.
    let gap = c.send(&produce_raw("t", 0, batch(pid, epoch, 9, &[b"x"]), -1), 9).await.unwrap();
    assert_eq!(produced(&gap).0, ErrorCode::OutOfOrderSequenceNumber.code());
    assert_eq!(produced(&c.send(&produce_raw("t", 0, batch(pid, epoch, 3, &[b"d"]), -1), 9).await.unwrap()), (0, 3));
    // A new producer never gets an id the logs already hold.
    let (fresh, _) = init_producer(&mut c, None).await;
    assert!(fresh > pid, "{fresh} after {pid}");
}

fn add_partition(id: &str, pid: i64, epoch: i16) -> AddPartitionsToTxnRequest {
    AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id(id.into())
        .with_v3_and_below_producer_id(pid)
        .with_v3_and_below_producer_epoch(epoch)
        .with_v3_and_below_topics(vec![AddPartitionsToTxnTopic::default().with_name("t".into()).with_partitions(vec![0])])
}

fn add_partition_error(r: &AddPartitionsToTxnResponse) -> i16 {
    r.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code
}

fn end_txn(id: &str, pid: i64, epoch: i16, commit: bool) -> EndTxnRequest {
    EndTxnRequest::default().with_transactional_id(id.into()).with_producer_id(pid).with_producer_epoch(epoch).with_committed(commit)
}

fn txn_commit(id: &str, pid: i64, epoch: i16, group: &str, offset: i64) -> TxnOffsetCommitRequest {
    TxnOffsetCommitRequest::default()
        .with_transactional_id(id.into())
        .with_group_id(group.into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_generation_id(-1)
        .with_topics(vec![TxnOffsetCommitRequestTopic::default().with_name("t".into()).with_partitions(vec![
            TxnOffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(offset)
                .with_committed_metadata(Some(format!("meta {offset}"))),
        ])])
}

#[tokio::test]
async fn transactions_after_a_restart_fence_abort_and_keep_read_committed_correct() {
    let dir = TempDir::new("txn");
    let (pid, epoch) = {
        let cluster = Cluster::builder().topic("t", 1, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let (pid, epoch) = init_producer(&mut c, Some("tx")).await;
        let send_txn_batch = |seq: i32, values: &'static [&'static [u8]]| {
            produce_raw("t", 0, Bytes::from(producer_batch(values, 1, pid, epoch, seq, true)), -1)
                .with_transactional_id(Some("tx".into()))
        };
        // 1: committed, with offsets for group "tg" (offsets 0-1, marker 2).
        assert_eq!(add_partition_error(&c.send(&add_partition("tx", pid, epoch), 3).await.unwrap()), 0);
        assert_eq!(produced(&c.send(&send_txn_batch(0, &[b"c1", b"c2"]), 9).await.unwrap()), (0, 0));
        let add_offsets = AddOffsetsToTxnRequest::default()
            .with_transactional_id("tx".into())
            .with_producer_id(pid)
            .with_producer_epoch(epoch)
            .with_group_id("tg".into());
        assert_eq!(c.send(&add_offsets, 3).await.unwrap().error_code, 0);
        let r = c.send(&txn_commit("tx", pid, epoch, "tg", 2), 3).await.unwrap();
        assert_eq!(r.topics[0].partitions[0].error_code, 0);
        assert_eq!(c.send(&end_txn("tx", pid, epoch, true), 3).await.unwrap().error_code, 0);
        // 2: aborted (data 3, marker 4).
        c.send(&add_partition("tx", pid, epoch), 3).await.unwrap();
        assert_eq!(produced(&c.send(&send_txn_batch(2, &[b"a1"]), 9).await.unwrap()), (0, 3));
        assert_eq!(c.send(&end_txn("tx", pid, epoch, false), 3).await.unwrap().error_code, 0);
        // 3: still open at shutdown (data 5), with staged offsets.
        c.send(&add_partition("tx", pid, epoch), 3).await.unwrap();
        assert_eq!(produced(&c.send(&send_txn_batch(3, &[b"o1"]), 9).await.unwrap()), (0, 5));
        c.send(&add_offsets, 3).await.unwrap();
        c.send(&txn_commit("tx", pid, epoch, "tg", 99), 3).await.unwrap();
        cluster.flush().await.unwrap();
        (pid, epoch)
    };

    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    // The open transaction was aborted on load: an abort marker at 6, the LSO is no longer
    // stuck at 5, and read_committed learns of both aborted transactions.
    let mut rc = fetch("t", Uuid::ZERO, 0, 0);
    rc.isolation_level = 1;
    let f = c.send(&rc, 11).await.unwrap();
    let p = &f.responses[0].partitions[0];
    assert_eq!((p.high_watermark, p.last_stable_offset), (7, 7));
    assert_eq!(base_offsets(p.records.as_ref().unwrap()), vec![0, 2, 3, 4, 5, 6]);
    let mut aborted: Vec<(i64, i64)> =
        p.aborted_transactions.iter().flatten().map(|a| (a.producer_id, a.first_offset)).collect();
    aborted.sort();
    assert_eq!(aborted, vec![(pid, 3), (pid, 5)]);
    // Committed transactional offsets survived; the aborted transaction's staged ones did not.
    assert_eq!(fetch_offsets(&mut c, "tg").await, offsets(&[("t", 0, 2)]));

    // The old producer is fenced (its transaction was aborted with a bumped epoch) ...
    let r = c.send(&add_partition("tx", pid, epoch), 3).await.unwrap();
    assert_eq!(add_partition_error(&r), ErrorCode::ProducerFenced.code());
    let stale = produce_raw("t", 0, Bytes::from(producer_batch(&[b"late"], 1, pid, epoch, 4, true)), -1)
        .with_transactional_id(Some("tx".into()));
    assert_ne!(produced(&c.send(&stale, 9).await.unwrap()).0, 0);
    // ... and a new instance gets the same producer id with the next epoch, not a new id.
    let (pid2, epoch2) = init_producer(&mut c, Some("tx")).await;
    assert_eq!((pid2, epoch2), (pid, epoch + 2));
    let described = c.send(&DescribeTransactionsRequest::default().with_transactional_ids(vec!["tx".into()]), 0).await.unwrap();
    assert_eq!(described.transaction_states[0].transaction_state, "Empty");
}

#[tokio::test]
async fn an_open_transaction_whose_coordinator_snapshot_was_lost_is_aborted_on_load() {
    let dir = TempDir::new("orphan");
    let pid = {
        let cluster = Cluster::builder().topic("t", 1, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let (pid, epoch) = init_producer(&mut c, Some("lost")).await;
        assert_eq!(add_partition_error(&c.send(&add_partition("lost", pid, epoch), 3).await.unwrap()), 0);
        let batch = produce_raw("t", 0, Bytes::from(producer_batch(&[b"x", b"y"], 1, pid, epoch, 0, true)), -1)
            .with_transactional_id(Some("lost".into()));
        assert_eq!(produced(&c.send(&batch, 9).await.unwrap()), (0, 0));
        cluster.flush().await.unwrap();
        pid
    };
    std::fs::remove_file(dir.0.join("~transactions")).unwrap();
    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let mut rc = fetch("t", Uuid::ZERO, 0, 0);
    rc.isolation_level = 1;
    let f = c.send(&rc, 11).await.unwrap();
    let p = &f.responses[0].partitions[0];
    assert_eq!((p.high_watermark, p.last_stable_offset), (3, 3), "an abort marker closed the transaction");
    let aborted: Vec<(i64, i64)> = p.aborted_transactions.iter().flatten().map(|a| (a.producer_id, a.first_offset)).collect();
    assert_eq!(aborted, vec![(pid, 0)]);
    // The id is unknown now, but the producer id it had is never handed out again.
    let (fresh, _) = init_producer(&mut c, Some("lost")).await;
    assert!(fresh > pid, "{fresh} after {pid}");
}

#[tokio::test]
async fn a_transactional_producer_is_fenced_by_a_new_instance_after_a_clean_restart() {
    let dir = TempDir::new("fence");
    let (pid, epoch) = {
        let cluster = Cluster::builder().topic("t", 1, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let (pid, epoch) = init_producer(&mut c, Some("app")).await;
        assert_eq!(add_partition_error(&c.send(&add_partition("app", pid, epoch), 3).await.unwrap()), 0);
        let batch = produce_raw("t", 0, Bytes::from(producer_batch(&[b"x"], 1, pid, epoch, 0, true)), -1)
            .with_transactional_id(Some("app".into()));
        assert_eq!(produced(&c.send(&batch, 9).await.unwrap()), (0, 0));
        assert_eq!(c.send(&end_txn("app", pid, epoch, true), 3).await.unwrap().error_code, 0);
        // An unrelated idempotent producer moves the id counter on.
        init_producer(&mut c, None).await;
        cluster.flush().await.unwrap();
        (pid, epoch)
    };
    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let (pid2, epoch2) = init_producer(&mut c, Some("app")).await;
    assert_eq!((pid2, epoch2), (pid, epoch + 1), "the transactional id keeps its producer id; the epoch moves on");
    let r = c.send(&add_partition("app", pid, epoch), 3).await.unwrap();
    assert_eq!(add_partition_error(&r), ErrorCode::ProducerFenced.code());
    assert_eq!(c.send(&end_txn("app", pid, epoch, true), 3).await.unwrap().error_code, ErrorCode::ProducerFenced.code());
    // Idempotent ids handed out before the restart are not reused.
    let (fresh, _) = init_producer(&mut c, None).await;
    assert!(fresh > pid + 1, "{fresh}");
}

#[tokio::test]
async fn torn_tails_are_cut_off_and_corrupt_files_are_named() {
    use std::io::Write as _;
    let dir = TempDir::new("corrupt");
    {
        let cluster = Cluster::builder().topic("t", 1, 1).data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        c.send(&produce("t", 0, &[b"a"], 1), 9).await.unwrap();
        c.send(&produce("t", 0, &[b"b"], 1), 9).await.unwrap();
        c.send(&commit("g", -1, "", &[("t", 0, 1)]), 8).await.unwrap();
        cluster.flush().await.unwrap();
    }
    let log = dir.0.join("t").join("0.log");
    let groups = dir.0.join("~groups.log");
    let append = |path: &std::path::Path, bytes: &[u8]| {
        std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
    };
    // Torn writes: half a batch at the end of the log, half a line at the end of the group log.
    let whole = std::fs::read(&log).unwrap();
    append(&log, &whole[..whole.len() / 4]);
    append(&groups, b"0123abcd O =g =t 0 5");
    {
        let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 2);
        assert_eq!(fetch_offsets(&mut c, "g").await, offsets(&[("t", 0, 1)]));
        // Appends continue right after the last whole batch.
        let r = c.send(&produce("t", 0, &[b"c"], 1), 9).await.unwrap();
        assert_eq!(produced(&r), (0, 2));
        cluster.flush().await.unwrap();
    }
    {
        let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
        let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
        let f = c.send(&fetch("t", Uuid::ZERO, 0, 0), 12).await.unwrap();
        assert_eq!(base_offsets(f.responses[0].partitions[0].records.as_ref().unwrap()), vec![0, 1, 2]);
    }

    // Damage that is not a torn tail: a typed error naming the file, never a panic.
    let expect_named = |result: Result<Cluster, kafka_testkit::Error>, file: &str| match result {
        Err(kafka_testkit::Error::DataDir(e)) => assert!(e.to_string().contains(file), "{e}"),
        Err(e) => panic!("expected a data dir error naming {file}, got {e}"),
        Ok(_) => panic!("a corrupt {file} was accepted"),
    };
    let mut damaged = std::fs::read(&log).unwrap();
    damaged[40] ^= 0xff; // inside the first batch's CRC-covered part
    std::fs::write(&log, &damaged).unwrap();
    expect_named(Cluster::builder().data_dir(&dir.0).build().await, "0.log");
    std::fs::write(&log, &whole).unwrap();

    let good_groups = std::fs::read(&groups).unwrap();
    let mut bad = b"00000000 G nonsense\n".to_vec();
    bad.extend_from_slice(&good_groups);
    std::fs::write(&groups, &bad).unwrap();
    expect_named(Cluster::builder().data_dir(&dir.0).build().await, "~groups.log");
    std::fs::write(&groups, &good_groups).unwrap();

    std::fs::write(dir.0.join("~transactions"), b"not a snapshot\n").unwrap();
    expect_named(Cluster::builder().data_dir(&dir.0).build().await, "~transactions");
    std::fs::remove_file(dir.0.join("~transactions")).unwrap();

    let meta = dir.0.join("t").join("meta");
    let good_meta = std::fs::read(&meta).unwrap();
    std::fs::write(&meta, b"partition x y\n").unwrap();
    expect_named(Cluster::builder().data_dir(&dir.0).build().await, "meta");
    std::fs::write(&meta, &good_meta).unwrap();

    // Repaired, it loads again.
    let cluster = Cluster::builder().data_dir(&dir.0).build().await.unwrap();
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 2);
}

// ------------------------------------------------------------------ the standalone binary

#[test]
fn persistence_binary_restart_with_kcat() {
    if !kcat_available() {
        println!("SKIPPED persistence_binary_restart_with_kcat: kcat is not installed (apt-get install -y kcat)");
        return;
    }
    let dir = TempDir::new("binary");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let bootstrap = format!("127.0.0.1:{port}");
    let b = bootstrap.as_str();

    let broker = BrokerProcess::start_on(port, &dir.0);
    kcat_run(&["-b", b, "-P", "-t", "kept", "-X", "enable.idempotence=true"], Some("1\n2\n3\n4\n5\n"));
    let first = kcat_run(&["-b", b, "-G", "resume", "kept", "-o", "beginning", "-e", "-q"], None);
    assert_eq!(first.lines().collect::<Vec<_>>(), vec!["1", "2", "3", "4", "5"]);
    // The consumer committed offset 5 on close; the broker dies without a chance to flush.
    broker.kill();

    let broker = BrokerProcess::start_on(port, &dir.0);
    let listing = kcat_run(&["-b", b, "-L", "-t", "kept"], None);
    assert!(listing.contains("topic \"kept\" with 1 partitions"), "{listing}");
    kcat_run(&["-b", b, "-P", "-t", "kept"], Some("6\n"));
    // With the commit lost, auto.offset.reset=earliest would replay 1-6.
    let second = kcat_run(&["-b", b, "-G", "resume", "kept", "-X", "auto.offset.reset=earliest", "-e", "-q"], None);
    assert_eq!(second.lines().collect::<Vec<_>>(), vec!["6"], "the group resumes after its committed offset");
    drop(broker);
}

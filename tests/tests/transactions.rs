//! Idempotent producers and transactions over the wire: duplicates, InitProducerId,
//! AddPartitionsToTxn, EndTxn markers, read_committed fetches and the LSO.

mod support;

use bytes::Bytes;
use kafka_testkit::protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_testkit::protocol::messages::*;
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::{producer_batch, TestClient};
use kafka_testkit::{Cluster, CoordinatorType};
use support::*;

async fn init(c: &mut TestClient, transactional_id: Option<&str>) -> (i64, i16) {
    let req = InitProducerIdRequest::default()
        .with_transactional_id(transactional_id.map(str::to_owned))
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(-1)
        .with_producer_epoch(-1);
    let r = c.send(&req, 4).await.unwrap();
    assert_eq!(r.error_code, 0);
    (r.producer_id, r.producer_epoch)
}

#[tokio::test]
async fn idempotent_duplicates_return_the_original_offset() {
    let cluster = Cluster::builder().topic("t", 1, 1).build().await.unwrap();
    let mut c = TestClient::connect(cluster.broker_addr(1).unwrap()).await.unwrap();
    let (pid, epoch) = init(&mut c, None).await;
    let batch = |seq: i32| Bytes::from(producer_batch(&[b"a", b"b"], 1, pid, epoch, seq, false));
    let first = c.send(&produce_raw("t", 0, batch(0), -1), 9).await.unwrap();
    let again = c.send(&produce_raw("t", 0, batch(0), -1), 9).await.unwrap();
    assert_eq!(first.responses[0].partition_responses[0].base_offset, 0);
    assert_eq!(again.responses[0].partition_responses[0].error_code, 0);
    assert_eq!(again.responses[0].partition_responses[0].base_offset, 0);
    assert_eq!(cluster.partition_state("t", 0).await.unwrap().unwrap().high_watermark, 2);
    // A gap in the sequence is refused.
    let gap = c.send(&produce_raw("t", 0, batch(5), -1), 9).await.unwrap();
    assert_eq!(gap.responses[0].partition_responses[0].error_code, kafka_testkit::ErrorCode::OutOfOrderSequenceNumber.code());
    let next = c.send(&produce_raw("t", 0, batch(2), -1), 9).await.unwrap();
    assert_eq!(next.responses[0].partition_responses[0].base_offset, 2);
}

#[tokio::test]
async fn transactions_hide_uncommitted_and_aborted_data_from_read_committed() {
    let cluster = Cluster::builder().brokers(2).topic("t", 1, 1).build().await.unwrap();
    let coordinator = cluster.coordinator(CoordinatorType::Transaction, "tx").await.unwrap();
    let mut tc = TestClient::connect(cluster.broker_addr(coordinator).unwrap()).await.unwrap();
    let leader = cluster.partition_state("t", 0).await.unwrap().unwrap().leader.unwrap();
    let mut pc = TestClient::connect(cluster.broker_addr(leader).unwrap()).await.unwrap();
    let other = if coordinator == 1 { 2 } else { 1 };
    let mut wrong = TestClient::connect(cluster.broker_addr(other).unwrap()).await.unwrap();
    let req = InitProducerIdRequest::default().with_transactional_id(Some("tx".into())).with_transaction_timeout_ms(60_000);
    assert_eq!(wrong.send(&req, 4).await.unwrap().error_code, kafka_testkit::ErrorCode::NotCoordinator.code());
    let (pid, epoch) = init(&mut tc, Some("tx")).await;

    let add = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id("tx".into())
        .with_v3_and_below_producer_id(pid)
        .with_v3_and_below_producer_epoch(epoch)
        .with_v3_and_below_topics(vec![AddPartitionsToTxnTopic::default().with_name("t".into()).with_partitions(vec![0])]);
    let (v1, s1): (&[&[u8]], i32) = (&[b"c1", b"c2"], 0);
    let (v2, s2): (&[&[u8]], i32) = (&[b"a1"], 2);
    let (add1, add2) = (add.clone(), add);

    // Transaction 1: written but not yet committed -> invisible to read_committed.
    let r = tc.send(&add1, 3).await.unwrap();
    assert_eq!(r.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code, 0);
    let batch = Bytes::from(producer_batch(v1, 1, pid, epoch, s1, true));
    let r = pc.send(&produce_raw("t", 0, batch, -1).with_transactional_id(Some("tx".into())), 9).await.unwrap();
    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    let mut rc = fetch("t", Uuid::ZERO, 0, 0);
    rc.isolation_level = 1;
    let f = pc.send(&rc, 11).await.unwrap();
    let p = &f.responses[0].partitions[0];
    assert_eq!((p.high_watermark, p.last_stable_offset), (2, 0));
    assert!(p.records.as_ref().unwrap().is_empty());
    let end = |commit| EndTxnRequest::default().with_transactional_id("tx".into()).with_producer_id(pid).with_producer_epoch(epoch).with_committed(commit);
    assert_eq!(tc.send(&end(true), 3).await.unwrap().error_code, 0);
    let f = pc.send(&rc, 11).await.unwrap();
    let p = &f.responses[0].partitions[0];
    assert_eq!((p.high_watermark, p.last_stable_offset), (3, 3), "data + commit marker");
    assert_eq!(base_offsets(p.records.as_ref().unwrap()), vec![0, 2]);

    // Transaction 2: aborted -> listed in aborted_transactions for read_committed.
    tc.send(&add2, 3).await.unwrap();
    let batch = Bytes::from(producer_batch(v2, 1, pid, epoch, s2, true));
    pc.send(&produce_raw("t", 0, batch, -1).with_transactional_id(Some("tx".into())), 9).await.unwrap();
    assert_eq!(tc.send(&end(false), 3).await.unwrap().error_code, 0);
    let mut rc = fetch("t", Uuid::ZERO, 0, 3);
    rc.isolation_level = 1;
    let f = pc.send(&rc, 11).await.unwrap();
    let p = &f.responses[0].partitions[0];
    assert_eq!(p.last_stable_offset, 5);
    let aborted = p.aborted_transactions.as_ref().unwrap();
    assert_eq!((aborted[0].producer_id, aborted[0].first_offset), (pid, 3));
    // ListTransactions on the coordinator shows the id; ListOffsets latest read_committed = LSO.
    let lt = tc.send(&ListTransactionsRequest::default(), 1).await.unwrap();
    assert_eq!(lt.transaction_states[0].transactional_id, "tx");
    let mut lo = list_offsets("t", 0, -1);
    lo.isolation_level = 1;
    assert_eq!(pc.send(&lo, 5).await.unwrap().topics[0].partitions[0].offset, 5);
}

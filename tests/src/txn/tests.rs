//! Whole-flow tests: a miniature partition log and group coordinator driven exactly as the
//! cluster actor is meant to drive this module, with time passed in.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kafka_protocol::messages::describe_producers_request::TopicRequest;
use kafka_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafka_protocol::messages::*;

use super::coordinator::{TopicView, TxnOffset, OFFSETS_TOPIC};
use super::marker::parse_control_marker;
use super::*;

const TOPIC: &str = "orders";
const TIMEOUT: i32 = 60_000;

#[derive(Debug)]
struct Stored {
    base: i64,
    last: i64,
    producer_id: i64,
    transactional: bool,
    control: Option<ControlMarker>,
}

#[derive(Default)]
struct Partition {
    log: Vec<Stored>,
    end: i64,
    state: PartitionTxnState,
}

/// A group coordinator double: staged offsets per producer, committed offsets per group.
#[derive(Default)]
struct Groups {
    staged: BTreeMap<i64, Vec<(String, TxnOffset)>>,
    committed: BTreeMap<(String, String, i32), i64>,
    member_error: Option<i16>,
    completions: Vec<(i64, bool)>,
}

impl TxnOffsetSink for Groups {
    fn validate_member(
        &mut self,
        _group: &str,
        generation: i32,
        member: &str,
        _instance: Option<&str>,
    ) -> Result<(), i16> {
        if generation == -1 && member.is_empty() {
            return Ok(());
        }
        self.member_error.map_or(Ok(()), Err)
    }

    fn stage(&mut self, producer_id: i64, group_id: &str, offsets: Vec<TxnOffset>) {
        let staged = self.staged.entry(producer_id).or_default();
        staged.extend(offsets.into_iter().map(|o| (group_id.to_owned(), o)));
    }

    fn complete(&mut self, producer_id: i64, commit: bool) {
        self.completions.push((producer_id, commit));
        let staged = self.staged.remove(&producer_id).unwrap_or_default();
        if commit {
            for (group, o) in staged {
                self.committed
                    .insert((group, o.topic, o.partition), o.offset);
            }
        }
    }
}

struct Harness {
    now: i64,
    coordinator: TxnCoordinator,
    partitions: BTreeMap<(String, i32), Partition>,
    groups: Groups,
}

impl Harness {
    fn new(config: TxnCoordinatorConfig) -> Self {
        let mut partitions = BTreeMap::new();
        for p in 0..3 {
            partitions.insert((TOPIC.to_owned(), p), Partition::default());
        }
        Self {
            now: 1_000_000,
            coordinator: TxnCoordinator::new(config),
            partitions,
            groups: Groups::default(),
        }
    }

    fn topics(&self) -> impl TopicView + '_ {
        |t: &str, p: i32| self.partitions.contains_key(&(t.to_owned(), p))
    }

    /// The Produce handler's path for one batch: coordinator verification, producer state,
    /// append, record. Returns the base offset answered to the client.
    fn produce(&mut self, partition: i32, batch: BatchProducerInfo) -> Result<i64, i16> {
        self.coordinator
            .verify_transactional_produce(&batch, TOPIC, partition)?;
        let p = self
            .partitions
            .get_mut(&(TOPIC.to_owned(), partition))
            .ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        match p.state.validate_append(&batch).map_err(|e| e.code())? {
            AppendDecision::Duplicate { base_offset, .. } => Ok(base_offset),
            AppendDecision::Append => {
                let base = p.end;
                let last = base + i64::from(batch.last_offset_delta);
                p.log.push(Stored {
                    base,
                    last,
                    producer_id: batch.producer_id,
                    transactional: batch.is_transactional,
                    control: None,
                });
                p.end = last + 1;
                p.state.record_append(&batch, base, self.now);
                Ok(base)
            }
        }
    }

    /// The actor's effect application.
    fn apply(&mut self, effects: Vec<TxnEffect>) {
        for effect in effects {
            effect.apply_offsets(&mut self.groups);
            if let TxnEffect::WriteMarkers {
                producer_id,
                producer_epoch,
                coordinator_epoch,
                commit,
                partitions,
                ..
            } = effect
            {
                for tp in partitions {
                    let p = self
                        .partitions
                        .get_mut(&tp)
                        .expect("marker for a known partition");
                    p.state
                        .validate_marker(producer_id, producer_epoch, coordinator_epoch)
                        .expect("valid marker");
                    let marker = ControlMarker {
                        commit,
                        coordinator_epoch,
                    };
                    let bytes: Bytes = PartitionTxnState::marker_batch(
                        producer_id,
                        producer_epoch,
                        marker,
                        self.now,
                        0,
                    );
                    let parsed = parse_control_marker(&bytes).expect("control batch decodes");
                    let offset = p.end;
                    p.log.push(Stored {
                        base: offset,
                        last: offset,
                        producer_id,
                        transactional: true,
                        control: Some(parsed),
                    });
                    p.end += 1;
                    p.state.record_marker(
                        producer_id,
                        producer_epoch,
                        marker,
                        offset,
                        self.now,
                        self.now,
                    );
                }
            }
        }
    }

    fn partition(&self, p: i32) -> &Partition {
        &self.partitions[&(TOPIC.to_owned(), p)]
    }

    /// What a read_committed consumer sees from `fetch_offset`: the broker serves batches
    /// below the LSO with the aborted list, and the consumer drops aborted producers' data
    /// from each aborted transaction's first offset up to its abort marker (Java's
    /// `Fetcher` algorithm). Returns the offsets of visible data records.
    fn read_committed(&self, partition: i32, fetch_offset: i64) -> Vec<i64> {
        let p = self.partition(partition);
        let lso = p.state.last_stable_offset(p.end);
        let served: Vec<&Stored> = p
            .log
            .iter()
            .filter(|b| b.last >= fetch_offset && b.last < lso)
            .collect();
        let upper = served.last().map_or(fetch_offset, |b| b.last + 1);
        let mut aborted: Vec<(i64, i64)> = p
            .state
            .aborted_for_fetch(fetch_offset, upper)
            .into_iter()
            .map(|a| (a.first_offset, a.producer_id))
            .collect();
        aborted.sort();
        let mut skipping = std::collections::BTreeSet::new();
        let mut visible = Vec::new();
        for b in served {
            while let Some(&(first, pid)) = aborted.first() {
                if first > b.last {
                    break;
                }
                skipping.insert(pid);
                aborted.remove(0);
            }
            if b.control.is_some() {
                skipping.remove(&b.producer_id);
                continue;
            }
            if b.transactional && skipping.contains(&b.producer_id) {
                continue;
            }
            visible.extend((b.base..=b.last).filter(|o| *o >= fetch_offset));
        }
        visible
    }

    fn init(&mut self, id: &str, version: i16) -> InitProducerIdResponse {
        let req = InitProducerIdRequest::default()
            .with_transactional_id(Some(id.to_owned()))
            .with_transaction_timeout_ms(TIMEOUT);
        let (resp, effects) = self.coordinator.init_producer_id(&req, version, self.now);
        self.apply(effects);
        resp
    }

    fn add(
        &mut self,
        id: &str,
        pid: i64,
        epoch: i16,
        partitions: &[i32],
        version: i16,
    ) -> Vec<i16> {
        let req = AddPartitionsToTxnRequest::default()
            .with_v3_and_below_transactional_id(id.to_owned())
            .with_v3_and_below_producer_id(pid)
            .with_v3_and_below_producer_epoch(epoch)
            .with_v3_and_below_topics(vec![AddPartitionsToTxnTopic::default()
                .with_name(TOPIC.to_owned())
                .with_partitions(partitions.to_vec())]);
        let mut coordinator = std::mem::take(&mut self.coordinator);
        let resp = coordinator.add_partitions_to_txn(&req, version, &self.topics(), self.now);
        self.coordinator = coordinator;
        resp.results_by_topic_v3_and_below
            .iter()
            .flat_map(|t| {
                t.results_by_partition
                    .iter()
                    .map(|p| p.partition_error_code)
            })
            .collect()
    }

    fn end(&mut self, id: &str, pid: i64, epoch: i16, commit: bool, version: i16) -> i16 {
        let req = EndTxnRequest::default()
            .with_transactional_id(id.to_owned())
            .with_producer_id(pid)
            .with_producer_epoch(epoch)
            .with_committed(commit);
        let (resp, effects) = self.coordinator.end_txn(&req, version, self.now);
        self.apply(effects);
        resp.error_code
    }

    fn txn_batch(pid: i64, epoch: i16, seq: i32, count: i32) -> BatchProducerInfo {
        BatchProducerInfo::data(pid, epoch, seq, count).transactional()
    }
}

fn ok_init(resp: &InitProducerIdResponse) -> (i64, i16) {
    assert_eq!(resp.error_code, codes::NONE, "{resp:?}");
    (resp.producer_id, resp.producer_epoch)
}

#[test]
fn commit_flow_writes_markers_and_advances_the_last_stable_offset() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-a", 4));
    assert_eq!((pid, epoch), (1000, 0));
    assert_eq!(h.add("tx-a", pid, epoch, &[0, 1], 3), vec![0, 0]);
    assert_eq!(
        h.coordinator.transaction("tx-a").unwrap().state,
        TxnState::Ongoing
    );

    // A plain producer writes first so the transaction does not start at 0.
    assert_eq!(h.produce(0, BatchProducerInfo::data(-1, -1, -1, 2)), Ok(0));
    assert_eq!(h.produce(0, Harness::txn_batch(pid, epoch, 0, 3)), Ok(2));
    assert_eq!(h.produce(1, Harness::txn_batch(pid, epoch, 0, 1)), Ok(0));
    // A retry inside the transaction is a duplicate with its original offset.
    assert_eq!(h.produce(0, Harness::txn_batch(pid, epoch, 0, 3)), Ok(2));
    // Partition 2 was never added.
    assert_eq!(
        h.produce(2, Harness::txn_batch(pid, epoch, 0, 1)),
        Err(codes::INVALID_TXN_STATE)
    );
    // Uncommitted data is not stable; later plain data is stuck behind it.
    assert_eq!(h.produce(0, BatchProducerInfo::data(-1, -1, -1, 1)), Ok(5));
    assert_eq!(h.partition(0).state.last_stable_offset(6), 2);
    assert_eq!(h.read_committed(0, 0), vec![0, 1]);

    h.now += 10;
    let req = EndTxnRequest::default()
        .with_transactional_id("tx-a".into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_committed(true);
    let (resp, effects) = h.coordinator.end_txn(&req, 3, h.now);
    assert_eq!(resp.error_code, codes::NONE);
    assert_eq!(
        effects,
        vec![TxnEffect::WriteMarkers {
            transactional_id: "tx-a".into(),
            producer_id: pid,
            producer_epoch: epoch,
            coordinator_epoch: 0,
            commit: true,
            partitions: vec![(TOPIC.into(), 0), (TOPIC.into(), 1)],
        }]
    );
    h.apply(effects);
    let p0 = h.partition(0);
    assert_eq!(p0.end, 7, "marker appended at offset 6");
    assert_eq!(
        p0.log.last().unwrap().control,
        Some(ControlMarker {
            commit: true,
            coordinator_epoch: 0
        })
    );
    assert_eq!(p0.state.last_stable_offset(p0.end), 7);
    assert_eq!(h.read_committed(0, 0), vec![0, 1, 2, 3, 4, 5]);
    assert!(h.partition(0).state.aborted_for_fetch(0, 7).is_empty());
    assert_eq!(
        h.coordinator.transaction("tx-a").unwrap().state,
        TxnState::CompleteCommit
    );
    // A retried commit is answered NONE without new effects; an abort now is a state error.
    assert_eq!(h.end("tx-a", pid, epoch, true, 3), codes::NONE);
    assert_eq!(h.partition(0).end, 7);
    assert_eq!(
        h.end("tx-a", pid, epoch, false, 3),
        codes::INVALID_TXN_STATE
    );
    // The next transaction continues the sequence under the same epoch.
    assert_eq!(h.add("tx-a", pid, epoch, &[0], 3), vec![0]);
    assert_eq!(h.produce(0, Harness::txn_batch(pid, epoch, 3, 1)), Ok(7));
}

#[test]
fn abort_flow_fills_the_aborted_index_and_read_committed_skips_the_data() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (a, ea) = ok_init(&h.init("tx-a", 4));
    let (b, eb) = ok_init(&h.init("tx-b", 4));
    h.add("tx-a", a, ea, &[0], 3);
    h.add("tx-b", b, eb, &[0], 3);
    // Interleave: a@0-1, b@2, a@3, b@4-5.
    h.produce(0, Harness::txn_batch(a, ea, 0, 2)).unwrap();
    h.produce(0, Harness::txn_batch(b, eb, 0, 1)).unwrap();
    h.produce(0, Harness::txn_batch(a, ea, 2, 1)).unwrap();
    h.produce(0, Harness::txn_batch(b, eb, 1, 2)).unwrap();
    assert_eq!(h.partition(0).state.last_stable_offset(6), 0);
    assert_eq!(h.end("tx-a", a, ea, false, 3), codes::NONE); // abort marker at 6
    assert_eq!(
        h.partition(0).state.last_stable_offset(7),
        2,
        "b is still open from offset 2"
    );
    assert_eq!(h.end("tx-b", b, eb, true, 3), codes::NONE); // commit marker at 7
    let p = h.partition(0);
    assert_eq!(p.state.last_stable_offset(p.end), 8);
    let aborted = p.state.aborted_for_fetch(0, 8);
    assert_eq!(aborted.len(), 1);
    assert_eq!((aborted[0].producer_id, aborted[0].first_offset), (a, 0));
    assert_eq!(
        p.state.txns.aborted_transactions(0, 8),
        vec![AbortedTxn {
            producer_id: a,
            first_offset: 0,
            last_offset: 6
        }]
    );
    // Only b's committed records survive.
    assert_eq!(h.read_committed(0, 0), vec![2, 4, 5]);
    assert_eq!(h.read_committed(0, 3), vec![4, 5]);
    assert!(
        h.partition(0).state.aborted_for_fetch(7, 8).is_empty(),
        "fetch after the abort marker"
    );
    assert_eq!(
        h.coordinator.transaction("tx-a").unwrap().state,
        TxnState::CompleteAbort
    );
}

#[test]
fn timeout_aborts_and_fences_the_producer() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-t", 4));
    assert_eq!(h.coordinator.next_deadline(), None, "nothing open yet");
    h.add("tx-t", pid, epoch, &[1], 3);
    let started = h.now;
    h.produce(1, Harness::txn_batch(pid, epoch, 0, 2)).unwrap();
    assert_eq!(
        h.coordinator.next_deadline(),
        Some(started + i64::from(TIMEOUT))
    );
    assert!(h
        .coordinator
        .on_timeout(started + i64::from(TIMEOUT) - 1)
        .is_empty());

    h.now = started + i64::from(TIMEOUT);
    let effects = h.coordinator.on_timeout(h.now);
    assert_eq!(
        effects,
        vec![TxnEffect::WriteMarkers {
            transactional_id: "tx-t".into(),
            producer_id: pid,
            producer_epoch: epoch + 1,
            coordinator_epoch: 0,
            commit: false,
            partitions: vec![(TOPIC.into(), 1)],
        }]
    );
    h.apply(effects);
    assert_eq!(h.coordinator.next_deadline(), None);
    let meta = h.coordinator.transaction("tx-t").unwrap();
    assert_eq!(
        (meta.state, meta.producer_epoch),
        (TxnState::CompleteAbort, epoch + 1)
    );
    assert_eq!(h.read_committed(1, 0), Vec::<i64>::new());
    // The timed-out producer is fenced everywhere.
    assert_eq!(h.end("tx-t", pid, epoch, true, 3), codes::PRODUCER_FENCED);
    assert_eq!(
        h.end("tx-t", pid, epoch, true, 1),
        codes::INVALID_PRODUCER_EPOCH,
        "pre-KIP-588 version"
    );
    assert_eq!(
        h.add("tx-t", pid, epoch, &[1], 3),
        vec![codes::PRODUCER_FENCED]
    );
    assert_eq!(
        h.produce(1, Harness::txn_batch(pid, epoch, 2, 1)),
        Err(codes::INVALID_PRODUCER_EPOCH)
    );
    // Even without coordinator verification the partition refuses the old epoch.
    assert_eq!(
        h.partition(1)
            .state
            .validate_append(&Harness::txn_batch(pid, epoch, 2, 1))
            .map_err(|e| e.code()),
        Err(codes::INVALID_PRODUCER_EPOCH)
    );
}

#[test]
fn zombie_fencing_by_a_new_instance_aborts_its_open_transaction() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, old) = ok_init(&h.init("tx-z", 4));
    h.add("tx-z", pid, old, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, old, 0, 1)).unwrap();

    // The new instance's first InitProducerId fences and aborts, then asks for a retry.
    let first = h.init("tx-z", 4);
    assert_eq!(first.error_code, codes::CONCURRENT_TRANSACTIONS);
    assert_eq!(
        h.partition(0).log.last().unwrap().control,
        Some(ControlMarker {
            commit: false,
            coordinator_epoch: 0
        })
    );
    assert_eq!(
        h.partition(0).state.producers.producer(pid).unwrap().epoch,
        old + 1
    );
    let (pid2, new) = ok_init(&h.init("tx-z", 4));
    assert_eq!((pid2, new), (pid, old + 2));

    // The zombie is fenced on every path.
    assert_eq!(
        h.add("tx-z", pid, old, &[0], 3),
        vec![codes::PRODUCER_FENCED]
    );
    assert_eq!(
        h.add("tx-z", pid, old, &[0], 1),
        vec![codes::INVALID_PRODUCER_EPOCH]
    );
    assert_eq!(h.end("tx-z", pid, old, true, 4), codes::PRODUCER_FENCED);
    assert_eq!(
        h.produce(0, Harness::txn_batch(pid, old, 1, 1)),
        Err(codes::INVALID_PRODUCER_EPOCH)
    );
    let offsets = AddOffsetsToTxnRequest::default()
        .with_transactional_id("tx-z".into())
        .with_producer_id(pid)
        .with_producer_epoch(old)
        .with_group_id("g".into());
    assert_eq!(
        h.coordinator
            .add_offsets_to_txn(&offsets, 3, h.now)
            .error_code,
        codes::PRODUCER_FENCED
    );
    assert_eq!(
        h.coordinator
            .add_offsets_to_txn(&offsets, 1, h.now)
            .error_code,
        codes::INVALID_PRODUCER_EPOCH
    );
    // An unknown producer id for the transactional id is a mapping error.
    assert_eq!(
        h.add("tx-z", 4242, new, &[0], 3),
        vec![codes::INVALID_PRODUCER_ID_MAPPING]
    );
    assert_eq!(
        h.add("nope", pid, new, &[0], 3),
        vec![codes::INVALID_PRODUCER_ID_MAPPING]
    );

    // The new instance starts its sequences at 0 under the new epoch.
    h.add("tx-z", pid, new, &[0], 3);
    assert_eq!(
        h.produce(0, Harness::txn_batch(pid, new, 1, 1)),
        Err(codes::OUT_OF_ORDER_SEQUENCE_NUMBER)
    );
    assert_eq!(h.produce(0, Harness::txn_batch(pid, new, 0, 1)), Ok(2));
    assert_eq!(h.end("tx-z", pid, new, true, 4), codes::NONE);
    assert_eq!(h.read_committed(0, 0), vec![2]);
}

#[test]
fn init_producer_id_validation_and_kip_360_bumps() {
    let mut h =
        Harness::new(TxnCoordinatorConfig::default().with_transaction_max_timeout_ms(10_000));
    // Idempotent producers get a fresh id at epoch 0, even when they name an old one.
    let idem = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(-1);
    let (r1, _) = h.coordinator.init_producer_id(&idem, 0, 0);
    let (r2, _) = h.coordinator.init_producer_id(
        &idem
            .clone()
            .with_producer_id(r1.producer_id)
            .with_producer_epoch(0),
        3,
        0,
    );
    assert_eq!(
        (r1.error_code, r1.producer_id, r1.producer_epoch),
        (0, 1000, 0)
    );
    assert_eq!(
        (r2.error_code, r2.producer_id, r2.producer_epoch),
        (0, 1001, 0)
    );

    let tx = |timeout: i32| {
        InitProducerIdRequest::default()
            .with_transactional_id(Some("tx-k".into()))
            .with_transaction_timeout_ms(timeout)
    };
    let (r, _) = h.coordinator.init_producer_id(&tx(10_001), 4, 0);
    assert_eq!(r.error_code, codes::INVALID_TRANSACTION_TIMEOUT);
    assert_eq!((r.producer_id, r.producer_epoch), (-1, -1));
    assert_eq!(
        h.coordinator.init_producer_id(&tx(0), 4, 0).0.error_code,
        codes::INVALID_TRANSACTION_TIMEOUT
    );
    let empty = InitProducerIdRequest::default()
        .with_transactional_id(Some(String::new()))
        .with_transaction_timeout_ms(1);
    assert_eq!(
        h.coordinator.init_producer_id(&empty, 4, 0).0.error_code,
        codes::INVALID_REQUEST
    );
    assert_eq!(
        h.coordinator
            .init_producer_id(&tx(1000).with_producer_id(5), 4, 0)
            .0
            .error_code,
        codes::INVALID_REQUEST
    );

    let (pid, e0) = ok_init(&h.coordinator.init_producer_id(&tx(1000), 4, 0).0);
    assert_eq!(e0, 0);
    // KIP-360: the producer names its id and epoch to bump after an error.
    let bump = tx(1000).with_producer_id(pid).with_producer_epoch(e0);
    assert_eq!(
        ok_init(&h.coordinator.init_producer_id(&bump, 4, 0).0),
        (pid, 1)
    );
    // The same request retried (its response was lost) gets the same answer, no second bump.
    assert_eq!(
        ok_init(&h.coordinator.init_producer_id(&bump, 4, 0).0),
        (pid, 1)
    );
    // A producer naming an epoch that is neither current nor the previous one is fenced.
    let stale = tx(1000).with_producer_id(pid).with_producer_epoch(7);
    assert_eq!(
        h.coordinator.init_producer_id(&stale, 4, 0).0.error_code,
        codes::PRODUCER_FENCED
    );
    assert_eq!(
        h.coordinator.init_producer_id(&stale, 3, 0).0.error_code,
        codes::INVALID_PRODUCER_EPOCH
    );
    let wrong_id = tx(1000).with_producer_id(pid + 50).with_producer_epoch(1);
    assert_eq!(
        h.coordinator.init_producer_id(&wrong_id, 4, 0).0.error_code,
        codes::PRODUCER_FENCED
    );
}

#[test]
fn epoch_exhaustion_rotates_the_producer_id() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let req = InitProducerIdRequest::default()
        .with_transactional_id(Some("tx-x".into()))
        .with_transaction_timeout_ms(1000);
    let (pid, _) = ok_init(&h.coordinator.init_producer_id(&req, 4, 0).0);
    let mut epoch = 0;
    while epoch < i16::MAX - 1 {
        let (p, e) = ok_init(&h.coordinator.init_producer_id(&req, 4, 0).0);
        assert_eq!(p, pid);
        assert_eq!(e, epoch + 1);
        epoch = e;
    }
    assert_eq!(epoch, i16::MAX - 1);
    // Exhausted: the next init (here a KIP-360 one naming the exhausted epoch) hands out a
    // new id at epoch 0.
    let bump = req
        .clone()
        .with_producer_id(pid)
        .with_producer_epoch(i16::MAX - 1);
    let (new_pid, e) = ok_init(&h.coordinator.init_producer_id(&bump, 4, 0).0);
    assert_ne!(new_pid, pid);
    assert_eq!(e, 0);
    let meta = h.coordinator.transaction("tx-x").unwrap();
    assert_eq!(
        (
            meta.producer_id,
            meta.last_producer_id,
            meta.last_producer_epoch
        ),
        (new_pid, pid, i16::MAX - 1)
    );
    // A retry of that request (response lost) names the old id: it gets the same answer.
    assert_eq!(
        ok_init(&h.coordinator.init_producer_id(&bump, 4, 0).0),
        (new_pid, 0)
    );
    // A plain init after exhaustion rotates too, but then forgets the old epoch, so the old
    // id's retry is fenced.
    let mut h2 = Harness::new(TxnCoordinatorConfig::default());
    let (p2, _) = ok_init(&h2.coordinator.init_producer_id(&req, 4, 0).0);
    for _ in 0..(i16::MAX - 1) {
        h2.coordinator.init_producer_id(&req, 4, 0);
    }
    let (p3, e3) = ok_init(&h2.coordinator.init_producer_id(&req, 4, 0).0);
    assert_eq!((p3 != p2, e3), (true, 0));
    let stale = req
        .clone()
        .with_producer_id(p2)
        .with_producer_epoch(i16::MAX - 1);
    assert_eq!(
        h2.coordinator.init_producer_id(&stale, 4, 0).0.error_code,
        codes::PRODUCER_FENCED
    );
    // The rotated-away id no longer maps to the transaction.
    let batch = Harness::txn_batch(pid, i16::MAX - 1, 0, 1);
    assert_eq!(
        h.coordinator.verify_transactional_produce(&batch, TOPIC, 0),
        Err(codes::INVALID_TXN_STATE)
    );
}

#[test]
fn add_partitions_reports_unknown_partitions_and_supports_the_batched_form() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-p", 4));
    // Partition 9 does not exist: it gets UNKNOWN_TOPIC_OR_PARTITION, the rest are not attempted.
    assert_eq!(
        h.add("tx-p", pid, epoch, &[0, 9], 3),
        vec![
            codes::OPERATION_NOT_ATTEMPTED,
            codes::UNKNOWN_TOPIC_OR_PARTITION
        ]
    );
    assert_eq!(
        h.coordinator.transaction("tx-p").unwrap().state,
        TxnState::Empty,
        "nothing was added"
    );

    // Version 4+: a batch of transactions, here one adding and one verifying.
    let topic = |ps: Vec<i32>| {
        vec![AddPartitionsToTxnTopic::default()
            .with_name(TOPIC.into())
            .with_partitions(ps)]
    };
    let req = AddPartitionsToTxnRequest::default().with_transactions(vec![
        AddPartitionsToTxnTransaction::default()
            .with_transactional_id("tx-p".into())
            .with_producer_id(pid)
            .with_producer_epoch(epoch)
            .with_topics(topic(vec![1])),
        AddPartitionsToTxnTransaction::default()
            .with_transactional_id("tx-p".into())
            .with_producer_id(pid)
            .with_producer_epoch(epoch)
            .with_verify_only(true)
            .with_topics(topic(vec![1, 2])),
    ]);
    let mut coordinator = std::mem::take(&mut h.coordinator);
    let resp = coordinator.add_partitions_to_txn(&req, 5, &h.topics(), h.now);
    h.coordinator = coordinator;
    assert_eq!(resp.error_code, codes::NONE);
    assert!(resp.results_by_topic_v3_and_below.is_empty());
    assert_eq!(resp.results_by_transaction.len(), 2);
    let codes_of = |i: usize| -> Vec<(i32, i16)> {
        resp.results_by_transaction[i].topic_results[0]
            .results_by_partition
            .iter()
            .map(|p| (p.partition_index, p.partition_error_code))
            .collect()
    };
    assert_eq!(resp.results_by_transaction[0].transactional_id, "tx-p");
    assert_eq!(codes_of(0), vec![(1, codes::NONE)]);
    // v5 answers TRANSACTION_ABORTABLE for a partition outside the transaction (Kafka 4.3).
    assert_eq!(
        codes_of(1),
        vec![
            (1, codes::NONE),
            (2, kafka_protocol::ErrorCode::TransactionAbortable.code())
        ]
    );
}

#[test]
fn delayed_completion_exposes_concurrent_transactions() {
    let mut h = Harness::new(TxnCoordinatorConfig::default().with_marker_completion_delay_ms(50));
    let (pid, epoch) = ok_init(&h.init("tx-d", 4));
    h.add("tx-d", pid, epoch, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, epoch, 0, 1)).unwrap();
    assert_eq!(h.end("tx-d", pid, epoch, true, 3), codes::NONE);
    // Markers are written at once; the coordinator stays in PrepareCommit for 50 ms.
    assert_eq!(h.partition(0).state.last_stable_offset(2), 2);
    assert_eq!(
        h.coordinator.transaction("tx-d").unwrap().state,
        TxnState::PrepareCommit
    );
    assert_eq!(h.coordinator.next_deadline(), Some(h.now + 50));
    assert_eq!(
        h.add("tx-d", pid, epoch, &[0], 3),
        vec![codes::CONCURRENT_TRANSACTIONS]
    );
    assert_eq!(
        h.end("tx-d", pid, epoch, true, 3),
        codes::CONCURRENT_TRANSACTIONS
    );
    assert_eq!(
        h.end("tx-d", pid, epoch, false, 3),
        codes::INVALID_TXN_STATE
    );
    assert_eq!(h.init("tx-d", 4).error_code, codes::CONCURRENT_TRANSACTIONS);
    assert_eq!(
        h.produce(0, Harness::txn_batch(pid, epoch, 1, 1)),
        Err(codes::INVALID_TXN_STATE)
    );
    h.now += 50;
    assert!(h.coordinator.on_timeout(h.now).is_empty());
    assert_eq!(
        h.coordinator.transaction("tx-d").unwrap().state,
        TxnState::CompleteCommit
    );
    assert_eq!(h.add("tx-d", pid, epoch, &[0], 3), vec![codes::NONE]);
}

#[test]
fn end_txn_state_errors() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-e", 4));
    assert_eq!(
        h.end("tx-e", pid, epoch, true, 3),
        codes::INVALID_TXN_STATE,
        "nothing open"
    );
    assert_eq!(h.end("", pid, epoch, true, 3), codes::INVALID_REQUEST);
    assert_eq!(
        h.end("tx-unknown", pid, epoch, true, 3),
        codes::INVALID_PRODUCER_ID_MAPPING
    );
    let req = EndTxnRequest::default()
        .with_transactional_id("tx-e".into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_committed(false);
    // v5 (KIP-890 part 2): committing with nothing open is INVALID_TXN_STATE with no
    // producer in the response; aborting with nothing open bumps the epoch.
    let (resp, effects) = h.coordinator.end_txn(&req.clone().with_committed(true), 5, h.now);
    assert_eq!(resp.error_code, codes::INVALID_TXN_STATE);
    assert!(effects.is_empty());
    assert_eq!((resp.producer_id, resp.producer_epoch), (-1, -1));
    let (resp, effects) = h.coordinator.end_txn(&req, 5, h.now);
    assert_eq!(resp.error_code, codes::NONE);
    assert!(effects.is_empty(), "no partitions, no markers");
    assert_eq!((resp.producer_id, resp.producer_epoch), (pid, epoch + 1));
    assert_eq!(
        h.coordinator.transaction("tx-e").unwrap().state,
        TxnState::CompleteAbort
    );
}

#[test]
fn end_txn_v5_bumps_the_epoch_and_accepts_a_retry() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-v5", 4));
    h.add("tx-v5", pid, epoch, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, epoch, 0, 1)).unwrap();
    let req = EndTxnRequest::default()
        .with_transactional_id("tx-v5".into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_committed(true);
    let (resp, effects) = h.coordinator.end_txn(&req, 5, h.now);
    assert_eq!(resp.error_code, codes::NONE);
    assert_eq!((resp.producer_id, resp.producer_epoch), (pid, epoch + 1));
    let marker_epoch = effects.iter().find_map(|e| match e {
        TxnEffect::WriteMarkers { producer_epoch, .. } => Some(*producer_epoch),
        _ => None,
    });
    assert_eq!(marker_epoch, Some(epoch + 1), "markers carry the bumped epoch");
    // The same request again is a retry: success, nothing written, the bumped epoch.
    let (resp, effects) = h.coordinator.end_txn(&req, 5, h.now);
    assert_eq!(resp.error_code, codes::NONE);
    assert!(effects.is_empty());
    assert_eq!(resp.producer_epoch, epoch + 1);
    // The old epoch is fenced for anything else.
    assert_eq!(
        h.coordinator.end_txn(&req.clone().with_committed(false), 5, h.now).0.error_code,
        codes::PRODUCER_FENCED
    );
}

#[test]
fn txn_offset_commit_stages_offsets_until_the_transaction_ends() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-o", 4));
    let commit_req = |group: &str, pid: i64, epoch: i16, partition: i32, offset: i64| {
        TxnOffsetCommitRequest::default()
            .with_transactional_id("tx-o".into())
            .with_group_id(group.into())
            .with_producer_id(pid)
            .with_producer_epoch(epoch)
            .with_topics(vec![TxnOffsetCommitRequestTopic::default()
                .with_name(TOPIC.into())
                .with_partitions(vec![TxnOffsetCommitRequestPartition::default()
                    .with_partition_index(partition)
                    .with_committed_offset(offset)])])
    };
    let run = |h: &mut Harness, req: &TxnOffsetCommitRequest| -> Vec<i16> {
        let mut coordinator = std::mem::take(&mut h.coordinator);
        let mut groups = std::mem::take(&mut h.groups);
        let resp = coordinator.txn_offset_commit(req, &h.topics(), &mut groups, h.now);
        h.coordinator = coordinator;
        h.groups = groups;
        resp.topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
            .collect()
    };
    // Before AddOffsetsToTxn the group is not part of a transaction.
    assert_eq!(
        run(&mut h, &commit_req("g1", pid, epoch, 0, 10)),
        vec![codes::INVALID_TXN_STATE]
    );

    let add_offsets = AddOffsetsToTxnRequest::default()
        .with_transactional_id("tx-o".into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_group_id("g1".into());
    assert_eq!(
        h.coordinator
            .add_offsets_to_txn(&add_offsets, 3, h.now)
            .error_code,
        codes::NONE
    );
    let meta = h.coordinator.transaction("tx-o").unwrap();
    assert_eq!(meta.state, TxnState::Ongoing);
    let offsets_partition = h.coordinator.offsets_partition_for("g1");
    assert!(meta
        .partitions
        .contains(&(OFFSETS_TOPIC.to_owned(), offsets_partition)));

    assert_eq!(
        run(&mut h, &commit_req("g1", pid, epoch + 1, 0, 10)),
        vec![codes::INVALID_PRODUCER_EPOCH]
    );
    assert_eq!(
        run(&mut h, &commit_req("g1", pid + 1, epoch, 0, 10)),
        vec![codes::INVALID_PRODUCER_ID_MAPPING]
    );
    assert_eq!(
        run(&mut h, &commit_req("g1", pid, epoch, 7, 10)),
        vec![codes::UNKNOWN_TOPIC_OR_PARTITION]
    );
    // Unknown partitions are reported before transaction errors.
    assert_eq!(
        run(&mut h, &commit_req("g1", pid, epoch + 1, 7, 10)),
        vec![codes::UNKNOWN_TOPIC_OR_PARTITION]
    );
    // The split form for a group coordinator with its own handler.
    let stale = commit_req("g1", pid, epoch + 1, 0, 10);
    assert_eq!(
        h.coordinator.check_txn_offset_commit(&stale),
        Err(codes::INVALID_PRODUCER_EPOCH)
    );
    assert_eq!(
        h.coordinator
            .check_txn_offset_commit(&commit_req("g2", pid, epoch, 0, 10)),
        Err(codes::INVALID_TXN_STATE),
        "group g2 was never added"
    );
    let error = super::coordinator::txn_offset_commit_error(&stale, codes::INVALID_PRODUCER_EPOCH);
    assert_eq!(error.topics[0].name, TOPIC);
    assert_eq!(
        error.topics[0].partitions[0].error_code,
        codes::INVALID_PRODUCER_EPOCH
    );
    assert_eq!(
        h.coordinator
            .check_txn_offset_commit(&commit_req("g1", pid, epoch, 0, 10)),
        Ok(())
    );
    // KIP-447 member fields are checked by the group coordinator.
    h.groups.member_error = Some(22); // ILLEGAL_GENERATION
    let with_member = commit_req("g1", pid, epoch, 0, 10)
        .with_generation_id(3)
        .with_member_id("m-1".into());
    assert_eq!(run(&mut h, &with_member), vec![22]);
    h.groups.member_error = None;
    assert_eq!(run(&mut h, &with_member), vec![codes::NONE]);
    assert_eq!(h.groups.staged[&pid].len(), 1);
    assert!(
        h.groups.committed.is_empty(),
        "staged offsets are invisible until commit"
    );

    let req = EndTxnRequest::default()
        .with_transactional_id("tx-o".into())
        .with_producer_id(pid)
        .with_producer_epoch(epoch)
        .with_committed(true);
    let (_, effects) = h.coordinator.end_txn(&req, 3, h.now);
    assert_eq!(
        effects,
        vec![TxnEffect::CompleteTxnOffsets {
            producer_id: pid,
            groups: vec!["g1".into()],
            commit: true
        }]
    );
    h.apply(effects);
    assert_eq!(
        h.groups.committed.get(&("g1".into(), TOPIC.into(), 0)),
        Some(&10)
    );

    // An aborted transaction drops its staged offsets.
    h.coordinator.add_offsets_to_txn(&add_offsets, 3, h.now);
    assert_eq!(
        run(&mut h, &commit_req("g1", pid, epoch, 0, 20)),
        vec![codes::NONE]
    );
    assert_eq!(h.end("tx-o", pid, epoch, false, 3), codes::NONE);
    assert_eq!(h.groups.completions, vec![(pid, true), (pid, false)]);
    assert_eq!(
        h.groups.committed.get(&("g1".into(), TOPIC.into(), 0)),
        Some(&10)
    );
}

#[test]
fn offsets_partition_matches_java_string_hash() {
    let c = TxnCoordinator::default();
    // "a".hashCode() == 97; "group".hashCode() == 98629247.
    assert_eq!(c.offsets_partition_for("a"), 97 % 50);
    assert_eq!(c.offsets_partition_for("group"), 98_629_247 % 50);
    // "polygenelubricants".hashCode() == i32::MIN, which Kafka's abs maps to 0.
    assert_eq!(c.offsets_partition_for("polygenelubricants"), 0);
}

#[test]
fn describe_and_list_transactions() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (a, ea) = ok_init(&h.init("tx-1", 4));
    let (b, _) = ok_init(&h.init("tx-2", 4));
    h.add("tx-1", a, ea, &[2, 0], 3);
    let add_offsets = AddOffsetsToTxnRequest::default()
        .with_transactional_id("tx-1".into())
        .with_producer_id(a)
        .with_producer_epoch(ea)
        .with_group_id("a".into());
    h.coordinator.add_offsets_to_txn(&add_offsets, 3, h.now);
    let started = h.now;
    h.now += 5_000;

    let d = h.coordinator.describe_transactions(
        &DescribeTransactionsRequest::default().with_transactional_ids(vec![
            "tx-1".into(),
            "missing".into(),
            "tx-2".into(),
        ]),
    );
    assert_eq!(d.transaction_states.len(), 3);
    let t1 = &d.transaction_states[0];
    assert_eq!(t1.error_code, codes::NONE);
    assert_eq!(t1.transaction_state, "Ongoing");
    assert_eq!(
        (t1.producer_id, t1.producer_epoch, t1.transaction_timeout_ms),
        (a, ea, TIMEOUT)
    );
    assert_eq!(t1.transaction_start_time_ms, started);
    let topics: Vec<(String, Vec<i32>)> = t1
        .topics
        .iter()
        .map(|t| (t.topic.clone(), t.partitions.clone()))
        .collect();
    assert_eq!(
        topics,
        vec![
            (OFFSETS_TOPIC.to_owned(), vec![47]),
            (TOPIC.to_owned(), vec![0, 2])
        ]
    );
    assert_eq!(
        d.transaction_states[1].error_code,
        codes::TRANSACTIONAL_ID_NOT_FOUND
    );
    assert_eq!(d.transaction_states[1].transactional_id, "missing");
    // Kafka leaves everything but the id and the error at the schema defaults.
    assert_eq!(
        (d.transaction_states[1].producer_id, d.transaction_states[1].producer_epoch),
        (0, 0)
    );
    assert_eq!(d.transaction_states[2].transaction_state, "Empty");
    assert_eq!(d.transaction_states[2].transaction_start_time_ms, -1);

    let list = |h: &Harness, states: &[&str], pids: &[i64], duration: i64, version: i16| {
        let req = ListTransactionsRequest::default()
            .with_state_filters(states.iter().map(|s| s.to_string()).collect())
            .with_producer_id_filters(pids.to_vec())
            .with_duration_filter(duration);
        h.coordinator.list_transactions(&req, version, h.now)
    };
    let ids = |r: &ListTransactionsResponse| -> Vec<String> {
        r.transaction_states
            .iter()
            .map(|t| {
                format!(
                    "{}:{}:{}",
                    t.transactional_id, t.producer_id, t.transaction_state
                )
            })
            .collect()
    };
    assert_eq!(
        ids(&list(&h, &[], &[], -1, 1)),
        vec![format!("tx-1:{a}:Ongoing"), format!("tx-2:{b}:Empty")]
    );
    assert_eq!(
        ids(&list(&h, &["Ongoing"], &[], -1, 0)),
        vec![format!("tx-1:{a}:Ongoing")]
    );
    assert_eq!(
        ids(&list(&h, &[], &[b], -1, 0)),
        vec![format!("tx-2:{b}:Empty")]
    );
    let unknown = list(&h, &["Ongoing", "Bogus"], &[], -1, 0);
    assert_eq!(unknown.unknown_state_filters, vec!["Bogus".to_owned()]);
    assert_eq!(ids(&unknown).len(), 1);
    let only_unknown = list(&h, &["Bogus"], &[], -1, 0);
    assert!(only_unknown.transaction_states.is_empty());
    // Duration filter (v1): tx-1 has run 5 s.
    assert_eq!(ids(&list(&h, &["Ongoing"], &[], 4_999, 1)).len(), 1);
    assert_eq!(ids(&list(&h, &["Ongoing"], &[], 5_000, 1)).len(), 0);
    assert_eq!(
        ids(&list(&h, &["Ongoing"], &[], 5_000, 0)).len(),
        1,
        "v0 has no duration filter"
    );
}

#[test]
fn describe_producers_reports_partition_state() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-dp", 4));
    let idem = 77;
    h.produce(
        0,
        BatchProducerInfo::data(idem, 0, 0, 3).with_timestamp(555),
    )
    .unwrap();
    h.add("tx-dp", pid, epoch, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, epoch, 0, 2).with_timestamp(777))
        .unwrap();

    let req = DescribeProducersRequest::default().with_topics(vec![TopicRequest::default()
        .with_name(TOPIC.into())
        .with_partition_indexes(vec![0, 1, 9])]);
    let partitions = &h.partitions;
    let resp = describe_producers(&req, |topic, p| {
        partitions
            .get(&(topic.to_owned(), p))
            .map(|p| &p.state)
            .ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)
    });
    assert_eq!(resp.topics.len(), 1);
    let parts = &resp.topics[0].partitions;
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].partition_index, 0);
    assert_eq!(parts[0].error_code, codes::NONE);
    let producers: Vec<(i64, i32, i32, i64, i32, i64)> = parts[0]
        .active_producers
        .iter()
        .map(|p| {
            (
                p.producer_id,
                p.producer_epoch,
                p.last_sequence,
                p.last_timestamp,
                p.coordinator_epoch,
                p.current_txn_start_offset,
            )
        })
        .collect();
    assert_eq!(
        producers,
        vec![
            (idem, 0, 2, 555, -1, -1),
            (pid, i32::from(epoch), 1, 777, -1, 3)
        ]
    );
    assert!(parts[1].active_producers.is_empty());
    assert_eq!(parts[2].error_code, codes::UNKNOWN_TOPIC_OR_PARTITION);

    // After the commit marker the transaction start offset clears and the coordinator epoch is set.
    h.end("tx-dp", pid, epoch, true, 3);
    let partitions = &h.partitions;
    let resp = describe_producers(&req, |topic, p| {
        partitions
            .get(&(topic.to_owned(), p))
            .map(|p| &p.state)
            .ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)
    });
    let txn_producer = &resp.topics[0].partitions[0].active_producers[1];
    assert_eq!(
        (
            txn_producer.current_txn_start_offset,
            txn_producer.coordinator_epoch
        ),
        (-1, 0)
    );
}

#[test]
fn verification_can_be_switched_off() {
    let mut h = Harness::new(TxnCoordinatorConfig::default().with_verify_partitions(false));
    let (pid, epoch) = ok_init(&h.init("tx-v", 4));
    // Without verification a transactional write to a partition never added is accepted,
    // as Kafka before KIP-890 did (and the partition keeps it open until a marker arrives).
    assert_eq!(h.produce(2, Harness::txn_batch(pid, epoch, 0, 1)), Ok(0));
    assert_eq!(h.partition(2).state.last_stable_offset(1), 0);
}

#[test]
fn config_from_kafka_properties() {
    let c = TxnCoordinatorConfig::from_properties([
        ("transaction.max.timeout.ms", "60000"),
        ("offsets.topic.num.partitions", "3"),
        ("transaction.partition.verification.enable", "false"),
    ])
    .unwrap();
    assert_eq!(c.transaction_max_timeout_ms, 60_000);
    assert_eq!(c.offsets_topic_partitions, 3);
    assert!(!c.verify_partitions);
    let unknown =
        TxnCoordinatorConfig::from_properties([("transaction.timeout.ms", "1")]).unwrap_err();
    assert!(
        unknown.to_string().contains("transaction.timeout.ms"),
        "{unknown}"
    );
    let bad =
        TxnCoordinatorConfig::from_properties([("transaction.max.timeout.ms", "0")]).unwrap_err();
    assert_eq!(
        bad,
        super::coordinator::TxnConfigError::InvalidValue {
            key: "transaction.max.timeout.ms",
            value: "0".into(),
            expected: "an integer from 1 to 2147483647",
        }
    );
    assert!(TxnCoordinatorConfig::from_properties([(
        "transaction.partition.verification.enable",
        "yes"
    )])
    .is_err());
}

#[test]
fn coordinator_failover_raises_the_marker_coordinator_epoch() {
    let mut h = Harness::new(TxnCoordinatorConfig::default());
    let (pid, epoch) = ok_init(&h.init("tx-f", 4));
    h.add("tx-f", pid, epoch, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, epoch, 0, 1)).unwrap();
    assert_eq!(h.end("tx-f", pid, epoch, true, 3), codes::NONE);
    assert_eq!(h.coordinator.bump_coordinator_epoch(), 1);
    h.add("tx-f", pid, epoch, &[0], 3);
    h.produce(0, Harness::txn_batch(pid, epoch, 1, 1)).unwrap();
    assert_eq!(h.end("tx-f", pid, epoch, false, 3), codes::NONE);
    let p = h.partition(0);
    assert_eq!(
        p.log.last().unwrap().control,
        Some(ControlMarker {
            commit: false,
            coordinator_epoch: 1
        })
    );
    // A marker from the old coordinator is now refused by the partition.
    assert_eq!(
        p.state.validate_marker(pid, epoch, 0).map_err(|e| e.code()),
        Err(codes::TRANSACTION_COORDINATOR_FENCED)
    );
    assert_eq!(h.read_committed(0, 0), vec![0]);
}

#[test]
fn idle_transactional_ids_expire() {
    let mut h =
        Harness::new(TxnCoordinatorConfig::default().with_transactional_id_expiration_ms(1_000));
    let (idle, idle_epoch) = ok_init(&h.init("tx-idle", 4));
    let (busy, busy_epoch) = ok_init(&h.init("tx-busy", 4));
    h.add("tx-busy", busy, busy_epoch, &[0], 3);
    h.now += 999;
    assert!(h.coordinator.expire_transactional_ids(h.now).is_empty());
    h.now += 1;
    assert_eq!(
        h.coordinator.expire_transactional_ids(h.now),
        vec!["tx-idle".to_owned()]
    );
    assert!(h.coordinator.transaction("tx-idle").is_none());
    assert_eq!(
        h.add("tx-idle", idle, idle_epoch, &[0], 3),
        vec![codes::INVALID_PRODUCER_ID_MAPPING]
    );
    // The open transaction is kept (its timeout aborts it instead).
    assert_eq!(
        h.coordinator.transaction("tx-busy").unwrap().state,
        TxnState::Ongoing
    );
    // A new InitProducerId for the expired id starts over with a fresh producer id.
    let (fresh, epoch) = ok_init(&h.init("tx-idle", 4));
    assert_ne!(fresh, idle);
    assert_eq!(epoch, 0);
    assert_eq!(
        TxnCoordinatorConfig::from_properties([("transactional.id.expiration.ms", "5000")])
            .unwrap()
            .transactional_id_expiration_ms,
        5_000
    );
}

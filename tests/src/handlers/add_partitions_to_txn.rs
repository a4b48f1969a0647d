//! AddPartitionsToTxn (key 24): partitions joining a transaction (v0-3 client form; v4+
//! batched broker form with KIP-890 verification), through the transaction coordinator.

use kafka_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnTopicResult,
};
use kafka_protocol::messages::{AddPartitionsToTxnRequest, AddPartitionsToTxnResponse};
use kafka_protocol::VersionRange;

use super::transactions::{is_txn_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: AddPartitionsToTxnRequest) -> Outcome {
    if ctx.version <= 3 && !is_txn_coordinator(ctx, &req.v3_and_below_transactional_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let now = ctx.state.now_ms();
    let state = &mut *ctx.state;
    let topics = &state.topics;
    let exists = |topic: &str, partition: i32| topics.get(topic).and_then(|t| t.partition(partition)).is_some();
    Outcome::Respond(state.txn.add_partitions_to_txn(&req, ctx.version, &exists, now).into())
}

pub(crate) fn error_response(req: &AddPartitionsToTxnRequest, version: i16, code: i16) -> AddPartitionsToTxnResponse {
    let mut r = AddPartitionsToTxnResponse::default();
    if version <= 3 {
        r.results_by_topic_v3_and_below = req
            .v3_and_below_topics
            .iter()
            .map(|t| {
                AddPartitionsToTxnTopicResult::default().with_name(t.name.clone()).with_results_by_partition(
                    t.partitions
                        .iter()
                        .map(|p| AddPartitionsToTxnPartitionResult::default().with_partition_index(*p).with_partition_error_code(code))
                        .collect(),
                )
            })
            .collect();
    } else {
        r.error_code = code;
    }
    r
}

pub(crate) fn touched(req: &AddPartitionsToTxnRequest, _state: &ClusterState) -> TopicPartitions {
    req.v3_and_below_topics
        .iter()
        .chain(req.transactions.iter().flat_map(|t| t.topics.iter()))
        .map(|t| (t.name.clone(), t.partitions.clone()))
        .collect()
}

//! TxnOffsetCommit (key 28): offsets staged in a transaction (KIP-98, KIP-447), checked by
//! the transaction coordinator and staged by the group coordinator until EndTxn.

use kafka_protocol::messages::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, now, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: TxnOffsetCommitRequest) -> Outcome {
    if !is_coordinator(ctx, &req.group_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    if let Err(code) = ctx.state.txn.check_txn_offset_commit(&req) {
        // KIP-890: v4+ answers a failed transaction check TRANSACTION_ABORTABLE (checked
        // against Kafka 4.3 by tests/differential.rs).
        let code = if code == crate::txn::codes::INVALID_TXN_STATE && ctx.version >= 4 {
            kafka_protocol::ErrorCode::TransactionAbortable.code()
        } else {
            code
        };
        return Outcome::Respond(error_response(&req, ctx.version, code).into());
    }
    let state = &mut *ctx.state;
    Outcome::Respond(state.groups.txn_offset_commit(now(), ctx.version, &state.topics, &req).into())
}

pub(crate) fn error_response(req: &TxnOffsetCommitRequest, _version: i16, code: i16) -> TxnOffsetCommitResponse {
    crate::txn::coordinator::txn_offset_commit_error(req, code)
}

pub(crate) fn touched(req: &TxnOffsetCommitRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect())).collect()
}

//! DescribeTransactions (key 65, KIP-664); NOT_COORDINATOR for every id when any is
//! coordinated elsewhere.

use kafka_protocol::messages::describe_transactions_response::TransactionState;
use kafka_protocol::messages::{DescribeTransactionsRequest, DescribeTransactionsResponse};
use kafka_protocol::VersionRange;

use super::transactions::{is_txn_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeTransactionsRequest) -> Outcome {
    if !req.transactional_ids.iter().all(|id| is_txn_coordinator(ctx, id)) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    Outcome::Respond(ctx.state.txn.describe_transactions(&req).into())
}

pub(crate) fn error_response(req: &DescribeTransactionsRequest, _version: i16, code: i16) -> DescribeTransactionsResponse {
    let mut r = DescribeTransactionsResponse::default();
    r.transaction_states = req
        .transactional_ids
        .iter()
        .map(|id| TransactionState::default().with_transactional_id(id.clone()).with_error_code(code))
        .collect();
    r
}

pub(crate) fn touched(_req: &DescribeTransactionsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

//! ListTransactions (key 66, KIP-664/KIP-994): the transactions this broker coordinates.

use kafka_protocol::messages::{ListTransactionsRequest, ListTransactionsResponse};
use kafka_protocol::VersionRange;

use super::transactions::is_txn_coordinator;
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ListTransactionsRequest) -> Outcome {
    let now = ctx.state.now_ms();
    let mut response = ctx.state.txn.list_transactions(&req, ctx.version, now);
    let states = std::mem::take(&mut response.transaction_states);
    response.transaction_states = states.into_iter().filter(|t| is_txn_coordinator(ctx, &t.transactional_id)).collect();
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &ListTransactionsRequest, _version: i16, code: i16) -> ListTransactionsResponse {
    ListTransactionsResponse::default().with_error_code(code)
}

pub(crate) fn touched(_req: &ListTransactionsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

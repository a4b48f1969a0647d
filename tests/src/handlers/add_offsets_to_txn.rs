//! AddOffsetsToTxn (key 25): a group's offsets joining a transaction.

use kafka_protocol::messages::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};
use kafka_protocol::VersionRange;

use super::transactions::{is_txn_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: AddOffsetsToTxnRequest) -> Outcome {
    if !is_txn_coordinator(ctx, &req.transactional_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let now = ctx.state.now_ms();
    Outcome::Respond(ctx.state.txn.add_offsets_to_txn(&req, ctx.version, now).into())
}

pub(crate) fn error_response(_req: &AddOffsetsToTxnRequest, _version: i16, code: i16) -> AddOffsetsToTxnResponse {
    AddOffsetsToTxnResponse::default().with_error_code(code)
}

pub(crate) fn touched(_req: &AddOffsetsToTxnRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

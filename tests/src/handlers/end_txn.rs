//! EndTxn (key 26): commit or abort; the coordinator's markers are written to every
//! partition in the transaction and staged offsets complete.

use kafka_protocol::messages::{EndTxnRequest, EndTxnResponse};
use kafka_protocol::VersionRange;

use super::transactions::{apply, is_txn_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: EndTxnRequest) -> Outcome {
    if !is_txn_coordinator(ctx, &req.transactional_id) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    let now = ctx.state.now_ms();
    let (response, effects) = ctx.state.txn.end_txn(&req, ctx.version, now);
    apply(ctx, effects);
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &EndTxnRequest, _version: i16, code: i16) -> EndTxnResponse {
    EndTxnResponse::default().with_error_code(code).with_producer_id(-1).with_producer_epoch(-1)
}

pub(crate) fn touched(_req: &EndTxnRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

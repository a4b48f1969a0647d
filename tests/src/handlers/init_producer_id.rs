//! InitProducerId (key 22): producer ids for idempotent producers (any broker) and
//! transactional ones (their transaction coordinator), KIP-98 and KIP-360 epoch bumps.

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};
use kafka_protocol::VersionRange;

use super::transactions::{apply, is_txn_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 5);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: InitProducerIdRequest) -> Outcome {
    if let Some(id) = req.transactional_id.as_deref() {
        if !is_txn_coordinator(ctx, id) {
            return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
        }
    }
    let now = ctx.state.now_ms();
    let (response, effects) = ctx.state.txn.init_producer_id(&req, ctx.version, now);
    apply(ctx, effects);
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &InitProducerIdRequest, _version: i16, code: i16) -> InitProducerIdResponse {
    InitProducerIdResponse::default().with_error_code(code).with_producer_id(-1).with_producer_epoch(-1)
}

pub(crate) fn touched(_req: &InitProducerIdRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

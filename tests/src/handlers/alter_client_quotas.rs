//! AlterClientQuotas (key 49, v0-1, KIP-546): sets and removes client quotas in
//! [`crate::config::QuotaStore`] (stored and described, not enforced).

use kafka_protocol::messages::alter_client_quotas_response::{EntityData, EntryData};
use kafka_protocol::messages::{AlterClientQuotasRequest, AlterClientQuotasResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: AlterClientQuotasRequest) -> Outcome {
    Outcome::Respond(ctx.state.quotas.alter(&req).into())
}

pub(crate) fn error_response(req: &AlterClientQuotasRequest, _version: i16, code: i16) -> AlterClientQuotasResponse {
    let mut response = AlterClientQuotasResponse::default();
    response.entries = req
        .entries
        .iter()
        .map(|e| {
            let mut out = EntryData::default().with_error_code(code);
            out.entity = e
                .entity
                .iter()
                .map(|p| EntityData::default().with_entity_type(p.entity_type.clone()).with_entity_name(p.entity_name.clone()))
                .collect();
            out
        })
        .collect();
    response
}

pub(crate) fn touched(_req: &AlterClientQuotasRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

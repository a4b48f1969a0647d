//! OffsetFetch (key 9), through the group coordinator (v8+ batched groups; KIP-447
//! RequireStable). NOT_COORDINATOR when any named group is coordinated elsewhere.

use kafka_protocol::messages::offset_fetch_response::OffsetFetchResponseGroup;
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};
use kafka_protocol::VersionRange;

use super::groups::{is_coordinator, NOT_COORDINATOR};
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 9);

fn group_ids(req: &OffsetFetchRequest, version: i16) -> Vec<String> {
    if version >= 8 {
        req.groups.iter().map(|g| g.group_id.clone()).collect()
    } else {
        vec![req.group_id.clone()]
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: OffsetFetchRequest) -> Outcome {
    if !group_ids(&req, ctx.version).iter().all(|g| is_coordinator(ctx, g)) {
        return Outcome::Respond(error_response(&req, ctx.version, NOT_COORDINATOR).into());
    }
    Outcome::Respond(ctx.state.groups.offset_fetch(ctx.version, &req).into())
}

pub(crate) fn error_response(req: &OffsetFetchRequest, version: i16, code: i16) -> OffsetFetchResponse {
    let mut r = OffsetFetchResponse::default();
    if version >= 8 {
        r.groups = group_ids(req, version)
            .into_iter()
            .map(|g| {
                let mut out = OffsetFetchResponseGroup::default();
                out.group_id = g;
                out.error_code = code;
                out
            })
            .collect();
    } else {
        r.error_code = code;
    }
    r
}

pub(crate) fn touched(req: &OffsetFetchRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().flatten().map(|t| (t.name.clone(), t.partition_indexes.clone())).collect()
}

//! ListPartitionReassignments (key 46, v0, KIP-455): reassignments here complete the moment
//! they are asked for, so none is ever in progress and the answer lists no partitions.

use kafka_protocol::messages::{ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(_ctx: &mut Ctx<'_>, _req: ListPartitionReassignmentsRequest) -> Outcome {
    Outcome::Respond(ListPartitionReassignmentsResponse::default().into())
}

pub(crate) fn error_response(_req: &ListPartitionReassignmentsRequest, _version: i16, code: i16) -> ListPartitionReassignmentsResponse {
    ListPartitionReassignmentsResponse::default().with_error_code(code)
}

pub(crate) fn touched(req: &ListPartitionReassignmentsRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().flatten().map(|t| (t.name.clone(), t.partition_indexes.clone())).collect()
}

//! DescribeCluster (key 60, KIP-700): cluster id, controller and brokers with racks.

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeClusterRequest) -> Outcome {
    let mut response = DescribeClusterResponse::default();
    // Endpoint type 1 = brokers; 2 = controllers (KIP-919), which this broker does not model.
    if ctx.version >= 1 && req.endpoint_type != 1 {
        response.error_code = codes::UNSUPPORTED_VERSION;
        response.error_message = Some(format!("endpoint type {} is not served", req.endpoint_type));
        response.endpoint_type = req.endpoint_type;
        return Outcome::Respond(response.into());
    }
    response.cluster_id = ctx.state.cluster_id.clone();
    response.controller_id = ctx.state.controller_id();
    response.brokers = ctx
        .state
        .brokers
        .iter()
        .map(|b| {
            DescribeClusterBroker::default()
                .with_broker_id(b.id)
                .with_host(b.host.clone())
                .with_port(i32::from(b.port))
                .with_rack(b.rack.clone())
        })
        .collect();
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &DescribeClusterRequest, _version: i16, code: i16) -> DescribeClusterResponse {
    let mut response = DescribeClusterResponse::default();
    response.error_code = code;
    response
}

pub(crate) fn touched(_req: &DescribeClusterRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    Vec::new()
}

//! FindCoordinator (key 10): v0-3 one key, v4+ a batch of keys (KIP-699). The coordinator is
//! the key's hash over the brokers unless a test pinned it with `move_coordinator`; a
//! coordinator on a broker that is down answers COORDINATOR_NOT_AVAILABLE.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::cluster::CoordinatorType;
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 6);

/// (node, host, port) of the coordinator, or an error code.
fn locate(state: &ClusterState, key_type: i8, key: &str) -> Result<(i32, String, i32), i16> {
    let kind = match key_type {
        0 => CoordinatorType::Group,
        1 => CoordinatorType::Transaction,
        _ => return Err(codes::INVALID_REQUEST),
    };
    let id = state.coordinator_for(kind, key);
    match state.broker(id) {
        Some(b) if b.up => Ok((b.id, b.host.clone(), i32::from(b.port))),
        _ => Err(codes::COORDINATOR_NOT_AVAILABLE),
    }
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: FindCoordinatorRequest) -> Outcome {
    let mut response = FindCoordinatorResponse::default();
    if ctx.version >= 4 {
        for key in &req.coordinator_keys {
            let mut c = Coordinator::default().with_key(key.clone());
            match locate(ctx.state, req.key_type, key) {
                Ok((node, host, port)) => {
                    c.node_id = node;
                    c.host = host;
                    c.port = port;
                }
                Err(code) => {
                    c.error_code = code;
                    c.node_id = -1;
                    c.port = -1;
                }
            }
            response.coordinators.push(c);
        }
    } else {
        match locate(ctx.state, req.key_type, &req.key) {
            Ok((node, host, port)) => {
                response.node_id = node;
                response.host = host;
                response.port = port;
            }
            Err(code) => {
                response.error_code = code;
                response.node_id = -1;
                response.port = -1;
            }
        }
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &FindCoordinatorRequest, version: i16, code: i16) -> FindCoordinatorResponse {
    let mut response = FindCoordinatorResponse::default();
    if version >= 4 {
        response.coordinators = req
            .coordinator_keys
            .iter()
            .map(|k| Coordinator::default().with_key(k.clone()).with_error_code(code).with_node_id(-1).with_port(-1))
            .collect();
    } else {
        response.error_code = code;
        response.node_id = -1;
        response.port = -1;
    }
    response
}

pub(crate) fn touched(_req: &FindCoordinatorRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    Vec::new()
}

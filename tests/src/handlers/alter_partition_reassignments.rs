//! AlterPartitionReassignments (key 45, v0, KIP-455): applies a new replica list at once
//! (every replica is in sync here, so there is no catch-up phase): the partition's replicas
//! become the given list and, when the leader changes, the first new replica leads under a
//! bumped epoch. Cancelling (null replicas) answers NO_REASSIGNMENT_IN_PROGRESS, since none
//! is ever pending.

use kafka_protocol::messages::alter_partition_reassignments_response::{ReassignablePartitionResponse, ReassignableTopicResponse};
use kafka_protocol::messages::{AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse};
use kafka_protocol::{ErrorCode, VersionRange};

use super::{Ctx, Outcome, TopicPartitions};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

fn reassign(state: &mut ClusterState, topic: &str, partition: i32, replicas: Option<&[i32]>) -> Result<(), (i16, String)> {
    let exists = state.topics.get(topic).and_then(|t| t.partition(partition)).is_some();
    if !exists {
        return Err((codes::UNKNOWN_TOPIC_OR_PARTITION, format!("no partition {partition} of topic {topic:?}")));
    }
    let Some(replicas) = replicas else {
        return Err((ErrorCode::NoReassignmentInProgress.code(), format!("{topic}-{partition} has no reassignment in progress")));
    };
    let invalid = |m: String| (codes::INVALID_REPLICA_ASSIGNMENT, format!("{topic}-{partition}: {m}"));
    if replicas.is_empty() {
        return Err(invalid("the replica list is empty".into()));
    }
    for (i, b) in replicas.iter().enumerate() {
        if state.broker(*b).is_none() {
            return Err(invalid(format!("broker {b} does not exist")));
        }
        if replicas[..i].contains(b) {
            return Err(invalid(format!("broker {b} is listed twice")));
        }
    }
    let Some(p) = state.topics.get_mut(topic).and_then(|t| t.partition_mut(partition)) else {
        return Err((codes::UNKNOWN_TOPIC_OR_PARTITION, format!("no partition {partition} of topic {topic:?}")));
    };
    if p.replicas == replicas {
        return Ok(());
    }
    p.replicas = replicas.to_vec();
    p.leader = replicas.first().copied();
    p.leader_epoch += 1;
    Ok(())
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: AlterPartitionReassignmentsRequest) -> Outcome {
    let mut response = AlterPartitionReassignmentsResponse::default();
    for t in &req.topics {
        let mut out = ReassignableTopicResponse::default().with_name(t.name.clone());
        for p in &t.partitions {
            let result = match ctx.injected_error(&t.name, p.partition_index) {
                Some(code) => Err((code, String::new())),
                None => reassign(ctx.state, &t.name, p.partition_index, p.replicas.as_deref()),
            };
            let mut r = ReassignablePartitionResponse::default().with_partition_index(p.partition_index);
            match result {
                Ok(()) => ctx.changed = true,
                Err((code, message)) => {
                    r.error_code = code;
                    r.error_message = (!message.is_empty()).then_some(message);
                }
            }
            out.partitions.push(r);
        }
        response.responses.push(out);
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &AlterPartitionReassignmentsRequest, _version: i16, code: i16) -> AlterPartitionReassignmentsResponse {
    let mut response = AlterPartitionReassignmentsResponse::default().with_error_code(code);
    response.responses = req
        .topics
        .iter()
        .map(|t| {
            let mut out = ReassignableTopicResponse::default().with_name(t.name.clone());
            out.partitions = t
                .partitions
                .iter()
                .map(|p| ReassignablePartitionResponse::default().with_partition_index(p.partition_index).with_error_code(code))
                .collect();
            out
        })
        .collect();
    response
}

pub(crate) fn touched(req: &AlterPartitionReassignmentsRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.partition_index).collect())).collect()
}

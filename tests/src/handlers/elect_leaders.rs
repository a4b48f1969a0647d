//! ElectLeaders (key 43, v0-2, KIP-183/KIP-460): preferred elections move a partition's
//! leader to its first replica (bumping the leader epoch); unclean elections give a
//! leaderless partition its first live replica. Every replica is in sync here, so an
//! unclean election differs from a preferred one only in which partitions it touches.

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse};
use kafka_protocol::{ErrorCode, VersionRange};

use super::{Ctx, Outcome, TopicPartitions};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 2);

/// `ElectionType` 1: elect any live replica of a leaderless partition.
const UNCLEAN: i8 = 1;

/// Runs one election; Ok = the leader moved.
fn elect(state: &mut ClusterState, topic: &str, partition: i32, unclean: bool) -> Result<(), (i16, String)> {
    let up: Vec<i32> = state.brokers.iter().filter(|b| b.up).map(|b| b.id).collect();
    let p = state
        .topics
        .get_mut(topic)
        .and_then(|t| t.partition_mut(partition))
        .ok_or_else(|| (codes::UNKNOWN_TOPIC_OR_PARTITION, format!("no partition {partition} of topic {topic:?}")))?;
    let live_leader = p.leader.filter(|l| up.contains(l));
    let target = if unclean {
        if live_leader.is_some() {
            return Err((ErrorCode::ElectionNotNeeded.code(), format!("{topic}-{partition} already has a live leader")));
        }
        p.replicas.iter().copied().find(|r| up.contains(r)).ok_or_else(|| {
            (ErrorCode::EligibleLeadersNotAvailable.code(), format!("{topic}-{partition}: no replica is up"))
        })?
    } else {
        let preferred = p.replicas.first().copied().unwrap_or(-1);
        if live_leader == Some(preferred) {
            return Err((ErrorCode::ElectionNotNeeded.code(), format!("{topic}-{partition} is already led by its preferred replica {preferred}")));
        }
        if !up.contains(&preferred) {
            return Err((
                ErrorCode::PreferredLeaderNotAvailable.code(),
                format!("{topic}-{partition}: preferred replica {preferred} is not available"),
            ));
        }
        preferred
    };
    p.leader = Some(target);
    p.leader_epoch += 1;
    Ok(())
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: ElectLeadersRequest) -> Outcome {
    let unclean = ctx.version >= 1 && req.election_type == UNCLEAN;
    // No list: every partition, answering only those whose leader changed or failed to
    // (as Kafka does, partitions already in the wanted state are left out).
    let all = req.topic_partitions.is_none();
    let targets: Vec<(String, Vec<i32>)> = match &req.topic_partitions {
        Some(list) => list.iter().map(|t| (t.topic.clone(), t.partitions.clone())).collect(),
        None => ctx.state.topics.iter().map(|t| (t.name.clone(), t.partitions.iter().map(|p| p.index).collect())).collect(),
    };
    let mut response = ElectLeadersResponse::default();
    for (topic, partitions) in targets {
        let mut out = ReplicaElectionResult::default().with_topic(topic.clone());
        for partition in partitions {
            let result = match ctx.injected_error(&topic, partition) {
                Some(code) => Err((code, String::new())),
                None => elect(ctx.state, &topic, partition, unclean),
            };
            let mut r = PartitionResult::default().with_partition_id(partition);
            match result {
                Ok(()) => ctx.changed = true,
                Err((code, _)) if all && code == ErrorCode::ElectionNotNeeded.code() => continue,
                Err((code, message)) => {
                    r.error_code = code;
                    r.error_message = (!message.is_empty()).then_some(message);
                }
            }
            out.partition_result.push(r);
        }
        if !out.partition_result.is_empty() || !all {
            response.replica_election_results.push(out);
        }
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &ElectLeadersRequest, version: i16, code: i16) -> ElectLeadersResponse {
    // The top-level error code exists from v1 on; v0 carries it per partition only.
    let mut response = ElectLeadersResponse::default().with_error_code(if version >= 1 { code } else { 0 });
    response.replica_election_results = req
        .topic_partitions
        .iter()
        .flatten()
        .map(|t| {
            let mut out = ReplicaElectionResult::default().with_topic(t.topic.clone());
            out.partition_result =
                t.partitions.iter().map(|p| PartitionResult::default().with_partition_id(*p).with_error_code(code)).collect();
            out
        })
        .collect();
    response
}

pub(crate) fn touched(req: &ElectLeadersRequest, _state: &ClusterState) -> TopicPartitions {
    req.topic_partitions.iter().flatten().map(|t| (t.topic.clone(), t.partitions.clone())).collect()
}

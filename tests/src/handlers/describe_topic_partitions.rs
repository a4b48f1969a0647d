//! DescribeTopicPartitions (key 75, KIP-966): topics with their partitions, paginated by a
//! response partition limit and a cursor. An empty topic list describes every topic.

use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::{DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeTopicPartitionsRequest) -> Outcome {
    let mut names: Vec<String> = if req.topics.is_empty() {
        ctx.state.topics.iter().map(|t| t.name.clone()).collect()
    } else {
        req.topics.iter().map(|t| t.name.clone()).collect()
    };
    names.sort();
    names.dedup();
    let (start_topic, start_partition) = match &req.cursor {
        Some(c) => (Some(c.topic_name.clone()), c.partition_index),
        None => (None, 0),
    };
    let mut budget = usize::try_from(req.response_partition_limit).unwrap_or(0).max(1);
    let mut response = DescribeTopicPartitionsResponse::default();
    for name in names {
        if start_topic.as_ref().is_some_and(|s| &name < s) {
            continue;
        }
        let first = if start_topic.as_ref() == Some(&name) { start_partition.max(0) } else { 0 };
        let mut out = DescribeTopicPartitionsResponseTopic::default();
        out.name = Some(name.clone());
        let Some(topic) = ctx.state.topics.get(&name) else {
            out.error_code = codes::UNKNOWN_TOPIC_OR_PARTITION;
            response.topics.push(out);
            continue;
        };
        if let Some(code) = ctx.injected_topic_error(&name) {
            out.error_code = code;
            response.topics.push(out);
            continue;
        }
        out.topic_id = topic.id;
        out.is_internal = topic.internal;
        for p in topic.partitions.iter().skip(first as usize) {
            if budget == 0 {
                response.next_cursor = Some(Cursor::default().with_topic_name(name.clone()).with_partition_index(p.index));
                break;
            }
            budget -= 1;
            let up = |b: &&i32| ctx.state.broker(**b).is_some_and(|i| i.up);
            let mut part = DescribeTopicPartitionsResponsePartition::default()
                .with_partition_index(p.index)
                .with_leader_id(p.leader.unwrap_or(-1))
                .with_leader_epoch(p.leader_epoch)
                .with_replica_nodes(p.replicas.clone())
                .with_isr_nodes(p.replicas.iter().filter(up).copied().collect())
                .with_offline_replicas(p.replicas.iter().filter(|b| !up(b)).copied().collect());
            if p.leader.is_none() {
                part.error_code = codes::LEADER_NOT_AVAILABLE;
            }
            out.partitions.push(part);
        }
        response.topics.push(out);
        if response.next_cursor.is_some() {
            break;
        }
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &DescribeTopicPartitionsRequest, _version: i16, code: i16) -> DescribeTopicPartitionsResponse {
    let mut response = DescribeTopicPartitionsResponse::default();
    response.topics = req
        .topics
        .iter()
        .map(|t| {
            let mut out = DescribeTopicPartitionsResponseTopic::default();
            out.name = Some(t.name.clone());
            out.error_code = code;
            out
        })
        .collect();
    response
}

pub(crate) fn touched(req: &DescribeTopicPartitionsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics.iter().map(|t| (t.name.clone(), Vec::new())).collect()
}

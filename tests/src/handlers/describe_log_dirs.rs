//! DescribeLogDirs (key 35, v0-4, KIP-113/KIP-827): the receiving broker has one log dir,
//! holding every partition it replicates, each with its log's size in bytes and no lag
//! (every replica is in sync). Disk totals (v4) are unknown (-1).

use kafka_protocol::messages::describe_log_dirs_response::{DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic};
use kafka_protocol::messages::{DescribeLogDirsRequest, DescribeLogDirsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

/// The log dir every broker reports.
pub(crate) fn log_dir(broker: i32) -> String {
    format!("/kafka-testkit/broker-{broker}")
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeLogDirsRequest) -> Outcome {
    let broker = ctx.broker;
    let wanted = |topic: &str, partition: i32| match &req.topics {
        None => true,
        Some(list) => list.iter().any(|t| t.topic == topic && t.partitions.contains(&partition)),
    };
    let mut dir = DescribeLogDirsResult::default().with_log_dir(log_dir(broker)).with_total_bytes(-1).with_usable_bytes(-1);
    for t in ctx.state.topics.iter() {
        let partitions: Vec<DescribeLogDirsPartition> = t
            .partitions
            .iter()
            .filter(|p| p.replicas.contains(&broker) && wanted(&t.name, p.index))
            .map(|p| {
                let size = p.log.bytes_from(p.log.log_start_offset(), p.log.log_end_offset());
                DescribeLogDirsPartition::default()
                    .with_partition_index(p.index)
                    .with_partition_size(i64::try_from(size).unwrap_or(i64::MAX))
                    .with_offset_lag(0)
            })
            .collect();
        if !partitions.is_empty() {
            dir.topics.push(DescribeLogDirsTopic::default().with_name(t.name.clone()).with_partitions(partitions));
        }
    }
    let mut response = DescribeLogDirsResponse::default();
    response.results.push(dir);
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &DescribeLogDirsRequest, version: i16, code: i16) -> DescribeLogDirsResponse {
    let mut response = DescribeLogDirsResponse::default();
    if version >= 3 {
        response.error_code = code;
    } else {
        response.results.push(DescribeLogDirsResult::default().with_error_code(code).with_log_dir(String::new()));
    }
    response
}

pub(crate) fn touched(req: &DescribeLogDirsRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().flatten().map(|t| (t.topic.clone(), t.partitions.clone())).collect()
}

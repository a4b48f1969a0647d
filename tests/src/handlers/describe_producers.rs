//! DescribeProducers (key 61, KIP-664): active producers of partitions this broker leads.

use kafka_protocol::messages::describe_producers_response::{PartitionResponse, TopicResponse};
use kafka_protocol::messages::{DescribeProducersRequest, DescribeProducersResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeProducersRequest) -> Outcome {
    let broker = ctx.broker;
    let topics = &ctx.state.topics;
    let response = crate::txn::describe_producers(&req, |topic, index| {
        let p = topics.get(topic).and_then(|t| t.partition(index)).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION)?;
        if p.leader != Some(broker) {
            return Err(codes::NOT_LEADER_OR_FOLLOWER);
        }
        Ok(&p.txn)
    });
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &DescribeProducersRequest, _version: i16, code: i16) -> DescribeProducersResponse {
    let mut r = DescribeProducersResponse::default();
    r.topics = req
        .topics
        .iter()
        .map(|t| {
            TopicResponse::default().with_name(t.name.clone()).with_partitions(
                t.partition_indexes.iter().map(|p| PartitionResponse::default().with_partition_index(*p).with_error_code(code)).collect(),
            )
        })
        .collect();
    r
}

pub(crate) fn touched(req: &DescribeProducersRequest, _state: &ClusterState) -> TopicPartitions {
    req.topics.iter().map(|t| (t.name.clone(), t.partition_indexes.clone())).collect()
}

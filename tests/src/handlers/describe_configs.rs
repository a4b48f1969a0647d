//! DescribeConfigs (key 32, v0-4, KIP-226 synonyms and sources): topic, broker and
//! broker-logger configs, answered by the sans-IO [`crate::config::ConfigStore`].

use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

/// Topic resource type on the wire.
pub(crate) const RESOURCE_TOPIC: i8 = 2;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeConfigsRequest) -> Outcome {
    let state = &*ctx.state;
    let mut response =
        state.config_store.describe_configs(&req, ctx.version, ctx.broker, |t| state.topics.contains(t));
    for r in &mut response.results {
        if r.resource_type == RESOURCE_TOPIC {
            if let Some(code) = ctx.injected_topic_error(&r.resource_name) {
                r.error_code = code;
                r.configs.clear();
            }
        }
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &DescribeConfigsRequest, _version: i16, code: i16) -> DescribeConfigsResponse {
    let mut response = DescribeConfigsResponse::default();
    response.results = req
        .resources
        .iter()
        .map(|r| {
            DescribeConfigsResult::default()
                .with_error_code(code)
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone())
        })
        .collect();
    response
}

pub(crate) fn touched(req: &DescribeConfigsRequest, _state: &ClusterState) -> TopicPartitions {
    req.resources
        .iter()
        .filter(|r| r.resource_type == RESOURCE_TOPIC)
        .map(|r| (r.resource_name.clone(), Vec::new()))
        .collect()
}

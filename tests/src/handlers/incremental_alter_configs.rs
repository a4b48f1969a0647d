//! IncrementalAlterConfigs (key 44): replaces (AlterConfigs) or edits (IncrementalAlterConfigs, KIP-339)
//! topic and broker config overrides through [`crate::config::ConfigStore`]; changed topic
//! overrides are copied to the topics so `data_dir` persists them.

use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::VersionRange;

use super::describe_configs::RESOURCE_TOPIC;
use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 1);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: IncrementalAlterConfigsRequest) -> Outcome {
    // Resources a fault targets are answered with its error and left unchanged.
    let (faulted, rest): (Vec<_>, Vec<_>) = req
        .resources
        .iter()
        .cloned()
        .partition(|r| r.resource_type == RESOURCE_TOPIC && ctx.injected_topic_error(&r.resource_name).is_some());
    let mut kept = req.clone();
    kept.resources = rest;
    let state = &mut *ctx.state;
    let topics = &state.topics;
    let mut response = state.config_store.incremental_alter_configs(&kept, ctx.version, |t| topics.contains(t));
    let changed: Vec<String> = response
        .responses
        .iter()
        .filter(|r| r.resource_type == RESOURCE_TOPIC && r.error_code == 0)
        .map(|r| r.resource_name.clone())
        .collect();
    if !req.validate_only {
        state.sync_topic_overrides(changed.iter().map(String::as_str));
        ctx.changed = true;
    }
    for r in faulted {
        let code = ctx.injected_topic_error(&r.resource_name).unwrap_or_default();
        response.responses.push(
            AlterConfigsResourceResponse::default()
                .with_error_code(code)
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone()),
        );
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &IncrementalAlterConfigsRequest, _version: i16, code: i16) -> IncrementalAlterConfigsResponse {
    let mut response = IncrementalAlterConfigsResponse::default();
    response.responses = req
        .resources
        .iter()
        .map(|r| {
            AlterConfigsResourceResponse::default()
                .with_error_code(code)
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone())
        })
        .collect();
    response
}

pub(crate) fn touched(req: &IncrementalAlterConfigsRequest, _state: &ClusterState) -> TopicPartitions {
    req.resources
        .iter()
        .filter(|r| r.resource_type == RESOURCE_TOPIC)
        .map(|r| (r.resource_name.clone(), Vec::new()))
        .collect()
}

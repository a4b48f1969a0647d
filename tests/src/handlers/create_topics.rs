//! CreateTopics (key 19): validate-only, stored configs, explicit replica assignments, and
//! Kafka's errors for existing topics, bad partition counts, replication factors and names.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 7);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: CreateTopicsRequest) -> Outcome {
    let version = ctx.version;
    let mut response = CreateTopicsResponse::default();
    for t in req.topics {
        let mut out = CreatableTopicResult::default().with_name(t.name.clone());
        if let Some(code) = ctx.injected_topic_error(&t.name) {
            out.error_code = code;
            response.topics.push(out);
            continue;
        }
        if t.configs.iter().any(|c| c.value.is_none()) {
            // A null config value: the config store's check names the key.
            if let Err(e) = ctx.state.config_store.validate_creatable_topic(&t) {
                out.error_code = e.code();
                if version >= 1 {
                    out.error_message = Some(e.to_string());
                }
                response.topics.push(out);
                continue;
            }
        }
        let assignments = (!t.assignments.is_empty()).then(|| {
            let mut sorted = t.assignments.clone();
            sorted.sort_by_key(|a| a.partition_index);
            sorted.into_iter().map(|a| a.broker_ids).collect::<Vec<_>>()
        });
        let configs: BTreeMap<String, String> =
            t.configs.iter().filter_map(|c| c.value.clone().map(|v| (c.name.clone(), v))).collect();
        match ctx.state.create_topic(&t.name, t.num_partitions, t.replication_factor, assignments, configs, req.validate_only) {
            Ok(created) => {
                if version >= 5 {
                    out.num_partitions = created.partitions;
                    out.replication_factor = created.replication_factor;
                    // KIP-525: every topic config with its resolved value and source, as Kafka
                    // lists them (not only the overrides).
                    out.configs = Some(ctx.state.config_store.created_topic_configs(&created.configs));
                }
                out.topic_id = created.id;
            }
            Err(e) => {
                out.error_code = e.code;
                if version >= 1 {
                    out.error_message = Some(e.message);
                }
            }
        }
        response.topics.push(out);
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &CreateTopicsRequest, _version: i16, code: i16) -> CreateTopicsResponse {
    let mut response = CreateTopicsResponse::default();
    response.topics = req
        .topics
        .iter()
        .map(|t| CreatableTopicResult::default().with_name(t.name.clone()).with_error_code(code))
        .collect();
    response
}

pub(crate) fn touched(req: &CreateTopicsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics.iter().map(|t| (t.name.clone(), Vec::new())).collect()
}

//! CreateTopics (key 19): validate-only, stored configs, explicit replica assignments, and
//! Kafka's errors for existing topics, bad partition counts, replication factors and names,
//! duplicate names in one request (INVALID_REQUEST) and requests adding more than 10 000
//! partitions in all (POLICY_VIOLATION, KAFKA-17870).

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 7);

/// Kafka's controller refuses a CreateTopics request that would create more partitions than
/// this in all (`MAX_PARTITIONS_PER_BATCH`, KAFKA-17870); it also bounds what one request
/// can make this broker allocate.
pub(crate) const MAX_PARTITIONS_PER_REQUEST: i64 = 10_000;

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: CreateTopicsRequest) -> Outcome {
    let version = ctx.version;
    let mut response = CreateTopicsResponse::default();
    // As Kafka's ControllerApis: a name given twice is answered once with INVALID_REQUEST,
    // and neither copy is created.
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<String> = req.topics.iter().filter(|t| !seen.insert(t.name.as_str())).map(|t| t.name.clone()).collect();
    let req_topics: Vec<_> = req.topics.into_iter().filter(|t| !duplicates.contains(&t.name)).collect();
    // As Kafka's ReplicationControlManager: the partitions the whole request asks for (the
    // default count for -1, the assignment count when given), summed without overflow.
    let total: i64 = req_topics
        .iter()
        .map(|t| match (t.assignments.is_empty(), t.num_partitions) {
            (false, _) => t.assignments.len() as i64,
            (true, -1) => i64::from(ctx.state.config.default_partitions),
            (true, n) => i64::from(n.max(0)),
        })
        .sum();
    if total > MAX_PARTITIONS_PER_REQUEST {
        for t in &req_topics {
            let mut out = CreatableTopicResult::default().with_name(t.name.clone()).with_error_code(crate::codes::POLICY_VIOLATION);
            if version >= 1 {
                out.error_message = Some("Excessively large number of partitions per request.".into());
            }
            response.topics.push(out);
        }
    } else {
        create_each(ctx, req_topics, req.validate_only, &mut response);
    }
    for name in duplicates {
        let mut out = CreatableTopicResult::default().with_name(name).with_error_code(crate::codes::INVALID_REQUEST);
        if version >= 1 {
            out.error_message = Some("Duplicate topic name.".into());
        }
        response.topics.push(out);
    }
    Outcome::Respond(response.into())
}

fn create_each(
    ctx: &mut Ctx<'_>,
    topics: Vec<kafka_protocol::messages::create_topics_request::CreatableTopic>,
    validate_only: bool,
    response: &mut CreateTopicsResponse,
) {
    let version = ctx.version;
    for t in topics {
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
        match ctx.state.create_topic(&t.name, t.num_partitions, t.replication_factor, assignments, configs, validate_only) {
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

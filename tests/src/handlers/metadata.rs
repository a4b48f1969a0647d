//! Metadata (key 3): brokers (with racks), cluster id, controller, and per topic its id
//! (KIP-516), partitions, leaders, leader epochs (KIP-320), replicas, ISR and offline
//! replicas. Unknown topics are auto-created when both the broker and (v4+) the request
//! allow it.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{MetadataRequest, MetadataResponse};
use kafka_protocol::{Uuid, VersionRange};

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::topics::{validate_topic_name, Topic};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 12);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: MetadataRequest) -> Outcome {
    let version = ctx.version;
    let mut response = base_response(ctx.state, version);
    // v0: an empty list means every topic; v1+: null means every topic.
    let wanted: Option<Vec<(Option<String>, Uuid)>> = match req.topics {
        None => None,
        Some(t) if t.is_empty() && version == 0 => None,
        Some(t) => Some(t.into_iter().map(|t| (t.name, t.topic_id)).collect()),
    };
    let allow_auto = version < 4 || req.allow_auto_topic_creation;
    // KIP-430 authorized operations, when asked for, are filled in by `super::acl`.
    match wanted {
        None => {
            let names: Vec<String> = ctx.state.topics.iter().map(|t| t.name.clone()).collect();
            for name in names {
                let topic = ctx.state.topics.get(&name);
                response.topics.push(describe(ctx, &name, topic, version));
            }
        }
        Some(list) => {
            for (name, id) in list {
                let entry = match name {
                    Some(name) if !name.is_empty() || id == Uuid::ZERO => {
                        if let Err(message) = validate_topic_name(&name) {
                            tracing::debug!("metadata for invalid topic name: {message}");
                            error_topic(Some(name), Uuid::ZERO, codes::INVALID_TOPIC_EXCEPTION, version)
                        } else {
                            if !ctx.state.topics.contains(&name)
                                && allow_auto
                                && ctx.state.config.auto_create_topics
                            {
                                let rf = ctx.state.config.default_replication_factor;
                                let parts = ctx.state.config.default_partitions;
                                if let Err(e) = ctx.state.create_topic(&name, parts, rf, None, Default::default(), false) {
                                    tracing::warn!(topic = %name, "auto-creation failed: {}", e.message);
                                }
                            }
                            let topic = ctx.state.topics.get(&name);
                            describe(ctx, &name, topic, version)
                        }
                    }
                    _ => match ctx.state.topics.by_id(&id).map(|t| t.name.clone()) {
                        Some(name) => {
                            let topic = ctx.state.topics.get(&name);
                            describe(ctx, &name, topic, version)
                        }
                        None => error_topic(None, id, codes::UNKNOWN_TOPIC_ID, version),
                    },
                };
                response.topics.push(entry);
            }
        }
    }
    Outcome::Respond(response.into())
}

fn base_response(state: &ClusterState, version: i16) -> MetadataResponse {
    let mut response = MetadataResponse::default();
    response.brokers = state
        .brokers
        .iter()
        .map(|b| {
            let mut broker = MetadataResponseBroker::default()
                .with_node_id(b.id)
                .with_host(b.host.clone())
                .with_port(i32::from(b.port));
            if version >= 1 {
                broker.rack = b.rack.clone();
            }
            broker
        })
        .collect();
    response.cluster_id = Some(state.cluster_id.clone());
    response.controller_id = state.controller_id();
    response
}

fn describe(ctx: &Ctx<'_>, name: &str, topic: Option<&Topic>, version: i16) -> MetadataResponseTopic {
    if let Some(code) = ctx.injected_topic_error(name) {
        return error_topic(Some(name.to_owned()), Uuid::ZERO, code, version);
    }
    let Some(topic) = topic else {
        return error_topic(Some(name.to_owned()), Uuid::ZERO, codes::UNKNOWN_TOPIC_OR_PARTITION, version);
    };
    let mut out = MetadataResponseTopic::default();
    out.name = Some(topic.name.clone());
    out.topic_id = topic.id;
    out.is_internal = topic.internal;
    out.partitions = topic
        .partitions
        .iter()
        .map(|p| {
            let up = |b: &&i32| ctx.state.broker(**b).is_some_and(|info| info.up);
            let isr: Vec<i32> = p.replicas.iter().filter(up).copied().collect();
            let offline: Vec<i32> = p.replicas.iter().filter(|b| !up(b)).copied().collect();
            let mut part = MetadataResponsePartition::default()
                .with_partition_index(p.index)
                .with_leader_id(p.leader.unwrap_or(-1))
                .with_replica_nodes(p.replicas.clone())
                .with_isr_nodes(isr);
            part.leader_epoch = p.leader_epoch;
            part.offline_replicas = offline;
            if p.leader.is_none() {
                part.error_code = codes::LEADER_NOT_AVAILABLE;
            }
            part
        })
        .collect();
    out
}

fn error_topic(name: Option<String>, id: Uuid, code: i16, version: i16) -> MetadataResponseTopic {
    let mut out = MetadataResponseTopic::default();
    out.error_code = code;
    // Names are only nullable from v12 on.
    out.name = if version >= 12 { name } else { Some(name.unwrap_or_default()) };
    out.topic_id = id;
    out
}

pub(crate) fn error_response(req: &MetadataRequest, version: i16, code: i16) -> MetadataResponse {
    let mut response = MetadataResponse::default();
    for t in req.topics.iter().flatten() {
        response.topics.push(error_topic(t.name.clone(), t.topic_id, code, version));
    }
    response
}

pub(crate) fn touched(req: &MetadataRequest, state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics
        .iter()
        .flatten()
        .filter_map(|t| match &t.name {
            Some(n) => Some((n.clone(), Vec::new())),
            None => state.topics.name_of(&t.topic_id).map(|n| (n.to_owned(), Vec::new())),
        })
        .collect()
}

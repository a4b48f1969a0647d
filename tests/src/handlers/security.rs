//! The per-connection SASL gate, run by the actor on every request before holds, faults
//! and handlers (step 1 of the contract in [`crate::security`]): pre-authentication
//! requests other than ApiVersions and the SASL APIs close the connection; SaslHandshake
//! and SaslAuthenticate are answered here from the connection's
//! [`crate::security::ConnectionAuth`], since their answer depends on the connection.

use kafka_protocol::messages::{ApiKey, RequestBody, ResponseBody};

use crate::actor::{Incoming, Reply, WriteEffects};
use crate::security::Gate;
use crate::state::ClusterState;

/// Applies the gate; returns the request when it goes on to the usual pipeline.
pub(crate) fn gate(state: &mut ClusterState, incoming: Incoming) -> Option<Incoming> {
    let api = incoming.frame.api_key;
    let sasl_api = matches!(api, ApiKey::SaslHandshake | ApiKey::SaslAuthenticate);
    if !state.security.gated() && !sasl_api {
        return Some(incoming);
    }
    let now_ms = state.now_ms();
    let version = incoming.frame.header.request_api_version;
    let correlation_id = incoming.frame.header.correlation_id;
    let connection = incoming.connection;
    let respond = |body: ResponseBody, close: bool| Reply::Response {
        version,
        correlation_id,
        body,
        effects: WriteEffects { close_after_write: close, ..WriteEffects::default() },
    };
    let security = &mut state.security;
    let reply = match security.open(connection, incoming.listener).gate(api, now_ms) {
        Gate::Dispatch => return Some(incoming),
        Gate::Close => {
            tracing::info!(connection, api = api.name(), "request before SASL authentication; closing");
            Reply::Close
        }
        Gate::ErrorThenClose(code) => match super::entry(api).and_then(|e| (e.error_response)(&incoming.frame.body, version, code)) {
            Some(body) => respond(body, true),
            None => Reply::Close,
        },
        Gate::Sasl => {
            let (body, close) = security.sasl_request(connection, &incoming.frame.body, version, now_ms);
            respond(body, close)
        }
    };
    let _ = incoming.reply.send(reply);
    None
}

impl crate::state::security::BrokerSecurity {
    /// Answers a SaslHandshake or SaslAuthenticate on `connection`: the response and
    /// whether the connection closes after it.
    pub(crate) fn sasl_request(&mut self, connection: u64, body: &RequestBody, version: i16, now_ms: i64) -> (ResponseBody, bool) {
        let (sasl, scram, conn) = self.parts(connection);
        match body {
            RequestBody::SaslHandshake(r) => {
                let reply = conn.handshake(sasl, r, now_ms);
                (reply.response.into(), reply.close)
            }
            RequestBody::SaslAuthenticate(r) => {
                let reply = conn.authenticate(sasl, scram, r, version, now_ms);
                if !reply.close && conn.is_authenticated() {
                    tracing::debug!(connection, principal = conn.principal(), "SASL authentication step done");
                }
                (reply.response.into(), reply.close)
            }
            other => {
                // `gate` returns Sasl only for the two SASL APIs.
                tracing::error!(api = other.api_key().name(), "SASL gate for a non-SASL request");
                let response = kafka_protocol::messages::SaslHandshakeResponse::default()
                    .with_error_code(crate::security::codes::ILLEGAL_SASL_STATE);
                (response.into(), true)
            }
        }
    }
}

/// Topics a request may not touch, taken out of it before the handler runs and answered
/// with TOPIC_AUTHORIZATION_FAILED afterwards (step 3 of the contract for the per-topic
/// checks modelled so far: Produce needs WRITE, Fetch READ, Metadata DESCRIBE and, to
/// auto-create, CREATE).
#[derive(Default)]
pub(crate) enum Denied {
    /// Nothing to add.
    #[default]
    Nothing,
    /// Produce topics without WRITE, with the partitions they named.
    Produce(Vec<(String, Vec<i32>)>),
    /// Fetch topics without READ: (name, id, partitions).
    Fetch(Vec<(String, kafka_protocol::Uuid, Vec<i32>)>),
    /// Named Metadata topics denied.
    Metadata(Vec<String>),
    /// An all-topics Metadata: leave out topics without DESCRIBE.
    MetadataAll,
}

/// Takes the topics `connection` may not touch out of `body` (only with ACLs on).
pub(crate) fn deny_items(state: &ClusterState, connection: u64, body: &mut RequestBody) -> Denied {
    use crate::security::{AclOperation, ResourceType};
    if state.security.authorizer.is_none() {
        return Denied::Nothing;
    }
    let who = state.security.who(connection);
    match body {
        RequestBody::Produce(r) => {
            let mut denied = Vec::new();
            r.topic_data.retain(|t| {
                let allowed = who.can(AclOperation::Write, ResourceType::Topic, &t.name);
                if !allowed {
                    denied.push((t.name.clone(), t.partition_data.iter().map(|p| p.index).collect()));
                }
                allowed
            });
            if denied.is_empty() {
                Denied::Nothing
            } else {
                Denied::Produce(denied)
            }
        }
        RequestBody::Fetch(r) => {
            let mut denied = Vec::new();
            r.topics.retain(|t| {
                // v13+ names topics by id; an unknown id is the handler's UNKNOWN_TOPIC_ID.
                let name = if t.topic.is_empty() {
                    state.topics.by_id(&t.topic_id).map(|topic| topic.name.clone())
                } else {
                    Some(t.topic.clone())
                };
                let Some(name) = name else { return true };
                let allowed = who.can(AclOperation::Read, ResourceType::Topic, &name);
                if !allowed {
                    denied.push((t.topic.clone(), t.topic_id, t.partitions.iter().map(|p| p.partition).collect()));
                }
                allowed
            });
            if denied.is_empty() {
                return Denied::Nothing;
            }
            // Like Kafka, a fetch with errors to report does not wait for data.
            r.max_wait_ms = 0;
            Denied::Fetch(denied)
        }
        RequestBody::Metadata(r) => {
            let Some(topics) = &mut r.topics else { return Denied::MetadataAll };
            let requested: Vec<String> = topics.iter().filter_map(|t| t.name.clone()).collect();
            let auto_create = r.allow_auto_topic_creation && state.config.auto_create_topics;
            let decided = who.metadata_topics(
                Some(&requested),
                state.topics.iter().map(|t| t.name.as_str()),
                |name| state.topics.contains(name),
                auto_create,
            );
            if decided.denied.is_empty() {
                return Denied::Nothing;
            }
            topics.retain(|t| t.name.as_ref().is_none_or(|n| !decided.denied.contains(n)));
            Denied::Metadata(decided.denied)
        }
        _ => Denied::Nothing,
    }
}

/// Adds the denied topics to the handler's response.
pub(crate) fn answer_denied(state: &ClusterState, connection: u64, denied: Denied, response: &mut ResponseBody) {
    use kafka_protocol::messages::metadata_response::MetadataResponseTopic;
    use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
    const DENIED: i16 = crate::security::codes::TOPIC_AUTHORIZATION_FAILED;
    match (denied, response) {
        (Denied::Produce(topics), ResponseBody::Produce(r)) => {
            for (name, partitions) in topics {
                let partitions = partitions
                    .into_iter()
                    .map(|index| {
                        PartitionProduceResponse::default()
                            .with_index(index)
                            .with_error_code(DENIED)
                            .with_base_offset(-1)
                            .with_log_append_time_ms(-1)
                            .with_log_start_offset(-1)
                    })
                    .collect();
                r.responses.push(TopicProduceResponse::default().with_name(name).with_partition_responses(partitions));
            }
        }
        (Denied::Fetch(topics), ResponseBody::Fetch(r)) => {
            use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
            for (name, id, partitions) in topics {
                let partitions = partitions
                    .into_iter()
                    .map(|index| {
                        PartitionData::default()
                            .with_partition_index(index)
                            .with_error_code(DENIED)
                            .with_high_watermark(-1)
                            .with_last_stable_offset(-1)
                            .with_log_start_offset(-1)
                    })
                    .collect();
                r.responses.push(FetchableTopicResponse::default().with_topic(name).with_topic_id(id).with_partitions(partitions));
            }
        }
        (Denied::Metadata(names), ResponseBody::Metadata(r)) => {
            for name in names {
                r.topics.push(MetadataResponseTopic::default().with_name(Some(name)).with_error_code(DENIED));
            }
        }
        (Denied::MetadataAll, ResponseBody::Metadata(r)) => {
            use crate::security::{AclOperation, ResourceType};
            let who = state.security.who(connection);
            r.topics.retain(|t| t.name.as_deref().is_none_or(|n| who.can(AclOperation::Describe, ResourceType::Topic, n)));
        }
        _ => {}
    }
}

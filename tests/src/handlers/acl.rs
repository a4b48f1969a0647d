//! Per-item ACL checks (step 3 of the contract in [`crate::security`]) and the KIP-430
//! authorized-operations bitfields, as one mechanism around the handlers:
//!
//! 1. Before the handler, [`deny_items`] takes the items the caller may not touch out of the
//!    request, following [`per_item_checks`](crate::security::requirements::per_item_checks)
//!    and Kafka's `KafkaApis`/`ControllerApis`: each denied item moves into a copy of the
//!    request holding only denied items with the same error code.
//! 2. The handler sees only the allowed items. When the split left it nothing to do (every
//!    item denied, for APIs where Kafka then skips the coordinator or the log), or when Kafka
//!    fails the whole request (AddPartitionsToTxn v0-3 with a denied topic), the handler is
//!    skipped ([`Denied::handle`]).
//! 3. After it, [`answer_denied`] edits the handler's response where the answer depends on
//!    the caller (bitfields, listings that leave out what the caller may not see, offsets of
//!    denied topics inside a group), then answers each copy with the handler's own
//!    `error_response(copy, version, code)` — the same shape a request-level error has — and
//!    appends its items (with Kafka's error message where Kafka sends one).
//!
//! Without an authorizer nothing is denied; the bitfields then report every supported
//! operation, as in Kafka.

use kafka_protocol::messages::{RequestBody, ResponseBody};
use kafka_protocol::Uuid;

use super::{Ctx, HandlerEntry, Outcome};
use crate::security::requirements::authorization_message;
use crate::security::{AclOperation, RequestAuthorizer, ResourceType};
use crate::state::topics::Topics;
use crate::state::ClusterState;

const TOPIC_DENIED: i16 = crate::security::codes::TOPIC_AUTHORIZATION_FAILED;

/// What [`deny_items`] took out of a request, and what the response needs afterwards.
#[derive(Default)]
pub(crate) struct Denied {
    version: i16,
    /// Copies of the request holding only denied items, with the code those items get.
    answers: Vec<(i16, RequestBody)>,
    /// Skip the handler: the answers alone make the response.
    skip_handler: bool,
    /// Edits of the handler's response, made before the answers are appended.
    edits: Vec<Edit>,
}

/// A caller-dependent edit of a handler's response.
#[derive(Debug, PartialEq)]
enum Edit {
    /// `topic_authorized_operations` of every topic (Metadata v8+ when asked,
    /// DescribeTopicPartitions always).
    TopicOperations,
    /// `cluster_authorized_operations` (Metadata v8-10 and DescribeCluster, when asked).
    ClusterOperations,
    /// `authorized_operations` of every group described without error (DescribeGroups v3+
    /// and ConsumerGroupDescribe, when asked).
    GroupOperations,
    /// Leave out topics without DESCRIBE (Metadata listing every topic).
    HideTopics,
    /// Drop every topic the handler answered (a v0 Metadata whose named topics were all
    /// denied would otherwise list every topic).
    ClearTopics,
    /// Leave out groups the caller may not describe (ListGroups).
    HideGroups,
    /// Leave out transactions without DESCRIBE on the transactional id (ListTransactions).
    HideTransactions,
    /// Leave out topics without DESCRIBE from described transactions (DescribeTransactions).
    HideTransactionTopics,
    /// Fetch topics without READ: (name, id, partitions), answered TOPIC_AUTHORIZATION_FAILED.
    FetchDenied(Vec<(String, Uuid, Vec<i32>)>),
    /// OffsetFetch of every topic: leave out topics without DESCRIBE, in this group (v8+)
    /// or at the top level (`None`, v1-7).
    HideFetchedOffsets(Option<String>),
    /// OffsetFetch topics without DESCRIBE, for this group (v8+) or the top level (`None`):
    /// their partitions get committed offset -1 and TOPIC_AUTHORIZATION_FAILED.
    FetchedOffsetsDenied(Option<String>, Vec<(String, Vec<i32>)>),
    /// OffsetDelete topics without READ, answered per partition unless the group failed.
    DeletedOffsetsDenied(Vec<(String, Vec<i32>)>),
    /// CreateTopics v5+: created topics without DESCRIBE_CONFIGS get
    /// `topic_config_error_code` TOPIC_AUTHORIZATION_FAILED and no configs.
    CreatedTopicConfigs,
}

impl Denied {
    /// Runs the handler on what is left of the request, or answers without it when the
    /// split left nothing to do.
    pub(crate) fn handle(&self, entry: &HandlerEntry, ctx: &mut Ctx<'_>, body: RequestBody) -> Outcome {
        if !self.skip_handler {
            return (entry.handle)(ctx, body);
        }
        // The request's own shape with no items and no error: the empty response.
        match (entry.error_response)(&body, self.version, crate::security::codes::NONE) {
            Some(response) => Outcome::Respond(response),
            None => Outcome::NoResponse,
        }
    }

    /// Whether items were taken out of the request to be answered with an error.
    pub(crate) fn has_answers(&self) -> bool {
        !self.answers.is_empty()
    }

    /// Keeps the denied items `split` found, to be answered after the handler.
    fn answer<R: Into<RequestBody>>(&mut self, answers: Vec<(i16, R)>) {
        self.answers.extend(answers.into_iter().map(|(code, r)| (code, r.into())));
    }

    /// Like [`answer`](Self::answer), and skips the handler when the denied items were all
    /// the request had (`nothing_left`), as Kafka skips the log or the coordinator then.
    fn answer_or_skip<R: Into<RequestBody>>(&mut self, answers: Vec<(i16, R)>, nothing_left: bool) {
        self.skip_handler |= nothing_left && !answers.is_empty();
        self.answer(answers);
    }
}

/// Moves the items of the list `list` selects that `deny` refuses (returning their error
/// code) into copies of `req`, one per code, in request order; the allowed items stay.
fn split<R: Clone, T>(req: &mut R, list: fn(&mut R) -> &mut Vec<T>, mut deny: impl FnMut(&T) -> Option<i16>) -> Vec<(i16, R)> {
    let items = std::mem::take(list(req));
    let shell = req.clone();
    let mut answers: Vec<(i16, R)> = Vec::new();
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        let Some(code) = deny(&item) else {
            kept.push(item);
            continue;
        };
        match answers.iter_mut().find(|(c, _)| *c == code) {
            Some((_, copy)) => list(copy).push(item),
            None => {
                let mut copy = shell.clone();
                list(&mut copy).push(item);
                answers.push((code, copy));
            }
        }
    }
    *list(req) = kept;
    answers
}

/// Takes the items `denied` selects out of `items`.
fn take<T>(items: &mut Vec<T>, mut denied: impl FnMut(&T) -> bool) -> Vec<T> {
    let (out, kept) = std::mem::take(items).into_iter().partition(|item| denied(item));
    *items = kept;
    out
}

/// Takes the items `connection` may not touch out of `body` (see the module docs).
pub(crate) fn deny_items(state: &ClusterState, connection: u64, version: i16, body: &mut RequestBody) -> Denied {
    let who = state.security.who(connection);
    split_request(&who, &state.topics, state.config.auto_create_topics, version, body)
}

/// Answers what [`deny_items`] took out and makes the caller-dependent edits.
pub(crate) fn answer_denied(state: &ClusterState, connection: u64, denied: Denied, response: &mut ResponseBody) {
    finish(&state.security.who(connection), denied, response);
}

/// The KIP-430 bitfields a request asks for (with or without an authorizer).
fn operation_edits(body: &RequestBody, version: i16) -> Vec<Edit> {
    let mut edits = Vec::new();
    match body {
        RequestBody::Metadata(r) if version >= 8 => {
            if r.include_topic_authorized_operations {
                edits.push(Edit::TopicOperations);
            }
            if version <= 10 && r.include_cluster_authorized_operations {
                edits.push(Edit::ClusterOperations);
            }
        }
        RequestBody::DescribeCluster(r) if r.include_cluster_authorized_operations => edits.push(Edit::ClusterOperations),
        RequestBody::DescribeGroups(r) if version >= 3 && r.include_authorized_operations => edits.push(Edit::GroupOperations),
        RequestBody::ConsumerGroupDescribe(r) if r.include_authorized_operations => edits.push(Edit::GroupOperations),
        RequestBody::DescribeTopicPartitions(_) => edits.push(Edit::TopicOperations),
        _ => {}
    }
    edits
}

/// [`deny_items`] on its inputs: the caller, the topics, `auto.create.topics.enable`.
fn split_request(who: &RequestAuthorizer<'_>, topics: &Topics, auto_create: bool, version: i16, body: &mut RequestBody) -> Denied {
    use AclOperation::{Alter, Delete, Describe, Read, Write};
    let mut denied = Denied { version, edits: operation_edits(body, version), ..Denied::default() };
    if who.authorizer.is_none() {
        return denied;
    }
    let topic = |op: AclOperation, name: &str| who.check(op, ResourceType::Topic, name).err();
    let group = |op: AclOperation, id: &str| who.check(op, ResourceType::Group, id).err();
    let txn_id = |op: AclOperation, id: &str| who.check(op, ResourceType::TransactionalId, id).err();
    match body {
        RequestBody::Produce(r) => {
            let answers = split(r, |r| &mut r.topic_data, |t| topic(Write, &t.name));
            denied.answer(answers);
        }
        RequestBody::Fetch(r) => {
            // v13+ names topics by id; an unknown id is the handler's UNKNOWN_TOPIC_ID.
            let refused = take(&mut r.topics, |t| {
                let name = if t.topic.is_empty() { topics.name_of(&t.topic_id) } else { Some(t.topic.as_str()) };
                name.is_some_and(|n| topic(Read, n).is_some())
            });
            if !refused.is_empty() {
                // Like Kafka, a fetch with errors to report does not wait for data.
                r.max_wait_ms = 0;
                let refused = refused.into_iter().map(|t| (t.topic, t.topic_id, t.partitions.iter().map(|p| p.partition).collect()));
                denied.edits.push(Edit::FetchDenied(refused.collect()));
            }
        }
        RequestBody::ListOffsets(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Describe, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::Metadata(r) => {
            let all = match &r.topics {
                None => true,
                Some(t) => version == 0 && t.is_empty(),
            };
            if all {
                denied.edits.push(Edit::HideTopics);
                return denied;
            }
            let by_name = |t: &kafka_protocol::messages::metadata_request::MetadataRequestTopic| match &t.name {
                Some(n) if !n.is_empty() || t.topic_id == Uuid::ZERO => Some(n.clone()),
                _ => None,
            };
            let requested: Vec<String> = r.topics.iter().flatten().filter_map(by_name).collect();
            let auto_create = (version < 4 || r.allow_auto_topic_creation) && auto_create;
            let decided = who.metadata_topics(Some(&requested), topics.iter().map(|t| t.name.as_str()), |n| topics.contains(n), auto_create);
            let mut listed = r.topics.take().unwrap_or_default();
            let answers = split(&mut listed, |l| l, |t| match by_name(t) {
                Some(n) => decided.denied.contains(&n).then_some(TOPIC_DENIED),
                // By id (v12+): topic ids are not secret, so a denied one is answered with its id.
                None => topics.name_of(&t.topic_id).and_then(|n| topic(Describe, n)),
            });
            let empty = listed.is_empty();
            r.topics = Some(listed);
            if version == 0 && empty && !answers.is_empty() {
                denied.edits.push(Edit::ClearTopics);
            }
            let answers = answers.into_iter().map(|(code, topics)| (code, r.clone().with_topics(Some(topics)))).collect();
            denied.answer(answers);
        }
        RequestBody::OffsetCommit(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Read, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::OffsetFetch(r) if version >= 8 => {
            let answers = split(r, |r| &mut r.groups, |g| group(Describe, &g.group_id));
            denied.answer(answers);
            for g in &mut r.groups {
                let edit = offset_fetch_topics(Some(g.group_id.clone()), g.topics.as_mut(), |t| (&t.name, &t.partition_indexes), &topic);
                denied.edits.extend(edit);
            }
        }
        RequestBody::OffsetFetch(r) => {
            // v0-7: the group was checked for the whole request.
            let edit = offset_fetch_topics(None, r.topics.as_mut(), |t| (&t.name, &t.partition_indexes), &topic);
            denied.edits.extend(edit);
        }
        RequestBody::FindCoordinator(r) if version >= 4 => {
            let key_type = r.key_type;
            let answers = split(r, |r| &mut r.coordinator_keys, |key| match key_type {
                0 => group(Describe, key),
                1 => txn_id(Describe, key),
                _ => None,
            });
            denied.answer_or_skip(answers, r.coordinator_keys.is_empty());
        }
        RequestBody::DescribeGroups(r) => {
            let answers = split(r, |r| &mut r.groups, |g| group(Describe, g));
            denied.answer_or_skip(answers, r.groups.is_empty());
        }
        RequestBody::ListGroups(_) => denied.edits.push(Edit::HideGroups),
        RequestBody::DeleteGroups(r) => {
            let answers = split(r, |r| &mut r.groups_names, |g| group(Delete, g));
            denied.answer_or_skip(answers, r.groups_names.is_empty());
        }
        RequestBody::CreateTopics(r) => {
            let answers = split(r, |r| &mut r.topics, |t| (!who.can_create_topic(&t.name)).then_some(TOPIC_DENIED));
            denied.answer_or_skip(answers, r.topics.is_empty());
            if version >= 5 {
                denied.edits.push(Edit::CreatedTopicConfigs);
            }
        }
        RequestBody::DeleteTopics(r) => {
            if who.can_on_cluster(Delete) {
                return denied;
            }
            // By name: without DESCRIBE the topic's existence is not disclosed; a missing
            // describable topic is the handler's UNKNOWN_TOPIC_OR_PARTITION.
            let by_name = |n: &str| topic(Describe, n).or_else(|| topics.contains(n).then(|| topic(Delete, n)).flatten());
            let mut answers: Vec<(i16, kafka_protocol::messages::DeleteTopicsRequest)> = split(r, |r| &mut r.topic_names, |n| by_name(n));
            answers.extend(split(r, |r| &mut r.topics, |t| match t.name.as_deref() {
                Some(n) if !n.is_empty() => by_name(n),
                // By id: an unknown id is the handler's UNKNOWN_TOPIC_ID.
                _ => topics.name_of(&t.topic_id).and_then(|n| topic(Delete, n)),
            }));
            // A topic named by id shows its name only to callers who may describe it.
            for t in answers.iter_mut().flat_map(|(_, a)| a.topics.iter_mut()) {
                if t.name.as_deref().is_none_or(str::is_empty) {
                    t.name = topics.name_of(&t.topic_id).filter(|n| topic(Describe, n).is_none()).map(str::to_owned);
                }
            }
            let empty = r.topic_names.is_empty() && r.topics.is_empty();
            denied.answer_or_skip(answers, empty);
        }
        RequestBody::DeleteRecords(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Delete, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        // Replicas (CLUSTER_ACTION) may ask about every topic.
        RequestBody::OffsetForLeaderEpoch(r) if !who.can_on_cluster(AclOperation::ClusterAction) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Describe, &t.topic));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::AddPartitionsToTxn(r) if version <= 3 => {
            if r.v3_and_below_topics.iter().all(|t| topic(Write, &t.name).is_none()) {
                return denied;
            }
            // Kafka fails the whole transaction: denied topics TOPIC_AUTHORIZATION_FAILED,
            // missing partitions UNKNOWN_TOPIC_OR_PARTITION, the rest OPERATION_NOT_ATTEMPTED.
            let exists = |name: &str, p: i32| topics.get(name).and_then(|t| t.partition(p)).is_some();
            for t in std::mem::take(&mut r.v3_and_below_topics) {
                let (known, missing): (Vec<i32>, Vec<i32>) = t.partitions.iter().copied().partition(|p| exists(&t.name, *p));
                for partitions in [known, missing].into_iter().filter(|p| !p.is_empty()) {
                    r.v3_and_below_topics.push(t.clone().with_partitions(partitions));
                }
            }
            let answers = split(r, |r| &mut r.v3_and_below_topics, |t| {
                Some(if let Some(code) = topic(Write, &t.name) {
                    code
                } else if t.partitions.first().is_some_and(|p| !exists(&t.name, *p)) {
                    crate::codes::UNKNOWN_TOPIC_OR_PARTITION
                } else {
                    crate::security::codes::OPERATION_NOT_ATTEMPTED
                })
            });
            denied.answer_or_skip(answers, true);
        }
        RequestBody::TxnOffsetCommit(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Read, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::DescribeConfigs(r) => {
            let answers = split(r, |r| &mut r.resources, |c| who.config_resource_error(c.resource_type, &c.resource_name, false));
            denied.answer_or_skip(answers, r.resources.is_empty());
        }
        RequestBody::AlterConfigs(r) => {
            let answers = split(r, |r| &mut r.resources, |c| who.config_resource_error(c.resource_type, &c.resource_name, true));
            denied.answer_or_skip(answers, r.resources.is_empty());
        }
        RequestBody::IncrementalAlterConfigs(r) => {
            let answers = split(r, |r| &mut r.resources, |c| who.config_resource_error(c.resource_type, &c.resource_name, true));
            denied.answer_or_skip(answers, r.resources.is_empty());
        }
        RequestBody::CreatePartitions(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Alter, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::OffsetDelete(r) => {
            // The group still answers (e.g. GROUP_ID_NOT_FOUND) when every topic is denied.
            let refused = take(&mut r.topics, |t| topic(Read, &t.name).is_some());
            if !refused.is_empty() {
                let refused = refused.into_iter().map(|t| (t.name, t.partitions.iter().map(|p| p.partition_index).collect()));
                denied.edits.push(Edit::DeletedOffsetsDenied(refused.collect()));
            }
        }
        RequestBody::DescribeProducers(r) => {
            let answers = split(r, |r| &mut r.topics, |t| topic(Read, &t.name));
            denied.answer_or_skip(answers, r.topics.is_empty());
        }
        RequestBody::DescribeTransactions(r) => {
            let answers = split(r, |r| &mut r.transactional_ids, |id| txn_id(Describe, id));
            denied.answer_or_skip(answers, r.transactional_ids.is_empty());
            denied.edits.push(Edit::HideTransactionTopics);
        }
        RequestBody::ListTransactions(_) => denied.edits.push(Edit::HideTransactions),
        RequestBody::ConsumerGroupDescribe(r) => {
            let answers = split(r, |r| &mut r.group_ids, |g| group(Describe, g));
            denied.answer_or_skip(answers, r.group_ids.is_empty());
        }
        RequestBody::DescribeTopicPartitions(r) => {
            // Only topics from the cursor's on are considered (and reported).
            let from = r.cursor.as_ref().map(|c| c.topic_name.clone()).unwrap_or_default();
            if r.topics.is_empty() {
                // Every topic: the describable ones, named, so pagination never counts the others.
                use kafka_protocol::messages::describe_topic_partitions_request::TopicRequest;
                r.topics = topics
                    .iter()
                    .filter(|t| t.name >= from && topic(Describe, &t.name).is_none())
                    .map(|t| TopicRequest::default().with_name(t.name.clone()))
                    .collect();
                denied.skip_handler = r.topics.is_empty();
            } else {
                let mut answers = split(r, |r| &mut r.topics, |t| topic(Describe, &t.name));
                for (_, a) in &mut answers {
                    a.topics.retain(|t| t.name >= from);
                }
                denied.answer_or_skip(answers, r.topics.is_empty());
            }
        }
        _ => {}
    }
    denied
}

/// OffsetFetch topics of one group (`None`: the v1-7 top level): a listing of every topic
/// leaves out those without DESCRIBE afterwards; named ones without DESCRIBE are taken out.
fn offset_fetch_topics<T>(
    group: Option<String>,
    requested: Option<&mut Vec<T>>,
    parts: fn(&T) -> (&String, &Vec<i32>),
    topic: &impl Fn(AclOperation, &str) -> Option<i16>,
) -> Option<Edit> {
    let Some(requested) = requested else { return Some(Edit::HideFetchedOffsets(group)) };
    let refused = take(requested, |t| topic(AclOperation::Describe, parts(t).0).is_some());
    (!refused.is_empty()).then(|| {
        let refused = refused.iter().map(|t| {
            let (name, partitions) = parts(t);
            (name.clone(), partitions.clone())
        });
        Edit::FetchedOffsetsDenied(group, refused.collect())
    })
}

/// [`answer_denied`] for a caller.
fn finish(who: &RequestAuthorizer<'_>, denied: Denied, response: &mut ResponseBody) {
    for edit in denied.edits {
        apply(who, edit, response);
    }
    for (code, request) in denied.answers {
        let answer = super::entry(request.api_key()).and_then(|e| (e.error_response)(&request, denied.version, code));
        match answer {
            Some(answer) => merge(response, answer, code, denied.version),
            None => tracing::error!(api = request.api_key().name(), "no error response for denied items"),
        }
    }
}

/// Appends the items of `answer` (denied items answered with `code`) to `response`.
fn merge(response: &mut ResponseBody, answer: ResponseBody, code: i16, version: i16) {
    use ResponseBody as B;
    // Where Kafka sends a message with the denial (ApiError's default message, or
    // CreateTopics' own), and only in versions that carry one.
    let message = authorization_message(code).map(str::to_owned);
    match (response, answer) {
        (B::Produce(r), B::Produce(a)) => r.responses.extend(a.responses),
        (B::ListOffsets(r), B::ListOffsets(a)) => r.topics.extend(a.topics),
        (B::Metadata(r), B::Metadata(a)) => r.topics.extend(a.topics),
        (B::OffsetCommit(r), B::OffsetCommit(a)) => r.topics.extend(a.topics),
        (B::OffsetFetch(r), B::OffsetFetch(a)) => r.groups.extend(a.groups),
        (B::FindCoordinator(r), B::FindCoordinator(a)) => r.coordinators.extend(a.coordinators),
        (B::DescribeGroups(r), B::DescribeGroups(a)) => r.groups.extend(a.groups),
        (B::DeleteGroups(r), B::DeleteGroups(a)) => r.results.extend(a.results),
        (B::CreateTopics(r), B::CreateTopics(a)) => {
            let message = (version >= 1).then(|| "Authorization failed.".to_owned());
            r.topics.extend(a.topics.into_iter().map(|t| t.with_error_message(message.clone())));
        }
        (B::DeleteTopics(r), B::DeleteTopics(a)) => {
            r.responses.extend(a.responses.into_iter().map(|t| t.with_error_message(message.clone())));
        }
        (B::DeleteRecords(r), B::DeleteRecords(a)) => r.topics.extend(a.topics),
        (B::OffsetForLeaderEpoch(r), B::OffsetForLeaderEpoch(a)) => r.topics.extend(a.topics),
        (B::AddPartitionsToTxn(r), B::AddPartitionsToTxn(a)) => r.results_by_topic_v3_and_below.extend(a.results_by_topic_v3_and_below),
        (B::TxnOffsetCommit(r), B::TxnOffsetCommit(a)) => r.topics.extend(a.topics),
        (B::DescribeConfigs(r), B::DescribeConfigs(a)) => {
            r.results.extend(a.results.into_iter().map(|c| c.with_error_message(message.clone())));
        }
        (B::AlterConfigs(r), B::AlterConfigs(a)) => {
            r.responses.extend(a.responses.into_iter().map(|c| c.with_error_message(message.clone())));
        }
        (B::IncrementalAlterConfigs(r), B::IncrementalAlterConfigs(a)) => {
            r.responses.extend(a.responses.into_iter().map(|c| c.with_error_message(message.clone())));
        }
        (B::CreatePartitions(r), B::CreatePartitions(a)) => r.results.extend(a.results),
        (B::DescribeProducers(r), B::DescribeProducers(a)) => r.topics.extend(a.topics),
        (B::DescribeTransactions(r), B::DescribeTransactions(a)) => r.transaction_states.extend(a.transaction_states),
        (B::ConsumerGroupDescribe(r), B::ConsumerGroupDescribe(a)) => r.groups.extend(a.groups),
        (B::DescribeTopicPartitions(r), B::DescribeTopicPartitions(a)) => r.topics.extend(a.topics),
        (response, answer) => tracing::error!(
            response = response.api_key().name(),
            answer = answer.api_key().name(),
            "denied items not merged"
        ),
    }
}

/// Makes one caller-dependent edit of a handler's response.
fn apply(who: &RequestAuthorizer<'_>, edit: Edit, response: &mut ResponseBody) {
    use ResponseBody as B;
    let describe_topic = |name: &str| who.can(AclOperation::Describe, ResourceType::Topic, name);
    match (edit, response) {
        (Edit::TopicOperations, B::Metadata(r)) => {
            for t in &mut r.topics {
                if let Some(name) = &t.name {
                    t.topic_authorized_operations = who.authorized_operations(ResourceType::Topic, name);
                }
            }
        }
        (Edit::TopicOperations, B::DescribeTopicPartitions(r)) => {
            for t in &mut r.topics {
                if let Some(name) = &t.name {
                    t.topic_authorized_operations = who.authorized_operations(ResourceType::Topic, name);
                }
            }
        }
        (Edit::ClusterOperations, B::Metadata(r)) => r.cluster_authorized_operations = who.cluster_authorized_operations(true),
        (Edit::ClusterOperations, B::DescribeCluster(r)) => {
            if r.error_code == crate::security::codes::NONE {
                r.cluster_authorized_operations = who.cluster_authorized_operations(true);
            }
        }
        (Edit::GroupOperations, B::DescribeGroups(r)) => {
            for g in r.groups.iter_mut().filter(|g| g.error_code == crate::security::codes::NONE) {
                g.authorized_operations = who.authorized_operations(ResourceType::Group, &g.group_id);
            }
        }
        (Edit::GroupOperations, B::ConsumerGroupDescribe(r)) => {
            for g in r.groups.iter_mut().filter(|g| g.error_code == crate::security::codes::NONE) {
                g.authorized_operations = who.authorized_operations(ResourceType::Group, &g.group_id);
            }
        }
        (Edit::HideTopics, B::Metadata(r)) => r.topics.retain(|t| t.name.as_deref().is_none_or(describe_topic)),
        (Edit::ClearTopics, B::Metadata(r)) => r.topics.clear(),
        (Edit::HideGroups, B::ListGroups(r)) => r.groups.retain(|g| who.can_list_group(&g.group_id)),
        (Edit::HideTransactions, B::ListTransactions(r)) => r
            .transaction_states
            .retain(|t| who.can(AclOperation::Describe, ResourceType::TransactionalId, &t.transactional_id)),
        (Edit::HideTransactionTopics, B::DescribeTransactions(r)) => {
            for state in &mut r.transaction_states {
                state.topics.retain(|t| describe_topic(&t.topic));
            }
        }
        (Edit::FetchDenied(topics), B::Fetch(r)) => {
            use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
            for (name, id, partitions) in topics {
                let partitions = partitions
                    .into_iter()
                    .map(|index| {
                        PartitionData::default()
                            .with_partition_index(index)
                            .with_error_code(TOPIC_DENIED)
                            .with_high_watermark(-1)
                            .with_last_stable_offset(-1)
                            .with_log_start_offset(-1)
                    })
                    .collect();
                r.responses.push(FetchableTopicResponse::default().with_topic(name).with_topic_id(id).with_partitions(partitions));
            }
        }
        (Edit::HideFetchedOffsets(None), B::OffsetFetch(r)) => r.topics.retain(|t| describe_topic(&t.name)),
        (Edit::HideFetchedOffsets(Some(group)), B::OffsetFetch(r)) => {
            for g in r.groups.iter_mut().filter(|g| g.group_id == group) {
                g.topics.retain(|t| describe_topic(&t.name));
            }
        }
        (Edit::FetchedOffsetsDenied(None, topics), B::OffsetFetch(r)) => {
            use kafka_protocol::messages::offset_fetch_response::{OffsetFetchResponsePartition, OffsetFetchResponseTopic};
            if r.error_code == crate::security::codes::NONE {
                for (name, partitions) in topics {
                    let partitions = partitions.into_iter().map(|p| {
                        OffsetFetchResponsePartition::default().with_partition_index(p).with_committed_offset(-1).with_error_code(TOPIC_DENIED)
                    });
                    r.topics.push(OffsetFetchResponseTopic::default().with_name(name).with_partitions(partitions.collect()));
                }
            }
        }
        (Edit::FetchedOffsetsDenied(Some(group), topics), B::OffsetFetch(r)) => {
            use kafka_protocol::messages::offset_fetch_response::{OffsetFetchResponsePartitions, OffsetFetchResponseTopics};
            let answered = r.groups.iter_mut().find(|g| g.group_id == group && g.error_code == crate::security::codes::NONE);
            if let Some(g) = answered {
                for (name, partitions) in topics {
                    let partitions = partitions.into_iter().map(|p| {
                        OffsetFetchResponsePartitions::default().with_partition_index(p).with_committed_offset(-1).with_error_code(TOPIC_DENIED)
                    });
                    g.topics.push(OffsetFetchResponseTopics::default().with_name(name).with_partitions(partitions.collect()));
                }
            }
        }
        (Edit::DeletedOffsetsDenied(topics), B::OffsetDelete(r)) => {
            use kafka_protocol::messages::offset_delete_response::{OffsetDeleteResponsePartition, OffsetDeleteResponseTopic};
            // A group-level error stands alone, as in Kafka.
            if r.error_code == crate::security::codes::NONE {
                for (name, partitions) in topics {
                    let partitions = partitions
                        .into_iter()
                        .map(|p| OffsetDeleteResponsePartition::default().with_partition_index(p).with_error_code(TOPIC_DENIED));
                    r.topics.push(OffsetDeleteResponseTopic::default().with_name(name).with_partitions(partitions.collect()));
                }
            }
        }
        (Edit::CreatedTopicConfigs, B::CreateTopics(r)) => {
            let hidden = |name: &str| !who.can(AclOperation::DescribeConfigs, ResourceType::Topic, name);
            for t in r.topics.iter_mut().filter(|t| t.error_code == crate::security::codes::NONE && hidden(&t.name)) {
                t.topic_config_error_code = TOPIC_DENIED;
                t.configs = Some(Vec::new());
                t.num_partitions = -1;
                t.replication_factor = -1;
            }
        }
        (edit, response) => tracing::error!(?edit, response = response.api_key().name(), "ACL edit does not fit the response"),
    }
}

#[cfg(test)]
mod tests;

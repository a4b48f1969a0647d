//! Unit tests for the per-item ACL split, the answers merged back and the response edits.

use std::collections::BTreeMap;

use kafka_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::CreatableTopicResult;
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::describe_topic_partitions_request::TopicRequest;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::list_offsets_response::ListOffsetsTopicResponse;
use kafka_protocol::messages::offset_fetch_request::{OffsetFetchRequestGroup, OffsetFetchRequestTopics};
use kafka_protocol::messages::offset_fetch_response::{OffsetFetchResponseGroup, OffsetFetchResponseTopics};
use kafka_protocol::messages::*;

use super::*;
use crate::security::acl::{AclBinding, AuthorizerConfig, ResourcePattern};
use crate::security::requirements::config_resource;
use crate::security::{Authorizer, CLUSTER_NAME};
use crate::state::topics::{Partition, Topic};

const ALICE: &str = "User:alice";
const GROUP_DENIED: i16 = crate::security::codes::GROUP_AUTHORIZATION_FAILED;
const CLUSTER_DENIED: i16 = crate::security::codes::CLUSTER_AUTHORIZATION_FAILED;

fn authorizer(grants: &[(ResourceType, &str, AclOperation)]) -> Authorizer {
    let mut a = Authorizer::new(AuthorizerConfig::default());
    for (rt, name, op) in grants {
        a.add_acl(AclBinding::allow(ResourcePattern::literal(*rt, *name), ALICE, *op)).unwrap();
    }
    a
}

fn topics(names: &[&str]) -> Topics {
    let mut topics = Topics::default();
    for (i, name) in names.iter().enumerate() {
        topics.insert(Topic {
            name: (*name).to_owned(),
            id: Uuid::from_u64_pair(0, i as u64 + 1),
            partitions: vec![Partition::new(0, vec![1])],
            configs: BTreeMap::new(),
            internal: false,
        });
    }
    topics
}

fn who(a: &Authorizer) -> RequestAuthorizer<'_> {
    RequestAuthorizer::new(Some(a), ALICE, "127.0.0.1")
}

/// Splits `body`, "handles" what is left with `handler` (or the empty response when the
/// handler is skipped), then answers the denied items.
fn run(
    who: &RequestAuthorizer<'_>,
    topics: &Topics,
    version: i16,
    mut body: RequestBody,
    handler: impl FnOnce(&RequestBody) -> ResponseBody,
) -> (RequestBody, ResponseBody) {
    let denied = split_request(who, topics, true, version, &mut body);
    let mut response = if denied.skip_handler {
        let entry = super::super::entry(body.api_key()).unwrap();
        (entry.error_response)(&body, version, 0).unwrap()
    } else {
        handler(&body)
    };
    finish(who, denied, &mut response);
    (body, response)
}

#[test]
fn split_groups_denied_items_by_code_and_keeps_the_rest_in_order() {
    let a = authorizer(&[(ResourceType::Topic, "t", AclOperation::DescribeConfigs)]);
    let w = who(&a);
    let resource = |rt, name: &str| DescribeConfigsResource::default().with_resource_type(rt).with_resource_name(name.into());
    let mut req = DescribeConfigsRequest::default().with_resources(vec![
        resource(config_resource::TOPIC, "u"),
        resource(config_resource::TOPIC, "t"),
        resource(config_resource::BROKER, "1"),
        resource(config_resource::TOPIC, "v"),
    ]);
    let answers = split(&mut req, |r| &mut r.resources, |c| w.config_resource_error(c.resource_type, &c.resource_name, false));
    assert_eq!(req.resources.len(), 1);
    assert_eq!(req.resources[0].resource_name, "t");
    let names: Vec<(i16, Vec<&str>)> = answers
        .iter()
        .map(|(code, r)| (*code, r.resources.iter().map(|c| c.resource_name.as_str()).collect()))
        .collect();
    assert_eq!(names, [(TOPIC_DENIED, vec!["u", "v"]), (CLUSTER_DENIED, vec!["1"])]);
}

#[test]
fn denied_config_resources_carry_kafkas_messages() {
    let a = authorizer(&[(ResourceType::Topic, "t", AclOperation::DescribeConfigs)]);
    let resource = |rt, name: &str| DescribeConfigsResource::default().with_resource_type(rt).with_resource_name(name.into());
    let body = DescribeConfigsRequest::default()
        .with_resources(vec![resource(config_resource::TOPIC, "t"), resource(config_resource::BROKER, "1")])
        .into();
    let (left, response) = run(&who(&a), &topics(&["t"]), 4, body, |left| {
        let RequestBody::DescribeConfigs(r) = left else { panic!() };
        assert_eq!(r.resources.len(), 1);
        ResponseBody::DescribeConfigs(super::super::describe_configs::error_response(r, 4, 0))
    });
    assert!(matches!(left, RequestBody::DescribeConfigs(r) if r.resources.len() == 1));
    let ResponseBody::DescribeConfigs(r) = response else { panic!() };
    let results: Vec<(&str, i16, Option<&str>)> =
        r.results.iter().map(|c| (c.resource_name.as_str(), c.error_code, c.error_message.as_deref())).collect();
    assert_eq!(results, [("t", 0, Some("")), ("1", CLUSTER_DENIED, Some("Cluster authorization failed."))]);
}

#[test]
fn list_offsets_answers_denied_topics_and_skips_the_handler_when_nothing_is_left() {
    let a = authorizer(&[(ResourceType::Topic, "ok", AclOperation::Describe)]);
    let request = |names: &[&str]| {
        ListOffsetsRequest::default().with_topics(
            names
                .iter()
                .map(|n| ListOffsetsTopic::default().with_name((*n).into()).with_partitions(vec![ListOffsetsPartition::default()]))
                .collect(),
        )
    };
    let handled = |_: &RequestBody| {
        ResponseBody::ListOffsets(ListOffsetsResponse::default().with_topics(vec![ListOffsetsTopicResponse::default().with_name("ok".into())]))
    };
    let (_, response) = run(&who(&a), &topics(&["ok", "secret"]), 7, request(&["secret", "ok"]).into(), handled);
    let ResponseBody::ListOffsets(r) = response else { panic!() };
    assert_eq!(r.topics.len(), 2);
    assert_eq!(r.topics[1].name, "secret");
    assert_eq!((r.topics[1].partitions[0].error_code, r.topics[1].partitions[0].offset), (TOPIC_DENIED, -1));

    let (_, response) = run(&who(&a), &topics(&["ok", "secret"]), 7, request(&["secret"]).into(), |_| panic!("handler called"));
    let ResponseBody::ListOffsets(r) = response else { panic!() };
    assert_eq!(r.topics.len(), 1);
    assert_eq!(r.topics[0].partitions[0].error_code, TOPIC_DENIED);
}

#[test]
fn delete_topics_by_id_hides_names_from_callers_who_may_not_describe() {
    let a = authorizer(&[
        (ResourceType::Topic, "seen", AclOperation::Describe),
        (ResourceType::Topic, "gone", AclOperation::Describe),
    ]);
    let t = topics(&["seen", "hidden"]);
    let id = |name: &str| t.get(name).unwrap().id;
    let mut body = RequestBody::DeleteTopics(DeleteTopicsRequest::default().with_topics(vec![
        DeleteTopicState::default().with_name(None).with_topic_id(id("seen")),
        DeleteTopicState::default().with_name(None).with_topic_id(id("hidden")),
        DeleteTopicState::default().with_name(Some("gone".into())),
        DeleteTopicState::default().with_name(None).with_topic_id(Uuid::from_u64_pair(9, 9)),
    ]));
    let denied = split_request(&who(&a), &t, true, 6, &mut body);
    // A missing describable name and an unknown id are the handler's to answer.
    let RequestBody::DeleteTopics(left) = &body else { panic!() };
    assert_eq!(left.topics.len(), 2);
    let mut response = ResponseBody::DeleteTopics(DeleteTopicsResponse::default());
    finish(&who(&a), denied, &mut response);
    let ResponseBody::DeleteTopics(r) = response else { panic!() };
    let answered: Vec<(Option<&str>, i16)> = r.responses.iter().map(|t| (t.name.as_deref(), t.error_code)).collect();
    assert_eq!(answered, [(Some("seen"), TOPIC_DENIED), (None, TOPIC_DENIED)]);
    assert_eq!(r.responses[0].error_message.as_deref(), Some("Topic authorization failed."));
}

#[test]
fn add_partitions_to_txn_fails_the_whole_transaction_when_a_topic_is_denied() {
    let a = authorizer(&[(ResourceType::Topic, "ok", AclOperation::Write)]);
    let topic = |name: &str, partitions: Vec<i32>| AddPartitionsToTxnTopic::default().with_name(name.into()).with_partitions(partitions);
    let body = AddPartitionsToTxnRequest::default()
        .with_v3_and_below_transactional_id("tx".into())
        .with_v3_and_below_topics(vec![topic("ok", vec![0, 5]), topic("secret", vec![0])])
        .into();
    let (left, response) = run(&who(&a), &topics(&["ok", "secret"]), 3, body, |_| panic!("handler called"));
    assert!(matches!(left, RequestBody::AddPartitionsToTxn(r) if r.v3_and_below_topics.is_empty()));
    let ResponseBody::AddPartitionsToTxn(r) = response else { panic!() };
    let mut codes: Vec<(String, i32, i16)> = r
        .results_by_topic_v3_and_below
        .iter()
        .flat_map(|t| t.results_by_partition.iter().map(|p| (t.name.clone(), p.partition_index, p.partition_error_code)))
        .collect();
    codes.sort();
    let expected = [
        ("ok".to_owned(), 0, crate::security::codes::OPERATION_NOT_ATTEMPTED),
        ("ok".to_owned(), 5, crate::codes::UNKNOWN_TOPIC_OR_PARTITION),
        ("secret".to_owned(), 0, TOPIC_DENIED),
    ];
    assert_eq!(codes, expected);

    // All topics writable: dispatched untouched.
    let mut body = AddPartitionsToTxnRequest::default().with_v3_and_below_topics(vec![topic("ok", vec![0])]).into();
    let denied = split_request(&who(&a), &topics(&["ok"]), true, 3, &mut body);
    assert!(!denied.skip_handler && denied.answers.is_empty());
}

#[test]
fn offset_fetch_checks_groups_then_topics_within_each_group() {
    let a = authorizer(&[
        (ResourceType::Group, "g", AclOperation::Describe),
        (ResourceType::Group, "all", AclOperation::Describe),
        (ResourceType::Topic, "ok", AclOperation::Describe),
    ]);
    let named = OffsetFetchRequestGroup::default().with_group_id("g".into()).with_topics(Some(vec![
        OffsetFetchRequestTopics::default().with_name("ok".into()).with_partition_indexes(vec![0]),
        OffsetFetchRequestTopics::default().with_name("secret".into()).with_partition_indexes(vec![0, 1]),
    ]));
    let everything = OffsetFetchRequestGroup::default().with_group_id("all".into()).with_topics(None);
    let other = OffsetFetchRequestGroup::default().with_group_id("other".into()).with_topics(None);
    let body = OffsetFetchRequest::default().with_groups(vec![named, everything, other]).into();
    let (left, response) = run(&who(&a), &topics(&["ok", "secret"]), 9, body, |left| {
        let RequestBody::OffsetFetch(r) = left else { panic!() };
        assert_eq!(r.groups.len(), 2);
        assert_eq!(r.groups[0].topics.as_ref().map(Vec::len), Some(1));
        let fetched = |name: &str| OffsetFetchResponseTopics::default().with_name(name.into());
        ResponseBody::OffsetFetch(OffsetFetchResponse::default().with_groups(vec![
            OffsetFetchResponseGroup::default().with_group_id("g".into()).with_topics(vec![fetched("ok")]),
            OffsetFetchResponseGroup::default().with_group_id("all".into()).with_topics(vec![fetched("ok"), fetched("secret")]),
        ]))
    });
    assert!(matches!(left, RequestBody::OffsetFetch(_)));
    let ResponseBody::OffsetFetch(r) = response else { panic!() };
    let groups: Vec<(&str, i16, Vec<&str>)> = r
        .groups
        .iter()
        .map(|g| (g.group_id.as_str(), g.error_code, g.topics.iter().map(|t| t.name.as_str()).collect()))
        .collect();
    assert_eq!(groups, [("g", 0, vec!["ok", "secret"]), ("all", 0, vec!["ok"]), ("other", GROUP_DENIED, vec![])]);
    let secret = &r.groups[0].topics[1].partitions;
    assert_eq!(secret.len(), 2);
    assert!(secret.iter().all(|p| p.error_code == TOPIC_DENIED && p.committed_offset == -1));
}

#[test]
fn bitfields_follow_the_authorizer_or_report_everything_without_one() {
    let describe = RequestBody::DescribeCluster(DescribeClusterRequest::default().with_include_cluster_authorized_operations(true));
    let answer = |w: &RequestAuthorizer<'_>| {
        let mut body = describe.clone();
        let denied = split_request(w, &Topics::default(), true, 1, &mut body);
        let mut response = ResponseBody::DescribeCluster(DescribeClusterResponse::default());
        finish(w, denied, &mut response);
        let ResponseBody::DescribeCluster(r) = response else { panic!() };
        r.cluster_authorized_operations
    };
    let everything = ResourceType::Cluster.supported_operations().iter().fold(0, |bits, op| bits | (1 << op.code()));
    assert_eq!(answer(&RequestAuthorizer::new(None, ALICE, "127.0.0.1")), everything);
    let none = authorizer(&[(ResourceType::Cluster, CLUSTER_NAME, AclOperation::ClusterAction)]);
    assert_eq!(answer(&who(&none)), 0);
    let some = authorizer(&[(ResourceType::Cluster, CLUSTER_NAME, AclOperation::Describe)]);
    assert_eq!(answer(&who(&some)), 1 << AclOperation::Describe.code());

    // DescribeGroups: only groups described without error get the bitfield.
    let a = authorizer(&[(ResourceType::Group, "g", AclOperation::Read), (ResourceType::Group, "dead", AclOperation::Describe)]);
    let body = DescribeGroupsRequest::default().with_groups(vec!["g".into(), "dead".into(), "no".into()]).with_include_authorized_operations(true);
    let (_, response) = run(&who(&a), &Topics::default(), 5, body.into(), |_| {
        let group = |id: &str, code| {
            let mut g = DescribedGroup::default();
            g.group_id = id.into();
            g.error_code = code;
            g
        };
        ResponseBody::DescribeGroups(DescribeGroupsResponse::default().with_groups(vec![group("g", 0), group("dead", 16)]))
    });
    let ResponseBody::DescribeGroups(r) = response else { panic!() };
    let ops: Vec<(&str, i16, i32)> = r.groups.iter().map(|g| (g.group_id.as_str(), g.error_code, g.authorized_operations)).collect();
    let read_and_describe = (1 << AclOperation::Read.code()) | (1 << AclOperation::Describe.code());
    assert_eq!(ops, [("g", 0, read_and_describe), ("dead", 16, i32::MIN), ("no", GROUP_DENIED, i32::MIN)]);
}

#[test]
fn create_topics_needs_create_and_describe_configs_for_the_returned_configs() {
    let a = authorizer(&[
        (ResourceType::Topic, "mine", AclOperation::Create),
        (ResourceType::Topic, "full", AclOperation::Create),
        (ResourceType::Topic, "full", AclOperation::DescribeConfigs),
    ]);
    let body = CreateTopicsRequest::default()
        .with_topics(["mine", "full", "theirs"].map(|n| CreatableTopic::default().with_name(n.into())).to_vec())
        .into();
    let (_, response) = run(&who(&a), &Topics::default(), 7, body, |left| {
        let RequestBody::CreateTopics(r) = left else { panic!() };
        let created = r.topics.iter().map(|t| CreatableTopicResult::default().with_name(t.name.clone()).with_num_partitions(3)).collect();
        ResponseBody::CreateTopics(CreateTopicsResponse::default().with_topics(created))
    });
    let ResponseBody::CreateTopics(r) = response else { panic!() };
    let results: Vec<(&str, i16, i16, i32)> =
        r.topics.iter().map(|t| (t.name.as_str(), t.error_code, t.topic_config_error_code, t.num_partitions)).collect();
    assert_eq!(results, [("mine", 0, TOPIC_DENIED, -1), ("full", 0, 0, 3), ("theirs", TOPIC_DENIED, 0, -1)]);
    assert_eq!(r.topics[2].error_message.as_deref(), Some("Authorization failed."));
}

#[test]
fn describe_topic_partitions_lists_only_describable_topics_before_paginating() {
    let a = authorizer(&[(ResourceType::Topic, "b", AclOperation::Describe), (ResourceType::Topic, "c", AclOperation::Describe)]);
    let t = topics(&["a", "b", "c"]);
    let mut body = DescribeTopicPartitionsRequest::default().into();
    let denied = split_request(&who(&a), &t, true, 0, &mut body);
    let RequestBody::DescribeTopicPartitions(r) = &body else { panic!() };
    let names: Vec<&str> = r.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["b", "c"]);
    assert!(!denied.skip_handler && denied.edits == [Edit::TopicOperations]);

    // Nothing describable: the empty answer, not every topic.
    let nobody = authorizer(&[]);
    let mut body = DescribeTopicPartitionsRequest::default().into();
    assert!(split_request(&who(&nobody), &t, true, 0, &mut body).skip_handler);

    // Named: denied topics are answered, except those before the cursor.
    let mut body = RequestBody::DescribeTopicPartitions(
        DescribeTopicPartitionsRequest::default()
            .with_topics(["a", "b", "z"].map(|n| TopicRequest::default().with_name(n.into())).to_vec())
            .with_cursor(Some(kafka_protocol::messages::describe_topic_partitions_request::Cursor::default().with_topic_name("b".into()))),
    );
    let denied = split_request(&who(&a), &t, true, 0, &mut body);
    let answered: Vec<&str> = denied
        .answers
        .iter()
        .flat_map(|(_, r)| match r {
            RequestBody::DescribeTopicPartitions(r) => r.topics.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(answered, ["z"]);
}

#[test]
fn metadata_v0_with_every_named_topic_denied_lists_nothing_else() {
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    let nobody = authorizer(&[]);
    let body = MetadataRequest::default().with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some("a".into()))])).into();
    let (_, response) = run(&who(&nobody), &topics(&["a", "b"]), 0, body, |_| {
        // The handler sees an empty v0 list, which means every topic.
        use kafka_protocol::messages::metadata_response::MetadataResponseTopic;
        let listed = ["a", "b"].map(|n| MetadataResponseTopic::default().with_name(Some(n.into()))).to_vec();
        ResponseBody::Metadata(MetadataResponse::default().with_topics(listed))
    });
    let ResponseBody::Metadata(r) = response else { panic!() };
    let topics: Vec<(Option<&str>, i16)> = r.topics.iter().map(|t| (t.name.as_deref(), t.error_code)).collect();
    assert_eq!(topics, [(Some("a"), TOPIC_DENIED)]);
}

#[test]
fn no_authorizer_splits_nothing() {
    let open = RequestAuthorizer::new(None, ALICE, "127.0.0.1");
    let mut body = RequestBody::DeleteGroups(DeleteGroupsRequest::default().with_groups_names(vec!["g".into()]));
    let denied = split_request(&open, &Topics::default(), true, 2, &mut body);
    assert!(denied.answers.is_empty() && denied.edits.is_empty() && !denied.skip_handler);
    assert!(matches!(body, RequestBody::DeleteGroups(r) if r.groups_names.len() == 1));
}

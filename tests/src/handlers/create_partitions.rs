//! CreatePartitions (key 37, KIP-195): grows a topic to a new partition count, with seeded
//! or explicit replica placement; validate-only supported. A name given twice is refused
//! (INVALID_REQUEST, as Kafka's ControllerApis), and so is a request adding more than
//! 10 000 partitions in all (POLICY_VIOLATION, the CreateTopics limit of KAFKA-17870; Kafka's
//! controller bounds the records of one operation the same way).

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::topics::Partition;
use crate::state::{ClusterState, TopicError};

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 3);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: CreatePartitionsRequest) -> Outcome {
    let mut response = CreatePartitionsResponse::default();
    let mut seen = std::collections::BTreeSet::new();
    let duplicates: std::collections::BTreeSet<String> =
        req.topics.iter().filter(|t| !seen.insert(t.name.as_str())).map(|t| t.name.clone()).collect();
    let added: i64 = req
        .topics
        .iter()
        .filter(|t| !duplicates.contains(&t.name))
        .filter_map(|t| {
            let current = ctx.state.topics.get(&t.name)?.partitions.len() as i64;
            Some((i64::from(t.count) - current).max(0))
        })
        .sum();
    let too_many = added > super::create_topics::MAX_PARTITIONS_PER_REQUEST;
    for t in req.topics.iter().filter(|t| !duplicates.contains(&t.name)) {
        let mut out = CreatePartitionsTopicResult::default().with_name(t.name.clone());
        if too_many {
            out.error_code = codes::POLICY_VIOLATION;
            out.error_message = Some("Excessively large number of partitions per request.".into());
            response.results.push(out);
            continue;
        }
        // An empty (non-null) assignment list is a list of 0 assignments, which Kafka rejects
        // with INVALID_REPLICA_ASSIGNMENT when partitions are added (checked against Kafka 4.3
        // by tests/differential.rs); only null means "broker places the replicas".
        let assignments = t.assignments.as_ref().map(|a| a.iter().map(|x| x.broker_ids.clone()).collect::<Vec<_>>());
        let result = match ctx.injected_topic_error(&t.name) {
            Some(code) => Err(TopicError::new(code, "injected")),
            None => grow(ctx.state, &t.name, t.count, assignments, req.validate_only),
        };
        if let Err(e) = result {
            out.error_code = e.code;
            out.error_message = Some(e.message);
        }
        response.results.push(out);
    }
    for name in duplicates {
        response.results.push(
            CreatePartitionsTopicResult::default()
                .with_name(name)
                .with_error_code(codes::INVALID_REQUEST)
                .with_error_message(Some("Duplicate topic name.".into())),
        );
    }
    Outcome::Respond(response.into())
}

fn grow(
    state: &mut ClusterState,
    name: &str,
    count: i32,
    assignments: Option<Vec<Vec<i32>>>,
    validate_only: bool,
) -> Result<(), TopicError> {
    let (current, rf) = {
        let topic = state
            .topics
            .get(name)
            .ok_or_else(|| TopicError::new(codes::UNKNOWN_TOPIC_OR_PARTITION, format!("topic {name:?} does not exist")))?;
        (topic.partitions.len() as i32, topic.partitions.first().map_or(1, |p| p.replicas.len()))
    };
    if count <= current {
        return Err(TopicError::new(
            codes::INVALID_PARTITIONS,
            format!("topic {name:?} has {current} partitions; the new count {count} must be larger"),
        ));
    }
    if count > 100_000 {
        return Err(TopicError::new(codes::INVALID_PARTITIONS, format!("{count} partitions is above this broker's limit")));
    }
    let added = (count - current) as usize;
    let placement = match assignments {
        Some(a) => {
            if a.len() != added {
                return Err(TopicError::new(
                    codes::INVALID_REPLICA_ASSIGNMENT,
                    format!("topic {name:?}: {} assignments given for {added} new partitions", a.len()),
                ));
            }
            for replicas in &a {
                let repeated = replicas.iter().enumerate().any(|(i, b)| replicas[..i].contains(b));
                if replicas.is_empty() || repeated || replicas.iter().any(|b| state.broker(*b).is_none()) {
                    return Err(TopicError::new(
                        codes::INVALID_REPLICA_ASSIGNMENT,
                        format!("topic {name:?}: assignment {replicas:?} names an unknown broker, a broker twice or is empty"),
                    ));
                }
            }
            a
        }
        None => state.place_replicas(added, rf.min(state.brokers.len())),
    };
    if validate_only {
        return Ok(());
    }
    if let Some(topic) = state.topics.get_mut(name) {
        for (i, replicas) in placement.into_iter().enumerate() {
            topic.partitions.push(Partition::new(current + i as i32, replicas));
        }
    }
    Ok(())
}

pub(crate) fn error_response(req: &CreatePartitionsRequest, _version: i16, code: i16) -> CreatePartitionsResponse {
    let mut response = CreatePartitionsResponse::default();
    response.results = req
        .topics
        .iter()
        .map(|t| CreatePartitionsTopicResult::default().with_name(t.name.clone()).with_error_code(code))
        .collect();
    response
}

pub(crate) fn touched(req: &CreatePartitionsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    req.topics.iter().map(|t| (t.name.clone(), Vec::new())).collect()
}

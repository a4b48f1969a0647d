//! DeleteTopics (key 20): by name (v0-5, and v6 entries with a name) and by topic id (v6+,
//! KIP-516). Deleting drops the topic's log; fetch sessions naming it then report errors.

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use kafka_protocol::{Uuid, VersionRange};

use super::{Ctx, Outcome};
use crate::codes;
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 6);

/// (name, id) pairs the request names, whatever its version.
fn targets(req: &DeleteTopicsRequest) -> Vec<(Option<String>, Uuid)> {
    let mut out: Vec<(Option<String>, Uuid)> = req.topic_names.iter().map(|n| (Some(n.clone()), Uuid::ZERO)).collect();
    out.extend(req.topics.iter().map(|t| (t.name.clone(), t.topic_id)));
    out
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DeleteTopicsRequest) -> Outcome {
    let version = ctx.version;
    let mut response = DeleteTopicsResponse::default();
    for (name, id) in targets(&req) {
        let mut out = DeletableTopicResult::default();
        out.topic_id = id;
        let resolved = match (&name, id) {
            (Some(n), _) if !n.is_empty() => ctx.state.topics.get(n).map(|t| (t.name.clone(), t.id)).ok_or(codes::UNKNOWN_TOPIC_OR_PARTITION),
            (_, id) if id != Uuid::ZERO => ctx.state.topics.by_id(&id).map(|t| (t.name.clone(), t.id)).ok_or(codes::UNKNOWN_TOPIC_ID),
            _ => Err(codes::INVALID_REQUEST),
        };
        match resolved {
            Ok((n, tid)) => {
                if let Some(code) = ctx.injected_topic_error(&n) {
                    out.error_code = code;
                } else {
                    ctx.state.remove_topic(&n);
                    ctx.changed = true;
                }
                out.name = Some(n);
                out.topic_id = tid;
            }
            Err(code) => {
                out.error_code = code;
                out.name = name.clone();
            }
        }
        if version < 6 && out.name.is_none() {
            out.name = Some(String::new());
        }
        response.responses.push(out);
    }
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &DeleteTopicsRequest, version: i16, code: i16) -> DeleteTopicsResponse {
    let mut response = DeleteTopicsResponse::default();
    for (name, id) in targets(req) {
        let mut out = DeletableTopicResult::default().with_error_code(code);
        out.name = if version < 6 { Some(name.unwrap_or_default()) } else { name };
        out.topic_id = id;
        response.responses.push(out);
    }
    response
}

pub(crate) fn touched(req: &DeleteTopicsRequest, state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    targets(req)
        .into_iter()
        .filter_map(|(n, id)| match n {
            Some(n) if !n.is_empty() => Some(n),
            _ => state.topics.name_of(&id).map(str::to_owned),
        })
        .map(|n| (n, Vec::new()))
        .collect()
}

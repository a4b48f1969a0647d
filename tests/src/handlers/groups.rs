//! Glue between the group handlers and the sans-IO group coordinator (`crate::group`):
//! coordinator checks, client identity, time, and routing of parked joins and syncs.

use kafka_protocol::messages::ResponseBody;

use super::{Ctx, Outcome};
use crate::cluster::CoordinatorType;
use crate::group::{Answer, ClientInfo, Completion, Handled, ReplyToken, TopicView};
use crate::state::topics::Topics;

/// NOT_COORDINATOR.
pub(crate) const NOT_COORDINATOR: i16 = kafka_protocol::ErrorCode::NotCoordinator.code();

/// Whether the receiving broker coordinates `group` (and is up).
pub(crate) fn is_coordinator(ctx: &Ctx<'_>, group: &str) -> bool {
    ctx.state.coordinator_for(CoordinatorType::Group, group) == ctx.broker
}

/// The coordinator's clock: tokio time, so paused-clock tests drive session timeouts.
pub(crate) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Who sent the request (every testkit connection is loopback).
pub(crate) fn client(ctx: &Ctx<'_>) -> ClientInfo {
    ClientInfo::new(ctx.header.client_id.clone().unwrap_or_default(), "/127.0.0.1")
}

/// Turns a coordinator answer into an outcome, queueing the completions it produced.
pub(crate) fn outcome<T: Into<ResponseBody>>(ctx: &mut Ctx<'_>, token: u64, handled: Handled<T>) -> Outcome {
    route(ctx, handled.completions);
    match handled.answer {
        Answer::Ready(response) => Outcome::Respond(response.into()),
        Answer::Pending => Outcome::Pending(token),
    }
}

/// Queues completions of requests parked earlier.
pub(crate) fn route(ctx: &mut Ctx<'_>, completions: Vec<Completion>) {
    for c in completions {
        ctx.complete(c.token.0, c.response);
    }
}

/// A fresh reply token.
pub(crate) fn token(ctx: &mut Ctx<'_>) -> (u64, ReplyToken) {
    let t = ctx.reply_token();
    (t, ReplyToken(t))
}

impl TopicView for Topics {
    fn partitions(&self, topic: &str) -> Option<i32> {
        self.get(topic).map(|t| t.partitions.len() as i32)
    }

    fn topic_id(&self, topic: &str) -> Option<kafka_protocol::Uuid> {
        self.get(topic).map(|t| t.id)
    }

    fn topic_name(&self, id: kafka_protocol::Uuid) -> Option<String> {
        self.name_of(&id).map(str::to_owned)
    }

    fn topic_names(&self) -> Vec<String> {
        self.iter().filter(|t| !t.internal).map(|t| t.name.clone()).collect()
    }
}

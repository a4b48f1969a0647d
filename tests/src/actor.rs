//! The cluster actor: the one task that owns all cluster state. Connection tasks send it
//! decoded requests; test-control calls send it closures; it handles both one at a time, in
//! arrival order, so tests never race the broker.
//!
//! Per request it: logs it (waking `wait_for_request` waiters), parks it if a hold matches,
//! applies fault rules, dispatches to the handler, and hands the response (with any fault
//! effects) back to the connection's writer through a oneshot. Requests that cannot be
//! answered yet (long-poll Fetch) are parked and re-polled whenever a handler reports a
//! change, or answered when their deadline passes (tokio time, so paused clocks work).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use kafka_protocol::frame::RequestFrame;
use kafka_protocol::messages::{ApiKey, RequestBody, ResponseBody};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::faults::{Effects, FaultRules, LoggedRequest, RequestMatcher};
use crate::handlers::{self, Ctx, Outcome, Parked};
use crate::server::{ListenerGuard, ServerShared};
use crate::state::ClusterState;

/// A closure run on the actor with exclusive access to everything.
pub(crate) type Control = Box<dyn FnOnce(&mut Actor) + Send>;

/// A message to the actor.
// Moved once through a channel; boxing would only add an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum ActorMsg {
    Request(Incoming),
    Control(Control),
    /// A connection closed (its per-connection state can go).
    Closed(u64),
}

/// A decoded request and where its response goes.
pub(crate) struct Incoming {
    pub(crate) connection: u64,
    pub(crate) broker: i32,
    /// Index of the listener the connection came in on.
    pub(crate) listener: usize,
    pub(crate) frame: RequestFrame,
    pub(crate) reply: oneshot::Sender<Reply>,
}

/// What the connection writer does for one request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Reply {
    /// Encode and send this response, subject to `effects`.
    Response { version: i16, correlation_id: i32, body: ResponseBody, effects: WriteEffects },
    /// Send nothing and go on (acks=0, dropped responses).
    Nothing,
    /// Close the connection.
    Close,
}

/// The fault effects the writer applies.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteEffects {
    pub(crate) delay: Option<Duration>,
    pub(crate) drop_response: bool,
    pub(crate) close_after: bool,
    pub(crate) corrupt: bool,
    pub(crate) truncate: bool,
    /// Close the connection once this response is written (failed SASL authentication).
    pub(crate) close_after_write: bool,
}

impl From<&Effects> for WriteEffects {
    fn from(e: &Effects) -> Self {
        Self {
            delay: e.delay,
            drop_response: e.drop_response,
            close_after: e.close_after,
            corrupt: e.corrupt,
            truncate: e.truncate,
            close_after_write: false,
        }
    }
}

/// The most request bytes (encoded bodies) the request log keeps, whatever its entry limit:
/// logged bodies share the frames they were decoded from, so without this 10 000 entries of
/// 100 MiB frames could pin a terabyte.
pub(crate) const REQUEST_LOG_MAX_BYTES: usize = 64 * 1024 * 1024;

/// The request log with its waiters.
#[derive(Default)]
pub(crate) struct RequestLog {
    pub(crate) entries: VecDeque<LoggedRequest>,
    /// Encoded body size of each entry, in step with `entries`.
    sizes: VecDeque<usize>,
    bytes: usize,
    pub(crate) next_seq: u64,
    pub(crate) limit: usize,
    pub(crate) waiters: Vec<(RequestMatcher, oneshot::Sender<LoggedRequest>)>,
}

impl RequestLog {
    /// Forgets every entry.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.sizes.clear();
        self.bytes = 0;
    }

    fn push(&mut self, request: LoggedRequest) {
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].0.matches(&request) {
                let (_, tx) = self.waiters.swap_remove(i);
                let _ = tx.send(request.clone());
            } else {
                i += 1;
            }
        }
        if self.limit == 0 {
            return;
        }
        let size = request.body.encoded_len(request.version);
        if size > REQUEST_LOG_MAX_BYTES {
            tracing::debug!(api = request.api_key.name(), size, "request too large for the request log; not kept");
            return;
        }
        while !self.entries.is_empty() && (self.entries.len() >= self.limit || self.bytes + size > REQUEST_LOG_MAX_BYTES) {
            self.entries.pop_front();
            self.bytes -= self.sizes.pop_front().unwrap_or(0);
        }
        self.entries.push_back(request);
        self.sizes.push_back(size);
        self.bytes += size;
    }
}

/// A hold: matching requests wait here until released.
pub(crate) struct Hold {
    pub(crate) id: u64,
    pub(crate) matcher: RequestMatcher,
    pub(crate) held: Vec<(Incoming, LoggedRequest)>,
    pub(crate) total: usize,
    pub(crate) waiters: Vec<(usize, oneshot::Sender<Vec<LoggedRequest>>)>,
}

/// A closure to run on the actor at a tokio instant (session timeouts and the like).
pub(crate) struct Timer {
    pub(crate) at: Instant,
    pub(crate) run: Control,
}

/// Where the response to a token-parked request goes.
struct PendingReply {
    reply: oneshot::Sender<Reply>,
    version: i16,
    correlation_id: i32,
    effects: WriteEffects,
    /// Throttle time a test injected for this client and API.
    throttle: Option<i32>,
}

struct ParkedEntry {
    parked: Box<dyn Parked>,
    reply: oneshot::Sender<Reply>,
    version: i16,
    correlation_id: i32,
    effects: WriteEffects,
    /// Throttle time a test injected for this client and API.
    throttle: Option<i32>,
}

/// The actor's state.
pub(crate) struct Actor {
    pub(crate) state: ClusterState,
    pub(crate) faults: FaultRules,
    pub(crate) log: RequestLog,
    pub(crate) holds: Vec<Hold>,
    pub(crate) next_hold_id: u64,
    parked: Vec<ParkedEntry>,
    pending: HashMap<u64, PendingReply>,
    timers: Vec<Timer>,
    pub(crate) listeners: BTreeMap<i32, ListenerGuard>,
    /// One per named listener, in order.
    pub(crate) servers: Vec<ServerShared>,
}

impl Actor {
    pub(crate) fn new(state: ClusterState, servers: Vec<ServerShared>, log_limit: usize) -> Self {
        Self {
            state,
            faults: FaultRules::default(),
            log: RequestLog { limit: log_limit, ..RequestLog::default() },
            holds: Vec::new(),
            next_hold_id: 1,
            parked: Vec::new(),
            pending: HashMap::new(),
            timers: Vec::new(),
            listeners: BTreeMap::new(),
            servers,
        }
    }

    /// The actor loop: runs until every sender is gone or the task is aborted.
    pub(crate) async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ActorMsg>) {
        loop {
            let deadline = self.next_deadline();
            let msg = match deadline {
                Some(deadline) => tokio::select! {
                    msg = rx.recv() => msg,
                    () = tokio::time::sleep_until(deadline) => {
                        self.run_timers();
                        self.poll_parked();
                        continue;
                    }
                },
                None => rx.recv().await,
            };
            match msg {
                Some(ActorMsg::Request(incoming)) => self.on_request(incoming),
                Some(ActorMsg::Control(f)) => {
                    f(&mut self);
                    self.state.sync_store();
                    self.poll_parked();
                }
                Some(ActorMsg::Closed(connection)) => self.handle_closed(connection),
                None => break,
            }
        }
    }

    /// When the actor next has something to do without a message: a parked request's
    /// deadline, a timer, a subsystem timeout.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.parked
            .iter()
            .map(|p| p.parked.deadline())
            .chain(self.timers.iter().map(|t| t.at))
            .chain(self.state.subsystem_deadline())
            .min()
    }

    /// A connection ended: its per-connection state goes.
    pub(crate) fn handle_closed(&mut self, connection: u64) {
        self.state.security.closed(connection);
    }

    pub(crate) fn on_request(&mut self, incoming: Incoming) {
        let key = incoming.frame.api_key;
        let Some(entry) = handlers::entry(key) else {
            tracing::warn!(api = key.name(), "no handler; closing connection");
            let _ = incoming.reply.send(Reply::Close);
            return;
        };
        let topics = (entry.touched)(&incoming.frame.body, &self.state);
        let logged = LoggedRequest::new(
            self.log.next_seq,
            incoming.broker,
            incoming.connection,
            &incoming.frame.header,
            key,
            incoming.frame.body.clone(),
            topics,
        );
        self.log.next_seq += 1;
        self.log.push(logged.clone());
        let Some(incoming) = crate::handlers::security::gate(&mut self.state, incoming) else { return };
        if let Some(hold) = self.holds.iter_mut().find(|h| h.matcher.matches(&logged)) {
            hold.held.push((incoming, logged));
            hold.total += 1;
            let total = hold.total;
            let snapshot: Vec<LoggedRequest> = hold.held.iter().map(|(_, l)| l.clone()).collect();
            hold.waiters.retain_mut(|(n, tx)| {
                if *n <= total {
                    // Replace the sender with a dummy to move it out.
                    let (dummy, _) = oneshot::channel();
                    let tx = std::mem::replace(tx, dummy);
                    let _ = tx.send(snapshot.clone());
                    false
                } else {
                    true
                }
            });
            return;
        }
        self.process(incoming, &logged);
    }

    /// Handles a request that passed the holds.
    pub(crate) fn process(&mut self, incoming: Incoming, logged: &LoggedRequest) {
        let Incoming { broker, frame, reply, connection, .. } = incoming;
        let RequestFrame { header, api_key, mut body } = frame;
        let Some(entry) = handlers::entry(api_key) else {
            let _ = reply.send(Reply::Close);
            return;
        };
        let effects = self.faults.apply(logged);
        if effects.close_before {
            let _ = reply.send(Reply::Close);
            return;
        }
        let version = header.request_api_version;
        let correlation_id = header.correlation_id;
        let write = WriteEffects::from(&effects);
        let silent = matches!(&body, RequestBody::Produce(p) if p.acks == 0);
        let no_response = if write.close_after { Reply::Close } else { Reply::Nothing };
        if let Some(code) = effects.error {
            if silent {
                // As for any failed acks=0 produce: no response, the connection closes.
                let _ = reply.send(Reply::Close);
                return;
            }
            let _ = reply.send(match (entry.error_response)(&body, version, code) {
                Some(body) => Reply::Response { version, correlation_id, body, effects: write },
                None => no_response,
            });
            return;
        }
        if let Some(code) = self.state.security.request_error(connection, &body, version) {
            if silent {
                // An acks=0 producer reads no response: one here would be taken for the
                // answer to its next request. Kafka closes the connection on acks=0 errors.
                tracing::info!(connection, code, "acks=0 produce refused by the authorizer; closing the connection");
                let _ = reply.send(Reply::Close);
                return;
            }
            let _ = reply.send(match (entry.error_response)(&body, version, code) {
                Some(body) => Reply::Response { version, correlation_id, body, effects: write },
                None => Reply::Close,
            });
            return;
        }
        let denied = handlers::acl::deny_items(&self.state, connection, version, &mut body);
        let mut ctx = Ctx {
            state: &mut self.state,
            broker,
            version,
            header: &header,
            injected: &effects.partition_errors,
            changed: false,
            scheduled: Vec::new(),
            completions: Vec::new(),
        };
        let throttle = handlers::throttle_for(ctx.state, &header, api_key);
        let outcome = denied.handle(entry, &mut ctx, body);
        let changed = ctx.changed;
        let timers = std::mem::take(&mut ctx.scheduled);
        let completions = std::mem::take(&mut ctx.completions);
        self.timers.extend(timers);
        if !matches!(api_key, ApiKey::Produce | ApiKey::Fetch) {
            // Topic-level changes (creation, deletion, DeleteRecords), group offsets and
            // transaction state reach the data dir's writer before the response goes out.
            self.state.sync_store();
        }
        // acks=0: the producer reads no response, so none may be written (one here would be
        // taken for the answer to its next request); a failure anywhere, denied topics
        // included, closes the connection as in Kafka.
        let outcome = match outcome {
            Outcome::Respond(_) | Outcome::NoResponse if silent && denied.has_answers() => Outcome::Close,
            Outcome::Respond(_) if silent => Outcome::NoResponse,
            other => other,
        };
        match outcome {
            Outcome::Close => {
                tracing::info!(connection, "acks=0 produce failed; closing the connection");
                let _ = reply.send(Reply::Close);
            }
            Outcome::Respond(mut body) => {
                handlers::acl::answer_denied(&self.state, connection, denied, &mut body);
                if let Some(ms) = throttle {
                    handlers::set_throttle(&mut body, ms);
                }
                let _ = reply.send(Reply::Response { version, correlation_id, body, effects: write });
            }
            Outcome::NoResponse => {
                let _ = reply.send(no_response);
            }
            Outcome::Park(parked) => {
                self.parked.push(ParkedEntry { parked, reply, version, correlation_id, effects: write, throttle });
            }
            Outcome::Pending(token) => {
                self.pending.insert(token, PendingReply { reply, version, correlation_id, effects: write, throttle });
            }
        }
        self.complete_all(completions);
        if changed {
            self.poll_parked();
        }
    }

    /// Schedules `run` on the actor at `at`.
    pub(crate) fn schedule(&mut self, at: Instant, run: Control) {
        self.timers.push(Timer { at, run });
    }

    /// Sends the responses of token-parked requests.
    pub(crate) fn complete_all(&mut self, completions: Vec<(u64, ResponseBody)>) {
        for (token, mut body) in completions {
            match self.pending.remove(&token) {
                Some(p) => {
                    if let Some(ms) = p.throttle {
                        handlers::set_throttle(&mut body, ms);
                    }
                    let _ = p.reply.send(Reply::Response {
                        version: p.version,
                        correlation_id: p.correlation_id,
                        body,
                        effects: p.effects,
                    });
                }
                None => tracing::debug!(token, "completion for a request that is no longer waiting"),
            }
        }
    }

    /// Runs every timer that is due, earliest first.
    pub(crate) fn run_timers(&mut self) {
        let now = Instant::now();
        let completions = self.state.on_subsystem_timeout(now);
        self.complete_all(completions);
        loop {
            let due = self.timers.iter().enumerate().filter(|(_, t)| t.at <= now).min_by_key(|(_, t)| t.at).map(|(i, _)| i);
            let Some(i) = due else { break };
            let timer = self.timers.swap_remove(i);
            (timer.run)(self);
        }
        self.state.sync_store();
    }

    /// Re-checks parked requests: answers the ready and the expired, drops the abandoned.
    pub(crate) fn poll_parked(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut i = 0;
        while i < self.parked.len() {
            let entry = &mut self.parked[i];
            if entry.reply.is_closed() {
                self.parked.swap_remove(i);
                continue;
            }
            let expired = entry.parked.deadline() <= now;
            match entry.parked.poll(&mut self.state, expired) {
                Some(mut body) => {
                    let entry = self.parked.swap_remove(i);
                    if let Some(ms) = entry.throttle {
                        handlers::set_throttle(&mut body, ms);
                    }
                    let _ = entry.reply.send(Reply::Response {
                        version: entry.version,
                        correlation_id: entry.correlation_id,
                        body,
                        effects: entry.effects,
                    });
                }
                None => i += 1,
            }
        }
    }

    /// Releases a hold: its requests are handled now, in arrival order.
    pub(crate) fn release_hold(&mut self, id: u64) {
        let Some(pos) = self.holds.iter().position(|h| h.id == id) else { return };
        let hold = self.holds.remove(pos);
        for (incoming, logged) in hold.held {
            self.process(incoming, &logged);
        }
    }
}

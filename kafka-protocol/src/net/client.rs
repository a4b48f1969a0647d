//! [`Client`]: the cluster view shared by producer, consumer and admin. It owns the
//! connection pool (one connection per broker and [`ConnectionKind`]), the metadata cache
//! and the coordinator cache, and routes requests to partition leaders and coordinators.
//!
//! - Bootstrap from `bootstrap.servers`, resolving names on every attempt; re-bootstrap when
//!   every known broker is unreachable (KIP-899, `metadata.recovery.strategy`).
//! - Metadata is refreshed when a response reports stale metadata (NOT_LEADER_OR_FOLLOWER,
//!   UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH, ...), when new topics are asked for,
//!   and when the snapshot is older than `metadata.max.age.ms` (checked on use). Leader hints
//!   in Produce and Fetch responses (KIP-951) are applied without a refresh.
//! - Coordinators come from FindCoordinator (batched, v4+, KIP-699, when the broker supports
//!   it), are cached and forgotten on NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and
//!   COORDINATOR_LOAD_IN_PROGRESS.
//! - Reconnects back off exponentially with jitter (`reconnect.backoff.ms`,
//!   `reconnect.backoff.max.ms`); routed calls retry retriable errors with exponential backoff
//!   (`retry.backoff.ms`, `retry.backoff.max.ms`, KIP-580) within `default.api.timeout.ms`.

use std::any::Any;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::codec::Request;
use crate::ErrorCode;
use crate::messages::find_coordinator_response::Coordinator;
use crate::messages::metadata_request::MetadataRequestTopic;
use crate::messages::{FindCoordinatorRequest, FindCoordinatorResponse, MetadataRequest};

use super::backoff::{Backoff, Jitter};
use super::config::{ClientConfig, MetadataRecoveryStrategy};
use super::connection::{ConnectContext, Connection, ConnectionKind, Throttle};
use super::error::{codes, BrokerRef, NetError};
use super::metadata::{BrokerMetadata, Metadata};
use super::responses::{coordinator_error, partition_facts, TopicRef};
use super::stats::{Stats, StatsRegistry};

/// What a coordinator is looked up for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoordinatorKey {
    /// A consumer group (FindCoordinator key type 0).
    Group(String),
    /// A transactional id (FindCoordinator key type 1).
    Transaction(String),
}

impl CoordinatorKey {
    fn key_type(&self) -> i8 {
        match self {
            Self::Group(_) => 0,
            Self::Transaction(_) => 1,
        }
    }

    fn key(&self) -> &str {
        match self {
            Self::Group(k) | Self::Transaction(k) => k,
        }
    }
}

impl fmt::Display for CoordinatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Group(g) => write!(f, "group `{g}`"),
            Self::Transaction(t) => write!(f, "transactional id `{t}`"),
        }
    }
}

/// A handle to a Kafka cluster. Cheap to clone; every clone shares connections and caches.
///
/// Dropping the last clone stops every connection task (requests still in flight fail with
/// [`NetError::ClientClosed`]); [`Client::close`] does the same and waits for the tasks.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    config: Arc<ClientConfig>,
    stats: StatsRegistry,
    jitter: Jitter,
    shutdown: watch::Sender<bool>,
    shutdown_rx: watch::Receiver<bool>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    metadata: RwLock<Arc<Metadata>>,
    state: Mutex<State>,
    refresh_lock: tokio::sync::Mutex<()>,
    pool: Mutex<HashMap<(Endpoint, ConnectionKind), SharedSlot>>,
    throttles: Mutex<HashMap<Endpoint, Arc<Throttle>>>,
}

#[derive(Default)]
struct State {
    /// Set by errors that say metadata is out of date; the next lookup refreshes first.
    stale: bool,
    /// Whether any metadata has been fetched yet.
    bootstrapped: bool,
    /// Topics this client asked about; each refresh asks for all of them.
    topics: BTreeSet<String>,
    coordinators: HashMap<CoordinatorKey, i32>,
    /// Brokers learnt outside Metadata (FindCoordinator, KIP-951 endpoints).
    extra_brokers: HashMap<i32, BrokerMetadata>,
    /// Bumped on every successful refresh.
    generation: u64,
    /// Rotates the broker a metadata or coordinator lookup starts with.
    cursor: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Endpoint {
    Node(i32),
    Bootstrap(String),
}

type SharedSlot = Arc<tokio::sync::Mutex<Slot>>;

/// One pooled connection and its reconnect backoff.
#[derive(Default)]
struct Slot {
    connection: Option<Connection>,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<Arc<NetError>>,
}

impl Client {
    /// Creates a client and fetches the first metadata from `bootstrap.servers`.
    pub async fn connect(config: ClientConfig) -> Result<Self, NetError> {
        let client = Self::new(config);
        client.refresh().await?;
        Ok(client)
    }

    /// Creates a client without contacting any broker; metadata is fetched on first use.
    pub fn new(config: ClientConfig) -> Self {
        let jitter = config.jitter_seed.map_or_else(Jitter::from_entropy, Jitter::seeded);
        let (shutdown, shutdown_rx) = watch::channel(false);
        Self {
            shared: Arc::new(Shared {
                config: Arc::new(config),
                stats: StatsRegistry::default(),
                jitter,
                shutdown,
                shutdown_rx,
                tasks: Arc::default(),
                metadata: RwLock::new(Arc::new(Metadata::empty())),
                state: Mutex::new(State::default()),
                refresh_lock: tokio::sync::Mutex::new(()),
                pool: Mutex::default(),
                throttles: Mutex::default(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// The current metadata snapshot (possibly empty before the first refresh).
    pub fn metadata(&self) -> Arc<Metadata> {
        self.shared.metadata.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The metadata snapshot, refreshed first when an error marked it stale or it is older
    /// than `metadata.max.age.ms`. A failed refresh falls back to the cached snapshot when
    /// there is one.
    pub async fn fresh_metadata(&self) -> Result<Arc<Metadata>, NetError> {
        let due = {
            let state = self.state();
            state.stale
                || !state.bootstrapped
                || self.metadata().fetched_at.elapsed() >= self.shared.config.metadata_max_age
        };
        if !due {
            return Ok(self.metadata());
        }
        match self.refresh().await {
            Ok(meta) => Ok(meta),
            Err(e) if self.state().bootstrapped && !self.is_closed() => {
                tracing::debug!(error = %e, "metadata refresh failed, using cached metadata");
                Ok(self.metadata())
            }
            Err(e) => Err(e),
        }
    }

    /// A snapshot of the per-broker counters.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Adds `topics` to the topics this client tracks and fetches fresh metadata.
    pub async fn refresh_metadata<S: AsRef<str>>(
        &self,
        topics: impl IntoIterator<Item = S>,
    ) -> Result<Arc<Metadata>, NetError> {
        {
            let mut state = self.state();
            for t in topics {
                state.topics.insert(t.as_ref().to_owned());
            }
            state.stale = true;
        }
        self.refresh().await
    }

    /// Marks metadata stale: the next routed request refreshes it first.
    pub fn invalidate_metadata(&self) {
        self.state().stale = true;
    }

    /// Forgets the cached coordinator for `key`.
    pub fn invalidate_coordinator(&self, key: &CoordinatorKey) {
        self.state().coordinators.remove(key);
    }

    /// The leader of `topic`-`partition`, refreshing metadata first when it is stale, too
    /// old, or does not cover the topic.
    pub async fn leader_for(&self, topic: &str, partition: i32) -> Result<i32, NetError> {
        let needs_refresh = {
            let mut state = self.state();
            let added = state.topics.insert(topic.to_owned());
            let meta = self.metadata();
            added
                || state.stale
                || meta.topic(topic).is_none()
                || meta.fetched_at.elapsed() >= self.shared.config.metadata_max_age
        };
        let mut refresh_error = None;
        if needs_refresh {
            if let Err(e) = self.refresh().await {
                // A cached answer is still better than none; the caller's retry decides.
                tracing::debug!(error = %e, "metadata refresh failed, using cached metadata");
                refresh_error = Some(e);
            }
        }
        let meta = self.metadata();
        let Some(t) = meta.topic(topic) else {
            return Err(refresh_error.unwrap_or(NetError::NoLeader {
                topic: topic.to_owned(),
                partition,
                code: None,
            }));
        };
        let code = (t.error_code != codes::NONE).then(|| ErrorCode::from_i16(t.error_code));
        match t.partition(partition) {
            Some(p) => p.leader.ok_or_else(|| NetError::NoLeader {
                topic: topic.to_owned(),
                partition,
                code: (p.error_code != codes::NONE).then(|| ErrorCode::from_i16(p.error_code)).or(code),
            }),
            None => Err(NetError::NoLeader {
                topic: topic.to_owned(),
                partition,
                code: code.or(Some(ErrorCode::UnknownTopicOrPartition)),
            }),
        }
    }

    /// A pooled connection to broker `id` for workload `kind`, connecting (or reconnecting)
    /// if needed. Fails fast with [`NetError::BrokerUnavailable`] while the broker is in
    /// reconnect backoff.
    pub async fn connection(&self, id: i32, kind: ConnectionKind) -> Result<Connection, NetError> {
        self.endpoint_connection(Endpoint::Node(id), kind).await
    }

    /// Sends `request` to broker `id` at the negotiated version, on the connection for the
    /// request's workload class, and applies what the response says about metadata
    /// (stale partitions, KIP-951 leader hints).
    pub async fn send_to_broker<R: Request + 'static>(
        &self,
        id: i32,
        request: &R,
    ) -> Result<R::Response, NetError> {
        self.send_to_broker_on(id, ConnectionKind::for_api(R::KEY), request).await
    }

    /// Like [`Client::send_to_broker`] on an explicit connection class.
    pub async fn send_to_broker_on<R: Request + 'static>(
        &self,
        id: i32,
        kind: ConnectionKind,
        request: &R,
    ) -> Result<R::Response, NetError> {
        let mut reconnected = false;
        loop {
            let connection = self.connection(id, kind).await?;
            match connection.send(request).await {
                Ok(response) => {
                    self.note_response(&response);
                    return Ok(response);
                }
                // The connection closed before it accepted the request (idle close race):
                // nothing was written, so one immediate retry on a new connection is safe.
                Err(NetError::Closed { .. }) if !reconnected => reconnected = true,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a produce request with `acks=0` to broker `id` at the negotiated version; it
    /// completes once the request is written, since the broker never answers.
    pub async fn send_oneway_to_broker<R: Request + 'static>(
        &self,
        id: i32,
        request: &R,
    ) -> Result<(), NetError> {
        let connection = self.connection(id, ConnectionKind::for_api(R::KEY)).await?;
        let version = connection.negotiate::<R>()?;
        connection.send_oneway(request, version).await
    }

    /// Sends a single-partition request to the leader of `topic`-`partition`.
    ///
    /// Retries within `default.api.timeout.ms` (with `retry.backoff.ms` exponential backoff)
    /// when the leader cannot be found or reached, and when the response reports a stale
    /// metadata error for this partition (after refreshing metadata). Connection loss after
    /// the request was written is retried too, so a produce request may be appended twice
    /// unless the producer is idempotent.
    pub async fn send_to_leader<R: Request + 'static>(
        &self,
        topic: &str,
        partition: i32,
        request: &R,
    ) -> Result<R::Response, NetError> {
        let deadline = Instant::now() + self.shared.config.default_api_timeout;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = match self.leader_for(topic, partition).await {
                Ok(leader) => self.send_to_broker(leader, request).await,
                Err(e) => Err(e),
            };
            let retry = match &result {
                Ok(response) => stale_error_for(response, topic, partition),
                Err(e) if e.is_retriable() => {
                    self.invalidate_metadata();
                    Some(e.clone())
                }
                Err(_) => None,
            };
            match retry {
                Some(reason) if self.backoff_before(deadline, attempt).await => {
                    tracing::debug!(%topic, partition, attempt, error = %reason, "retrying on leader");
                }
                Some(reason) if result.is_err() => return Err(reason),
                _ => return result,
            }
        }
    }

    /// Sends a request to the coordinator for `key` (looked up and cached).
    ///
    /// When the coordinator cannot be reached or the response carries NOT_COORDINATOR,
    /// COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS, the cached coordinator is
    /// forgotten and the request retried after a backoff, within `default.api.timeout.ms`.
    pub async fn send_to_coordinator<R: Request + 'static>(
        &self,
        key: &CoordinatorKey,
        request: &R,
    ) -> Result<R::Response, NetError> {
        let deadline = Instant::now() + self.shared.config.default_api_timeout;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = match self.coordinator(key).await {
                Ok(id) => self.send_to_broker(id, request).await,
                Err(e) => Err(e),
            };
            let retry = match &result {
                Ok(response) => coordinator_error(response as &dyn Any)
                    .filter(|c| codes::invalidates_coordinator(*c))
                    .map(|code| {
                        let broker = self.coordinator_ref(key);
                        NetError::Kafka { broker, api: R::KEY, code: ErrorCode::from_i16(code), message: None }
                    }),
                Err(e) if e.is_retriable() => Some(e.clone()),
                Err(_) => None,
            };
            match retry {
                Some(reason) => {
                    self.invalidate_coordinator(key);
                    if self.backoff_before(deadline, attempt).await {
                        tracing::debug!(%key, attempt, error = %reason, "retrying on coordinator");
                        continue;
                    }
                    return if result.is_err() { Err(reason) } else { result };
                }
                None => return result,
            }
        }
    }

    /// The coordinator node for `key`, from the cache or FindCoordinator.
    pub async fn coordinator(&self, key: &CoordinatorKey) -> Result<i32, NetError> {
        if let Some(id) = self.state().coordinators.get(key) {
            return Ok(*id);
        }
        let found = self.find_coordinators(std::slice::from_ref(key)).await?;
        found.into_iter().next().map_or_else(
            || Err(NetError::Kafka {
                broker: BrokerRef::bootstrap("?"),
                api: crate::messages::ApiKey::FindCoordinator,
                code: ErrorCode::CoordinatorNotAvailable,
                message: None,
            }),
            |(_, result)| result,
        )
    }

    /// Looks up coordinators for several keys: one batched FindCoordinator per key type on
    /// brokers with v4+ (KIP-699), one request per key otherwise. Results are cached.
    pub async fn find_coordinators(
        &self,
        keys: &[CoordinatorKey],
    ) -> Result<Vec<(CoordinatorKey, Result<i32, NetError>)>, NetError> {
        let connection = self.any_connection().await?;
        let broker = connection.broker().clone();
        let version = connection.negotiate::<FindCoordinatorRequest>()?;
        let mut results = Vec::with_capacity(keys.len());
        if version >= 4 {
            for key_type in [0i8, 1] {
                let batch: Vec<&CoordinatorKey> =
                    keys.iter().filter(|k| k.key_type() == key_type).collect();
                if batch.is_empty() {
                    continue;
                }
                let request = FindCoordinatorRequest::default()
                    .with_key_type(key_type)
                    .with_coordinator_keys(batch.iter().map(|k| k.key().to_owned()).collect());
                let response = connection.send_version(&request, version).await?;
                for key in batch {
                    let entry = response.coordinators.iter().find(|c| c.key == key.key());
                    let result = match entry {
                        Some(c) => self.accept_coordinator(&broker, key, c),
                        None => Err(NetError::Kafka {
                            broker: broker.clone(),
                            api: FindCoordinatorRequest::KEY,
                            code: ErrorCode::CoordinatorNotAvailable,
                            message: Some("the response did not mention this key".into()),
                        }),
                    };
                    results.push((key.clone(), result));
                }
            }
        } else {
            for key in keys {
                if version == 0 && key.key_type() != 0 {
                    results.push((
                        key.clone(),
                        Err(NetError::UnsupportedVersion {
                            broker: broker.clone(),
                            api: FindCoordinatorRequest::KEY,
                            ours: crate::codec::VersionRange::new(1, FindCoordinatorRequest::MAX_STABLE_VERSION),
                            theirs: connection.versions().range(FindCoordinatorRequest::KEY),
                        }),
                    ));
                    continue;
                }
                let mut request = FindCoordinatorRequest::default().with_key(key.key().to_owned());
                if version >= 1 {
                    request.key_type = key.key_type();
                }
                let response: FindCoordinatorResponse = connection.send_version(&request, version).await?;
                let c = Coordinator::default()
                    .with_key(key.key().to_owned())
                    .with_node_id(response.node_id)
                    .with_host(response.host)
                    .with_port(response.port)
                    .with_error_code(response.error_code)
                    .with_error_message(response.error_message);
                results.push((key.clone(), self.accept_coordinator(&broker, key, &c)));
            }
        }
        Ok(results)
    }

    /// Applies what a response says about cluster state: partitions with stale-metadata
    /// errors mark metadata stale, unless a KIP-951 leader hint (newer leader epoch) lets
    /// the cache be updated in place. Called by every `send_to_*`; call it yourself for
    /// responses received through a [`Connection`].
    pub fn note_response<T: Any>(&self, response: &T) {
        let (facts, endpoints) = partition_facts(response as &dyn Any);
        if facts.is_empty() {
            return;
        }
        let mut stale = false;
        for fact in facts {
            let meta = self.metadata();
            let name = match &fact.topic {
                TopicRef::Name(n) => Some(n.clone()),
                TopicRef::Id(id) => meta.topic_by_id(*id).map(|t| t.name.clone()),
            };
            let updated = match (name, fact.leader_hint) {
                (Some(name), Some((leader, epoch))) => {
                    let endpoint = endpoints.iter().find(|e| e.node_id == leader).map(|e| {
                        BrokerMetadata { id: e.node_id, host: e.host.clone(), port: e.port, rack: e.rack.clone() }
                    });
                    meta.with_leader_hint(&name, fact.partition, leader, epoch, endpoint)
                }
                _ => None,
            };
            match updated {
                Some(next) => {
                    tracing::debug!(partition = fact.partition, error = fact.error_code, "applied leader hint (KIP-951)");
                    *self.shared.metadata.write().unwrap_or_else(|e| e.into_inner()) = next;
                }
                None => stale = true,
            }
        }
        if stale {
            self.invalidate_metadata();
        }
    }

    /// Stops every connection task and waits for them; requests still in flight fail with
    /// [`NetError::ClientClosed`]. Other clones of this client see the same closed state.
    pub async fn close(&self) {
        let _ = self.shared.shutdown.send(true);
        self.shared.pool.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let tasks: Vec<_> =
            std::mem::take(&mut *self.shared.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        *self.shared.shutdown_rx.borrow()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps the retry backoff for `attempt` if that still ends before `deadline`.
    async fn backoff_before(&self, deadline: Instant, attempt: u32) -> bool {
        let config = &self.shared.config;
        let delay = Backoff::new(config.retry_backoff, config.retry_backoff_max)
            .delay(attempt, &self.shared.jitter);
        if Instant::now() + delay >= deadline || self.is_closed() {
            return false;
        }
        tokio::time::sleep(delay).await;
        true
    }

    fn coordinator_ref(&self, key: &CoordinatorKey) -> BrokerRef {
        let id = self.state().coordinators.get(key).copied();
        match id.and_then(|id| self.broker_addr(id).map(|a| (id, a))) {
            Some((id, addr)) => BrokerRef::node(id, addr),
            None => BrokerRef::bootstrap("unknown coordinator"),
        }
    }

    fn accept_coordinator(
        &self,
        broker: &BrokerRef,
        key: &CoordinatorKey,
        c: &Coordinator,
    ) -> Result<i32, NetError> {
        if c.error_code != codes::NONE {
            return Err(NetError::Kafka {
                broker: broker.clone(),
                api: FindCoordinatorRequest::KEY,
                code: ErrorCode::from_i16(c.error_code),
                message: c.error_message.clone(),
            });
        }
        let mut state = self.state();
        if !self.metadata().brokers.contains_key(&c.node_id) {
            state.extra_brokers.insert(
                c.node_id,
                BrokerMetadata { id: c.node_id, host: c.host.clone(), port: c.port, rack: None },
            );
        }
        state.coordinators.insert(key.clone(), c.node_id);
        tracing::debug!(%key, node = c.node_id, "coordinator found");
        Ok(c.node_id)
    }

    fn broker_addr(&self, id: i32) -> Option<String> {
        if let Some(b) = self.metadata().brokers.get(&id) {
            return Some(b.addr());
        }
        self.state().extra_brokers.get(&id).map(BrokerMetadata::addr)
    }

    /// A connection to some live broker (for metadata-independent requests such as
    /// FindCoordinator), bootstrapping if no broker is known.
    async fn any_connection(&self) -> Result<Connection, NetError> {
        if self.metadata().brokers.is_empty() {
            self.refresh().await?;
        }
        let mut last_error = None;
        let mut attempts = 0;
        for round in 0..2 {
            for endpoint in self.rotated_brokers() {
                attempts += 1;
                match self.endpoint_connection(endpoint, ConnectionKind::Default).await {
                    Ok(c) => return Ok(c),
                    Err(e) => last_error = Some(e),
                }
            }
            if round == 0 {
                // Every known broker failed: refresh metadata (re-bootstrapping if need be)
                // and try the brokers it names.
                self.invalidate_metadata();
                self.refresh().await?;
            }
        }
        let last_error = Arc::new(last_error.unwrap_or(NetError::UnknownBroker(-1)));
        Err(NetError::NoBrokerAvailable { attempts, last_error })
    }

    fn rotated_brokers(&self) -> Vec<Endpoint> {
        let ids: Vec<i32> = self.metadata().brokers.keys().copied().collect();
        if ids.is_empty() {
            return Vec::new();
        }
        let start = {
            let mut state = self.state();
            state.cursor = state.cursor.wrapping_add(1);
            state.cursor % ids.len()
        };
        ids.iter().cycle().skip(start).take(ids.len()).map(|id| Endpoint::Node(*id)).collect()
    }

    /// Fetches metadata for the tracked topics from a known broker, or from the bootstrap
    /// servers when none is known or (with `rebootstrap`) every known broker failed.
    /// Concurrent calls share one request.
    async fn refresh(&self) -> Result<Arc<Metadata>, NetError> {
        if self.is_closed() {
            return Err(NetError::ClientClosed);
        }
        let generation = self.state().generation;
        let _guard = self.shared.refresh_lock.lock().await;
        {
            let state = self.state();
            if state.generation != generation && !state.stale {
                return Ok(self.metadata());
            }
        }
        let topics: Vec<String> = self.state().topics.iter().cloned().collect();
        let known = self.rotated_brokers();
        let mut attempts = 0;
        let mut last_error = None;
        for endpoint in &known {
            attempts += 1;
            match self.fetch_metadata(endpoint.clone(), &topics).await {
                Ok(meta) => return Ok(meta),
                Err(e) => last_error = Some(e),
            }
        }
        let rebootstrap = known.is_empty()
            || self.shared.config.metadata_recovery_strategy == MetadataRecoveryStrategy::Rebootstrap;
        if rebootstrap {
            if !known.is_empty() {
                tracing::info!("every known broker is unreachable; re-bootstrapping (KIP-899)");
            }
            for server in self.shared.config.bootstrap_servers.clone() {
                attempts += 1;
                match self.fetch_metadata(Endpoint::Bootstrap(server), &topics).await {
                    Ok(meta) => return Ok(meta),
                    Err(e) => last_error = Some(e),
                }
            }
        }
        let last_error = Arc::new(last_error.unwrap_or(NetError::NoBrokerAvailable {
            attempts: 0,
            last_error: Arc::new(NetError::ClientClosed),
        }));
        Err(NetError::NoBrokerAvailable { attempts, last_error })
    }

    async fn fetch_metadata(&self, endpoint: Endpoint, topics: &[String]) -> Result<Arc<Metadata>, NetError> {
        let connection = self.endpoint_connection(endpoint.clone(), ConnectionKind::Default).await?;
        let version = connection.negotiate::<MetadataRequest>()?;
        // Versions below 4 cannot say `false` (the field defaults to true there).
        let mut request = MetadataRequest::default()
            .with_allow_auto_topic_creation(self.shared.config.allow_auto_topic_creation || version < 4);
        request.topics = if topics.is_empty() && version == 0 {
            // v0 has no way to ask for "no topics"; an empty list means all of them.
            Some(Vec::new())
        } else {
            Some(topics.iter().map(|t| MetadataRequestTopic::default().with_name(Some(t.clone()))).collect())
        };
        let response = connection.send_version(&request, version).await?;
        let next = {
            let previous = self.metadata();
            Arc::new(Metadata::from_response(&response, Some(&previous), true))
        };
        *self.shared.metadata.write().unwrap_or_else(|e| e.into_inner()) = next.clone();
        {
            let mut state = self.state();
            state.stale = false;
            state.bootstrapped = true;
            state.generation += 1;
            state.extra_brokers.retain(|id, _| !next.brokers.contains_key(id));
        }
        // Bootstrap connections have served their purpose; brokers are now known by id.
        if !next.brokers.is_empty() {
            self.shared
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(e, _), _| matches!(e, Endpoint::Node(_)));
        }
        tracing::debug!(brokers = next.brokers.len(), topics = next.topics.len(), "metadata refreshed");
        Ok(next)
    }

    async fn endpoint_connection(
        &self,
        endpoint: Endpoint,
        kind: ConnectionKind,
    ) -> Result<Connection, NetError> {
        if self.is_closed() {
            return Err(NetError::ClientClosed);
        }
        let slot = self
            .shared
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((endpoint.clone(), kind))
            .or_default()
            .clone();
        // One connection attempt at a time per slot; concurrent callers wait for it.
        let mut slot = slot.lock().await;
        if let Some(c) = slot.connection.as_ref().filter(|c| c.is_usable()) {
            return Ok(c.clone());
        }
        let broker = match &endpoint {
            Endpoint::Node(id) => {
                BrokerRef::node(*id, self.broker_addr(*id).ok_or(NetError::UnknownBroker(*id))?)
            }
            Endpoint::Bootstrap(addr) => BrokerRef::bootstrap(addr.as_str()),
        };
        let now = Instant::now();
        if let (Some(at), Some(last)) = (slot.retry_at, slot.last_error.clone()) {
            if now < at {
                return Err(NetError::BrokerUnavailable { broker, retry_in: at - now, last_error: last });
            }
        }
        let ctx = ConnectContext {
            config: self.shared.config.clone(),
            counters: self.shared.stats.broker(&broker),
            throttle: self.throttle(&endpoint),
            shutdown: self.shared.shutdown_rx.clone(),
            tasks: self.shared.tasks.clone(),
        };
        match Connection::open(broker, kind, ctx).await {
            Ok(c) => {
                slot.failures = 0;
                slot.retry_at = None;
                slot.last_error = None;
                slot.connection = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                slot.failures = slot.failures.saturating_add(1);
                let config = &self.shared.config;
                let delay = Backoff::new(config.reconnect_backoff, config.reconnect_backoff_max)
                    .delay(slot.failures, &self.shared.jitter);
                slot.retry_at = Some(Instant::now() + delay);
                slot.last_error = Some(Arc::new(e.clone()));
                slot.connection = None;
                Err(e)
            }
        }
    }

    fn throttle(&self, endpoint: &Endpoint) -> Arc<Throttle> {
        self.shared
            .throttles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(endpoint.clone())
            .or_default()
            .clone()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = self.metadata();
        f.debug_struct("Client")
            .field("client_id", &self.shared.config.client_id)
            .field("brokers", &meta.brokers.len())
            .field("cluster_id", &meta.cluster_id)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// A stale-metadata error that the response reports for exactly this partition.
fn stale_error_for<T: Any>(response: &T, topic: &str, partition: i32) -> Option<NetError> {
    let (facts, _) = partition_facts(response as &dyn Any);
    facts
        .into_iter()
        .find(|f| f.partition == partition && matches!(&f.topic, TopicRef::Name(n) if n == topic))
        .map(|f| NetError::NoLeader { topic: topic.to_owned(), partition, code: Some(ErrorCode::from_i16(f.error_code)) })
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Connection tasks watch this channel; they fail what they hold and exit.
        let _ = self.shutdown.send(true);
    }
}

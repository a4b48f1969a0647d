//! The public face of the broker: [`ClusterBuilder`], the [`Cluster`] handle with its
//! topology and observation calls, [`Faults`] and [`HeldRequests`].
//!
//! Every call on the handle is a message to the cluster actor, awaited until the actor has
//! carried it out, so a fault or a leader move is in force before the call returns.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::{ApiKey, VersionRange};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::actor::{Actor, ActorMsg, Hold};
use crate::listeners::ListenerDef;
use crate::faults::{CloseWhen, Fault, FaultAction, LoggedRequest, RequestMatcher};
use crate::rng::{base64_id, Rng};
use crate::security::{Authorizer, AuthorizerConfig, SaslConfig, ScramStore, SecurityProtocol};
use crate::state::security::BrokerSecurity;
use crate::server::{bind, spawn_listener, ListenerGuard, ServerShared};
use crate::state::{BrokerConfig, BrokerInfo, ClusterState};
use crate::version::{KafkaVersion, SupportedApis};

/// Errors from building or controlling a cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener could not be bound.
    #[error("broker {broker}: cannot listen on {host}:{port}: {source}")]
    Bind {
        /// Broker id.
        broker: i32,
        /// Host.
        host: String,
        /// Port asked for.
        port: u16,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The builder's settings are inconsistent.
    #[error("invalid cluster configuration: {0}")]
    Config(String),
    /// A topic given to the builder or a control call was refused.
    #[error("topic {topic:?}: {message} (Kafka error code {code})")]
    Topic {
        /// Topic name.
        topic: String,
        /// Kafka error code.
        code: i16,
        /// What was wrong.
        message: String,
    },
    /// A broker id that the cluster does not have.
    #[error("no broker with id {0}")]
    UnknownBroker(i32),
    /// A partition the cluster does not have.
    #[error("no partition {partition} of topic {topic:?}")]
    UnknownPartition {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
    },
    /// The cluster actor is gone (the cluster was dropped or its runtime shut down).
    #[error("the cluster has stopped")]
    Stopped,
    /// The `data_dir` cannot be loaded (I/O error, or a file damaged beyond a torn last
    /// write); the error names the file.
    #[error(transparent)]
    DataDir(crate::state::persist::DataDirError),
    /// A wait ran out of time.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

/// Which kind of coordinator a key names (FindCoordinator's `KeyType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoordinatorType {
    /// A consumer group (key type 0).
    Group,
    /// A transactional id (key type 1).
    Transaction,
}

/// A partition as the cluster sees it right now.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartitionState {
    /// Leader broker, `None` when leaderless.
    pub leader: Option<i32>,
    /// Current leader epoch.
    pub leader_epoch: i32,
    /// Replica broker ids.
    pub replicas: Vec<i32>,
    /// First offset still in the log.
    pub log_start_offset: i64,
    /// High watermark (= log end offset; every replica is in sync).
    pub high_watermark: i64,
    /// Number of stored batches.
    pub batches: usize,
}

/// One connection's authentication, as [`Cluster::sessions`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The name of the listener the connection came in on (`PLAINTEXT`, `SASL_SSL`, or a
    /// name given to [`ClusterBuilder::listener`]).
    pub listener: String,
    /// The principal requests act as (`User:ANONYMOUS` before SASL authentication).
    pub principal: String,
    /// The SASL mechanism used (`PLAIN`, `SCRAM-SHA-256`, `OAUTHBEARER`, ...), if any.
    pub mechanism: Option<String>,
    /// When the session expires (cluster clock, ms since the Unix epoch), if it does.
    pub session_expiry_ms: Option<i64>,
    /// The SASL extensions the client sent (OAUTHBEARER), empty otherwise.
    pub extensions: BTreeMap<String, String>,
}

/// Builds a [`Cluster`]. Defaults: 1 broker (ids start at 1), 1 partition per auto-created
/// topic, replication factor min(3, brokers), auto-creation on, seed 0, newest versions.
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    brokers: i32,
    host: String,
    base_port: Option<u16>,
    default_partitions: i32,
    default_replication_factor: Option<i16>,
    auto_create_topics: bool,
    seed: u64,
    kafka_version: KafkaVersion,
    version_overrides: BTreeMap<i16, Option<VersionRange>>,
    topics: Vec<(String, i32, i16, BTreeMap<String, String>)>,
    racks: HashMap<i32, String>,
    max_frame: usize,
    request_log_limit: usize,
    data_dir: Option<std::path::PathBuf>,
    sasl: Option<crate::security::SaslSettings>,
    tls: Option<crate::security::TlsSettings>,
    super_users: Option<Vec<String>>,
    listeners: Vec<ListenerDef>,
}

impl Default for ClusterBuilder {
    fn default() -> Self {
        Self {
            brokers: 1,
            host: "127.0.0.1".into(),
            base_port: None,
            default_partitions: 1,
            default_replication_factor: None,
            auto_create_topics: true,
            seed: 0,
            kafka_version: KafkaVersion::Latest,
            version_overrides: BTreeMap::new(),
            topics: Vec::new(),
            racks: HashMap::new(),
            max_frame: kafka_protocol::frame::DEFAULT_MAX_FRAME_SIZE,
            request_log_limit: 10_000,
            data_dir: None,
            sasl: None,
            tls: None,
            super_users: None,
            listeners: Vec::new(),
        }
    }
}

impl ClusterBuilder {
    /// Number of brokers (ids `1..=n`). Default 1.
    pub fn brokers(mut self, n: i32) -> Self {
        self.brokers = n;
        self
    }

    /// Listen on fixed ports: broker `i` (1-based) on `port + i - 1`; with several
    /// [listeners](Self::listener), listener `j` (0-based, in declaration order) on
    /// `port + j * brokers + i - 1`. Default: a free port each.
    pub fn base_port(mut self, port: u16) -> Self {
        self.base_port = Some(port);
        self
    }

    /// Partitions of auto-created topics and of CreateTopics with -1 (`num.partitions`). Default 1.
    pub fn default_partitions(mut self, n: i32) -> Self {
        self.default_partitions = n;
        self
    }

    /// Replication factor of auto-created topics (`default.replication.factor`), capped at
    /// the broker count. Default min(3, brokers).
    pub fn default_replication_factor(mut self, rf: i16) -> Self {
        self.default_replication_factor = Some(rf);
        self
    }

    /// Create topics on Metadata requests that ask for them (`auto.create.topics.enable`). Default on.
    pub fn auto_create_topics(mut self, on: bool) -> Self {
        self.auto_create_topics = on;
        self
    }

    /// A topic present from the start; `rf` is capped at the broker count.
    pub fn topic(mut self, name: impl Into<String>, partitions: i32, rf: i16) -> Self {
        self.topics.push((name.into(), partitions, rf, BTreeMap::new()));
        self
    }

    /// A topic present from the start, with topic configs (`retention.ms`, ...).
    pub fn topic_with_configs<K: Into<String>, V: Into<String>>(
        mut self,
        name: impl Into<String>,
        partitions: i32,
        rf: i16,
        configs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let configs = configs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        self.topics.push((name.into(), partitions, rf, configs));
        self
    }

    /// Seed for every random choice (leader placement, cluster and topic ids, session ids). Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answer ApiVersions like this Kafka release (and refuse newer versions). Default: newest.
    pub fn kafka_version(mut self, version: KafkaVersion) -> Self {
        self.kafka_version = version;
        self
    }

    /// Narrow one API to `min..=max` on top of the preset.
    pub fn cap_version(mut self, key: ApiKey, min: i16, max: i16) -> Self {
        self.version_overrides.insert(key.key(), Some(VersionRange::new(min, max)));
        self
    }

    /// Stop serving one API (it disappears from ApiVersions; requests close the connection).
    pub fn disable_api(mut self, key: ApiKey) -> Self {
        self.version_overrides.insert(key.key(), None);
        self
    }

    /// Rack id advertised for broker `id` (`broker.rack`).
    pub fn rack(mut self, id: i32, rack: impl Into<String>) -> Self {
        self.racks.insert(id, rack.into());
        self
    }

    /// Largest request frame accepted (`socket.request.max.bytes`). Default 100 MiB.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame = bytes;
        self
    }

    /// How many requests the request log keeps (oldest dropped first; 0 = none). Default 10000.
    /// Whatever the count, the log holds at most 64 MiB of (encoded) requests: older entries
    /// go first, and a larger request is not kept (it still wakes `wait_for_request` callers).
    pub fn request_log_limit(mut self, n: usize) -> Self {
        self.request_log_limit = n;
        self
    }

    /// Keep state in this directory (created if missing), so a cluster built later with the
    /// same directory carries on: topics, configs and record batches; idempotent producer
    /// state and transaction indexes (rebuilt from the batches); committed consumer-group
    /// offsets and group metadata (groups come back Empty, members rejoin); transactional ids
    /// with their producer id and epoch, and the producer-id counter (a transaction open at
    /// shutdown is aborted on load, fencing its producer). Writes happen on a background
    /// thread as requests are answered ([`Cluster::flush`] waits for them); a torn last
    /// write is cut off on load, other damage fails `build` with [`Error::DataDir`] naming
    /// the file. Default: memory only.
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// SASL on every listener (`SASL_PLAINTEXT`, or `SASL_SSL` with [`ClusterBuilder::tls`]):
    /// connections must authenticate (SaslHandshake + SaslAuthenticate) before any request
    /// other than one ApiVersions, or they are closed. Default: no SASL.
    pub fn sasl(mut self, settings: crate::security::SaslSettings) -> Self {
        self.sasl = Some(settings);
        self
    }

    /// TLS on every listener (`SSL`, or `SASL_SSL` with [`ClusterBuilder::sasl`]).
    /// Default: plaintext.
    pub fn tls(mut self, settings: crate::security::TlsSettings) -> Self {
        self.tls = Some(settings);
        self
    }

    /// Turn on ACLs (`authorizer.class.name=StandardAuthorizer`) with these super users
    /// (`super.users`, principals like `User:admin`); `allow.everyone.if.no.acl.found` is
    /// false, so everyone else needs ACLs (CreateAcls). Default: no authorizer, every
    /// request allowed, the ACL APIs answer SECURITY_DISABLED.
    pub fn acls<S: Into<String>>(mut self, super_users: impl IntoIterator<Item = S>) -> Self {
        self.super_users = Some(super_users.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a named listener (Kafka's `listeners=<name>://...` with
    /// `listener.security.protocol.map=<name>:<protocol>`): every broker gets one more port,
    /// whose connections use `protocol`. SASL listeners (`SASL_PLAINTEXT`, `SASL_SSL`) take
    /// their settings from [`sasl`](Self::sasl), TLS ones (`SSL`, `SASL_SSL`) from
    /// [`tls`](Self::tls). Metadata, FindCoordinator, DescribeCluster and the Produce/Fetch
    /// `node_endpoints` answer with the ports of the listener the request came in on; ACLs
    /// see each connection's principal (`User:ANONYMOUS` on PLAINTEXT listeners).
    /// [`Cluster::bootstrap_servers`] gives the first listener's addresses,
    /// [`Cluster::bootstrap_servers_for`] any listener's.
    ///
    /// Default: one listener, named after its protocol, which is `SASL_SSL`, `SASL_PLAINTEXT`,
    /// `SSL` or `PLAINTEXT` depending on whether [`sasl`](Self::sasl) and [`tls`](Self::tls)
    /// were given.
    pub fn listener(mut self, name: impl Into<String>, protocol: crate::security::SecurityProtocol) -> Self {
        self.listeners.push(ListenerDef { name: name.into(), protocol });
        self
    }

    /// Declares the listeners from Kafka's broker properties: `listeners`
    /// (`NAME://host:port,...`; host and port are not used — every listener binds 127.0.0.1
    /// on a free port, or on [`base_port`](Self::base_port)'s layout) and
    /// `listener.security.protocol.map` (`NAME:PROTOCOL,...`; `None` means Kafka's default,
    /// where each name is a protocol name). Same rules as [`listener`](Self::listener).
    pub fn listeners_from_properties(mut self, listeners: &str, security_protocol_map: Option<&str>) -> Result<Self, Error> {
        let bad = |what: String| Error::Config(what);
        let mut map = BTreeMap::new();
        if let Some(pairs) = security_protocol_map {
            for pair in pairs.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (name, protocol) = pair
                    .split_once(':')
                    .ok_or_else(|| bad(format!("listener.security.protocol.map: {pair:?} is not NAME:PROTOCOL")))?;
                let protocol = SecurityProtocol::from_name(protocol.trim()).ok_or_else(|| {
                    bad(format!("listener.security.protocol.map: unknown protocol {protocol:?} (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)"))
                })?;
                map.insert(name.trim().to_ascii_uppercase(), protocol);
            }
        }
        for entry in listeners.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (name, _address) =
                entry.split_once("://").ok_or_else(|| bad(format!("listeners: {entry:?} is not NAME://host:port")))?;
            let protocol = match security_protocol_map {
                Some(_) => map.get(&name.to_ascii_uppercase()).copied(),
                None => SecurityProtocol::from_name(name),
            }
            .ok_or_else(|| bad(format!("listeners: no security protocol for listener {name:?}")))?;
            self = self.listener(name, protocol);
        }
        Ok(self)
    }

    /// The listeners asked for, or the one implied by `sasl`/`tls`; checked.
    fn listener_defs(&self) -> Result<Vec<ListenerDef>, Error> {
        if self.listeners.is_empty() {
            let protocol = match (self.sasl.is_some(), self.tls.is_some()) {
                (false, false) => SecurityProtocol::Plaintext,
                (false, true) => SecurityProtocol::Ssl,
                (true, false) => SecurityProtocol::SaslPlaintext,
                (true, true) => SecurityProtocol::SaslSsl,
            };
            return Ok(vec![ListenerDef { name: protocol.name().to_owned(), protocol }]);
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in &self.listeners {
            let valid_name = !l.name.is_empty() && l.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid_name {
                return Err(Error::Config(format!("listener name {:?}: use letters, digits, '_' and '-'", l.name)));
            }
            if !seen.insert(l.name.to_ascii_uppercase()) {
                return Err(Error::Config(format!("listener {:?} is declared twice", l.name)));
            }
            if l.protocol.is_sasl() && self.sasl.is_none() {
                return Err(Error::Config(format!("listener {} is {} but no SASL settings were given (ClusterBuilder::sasl)", l.name, l.protocol.name())));
            }
            let tls = matches!(l.protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl);
            if tls && self.tls.is_none() {
                return Err(Error::Config(format!("listener {} is {} but no TLS settings were given (ClusterBuilder::tls)", l.name, l.protocol.name())));
            }
        }
        if self.sasl.is_some() && !self.listeners.iter().any(|l| l.protocol.is_sasl()) {
            return Err(Error::Config("SASL settings were given but no listener uses SASL_PLAINTEXT or SASL_SSL".into()));
        }
        if self.tls.is_some() && !self.listeners.iter().any(|l| matches!(l.protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)) {
            return Err(Error::Config("TLS settings were given but no listener uses SSL or SASL_SSL".into()));
        }
        Ok(self.listeners.clone())
    }

    /// The served version table.
    fn supported_apis(&self) -> Arc<SupportedApis> {
        Arc::new(SupportedApis::new(crate::handlers::implemented(), self.kafka_version, &self.version_overrides))
    }

    /// The cluster state before any data dir is loaded or topic created: brokers, configs,
    /// coordinators, security.
    fn initial_state(
        &self,
        cluster_id: String,
        brokers: Vec<BrokerInfo>,
        apis: Arc<SupportedApis>,
        listener_defs: &[ListenerDef],
    ) -> Result<ClusterState, Error> {
        // The default cluster id is the seeded source's first draw; the state keeps the rest.
        let mut rng = Rng::new(self.seed);
        let _ = rng.uuid();
        let broker_count = self.brokers as i16;
        let default_rf = self.default_replication_factor.unwrap_or(3).clamp(1, broker_count.max(1));
        let mut state = ClusterState {
            cluster_id,
            brokers,
            topics: Default::default(),
            config: BrokerConfig {
                default_partitions: self.default_partitions,
                default_replication_factor: default_rf,
                auto_create_topics: self.auto_create_topics,
            },
            coordinator_overrides: HashMap::new(),
            fetch_sessions: Default::default(),
            rng,
            apis: apis.clone(),
            store: None,
            next_reply_token: 0,
            groups: crate::group::GroupCoordinator::new(crate::group::GroupConfig::default().with_seed(self.seed)),
            txn: crate::txn::TxnCoordinator::new(crate::txn::TxnCoordinatorConfig::default()),
            started: tokio::time::Instant::now(),
            started_ms: crate::handlers::produce::now_ms(),
            // Kafka 4.0 removed some configs (see `ConfigProfile::Kafka4`); the other presets use 3.x's.
            config_store: crate::config::ConfigStore::from_broker_properties_for(
                if self.kafka_version == KafkaVersion::V4_0 {
                    crate::config::ConfigProfile::Kafka4
                } else {
                    crate::config::ConfigProfile::Kafka3
                },
                [
                ("num.partitions", self.default_partitions.to_string()),
                ("default.replication.factor", default_rf.to_string()),
                ("auto.create.topics.enable", self.auto_create_topics.to_string()),
                ],
            )
            .map_err(|e| Error::Config(format!("broker properties: {e}")))?,
            quotas: crate::config::QuotaStore::new(),
            security: Default::default(),
        };
        let (sasl, scram) = match &self.sasl {
            Some(settings) => settings.build(self.seed).map_err(|e| Error::Config(format!("sasl users: {e}")))?,
            None => (SaslConfig::default(), ScramStore::new()),
        };
        let authorizer = self.super_users.as_ref().map(|users| {
            let config = users
                .iter()
                .fold(AuthorizerConfig::default().allow_everyone_if_no_acl_found(false), |c, u| c.super_user(u.clone()));
            Authorizer::new(config)
        });
        state.security = BrokerSecurity::new(listener_defs.to_vec(), sasl, scram, authorizer);
        Ok(state)
    }

    /// Creates the builder's topics that do not exist yet.
    fn create_topics(&self, state: &mut ClusterState) -> Result<(), Error> {
        let broker_count = self.brokers as i16;
        for (name, partitions, rf, configs) in &self.topics {
            if state.topics.contains(name) {
                continue;
            }
            let rf = (*rf).clamp(1, broker_count);
            state
                .create_topic(name, *partitions, rf, None, configs.clone(), false)
                .map_err(|e| Error::Topic { topic: name.clone(), code: e.code, message: e.message })?;
        }
        Ok(())
    }

    /// A cluster without sockets or tasks for sans-IO request handling (fuzzing): the same
    /// state `build` would start with, ports 0, no data dir.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn build_sans_io(&self) -> Result<(ClusterState, Arc<SupportedApis>), Error> {
        let listener_defs = self.listener_defs()?;
        let brokers = (1..=self.brokers.max(1))
            .map(|id| BrokerInfo { id, host: self.host.clone(), port: 0, rack: self.racks.get(&id).cloned(), up: true })
            .collect();
        let apis = self.supported_apis();
        let cluster_id = base64_id(Rng::new(self.seed).uuid());
        let mut state = self.initial_state(cluster_id, brokers, apis.clone(), &listener_defs)?;
        self.create_topics(&mut state)?;
        Ok((state, apis))
    }

    /// Binds the listeners and starts the cluster. Must be called inside a tokio runtime.
    pub async fn build(self) -> Result<Cluster, Error> {
        if self.brokers < 1 {
            return Err(Error::Config(format!("brokers must be at least 1, got {}", self.brokers)));
        }
        if self.default_partitions < 1 {
            return Err(Error::Config(format!("default_partitions must be at least 1, got {}", self.default_partitions)));
        }
        let listener_defs = self.listener_defs()?;
        // (listener index, broker id, socket), and each listener's port per broker.
        let mut sockets = Vec::new();
        let mut ports: Vec<BTreeMap<i32, u16>> = vec![BTreeMap::new(); listener_defs.len()];
        let mut brokers = Vec::new();
        for id in 1..=self.brokers {
            for (index, def) in listener_defs.iter().enumerate() {
                let port = match self.base_port {
                    Some(base) => crate::listeners::fixed_port(base, index, self.brokers, id).ok_or_else(|| {
                        Error::Config(format!("port for broker {id} on listener {} overflows", def.name))
                    })?,
                    None => 0,
                };
                let bind_err = |source| Error::Bind { broker: id, host: self.host.clone(), port, source };
                let listener = bind(&self.host, port).map_err(bind_err)?;
                let addr = listener.local_addr().map_err(bind_err)?;
                if let Some(p) = ports.get_mut(index) {
                    p.insert(id, addr.port());
                }
                sockets.push((index, id, listener));
            }
            let port = ports.first().and_then(|p| p.get(&id)).copied().unwrap_or(0);
            brokers.push(BrokerInfo { id, host: self.host.clone(), port, rack: self.racks.get(&id).cloned(), up: true });
        }
        let apis = self.supported_apis();
        let mut cluster_id = base64_id(Rng::new(self.seed).uuid());
        let loaded = match self.data_dir.clone() {
            Some(dir) => {
                let id = cluster_id.clone();
                let d = dir.clone();
                let loaded = tokio::task::spawn_blocking(move || crate::state::persist::load(&d, &id))
                    .await
                    .map_err(|e| Error::Config(format!("loading data dir {}: {e}", dir.display())))?
                    .map_err(Error::DataDir)?;
                if let Some(id) = loaded.cluster_id.clone() {
                    cluster_id = id;
                }
                Some((dir, loaded))
            }
            None => None,
        };
        let mut state = self.initial_state(cluster_id, brokers, apis.clone(), &listener_defs)?;
        let tls = match &self.tls {
            Some(settings) => Some(crate::server::tls_acceptor(settings).map_err(Error::Config)?),
            None => None,
        };
        if let Some((dir, loaded)) = loaded {
            for topic in loaded.topics {
                state.config_store.create_topic(&topic.name, topic.configs.clone());
                state.topics.insert(topic);
            }
            state.restore_coordinators(loaded.groups, loaded.txn, loaded.boots);
            let store = crate::state::persist::Store::start(dir.clone(), &state.topics, &state.groups)
                .map_err(|e| Error::Config(format!("data dir {}: cannot start writer: {e}", dir.display())))?;
            state.store = Some(store);
            let moved = state.topics.fit_to_brokers(self.brokers);
            if moved > 0 {
                tracing::warn!(moved, brokers = self.brokers, "data dir written by a larger cluster: leaders of missing brokers moved");
                state.sync_store();
            }
            state.settle_interrupted_transactions();
        }
        self.create_topics(&mut state)?;
        state.sync_store();
        let (tx, rx) = mpsc::unbounded_channel();
        let first_ports = ports.first().cloned().unwrap_or_default();
        let servers: Vec<ServerShared> = listener_defs
            .iter()
            .zip(&ports)
            .enumerate()
            .map(|(index, (def, ports))| {
                let uses_tls = matches!(def.protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl);
                let endpoint_ports = (index > 0).then(|| {
                    let map = first_ports
                        .iter()
                        .filter_map(|(id, first)| ports.get(id).map(|p| (i32::from(*first), i32::from(*p))))
                        .collect();
                    Arc::new(map)
                });
                ServerShared {
                    actor: tx.downgrade(),
                    apis: apis.clone(),
                    max_frame: self.max_frame,
                    tls: if uses_tls { tls.clone() } else { None },
                    listener: index,
                    ports: Arc::new(ports.clone()),
                    endpoint_ports,
                }
            })
            .collect();
        let mut actor = Actor::new(state, servers.clone(), self.request_log_limit);
        let mut listener_addrs: Vec<(String, BTreeMap<i32, SocketAddr>)> =
            listener_defs.iter().map(|d| (d.name.clone(), BTreeMap::new())).collect();
        for (index, id, listener) in sockets {
            let host = &self.host;
            let bind_err = |port: u16| move |source| Error::Bind { broker: id, host: host.clone(), port, source };
            let addr = listener.local_addr().map_err(bind_err(0))?;
            let shared = servers.get(index).cloned().ok_or_else(|| Error::Config(format!("listener {index} has no server")))?;
            let guard = spawn_listener(listener, id, shared).map_err(bind_err(addr.port()))?;
            match actor.listeners.get_mut(&id) {
                Some(existing) => existing.merge(guard),
                None => {
                    actor.listeners.insert(id, guard);
                }
            }
            if let Some((_, addrs)) = listener_addrs.get_mut(index) {
                addrs.insert(id, addr);
            }
        }
        let addrs = listener_addrs.first().map(|(_, a)| a.clone()).unwrap_or_default();
        let task = tokio::spawn(actor.run(rx));
        Ok(Cluster { tx, actor_task: task.abort_handle(), addrs, listener_addrs })
    }
}

/// A running in-process Kafka cluster. Dropping it stops every broker (without blocking).
#[derive(Debug)]
pub struct Cluster {
    tx: mpsc::UnboundedSender<ActorMsg>,
    actor_task: AbortHandle,
    /// The first listener's address per broker.
    addrs: BTreeMap<i32, SocketAddr>,
    /// Every listener's name and address per broker, in declaration order.
    listener_addrs: Vec<(String, BTreeMap<i32, SocketAddr>)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The actor owns the listener guards; aborting it drops them, which aborts the
        // listeners and, through their JoinSets, every connection.
        self.actor_task.abort();
    }
}

impl Cluster {
    /// A builder with the defaults.
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// `host:port` of every broker, comma-separated, for `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> String {
        self.addrs.values().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }

    /// The address of broker `id` (on the first listener).
    pub fn broker_addr(&self, id: i32) -> Option<SocketAddr> {
        self.addrs.get(&id).copied()
    }

    /// The listener names, in declaration order (one, named after its protocol, unless
    /// [`ClusterBuilder::listener`] was used).
    pub fn listener_names(&self) -> Vec<String> {
        self.listener_addrs.iter().map(|(name, _)| name.clone()).collect()
    }

    /// `host:port` of every broker on `listener`, comma-separated; `None` for an unknown
    /// listener name (compared case-insensitively).
    pub fn bootstrap_servers_for(&self, listener: &str) -> Option<String> {
        let (_, addrs) = self.listener_addrs.iter().find(|(name, _)| name.eq_ignore_ascii_case(listener))?;
        Some(addrs.values().map(ToString::to_string).collect::<Vec<_>>().join(","))
    }

    /// The address of broker `id` on `listener`.
    pub fn broker_addr_for(&self, listener: &str, id: i32) -> Option<SocketAddr> {
        let (_, addrs) = self.listener_addrs.iter().find(|(name, _)| name.eq_ignore_ascii_case(listener))?;
        addrs.get(&id).copied()
    }

    /// Broker ids, ascending.
    pub fn broker_ids(&self) -> Vec<i32> {
        self.addrs.keys().copied().collect()
    }

    /// Runs `f` on the actor with exclusive access to the cluster, and returns its result.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Actor) -> R + Send + 'static,
    ) -> Result<R, Error> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(ActorMsg::Control(Box::new(move |actor| {
                let _ = tx.send(f(actor));
            })))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Waits until everything written so far is on disk (no-op without a data dir).
    pub async fn flush(&self) -> Result<(), Error> {
        let done = self.call(|a| a.state.store.as_ref().map(|s| s.flush())).await?;
        if let Some(done) = done {
            tokio::task::spawn_blocking(move || done.recv()).await.map_err(|_| Error::Stopped)?.map_err(|_| Error::Stopped)?;
        }
        Ok(())
    }

    /// The fault-injection interface.
    pub fn faults(&self) -> Faults<'_> {
        Faults { cluster: self }
    }

    /// Every logged request, oldest first (bounded by `request_log_limit` and 64 MiB).
    pub async fn requests(&self) -> Result<Vec<LoggedRequest>, Error> {
        self.call(|a| a.log.entries.iter().cloned().collect()).await
    }

    /// Logged requests that `matcher` selects.
    pub async fn requests_matching(&self, matcher: impl Into<RequestMatcher>) -> Result<Vec<LoggedRequest>, Error> {
        let matcher = matcher.into();
        self.call(move |a| a.log.entries.iter().filter(|r| matcher.matches(r)).cloned().collect()).await
    }

    /// Empties the request log.
    pub async fn clear_requests(&self) -> Result<(), Error> {
        self.call(|a| a.log.clear()).await
    }

    /// The first logged request `matcher` selects, waiting up to `timeout` for one to arrive
    /// if none has yet.
    pub async fn wait_for_request(
        &self,
        matcher: impl Into<RequestMatcher>,
        timeout: Duration,
    ) -> Result<LoggedRequest, Error> {
        let matcher = matcher.into();
        let description = format!("{matcher:?}");
        let rx = self
            .call(move |a| {
                let (tx, rx) = oneshot::channel();
                match a.log.entries.iter().find(|r| matcher.matches(r)) {
                    Some(found) => {
                        let _ = tx.send(found.clone());
                    }
                    None => a.log.waiters.push((matcher, tx)),
                }
                rx
            })
            .await?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(request)) => Ok(request),
            Ok(Err(_)) => Err(Error::Stopped),
            Err(_) => Err(Error::Timeout(timeout, format!("a request matching {description}"))),
        }
    }

    /// Holds every request `matcher` selects until the returned handle is released or dropped.
    /// Later requests on the same connection are handled, but their responses queue behind.
    pub async fn hold(&self, matcher: impl Into<RequestMatcher>) -> Result<HeldRequests, Error> {
        let matcher = matcher.into();
        let id = self
            .call(move |a| {
                let id = a.next_hold_id;
                a.next_hold_id += 1;
                a.holds.push(Hold { id, matcher, held: Vec::new(), total: 0, waiters: Vec::new() });
                id
            })
            .await?;
        Ok(HeldRequests { id, tx: self.tx.clone(), released: false })
    }

    /// Takes broker `id` down: its listener closes (connections are refused) and its open
    /// connections are closed. Leadership does not move.
    pub async fn broker_down(&self, id: i32) -> Result<(), Error> {
        let guard = self
            .call(move |a| -> Result<Option<ListenerGuard>, Error> {
                let b = a.state.broker_mut(id).ok_or(Error::UnknownBroker(id))?;
                b.up = false;
                Ok(a.listeners.remove(&id))
            })
            .await??;
        if let Some(guard) = guard {
            guard.shutdown().await;
        }
        Ok(())
    }

    /// Brings broker `id` back on the same port.
    pub async fn broker_up(&self, id: i32) -> Result<(), Error> {
        self.call(move |a| start_broker(a, id)).await?
    }

    /// Takes broker `id` down now and brings it back up after `downtime` (tokio time).
    pub async fn broker_down_for(&self, id: i32, downtime: Duration) -> Result<(), Error> {
        self.broker_down(id).await?;
        self.call(move |a| {
            a.schedule(
                tokio::time::Instant::now() + downtime,
                Box::new(move |a: &mut Actor| {
                    if let Err(e) = start_broker(a, id) {
                        tracing::error!(broker = id, "could not bring the broker back up: {e}");
                    }
                }),
            );
        })
        .await
    }

    /// Makes `broker` the leader of a partition and bumps its leader epoch. The old leader
    /// then answers NOT_LEADER_OR_FOLLOWER (with KIP-951 leader hints where the version has them).
    pub async fn move_leader(&self, topic: &str, partition: i32, broker: i32) -> Result<(), Error> {
        let topic = topic.to_owned();
        self.call(move |a| -> Result<(), Error> {
            if a.state.broker(broker).is_none() {
                return Err(Error::UnknownBroker(broker));
            }
            let p = a
                .state
                .topics
                .get_mut(&topic)
                .and_then(|t| t.partition_mut(partition))
                .ok_or_else(|| Error::UnknownPartition { topic: topic.clone(), partition })?;
            p.leader = Some(broker);
            p.leader_epoch += 1;
            if !p.replicas.contains(&broker) {
                p.replicas.push(broker);
            }
            Ok(())
        })
        .await?
    }

    /// Leaves a partition without a leader (bumping its epoch) until `move_leader`.
    pub async fn set_leaderless(&self, topic: &str, partition: i32) -> Result<(), Error> {
        let topic = topic.to_owned();
        self.call(move |a| -> Result<(), Error> {
            let p = a
                .state
                .topics
                .get_mut(&topic)
                .and_then(|t| t.partition_mut(partition))
                .ok_or_else(|| Error::UnknownPartition { topic: topic.clone(), partition })?;
            p.leader = None;
            p.leader_epoch += 1;
            Ok(())
        })
        .await?
    }

    /// Pins the coordinator of a group or transactional id to `broker`.
    pub async fn move_coordinator(&self, kind: CoordinatorType, key: &str, broker: i32) -> Result<(), Error> {
        let key = key.to_owned();
        self.call(move |a| -> Result<(), Error> {
            if a.state.broker(broker).is_none() {
                return Err(Error::UnknownBroker(broker));
            }
            let moved = a.state.coordinator_for(kind, &key) != broker;
            a.state.coordinator_overrides.insert((kind, key.clone()), broker);
            if moved && kind == CoordinatorType::Group {
                // Parked joins and syncs learn NOT_COORDINATOR, as on a real coordinator move.
                let completions = a.state.groups.coordinator_moved(tokio::time::Instant::now().into_std(), &key);
                a.complete_all(completions.into_iter().map(|c| (c.token.0, c.response)).collect());
            }
            Ok(())
        })
        .await?
    }

    /// The broker currently coordinating a key.
    pub async fn coordinator(&self, kind: CoordinatorType, key: &str) -> Result<i32, Error> {
        let key = key.to_owned();
        self.call(move |a| a.state.coordinator_for(kind, &key)).await
    }

    /// Creates a topic (as CreateTopics would); `rf` is capped at the broker count.
    pub async fn create_topic(&self, name: &str, partitions: i32, rf: i16) -> Result<(), Error> {
        let name = name.to_owned();
        self.call(move |a| {
            let rf = rf.clamp(1, a.state.brokers.len() as i16);
            a.state
                .create_topic(&name, partitions, rf, None, BTreeMap::new(), false)
                .map(|_| ())
                .map_err(|e| Error::Topic { topic: name.clone(), code: e.code, message: e.message })
        })
        .await?
    }

    /// A partition's leader, epoch, replicas and offsets, if it exists.
    pub async fn partition_state(&self, topic: &str, partition: i32) -> Result<Option<PartitionState>, Error> {
        let topic = topic.to_owned();
        self.call(move |a| {
            a.state.topics.get(&topic).and_then(|t| t.partition(partition)).map(|p| PartitionState {
                leader: p.leader,
                leader_epoch: p.leader_epoch,
                replicas: p.replicas.clone(),
                log_start_offset: p.log.log_start_offset(),
                high_watermark: p.log.high_watermark(),
                batches: p.log.batches().count(),
            })
        })
        .await
    }

    /// Names of every topic.
    pub async fn topic_names(&self) -> Result<Vec<String>, Error> {
        self.call(|a| a.state.topics.iter().map(|t| t.name.clone()).collect()).await
    }

    /// The authenticated principals of open connections, by connection id (the
    /// `connection` of [`LoggedRequest`](crate::LoggedRequest)), e.g. `User:alice` after a
    /// SASL login; connections that have not sent a request yet are not listed.
    pub async fn principals(&self) -> Result<BTreeMap<u64, String>, Error> {
        self.call(|a| a.state.security.principals()).await
    }

    /// What each open connection authenticated as, by connection id: principal, SASL
    /// mechanism, session expiry and SASL extensions (OAUTHBEARER's). Connections that have
    /// not sent a request yet are not listed.
    pub async fn sessions(&self) -> Result<BTreeMap<u64, SessionInfo>, Error> {
        self.call(|a| a.state.security.sessions()).await
    }

    /// The cluster id reported in Metadata and DescribeCluster.
    pub async fn cluster_id(&self) -> Result<String, Error> {
        self.call(|a| a.state.cluster_id.clone()).await
    }

    /// Applies `retention.ms` and `retention.bytes` now, deleting whole old batches (never
    /// the newest, like Kafka's active segment). `now_ms` is the wall-clock time to compare
    /// batch timestamps with. Returns how many batches were deleted.
    pub async fn apply_retention_at(&self, now_ms: i64) -> Result<usize, Error> {
        self.call(move |a| crate::handlers::delete_records::apply_retention(&mut a.state, now_ms)).await
    }

    /// [`Cluster::apply_retention_at`] with the system clock.
    pub async fn apply_retention(&self) -> Result<usize, Error> {
        self.apply_retention_at(crate::handlers::produce::now_ms()).await
    }

    /// Sets (`Some`) or removes (`None`) one topic config override, with the checks of
    /// IncrementalAlterConfigs; produce, retention and DescribeConfigs see it from the next
    /// request on. The topic need not exist yet.
    pub async fn set_topic_config(&self, topic: &str, key: &str, value: Option<&str>) -> Result<(), Error> {
        let (topic, key, value) = (topic.to_owned(), key.to_owned(), value.map(str::to_owned));
        self.call(move |a| {
            a.state
                .config_store
                .set_topic_config(&topic, &key, value.as_deref())
                .map_err(|e| Error::Topic { topic: topic.clone(), code: e.code(), message: e.to_string() })?;
            a.state.sync_topic_overrides([topic.as_str()]);
            a.state.sync_store();
            Ok(())
        })
        .await?
    }

    /// Makes every response to `api` requests from `client_id` (`None`: every client without
    /// its own setting) carry `throttle_time_ms = throttle_ms` (KIP-219 client-side
    /// throttling tests). Nothing is actually delayed. A negative value removes the setting.
    pub async fn set_throttle(&self, client_id: Option<&str>, api: ApiKey, throttle_ms: i32) -> Result<(), Error> {
        let client_id = client_id.map(str::to_owned);
        self.call(move |a| {
            if throttle_ms < 0 {
                a.state.quotas.clear_throttle(client_id.as_deref(), api);
            } else {
                a.state.quotas.set_throttle(client_id.as_deref(), api, throttle_ms);
            }
        })
        .await
    }
}

/// Starts broker `id`'s listeners on their ports again (no-op when it is up).
fn start_broker(a: &mut Actor, id: i32) -> Result<(), Error> {
    let host = a.state.broker(id).ok_or(Error::UnknownBroker(id))?.host.clone();
    if a.listeners.contains_key(&id) {
        return Ok(());
    }
    let mut guard: Option<ListenerGuard> = None;
    for shared in &a.servers {
        let port = shared.ports.get(&id).copied().unwrap_or(0);
        let bind_err = |source| Error::Bind { broker: id, host: host.clone(), port, source };
        let listener = bind(&host, port).map_err(bind_err)?;
        let started = spawn_listener(listener, id, shared.clone()).map_err(bind_err)?;
        match &mut guard {
            Some(g) => g.merge(started),
            None => guard = Some(started),
        }
    }
    if let Some(guard) = guard {
        a.listeners.insert(id, guard);
    }
    if let Some(b) = a.state.broker_mut(id) {
        b.up = true;
    }
    Ok(())
}

/// Fault injection, from [`Cluster::faults`]. Rules apply in the order added.
#[derive(Debug)]
pub struct Faults<'a> {
    cluster: &'a Cluster,
}

impl Faults<'_> {
    /// Adds a rule.
    pub async fn inject(&self, fault: Fault) -> Result<(), Error> {
        self.cluster.call(move |a| a.faults.add(fault)).await
    }

    /// The next `n` requests of `api` (narrowed by `matcher`'s other filters if given as a
    /// matcher) fail with `error_code`.
    pub async fn fail(&self, api: impl Into<RequestMatcher>, n: u32, error_code: impl Into<i16>) -> Result<(), Error> {
        self.inject(Fault::new(api, FaultAction::Error(error_code.into())).times(n)).await
    }

    /// The next `n` requests naming `topic`/`partition` get `error_code` for that partition.
    pub async fn fail_partition(
        &self,
        api: ApiKey,
        topic: &str,
        partition: i32,
        n: u32,
        error_code: impl Into<i16>,
    ) -> Result<(), Error> {
        let matcher = RequestMatcher::api(api).partition(topic, partition);
        self.inject(Fault::new(matcher, FaultAction::Error(error_code.into())).times(n)).await
    }

    /// Every following matching response is held back by `delay` (until [`Faults::clear`]).
    pub async fn delay(&self, api: impl Into<RequestMatcher>, delay: Duration) -> Result<(), Error> {
        self.inject(Fault::new(api, FaultAction::Delay(delay)).always()).await
    }

    /// The next `n` matching requests are handled but never answered.
    pub async fn drop_response(&self, api: impl Into<RequestMatcher>, n: u32) -> Result<(), Error> {
        self.inject(Fault::new(api, FaultAction::DropResponse).times(n)).await
    }

    /// The next matching request closes its connection, before or after taking effect.
    pub async fn close_connection(&self, api: impl Into<RequestMatcher>, when: CloseWhen) -> Result<(), Error> {
        let action = match when {
            CloseWhen::Before => FaultAction::CloseBefore,
            CloseWhen::After => FaultAction::CloseAfter,
        };
        self.inject(Fault::new(api, action)).await
    }

    /// The next matching response has its body bytes inverted.
    pub async fn corrupt_response(&self, api: impl Into<RequestMatcher>) -> Result<(), Error> {
        self.inject(Fault::new(api, FaultAction::CorruptResponse)).await
    }

    /// The next matching response is cut to half its body.
    pub async fn truncate_response(&self, api: impl Into<RequestMatcher>) -> Result<(), Error> {
        self.inject(Fault::new(api, FaultAction::TruncateResponse)).await
    }

    /// Removes every rule.
    pub async fn clear(&self) -> Result<(), Error> {
        self.cluster.call(|a| a.faults.clear()).await
    }

    /// Rules not yet used up.
    pub async fn pending(&self) -> Result<usize, Error> {
        self.cluster.call(|a| a.faults.pending()).await
    }
}

/// Requests held by [`Cluster::hold`]. Dropping the handle releases them.
#[derive(Debug)]
pub struct HeldRequests {
    id: u64,
    tx: mpsc::UnboundedSender<ActorMsg>,
    released: bool,
}

impl HeldRequests {
    /// Waits until at least `n` requests have been held, up to `timeout`, and returns them.
    pub async fn wait_for_held(&self, n: usize, timeout: Duration) -> Result<Vec<LoggedRequest>, Error> {
        let id = self.id;
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(ActorMsg::Control(Box::new(move |a| {
                let Some(hold) = a.holds.iter_mut().find(|h| h.id == id) else { return };
                if hold.total >= n {
                    let _ = tx.send(hold.held.iter().map(|(_, l)| l.clone()).collect());
                } else {
                    hold.waiters.push((n, tx));
                }
            })))
            .map_err(|_| Error::Stopped)?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(held)) => Ok(held),
            Ok(Err(_)) => Err(Error::Stopped),
            Err(_) => Err(Error::Timeout(timeout, format!("{n} held requests"))),
        }
    }

    /// Lets the held requests through (handled now, in arrival order) and stops holding.
    pub async fn release(mut self) -> Result<(), Error> {
        self.released = true;
        let id = self.id;
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(ActorMsg::Control(Box::new(move |a| {
                a.release_hold(id);
                let _ = tx.send(());
            })))
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)
    }
}

impl Drop for HeldRequests {
    fn drop(&mut self) {
        if !self.released {
            let id = self.id;
            let _ = self.tx.send(ActorMsg::Control(Box::new(move |a| a.release_hold(id))));
        }
    }
}

//! Config overrides per resource and the DescribeConfigs (v0-4), AlterConfigs (v0-2) and
//! IncrementalAlterConfigs (v0-1, KIP-339) handlers over them, plus the CreateTopics config
//! check and the resolved views the actor reads ([`TopicConfig`], [`BrokerView`]).
//!
//! Layers, highest priority first, with the DescribeConfigs source each one reports (KIP-226):
//!
//! | layer                                  | source                              |
//! |----------------------------------------|-------------------------------------|
//! | topic override                         | `DYNAMIC_TOPIC_CONFIG` (1)          |
//! | dynamic config of one broker           | `DYNAMIC_BROKER_CONFIG` (2)         |
//! | dynamic cluster-wide broker default    | `DYNAMIC_DEFAULT_BROKER_CONFIG` (3) |
//! | static broker properties               | `STATIC_BROKER_CONFIG` (4)          |
//! | built-in default                       | `DEFAULT_CONFIG` (5)                |
//!
//! A topic config without an override takes its broker "server default property" (e.g.
//! `retention.ms` <- `log.retention.ms` <- `log.retention.minutes` <- `log.retention.hours`,
//! converted to the topic's unit). Among unit synonyms the higher-priority name wins whatever
//! layer the lower one comes from, as in Kafka's `KafkaConfig`.
//!
//! Synonyms (DescribeConfigs v1+) are listed the way Kafka's `ConfigHelper` lists them: the
//! topic override, then per source layer (per-broker, cluster default, static, default) every
//! synonym name set there, with leading entries for other names dropped, so the list starts
//! at the primary broker name. An entry's reported source is its first synonym's (or
//! `DEFAULT_CONFIG`). This reproduces a Kafka quirk on purpose: while `log.retention.ms` is
//! set nowhere, `retention.ms` is reported with no synonyms and source `DEFAULT_CONFIG` even
//! if a static `log.retention.hours` supplied its value. [`TopicConfig::value_with_source`]
//! reports the layer that actually supplied the value instead.
//!
//! Error codes: unknown config names and bad topic values give `INVALID_CONFIG` naming the
//! key; bad dynamic broker values give `INVALID_REQUEST` (Kafka's brokers wrap broker config
//! validation failures that way); so do read-only broker configs, per-broker-only configs at
//! cluster level, duplicate keys or resources, unknown operations and null values; unknown
//! topics give `UNKNOWN_TOPIC_OR_PARTITION`. Kafka's KRaft brokers accept unknown broker
//! config names (for plugins); this broker rejects them (`INVALID_CONFIG`) so typos in tests
//! surface.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::create_topics_response::CreatableTopicConfigs;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::incremental_alter_configs_request::AlterableConfig as IncrementalConfig;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse as IncrementalResourceResponse;
use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};

use super::codes;
use super::defs::{
    broker_config_def, broker_synonym_chain, check_value, listener_base, split_list,
    BrokerConfigDef, ConfigProfile, ConfigType, TopicConfigDef, UpdateMode, Valid,
    CLUSTER_LEVEL_LISTENER_CONFIGS, LISTENER_ONLY_DYNAMIC_CONFIGS,
};

/// Where a described value comes from (`ConfigSource` in DescribeConfigs v1+).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    /// Set on the topic (1).
    DynamicTopic,
    /// Set dynamically for this broker (2).
    DynamicBroker,
    /// Set dynamically as the cluster-wide broker default (3).
    DynamicDefaultBroker,
    /// Set in the broker's static properties (4).
    StaticBroker,
    /// The built-in default (5).
    Default,
    /// A broker logger level (6).
    DynamicBrokerLogger,
    /// Set on a client-metrics subscription (7).
    ClientMetrics,
}

impl ConfigSource {
    /// The wire number.
    pub const fn wire(self) -> i8 {
        match self {
            ConfigSource::DynamicTopic => 1,
            ConfigSource::DynamicBroker => 2,
            ConfigSource::DynamicDefaultBroker => 3,
            ConfigSource::StaticBroker => 4,
            ConfigSource::Default => 5,
            ConfigSource::DynamicBrokerLogger => 6,
            ConfigSource::ClientMetrics => 7,
        }
    }
}

/// `ConfigResource.Type` wire numbers.
pub mod resource_type {
    /// A topic.
    pub const TOPIC: i8 = 2;
    /// A broker (name = broker id) or the cluster-wide default (empty name).
    pub const BROKER: i8 = 4;
    /// A broker's log4j loggers (name = broker id).
    pub const BROKER_LOGGER: i8 = 8;
    /// A client-metrics subscription (KIP-714).
    pub const CLIENT_METRICS: i8 = 16;
}

/// IncrementalAlterConfigs operation numbers (KIP-339).
pub mod op {
    /// Set the value.
    pub const SET: i8 = 0;
    /// Remove the override.
    pub const DELETE: i8 = 1;
    /// Add elements to a list value.
    pub const APPEND: i8 = 2;
    /// Remove elements from a list value.
    pub const SUBTRACT: i8 = 3;
}

/// A resource whose configs can be described or altered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigResource {
    /// A topic.
    Topic(String),
    /// One broker (`Some(id)`) or the cluster-wide broker default (`None`).
    Broker(Option<i32>),
    /// The loggers of one broker.
    BrokerLogger(i32),
    /// A client-metrics subscription.
    ClientMetrics(String),
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigResource::Topic(t) => write!(f, "topic {t:?}"),
            ConfigResource::Broker(Some(id)) => write!(f, "broker {id}"),
            ConfigResource::Broker(None) => f.write_str("the cluster-wide broker default"),
            ConfigResource::BrokerLogger(id) => write!(f, "the loggers of broker {id}"),
            ConfigResource::ClientMetrics(n) => write!(f, "client-metrics subscription {n:?}"),
        }
    }
}

/// A rejected config operation. [`code`](Self::code) is the Kafka error code to answer with
/// and the `Display` text the error message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The name is not a config of this resource type (`INVALID_CONFIG`).
    #[error("unknown config {key:?} for {resource}")]
    UnknownConfig {
        /// The resource.
        resource: String,
        /// The key as given.
        key: String,
    },
    /// The value does not parse or breaks the config's rule (`INVALID_CONFIG`).
    #[error("invalid value {value:?} for config {key} of {resource}: {reason}")]
    InvalidValue {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A dynamic broker config value that does not parse or breaks its rule
    /// (`INVALID_REQUEST`, as Kafka's brokers answer: they wrap broker config validation
    /// failures in an invalid-request error).
    #[error("invalid config value for {resource}: {key}={value:?}: {reason}")]
    InvalidBrokerValue {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
        /// The value as given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// APPEND or SUBTRACT on a config that is not a list (`INVALID_CONFIG`).
    #[error("config {key} of {resource} is not a list, so {op} is not allowed")]
    NotAList {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
        /// `APPEND` or `SUBTRACT`.
        op: &'static str,
    },
    /// A broker config that cannot change at run time (`INVALID_REQUEST`).
    #[error("config {key} of {resource} is read-only: it cannot be updated dynamically")]
    ReadOnly {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
    },
    /// A per-broker config set at cluster level (`INVALID_REQUEST`).
    #[error("config {key} can only be set per broker, not as the cluster-wide default")]
    PerBrokerOnly {
        /// The key.
        key: String,
    },
    /// A SET/APPEND/SUBTRACT without a value (`INVALID_REQUEST`).
    #[error("null value for config {key} of {resource}")]
    NullValue {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
    },
    /// The same key twice in one resource (`INVALID_REQUEST`).
    #[error("config {key} appears more than once for {resource}")]
    DuplicateKey {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
    },
    /// The same resource twice in one request (`INVALID_REQUEST`).
    #[error("{resource} appears more than once in the request")]
    DuplicateResource {
        /// The resource.
        resource: String,
    },
    /// An operation number that is not SET, DELETE, APPEND or SUBTRACT (`INVALID_REQUEST`).
    #[error("unknown operation {op} for config {key} of {resource}")]
    UnknownOperation {
        /// The resource.
        resource: String,
        /// The key.
        key: String,
        /// The operation number.
        op: i8,
    },
    /// The topic does not exist (`UNKNOWN_TOPIC_OR_PARTITION`).
    #[error("topic {topic:?} does not exist")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// Anything else the request got wrong (`INVALID_REQUEST`): a bad broker name, an
    /// unsupported resource type or operation.
    #[error("{0}")]
    InvalidRequest(String),
}

impl ConfigError {
    /// The Kafka error code to answer with.
    pub fn code(&self) -> i16 {
        match self {
            ConfigError::UnknownConfig { .. }
            | ConfigError::InvalidValue { .. }
            | ConfigError::NotAList { .. } => codes::INVALID_CONFIG,
            ConfigError::UnknownTopic { .. } => codes::UNKNOWN_TOPIC_OR_PARTITION,
            ConfigError::ReadOnly { .. }
            | ConfigError::PerBrokerOnly { .. }
            | ConfigError::InvalidBrokerValue { .. }
            | ConfigError::NullValue { .. }
            | ConfigError::DuplicateKey { .. }
            | ConfigError::DuplicateResource { .. }
            | ConfigError::UnknownOperation { .. }
            | ConfigError::InvalidRequest(_) => codes::INVALID_REQUEST,
        }
    }
}

/// Client-metrics subscription configs (KIP-714, Kafka 3.7+).
#[rustfmt::skip]
static CLIENT_METRICS_CONFIGS: &[(&str, ConfigType, &str, Valid, &str)] = &[
    ("interval.ms", ConfigType::Int, "300000", Valid::Between(100, 3_600_000), "How often matching clients push their metrics."),
    ("match", ConfigType::List, "", Valid::Any, "Client selectors (client_id=regex, ...) a client must all satisfy."),
    ("metrics", ConfigType::List, "", Valid::Any, "Metric name prefixes to collect; `*` for all."),
];

/// Client selector names allowed in a client-metrics `match` list.
const CLIENT_MATCH_KEYS: &[&str] = &[
    "client_instance_id",
    "client_id",
    "client_software_name",
    "client_software_version",
    "client_source_address",
    "client_source_port",
];

/// Log levels a broker logger accepts (Kafka's `LogLevelConfig`).
const LOG_LEVELS: &[&str] = &["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"];
/// The logger every broker has.
pub const ROOT_LOGGER: &str = "root";

/// Every config override of the cluster, by resource. See the module docs. `Debug` output
/// hides the values of sensitive (password) configs.
#[derive(Clone, Default)]
pub struct ConfigStore {
    static_broker: BTreeMap<String, String>,
    dynamic_default: BTreeMap<String, String>,
    dynamic_broker: BTreeMap<i32, BTreeMap<String, String>>,
    topics: BTreeMap<String, BTreeMap<String, String>>,
    loggers: BTreeMap<i32, BTreeMap<String, String>>,
    client_metrics: BTreeMap<String, BTreeMap<String, String>>,
    profile: ConfigProfile,
}

impl fmt::Debug for ConfigStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Redacted<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| {
                        let sensitive = broker_config_def(k)
                            .or_else(|| listener_base(k).and_then(broker_config_def))
                            .is_some_and(|d| d.ty.is_sensitive());
                        (k, if sensitive { "<hidden>" } else { v.as_str() })
                    }))
                    .finish()
            }
        }
        let per_broker: BTreeMap<_, _> = self
            .dynamic_broker
            .iter()
            .map(|(id, m)| (id, Redacted(m)))
            .collect();
        f.debug_struct("ConfigStore")
            .field("static_broker", &Redacted(&self.static_broker))
            .field("dynamic_default", &Redacted(&self.dynamic_default))
            .field("dynamic_broker", &per_broker)
            .field("topics", &self.topics)
            .field("loggers", &self.loggers)
            .field("client_metrics", &self.client_metrics)
            .field("profile", &self.profile)
            .finish()
    }
}

/// What a DescribeConfigs entry should carry, from the request version and flags.
#[derive(Clone, Copy, Debug)]
struct DescribeOptions {
    version: i16,
    synonyms: bool,
    documentation: bool,
}

impl ConfigStore {
    /// An empty store: every value is its built-in default (Kafka 3.x schema).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store following the config schema of `profile`.
    pub fn with_profile(profile: ConfigProfile) -> Self {
        Self {
            profile,
            ..Self::default()
        }
    }

    /// The Kafka release whose config schema this store follows.
    pub fn profile(&self) -> ConfigProfile {
        self.profile
    }

    /// A store whose static broker properties (`STATIC_BROKER_CONFIG`) are `properties`, as in
    /// a `server.properties` file. Every key must be a known broker config with a valid value.
    pub fn from_broker_properties<K: AsRef<str>, V: AsRef<str>>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        Self::from_broker_properties_for(ConfigProfile::default(), properties)
    }

    /// [`from_broker_properties`](Self::from_broker_properties) following the config schema
    /// of another Kafka release.
    pub fn from_broker_properties_for<K: AsRef<str>, V: AsRef<str>>(
        profile: ConfigProfile,
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        let mut store = Self {
            profile,
            ..Self::default()
        };
        for (key, value) in properties {
            let (key, value) = (key.as_ref(), value.as_ref());
            let def = broker_def(profile, &ConfigResource::Broker(None), key)?;
            check(&ConfigResource::Broker(None), key, def.ty, def.valid, value)?;
            store.static_broker.insert(key.to_owned(), value.to_owned());
        }
        Ok(store)
    }

    // ----- topics -------------------------------------------------------------------------

    /// Checks the configs of a CreateTopics topic: every name a known topic config, every
    /// value present and valid. Returns the overrides to store (a repeated name: last wins).
    pub fn validate_new_topic<'a>(
        &self,
        topic: &str,
        configs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let resource = ConfigResource::Topic(topic.to_owned());
        let mut out = BTreeMap::new();
        for (key, value) in configs {
            let def = topic_def(self.profile, &resource, key)?;
            let Some(value) = value else {
                return Err(ConfigError::InvalidValue {
                    resource: resource.to_string(),
                    key: key.to_owned(),
                    value: "null".to_owned(),
                    reason: "null values are not allowed for topic configs".to_owned(),
                });
            };
            check(&resource, key, def.ty, def.valid, value)?;
            out.insert(key.to_owned(), value.to_owned());
        }
        self.check_topic_combination(&resource, &out)?;
        Ok(out)
    }

    /// [`validate_new_topic`](Self::validate_new_topic) for a CreateTopics request entry.
    pub fn validate_creatable_topic(
        &self,
        topic: &CreatableTopic,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        self.validate_new_topic(
            &topic.name,
            topic
                .configs
                .iter()
                .map(|c| (c.name.as_str(), c.value.as_deref())),
        )
    }

    /// Records a created topic's overrides (an empty map is fine).
    pub fn create_topic(&mut self, topic: &str, overrides: BTreeMap<String, String>) {
        self.topics.insert(topic.to_owned(), overrides);
    }

    /// Forgets a deleted topic's overrides.
    pub fn delete_topic(&mut self, topic: &str) {
        self.topics.remove(topic);
    }

    /// A topic's overrides, if it has any.
    pub fn topic_overrides(&self, topic: &str) -> Option<&BTreeMap<String, String>> {
        self.topics.get(topic)
    }

    /// The resolved configs of a topic (override -> cluster-wide broker default -> static
    /// broker property -> built-in default). Per-broker dynamic configs are ignored: the
    /// in-process cluster applies one value to every replica.
    pub fn topic_config(&self, topic: &str) -> TopicConfig<'_> {
        TopicConfig {
            store: self,
            overrides: self.topics.get(topic),
            broker: None,
        }
    }

    /// The resolved configs of a topic whose overrides are `overrides` (for callers that keep
    /// a topic's overrides themselves, or to look at a topic before it is created).
    pub fn topic_config_for<'a>(
        &'a self,
        overrides: &'a BTreeMap<String, String>,
    ) -> TopicConfig<'a> {
        TopicConfig {
            store: self,
            overrides: Some(overrides),
            broker: None,
        }
    }

    /// Checks that a topic's resolved configs fit together, as Kafka's `LogConfig` does:
    /// `min.compaction.lag.ms` <= `max.compaction.lag.ms`, and with `remote.storage.enable`
    /// (KIP-405): the broker must have `remote.log.storage.system.enable`, the topic must not
    /// be compacted, and local retention must fit inside total retention.
    fn check_topic_combination(
        &self,
        resource: &ConfigResource,
        overrides: &BTreeMap<String, String>,
    ) -> Result<(), ConfigError> {
        let view = self.topic_config_for(overrides);
        let conflict = |key: &str, reason: String| ConfigError::InvalidValue {
            resource: resource.to_string(),
            key: key.to_owned(),
            value: view.value(key).unwrap_or_default(),
            reason,
        };
        let (min_lag, max_lag) = (view.min_compaction_lag_ms(), view.max_compaction_lag_ms());
        if min_lag > max_lag {
            return Err(conflict(
                "min.compaction.lag.ms",
                format!("it is larger than max.compaction.lag.ms ({max_lag})"),
            ));
        }
        if !view.remote_storage_enable() {
            return Ok(());
        }
        let system = self.broker_value(None, "remote.log.storage.system.enable");
        if !system.is_some_and(|(v, _)| v.trim().eq_ignore_ascii_case("true")) {
            return Err(conflict(
                "remote.storage.enable",
                "tiered storage is disabled on the broker (remote.log.storage.system.enable=false)"
                    .into(),
            ));
        }
        if view.cleanup_policy().compact {
            return Err(conflict(
                "remote.storage.enable",
                "remote storage is not supported for compacted topics".into(),
            ));
        }
        // Kafka treats retention.ms -1 and any negative retention.bytes as unlimited.
        let checks = [
            (
                "local.retention.ms",
                view.local_retention_ms(),
                "retention.ms",
                view.retention_ms(),
                view.retention_ms() == -1,
            ),
            (
                "local.retention.bytes",
                view.local_retention_bytes(),
                "retention.bytes",
                view.retention_bytes(),
                view.retention_bytes() < 0,
            ),
        ];
        for (local_key, local, total_key, total, unlimited) in checks {
            if !unlimited && local != -2 && (local == -1 || local > total) {
                return Err(conflict(
                    local_key,
                    format!("it must be -2 or at most {total_key} ({total})"),
                ));
            }
        }
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) one topic override directly, with the same checks
    /// as IncrementalAlterConfigs (test control; the topic need not exist yet).
    pub fn set_topic_config(
        &mut self,
        topic: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), ConfigError> {
        let resource = ConfigResource::Topic(topic.to_owned());
        let mut map = self.current(&resource);
        match value {
            Some(v) => {
                validate_set(self.profile, &resource, key, v)?;
                map.insert(key.to_owned(), v.to_owned());
            }
            None => {
                map.remove(key);
            }
        }
        self.check_topic_combination(&resource, &map)?;
        self.topics.insert(topic.to_owned(), map);
        Ok(())
    }

    /// The configs a CreateTopics v5+ response lists for a topic created with `overrides`:
    /// every topic config with its resolved value and source.
    pub fn created_topic_configs(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Vec<CreatableTopicConfigs> {
        self.profile
            .topic_configs()
            .map(|def| {
                let (value, _) = self.resolve_topic(Some(overrides), &def, None);
                let source =
                    kafka_reported_source(&self.topic_synonyms(Some(overrides), &def, None));
                CreatableTopicConfigs::default()
                    .with_name(def.name.to_owned())
                    .with_value(if def.ty.is_sensitive() { None } else { value })
                    .with_read_only(false)
                    .with_config_source(source.wire())
                    .with_is_sensitive(def.ty.is_sensitive())
            })
            .collect()
    }

    // ----- brokers ------------------------------------------------------------------------

    /// The resolved broker configs as broker `broker_id` sees them.
    pub fn broker_config(&self, broker_id: i32) -> BrokerView<'_> {
        BrokerView {
            store: self,
            broker: broker_id,
        }
    }

    /// Sets a broker config directly, bypassing the update-mode check (test control). `None`
    /// sets the cluster-wide default.
    pub fn set_dynamic_broker_config(
        &mut self,
        broker: Option<i32>,
        key: &str,
        value: &str,
    ) -> Result<(), ConfigError> {
        let resource = ConfigResource::Broker(broker);
        let def = broker_def(self.profile, &resource, key)?;
        check(&resource, key, def.ty, def.valid, value)?;
        self.broker_layer_mut(broker)
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// A broker logger's level, if set (the root logger defaults to `INFO`).
    pub fn logger_level(&self, broker: i32, logger: &str) -> Option<&str> {
        self.loggers
            .get(&broker)
            .and_then(|m| m.get(logger))
            .map(String::as_str)
            .or((logger == ROOT_LOGGER).then_some("INFO"))
    }

    /// A client-metrics subscription's stored configs.
    pub fn client_metrics(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.client_metrics.get(name)
    }

    // ----- DescribeConfigs ----------------------------------------------------------------

    /// Answers DescribeConfigs (key 32, v0-4) on broker `local_broker`. `topic_exists` says
    /// whether a topic exists. Broker and broker-logger resources must name `local_broker`
    /// (or, for brokers, be empty: the cluster-wide dynamic defaults), as in Kafka.
    pub fn describe_configs(
        &self,
        request: &DescribeConfigsRequest,
        version: i16,
        local_broker: i32,
        topic_exists: impl Fn(&str) -> bool,
    ) -> DescribeConfigsResponse {
        let options = DescribeOptions {
            version,
            synonyms: version >= 1 && request.include_synonyms,
            documentation: version >= 3 && request.include_documentation,
        };
        let mut response = DescribeConfigsResponse::default();
        for resource in &request.resources {
            let keys: Option<HashSet<&str>> = resource
                .configuration_keys
                .as_ref()
                .filter(|k| !k.is_empty())
                .map(|k| k.iter().map(String::as_str).collect());
            let wanted = |name: &str| keys.as_ref().is_none_or(|k| k.contains(name));
            let mut result = DescribeConfigsResult::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            let described = self.describe_resource(
                resource.resource_type,
                &resource.resource_name,
                local_broker,
                &topic_exists,
                options,
                &wanted,
            );
            match described {
                Ok(configs) => {
                    result.configs = configs;
                    // Kafka answers a described resource with an empty (not null) message
                    // (checked against Kafka 4.3 by tests/differential.rs).
                    result.error_message = Some(String::new());
                }
                Err(e) => {
                    result.error_code = e.code();
                    result.error_message = Some(e.to_string());
                }
            }
            response.results.push(result);
        }
        response
    }

    fn describe_resource(
        &self,
        resource_type: i8,
        name: &str,
        local_broker: i32,
        topic_exists: &dyn Fn(&str) -> bool,
        options: DescribeOptions,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<DescribeConfigsResourceResult>, ConfigError> {
        match parse_resource(resource_type, name)? {
            ConfigResource::Topic(topic) => {
                if !topic_exists(&topic) {
                    return Err(ConfigError::UnknownTopic { topic });
                }
                let overrides = self.topics.get(&topic);
                Ok(self
                    .profile
                    .topic_configs()
                    .filter(|d| wanted(d.name))
                    .map(|def| self.describe_topic_entry(overrides, &def, local_broker, options))
                    .collect())
            }
            ConfigResource::Broker(None) => Ok(self
                .dynamic_default
                .keys()
                .filter(|k| wanted(k))
                .filter_map(|k| self.profile.broker_or_listener(k).map(|d| (k, d)))
                .map(|(k, def)| self.describe_broker_entry(None, k, &def, options))
                .collect()),
            ConfigResource::Broker(Some(id)) => {
                expect_local(id, local_broker)?;
                let mut entries: Vec<_> = self
                    .profile
                    .broker_configs()
                    .filter(|d| wanted(d.name))
                    .map(|def| self.describe_broker_entry(Some(id), def.name, &def, options))
                    .collect();
                // Listener overrides set anywhere, after the table (Kafka lists them too).
                let overrides: BTreeSet<&String> = self
                    .layers(Some(id))
                    .into_iter()
                    .flat_map(|(map, _)| map.keys())
                    .filter(|k| broker_config_def(k).is_none() && wanted(k))
                    .collect();
                for name in overrides {
                    if let Some(def) = self.profile.broker_or_listener(name) {
                        entries.push(self.describe_broker_entry(Some(id), name, &def, options));
                    }
                }
                Ok(entries)
            }
            ConfigResource::BrokerLogger(id) => {
                expect_local(id, local_broker)?;
                let mut levels: BTreeMap<&str, &str> = BTreeMap::new();
                levels.insert(ROOT_LOGGER, "INFO");
                if let Some(set) = self.loggers.get(&id) {
                    levels.extend(set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                }
                Ok(levels
                    .into_iter()
                    .filter(|(k, _)| wanted(k))
                    .map(|(k, v)| {
                        entry(
                            options,
                            k,
                            Some(v.to_owned()),
                            ConfigSource::DynamicBrokerLogger,
                            false,
                            ConfigType::String,
                            Vec::new(),
                            "The log level of this logger.",
                        )
                    })
                    .collect())
            }
            ConfigResource::ClientMetrics(sub) => {
                let set = self.client_metrics.get(&sub);
                Ok(CLIENT_METRICS_CONFIGS
                    .iter()
                    .filter(|(k, ..)| wanted(k))
                    .map(|&(k, ty, default, _, doc)| {
                        let (value, source) = match set.and_then(|m| m.get(k)) {
                            Some(v) => (v.clone(), ConfigSource::ClientMetrics),
                            None => (default.to_owned(), ConfigSource::Default),
                        };
                        entry(options, k, Some(value), source, false, ty, Vec::new(), doc)
                    })
                    .collect())
            }
        }
    }

    fn describe_topic_entry(
        &self,
        overrides: Option<&BTreeMap<String, String>>,
        def: &TopicConfigDef,
        local_broker: i32,
        options: DescribeOptions,
    ) -> DescribeConfigsResourceResult {
        let (value, _) = self.resolve_topic(overrides, def, Some(local_broker));
        let synonyms = self.topic_synonyms(overrides, def, Some(local_broker));
        let source = kafka_reported_source(&synonyms);
        let synonyms = if options.synonyms {
            synonyms
        } else {
            Vec::new()
        };
        entry(
            options, def.name, value, source, false, def.ty, synonyms, def.doc,
        )
    }

    /// A topic config's synonyms as Kafka lists them: the override, then the broker chain.
    fn topic_synonyms(
        &self,
        overrides: Option<&BTreeMap<String, String>>,
        def: &TopicConfigDef,
        broker: Option<i32>,
    ) -> Vec<DescribeConfigsSynonym> {
        let sensitive = def.ty.is_sensitive();
        let mut synonyms = Vec::new();
        if let Some(v) = overrides.and_then(|o| o.get(def.name)) {
            synonyms.push(synonym(
                def.name,
                Some(v),
                ConfigSource::DynamicTopic,
                sensitive,
            ));
        }
        if let Some(server) = def.server_default {
            synonyms.extend(self.broker_synonyms(broker, server, sensitive));
        }
        synonyms
    }

    /// `name` is the config as set (a listener override or `def.name`); `def` gives its type,
    /// update mode and documentation.
    fn describe_broker_entry(
        &self,
        broker: Option<i32>,
        name: &str,
        def: &BrokerConfigDef,
        options: DescribeOptions,
    ) -> DescribeConfigsResourceResult {
        let value = self.broker_value(broker, name).map(|(v, _)| v);
        let synonyms = self.broker_synonyms(broker, name, def.ty.is_sensitive());
        let source = match (broker, name) {
            (Some(_), "broker.id" | "node.id") => ConfigSource::StaticBroker,
            _ => kafka_reported_source(&synonyms),
        };
        let synonyms = if options.synonyms {
            synonyms
        } else {
            Vec::new()
        };
        let read_only = def.update == UpdateMode::ReadOnly;
        entry(
            options, name, value, source, read_only, def.ty, synonyms, def.doc,
        )
    }

    /// A topic config's value and source; `broker` adds that broker's dynamic layer.
    fn resolve_topic(
        &self,
        overrides: Option<&BTreeMap<String, String>>,
        def: &TopicConfigDef,
        broker: Option<i32>,
    ) -> (Option<String>, ConfigSource) {
        if let Some(v) = overrides.and_then(|o| o.get(def.name)) {
            return (Some(v.clone()), ConfigSource::DynamicTopic);
        }
        if let Some(server) = def.server_default {
            for syn in broker_synonym_chain(server) {
                if let Some((value, source)) = self.broker_value(broker, &syn.name) {
                    return (Some(scale(&value, syn.factor)), source);
                }
            }
        }
        (def.default.map(str::to_owned), ConfigSource::Default)
    }

    /// A broker property's own value (no unit synonyms) and the layer it comes from.
    fn broker_value(&self, broker: Option<i32>, name: &str) -> Option<(String, ConfigSource)> {
        if let (Some(id), "broker.id" | "node.id") = (broker, name) {
            return Some((id.to_string(), ConfigSource::StaticBroker));
        }
        let layers = self.layers(broker);
        layers
            .iter()
            .find_map(|(map, source)| map.get(name).map(|v| (v.clone(), *source)))
            .or_else(|| {
                self.profile
                    .broker(name)
                    .and_then(|d| d.default)
                    .map(|v| (v.to_owned(), ConfigSource::Default))
            })
    }

    /// Synonyms of a broker property as Kafka's `ConfigHelper` lists them: per layer
    /// (per-broker, cluster default, static, default), every name of its chain set there; then
    /// leading entries for other names are dropped, so the list starts at `name` itself (or
    /// is empty when `name` is set nowhere, even if a lower-priority synonym is).
    fn broker_synonyms(
        &self,
        broker: Option<i32>,
        name: &str,
        sensitive: bool,
    ) -> Vec<DescribeConfigsSynonym> {
        let chain = broker_synonym_chain(name);
        let mut out = Vec::new();
        for (map, source) in self.layers(broker) {
            for syn in &chain {
                if let Some(v) = map.get(&syn.name) {
                    out.push(synonym(&syn.name, Some(v), source, sensitive));
                }
            }
        }
        for syn in &chain {
            if let Some(v) = self.profile.broker(&syn.name).and_then(|d| d.default) {
                out.push(synonym(
                    &syn.name,
                    Some(v),
                    ConfigSource::Default,
                    sensitive,
                ));
            }
        }
        match out.iter().position(|s| s.name == name) {
            Some(first) => out.split_off(first),
            None => Vec::new(),
        }
    }

    /// The set broker layers, highest priority first.
    fn layers(&self, broker: Option<i32>) -> Vec<(&BTreeMap<String, String>, ConfigSource)> {
        let mut layers = Vec::with_capacity(3);
        if let Some(map) = broker.and_then(|id| self.dynamic_broker.get(&id)) {
            layers.push((map, ConfigSource::DynamicBroker));
        }
        layers.push((&self.dynamic_default, ConfigSource::DynamicDefaultBroker));
        layers.push((&self.static_broker, ConfigSource::StaticBroker));
        layers
    }

    fn broker_layer_mut(&mut self, broker: Option<i32>) -> &mut BTreeMap<String, String> {
        match broker {
            Some(id) => self.dynamic_broker.entry(id).or_default(),
            None => &mut self.dynamic_default,
        }
    }

    // ----- AlterConfigs -------------------------------------------------------------------

    /// Answers AlterConfigs (key 33, v0-2): each resource's overrides are replaced by the
    /// given set (entries with a null value are left out). With `validate_only` nothing is
    /// stored. BROKER_LOGGER resources are refused, as in Kafka (use IncrementalAlterConfigs).
    pub fn alter_configs(
        &mut self,
        request: &AlterConfigsRequest,
        _version: i16,
        topic_exists: impl Fn(&str) -> bool,
    ) -> AlterConfigsResponse {
        let duplicates = duplicate_resources(
            request
                .resources
                .iter()
                .map(|r| (r.resource_type, r.resource_name.as_str())),
        );
        let mut response = AlterConfigsResponse::default();
        for resource in &request.resources {
            let mut out = AlterConfigsResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            let result = if duplicates.contains(&(resource.resource_type, &*resource.resource_name))
            {
                Err(ConfigError::DuplicateResource {
                    resource: describe_raw(resource.resource_type, &resource.resource_name),
                })
            } else {
                let configs: Vec<(&str, Option<&str>)> = resource
                    .configs
                    .iter()
                    .map(|c| (c.name.as_str(), c.value.as_deref()))
                    .collect();
                self.prepare_replace(
                    resource.resource_type,
                    &resource.resource_name,
                    &configs,
                    &topic_exists,
                )
            };
            match result {
                Ok((target, map)) => {
                    out.error_message = None;
                    if !request.validate_only {
                        self.store(target, map);
                    }
                }
                Err(e) => {
                    out.error_code = e.code();
                    out.error_message = Some(e.to_string());
                }
            }
            response.responses.push(out);
        }
        response
    }

    fn prepare_replace(
        &self,
        resource_type: i8,
        name: &str,
        configs: &[(&str, Option<&str>)],
        topic_exists: &dyn Fn(&str) -> bool,
    ) -> Result<(ConfigResource, BTreeMap<String, String>), ConfigError> {
        let resource = parse_resource(resource_type, name)?;
        if let ConfigResource::Topic(topic) = &resource {
            if !topic_exists(topic) {
                return Err(ConfigError::UnknownTopic {
                    topic: topic.clone(),
                });
            }
        }
        if let ConfigResource::BrokerLogger(_) = resource {
            return Err(ConfigError::InvalidRequest(
                "AlterConfigs cannot change broker loggers; use IncrementalAlterConfigs".into(),
            ));
        }
        let mut seen = HashSet::new();
        let mut map = BTreeMap::new();
        for &(key, value) in configs {
            if !seen.insert(key) {
                return Err(ConfigError::DuplicateKey {
                    resource: resource.to_string(),
                    key: key.to_owned(),
                });
            }
            let Some(value) = value else { continue };
            validate_set(self.profile, &resource, key, value)?;
            map.insert(key.to_owned(), value.to_owned());
        }
        if let ConfigResource::Topic(_) = resource {
            self.check_topic_combination(&resource, &map)?;
        }
        Ok((resource, map))
    }

    fn store(&mut self, resource: ConfigResource, map: BTreeMap<String, String>) {
        match resource {
            ConfigResource::Topic(t) => {
                self.topics.insert(t, map);
            }
            ConfigResource::Broker(None) => self.dynamic_default = map,
            ConfigResource::Broker(Some(id)) => {
                self.dynamic_broker.insert(id, map);
            }
            ConfigResource::BrokerLogger(id) => {
                self.loggers.insert(id, map);
            }
            ConfigResource::ClientMetrics(n) => {
                if map.is_empty() {
                    self.client_metrics.remove(&n);
                } else {
                    self.client_metrics.insert(n, map);
                }
            }
        }
    }

    fn current(&self, resource: &ConfigResource) -> BTreeMap<String, String> {
        let map = match resource {
            ConfigResource::Topic(t) => self.topics.get(t),
            ConfigResource::Broker(None) => Some(&self.dynamic_default),
            ConfigResource::Broker(Some(id)) => self.dynamic_broker.get(id),
            ConfigResource::BrokerLogger(id) => self.loggers.get(id),
            ConfigResource::ClientMetrics(n) => self.client_metrics.get(n),
        };
        map.cloned().unwrap_or_default()
    }

    // ----- IncrementalAlterConfigs --------------------------------------------------------

    /// Answers IncrementalAlterConfigs (key 44, v0-1, KIP-339): SET, DELETE, APPEND and
    /// SUBTRACT (the last two on LIST configs only, starting from the resource's override or,
    /// as in Kafka, the built-in default)
    /// applied to each resource's overrides, all or nothing per resource. With
    /// `validate_only` nothing is stored.
    pub fn incremental_alter_configs(
        &mut self,
        request: &IncrementalAlterConfigsRequest,
        _version: i16,
        topic_exists: impl Fn(&str) -> bool,
    ) -> IncrementalAlterConfigsResponse {
        let duplicates = duplicate_resources(
            request
                .resources
                .iter()
                .map(|r| (r.resource_type, r.resource_name.as_str())),
        );
        let mut response = IncrementalAlterConfigsResponse::default();
        for resource in &request.resources {
            let mut out = IncrementalResourceResponse::default()
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone());
            let result = if duplicates.contains(&(resource.resource_type, &*resource.resource_name))
            {
                Err(ConfigError::DuplicateResource {
                    resource: describe_raw(resource.resource_type, &resource.resource_name),
                })
            } else {
                self.prepare_incremental(
                    resource.resource_type,
                    &resource.resource_name,
                    &resource.configs,
                    &topic_exists,
                )
            };
            match result {
                Ok((target, map)) => {
                    out.error_message = None;
                    if !request.validate_only {
                        self.store(target, map);
                    }
                }
                Err(e) => {
                    out.error_code = e.code();
                    out.error_message = Some(e.to_string());
                }
            }
            response.responses.push(out);
        }
        response
    }

    fn prepare_incremental(
        &self,
        resource_type: i8,
        name: &str,
        ops: &[IncrementalConfig],
        topic_exists: &dyn Fn(&str) -> bool,
    ) -> Result<(ConfigResource, BTreeMap<String, String>), ConfigError> {
        let resource = parse_resource(resource_type, name)?;
        if let ConfigResource::Topic(topic) = &resource {
            if !topic_exists(topic) {
                return Err(ConfigError::UnknownTopic {
                    topic: topic.clone(),
                });
            }
        }
        let mut seen = HashSet::new();
        for o in ops {
            if !seen.insert(o.name.as_str()) {
                return Err(ConfigError::DuplicateKey {
                    resource: resource.to_string(),
                    key: o.name.clone(),
                });
            }
        }
        let mut map = self.current(&resource);
        for o in ops {
            let key = o.name.as_str();
            let null = || ConfigError::NullValue {
                resource: resource.to_string(),
                key: key.to_owned(),
            };
            match o.config_operation {
                op::SET => {
                    let value = o.value.as_deref().ok_or_else(null)?;
                    validate_set(self.profile, &resource, key, value)?;
                    map.insert(key.to_owned(), value.to_owned());
                }
                op::DELETE => {
                    if let ConfigResource::BrokerLogger(_) = resource {
                        if key == ROOT_LOGGER {
                            return Err(ConfigError::InvalidValue {
                                resource: resource.to_string(),
                                key: key.to_owned(),
                                value: String::new(),
                                reason: "the root logger's level cannot be removed".into(),
                            });
                        }
                    }
                    map.remove(key);
                }
                code @ (op::APPEND | op::SUBTRACT) => {
                    let op_name = if code == op::APPEND {
                        "APPEND"
                    } else {
                        "SUBTRACT"
                    };
                    if let ConfigResource::BrokerLogger(_) = resource {
                        return Err(ConfigError::InvalidRequest(format!(
                            "{op_name} is not allowed for broker loggers (config {key})"
                        )));
                    }
                    let ty = self.config_type(&resource, key)?;
                    if ty != ConfigType::List {
                        return Err(ConfigError::NotAList {
                            resource: resource.to_string(),
                            key: key.to_owned(),
                            op: op_name,
                        });
                    }
                    let value = o.value.as_deref().ok_or_else(null)?;
                    let base = match map.get(key) {
                        Some(v) => v.clone(),
                        None => self.list_base(&resource, key).unwrap_or_default(),
                    };
                    let mut list = split_list(&base);
                    let change = split_list(value);
                    if code == op::APPEND {
                        for e in change {
                            if !list.contains(&e) {
                                list.push(e);
                            }
                        }
                    } else {
                        list.retain(|e| !change.contains(e));
                    }
                    let joined = list.join(",");
                    validate_set(self.profile, &resource, key, &joined)?;
                    map.insert(key.to_owned(), joined);
                }
                other => {
                    return Err(ConfigError::UnknownOperation {
                        resource: resource.to_string(),
                        key: key.to_owned(),
                        op: other,
                    })
                }
            }
        }
        if let ConfigResource::Topic(_) = resource {
            self.check_topic_combination(&resource, &map)?;
        }
        Ok((resource, map))
    }

    fn config_type(&self, resource: &ConfigResource, key: &str) -> Result<ConfigType, ConfigError> {
        Ok(match resource {
            ConfigResource::Topic(_) => topic_def(self.profile, resource, key)?.ty,
            ConfigResource::Broker(_) => broker_def(self.profile, resource, key)?.ty,
            ConfigResource::BrokerLogger(_) => ConfigType::String,
            ConfigResource::ClientMetrics(_) => client_metrics_def(resource, key)?.1,
        })
    }

    /// The value APPEND and SUBTRACT start from when the resource has no override for the
    /// key: the built-in default, as Kafka's controller does (`ConfigurationControlManager`
    /// uses the schema default, not the broker-level value).
    fn list_base(&self, resource: &ConfigResource, key: &str) -> Option<String> {
        let default = match resource {
            ConfigResource::Topic(_) => self.profile.topic(key).and_then(|d| d.default),
            ConfigResource::Broker(_) => {
                self.profile.broker_or_listener(key).and_then(|d| d.default)
            }
            ConfigResource::BrokerLogger(_) => None,
            ConfigResource::ClientMetrics(_) => CLIENT_METRICS_CONFIGS
                .iter()
                .find(|(k, ..)| *k == key)
                .map(|(_, _, d, ..)| *d),
        };
        default.map(str::to_owned)
    }
}

/// Resolved topic configs: the typed getters the actor reads. Values were validated when
/// stored, so parsing only falls back to the built-in default if a future code path stores
/// something odd.
#[derive(Clone, Copy, Debug)]
pub struct TopicConfig<'a> {
    store: &'a ConfigStore,
    overrides: Option<&'a BTreeMap<String, String>>,
    broker: Option<i32>,
}

/// `message.timestamp.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampType {
    /// Keep the producer's timestamps.
    CreateTime,
    /// Overwrite them with the broker's append time.
    LogAppendTime,
}

/// `cleanup.policy`: which of the two policies are on (both may be).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// `delete`: drop segments past retention.
    pub delete: bool,
    /// `compact`: keep the latest record per key.
    pub compact: bool,
}

/// `compression.type` of a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressionType {
    /// Keep the producer's codec.
    Producer,
    /// Store uncompressed.
    Uncompressed,
    /// gzip.
    Gzip,
    /// snappy.
    Snappy,
    /// lz4.
    Lz4,
    /// zstd.
    Zstd,
}

impl<'a> TopicConfig<'a> {
    /// The resolved value of any topic config (`None` for unknown names or null values).
    pub fn value(&self, name: &str) -> Option<String> {
        self.store.profile.topic(name).and_then(|def| {
            self.store
                .resolve_topic(self.overrides, &def, self.broker)
                .0
        })
    }

    /// The resolved value and where it comes from.
    pub fn value_with_source(&self, name: &str) -> Option<(Option<String>, ConfigSource)> {
        self.store
            .profile
            .topic(name)
            .map(|def| self.store.resolve_topic(self.overrides, &def, self.broker))
    }

    fn parsed<T: std::str::FromStr + Default>(&self, name: &str) -> T {
        let parse = |v: &str| v.trim().parse::<T>().ok();
        self.value(name)
            .and_then(|v| parse(&v))
            .or_else(|| {
                self.store
                    .profile
                    .topic(name)
                    .and_then(|d| d.default)
                    .and_then(parse)
            })
            .unwrap_or_default()
    }

    fn flag(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// `max.message.bytes`: the largest batch the topic accepts.
    pub fn max_message_bytes(&self) -> i32 {
        self.parsed("max.message.bytes")
    }

    /// `message.timestamp.type`.
    pub fn message_timestamp_type(&self) -> TimestampType {
        match self
            .value("message.timestamp.type")
            .as_deref()
            .map(str::trim)
        {
            Some("LogAppendTime") => TimestampType::LogAppendTime,
            _ => TimestampType::CreateTime,
        }
    }

    /// `retention.ms` (-1: forever).
    pub fn retention_ms(&self) -> i64 {
        self.parsed("retention.ms")
    }

    /// `retention.bytes` (-1: no limit).
    pub fn retention_bytes(&self) -> i64 {
        self.parsed("retention.bytes")
    }

    /// `cleanup.policy`.
    pub fn cleanup_policy(&self) -> CleanupPolicy {
        let list = split_list(&self.value("cleanup.policy").unwrap_or_default());
        CleanupPolicy {
            delete: list.iter().any(|e| e == "delete"),
            compact: list.iter().any(|e| e == "compact"),
        }
    }

    /// `compression.type`.
    pub fn compression_type(&self) -> CompressionType {
        match self.value("compression.type").as_deref().map(str::trim) {
            Some("uncompressed") => CompressionType::Uncompressed,
            Some("gzip") => CompressionType::Gzip,
            Some("snappy") => CompressionType::Snappy,
            Some("lz4") => CompressionType::Lz4,
            Some("zstd") => CompressionType::Zstd,
            _ => CompressionType::Producer,
        }
    }

    /// `min.insync.replicas`.
    pub fn min_insync_replicas(&self) -> i32 {
        self.parsed("min.insync.replicas")
    }

    /// `segment.bytes`.
    pub fn segment_bytes(&self) -> i32 {
        self.parsed("segment.bytes")
    }

    /// `segment.ms`.
    pub fn segment_ms(&self) -> i64 {
        self.parsed("segment.ms")
    }

    /// `delete.retention.ms`.
    pub fn delete_retention_ms(&self) -> i64 {
        self.parsed("delete.retention.ms")
    }

    /// `min.compaction.lag.ms`.
    pub fn min_compaction_lag_ms(&self) -> i64 {
        self.parsed("min.compaction.lag.ms")
    }

    /// `max.compaction.lag.ms`.
    pub fn max_compaction_lag_ms(&self) -> i64 {
        self.parsed("max.compaction.lag.ms")
    }

    /// `min.cleanable.dirty.ratio`.
    pub fn min_cleanable_dirty_ratio(&self) -> f64 {
        self.parsed("min.cleanable.dirty.ratio")
    }

    /// `local.retention.ms` (-2: same as retention.ms).
    pub fn local_retention_ms(&self) -> i64 {
        self.parsed("local.retention.ms")
    }

    /// `local.retention.bytes` (-2: same as retention.bytes).
    pub fn local_retention_bytes(&self) -> i64 {
        self.parsed("local.retention.bytes")
    }

    /// `message.timestamp.before.max.ms` as set (see [`timestamp_bounds`](Self::timestamp_bounds)).
    pub fn message_timestamp_before_max_ms(&self) -> i64 {
        self.parsed("message.timestamp.before.max.ms")
    }

    /// `message.timestamp.after.max.ms` as set (see [`timestamp_bounds`](Self::timestamp_bounds)).
    pub fn message_timestamp_after_max_ms(&self) -> i64 {
        self.parsed("message.timestamp.after.max.ms")
    }

    /// `message.timestamp.difference.max.ms` (deprecated; `i64::MAX`, i.e. no limit, under
    /// the Kafka 4 profile, which has no such config).
    pub fn message_timestamp_difference_max_ms(&self) -> i64 {
        self.value("message.timestamp.difference.max.ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(i64::MAX)
    }

    /// How far (ms) before and after the broker clock a CreateTime batch timestamp may lie.
    /// As in Kafka 3.6+, a non-default `message.timestamp.difference.max.ms` stands in for
    /// whichever of the before/after limits is still at its default.
    pub fn timestamp_bounds(&self) -> (i64, i64) {
        let difference = self.message_timestamp_difference_max_ms();
        let mut before = self.message_timestamp_before_max_ms();
        let mut after = self.message_timestamp_after_max_ms();
        if difference != i64::MAX {
            if before == i64::MAX {
                before = difference;
            }
            if after == i64::MAX {
                after = difference;
            }
        }
        (before, after)
    }

    /// `unclean.leader.election.enable`.
    pub fn unclean_leader_election_enable(&self) -> bool {
        self.flag("unclean.leader.election.enable")
    }

    /// `remote.storage.enable`.
    pub fn remote_storage_enable(&self) -> bool {
        self.flag("remote.storage.enable")
    }

    /// `preallocate`.
    pub fn preallocate(&self) -> bool {
        self.flag("preallocate")
    }

    /// `message.downconversion.enable`.
    pub fn message_downconversion_enable(&self) -> bool {
        self.flag("message.downconversion.enable")
    }
}

/// Resolved broker configs of one broker (per-broker dynamic -> cluster default -> static ->
/// built-in default).
#[derive(Clone, Copy, Debug)]
pub struct BrokerView<'a> {
    store: &'a ConfigStore,
    broker: i32,
}

impl BrokerView<'_> {
    /// A broker property's own value (unit synonyms not consulted; `None` when unset).
    pub fn value(&self, name: &str) -> Option<String> {
        self.store
            .broker_value(Some(self.broker), name)
            .map(|(v, _)| v)
    }

    fn parsed<T: std::str::FromStr + Default>(&self, name: &str) -> T {
        let parse = |v: &str| v.trim().parse::<T>().ok();
        self.value(name)
            .and_then(|v| parse(&v))
            .or_else(|| {
                self.store
                    .profile
                    .broker(name)
                    .and_then(|d| d.default)
                    .and_then(parse)
            })
            .unwrap_or_default()
    }

    fn flag(&self, name: &str) -> bool {
        self.value(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// `num.partitions`.
    pub fn num_partitions(&self) -> i32 {
        self.parsed("num.partitions")
    }

    /// `default.replication.factor`.
    pub fn default_replication_factor(&self) -> i32 {
        self.parsed("default.replication.factor")
    }

    /// `auto.create.topics.enable`.
    pub fn auto_create_topics_enable(&self) -> bool {
        self.flag("auto.create.topics.enable")
    }

    /// `message.max.bytes`.
    pub fn message_max_bytes(&self) -> i32 {
        self.parsed("message.max.bytes")
    }

    /// `offsets.topic.replication.factor`.
    pub fn offsets_topic_replication_factor(&self) -> i16 {
        self.parsed("offsets.topic.replication.factor")
    }

    /// `transaction.state.log.replication.factor`.
    pub fn transaction_state_log_replication_factor(&self) -> i16 {
        self.parsed("transaction.state.log.replication.factor")
    }

    /// `group.initial.rebalance.delay.ms`.
    pub fn group_initial_rebalance_delay_ms(&self) -> i32 {
        self.parsed("group.initial.rebalance.delay.ms")
    }

    /// `group.min.session.timeout.ms`.
    pub fn group_min_session_timeout_ms(&self) -> i32 {
        self.parsed("group.min.session.timeout.ms")
    }

    /// `group.max.session.timeout.ms`.
    pub fn group_max_session_timeout_ms(&self) -> i32 {
        self.parsed("group.max.session.timeout.ms")
    }

    /// `connections.max.reauth.ms` (0: no re-authentication).
    pub fn connections_max_reauth_ms(&self) -> i64 {
        self.parsed("connections.max.reauth.ms")
    }

    /// `sasl.enabled.mechanisms`.
    pub fn sasl_enabled_mechanisms(&self) -> Vec<String> {
        split_list(&self.value("sasl.enabled.mechanisms").unwrap_or_default())
    }

    /// `super.users`, split on `;` (`User:alice;User:bob`).
    pub fn super_users(&self) -> Vec<String> {
        self.value("super.users")
            .map(|v| {
                v.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `allow.everyone.if.no.acl.found`.
    pub fn allow_everyone_if_no_acl_found(&self) -> bool {
        self.flag("allow.everyone.if.no.acl.found")
    }

    /// The default topic retention in ms from `log.retention.ms`, `.minutes` or `.hours`
    /// (the first one set wins; negative means forever, reported as -1).
    pub fn log_retention_ms(&self) -> i64 {
        for syn in broker_synonym_chain("log.retention.ms") {
            if let Some(v) = self.value(&syn.name) {
                if let Ok(n) = scale(&v, syn.factor).parse() {
                    return n;
                }
            }
        }
        604_800_000
    }
}

// ----- helpers ------------------------------------------------------------------------------

fn parse_resource(resource_type: i8, name: &str) -> Result<ConfigResource, ConfigError> {
    let broker_id = |name: &str| {
        name.trim().parse::<i32>().map_err(|_| {
            ConfigError::InvalidRequest(format!("broker name {name:?} is not a broker id"))
        })
    };
    match resource_type {
        resource_type::TOPIC => Ok(ConfigResource::Topic(name.to_owned())),
        resource_type::BROKER if name.is_empty() => Ok(ConfigResource::Broker(None)),
        resource_type::BROKER => Ok(ConfigResource::Broker(Some(broker_id(name)?))),
        resource_type::BROKER_LOGGER => Ok(ConfigResource::BrokerLogger(broker_id(name)?)),
        resource_type::CLIENT_METRICS if name.is_empty() => Err(ConfigError::InvalidRequest(
            "a client-metrics subscription needs a name".into(),
        )),
        resource_type::CLIENT_METRICS => Ok(ConfigResource::ClientMetrics(name.to_owned())),
        other => Err(ConfigError::InvalidRequest(format!(
            "unsupported config resource type {other}"
        ))),
    }
}

/// The source Kafka reports for an entry: that of its first synonym, `DEFAULT_CONFIG` when
/// there is none.
fn kafka_reported_source(synonyms: &[DescribeConfigsSynonym]) -> ConfigSource {
    match synonyms.first().map(|s| s.source) {
        Some(1) => ConfigSource::DynamicTopic,
        Some(2) => ConfigSource::DynamicBroker,
        Some(3) => ConfigSource::DynamicDefaultBroker,
        Some(4) => ConfigSource::StaticBroker,
        _ => ConfigSource::Default,
    }
}

fn describe_raw(resource_type: i8, name: &str) -> String {
    match parse_resource(resource_type, name) {
        Ok(r) => r.to_string(),
        Err(_) => format!("resource {name:?} of type {resource_type}"),
    }
}

fn expect_local(id: i32, local: i32) -> Result<(), ConfigError> {
    if id == local {
        Ok(())
    } else {
        Err(ConfigError::InvalidRequest(format!(
            "unexpected broker id {id}: this is broker {local} (send the request to the broker it names)"
        )))
    }
}

fn duplicate_resources<'a>(
    resources: impl Iterator<Item = (i8, &'a str)>,
) -> BTreeSet<(i8, &'a str)> {
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    for r in resources {
        if !seen.insert(r) {
            duplicates.insert(r);
        }
    }
    duplicates
}

fn topic_def(
    profile: ConfigProfile,
    resource: &ConfigResource,
    key: &str,
) -> Result<TopicConfigDef, ConfigError> {
    profile
        .topic(key)
        .ok_or_else(|| ConfigError::UnknownConfig {
            resource: resource.to_string(),
            key: key.to_owned(),
        })
}

fn broker_def(
    profile: ConfigProfile,
    resource: &ConfigResource,
    key: &str,
) -> Result<BrokerConfigDef, ConfigError> {
    profile
        .broker_or_listener(key)
        .ok_or_else(|| ConfigError::UnknownConfig {
            resource: resource.to_string(),
            key: key.to_owned(),
        })
}

type ClientMetricsDef = (&'static str, ConfigType, &'static str, Valid, &'static str);

fn client_metrics_def(
    resource: &ConfigResource,
    key: &str,
) -> Result<&'static ClientMetricsDef, ConfigError> {
    CLIENT_METRICS_CONFIGS
        .iter()
        .find(|(k, ..)| *k == key)
        .ok_or_else(|| ConfigError::UnknownConfig {
            resource: resource.to_string(),
            key: key.to_owned(),
        })
}

fn check(
    resource: &ConfigResource,
    key: &str,
    ty: ConfigType,
    valid: Valid,
    value: &str,
) -> Result<(), ConfigError> {
    check_value(ty, valid, value).map_err(|reason| ConfigError::InvalidValue {
        resource: resource.to_string(),
        key: key.to_owned(),
        value: value.to_owned(),
        reason,
    })
}

/// Everything that decides whether `key=value` may be stored on `resource`.
fn validate_set(
    profile: ConfigProfile,
    resource: &ConfigResource,
    key: &str,
    value: &str,
) -> Result<(), ConfigError> {
    match resource {
        ConfigResource::Topic(_) => {
            let def = topic_def(profile, resource, key)?;
            check(resource, key, def.ty, def.valid, value)
        }
        ConfigResource::Broker(broker) => {
            let def = broker_def(profile, resource, key)?;
            let listener_override = broker_config_def(key).is_none();
            if !listener_override && LISTENER_ONLY_DYNAMIC_CONFIGS.contains(&key) {
                return Err(ConfigError::InvalidRequest(format!(
                    "{key} can only be updated dynamically per listener, as \
                     listener.name.<listener>.{key} ({resource})"
                )));
            }
            if listener_override
                && broker.is_none()
                && !CLUSTER_LEVEL_LISTENER_CONFIGS.contains(&def.name)
            {
                return Err(ConfigError::PerBrokerOnly {
                    key: key.to_owned(),
                });
            }
            match (def.update, broker) {
                (UpdateMode::ReadOnly, _) => {
                    return Err(ConfigError::ReadOnly {
                        resource: resource.to_string(),
                        key: key.to_owned(),
                    })
                }
                (UpdateMode::PerBroker, None) => {
                    return Err(ConfigError::PerBrokerOnly {
                        key: key.to_owned(),
                    })
                }
                _ => {}
            }
            check_value(def.ty, def.valid, value).map_err(|reason| {
                ConfigError::InvalidBrokerValue {
                    resource: resource.to_string(),
                    key: key.to_owned(),
                    value: value.to_owned(),
                    reason,
                }
            })
        }
        ConfigResource::BrokerLogger(_) => {
            if LOG_LEVELS.contains(&value.trim()) {
                Ok(())
            } else {
                Err(ConfigError::InvalidValue {
                    resource: resource.to_string(),
                    key: key.to_owned(),
                    value: value.to_owned(),
                    reason: format!("log level must be one of [{}]", LOG_LEVELS.join(", ")),
                })
            }
        }
        ConfigResource::ClientMetrics(_) => {
            let &(_, ty, _, valid, _) = client_metrics_def(resource, key)?;
            check(resource, key, ty, valid, value)?;
            if key == "match" {
                for selector in split_list(value) {
                    let ok = selector
                        .split_once('=')
                        .is_some_and(|(k, _)| CLIENT_MATCH_KEYS.contains(&k.trim()));
                    if !ok {
                        return Err(ConfigError::InvalidValue {
                            resource: resource.to_string(),
                            key: key.to_owned(),
                            value: value.to_owned(),
                            reason: format!(
                                "selector {selector:?} must be NAME=pattern with NAME among [{}]",
                                CLIENT_MATCH_KEYS.join(", ")
                            ),
                        });
                    }
                }
            }
            Ok(())
        }
    }
}

/// Converts a broker unit synonym's value to the topic unit (hours -> ms); a negative result
/// means "forever" and becomes -1, as in Kafka.
fn scale(value: &str, factor: i64) -> String {
    if factor == 1 {
        return value.to_owned();
    }
    match value.trim().parse::<i64>() {
        Ok(v) if v < 0 => "-1".to_owned(),
        Ok(v) => v.saturating_mul(factor).to_string(),
        Err(_) => value.to_owned(),
    }
}

fn synonym(
    name: &str,
    value: Option<&str>,
    source: ConfigSource,
    sensitive: bool,
) -> DescribeConfigsSynonym {
    DescribeConfigsSynonym::default()
        .with_name(name.to_owned())
        .with_value(if sensitive {
            None
        } else {
            value.map(str::to_owned)
        })
        .with_source(source.wire())
}

#[allow(clippy::too_many_arguments)]
fn entry(
    options: DescribeOptions,
    name: &str,
    value: Option<String>,
    source: ConfigSource,
    read_only: bool,
    ty: ConfigType,
    synonyms: Vec<DescribeConfigsSynonym>,
    doc: &str,
) -> DescribeConfigsResourceResult {
    let sensitive = ty.is_sensitive();
    let mut e = DescribeConfigsResourceResult::default()
        .with_name(name.to_owned())
        .with_value(if sensitive { None } else { value })
        .with_read_only(read_only)
        .with_is_sensitive(sensitive);
    if options.version == 0 {
        e.is_default = source == ConfigSource::Default;
    } else {
        e.config_source = source.wire();
    }
    if options.synonyms {
        e.synonyms = synonyms;
    }
    if options.version >= 3 {
        e.config_type = ty.wire();
    }
    // The generated default is an empty string; Kafka sends null unless asked.
    e.documentation = options.documentation.then(|| doc.to_owned());
    e
}

//! Configuration and client quotas for the in-process broker, as sans-IO state the cluster
//! actor calls: DescribeConfigs (v0-4, KIP-226 synonyms and sources), AlterConfigs (v0-2),
//! IncrementalAlterConfigs (v0-1, KIP-339), the CreateTopics config check,
//! DescribeClientQuotas and AlterClientQuotas (v0-1, KIP-546), and a throttle hook for
//! KIP-219 tests.
//!
//! - [`defs`]: the schema: known topic and broker configs, types, defaults, rules.
//! - [`store`]: [`ConfigStore`], the overrides per resource, the config API handlers and the
//!   resolved views ([`TopicConfig`], [`BrokerView`]).
//! - [`quotas`]: [`QuotaStore`], client quotas (stored and described, not enforced) and
//!   injected throttle times.
//!
//! # How the actor uses this
//!
//! State: one [`ConfigStore`] (built with [`ConfigStore::from_broker_properties`] from the
//! cluster's static broker properties, or [`ConfigStore::from_broker_properties_for`] with
//! [`ConfigProfile::Kafka4`] when the broker imitates Kafka 4.0) and one [`QuotaStore`] for
//! the cluster. Broker-wide settings the actor keeps today (`num.partitions`,
//! `default.replication.factor`, `auto.create.topics.enable`) can come from
//! [`ConfigStore::broker_config`] so DescribeConfigs and the actor agree.
//!
//! - CreateTopics: `store.validate_creatable_topic(&topic)` -> `Err(e)`: answer `e.code()`
//!   with `e.to_string()` as the message; `Ok(overrides)`: create the topic (unless
//!   validate-only), then `store.create_topic(name, overrides)`. For v5+ responses,
//!   `store.created_topic_configs(&overrides)` gives the `configs` list.
//! - DeleteTopics: `store.delete_topic(name)`.
//! - DescribeConfigs / AlterConfigs / IncrementalAlterConfigs:
//!   `store.describe_configs(&req, version, local_broker_id, |t| topics.contains(t))`,
//!   `store.alter_configs(&req, version, exists)`,
//!   `store.incremental_alter_configs(&req, version, exists)`; the answers are complete
//!   responses (throttle time 0).
//! - Produce/Fetch/retention: `store.topic_config(name)` gives typed getters
//!   (`max_message_bytes()`, `message_timestamp_type()`, `timestamp_bounds()`,
//!   `retention_ms()`, `retention_bytes()`, `cleanup_policy()`, ...), resolved override ->
//!   broker default -> built-in default.
//! - Broker settings: `store.broker_config(id)` (`num_partitions()`,
//!   `default_replication_factor()`, `auto_create_topics_enable()`, ...).
//! - DescribeClientQuotas / AlterClientQuotas: `quotas.describe(&req)`, `quotas.alter(&req)`.
//! - Produce/Fetch (and any API): `quotas.throttle_for(client_id, api)` gives a throttle time
//!   tests injected with [`QuotaStore::set_throttle`]; put it in `throttle_time_ms`.
//! - Test control: [`ConfigStore::set_topic_config`], [`ConfigStore::set_dynamic_broker_config`],
//!   [`QuotaStore::set_throttle`] / [`QuotaStore::clear_throttle`].
//!
//! # Not modelled
//!
//! - Quotas are never enforced, only stored, described and looked up with
//!   [`QuotaStore::effective_quota`].
//! - Nothing reacts to a config change except through the getters: no log roll, no cleaner,
//!   no listener reload. Listener overrides (`listener.name.<l>.<config>`) are stored,
//!   validated and described, but nothing reads them.
//! - Configs are not persisted.
//! - Group configs (resource type 32, KIP-848) are refused as an unsupported resource type.
//! - Broker configs beyond the table in [`defs`] are unknown and rejected (Kafka accepts
//!   unknown names for plugins).
//! - Alter/create config policies (`alter.config.policy.class.name`) and authorization.

pub mod defs;
pub mod quotas;
pub mod store;
#[cfg(test)]
mod tests;

pub use defs::{BrokerConfigDef, ConfigProfile, ConfigType, TopicConfigDef, UpdateMode, Valid};
pub use quotas::{QuotaEntity, QuotaError, QuotaStore};
pub use store::{
    BrokerView, CleanupPolicy, CompressionType, ConfigError, ConfigResource, ConfigSource,
    ConfigStore, TimestampType, TopicConfig,
};

/// The Kafka error codes this module answers with, as the `i16` the generated messages carry.
pub mod codes {
    use kafka_protocol::ErrorCode;

    /// No error.
    pub const NONE: i16 = 0;
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = ErrorCode::UnknownTopicOrPartition.code();
    /// `INVALID_CONFIG`.
    pub const INVALID_CONFIG: i16 = ErrorCode::InvalidConfig.code();
    /// `INVALID_REQUEST`.
    pub const INVALID_REQUEST: i16 = ErrorCode::InvalidRequest.code();
    /// `UNSUPPORTED_VERSION`.
    pub const UNSUPPORTED_VERSION: i16 = ErrorCode::UnsupportedVersion.code();
}

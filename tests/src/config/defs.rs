//! The configuration schema: every topic config and the broker configs the in-process broker
//! knows, with Kafka's names, types, defaults, valid values, broker update modes and one-line
//! documentation written for this crate.
//!
//! Names and defaults follow Apache Kafka 3.7-3.9 (`TopicConfig`, `LogConfig`, `KafkaConfig`,
//! `ServerLogConfigs`). Where Kafka 4.0 changed something, the entry says so in a comment; the
//! 3.x value is the one modelled because the SDK's clients are tested against 3.x brokers too.
//!
//! Values are validated the way Kafka's `ConfigDef` does it: the value is trimmed, parsed as
//! its type (booleans case-insensitively, lists split on `,` with each element trimmed), then
//! checked against the entry's [`Valid`] rule.

/// A config's data type, numbered as DescribeConfigs v3+ `ConfigType` carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigType {
    /// `BOOLEAN` (1): `true` or `false`, case-insensitive.
    Boolean,
    /// `STRING` (2).
    String,
    /// `INT` (3): a 32-bit signed integer.
    Int,
    /// `SHORT` (4): a 16-bit signed integer.
    Short,
    /// `LONG` (5): a 64-bit signed integer.
    Long,
    /// `DOUBLE` (6).
    Double,
    /// `LIST` (7): comma-separated strings.
    List,
    /// `CLASS` (8): a Java class name (stored, never loaded).
    Class,
    /// `PASSWORD` (9): sensitive; DescribeConfigs never shows the value.
    Password,
}

impl ConfigType {
    /// The `ConfigType` number on the wire.
    pub const fn wire(self) -> i8 {
        match self {
            ConfigType::Boolean => 1,
            ConfigType::String => 2,
            ConfigType::Int => 3,
            ConfigType::Short => 4,
            ConfigType::Long => 5,
            ConfigType::Double => 6,
            ConfigType::List => 7,
            ConfigType::Class => 8,
            ConfigType::Password => 9,
        }
    }

    /// Kafka's name for the type (`BOOLEAN`, `LONG`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }

    /// Whether values of this type are hidden from DescribeConfigs (Kafka treats passwords as
    /// sensitive).
    pub const fn is_sensitive(self) -> bool {
        matches!(self, ConfigType::Password)
    }
}

/// The rule a parsed value must satisfy, after the type check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Valid {
    /// Any value of the type.
    Any,
    /// An integer at least this large.
    AtLeast(i64),
    /// An integer in this inclusive range.
    Between(i64, i64),
    /// An integer in this inclusive range, or exactly the extra value (`compression.gzip.level`).
    BetweenOr(i64, i64, i64),
    /// A double in this inclusive range.
    DoubleBetween(f64, f64),
    /// A string equal (case-sensitively) to one of these.
    OneOf(&'static [&'static str]),
    /// A string equal to one of these, ignoring ASCII case.
    OneOfIgnoreCase(&'static [&'static str]),
    /// A list every element of which is one of these.
    ListOf(&'static [&'static str]),
    /// A throttled-replicas list: `*`, empty, or `partition:broker` pairs.
    ThrottledReplicas,
    /// A metadata version such as `2.8`, `3.0-IV1` or `0.10.2` (`message.format.version`).
    MetadataVersion,
}

/// When a broker config may change (Kafka's "Update Mode" column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateMode {
    /// Only in the broker's static properties; DescribeConfigs reports it read-only.
    ReadOnly,
    /// Dynamically per broker (resource name = broker id), not cluster-wide.
    PerBroker,
    /// Dynamically per broker or as the cluster-wide default (empty resource name).
    ClusterWide,
}

/// One known topic config.
#[derive(Clone, Copy, Debug)]
pub struct TopicConfigDef {
    /// The Kafka name, e.g. `retention.ms`.
    pub name: &'static str,
    /// Its type.
    pub ty: ConfigType,
    /// The value used when neither the topic nor any broker property sets it (`None`: null).
    pub default: Option<&'static str>,
    /// The value rule.
    pub valid: Valid,
    /// The broker property that supplies the cluster default ("Server Default Property"),
    /// whose synonyms [`broker_synonym_chain`] lists.
    pub server_default: Option<&'static str>,
    /// One line of documentation.
    pub doc: &'static str,
}

/// One known broker config.
#[derive(Clone, Copy, Debug)]
pub struct BrokerConfigDef {
    /// The Kafka name, e.g. `log.retention.hours`.
    pub name: &'static str,
    /// Its type.
    pub ty: ConfigType,
    /// The built-in default (`None`: null, i.e. unset).
    pub default: Option<&'static str>,
    /// The value rule.
    pub valid: Valid,
    /// Whether and how it can change at run time.
    pub update: UpdateMode,
    /// One line of documentation.
    pub doc: &'static str,
}

const LONG_MAX: &str = "9223372036854775807";
const INT_MAX: &str = "2147483647";
/// `LegacyRecord.RECORD_OVERHEAD_V0`, Kafka 3.x's minimum `segment.bytes`. Kafka 4.0 raised
/// the minimum to 1 MiB.
const MIN_SEGMENT_BYTES: i64 = 14;

const CLEANUP_POLICIES: &[&str] = &["compact", "delete"];
const COMPRESSION_TYPES: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];
const TIMESTAMP_TYPES: &[&str] = &["CreateTime", "LogAppendTime"];

/// Every topic config, in Kafka's alphabetical order.
#[rustfmt::skip]
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    TopicConfigDef { name: "cleanup.policy", ty: ConfigType::List, default: Some("delete"), valid: Valid::ListOf(CLEANUP_POLICIES), server_default: Some("log.cleanup.policy"), doc: "How old segments are cleaned: delete them after retention, compact them by key, or both." },
    TopicConfigDef { name: "compression.gzip.level", ty: ConfigType::Int, default: Some("-1"), valid: Valid::BetweenOr(1, 9, -1), server_default: Some("compression.gzip.level"), doc: "The gzip level used when the topic recompresses with gzip (-1: the codec's default). Kafka 3.8+ (KIP-390)." },
    TopicConfigDef { name: "compression.lz4.level", ty: ConfigType::Int, default: Some("9"), valid: Valid::Between(1, 17), server_default: Some("compression.lz4.level"), doc: "The lz4 level used when the topic recompresses with lz4. Kafka 3.8+ (KIP-390)." },
    TopicConfigDef { name: "compression.type", ty: ConfigType::String, default: Some("producer"), valid: Valid::OneOf(COMPRESSION_TYPES), server_default: Some("compression.type"), doc: "The codec batches are stored with; `producer` keeps whatever the producer used, `uncompressed` stores them plain." },
    TopicConfigDef { name: "compression.zstd.level", ty: ConfigType::Int, default: Some("3"), valid: Valid::Between(-131_072, 22), server_default: Some("compression.zstd.level"), doc: "The zstd level used when the topic recompresses with zstd. Kafka 3.8+ (KIP-390)." },
    TopicConfigDef { name: "delete.retention.ms", ty: ConfigType::Long, default: Some("86400000"), valid: Valid::AtLeast(0), server_default: Some("log.cleaner.delete.retention.ms"), doc: "How long tombstones survive on a compacted topic, so slow readers still see the deletion." },
    TopicConfigDef { name: "file.delete.delay.ms", ty: ConfigType::Long, default: Some("60000"), valid: Valid::AtLeast(0), server_default: Some("log.segment.delete.delay.ms"), doc: "How long a removed segment file lingers before it is deleted from disk." },
    TopicConfigDef { name: "flush.messages", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(1), server_default: Some("log.flush.interval.messages"), doc: "Force an fsync after this many messages (the default leaves flushing to the OS)." },
    TopicConfigDef { name: "flush.ms", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), server_default: Some("log.flush.interval.ms"), doc: "Force an fsync when data has been unflushed this long (the default leaves flushing to the OS)." },
    TopicConfigDef { name: "follower.replication.throttled.replicas", ty: ConfigType::List, default: Some(""), valid: Valid::ThrottledReplicas, server_default: None, doc: "Replicas (`partition:broker` pairs, or `*`) whose follower-side replication is throttled." },
    TopicConfigDef { name: "index.interval.bytes", ty: ConfigType::Int, default: Some("4096"), valid: Valid::AtLeast(0), server_default: Some("log.index.interval.bytes"), doc: "How many log bytes pass between two entries of the offset index." },
    TopicConfigDef { name: "leader.replication.throttled.replicas", ty: ConfigType::List, default: Some(""), valid: Valid::ThrottledReplicas, server_default: None, doc: "Replicas (`partition:broker` pairs, or `*`) whose leader-side replication is throttled." },
    TopicConfigDef { name: "local.retention.bytes", ty: ConfigType::Long, default: Some("-2"), valid: Valid::AtLeast(-2), server_default: Some("log.local.retention.bytes"), doc: "With tiered storage, the most bytes kept on local disk per partition (-2: same as retention.bytes)." },
    TopicConfigDef { name: "local.retention.ms", ty: ConfigType::Long, default: Some("-2"), valid: Valid::AtLeast(-2), server_default: Some("log.local.retention.ms"), doc: "With tiered storage, how long segments stay on local disk (-2: same as retention.ms)." },
    TopicConfigDef { name: "max.compaction.lag.ms", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(1), server_default: Some("log.cleaner.max.compaction.lag.ms"), doc: "The longest a record may wait before it becomes eligible for compaction." },
    TopicConfigDef { name: "max.message.bytes", ty: ConfigType::Int, default: Some("1048588"), valid: Valid::AtLeast(0), server_default: Some("message.max.bytes"), doc: "The largest record batch (after compression) the topic accepts." },
    // Removed in Kafka 4.0 together with message format v0/v1.
    TopicConfigDef { name: "message.downconversion.enable", ty: ConfigType::Boolean, default: Some("true"), valid: Valid::Any, server_default: Some("log.message.downconversion.enable"), doc: "Whether the broker converts batches to an older format for old fetch versions. Kafka 3.x only." },
    // Deprecated since 3.0 and ignored for inter-broker protocol 3.0+; removed in 4.0.
    TopicConfigDef { name: "message.format.version", ty: ConfigType::String, default: Some("3.0-IV1"), valid: Valid::MetadataVersion, server_default: Some("log.message.format.version"), doc: "The on-disk message format version; ignored since Kafka 3.0. Kafka 3.x only." },
    // Kafka 3.6+ (KIP-937). Kafka 4.0 changed the default to 3600000 (one hour).
    TopicConfigDef { name: "message.timestamp.after.max.ms", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), server_default: Some("log.message.timestamp.after.max.ms"), doc: "With CreateTime, how far in the future of the broker clock a batch timestamp may lie." },
    // Kafka 3.6+ (KIP-937).
    TopicConfigDef { name: "message.timestamp.before.max.ms", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), server_default: Some("log.message.timestamp.before.max.ms"), doc: "With CreateTime, how far in the past of the broker clock a batch timestamp may lie." },
    // Deprecated by KIP-937 in 3.6, removed in 4.0.
    TopicConfigDef { name: "message.timestamp.difference.max.ms", ty: ConfigType::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), server_default: Some("log.message.timestamp.difference.max.ms"), doc: "With CreateTime, the largest allowed gap between a batch timestamp and the broker clock. Deprecated." },
    TopicConfigDef { name: "message.timestamp.type", ty: ConfigType::String, default: Some("CreateTime"), valid: Valid::OneOf(TIMESTAMP_TYPES), server_default: Some("log.message.timestamp.type"), doc: "Whether records keep the producer's timestamp (CreateTime) or get the append time (LogAppendTime)." },
    TopicConfigDef { name: "min.cleanable.dirty.ratio", ty: ConfigType::Double, default: Some("0.5"), valid: Valid::DoubleBetween(0.0, 1.0), server_default: Some("log.cleaner.min.cleanable.ratio"), doc: "The share of uncompacted log that makes a partition worth compacting." },
    TopicConfigDef { name: "min.compaction.lag.ms", ty: ConfigType::Long, default: Some("0"), valid: Valid::AtLeast(0), server_default: Some("log.cleaner.min.compaction.lag.ms"), doc: "The shortest time a record stays uncompacted." },
    TopicConfigDef { name: "min.insync.replicas", ty: ConfigType::Int, default: Some("1"), valid: Valid::AtLeast(1), server_default: Some("min.insync.replicas"), doc: "How many in-sync replicas an acks=all produce needs to succeed." },
    TopicConfigDef { name: "preallocate", ty: ConfigType::Boolean, default: Some("false"), valid: Valid::Any, server_default: Some("log.preallocate"), doc: "Whether new segment files are allocated at full size up front." },
    // Tiered storage (KIP-405), Kafka 3.6+. Has no broker default property.
    TopicConfigDef { name: "remote.storage.enable", ty: ConfigType::Boolean, default: Some("false"), valid: Valid::Any, server_default: None, doc: "Whether the topic offloads old segments to remote (tiered) storage." },
    TopicConfigDef { name: "retention.bytes", ty: ConfigType::Long, default: Some("-1"), valid: Valid::Any, server_default: Some("log.retention.bytes"), doc: "The most bytes a partition keeps before old segments are deleted (-1: no size limit)." },
    TopicConfigDef { name: "retention.ms", ty: ConfigType::Long, default: Some("604800000"), valid: Valid::AtLeast(-1), server_default: Some("log.retention.ms"), doc: "How long records are kept before their segment may be deleted (-1: forever)." },
    TopicConfigDef { name: "segment.bytes", ty: ConfigType::Int, default: Some("1073741824"), valid: Valid::AtLeast(MIN_SEGMENT_BYTES), server_default: Some("log.segment.bytes"), doc: "The size at which a new log segment is started." },
    TopicConfigDef { name: "segment.index.bytes", ty: ConfigType::Int, default: Some("10485760"), valid: Valid::AtLeast(4), server_default: Some("log.index.size.max.bytes"), doc: "The size of a segment's offset index file." },
    TopicConfigDef { name: "segment.jitter.ms", ty: ConfigType::Long, default: Some("0"), valid: Valid::AtLeast(0), server_default: Some("log.roll.jitter.ms"), doc: "A random amount subtracted from segment.ms so segments do not all roll at once." },
    TopicConfigDef { name: "segment.ms", ty: ConfigType::Long, default: Some("604800000"), valid: Valid::AtLeast(1), server_default: Some("log.roll.ms"), doc: "The age at which a new log segment is started even if the current one is not full." },
    TopicConfigDef { name: "unclean.leader.election.enable", ty: ConfigType::Boolean, default: Some("false"), valid: Valid::Any, server_default: Some("unclean.leader.election.enable"), doc: "Whether an out-of-sync replica may become leader, trading data loss for availability." },
];

use ConfigType as T;
use UpdateMode::{ClusterWide as Cluster, PerBroker, ReadOnly};

/// The broker configs this broker knows: the common ones and every server default property of
/// a topic config. Kafka has several hundred; the rest are not modelled.
///
/// Update modes follow Kafka's `DynamicBrokerConfig`: the server defaults of topic configs
/// (primary names only, so `log.retention.hours` is read-only but `log.retention.ms` is not),
/// thread pools and connection limits are cluster-wide; listener, SSL and SASL settings are
/// per broker. Listener overrides (`listener.name.<l>.<config>`) are accepted wherever the
/// base config is known; the TLS store settings change at run time only that way, as in
/// Kafka (see [`listener_base`]).
/// `advertised.listeners` is per-broker as in Kafka 3.x (4.0 made it read-only: see
/// [`ConfigProfile::Kafka4`]).
#[rustfmt::skip]
pub static BROKER_CONFIGS: &[BrokerConfigDef] = &[
    // Identity and roles.
    BrokerConfigDef { name: "broker.id", ty: T::Int, default: Some("-1"), valid: Valid::Any, update: ReadOnly, doc: "This broker's id (ZooKeeper-era name of node.id)." },
    BrokerConfigDef { name: "node.id", ty: T::Int, default: Some("-1"), valid: Valid::Any, update: ReadOnly, doc: "This node's id in a KRaft cluster." },
    BrokerConfigDef { name: "process.roles", ty: T::List, default: Some(""), valid: Valid::ListOf(&["broker", "controller"]), update: ReadOnly, doc: "The KRaft roles this node plays: broker, controller or both." },
    BrokerConfigDef { name: "broker.rack", ty: T::String, default: None, valid: Valid::Any, update: ReadOnly, doc: "The rack the broker is in, used for rack-aware replica placement and fetching." },
    BrokerConfigDef { name: "listeners", ty: T::String, default: Some("PLAINTEXT://:9092"), valid: Valid::Any, update: PerBroker, doc: "The addresses the broker listens on, as NAME://host:port entries." },
    BrokerConfigDef { name: "advertised.listeners", ty: T::String, default: None, valid: Valid::Any, update: PerBroker, doc: "The addresses the broker tells clients to use, when they differ from listeners." },
    BrokerConfigDef { name: "inter.broker.listener.name", ty: T::String, default: None, valid: Valid::Any, update: ReadOnly, doc: "The listener brokers use to talk to each other." },
    BrokerConfigDef { name: "log.dirs", ty: T::String, default: None, valid: Valid::Any, update: ReadOnly, doc: "The directories partition logs are kept in (overrides log.dir)." },
    BrokerConfigDef { name: "log.dir", ty: T::String, default: Some("/tmp/kafka-logs"), valid: Valid::Any, update: ReadOnly, doc: "The directory partition logs are kept in when log.dirs is unset." },
    // Topic creation.
    BrokerConfigDef { name: "num.partitions", ty: T::Int, default: Some("1"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Partitions of a topic created without an explicit count." },
    BrokerConfigDef { name: "default.replication.factor", ty: T::Int, default: Some("1"), valid: Valid::Any, update: ReadOnly, doc: "Replication factor of a topic created without an explicit one." },
    BrokerConfigDef { name: "auto.create.topics.enable", ty: T::Boolean, default: Some("true"), valid: Valid::Any, update: ReadOnly, doc: "Whether Metadata for an unknown topic creates it." },
    BrokerConfigDef { name: "delete.topic.enable", ty: T::Boolean, default: Some("true"), valid: Valid::Any, update: ReadOnly, doc: "Whether DeleteTopics is allowed." },
    BrokerConfigDef { name: "auto.leader.rebalance.enable", ty: T::Boolean, default: Some("true"), valid: Valid::Any, update: ReadOnly, doc: "Whether leadership periodically moves back to preferred replicas." },
    // Internal topics.
    BrokerConfigDef { name: "offsets.topic.replication.factor", ty: T::Short, default: Some("3"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Replication factor of __consumer_offsets." },
    BrokerConfigDef { name: "offsets.topic.num.partitions", ty: T::Int, default: Some("50"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Partitions of __consumer_offsets." },
    BrokerConfigDef { name: "offsets.retention.minutes", ty: T::Int, default: Some("10080"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "How long committed offsets of an empty group are kept." },
    BrokerConfigDef { name: "transaction.state.log.replication.factor", ty: T::Short, default: Some("3"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Replication factor of __transaction_state." },
    BrokerConfigDef { name: "transaction.state.log.num.partitions", ty: T::Int, default: Some("50"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Partitions of __transaction_state." },
    BrokerConfigDef { name: "transaction.state.log.min.isr", ty: T::Int, default: Some("2"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "min.insync.replicas of __transaction_state." },
    BrokerConfigDef { name: "transaction.max.timeout.ms", ty: T::Int, default: Some("900000"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "The longest transaction timeout a producer may ask for." },
    BrokerConfigDef { name: "transactional.id.expiration.ms", ty: T::Int, default: Some("604800000"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "How long an idle transactional id is remembered." },
    BrokerConfigDef { name: "transaction.partition.verification.enable", ty: T::Boolean, default: Some("true"), valid: Valid::Any, update: Cluster, doc: "Whether transactional produce is checked against the partitions the transaction added (KIP-890)." },
    BrokerConfigDef { name: "producer.id.expiration.ms", ty: T::Int, default: Some("86400000"), valid: Valid::AtLeast(1), update: Cluster, doc: "How long a partition remembers an idle producer id's state." },
    // Consumer groups.
    BrokerConfigDef { name: "group.initial.rebalance.delay.ms", ty: T::Int, default: Some("3000"), valid: Valid::Any, update: ReadOnly, doc: "How long a new group waits for more members before its first rebalance." },
    BrokerConfigDef { name: "group.min.session.timeout.ms", ty: T::Int, default: Some("6000"), valid: Valid::Any, update: ReadOnly, doc: "The shortest session timeout a group member may ask for." },
    BrokerConfigDef { name: "group.max.session.timeout.ms", ty: T::Int, default: Some("1800000"), valid: Valid::Any, update: ReadOnly, doc: "The longest session timeout a group member may ask for." },
    BrokerConfigDef { name: "group.max.size", ty: T::Int, default: Some(INT_MAX), valid: Valid::AtLeast(1), update: ReadOnly, doc: "The most members one group may have." },
    // Server defaults of topic configs (all dynamic cluster-wide, as in Kafka).
    BrokerConfigDef { name: "log.cleanup.policy", ty: T::List, default: Some("delete"), valid: Valid::ListOf(CLEANUP_POLICIES), update: Cluster, doc: "Default cleanup.policy of topics." },
    BrokerConfigDef { name: "compression.type", ty: T::String, default: Some("producer"), valid: Valid::OneOf(COMPRESSION_TYPES), update: Cluster, doc: "Default compression.type of topics." },
    BrokerConfigDef { name: "compression.gzip.level", ty: T::Int, default: Some("-1"), valid: Valid::BetweenOr(1, 9, -1), update: Cluster, doc: "Default compression.gzip.level of topics (Kafka 3.8+)." },
    BrokerConfigDef { name: "compression.lz4.level", ty: T::Int, default: Some("9"), valid: Valid::Between(1, 17), update: Cluster, doc: "Default compression.lz4.level of topics (Kafka 3.8+)." },
    BrokerConfigDef { name: "compression.zstd.level", ty: T::Int, default: Some("3"), valid: Valid::Between(-131_072, 22), update: Cluster, doc: "Default compression.zstd.level of topics (Kafka 3.8+)." },
    BrokerConfigDef { name: "log.cleaner.delete.retention.ms", ty: T::Long, default: Some("86400000"), valid: Valid::AtLeast(0), update: Cluster, doc: "Default delete.retention.ms of topics." },
    BrokerConfigDef { name: "log.segment.delete.delay.ms", ty: T::Long, default: Some("60000"), valid: Valid::AtLeast(0), update: Cluster, doc: "Default file.delete.delay.ms of topics." },
    BrokerConfigDef { name: "log.flush.interval.messages", ty: T::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(1), update: Cluster, doc: "Default flush.messages of topics." },
    BrokerConfigDef { name: "log.flush.interval.ms", ty: T::Long, default: None, valid: Valid::Any, update: Cluster, doc: "Default flush.ms of topics; unset means log.flush.scheduler.interval.ms applies." },
    BrokerConfigDef { name: "log.flush.scheduler.interval.ms", ty: T::Long, default: Some(LONG_MAX), valid: Valid::Any, update: ReadOnly, doc: "How often the flusher checks whether logs need an fsync; the fallback of log.flush.interval.ms." },
    BrokerConfigDef { name: "log.index.interval.bytes", ty: T::Int, default: Some("4096"), valid: Valid::AtLeast(0), update: Cluster, doc: "Default index.interval.bytes of topics." },
    BrokerConfigDef { name: "log.local.retention.bytes", ty: T::Long, default: Some("-2"), valid: Valid::AtLeast(-2), update: Cluster, doc: "Default local.retention.bytes of topics." },
    BrokerConfigDef { name: "log.local.retention.ms", ty: T::Long, default: Some("-2"), valid: Valid::AtLeast(-2), update: Cluster, doc: "Default local.retention.ms of topics." },
    BrokerConfigDef { name: "log.cleaner.max.compaction.lag.ms", ty: T::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(1), update: Cluster, doc: "Default max.compaction.lag.ms of topics." },
    BrokerConfigDef { name: "message.max.bytes", ty: T::Int, default: Some("1048588"), valid: Valid::AtLeast(0), update: Cluster, doc: "Default max.message.bytes of topics." },
    BrokerConfigDef { name: "log.message.downconversion.enable", ty: T::Boolean, default: Some("true"), valid: Valid::Any, update: Cluster, doc: "Default message.downconversion.enable of topics (Kafka 3.x only)." },
    BrokerConfigDef { name: "log.message.format.version", ty: T::String, default: Some("3.0-IV1"), valid: Valid::MetadataVersion, update: ReadOnly, doc: "Default message.format.version of topics (Kafka 3.x only, ignored)." },
    BrokerConfigDef { name: "log.message.timestamp.after.max.ms", ty: T::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "Default message.timestamp.after.max.ms of topics (Kafka 3.6+)." },
    BrokerConfigDef { name: "log.message.timestamp.before.max.ms", ty: T::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "Default message.timestamp.before.max.ms of topics (Kafka 3.6+)." },
    BrokerConfigDef { name: "log.message.timestamp.difference.max.ms", ty: T::Long, default: Some(LONG_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "Default message.timestamp.difference.max.ms of topics (deprecated)." },
    BrokerConfigDef { name: "log.message.timestamp.type", ty: T::String, default: Some("CreateTime"), valid: Valid::OneOf(TIMESTAMP_TYPES), update: Cluster, doc: "Default message.timestamp.type of topics." },
    BrokerConfigDef { name: "log.cleaner.min.cleanable.ratio", ty: T::Double, default: Some("0.5"), valid: Valid::DoubleBetween(0.0, 1.0), update: Cluster, doc: "Default min.cleanable.dirty.ratio of topics." },
    BrokerConfigDef { name: "log.cleaner.min.compaction.lag.ms", ty: T::Long, default: Some("0"), valid: Valid::AtLeast(0), update: Cluster, doc: "Default min.compaction.lag.ms of topics." },
    BrokerConfigDef { name: "min.insync.replicas", ty: T::Int, default: Some("1"), valid: Valid::AtLeast(1), update: Cluster, doc: "Default min.insync.replicas of topics." },
    BrokerConfigDef { name: "log.preallocate", ty: T::Boolean, default: Some("false"), valid: Valid::Any, update: Cluster, doc: "Default preallocate of topics." },
    BrokerConfigDef { name: "log.retention.bytes", ty: T::Long, default: Some("-1"), valid: Valid::Any, update: Cluster, doc: "Default retention.bytes of topics." },
    BrokerConfigDef { name: "log.retention.ms", ty: T::Long, default: None, valid: Valid::Any, update: Cluster, doc: "Default retention.ms of topics; wins over log.retention.minutes and log.retention.hours." },
    BrokerConfigDef { name: "log.retention.minutes", ty: T::Int, default: None, valid: Valid::Any, update: ReadOnly, doc: "Default topic retention in minutes; wins over log.retention.hours." },
    BrokerConfigDef { name: "log.retention.hours", ty: T::Int, default: Some("168"), valid: Valid::Any, update: ReadOnly, doc: "Default topic retention in hours, the lowest-priority of the three retention settings." },
    BrokerConfigDef { name: "log.segment.bytes", ty: T::Int, default: Some("1073741824"), valid: Valid::AtLeast(MIN_SEGMENT_BYTES), update: Cluster, doc: "Default segment.bytes of topics." },
    BrokerConfigDef { name: "log.index.size.max.bytes", ty: T::Int, default: Some("10485760"), valid: Valid::AtLeast(4), update: Cluster, doc: "Default segment.index.bytes of topics." },
    BrokerConfigDef { name: "log.roll.jitter.ms", ty: T::Long, default: None, valid: Valid::Any, update: Cluster, doc: "Default segment.jitter.ms of topics; wins over log.roll.jitter.hours." },
    BrokerConfigDef { name: "log.roll.jitter.hours", ty: T::Int, default: Some("0"), valid: Valid::AtLeast(0), update: ReadOnly, doc: "Default topic segment jitter in hours." },
    BrokerConfigDef { name: "log.roll.ms", ty: T::Long, default: None, valid: Valid::Any, update: Cluster, doc: "Default segment.ms of topics; wins over log.roll.hours." },
    BrokerConfigDef { name: "log.roll.hours", ty: T::Int, default: Some("168"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Default topic segment age limit in hours." },
    BrokerConfigDef { name: "unclean.leader.election.enable", ty: T::Boolean, default: Some("false"), valid: Valid::Any, update: Cluster, doc: "Default unclean.leader.election.enable of topics." },
    BrokerConfigDef { name: "remote.log.storage.system.enable", ty: T::Boolean, default: Some("false"), valid: Valid::Any, update: ReadOnly, doc: "Whether the broker supports tiered storage at all (KIP-405)." },
    BrokerConfigDef { name: "log.cleaner.threads", ty: T::Int, default: Some("1"), valid: Valid::AtLeast(0), update: Cluster, doc: "Threads compacting logs." },
    // Network, threads, limits.
    BrokerConfigDef { name: "num.network.threads", ty: T::Int, default: Some("3"), valid: Valid::AtLeast(1), update: Cluster, doc: "Threads reading requests from and writing responses to sockets." },
    BrokerConfigDef { name: "num.io.threads", ty: T::Int, default: Some("8"), valid: Valid::AtLeast(1), update: Cluster, doc: "Threads handling requests." },
    BrokerConfigDef { name: "num.replica.fetchers", ty: T::Int, default: Some("1"), valid: Valid::Any, update: Cluster, doc: "Fetcher threads per source broker for replication." },
    BrokerConfigDef { name: "background.threads", ty: T::Int, default: Some("10"), valid: Valid::AtLeast(1), update: Cluster, doc: "Threads for background housekeeping." },
    BrokerConfigDef { name: "queued.max.requests", ty: T::Int, default: Some("500"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Requests that may wait for a handler thread before reading stops." },
    BrokerConfigDef { name: "socket.request.max.bytes", ty: T::Int, default: Some("104857600"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "The largest request frame the broker reads." },
    BrokerConfigDef { name: "fetch.max.bytes", ty: T::Int, default: Some("57671680"), valid: Valid::AtLeast(1024), update: ReadOnly, doc: "The most bytes one Fetch response carries." },
    BrokerConfigDef { name: "replica.lag.time.max.ms", ty: T::Long, default: Some("30000"), valid: Valid::Any, update: ReadOnly, doc: "How long a follower may lag before it drops out of the ISR." },
    BrokerConfigDef { name: "connections.max.idle.ms", ty: T::Long, default: Some("600000"), valid: Valid::Any, update: ReadOnly, doc: "Idle connections are closed after this long." },
    BrokerConfigDef { name: "max.connections", ty: T::Int, default: Some(INT_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "The most connections the broker accepts." },
    BrokerConfigDef { name: "max.connections.per.ip", ty: T::Int, default: Some(INT_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "The most connections one IP address may open." },
    BrokerConfigDef { name: "max.connection.creation.rate", ty: T::Int, default: Some(INT_MAX), valid: Valid::AtLeast(0), update: Cluster, doc: "The most new connections per second the broker accepts." },
    BrokerConfigDef { name: "metric.reporters", ty: T::List, default: Some(""), valid: Valid::Any, update: Cluster, doc: "Classes that receive the broker's metrics." },
    BrokerConfigDef { name: "quota.window.num", ty: T::Int, default: Some("11"), valid: Valid::AtLeast(1), update: ReadOnly, doc: "Samples kept in memory for client quota rates." },
    // Security.
    BrokerConfigDef { name: "connections.max.reauth.ms", ty: T::Long, default: Some("0"), valid: Valid::Any, update: ReadOnly, doc: "How long a SASL session lives before the client must re-authenticate (0: forever; KIP-368)." },
    BrokerConfigDef { name: "sasl.enabled.mechanisms", ty: T::List, default: Some("GSSAPI"), valid: Valid::Any, update: PerBroker, doc: "The SASL mechanisms clients may authenticate with." },
    BrokerConfigDef { name: "sasl.mechanism.inter.broker.protocol", ty: T::String, default: Some("GSSAPI"), valid: Valid::Any, update: PerBroker, doc: "The SASL mechanism brokers use between themselves." },
    BrokerConfigDef { name: "principal.builder.class", ty: T::Class, default: Some("org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder"), valid: Valid::Any, update: PerBroker, doc: "The class mapping an authenticated session to a principal." },
    BrokerConfigDef { name: "authorizer.class.name", ty: T::String, default: Some(""), valid: Valid::Any, update: ReadOnly, doc: "The authorizer class; empty disables authorization." },
    // `super.users` and `allow.everyone.if.no.acl.found` belong to the authorizer (Kafka passes
    // them through rather than defining them in KafkaConfig); modelled here as plain broker
    // properties with the StandardAuthorizer's defaults.
    BrokerConfigDef { name: "super.users", ty: T::String, default: None, valid: Valid::Any, update: ReadOnly, doc: "Principals (User:name, `;`-separated) the authorizer always allows." },
    BrokerConfigDef { name: "allow.everyone.if.no.acl.found", ty: T::Boolean, default: Some("false"), valid: Valid::Any, update: ReadOnly, doc: "Whether a resource without ACLs is open to everyone." },
    BrokerConfigDef { name: "sasl.jaas.config", ty: T::Password, default: None, valid: Valid::Any, update: PerBroker, doc: "The JAAS login module configuration for SASL (dynamic only with a listener prefix)." },
    BrokerConfigDef { name: "ssl.client.auth", ty: T::String, default: Some("none"), valid: Valid::OneOf(&["required", "requested", "none"]), update: PerBroker, doc: "Whether TLS clients must, may or need not present a certificate." },
    BrokerConfigDef { name: "ssl.keystore.location", ty: T::String, default: None, valid: Valid::Any, update: PerBroker, doc: "The broker's key store file." },
    BrokerConfigDef { name: "ssl.keystore.password", ty: T::Password, default: None, valid: Valid::Any, update: PerBroker, doc: "The password of the key store." },
    BrokerConfigDef { name: "ssl.key.password", ty: T::Password, default: None, valid: Valid::Any, update: PerBroker, doc: "The password of the private key in the key store." },
    BrokerConfigDef { name: "ssl.truststore.location", ty: T::String, default: None, valid: Valid::Any, update: PerBroker, doc: "The trust store file." },
    BrokerConfigDef { name: "ssl.truststore.password", ty: T::Password, default: None, valid: Valid::Any, update: PerBroker, doc: "The password of the trust store." },
];

/// Which Apache Kafka release's config schema to follow.
///
/// [`Kafka3`](Self::Kafka3) (the default) is the table as written. [`Kafka4`](Self::Kafka4)
/// applies what Kafka 4.0 changed, as far as this crate models it: the message-format-era
/// configs are gone (`message.downconversion.enable`, `message.format.version`,
/// `message.timestamp.difference.max.ms` and their broker defaults), and KIP-1030's new
/// defaults and limits apply to `message.timestamp.after.max.ms` (one hour) and
/// `segment.bytes` (at least 1 MiB); `metric.reporters` defaults to JmxReporter (KIP-830);
/// `listeners`, `advertised.listeners`, `log.dirs` and `log.dir` are LIST-typed and
/// `advertised.listeners` is read-only. Other 4.0 changes are not modelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigProfile {
    /// Kafka 3.x (3.7-3.9).
    #[default]
    Kafka3,
    /// Kafka 4.0.
    Kafka4,
}

const KAFKA_4_REMOVED: &[&str] = &[
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.difference.max.ms",
    "log.message.downconversion.enable",
    "log.message.format.version",
    "log.message.timestamp.difference.max.ms",
];
const KAFKA_4_DEFAULTS: &[(&str, &str)] = &[
    ("message.timestamp.after.max.ms", "3600000"),
    ("log.message.timestamp.after.max.ms", "3600000"),
    // KIP-830: JmxReporter is no longer implicit.
    ("metric.reporters", "org.apache.kafka.common.metrics.JmxReporter"),
];
/// Broker configs Kafka 4 types as LIST (3.x: STRING); checked against Kafka 4.3 by
/// tests/differential.rs.
const KAFKA_4_LISTS: &[&str] = &["listeners", "advertised.listeners", "log.dirs", "log.dir"];
/// Broker configs Kafka 4 no longer updates dynamically.
const KAFKA_4_READ_ONLY: &[&str] = &["advertised.listeners"];
const KAFKA_4_MINIMUMS: &[(&str, i64)] = &[
    ("segment.bytes", 1_048_576),
    ("log.segment.bytes", 1_048_576),
];

impl ConfigProfile {
    fn patch(self, name: &str, default: &mut Option<&'static str>, valid: &mut Valid) -> bool {
        if self == ConfigProfile::Kafka3 {
            return true;
        }
        if KAFKA_4_REMOVED.contains(&name) {
            return false;
        }
        if let Some((_, d)) = KAFKA_4_DEFAULTS.iter().find(|(n, _)| *n == name) {
            *default = Some(d);
        }
        if let Some((_, min)) = KAFKA_4_MINIMUMS.iter().find(|(n, _)| *n == name) {
            *valid = Valid::AtLeast(*min);
        }
        true
    }

    /// A topic config as this release defines it (`None`: not a topic config here).
    pub fn topic(self, name: &str) -> Option<TopicConfigDef> {
        let mut def = *topic_config_def(name)?;
        self.patch(def.name, &mut def.default, &mut def.valid)
            .then_some(def)
    }

    /// A broker config as this release defines it (`None`: not known here).
    pub fn broker(self, name: &str) -> Option<BrokerConfigDef> {
        let mut def = *broker_config_def(name)?;
        if !self.patch(def.name, &mut def.default, &mut def.valid) {
            return None;
        }
        if self == ConfigProfile::Kafka4 {
            if KAFKA_4_LISTS.contains(&def.name) {
                def.ty = T::List;
            }
            if KAFKA_4_READ_ONLY.contains(&def.name) {
                def.update = ReadOnly;
            }
        }
        Some(def)
    }

    /// A broker config, or for a listener override (`listener.name.l.X`) the definition of
    /// `X` (whose `name` is then `X`).
    pub fn broker_or_listener(self, name: &str) -> Option<BrokerConfigDef> {
        self.broker(name)
            .or_else(|| listener_base(name).and_then(|base| self.broker(base)))
    }

    /// Every topic config of this release, in Kafka's alphabetical order.
    pub fn topic_configs(self) -> impl Iterator<Item = TopicConfigDef> {
        TOPIC_CONFIGS.iter().filter_map(move |d| self.topic(d.name))
    }

    /// Every broker config of this release known here.
    pub fn broker_configs(self) -> impl Iterator<Item = BrokerConfigDef> {
        BROKER_CONFIGS
            .iter()
            .filter_map(move |d| self.broker(d.name))
    }
}

/// Broker properties that are the same setting under several names (mostly in different
/// units), highest priority first, with how many milliseconds one unit stands for. Kafka
/// resolves them in this order (`DynamicBrokerConfig.brokerConfigSynonyms`).
#[rustfmt::skip]
const UNIT_SYNONYMS: &[&[(&str, i64)]] = &[
    &[("log.retention.ms", 1), ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)],
    &[("log.roll.ms", 1), ("log.roll.hours", 3_600_000)],
    &[("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)],
    &[("log.flush.interval.ms", 1), ("log.flush.scheduler.interval.ms", 1)],
];

/// One broker property in a synonym chain and how to convert it to the first one's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Synonym {
    /// The broker property.
    pub name: String,
    /// Multiply its value by this to get the unit of the chain's first property.
    pub factor: i64,
}

/// The broker properties that set `name`, highest priority first, starting with `name`
/// itself: `log.retention.ms` gives ms, minutes, hours; `log.retention.hours` only hours; a
/// listener override `listener.name.l.X` gives itself, then `X`. Unknown names give an empty
/// chain.
pub fn broker_synonym_chain(name: &str) -> Vec<Synonym> {
    if broker_config_def(name).is_none() {
        if let Some(base) = listener_base(name) {
            return vec![
                Synonym {
                    name: name.to_owned(),
                    factor: 1,
                },
                Synonym {
                    name: base.to_owned(),
                    factor: 1,
                },
            ];
        }
    }
    for group in UNIT_SYNONYMS {
        let mut rest = group.iter().skip_while(|(n, _)| *n != name).peekable();
        if let Some(&&(_, base)) = rest.peek() {
            // Factors are positive constants and each divides the ones after it.
            return rest
                .map(|&(name, factor)| Synonym {
                    name: name.to_owned(),
                    factor: factor.checked_div(base).unwrap_or(1),
                })
                .collect();
        }
    }
    match broker_config_def(name) {
        Some(def) => vec![Synonym {
            name: def.name.to_owned(),
            factor: 1,
        }],
        None => Vec::new(),
    }
}

/// Listener configs whose listener override names a SASL mechanism too
/// (`listener.name.l.plain.sasl.jaas.config`), as in Kafka's `DynamicBrokerConfig`.
const LISTENER_MECHANISM_CONFIGS: &[&str] = &[
    "sasl.jaas.config",
    "sasl.login.callback.handler.class",
    "sasl.login.class",
    "sasl.server.callback.handler.class",
    "connections.max.reauth.ms",
];

/// TLS store settings Kafka lets change at run time only with a listener prefix.
pub const LISTENER_ONLY_DYNAMIC_CONFIGS: &[&str] = &[
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.key.password",
    "ssl.truststore.location",
    "ssl.truststore.password",
];

/// Listener configs that may also be set as a cluster-wide default.
pub const CLUSTER_LEVEL_LISTENER_CONFIGS: &[&str] = &[
    "max.connections",
    "max.connection.creation.rate",
    "num.network.threads",
];

/// For a listener override `listener.name.<listener>.<config>` (or
/// `listener.name.<listener>.<mechanism>.<config>` for the SASL mechanism configs), the known
/// broker config it overrides.
pub fn listener_base(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("listener.name.")?;
    let (listener, config) = rest.split_once('.')?;
    if listener.is_empty() {
        return None;
    }
    let base = LISTENER_MECHANISM_CONFIGS
        .iter()
        .find(|m| config.len() > m.len() && config.ends_with(&format!(".{m}")))
        .map_or(config, |m| &config[config.len() - m.len()..]);
    broker_config_def(base).map(|_| base)
}

/// Looks up a topic config by name.
pub fn topic_config_def(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Looks up a broker config by name.
pub fn broker_config_def(name: &str) -> Option<&'static BrokerConfigDef> {
    BROKER_CONFIGS.iter().find(|d| d.name == name)
}

/// Checks `value` against a type and rule, the way Kafka's `ConfigDef` parses and validates.
/// The error says what is wrong without naming the key (callers add it).
pub fn check_value(ty: ConfigType, valid: Valid, value: &str) -> Result<(), String> {
    let trimmed = value.trim();
    let integer = |min: i64, max: i64| -> Result<i64, String> {
        let v: i64 = trimmed
            .parse()
            .map_err(|_| format!("expected a {} value, got {value:?}", ty.name()))?;
        if v < min || v > max {
            return Err(format!("{v} does not fit in {}", ty.name()));
        }
        Ok(v)
    };
    let number = match ty {
        ConfigType::Boolean => {
            if !trimmed.eq_ignore_ascii_case("true") && !trimmed.eq_ignore_ascii_case("false") {
                return Err(format!("expected true or false, got {value:?}"));
            }
            None
        }
        ConfigType::Short => Some(integer(i16::MIN.into(), i16::MAX.into())?),
        ConfigType::Int => Some(integer(i32::MIN.into(), i32::MAX.into())?),
        ConfigType::Long => Some(integer(i64::MIN, i64::MAX)?),
        ConfigType::Double => {
            let v: f64 = trimmed
                .parse()
                .map_err(|_| format!("expected a DOUBLE value, got {value:?}"))?;
            if !v.is_finite() {
                return Err(format!("expected a finite number, got {value:?}"));
            }
            if let Valid::DoubleBetween(min, max) = valid {
                if v < min || v > max {
                    return Err(format!("value must be between {min} and {max}, got {v}"));
                }
            }
            return Ok(());
        }
        ConfigType::String | ConfigType::Class | ConfigType::Password | ConfigType::List => None,
    };
    match (valid, number) {
        (Valid::AtLeast(min), Some(v)) if v < min => {
            Err(format!("value must be at least {min}, got {v}"))
        }
        (Valid::Between(min, max), Some(v)) if v < min || v > max => {
            Err(format!("value must be between {min} and {max}, got {v}"))
        }
        (Valid::BetweenOr(min, max, or), Some(v)) if v != or && (v < min || v > max) => Err(
            format!("value must be between {min} and {max} or {or}, got {v}"),
        ),
        (Valid::OneOf(allowed), _) if !allowed.contains(&trimmed) => Err(format!(
            "value must be one of [{}], got {value:?}",
            allowed.join(", ")
        )),
        (Valid::OneOfIgnoreCase(allowed), _)
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(trimmed)) =>
        {
            Err(format!(
                "value must be one of [{}], got {value:?}",
                allowed.join(", ")
            ))
        }
        (Valid::ListOf(allowed), _) => {
            match split_list(trimmed)
                .into_iter()
                .find(|e| !allowed.contains(&e.as_str()))
            {
                Some(bad) => Err(format!(
                    "list elements must be among [{}], got {bad:?}",
                    allowed.join(", ")
                )),
                None => Ok(()),
            }
        }
        (Valid::ThrottledReplicas, _) => check_throttled_replicas(trimmed),
        (Valid::MetadataVersion, _) => check_metadata_version(trimmed),
        _ => Ok(()),
    }
}

/// Splits a LIST value the way Kafka does: on commas, each element trimmed; an empty (or
/// all-blank) value is the empty list.
pub fn split_list(value: &str) -> Vec<String> {
    if value.trim().is_empty() {
        return Vec::new();
    }
    value.split(',').map(|e| e.trim().to_owned()).collect()
}

fn check_throttled_replicas(value: &str) -> Result<(), String> {
    let list = split_list(value);
    if list.len() == 1 && list.first().is_some_and(|e| e == "*") {
        return Ok(());
    }
    for entry in &list {
        let ok = entry.split_once(':').is_some_and(|(p, b)| {
            p.trim().parse::<u32>().is_ok() && b.trim().parse::<u32>().is_ok()
        });
        if !ok {
            return Err(format!(
                "expected `*` or a list of partition:broker pairs, got {entry:?}"
            ));
        }
    }
    Ok(())
}

/// Accepts `major.minor[.patch][-IVn]` with numeric parts; Kafka checks against its list of
/// known MetadataVersions, which this does not replicate.
fn check_metadata_version(value: &str) -> Result<(), String> {
    let (version, iv) = match value.split_once("-IV") {
        Some((v, iv)) => (v, Some(iv)),
        None => (value, None),
    };
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| numeric(p))
        && iv.is_none_or(numeric);
    if ok {
        Ok(())
    } else {
        Err(format!("{value:?} is not a valid message format version"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_defaults_valid() {
        let mut seen = HashSet::new();
        for d in TOPIC_CONFIGS {
            assert!(seen.insert(d.name), "duplicate topic config {}", d.name);
            if let Some(default) = d.default {
                assert_eq!(check_value(d.ty, d.valid, default), Ok(()), "{}", d.name);
            }
            if let Some(server) = d.server_default {
                let def = broker_config_def(server)
                    .unwrap_or_else(|| panic!("{} names unknown broker config {server}", d.name));
                assert_ne!(def.ty, ConfigType::Password);
            }
        }
        let mut seen = HashSet::new();
        for d in BROKER_CONFIGS {
            assert!(seen.insert(d.name), "duplicate broker config {}", d.name);
            if let Some(default) = d.default {
                assert_eq!(check_value(d.ty, d.valid, default), Ok(()), "{}", d.name);
            }
        }
    }

    #[test]
    fn required_topic_configs_present() {
        for name in [
            "cleanup.policy",
            "compression.type",
            "delete.retention.ms",
            "file.delete.delay.ms",
            "flush.messages",
            "flush.ms",
            "follower.replication.throttled.replicas",
            "index.interval.bytes",
            "leader.replication.throttled.replicas",
            "local.retention.bytes",
            "local.retention.ms",
            "max.compaction.lag.ms",
            "max.message.bytes",
            "message.downconversion.enable",
            "message.format.version",
            "message.timestamp.after.max.ms",
            "message.timestamp.before.max.ms",
            "message.timestamp.difference.max.ms",
            "message.timestamp.type",
            "min.cleanable.dirty.ratio",
            "min.compaction.lag.ms",
            "min.insync.replicas",
            "preallocate",
            "remote.storage.enable",
            "retention.bytes",
            "retention.ms",
            "segment.bytes",
            "segment.index.bytes",
            "segment.jitter.ms",
            "segment.ms",
            "unclean.leader.election.enable",
        ] {
            assert!(topic_config_def(name).is_some(), "{name} missing");
        }
        assert_eq!(
            topic_config_def("max.message.bytes").and_then(|d| d.default),
            Some("1048588")
        );
        assert_eq!(
            topic_config_def("retention.ms").and_then(|d| d.default),
            Some("604800000")
        );
        assert_eq!(
            topic_config_def("retention.bytes").and_then(|d| d.default),
            Some("-1")
        );
    }

    #[test]
    fn value_checks() {
        let v = |name: &str, value: &str| {
            let d = topic_config_def(name).unwrap_or_else(|| panic!("{name}"));
            check_value(d.ty, d.valid, value)
        };
        assert_eq!(v("cleanup.policy", "compact, delete"), Ok(()));
        assert_eq!(v("cleanup.policy", ""), Ok(()));
        assert!(v("cleanup.policy", "compact,shred")
            .unwrap_err()
            .contains("\"shred\""));
        assert_eq!(v("compression.type", "zstd"), Ok(()));
        assert!(v("compression.type", "brotli").is_err());
        assert!(
            v("compression.type", "ZSTD").is_err(),
            "Kafka compares case-sensitively"
        );
        assert_eq!(v("preallocate", " TRUE "), Ok(()));
        assert!(v("preallocate", "yes").is_err());
        assert!(
            v("max.message.bytes", "2147483648").is_err(),
            "INT overflow"
        );
        assert!(v("max.message.bytes", "-1").is_err());
        assert_eq!(v("retention.ms", "-1"), Ok(()));
        assert!(v("retention.ms", "-2").is_err());
        assert!(v("retention.ms", "1h").is_err());
        assert_eq!(v("min.cleanable.dirty.ratio", "0.9"), Ok(()));
        assert!(v("min.cleanable.dirty.ratio", "1.5").is_err());
        assert!(v("min.cleanable.dirty.ratio", "NaN").is_err());
        assert_eq!(v("leader.replication.throttled.replicas", "*"), Ok(()));
        assert_eq!(
            v("leader.replication.throttled.replicas", "0:1, 1:2"),
            Ok(())
        );
        assert!(v("leader.replication.throttled.replicas", "0-1").is_err());
        assert_eq!(v("compression.gzip.level", "-1"), Ok(()));
        assert!(v("compression.gzip.level", "0").is_err());
        assert_eq!(v("message.format.version", "2.8-IV1"), Ok(()));
        assert_eq!(v("message.format.version", "0.10.2"), Ok(()));
        assert!(v("message.format.version", "latest").is_err());
        assert_eq!(v("message.timestamp.type", "LogAppendTime"), Ok(()));
        assert!(v("message.timestamp.type", "logappendtime").is_err());
    }

    #[test]
    fn synonym_chains() {
        fn pairs(chain: &[Synonym]) -> Vec<(&str, i64)> {
            chain.iter().map(|s| (s.name.as_str(), s.factor)).collect()
        }
        assert_eq!(
            pairs(&broker_synonym_chain("log.retention.ms")),
            [
                ("log.retention.ms", 1),
                ("log.retention.minutes", 60_000),
                ("log.retention.hours", 3_600_000)
            ]
        );
        assert_eq!(
            pairs(&broker_synonym_chain("log.retention.minutes")),
            [("log.retention.minutes", 1), ("log.retention.hours", 60)]
        );
        assert_eq!(
            pairs(&broker_synonym_chain("message.max.bytes")),
            [("message.max.bytes", 1)]
        );
        assert!(pairs(&broker_synonym_chain("no.such.config")).is_empty());
        assert_eq!(
            pairs(&broker_synonym_chain(
                "listener.name.ssl.ssl.keystore.password"
            )),
            [
                ("listener.name.ssl.ssl.keystore.password", 1),
                ("ssl.keystore.password", 1)
            ]
        );
    }

    #[test]
    fn listener_overrides() {
        assert_eq!(
            listener_base("listener.name.ssl.ssl.key.password"),
            Some("ssl.key.password")
        );
        assert_eq!(
            listener_base("listener.name.sasl_ssl.plain.sasl.jaas.config"),
            Some("sasl.jaas.config")
        );
        assert_eq!(
            listener_base("listener.name.sasl_ssl.sasl.jaas.config"),
            Some("sasl.jaas.config")
        );
        assert_eq!(
            listener_base("listener.name.x.max.connections"),
            Some("max.connections")
        );
        assert_eq!(listener_base("listener.name..max.connections"), None);
        assert_eq!(listener_base("listener.name.x.no.such"), None);
        assert_eq!(listener_base("max.connections"), None);
    }

    #[test]
    fn kafka_4_profile() {
        let k4 = ConfigProfile::Kafka4;
        let k3 = ConfigProfile::Kafka3;
        assert!(k4.topic("message.format.version").is_none());
        assert!(k4.broker("log.message.downconversion.enable").is_none());
        assert_eq!(
            k4.topic("message.timestamp.after.max.ms")
                .and_then(|d| d.default),
            Some("3600000")
        );
        assert_eq!(
            k4.topic("segment.bytes").map(|d| d.valid),
            Some(Valid::AtLeast(1_048_576))
        );
        assert_eq!(k4.topic_configs().count() + 3, TOPIC_CONFIGS.len());
        let listeners = k4.broker("advertised.listeners").expect("advertised.listeners");
        assert_eq!((listeners.ty, listeners.update), (ConfigType::List, UpdateMode::ReadOnly));
        assert_eq!(
            k3.broker("advertised.listeners").map(|d| (d.ty, d.update)),
            Some((ConfigType::String, UpdateMode::PerBroker))
        );
        assert_eq!(k3.topic_configs().count(), TOPIC_CONFIGS.len());
        assert_eq!(
            k3.topic("segment.bytes").map(|d| d.valid),
            Some(Valid::AtLeast(14))
        );
        for d in k4.topic_configs() {
            if let Some(default) = d.default {
                assert_eq!(check_value(d.ty, d.valid, default), Ok(()), "{}", d.name);
            }
        }
    }
}

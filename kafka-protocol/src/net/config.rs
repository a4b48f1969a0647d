//! [`ClientConfig`]: the settings every client (producer, consumer, admin) shares.
//!
//! Built with [`ClientConfig::builder`] or from Kafka-style properties
//! ([`ClientConfig::from_properties`], [`ClientConfig::from_properties_text`]); every setter
//! names the property it mirrors. Validation happens once, in [`ClientConfigBuilder::build`].
//! Unknown keys are errors, never silently ignored.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::frame::DEFAULT_MAX_FRAME_SIZE;

use super::error::ConfigError;
use super::hooks::{Hooks, NoHooks};
use super::security::SecurityConfig;

/// What the client does when every known broker is unreachable (KIP-899,
/// `metadata.recovery.strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataRecoveryStrategy {
    /// Go back to `bootstrap.servers` (resolving the names again). The default.
    #[default]
    Rebootstrap,
    /// Keep trying the brokers last seen in metadata.
    None,
}

/// The settings shared by every client. Cheap to clone.
///
/// See [`ClientConfigBuilder`] for each setting, its Kafka property and its default.
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) bootstrap_servers: Vec<String>,
    pub(crate) client_id: String,
    pub(crate) client_rack: Option<String>,
    pub(crate) request_timeout: Duration,
    pub(crate) default_api_timeout: Duration,
    pub(crate) connection_setup_timeout: Duration,
    pub(crate) connections_max_idle: Duration,
    pub(crate) metadata_max_age: Duration,
    pub(crate) reconnect_backoff: Duration,
    pub(crate) reconnect_backoff_max: Duration,
    pub(crate) retry_backoff: Duration,
    pub(crate) retry_backoff_max: Duration,
    pub(crate) max_in_flight: usize,
    pub(crate) metadata_recovery_strategy: MetadataRecoveryStrategy,
    pub(crate) max_frame_size: usize,
    pub(crate) allow_auto_topic_creation: bool,
    pub(crate) security: SecurityConfig,
    pub(crate) hooks: Arc<dyn Hooks>,
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) software_name: String,
    pub(crate) software_version: String,
}

impl ClientConfig {
    /// A builder with every default set; `bootstrap.servers` must still be given.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Builds a configuration from Kafka-style `(key, value)` properties.
    pub fn from_properties<K, V>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut builder = Self::builder();
        for (key, value) in properties {
            builder.set(key.as_ref(), value.as_ref())?;
        }
        builder.build()
    }

    /// Builds a configuration from a Java-style properties text: one `key=value` per line,
    /// blank lines and lines starting with `#` or `!` ignored, whitespace around keys and
    /// values trimmed.
    pub fn from_properties_text(text: &str) -> Result<Self, ConfigError> {
        Self::from_properties(parse_properties_text(text)?)
    }

    /// `bootstrap.servers`.
    pub fn bootstrap_servers(&self) -> &[String] {
        &self.bootstrap_servers
    }

    /// `client.id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `client.rack`.
    pub fn client_rack(&self) -> Option<&str> {
        self.client_rack.as_deref()
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// `retry.backoff.ms`.
    pub fn retry_backoff(&self) -> Duration {
        self.retry_backoff
    }

    /// `retry.backoff.max.ms`.
    pub fn retry_backoff_max(&self) -> Duration {
        self.retry_backoff_max
    }

    /// `max.in.flight.requests.per.connection`.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// `security.protocol`, `ssl.*` and `sasl.*`.
    pub fn security(&self) -> &SecurityConfig {
        &self.security
    }

    /// The hooks installed with [`ClientConfigBuilder::hooks`].
    pub fn hooks(&self) -> &Arc<dyn Hooks> {
        &self.hooks
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("client_id", &self.client_id)
            .field("client_rack", &self.client_rack)
            .field("request_timeout", &self.request_timeout)
            .field("default_api_timeout", &self.default_api_timeout)
            .field("connection_setup_timeout", &self.connection_setup_timeout)
            .field("connections_max_idle", &self.connections_max_idle)
            .field("metadata_max_age", &self.metadata_max_age)
            .field("reconnect_backoff", &self.reconnect_backoff)
            .field("reconnect_backoff_max", &self.reconnect_backoff_max)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_max", &self.retry_backoff_max)
            .field("max_in_flight", &self.max_in_flight)
            .field("metadata_recovery_strategy", &self.metadata_recovery_strategy)
            .field("max_frame_size", &self.max_frame_size)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

/// Builder for [`ClientConfig`]. Every setter names the Kafka property it mirrors and its
/// default.
#[derive(Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl Default for ClientConfigBuilder {
    fn default() -> Self {
        Self {
            config: ClientConfig {
                bootstrap_servers: Vec::new(),
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_rack: None,
                request_timeout: Duration::from_millis(30_000),
                default_api_timeout: Duration::from_millis(60_000),
                connection_setup_timeout: Duration::from_millis(10_000),
                connections_max_idle: Duration::from_millis(540_000),
                metadata_max_age: Duration::from_millis(300_000),
                reconnect_backoff: Duration::from_millis(50),
                reconnect_backoff_max: Duration::from_millis(1_000),
                retry_backoff: Duration::from_millis(100),
                retry_backoff_max: Duration::from_millis(1_000),
                max_in_flight: 5,
                metadata_recovery_strategy: MetadataRecoveryStrategy::Rebootstrap,
                max_frame_size: DEFAULT_MAX_FRAME_SIZE,
                allow_auto_topic_creation: false,
                security: SecurityConfig::default(),
                hooks: Arc::new(NoHooks),
                jitter_seed: None,
                software_name: SOFTWARE_NAME.to_owned(),
                software_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
        }
    }
}

/// The default `client.id`.
pub const DEFAULT_CLIENT_ID: &str = "kafka-rust-sdk";
const SOFTWARE_NAME: &str = "kafka-rust-sdk";

impl ClientConfigBuilder {
    /// `bootstrap.servers`: `host:port` addresses to fetch the first metadata from.
    /// Required. Names are resolved again on every attempt.
    pub fn bootstrap_servers<S: Into<String>>(
        mut self,
        servers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.bootstrap_servers = servers.into_iter().map(Into::into).collect();
        self
    }

    /// `client.id`: the id sent in every request header, used by brokers for quotas and
    /// logs. Default `kafka-rust-sdk`.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.config.client_id = id.into();
        self
    }

    /// `client.rack`: the rack this client runs in (used for follower fetching, KIP-392).
    /// Default none.
    pub fn client_rack(mut self, rack: impl Into<String>) -> Self {
        self.config.client_rack = Some(rack.into());
        self
    }

    /// `request.timeout.ms`: how long to wait for a response before failing the request and
    /// closing the connection (responses arrive in order, so later ones cannot overtake).
    /// Default 30 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// `default.api.timeout.ms`: the overall time budget of a routed call
    /// ([`Client::send_to_leader`](super::Client::send_to_leader),
    /// [`Client::send_to_coordinator`](super::Client::send_to_coordinator)) including
    /// metadata refreshes, coordinator lookups and retries. Default 60 s.
    pub fn default_api_timeout(mut self, timeout: Duration) -> Self {
        self.config.default_api_timeout = timeout;
        self
    }

    /// `socket.connection.setup.timeout.ms`: limit on TCP connect plus TLS, ApiVersions and
    /// SASL. Default 10 s.
    pub fn connection_setup_timeout(mut self, timeout: Duration) -> Self {
        self.config.connection_setup_timeout = timeout;
        self
    }

    /// `connections.max.idle.ms`: close a connection that has carried no request for this
    /// long. Default 9 minutes.
    pub fn connections_max_idle(mut self, idle: Duration) -> Self {
        self.config.connections_max_idle = idle;
        self
    }

    /// `metadata.max.age.ms`: refresh cluster metadata at least this often, even without
    /// errors. Default 5 minutes.
    pub fn metadata_max_age(mut self, age: Duration) -> Self {
        self.config.metadata_max_age = age;
        self
    }

    /// `reconnect.backoff.ms`: first wait before reconnecting to a broker that failed.
    /// Doubles per failure up to `reconnect.backoff.max.ms`, with ±20% jitter. Default 50 ms.
    pub fn reconnect_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_backoff = backoff;
        self
    }

    /// `reconnect.backoff.max.ms`: cap on the reconnect backoff. Default 1 s.
    pub fn reconnect_backoff_max(mut self, backoff: Duration) -> Self {
        self.config.reconnect_backoff_max = backoff;
        self
    }

    /// `retry.backoff.ms`: first wait before retrying a request that failed with a
    /// retriable error. Doubles per attempt up to `retry.backoff.max.ms` (KIP-580), with
    /// ±20% jitter. Default 100 ms.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.config.retry_backoff = backoff;
        self
    }

    /// `retry.backoff.max.ms`: cap on the retry backoff. Default 1 s.
    pub fn retry_backoff_max(mut self, backoff: Duration) -> Self {
        self.config.retry_backoff_max = backoff;
        self
    }

    /// `max.in.flight.requests.per.connection`: requests written to one connection before
    /// waiting for a response. Default 5.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.config.max_in_flight = n;
        self
    }

    /// `metadata.recovery.strategy`: `rebootstrap` (default) or `none` (KIP-899).
    pub fn metadata_recovery_strategy(mut self, strategy: MetadataRecoveryStrategy) -> Self {
        self.config.metadata_recovery_strategy = strategy;
        self
    }

    /// `receive.message.max.bytes`: the largest response frame accepted; a larger size
    /// prefix closes the connection before anything is allocated. Default 100 MiB.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes;
        self
    }

    /// `allow.auto.create.topics`: whether metadata requests may create missing topics on
    /// brokers that allow it. Default `false`.
    pub fn allow_auto_topic_creation(mut self, allow: bool) -> Self {
        self.config.allow_auto_topic_creation = allow;
        self
    }

    /// `security.protocol`, `ssl.*` and `sasl.*`: TLS and SASL settings. Default PLAINTEXT.
    pub fn security(mut self, security: SecurityConfig) -> Self {
        self.config.security = security;
        self
    }

    /// Observability hooks (no Kafka property). Default: none.
    pub fn hooks(mut self, hooks: Arc<dyn Hooks>) -> Self {
        self.config.hooks = hooks;
        self
    }

    /// Seeds the backoff jitter generator so that tests are reproducible (no Kafka
    /// property). Default: seeded from the clock.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.config.jitter_seed = Some(seed);
        self
    }

    /// The `client_software_name` and `client_software_version` sent in ApiVersions v3+
    /// (KIP-511). Default `kafka-rust-sdk` and this crate's version. Higher-level crates set
    /// their own names here.
    pub fn client_software(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.config.software_name = name.into();
        self.config.software_version = version.into();
        self
    }

    /// Sets one Kafka-style property. Unknown keys and bad values are errors naming the key.
    ///
    /// Producer, consumer and admin configurations handle their own keys first and pass the
    /// rest here.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        let value = value.trim();
        let c = &mut self.config;
        match key {
            "bootstrap.servers" => {
                c.bootstrap_servers = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "client.id" => c.client_id = value.to_owned(),
            "client.rack" => c.client_rack = (!value.is_empty()).then(|| value.to_owned()),
            "request.timeout.ms" => c.request_timeout = parse_ms(key, value)?,
            "default.api.timeout.ms" => c.default_api_timeout = parse_ms(key, value)?,
            "socket.connection.setup.timeout.ms" => {
                c.connection_setup_timeout = parse_ms(key, value)?;
            }
            "connections.max.idle.ms" => c.connections_max_idle = parse_ms(key, value)?,
            "metadata.max.age.ms" => c.metadata_max_age = parse_ms(key, value)?,
            "reconnect.backoff.ms" => c.reconnect_backoff = parse_ms(key, value)?,
            "reconnect.backoff.max.ms" => c.reconnect_backoff_max = parse_ms(key, value)?,
            "retry.backoff.ms" => c.retry_backoff = parse_ms(key, value)?,
            "retry.backoff.max.ms" => c.retry_backoff_max = parse_ms(key, value)?,
            "max.in.flight.requests.per.connection" => {
                c.max_in_flight = value.parse().map_err(|_| {
                    ConfigError::invalid(key, "expected a whole number of at least 1")
                })?;
            }
            "metadata.recovery.strategy" => {
                c.metadata_recovery_strategy = match value.to_ascii_lowercase().as_str() {
                    "rebootstrap" => MetadataRecoveryStrategy::Rebootstrap,
                    "none" => MetadataRecoveryStrategy::None,
                    _ => {
                        return Err(ConfigError::invalid(
                            key,
                            format!("`{value}` is not one of: rebootstrap, none"),
                        ))
                    }
                };
            }
            "receive.message.max.bytes" => {
                c.max_frame_size = value.parse().map_err(|_| {
                    ConfigError::invalid(key, "expected a size in bytes")
                })?;
            }
            "allow.auto.create.topics" => c.allow_auto_topic_creation = parse_bool(key, value)?,
            _ => {
                if !c.security.set_property(key, value)? {
                    return Err(ConfigError::UnknownKey { key: key.to_owned() });
                }
            }
        }
        Ok(self)
    }

    /// Validates the settings and builds the configuration.
    pub fn build(self) -> Result<ClientConfig, ConfigError> {
        let c = self.config;
        if c.bootstrap_servers.is_empty() {
            return Err(ConfigError::Missing { key: "bootstrap.servers".to_owned() });
        }
        for server in &c.bootstrap_servers {
            split_host_port(server).map_err(|reason| {
                ConfigError::invalid("bootstrap.servers", format!("`{server}`: {reason}"))
            })?;
        }
        if c.max_in_flight == 0 {
            return Err(ConfigError::invalid(
                "max.in.flight.requests.per.connection",
                "must be at least 1",
            ));
        }
        if c.request_timeout.is_zero() {
            return Err(ConfigError::invalid("request.timeout.ms", "must be positive"));
        }
        if c.default_api_timeout.is_zero() {
            return Err(ConfigError::invalid("default.api.timeout.ms", "must be positive"));
        }
        if c.connection_setup_timeout.is_zero() {
            return Err(ConfigError::invalid(
                "socket.connection.setup.timeout.ms",
                "must be positive",
            ));
        }
        if c.reconnect_backoff_max < c.reconnect_backoff {
            return Err(ConfigError::invalid(
                "reconnect.backoff.max.ms",
                "must not be below reconnect.backoff.ms",
            ));
        }
        if c.retry_backoff_max < c.retry_backoff {
            return Err(ConfigError::invalid(
                "retry.backoff.max.ms",
                "must not be below retry.backoff.ms",
            ));
        }
        if c.max_frame_size < 1024 || c.max_frame_size > i32::MAX as usize {
            return Err(ConfigError::invalid(
                "receive.message.max.bytes",
                "must be between 1024 and 2147483647",
            ));
        }
        if !valid_software_field(&c.software_name) || !valid_software_field(&c.software_version)
        {
            return Err(ConfigError::invalid(
                "client.software",
                "name and version must be ASCII letters, digits, '.' and '-', starting and ending \
                 with a letter or digit (KIP-511)",
            ));
        }
        c.security.validate()?;
        Ok(c)
    }
}

/// Splits `host:port` (IPv6 hosts in brackets) into its parts.
pub(crate) fn split_host_port(server: &str) -> Result<(&str, u16), &'static str> {
    let (host, port) = server.rsplit_once(':').ok_or("expected host:port")?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.is_empty() {
        return Err("empty host");
    }
    let port = port.parse::<u16>().map_err(|_| "port is not a number from 0 to 65535")?;
    Ok((host, port))
}

fn parse_ms(key: &str, value: &str) -> Result<Duration, ConfigError> {
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| ConfigError::invalid(key, "expected a whole number of milliseconds"))
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ConfigError::invalid(key, "expected true or false")),
    }
}

/// KIP-511: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software_field(s: &str) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.')
        }
        _ => false,
    }
}

/// Parses Java-style `key=value` lines (also `key: value`).
pub(crate) fn parse_properties_text(text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(['=', ':']).ok_or(ConfigError::Syntax { line: index + 1 })?;
        let (key, value) = (line[..split].trim(), line[split + 1..].trim());
        if key.is_empty() {
            return Err(ConfigError::Syntax { line: index + 1 });
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_properties() {
        let cfg = ClientConfig::from_properties_text(
            "# comment\nbootstrap.servers = a:9092, [::1]:9093\nclient.id=me\n\
             request.timeout.ms=1500\nmetadata.recovery.strategy=none\n",
        )
        .unwrap();
        assert_eq!(cfg.bootstrap_servers(), ["a:9092", "[::1]:9093"]);
        assert_eq!(cfg.client_id(), "me");
        assert_eq!(cfg.request_timeout(), Duration::from_millis(1500));
        assert_eq!(cfg.metadata_recovery_strategy, MetadataRecoveryStrategy::None);
        assert_eq!(cfg.max_in_flight, 5);
        assert_eq!(cfg.retry_backoff, Duration::from_millis(100));
        assert_eq!(cfg.metadata_max_age, Duration::from_millis(300_000));
        assert_eq!(split_host_port("[::1]:9093"), Ok(("::1", 9093)));
    }

    #[test]
    fn errors_name_the_key() {
        let err = ClientConfig::from_properties([("bootstrap.servers", "a:1"), ("linger", "5")])
            .unwrap_err();
        assert_eq!(err, ConfigError::UnknownKey { key: "linger".into() });
        let err = ClientConfig::from_properties([("metadata.recovery.strategy", "sometimes")])
            .unwrap_err();
        assert_eq!(err.key(), Some("metadata.recovery.strategy"));
        assert!(err.to_string().contains("rebootstrap, none"), "{err}");
        let err = ClientConfig::from_properties([("request.timeout.ms", "soon")]).unwrap_err();
        assert_eq!(err.key(), Some("request.timeout.ms"));
        let err = ClientConfig::from_properties([("client.id", "x")]).unwrap_err();
        assert_eq!(err, ConfigError::Missing { key: "bootstrap.servers".into() });
        let err = ClientConfig::from_properties([("bootstrap.servers", "nohost")]).unwrap_err();
        assert_eq!(err.key(), Some("bootstrap.servers"));
        let err = ClientConfig::from_properties([
            ("bootstrap.servers", "a:1"),
            ("retry.backoff.ms", "500"),
            ("retry.backoff.max.ms", "100"),
        ])
        .unwrap_err();
        assert_eq!(err.key(), Some("retry.backoff.max.ms"));
        assert_eq!(
            ClientConfig::from_properties_text("bootstrap.servers=a:1\njust words\n").unwrap_err(),
            ConfigError::Syntax { line: 2 }
        );
    }
}

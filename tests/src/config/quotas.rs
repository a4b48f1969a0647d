//! Client quotas (KIP-546 DescribeClientQuotas and AlterClientQuotas, v0-1) and injected
//! throttle times for KIP-219 tests.
//!
//! Quotas are stored and described, never enforced: no request is delayed or throttled
//! because of a stored quota. Tests that need a client to see `throttle_time_ms` set it
//! directly with [`QuotaStore::set_throttle`] and the actor copies
//! [`QuotaStore::throttle_for`] into the response.
//!
//! Entities are `user`, `client-id` and `ip` (KIP-612), in the combinations Kafka accepts:
//! `user`, `client-id`, `user`+`client-id`, or `ip` alone. A `None` name is the default entity
//! of that type. Keys: `producer_byte_rate`, `consumer_byte_rate` (whole numbers),
//! `request_percentage`, `controller_mutation_rate` (KIP-599) for user/client-id entities,
//! `connection_creation_rate` (a whole number) for ip entities. Errors follow Kafka's KRaft
//! controller (`ClientQuotaControlManager`, `ClientQuotasImage`): `INVALID_REQUEST`, except
//! an unknown entity type in a DescribeClientQuotas filter, which Kafka answers with
//! `UNSUPPORTED_VERSION`. Unlike Kafka, a bad value fails its whole entry (Kafka stores the
//! entry's other keys and reports success), and values must be finite. Kafka does not
//! range-check quota values, so neither does this. IP entities must be IP addresses (Kafka
//! also accepts resolvable host names; resolving is I/O).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use kafka_protocol::messages::alter_client_quotas_request::EntryData as AlterEntry;
use kafka_protocol::messages::alter_client_quotas_response::{
    EntityData as AlterEntityOut, EntryData as AlterEntryOut,
};
use kafka_protocol::messages::describe_client_quotas_response::{EntityData, EntryData, ValueData};
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, ApiKey, DescribeClientQuotasRequest,
    DescribeClientQuotasResponse,
};

use super::codes;

/// The `user` entity type.
pub const USER: &str = "user";
/// The `client-id` entity type.
pub const CLIENT_ID: &str = "client-id";
/// The `ip` entity type (KIP-612).
pub const IP: &str = "ip";

/// DescribeClientQuotas match types.
pub mod match_type {
    /// The entity type with exactly this name.
    pub const EXACT: i8 = 0;
    /// The default entity of the type.
    pub const DEFAULT: i8 = 1;
    /// The entity type with any name, the default included (as Kafka's KRaft controller
    /// matches).
    pub const SPECIFIED: i8 = 2;
}

/// How a quota key's value must look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    /// A whole number (Kafka's LONG quota keys).
    Long,
    /// A whole number that fits in 32 bits.
    Int,
    /// Any number.
    Double,
}

const USER_CLIENT_KEYS: &[(&str, KeyKind)] = &[
    ("producer_byte_rate", KeyKind::Long),
    ("consumer_byte_rate", KeyKind::Long),
    ("request_percentage", KeyKind::Double),
    ("controller_mutation_rate", KeyKind::Double),
];
const IP_KEYS: &[(&str, KeyKind)] = &[("connection_creation_rate", KeyKind::Int)];

/// A quota entity: entity type -> name (`None`: the default entity of that type).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuotaEntity(pub BTreeMap<String, Option<String>>);

impl QuotaEntity {
    /// An entity from `(type, name)` pairs.
    pub fn new<'a>(parts: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Self {
        Self(
            parts
                .into_iter()
                .map(|(t, n)| (t.to_owned(), n.map(str::to_owned)))
                .collect(),
        )
    }

    fn is_ip(&self) -> bool {
        self.0.contains_key(IP)
    }
}

/// A rejected quota request.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QuotaError {
    /// The entity or filter is malformed (unknown type, duplicate type, bad combination, bad
    /// IP address, empty entity, bad match type).
    #[error("invalid quota entity: {0}")]
    InvalidEntity(String),
    /// An entity type DescribeClientQuotas does not know (`UNSUPPORTED_VERSION`).
    #[error("unsupported quota entity type {0:?}")]
    UnsupportedEntityType(String),
    /// A key the entity type has no quota for.
    #[error("unknown quota key {key:?} for {entity}")]
    UnknownKey {
        /// The key.
        key: String,
        /// The entity, as text.
        entity: String,
    },
    /// A key given twice in one entry.
    #[error("quota key {key:?} appears more than once for {entity}")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The entity, as text.
        entity: String,
    },
    /// A value the key does not accept.
    #[error("invalid value {value} for quota {key} of {entity}: {reason}")]
    InvalidValue {
        /// The key.
        key: String,
        /// The entity, as text.
        entity: String,
        /// The value.
        value: f64,
        /// What is wrong.
        reason: &'static str,
    },
}

impl QuotaError {
    /// The Kafka error code to answer with.
    pub fn code(&self) -> i16 {
        match self {
            QuotaError::UnsupportedEntityType(_) => codes::UNSUPPORTED_VERSION,
            _ => codes::INVALID_REQUEST,
        }
    }
}

/// Stored client quotas and injected throttle times.
#[derive(Clone, Debug, Default)]
pub struct QuotaStore {
    quotas: BTreeMap<QuotaEntity, BTreeMap<String, f64>>,
    throttles: HashMap<(Option<String>, ApiKey), i32>,
}

impl QuotaStore {
    /// No quotas, no throttling.
    pub fn new() -> Self {
        Self::default()
    }

    /// The quotas stored for an entity.
    pub fn quotas(&self, entity: &QuotaEntity) -> Option<&BTreeMap<String, f64>> {
        self.quotas.get(entity)
    }

    /// Answers DescribeClientQuotas (key 48, v0-1). A malformed filter fails the whole
    /// response (`error_code`, `error_message`, `entries` null).
    pub fn describe(&self, request: &DescribeClientQuotasRequest) -> DescribeClientQuotasResponse {
        let mut response = DescribeClientQuotasResponse::default();
        match self.matching(request) {
            Ok(entries) => {
                response.entries = Some(entries);
                // Kafka answers success with an empty (not null) message (checked against
                // Kafka 4.3 by tests/differential.rs).
                response.error_message = Some(String::new());
            }
            Err(e) => {
                response.error_code = e.code();
                response.error_message = Some(e.to_string());
                response.entries = None;
            }
        }
        response
    }

    fn matching(
        &self,
        request: &DescribeClientQuotasRequest,
    ) -> Result<Vec<EntryData>, QuotaError> {
        // type -> Some(name) for EXACT/DEFAULT (name None = default), None for SPECIFIED.
        let mut filter: BTreeMap<&str, Option<Option<&str>>> = BTreeMap::new();
        for c in &request.components {
            let t = c.entity_type.as_str();
            if t.is_empty() {
                return Err(QuotaError::InvalidEntity("empty entity type".into()));
            }
            if filter.contains_key(t) {
                return Err(QuotaError::InvalidEntity(format!(
                    "entity type {t} appears more than once in the filter"
                )));
            }
            if ![USER, CLIENT_ID, IP].contains(&t) {
                return Err(QuotaError::UnsupportedEntityType(t.to_owned()));
            }
            if c.match_type != match_type::EXACT && c.r#match.is_some() {
                return Err(QuotaError::InvalidEntity(format!(
                    "a DEFAULT or SPECIFIED match on {t} must not carry a name"
                )));
            }
            let wanted = match c.match_type {
                match_type::EXACT => match c.r#match.as_deref() {
                    Some(name) => Some(Some(name)),
                    None => {
                        return Err(QuotaError::InvalidEntity(format!(
                            "an EXACT match on {t} needs a name"
                        )))
                    }
                },
                match_type::DEFAULT => Some(None),
                match_type::SPECIFIED => None,
                other => {
                    return Err(QuotaError::InvalidEntity(format!(
                        "unknown match type {other} for {t}"
                    )))
                }
            };
            filter.insert(t, wanted);
        }
        if filter.contains_key(IP) && filter.len() > 1 {
            return Err(QuotaError::InvalidEntity(
                "an ip filter cannot be combined with user or client-id filters".into(),
            ));
        }
        let mut entries = Vec::new();
        for (entity, values) in &self.quotas {
            if request.strict && entity.0.len() != filter.len() {
                continue;
            }
            let matches = filter
                .iter()
                .all(|(t, wanted)| match (entity.0.get(*t), wanted) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(name), Some(want)) => name.as_deref() == *want,
                });
            if !matches {
                continue;
            }
            entries.push(
                EntryData::default()
                    .with_entity(
                        entity
                            .0
                            .iter()
                            .map(|(t, n)| {
                                EntityData::default()
                                    .with_entity_type(t.clone())
                                    .with_entity_name(n.clone())
                            })
                            .collect(),
                    )
                    .with_values(
                        values
                            .iter()
                            .map(|(k, v)| ValueData::default().with_key(k.clone()).with_value(*v))
                            .collect(),
                    ),
            );
        }
        Ok(entries)
    }

    /// Answers AlterClientQuotas (key 49, v0-1): per entry, set or remove keys, all or
    /// nothing; with `validate_only` nothing is stored. An entity left without quotas is
    /// forgotten.
    pub fn alter(&mut self, request: &AlterClientQuotasRequest) -> AlterClientQuotasResponse {
        let mut response = AlterClientQuotasResponse::default();
        let mut seen: HashSet<QuotaEntity> = HashSet::new();
        for entry in &request.entries {
            let mut out = AlterEntryOut::default().with_entity(
                entry
                    .entity
                    .iter()
                    .map(|e| {
                        AlterEntityOut::default()
                            .with_entity_type(e.entity_type.clone())
                            .with_entity_name(e.entity_name.clone())
                    })
                    .collect(),
            );
            let prepared = self.prepare(entry).and_then(|(entity, values)| {
                if seen.insert(entity.clone()) {
                    Ok((entity, values))
                } else {
                    Err(QuotaError::InvalidEntity(format!(
                        "{} appears more than once in the request",
                        entity_text(&entity)
                    )))
                }
            });
            match prepared {
                Ok((entity, values)) => {
                    out.error_message = None;
                    if !request.validate_only {
                        if values.is_empty() {
                            self.quotas.remove(&entity);
                        } else {
                            self.quotas.insert(entity, values);
                        }
                    }
                }
                Err(e) => {
                    out.error_code = e.code();
                    out.error_message = Some(e.to_string());
                }
            }
            response.entries.push(out);
        }
        response
    }

    fn prepare(
        &self,
        entry: &AlterEntry,
    ) -> Result<(QuotaEntity, BTreeMap<String, f64>), QuotaError> {
        let entity = validate_entity(entry)?;
        let text = entity_text(&entity);
        let keys = if entity.is_ip() {
            IP_KEYS
        } else {
            USER_CLIENT_KEYS
        };
        let mut values = self.quotas.get(&entity).cloned().unwrap_or_default();
        let mut seen = HashSet::new();
        for o in &entry.ops {
            if !seen.insert(o.key.as_str()) {
                return Err(QuotaError::DuplicateKey {
                    key: o.key.clone(),
                    entity: text,
                });
            }
            // Kafka does not check the key of a removal: removing what is not there is a no-op.
            if o.remove {
                values.remove(&o.key);
                continue;
            }
            let Some(&(_, kind)) = keys.iter().find(|(k, _)| *k == o.key) else {
                return Err(QuotaError::UnknownKey {
                    key: o.key.clone(),
                    entity: text,
                });
            };
            let bad = |reason| QuotaError::InvalidValue {
                key: o.key.clone(),
                entity: text.clone(),
                value: o.value,
                reason,
            };
            // Kafka checks that LONG keys carry whole numbers and nothing else; NaN and the
            // infinities are refused here as well because no quota can mean them.
            if !o.value.is_finite() {
                return Err(bad("must be a finite number"));
            }
            let whole = (o.value - o.value.round()).abs() <= 1e-6;
            match kind {
                KeyKind::Long if !whole || o.value.abs() >= 9.2e18 => {
                    return Err(bad("must be a whole number (LONG)"))
                }
                KeyKind::Int if !whole || o.value.abs() > f64::from(i32::MAX) => {
                    return Err(bad("must be a whole number that fits in an INT"))
                }
                _ => {}
            }
            values.insert(o.key.clone(), o.value);
        }
        Ok((entity, values))
    }

    /// The quota `key` that applies to a connection of `user` with `client_id`, in Kafka's
    /// precedence order: user+client, user+default client, user, default user+client,
    /// default user+default client, default user, client, default client. Unauthenticated
    /// connections use the user name `ANONYMOUS`. For tests that want to assert what a broker
    /// would enforce; this broker enforces nothing.
    pub fn effective_quota(&self, user: &str, client_id: &str, key: &str) -> Option<f64> {
        let (u, c) = (Some(user), Some(client_id));
        let candidates: [&[(&str, Option<&str>)]; 8] = [
            &[(USER, u), (CLIENT_ID, c)],
            &[(USER, u), (CLIENT_ID, None)],
            &[(USER, u)],
            &[(USER, None), (CLIENT_ID, c)],
            &[(USER, None), (CLIENT_ID, None)],
            &[(USER, None)],
            &[(CLIENT_ID, c)],
            &[(CLIENT_ID, None)],
        ];
        candidates.iter().find_map(|parts| {
            self.quotas
                .get(&QuotaEntity::new(parts.iter().copied()))
                .and_then(|values| values.get(key))
                .copied()
        })
    }

    /// Makes `throttle_for(client_id, api)` report `throttle_ms` (test control; KIP-219
    /// client-side throttling tests). `client_id` `None` applies to every client without an
    /// entry of its own.
    pub fn set_throttle(&mut self, client_id: Option<&str>, api: ApiKey, throttle_ms: i32) {
        self.throttles
            .insert((client_id.map(str::to_owned), api), throttle_ms);
    }

    /// Removes an injected throttle time.
    pub fn clear_throttle(&mut self, client_id: Option<&str>, api: ApiKey) {
        self.throttles.remove(&(client_id.map(str::to_owned), api));
    }

    /// The throttle time to report to `client_id` for a request of `api`, if a test set one:
    /// the client's own entry first, then the all-clients entry.
    pub fn throttle_for(&self, client_id: Option<&str>, api: ApiKey) -> Option<i32> {
        client_id
            .and_then(|c| self.throttles.get(&(Some(c.to_owned()), api)))
            .or_else(|| self.throttles.get(&(None, api)))
            .copied()
    }
}

fn validate_entity(entry: &AlterEntry) -> Result<QuotaEntity, QuotaError> {
    if entry.entity.is_empty() {
        return Err(QuotaError::InvalidEntity("the entity is empty".into()));
    }
    let mut entity = QuotaEntity::default();
    for e in &entry.entity {
        let t = e.entity_type.as_str();
        if ![USER, CLIENT_ID, IP].contains(&t) {
            return Err(QuotaError::InvalidEntity(format!(
                "unknown entity type {t:?}"
            )));
        }
        if t == IP {
            if let Some(name) = &e.entity_name {
                if name.parse::<IpAddr>().is_err() {
                    return Err(QuotaError::InvalidEntity(format!(
                        "{name:?} is not an IP address"
                    )));
                }
            }
        }
        if e.entity_name.as_deref() == Some("") {
            return Err(QuotaError::InvalidEntity(format!(
                "an empty {t} name is not supported"
            )));
        }
        if entity
            .0
            .insert(t.to_owned(), e.entity_name.clone())
            .is_some()
        {
            return Err(QuotaError::InvalidEntity(format!(
                "entity type {t} appears more than once"
            )));
        }
    }
    if entity.is_ip() && entity.0.len() > 1 {
        return Err(QuotaError::InvalidEntity(
            "an ip entity cannot be combined with user or client-id".into(),
        ));
    }
    Ok(entity)
}

fn entity_text(entity: &QuotaEntity) -> String {
    let parts: Vec<String> = entity
        .0
        .iter()
        .map(|(t, n)| match n {
            Some(n) => format!("{t}={n:?}"),
            None => format!("{t}=<default>"),
        })
        .collect();
    format!("entity [{}]", parts.join(", "))
}

//! ACLs and their evaluation: the broker's authorizer (Kafka's `StandardAuthorizer` rules,
//! KIP-290 prefixed patterns, KIP-430 authorized-operations bitfields, KIP-679's
//! "authorize by resource type") and the DescribeAcls, CreateAcls and DeleteAcls handlers
//! (keys 29, 30, 31, versions 0-3).
//!
//! Rules of [`Authorizer::authorize`], in order:
//! 1. A principal listed in `super.users` may do anything.
//! 2. The ACLs that apply to a resource are those of its type whose pattern is LITERAL with
//!    the same name, LITERAL `*`, or PREFIXED with a prefix of the name. If there are none
//!    (whoever they are for), the answer is `allow.everyone.if.no.acl.found`.
//! 3. Of those, only ACLs whose principal is the caller's or `User:*` and whose host is the
//!    caller's or `*` count. A DENY for the operation (or for ALL) wins over every ALLOW.
//! 4. Otherwise an ALLOW for the operation, for ALL, or for an operation that implies it
//!    (READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies
//!    DESCRIBE_CONFIGS) grants it. Implication works for ALLOW only: DENY READ does not deny
//!    DESCRIBE.
//! 5. Anything else is denied.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{
    CreateAclsRequest, CreateAclsResponse, DeleteAclsRequest, DeleteAclsResponse,
    DescribeAclsRequest, DescribeAclsResponse,
};

use super::codes;

/// The only resource name a CLUSTER ACL may have.
pub const CLUSTER_NAME: &str = "kafka-cluster";
/// The resource name and host that match everything.
pub const WILDCARD: &str = "*";
/// The principal that matches every principal.
pub const WILDCARD_PRINCIPAL: &str = "User:*";

macro_rules! kafka_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),*
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL_VALUES: &'static [$name] = &[$($name::$variant),*];

            /// Kafka's wire code.
            pub const fn code(self) -> i8 {
                match self {
                    $($name::$variant => $code),*
                }
            }

            /// The value for a wire code; codes Kafka does not define map to `Unknown`.
            pub const fn from_code(code: i8) -> Self {
                match code {
                    $($code => $name::$variant,)*
                    _ => $name::Unknown,
                }
            }

            /// Kafka's name for the value (`TOPIC`, `PREFIXED`, `DESCRIBE_CONFIGS`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            /// Parses Kafka's name, case-insensitively.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL_VALUES.iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

kafka_enum! {
    /// The kind of resource an ACL protects (Kafka's `ResourceType`).
    ResourceType {
        /// A code Kafka does not define.
        Unknown = 0 => "UNKNOWN",
        /// Filters only: any type.
        Any = 1 => "ANY",
        /// A topic.
        Topic = 2 => "TOPIC",
        /// A consumer group.
        Group = 3 => "GROUP",
        /// The cluster (name `kafka-cluster`).
        Cluster = 4 => "CLUSTER",
        /// A transactional id.
        TransactionalId = 5 => "TRANSACTIONAL_ID",
        /// A delegation token.
        DelegationToken = 6 => "DELEGATION_TOKEN",
        /// A user (KIP-373 delegation tokens for other users).
        User = 7 => "USER",
    }
}

kafka_enum! {
    /// How an ACL's resource name is matched (Kafka's `PatternType`, KIP-290).
    PatternType {
        /// A code Kafka does not define.
        Unknown = 0 => "UNKNOWN",
        /// Filters only: any pattern type, names compared exactly.
        Any = 1 => "ANY",
        /// Filters only: every pattern that would apply to the named resource.
        Match = 2 => "MATCH",
        /// The name exactly, or `*` for every resource.
        Literal = 3 => "LITERAL",
        /// Every resource whose name starts with the pattern's name.
        Prefixed = 4 => "PREFIXED",
    }
}

kafka_enum! {
    /// What an ACL allows or denies (Kafka's `AclOperation`).
    AclOperation {
        /// A code Kafka does not define.
        Unknown = 0 => "UNKNOWN",
        /// Filters only: any operation.
        Any = 1 => "ANY",
        /// Every operation.
        All = 2 => "ALL",
        /// Read (consume, commit offsets, join groups).
        Read = 3 => "READ",
        /// Write (produce, transactions).
        Write = 4 => "WRITE",
        /// Create topics.
        Create = 5 => "CREATE",
        /// Delete topics, records, groups.
        Delete = 6 => "DELETE",
        /// Alter (partitions, ACLs, cluster settings).
        Alter = 7 => "ALTER",
        /// Describe (metadata, offsets, coordinators).
        Describe = 8 => "DESCRIBE",
        /// Inter-broker requests.
        ClusterAction = 9 => "CLUSTER_ACTION",
        /// Read configs.
        DescribeConfigs = 10 => "DESCRIBE_CONFIGS",
        /// Change configs.
        AlterConfigs = 11 => "ALTER_CONFIGS",
        /// Idempotent produce without a transactional id.
        IdempotentWrite = 12 => "IDEMPOTENT_WRITE",
        /// Create delegation tokens for another user.
        CreateTokens = 13 => "CREATE_TOKENS",
        /// Describe delegation tokens of another user.
        DescribeTokens = 14 => "DESCRIBE_TOKENS",
    }
}

kafka_enum! {
    /// Whether an ACL allows or denies (Kafka's `AclPermissionType`).
    AclPermissionType {
        /// A code Kafka does not define.
        Unknown = 0 => "UNKNOWN",
        /// Filters only: either.
        Any = 1 => "ANY",
        /// Deny; wins over every ALLOW.
        Deny = 2 => "DENY",
        /// Allow.
        Allow = 3 => "ALLOW",
    }
}

impl ResourceType {
    /// The operations KIP-430 reports for a resource of this type (Kafka's
    /// `AclEntry.supportedOperations`).
    pub fn supported_operations(self) -> &'static [AclOperation] {
        use AclOperation::*;
        match self {
            ResourceType::Topic => &[
                Read,
                Write,
                Create,
                Describe,
                Delete,
                Alter,
                DescribeConfigs,
                AlterConfigs,
            ],
            ResourceType::Group => &[Read, Describe, Delete],
            ResourceType::Cluster => &[
                Create,
                ClusterAction,
                DescribeConfigs,
                AlterConfigs,
                IdempotentWrite,
                Alter,
                Describe,
            ],
            ResourceType::TransactionalId => &[Describe, Write],
            ResourceType::DelegationToken => &[Describe],
            ResourceType::User => &[CreateTokens, DescribeTokens],
            ResourceType::Unknown | ResourceType::Any => &[],
        }
    }

    /// The error code Kafka answers when an operation on this kind of resource is denied:
    /// TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED,
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED or DELEGATION_TOKEN_AUTHORIZATION_FAILED.
    pub fn authorization_error(self) -> i16 {
        match self {
            ResourceType::Topic => codes::TOPIC_AUTHORIZATION_FAILED,
            ResourceType::Group => codes::GROUP_AUTHORIZATION_FAILED,
            ResourceType::TransactionalId => codes::TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            ResourceType::DelegationToken | ResourceType::User => {
                codes::DELEGATION_TOKEN_AUTHORIZATION_FAILED
            }
            ResourceType::Cluster | ResourceType::Unknown | ResourceType::Any => {
                codes::CLUSTER_AUTHORIZATION_FAILED
            }
        }
    }
}

impl AclOperation {
    /// Whether an ALLOW ACL for `self` grants `requested` (ALL, the operation itself, or an
    /// operation that implies it).
    pub fn allow_grants(self, requested: AclOperation) -> bool {
        use AclOperation::*;
        self == All
            || self == requested
            || (requested == Describe && matches!(self, Read | Write | Delete | Alter))
            || (requested == DescribeConfigs && self == AlterConfigs)
    }

    /// Whether a DENY ACL for `self` denies `requested` (ALL or the operation itself; DENY
    /// implies nothing).
    pub fn deny_covers(self, requested: AclOperation) -> bool {
        self == AclOperation::All || self == requested
    }
}

/// A resource pattern: the resource part of an ACL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePattern {
    /// The kind of resource.
    pub resource_type: ResourceType,
    /// The name, the prefix, or `*`.
    pub name: String,
    /// LITERAL or PREFIXED.
    pub pattern_type: PatternType,
}

impl ResourcePattern {
    /// A LITERAL pattern.
    pub fn literal(resource_type: ResourceType, name: impl Into<String>) -> Self {
        Self {
            resource_type,
            name: name.into(),
            pattern_type: PatternType::Literal,
        }
    }

    /// A PREFIXED pattern.
    pub fn prefixed(resource_type: ResourceType, prefix: impl Into<String>) -> Self {
        Self {
            resource_type,
            name: prefix.into(),
            pattern_type: PatternType::Prefixed,
        }
    }

    /// Whether the pattern applies to the resource `resource_type`/`name`.
    pub fn applies_to(&self, resource_type: ResourceType, name: &str) -> bool {
        self.resource_type == resource_type
            && match self.pattern_type {
                PatternType::Literal => self.name == name || self.name == WILDCARD,
                PatternType::Prefixed => name.starts_with(self.name.as_str()),
                _ => false,
            }
    }
}

/// The who/what part of an ACL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessControlEntry {
    /// `Type:name`, for example `User:alice`, or `User:*`.
    pub principal: String,
    /// A host address, or `*`.
    pub host: String,
    /// The operation.
    pub operation: AclOperation,
    /// ALLOW or DENY.
    pub permission_type: AclPermissionType,
}

/// One ACL: a resource pattern and an entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    /// Which resources.
    pub pattern: ResourcePattern,
    /// Who, from where, what, and whether allowed.
    pub entry: AccessControlEntry,
}

impl AclBinding {
    /// An ACL allowing `principal` `operation` on `pattern` from any host.
    pub fn allow(pattern: ResourcePattern, principal: &str, operation: AclOperation) -> Self {
        Self::new(
            pattern,
            principal,
            WILDCARD,
            operation,
            AclPermissionType::Allow,
        )
    }

    /// An ACL denying `principal` `operation` on `pattern` from any host.
    pub fn deny(pattern: ResourcePattern, principal: &str, operation: AclOperation) -> Self {
        Self::new(
            pattern,
            principal,
            WILDCARD,
            operation,
            AclPermissionType::Deny,
        )
    }

    /// An ACL from its parts.
    pub fn new(
        pattern: ResourcePattern,
        principal: &str,
        host: &str,
        operation: AclOperation,
        permission_type: AclPermissionType,
    ) -> Self {
        Self {
            pattern,
            entry: AccessControlEntry {
                principal: principal.to_owned(),
                host: host.to_owned(),
                operation,
                permission_type,
            },
        }
    }

    /// Checks what Kafka checks before storing an ACL (CreateAcls): concrete enum values,
    /// LITERAL or PREFIXED, a non-empty name, `kafka-cluster` for CLUSTER, a `Type:name`
    /// principal. The error text is what CreateAcls returns with INVALID_REQUEST.
    pub fn validate(&self) -> Result<(), String> {
        let p = &self.pattern;
        let e = &self.entry;
        if matches!(p.resource_type, ResourceType::Unknown | ResourceType::Any) {
            return Err(format!(
                "invalid resource type {} for an ACL",
                p.resource_type
            ));
        }
        if !matches!(p.pattern_type, PatternType::Literal | PatternType::Prefixed) {
            return Err(format!(
                "invalid pattern type {} for an ACL: only LITERAL and PREFIXED can be stored",
                p.pattern_type
            ));
        }
        if matches!(e.operation, AclOperation::Unknown | AclOperation::Any) {
            return Err(format!("invalid operation {} for an ACL", e.operation));
        }
        if matches!(
            e.permission_type,
            AclPermissionType::Unknown | AclPermissionType::Any
        ) {
            return Err(format!(
                "invalid permission type {} for an ACL",
                e.permission_type
            ));
        }
        if p.name.is_empty() {
            return Err("resource name must not be empty".to_owned());
        }
        if p.resource_type == ResourceType::Cluster && p.name != CLUSTER_NAME {
            return Err(format!(
                "the only valid name for the CLUSTER resource is {CLUSTER_NAME}, not {:?}",
                p.name
            ));
        }
        if !e.principal.contains(':') {
            return Err(format!(
                "could not parse principal {:?}: expected Type:name, for example User:alice",
                e.principal
            ));
        }
        if e.host.is_empty() {
            return Err("host must not be empty (use * for any host)".to_owned());
        }
        Ok(())
    }

    fn applies(&self, principal: &str, host: &str) -> bool {
        (self.entry.principal == principal || self.entry.principal == WILDCARD_PRINCIPAL)
            && (self.entry.host == host || self.entry.host == WILDCARD)
    }
}

/// A filter over ACLs, as DescribeAcls and DeleteAcls carry it (Kafka's `AclBindingFilter`).
/// `None` strings match anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclBindingFilter {
    /// Resource type, or ANY.
    pub resource_type: ResourceType,
    /// Resource name, or `None` for any.
    pub name: Option<String>,
    /// Pattern type: LITERAL, PREFIXED, ANY (names compared exactly) or MATCH (patterns that
    /// would apply to the named resource).
    pub pattern_type: PatternType,
    /// Principal, compared exactly (`User:*` only matches ACLs for `User:*`), or `None`.
    pub principal: Option<String>,
    /// Host, compared exactly, or `None`.
    pub host: Option<String>,
    /// Operation, or ANY.
    pub operation: AclOperation,
    /// Permission type, or ANY.
    pub permission_type: AclPermissionType,
}

impl AclBindingFilter {
    /// The filter that matches every ACL.
    pub fn any() -> Self {
        Self {
            resource_type: ResourceType::Any,
            name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission_type: AclPermissionType::Any,
        }
    }

    /// The filter a DescribeAcls request carries.
    pub fn from_describe(request: &DescribeAclsRequest) -> Self {
        Self {
            resource_type: ResourceType::from_code(request.resource_type_filter),
            name: request.resource_name_filter.clone(),
            pattern_type: PatternType::from_code(request.pattern_type_filter),
            principal: request.principal_filter.clone(),
            host: request.host_filter.clone(),
            operation: AclOperation::from_code(request.operation),
            permission_type: AclPermissionType::from_code(request.permission_type),
        }
    }

    /// One filter of a DeleteAcls request.
    pub fn from_delete(filter: &DeleteAclsFilter) -> Self {
        Self {
            resource_type: ResourceType::from_code(filter.resource_type_filter),
            name: filter.resource_name_filter.clone(),
            pattern_type: PatternType::from_code(filter.pattern_type_filter),
            principal: filter.principal_filter.clone(),
            host: filter.host_filter.clone(),
            operation: AclOperation::from_code(filter.operation),
            permission_type: AclPermissionType::from_code(filter.permission_type),
        }
    }

    /// Rejects filters with codes Kafka does not define (Kafka: "contains UNKNOWN
    /// elements"). The text goes out with INVALID_REQUEST.
    pub fn validate(&self) -> Result<(), String> {
        let unknown = [
            (self.resource_type == ResourceType::Unknown, "resource type"),
            (self.pattern_type == PatternType::Unknown, "pattern type"),
            (self.operation == AclOperation::Unknown, "operation"),
            (
                self.permission_type == AclPermissionType::Unknown,
                "permission type",
            ),
        ];
        match unknown.iter().find(|(bad, _)| *bad) {
            Some((_, what)) => Err(format!("the ACL filter has an unknown {what} code")),
            None => Ok(()),
        }
    }

    /// Whether the filter matches `binding` (Kafka's `AclBindingFilter.matches`).
    pub fn matches(&self, binding: &AclBinding) -> bool {
        self.matches_pattern(&binding.pattern) && self.matches_entry(&binding.entry)
    }

    fn matches_pattern(&self, pattern: &ResourcePattern) -> bool {
        if self.resource_type != ResourceType::Any && self.resource_type != pattern.resource_type {
            return false;
        }
        if !matches!(self.pattern_type, PatternType::Any | PatternType::Match)
            && self.pattern_type != pattern.pattern_type
        {
            return false;
        }
        let Some(name) = &self.name else {
            return true;
        };
        if self.pattern_type == PatternType::Any || self.pattern_type == pattern.pattern_type {
            return *name == pattern.name;
        }
        // MATCH: the patterns that would apply to a resource called `name`.
        match pattern.pattern_type {
            PatternType::Literal => *name == pattern.name || pattern.name == WILDCARD,
            PatternType::Prefixed => name.starts_with(pattern.name.as_str()),
            _ => false,
        }
    }

    fn matches_entry(&self, entry: &AccessControlEntry) -> bool {
        self.principal
            .as_ref()
            .is_none_or(|p| *p == entry.principal)
            && self.host.as_ref().is_none_or(|h| *h == entry.host)
            && (self.operation == AclOperation::Any || self.operation == entry.operation)
            && (self.permission_type == AclPermissionType::Any
                || self.permission_type == entry.permission_type)
    }
}

/// Authorizer settings, named after Kafka's broker properties.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizerConfig {
    /// `super.users`: principals (`User:admin`) allowed everything regardless of ACLs.
    /// Default none.
    pub super_users: BTreeSet<String>,
    /// `allow.everyone.if.no.acl.found`: whether a resource without any ACL is open to
    /// everyone. Default false.
    pub allow_everyone_if_no_acl_found: bool,
}

/// A rejected authorizer setting.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizerConfigError {
    /// The key is not one [`AuthorizerConfig::set`] knows.
    #[error("unknown authorizer config key {key:?}; known keys: {}", AuthorizerConfig::KEYS.join(", "))]
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// The value does not parse.
    #[error("invalid value {value:?} for {key}: expected {expected}")]
    InvalidValue {
        /// The key.
        key: &'static str,
        /// The value as given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
}

impl AuthorizerConfig {
    /// The Kafka broker properties [`set`](Self::set) accepts.
    pub const KEYS: [&'static str; 2] = ["super.users", "allow.everyone.if.no.acl.found"];

    /// Builds a config from Kafka-style `key=value` properties, starting from the defaults.
    pub fn from_properties<K: AsRef<str>, V: AsRef<str>>(
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, AuthorizerConfigError> {
        let mut config = Self::default();
        for (key, value) in properties {
            config.set(key.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// Applies one property. `super.users` is a `;`-separated list of `Type:name`
    /// principals, as in Kafka.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), AuthorizerConfigError> {
        match key {
            "super.users" => {
                let mut users = BTreeSet::new();
                for user in value.split(';').map(str::trim).filter(|u| !u.is_empty()) {
                    if !user.contains(':') {
                        return Err(AuthorizerConfigError::InvalidValue {
                            key: "super.users",
                            value: value.to_owned(),
                            expected: "a ;-separated list of Type:name principals, e.g. User:admin;User:ops",
                        });
                    }
                    users.insert(user.to_owned());
                }
                self.super_users = users;
            }
            "allow.everyone.if.no.acl.found" => {
                self.allow_everyone_if_no_acl_found = match value.trim() {
                    v if v.eq_ignore_ascii_case("true") => true,
                    v if v.eq_ignore_ascii_case("false") => false,
                    _ => {
                        return Err(AuthorizerConfigError::InvalidValue {
                            key: "allow.everyone.if.no.acl.found",
                            value: value.to_owned(),
                            expected: "true or false",
                        })
                    }
                };
            }
            _ => {
                return Err(AuthorizerConfigError::UnknownKey {
                    key: key.to_owned(),
                })
            }
        }
        Ok(())
    }

    /// Adds a superuser (`super.users`).
    pub fn super_user(mut self, principal: impl Into<String>) -> Self {
        self.super_users.insert(principal.into());
        self
    }

    /// Sets `allow.everyone.if.no.acl.found`.
    pub fn allow_everyone_if_no_acl_found(mut self, allow: bool) -> Self {
        self.allow_everyone_if_no_acl_found = allow;
        self
    }
}

/// The KIP-430 value for "authorized operations not requested" (`Integer.MIN_VALUE`).
pub const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// The ACL store and its evaluation. Identical ACLs are stored once, as in Kafka; iteration
/// order is deterministic (sorted).
#[derive(Clone, Debug, Default)]
pub struct Authorizer {
    config: AuthorizerConfig,
    acls: BTreeSet<AclBinding>,
}

impl Authorizer {
    /// An authorizer with no ACLs.
    pub fn new(config: AuthorizerConfig) -> Self {
        Self {
            config,
            acls: BTreeSet::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &AuthorizerConfig {
        &self.config
    }

    /// The stored ACLs, sorted.
    pub fn acls(&self) -> impl Iterator<Item = &AclBinding> {
        self.acls.iter()
    }

    /// Stores an ACL after [`AclBinding::validate`]; storing one that exists is a no-op.
    pub fn add_acl(&mut self, binding: AclBinding) -> Result<(), String> {
        binding.validate()?;
        self.acls.insert(binding);
        Ok(())
    }

    /// Removes and returns every ACL the filter matches.
    pub fn remove_matching(&mut self, filter: &AclBindingFilter) -> Vec<AclBinding> {
        let removed: Vec<AclBinding> = self
            .acls
            .iter()
            .filter(|b| filter.matches(b))
            .cloned()
            .collect();
        for binding in &removed {
            self.acls.remove(binding);
        }
        removed
    }

    /// Whether `principal` is in `super.users`.
    pub fn is_super_user(&self, principal: &str) -> bool {
        self.config.super_users.contains(principal)
    }

    /// Whether `principal` (`User:alice`) connecting from `host` may perform `operation` on
    /// the resource `resource_type`/`name` (see the module docs for the rules). For the
    /// cluster, `name` is [`CLUSTER_NAME`].
    pub fn authorize(
        &self,
        principal: &str,
        host: &str,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> bool {
        if self.is_super_user(principal) {
            return true;
        }
        let mut found_resource_acl = false;
        let mut allowed = false;
        for binding in self
            .acls
            .iter()
            .filter(|b| b.pattern.applies_to(resource_type, name))
        {
            found_resource_acl = true;
            if !binding.applies(principal, host) {
                continue;
            }
            match binding.entry.permission_type {
                AclPermissionType::Deny if binding.entry.operation.deny_covers(operation) => {
                    return false
                }
                AclPermissionType::Allow if binding.entry.operation.allow_grants(operation) => {
                    allowed = true
                }
                _ => {}
            }
        }
        if !found_resource_acl {
            return self.config.allow_everyone_if_no_acl_found;
        }
        allowed
    }

    /// [`authorize`](Self::authorize) as a result carrying the resource type's
    /// authorization error code.
    pub fn check(
        &self,
        principal: &str,
        host: &str,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> Result<(), i16> {
        if self.authorize(principal, host, operation, resource_type, name) {
            Ok(())
        } else {
            Err(resource_type.authorization_error())
        }
    }

    /// Whether `principal` may perform `operation` on at least one resource of the type
    /// (KIP-679, Kafka's default `Authorizer.authorizeByResourceType`): used by
    /// InitProducerId without a transactional id, which is allowed with WRITE on any topic.
    /// An ALLOW counts unless a DENY covers everything it allows (a wildcard DENY, the same
    /// literal, or a DENY prefix of its name).
    pub fn authorize_by_resource_type(
        &self,
        principal: &str,
        host: &str,
        operation: AclOperation,
        resource_type: ResourceType,
    ) -> bool {
        // Kafka checks a made-up resource name first, so superusers (and
        // allow.everyone.if.no.acl.found without wildcard ACLs) pass.
        if self.authorize(principal, host, operation, resource_type, "hardcode") {
            return true;
        }
        let mut deny_literal = BTreeSet::new();
        let mut deny_prefixed = BTreeSet::new();
        let mut allow = Vec::new();
        for binding in &self.acls {
            if binding.pattern.resource_type != resource_type
                || !binding.applies(principal, host)
                || !binding.entry.operation.deny_covers(operation)
            {
                continue;
            }
            let pattern = &binding.pattern;
            match (binding.entry.permission_type, pattern.pattern_type) {
                (AclPermissionType::Deny, PatternType::Literal) if pattern.name == WILDCARD => {
                    return false
                }
                (AclPermissionType::Deny, PatternType::Literal) => {
                    deny_literal.insert(pattern.name.as_str());
                }
                (AclPermissionType::Deny, PatternType::Prefixed) => {
                    deny_prefixed.insert(pattern.name.as_str());
                }
                (AclPermissionType::Allow, PatternType::Literal) if pattern.name == WILDCARD => {
                    return true
                }
                (AclPermissionType::Allow, _) => allow.push(pattern),
                _ => {}
            }
        }
        allow.into_iter().any(|pattern| {
            let literal_denied = pattern.pattern_type == PatternType::Literal
                && deny_literal.contains(pattern.name.as_str());
            let prefix_denied = pattern
                .name
                .char_indices()
                .map(|(i, c)| &pattern.name[..i + c.len_utf8()])
                .any(|prefix| deny_prefixed.contains(prefix));
            !literal_denied && !prefix_denied
        })
    }

    /// The KIP-430 bitfield of the operations `principal` may perform on the resource: bit
    /// `1 << code` for each allowed operation of [`ResourceType::supported_operations`].
    /// Metadata (topics v8+, cluster v8-10), DescribeCluster and DescribeGroups (v3+) send
    /// it when the request asks; otherwise they send [`AUTHORIZED_OPERATIONS_OMITTED`].
    pub fn authorized_operations(
        &self,
        principal: &str,
        host: &str,
        resource_type: ResourceType,
        name: &str,
    ) -> i32 {
        resource_type
            .supported_operations()
            .iter()
            .filter(|op| self.authorize(principal, host, **op, resource_type, name))
            .fold(0i32, |bits, op| bits | (1i32 << op.code()))
    }

    /// Handles DescribeAcls (key 29, v0-3). The caller checks DESCRIBE on the cluster first
    /// (CLUSTER_AUTHORIZATION_FAILED via [`describe_acls_error`]).
    pub fn describe_acls(
        &self,
        request: &DescribeAclsRequest,
        version: i16,
    ) -> DescribeAclsResponse {
        let mut filter = AclBindingFilter::from_describe(request);
        if version == 0 {
            // v0 has no pattern type and only knows literal ACLs.
            filter.pattern_type = PatternType::Literal;
        }
        if let Err(message) = filter.validate() {
            return describe_acls_error(codes::INVALID_REQUEST, Some(message));
        }
        let mut grouped: BTreeMap<&ResourcePattern, Vec<AclDescription>> = BTreeMap::new();
        for binding in self.acls.iter().filter(|b| filter.matches(b)) {
            grouped.entry(&binding.pattern).or_default().push(
                AclDescription::default()
                    .with_principal(binding.entry.principal.clone())
                    .with_host(binding.entry.host.clone())
                    .with_operation(binding.entry.operation.code())
                    .with_permission_type(binding.entry.permission_type.code()),
            );
        }
        let resources = grouped
            .into_iter()
            .map(|(pattern, acls)| {
                DescribeAclsResource::default()
                    .with_resource_type(pattern.resource_type.code())
                    .with_resource_name(pattern.name.clone())
                    .with_pattern_type(pattern.pattern_type.code())
                    .with_acls(acls)
            })
            .collect();
        DescribeAclsResponse::default()
            .with_error_message(None)
            .with_resources(resources)
    }

    /// Handles CreateAcls (key 30, v0-3): one result per creation, in order; invalid ones
    /// get INVALID_REQUEST with the reason and the rest are still created. The caller checks
    /// ALTER on the cluster first ([`create_acls_error`]).
    pub fn create_acls(&mut self, request: &CreateAclsRequest, version: i16) -> CreateAclsResponse {
        let mut response = CreateAclsResponse::default();
        for creation in &request.creations {
            let mut pattern_type = PatternType::from_code(creation.resource_pattern_type);
            if version == 0 {
                pattern_type = PatternType::Literal;
            }
            let binding = AclBinding::new(
                ResourcePattern {
                    resource_type: ResourceType::from_code(creation.resource_type),
                    name: creation.resource_name.clone(),
                    pattern_type,
                },
                &creation.principal,
                &creation.host,
                AclOperation::from_code(creation.operation),
                AclPermissionType::from_code(creation.permission_type),
            );
            let result = match self.add_acl(binding) {
                Ok(()) => AclCreationResult::default().with_error_message(None),
                Err(message) => AclCreationResult::default()
                    .with_error_code(codes::INVALID_REQUEST)
                    .with_error_message(Some(message)),
            };
            response.results.push(result);
        }
        response
    }

    /// Handles DeleteAcls (key 31, v0-3): one result per filter, listing the ACLs it
    /// deleted. An ACL matched by several filters is reported under the first. A filter with
    /// unknown codes gets INVALID_REQUEST and deletes nothing. The caller checks ALTER on the
    /// cluster first ([`delete_acls_error`]).
    pub fn delete_acls(&mut self, request: &DeleteAclsRequest, version: i16) -> DeleteAclsResponse {
        let mut response = DeleteAclsResponse::default();
        for raw in &request.filters {
            let mut filter = AclBindingFilter::from_delete(raw);
            if version == 0 {
                filter.pattern_type = PatternType::Literal;
            }
            let result = match filter.validate() {
                Err(message) => DeleteAclsFilterResult::default()
                    .with_error_code(codes::INVALID_REQUEST)
                    .with_error_message(Some(message)),
                Ok(()) => {
                    let matching = self
                        .remove_matching(&filter)
                        .into_iter()
                        .map(|b| {
                            DeleteAclsMatchingAcl::default()
                                .with_error_message(None)
                                .with_resource_type(b.pattern.resource_type.code())
                                .with_resource_name(b.pattern.name)
                                .with_pattern_type(b.pattern.pattern_type.code())
                                .with_principal(b.entry.principal)
                                .with_host(b.entry.host)
                                .with_operation(b.entry.operation.code())
                                .with_permission_type(b.entry.permission_type.code())
                        })
                        .collect();
                    DeleteAclsFilterResult::default()
                        .with_error_message(None)
                        .with_matching_acls(matching)
                }
            };
            response.filter_results.push(result);
        }
        response
    }
}

/// A DescribeAcls response carrying only an error: CLUSTER_AUTHORIZATION_FAILED when the
/// caller lacks DESCRIBE on the cluster, SECURITY_DISABLED (54) when the broker has no
/// authorizer.
pub fn describe_acls_error(code: i16, message: Option<String>) -> DescribeAclsResponse {
    DescribeAclsResponse::default()
        .with_error_code(code)
        .with_error_message(message)
}

/// A CreateAcls response giving every creation `code` (CLUSTER_AUTHORIZATION_FAILED without
/// ALTER on the cluster, SECURITY_DISABLED without an authorizer).
pub fn create_acls_error(request: &CreateAclsRequest, code: i16) -> CreateAclsResponse {
    let results = request
        .creations
        .iter()
        .map(|_| {
            AclCreationResult::default()
                .with_error_code(code)
                .with_error_message(None)
        })
        .collect();
    CreateAclsResponse::default().with_results(results)
}

/// A DeleteAcls response giving every filter `code` (as [`create_acls_error`]).
pub fn delete_acls_error(request: &DeleteAclsRequest, code: i16) -> DeleteAclsResponse {
    let results = request
        .filters
        .iter()
        .map(|_| {
            DeleteAclsFilterResult::default()
                .with_error_code(code)
                .with_error_message(None)
        })
        .collect();
    DeleteAclsResponse::default().with_filter_results(results)
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::create_acls_request::AclCreation;

    use super::AclOperation::*;
    use super::*;

    const ALICE: &str = "User:alice";
    const BOB: &str = "User:bob";
    const HOST: &str = "127.0.0.1";

    fn topic(name: &str) -> ResourcePattern {
        ResourcePattern::literal(ResourceType::Topic, name)
    }

    fn authorizer(acls: impl IntoIterator<Item = AclBinding>) -> Authorizer {
        let mut a = Authorizer::new(AuthorizerConfig::default());
        for acl in acls {
            a.add_acl(acl).unwrap();
        }
        a
    }

    fn can(
        a: &Authorizer,
        principal: &str,
        op: AclOperation,
        rt: ResourceType,
        name: &str,
    ) -> bool {
        a.authorize(principal, HOST, op, rt, name)
    }

    #[test]
    fn codes_are_kafkas() {
        assert_eq!(ResourceType::Topic.code(), 2);
        assert_eq!(ResourceType::Cluster.code(), 4);
        assert_eq!(ResourceType::User.code(), 7);
        assert_eq!(PatternType::Match.code(), 2);
        assert_eq!(PatternType::Prefixed.code(), 4);
        assert_eq!(IdempotentWrite.code(), 12);
        assert_eq!(DescribeTokens.code(), 14);
        assert_eq!(AclPermissionType::Deny.code(), 2);
        assert_eq!(AclPermissionType::Allow.code(), 3);
        assert_eq!(AclOperation::from_code(99), AclOperation::Unknown);
        assert_eq!(
            AclOperation::from_name("describe_configs"),
            Some(DescribeConfigs)
        );
        for op in AclOperation::ALL_VALUES {
            assert_eq!(AclOperation::from_code(op.code()), *op);
        }
    }

    #[test]
    fn no_acls_denies_by_default_and_allows_when_configured() {
        let a = authorizer([]);
        assert!(!can(&a, ALICE, Read, ResourceType::Topic, "t"));
        let open =
            Authorizer::new(AuthorizerConfig::default().allow_everyone_if_no_acl_found(true));
        assert!(can(&open, ALICE, Read, ResourceType::Topic, "t"));
    }

    #[test]
    fn allow_everyone_only_applies_to_resources_without_any_acl() {
        let mut a =
            Authorizer::new(AuthorizerConfig::default().allow_everyone_if_no_acl_found(true));
        a.add_acl(AclBinding::allow(topic("guarded"), BOB, Read))
            .unwrap();
        // Some ACL exists for "guarded" (for bob), so alice is denied there...
        assert!(!can(&a, ALICE, Read, ResourceType::Topic, "guarded"));
        assert!(can(&a, BOB, Read, ResourceType::Topic, "guarded"));
        // ...but other topics have none and stay open.
        assert!(can(&a, ALICE, Read, ResourceType::Topic, "other"));
    }

    #[test]
    fn deny_overrides_allow() {
        let a = authorizer([
            AclBinding::allow(topic("*"), ALICE, All),
            AclBinding::deny(topic("secret"), ALICE, Read),
        ]);
        assert!(can(&a, ALICE, Read, ResourceType::Topic, "public"));
        assert!(!can(&a, ALICE, Read, ResourceType::Topic, "secret"));
        // DENY READ does not imply DENY DESCRIBE, and the wildcard ALL still grants it.
        assert!(can(&a, ALICE, Describe, ResourceType::Topic, "secret"));
        assert!(can(&a, ALICE, Write, ResourceType::Topic, "secret"));
    }

    #[test]
    fn deny_all_denies_every_operation() {
        let a = authorizer([
            AclBinding::allow(topic("t"), ALICE, Read),
            AclBinding::deny(topic("t"), WILDCARD_PRINCIPAL, All),
        ]);
        for op in ResourceType::Topic.supported_operations() {
            assert!(!can(&a, ALICE, *op, ResourceType::Topic, "t"), "{op}");
        }
    }

    #[test]
    fn implied_operations() {
        let a = authorizer([
            AclBinding::allow(topic("r"), ALICE, Read),
            AclBinding::allow(topic("w"), ALICE, Write),
            AclBinding::allow(topic("d"), ALICE, Delete),
            AclBinding::allow(topic("a"), ALICE, Alter),
            AclBinding::allow(topic("c"), ALICE, AlterConfigs),
            AclBinding::allow(topic("x"), ALICE, Create),
        ]);
        for name in ["r", "w", "d", "a"] {
            assert!(
                can(&a, ALICE, Describe, ResourceType::Topic, name),
                "{name}"
            );
            assert!(
                !can(&a, ALICE, DescribeConfigs, ResourceType::Topic, name),
                "{name}"
            );
        }
        assert!(can(&a, ALICE, DescribeConfigs, ResourceType::Topic, "c"));
        assert!(!can(&a, ALICE, Describe, ResourceType::Topic, "c"));
        // CREATE implies nothing; READ does not imply WRITE.
        assert!(!can(&a, ALICE, Describe, ResourceType::Topic, "x"));
        assert!(!can(&a, ALICE, Write, ResourceType::Topic, "r"));
    }

    #[test]
    fn all_allows_everything() {
        let a = authorizer([AclBinding::allow(
            ResourcePattern::literal(ResourceType::Cluster, CLUSTER_NAME),
            ALICE,
            All,
        )]);
        for op in ResourceType::Cluster.supported_operations() {
            assert!(
                can(&a, ALICE, *op, ResourceType::Cluster, CLUSTER_NAME),
                "{op}"
            );
        }
        assert!(!can(&a, BOB, Describe, ResourceType::Cluster, CLUSTER_NAME));
    }

    #[test]
    fn wildcard_principal_host_and_resource() {
        let a = authorizer([
            AclBinding::allow(topic("*"), WILDCARD_PRINCIPAL, Read),
            AclBinding::new(
                topic("pinned"),
                ALICE,
                "10.0.0.1",
                Write,
                AclPermissionType::Allow,
            ),
        ]);
        assert!(can(&a, BOB, Read, ResourceType::Topic, "anything"));
        assert!(can(&a, "User:ANONYMOUS", Read, ResourceType::Topic, "x"));
        // Other resource types are not covered by a topic wildcard.
        assert!(!can(&a, BOB, Read, ResourceType::Group, "anything"));
        // Host-specific ACLs only apply from that host.
        assert!(a.authorize(ALICE, "10.0.0.1", Write, ResourceType::Topic, "pinned"));
        assert!(!a.authorize(ALICE, HOST, Write, ResourceType::Topic, "pinned"));
        // A literal "*" is not a prefix wildcard for names: it matches every name, and a
        // literal ACL on "pin" does not match "pinned".
        let b = authorizer([AclBinding::allow(topic("pin"), ALICE, Read)]);
        assert!(!can(&b, ALICE, Read, ResourceType::Topic, "pinned"));
    }

    #[test]
    fn prefixed_patterns() {
        let a = authorizer([
            AclBinding::allow(
                ResourcePattern::prefixed(ResourceType::Topic, "orders-"),
                ALICE,
                Write,
            ),
            AclBinding::deny(
                ResourcePattern::prefixed(ResourceType::Topic, "orders-eu"),
                ALICE,
                Write,
            ),
            AclBinding::allow(
                ResourcePattern::prefixed(ResourceType::Group, "app"),
                ALICE,
                Read,
            ),
        ]);
        assert!(can(&a, ALICE, Write, ResourceType::Topic, "orders-us"));
        assert!(can(&a, ALICE, Write, ResourceType::Topic, "orders-"));
        assert!(!can(&a, ALICE, Write, ResourceType::Topic, "orders-eu-1"));
        assert!(!can(&a, ALICE, Write, ResourceType::Topic, "order"));
        assert!(can(&a, ALICE, Read, ResourceType::Group, "app-consumers"));
        assert!(!can(&a, ALICE, Read, ResourceType::Group, "ap"));
    }

    #[test]
    fn super_users_bypass_acls_even_denies() {
        let config =
            AuthorizerConfig::from_properties([("super.users", "User:admin; User:ops")]).unwrap();
        assert_eq!(config.super_users.len(), 2);
        let mut a = Authorizer::new(config);
        a.add_acl(AclBinding::deny(topic("*"), WILDCARD_PRINCIPAL, All))
            .unwrap();
        assert!(can(&a, "User:admin", Write, ResourceType::Topic, "t"));
        assert!(can(
            &a,
            "User:ops",
            Alter,
            ResourceType::Cluster,
            CLUSTER_NAME
        ));
        assert!(!can(&a, ALICE, Write, ResourceType::Topic, "t"));
        assert_eq!(
            a.authorized_operations("User:admin", HOST, ResourceType::Group, "g"),
            (1 << 3) | (1 << 8) | (1 << 6)
        );
    }

    #[test]
    fn config_rejects_bad_values_and_keys() {
        assert!(matches!(
            AuthorizerConfig::from_properties([("super.users", "admin")]),
            Err(AuthorizerConfigError::InvalidValue {
                key: "super.users",
                ..
            })
        ));
        assert!(matches!(
            AuthorizerConfig::from_properties([("allow.everyone.if.no.acl.found", "yes")]),
            Err(AuthorizerConfigError::InvalidValue { .. })
        ));
        let err = AuthorizerConfig::from_properties([("authorizer.class.name", "x")]).unwrap_err();
        assert!(err.to_string().contains("super.users"), "{err}");
        let config =
            AuthorizerConfig::from_properties([("allow.everyone.if.no.acl.found", "TRUE")])
                .unwrap();
        assert!(config.allow_everyone_if_no_acl_found);
    }

    #[test]
    fn authorized_operations_bitfield() {
        let a = authorizer([
            AclBinding::allow(topic("t"), ALICE, Read),
            AclBinding::allow(topic("t"), ALICE, AlterConfigs),
        ]);
        // READ, DESCRIBE (implied by READ), ALTER_CONFIGS, DESCRIBE_CONFIGS (implied).
        let expected = (1 << 3) | (1 << 8) | (1 << 11) | (1 << 10);
        assert_eq!(
            a.authorized_operations(ALICE, HOST, ResourceType::Topic, "t"),
            expected
        );
        assert_eq!(
            a.authorized_operations(BOB, HOST, ResourceType::Topic, "t"),
            0
        );
        let open =
            Authorizer::new(AuthorizerConfig::default().allow_everyone_if_no_acl_found(true));
        // Every supported cluster operation: CREATE 5, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
        // ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12, ALTER 7, DESCRIBE 8.
        let cluster = [5, 9, 10, 11, 12, 7, 8].iter().fold(0, |b, c| b | (1 << c));
        assert_eq!(
            open.authorized_operations(BOB, HOST, ResourceType::Cluster, CLUSTER_NAME),
            cluster
        );
    }

    #[test]
    fn authorize_by_resource_type_follows_kip_679() {
        let a = authorizer([AclBinding::allow(topic("orders"), ALICE, Write)]);
        assert!(a.authorize_by_resource_type(ALICE, HOST, Write, ResourceType::Topic));
        assert!(!a.authorize_by_resource_type(BOB, HOST, Write, ResourceType::Topic));
        // A literal DENY on the same name cancels it.
        let b = authorizer([
            AclBinding::allow(topic("orders"), ALICE, Write),
            AclBinding::deny(topic("orders"), ALICE, Write),
        ]);
        assert!(!b.authorize_by_resource_type(ALICE, HOST, Write, ResourceType::Topic));
        // A DENY prefix of an ALLOW prefix cancels it; an unrelated DENY does not.
        let c = authorizer([
            AclBinding::allow(
                ResourcePattern::prefixed(ResourceType::Topic, "orders-eu"),
                ALICE,
                Write,
            ),
            AclBinding::deny(
                ResourcePattern::prefixed(ResourceType::Topic, "orders"),
                ALICE,
                Write,
            ),
        ]);
        assert!(!c.authorize_by_resource_type(ALICE, HOST, Write, ResourceType::Topic));
        let d = authorizer([
            AclBinding::allow(topic("orders"), ALICE, Write),
            AclBinding::deny(topic("payments"), ALICE, Write),
        ]);
        assert!(d.authorize_by_resource_type(ALICE, HOST, Write, ResourceType::Topic));
        // A wildcard DENY cancels everything.
        let e = authorizer([
            AclBinding::allow(topic("orders"), ALICE, All),
            AclBinding::deny(topic("*"), WILDCARD_PRINCIPAL, Write),
        ]);
        assert!(!e.authorize_by_resource_type(ALICE, HOST, Write, ResourceType::Topic));
    }

    #[test]
    fn validate_rejects_what_kafka_rejects() {
        let ok = AclBinding::allow(topic("t"), ALICE, Read);
        assert!(ok.validate().is_ok());
        let mut bad = ok.clone();
        bad.pattern.pattern_type = PatternType::Match;
        assert!(bad.validate().unwrap_err().contains("pattern type"));
        let mut bad = ok.clone();
        bad.entry.operation = AclOperation::Any;
        assert!(bad.validate().is_err());
        let mut bad = ok.clone();
        bad.entry.principal = "alice".into();
        assert!(bad.validate().unwrap_err().contains("principal"));
        let bad = AclBinding::allow(
            ResourcePattern::literal(ResourceType::Cluster, "c"),
            ALICE,
            Alter,
        );
        assert!(bad.validate().unwrap_err().contains(CLUSTER_NAME));
        let bad = AclBinding::allow(topic(""), ALICE, Read);
        assert!(bad.validate().is_err());
    }

    fn creation(
        rt: ResourceType,
        name: &str,
        pt: PatternType,
        principal: &str,
        op: AclOperation,
        perm: AclPermissionType,
    ) -> AclCreation {
        AclCreation::default()
            .with_resource_type(rt.code())
            .with_resource_name(name.into())
            .with_resource_pattern_type(pt.code())
            .with_principal(principal.into())
            .with_host("*".into())
            .with_operation(op.code())
            .with_permission_type(perm.code())
    }

    fn populated() -> Authorizer {
        let mut a = authorizer([]);
        let request = CreateAclsRequest::default().with_creations(vec![
            creation(
                ResourceType::Topic,
                "orders",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Topic,
                "orders",
                PatternType::Literal,
                BOB,
                Write,
                AclPermissionType::Deny,
            ),
            creation(
                ResourceType::Topic,
                "ord",
                PatternType::Prefixed,
                ALICE,
                Write,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Topic,
                "*",
                PatternType::Literal,
                WILDCARD_PRINCIPAL,
                Describe,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Group,
                "g",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
        ]);
        let response = a.create_acls(&request, 3);
        assert!(
            response.results.iter().all(|r| r.error_code == 0),
            "{response:?}"
        );
        a
    }

    #[test]
    fn create_acls_reports_per_creation_errors() {
        let mut a = authorizer([]);
        let mut unknown_op = creation(
            ResourceType::Topic,
            "t",
            PatternType::Literal,
            ALICE,
            Read,
            AclPermissionType::Allow,
        );
        unknown_op.operation = 77;
        let request = CreateAclsRequest::default().with_creations(vec![
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
            unknown_op,
        ]);
        let response = a.create_acls(&request, 3);
        assert_eq!(response.results.len(), 2);
        assert_eq!(response.results[0].error_code, 0);
        assert_eq!(response.results[1].error_code, codes::INVALID_REQUEST);
        assert!(response.results[1]
            .error_message
            .as_deref()
            .unwrap()
            .contains("operation"));

        let request = CreateAclsRequest::default().with_creations(vec![
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Any,
                "t",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Match,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Literal,
                ALICE,
                AclOperation::Unknown,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Literal,
                ALICE,
                Read,
                AclPermissionType::Any,
            ),
            creation(
                ResourceType::Topic,
                "t",
                PatternType::Literal,
                "alice",
                Read,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Cluster,
                "x",
                PatternType::Literal,
                ALICE,
                Alter,
                AclPermissionType::Allow,
            ),
            creation(
                ResourceType::Group,
                "g",
                PatternType::Prefixed,
                ALICE,
                Read,
                AclPermissionType::Allow,
            ),
        ]);
        let codes: Vec<i16> = a
            .create_acls(&request, 3)
            .results
            .iter()
            .map(|r| r.error_code)
            .collect();
        assert_eq!(codes, [0, 42, 42, 42, 42, 42, 42, 0]);
        // Duplicates are stored once: t/alice/READ plus g prefixed.
        assert_eq!(a.acls().count(), 2);
        assert!(can(&a, ALICE, Read, ResourceType::Group, "gx"));
    }

    #[test]
    fn create_acls_v0_stores_literal() {
        let mut a = authorizer([]);
        // v0 has no pattern type field; whatever the struct holds is ignored.
        let request = CreateAclsRequest::default().with_creations(vec![creation(
            ResourceType::Topic,
            "t",
            PatternType::Prefixed,
            ALICE,
            Read,
            AclPermissionType::Allow,
        )]);
        assert_eq!(a.create_acls(&request, 0).results[0].error_code, 0);
        assert_eq!(
            a.acls().next().unwrap().pattern.pattern_type,
            PatternType::Literal
        );
    }

    fn describe(
        a: &Authorizer,
        f: impl FnOnce(DescribeAclsRequest) -> DescribeAclsRequest,
    ) -> DescribeAclsResponse {
        let any = DescribeAclsRequest::default()
            .with_resource_type_filter(ResourceType::Any.code())
            .with_resource_name_filter(None)
            .with_pattern_type_filter(PatternType::Any.code())
            .with_principal_filter(None)
            .with_host_filter(None)
            .with_operation(AclOperation::Any.code())
            .with_permission_type(AclPermissionType::Any.code());
        a.describe_acls(&f(any), 3)
    }

    fn count(response: &DescribeAclsResponse) -> usize {
        response.resources.iter().map(|r| r.acls.len()).sum()
    }

    #[test]
    fn describe_acls_filters() {
        let a = populated();
        let all = describe(&a, |r| r);
        assert_eq!(all.error_code, 0);
        assert_eq!(count(&all), 5);
        // Grouped per resource pattern: TOPIC "*", TOPIC "ord" prefixed, TOPIC "orders", GROUP "g".
        assert_eq!(all.resources.len(), 4);
        let orders = all
            .resources
            .iter()
            .find(|r| r.resource_name == "orders")
            .unwrap();
        assert_eq!(orders.acls.len(), 2);

        let topics = describe(&a, |r| {
            r.with_resource_type_filter(ResourceType::Topic.code())
        });
        assert_eq!(count(&topics), 4);
        let alice = describe(&a, |r| r.with_principal_filter(Some(ALICE.into())));
        assert_eq!(count(&alice), 3);
        let denies = describe(&a, |r| {
            r.with_permission_type(AclPermissionType::Deny.code())
        });
        assert_eq!(count(&denies), 1);
        let writes = describe(&a, |r| r.with_operation(Write.code()));
        assert_eq!(count(&writes), 2);
        // ANY pattern type with a name compares names exactly.
        let exact = describe(&a, |r| r.with_resource_name_filter(Some("orders".into())));
        assert_eq!(count(&exact), 2);
        // MATCH: every ACL that applies to topic "orders": the two literal ones, the "*"
        // wildcard and the "ord" prefix.
        let matching = describe(&a, |r| {
            r.with_resource_type_filter(ResourceType::Topic.code())
                .with_resource_name_filter(Some("orders".into()))
                .with_pattern_type_filter(PatternType::Match.code())
        });
        assert_eq!(count(&matching), 4);
        let prefixed = describe(&a, |r| {
            r.with_pattern_type_filter(PatternType::Prefixed.code())
        });
        assert_eq!(count(&prefixed), 1);
        assert_eq!(
            prefixed.resources[0].pattern_type,
            PatternType::Prefixed.code()
        );
        // The principal filter is exact: "User:*" only finds the wildcard ACL.
        let wildcard = describe(&a, |r| {
            r.with_principal_filter(Some(WILDCARD_PRINCIPAL.into()))
        });
        assert_eq!(count(&wildcard), 1);

        let bad = describe(&a, |r| r.with_operation(0));
        assert_eq!(bad.error_code, codes::INVALID_REQUEST);
        assert!(bad.resources.is_empty());
    }

    #[test]
    fn describe_acls_v0_sees_literal_only() {
        let a = populated();
        let request = DescribeAclsRequest::default()
            .with_resource_type_filter(ResourceType::Any.code())
            .with_resource_name_filter(None)
            .with_principal_filter(None)
            .with_host_filter(None)
            .with_operation(AclOperation::Any.code())
            .with_permission_type(AclPermissionType::Any.code());
        let response = a.describe_acls(&request, 0);
        assert_eq!(count(&response), 4);
        assert!(response
            .resources
            .iter()
            .all(|r| r.pattern_type == PatternType::Literal.code()));
    }

    fn delete_filter(f: impl FnOnce(DeleteAclsFilter) -> DeleteAclsFilter) -> DeleteAclsFilter {
        f(DeleteAclsFilter::default()
            .with_resource_type_filter(ResourceType::Any.code())
            .with_resource_name_filter(None)
            .with_pattern_type_filter(PatternType::Any.code())
            .with_principal_filter(None)
            .with_host_filter(None)
            .with_operation(AclOperation::Any.code())
            .with_permission_type(AclPermissionType::Any.code()))
    }

    #[test]
    fn delete_acls_filters() {
        let mut a = populated();
        let request = DeleteAclsRequest::default().with_filters(vec![
            delete_filter(|f| f.with_principal_filter(Some(BOB.into()))),
            delete_filter(|f| f.with_resource_type_filter(0)),
            // Overlaps the first filter's ACL and matches alice's literal READ on orders.
            delete_filter(|f| {
                f.with_resource_name_filter(Some("orders".into()))
                    .with_resource_type_filter(ResourceType::Topic.code())
            }),
            delete_filter(|f| f.with_resource_name_filter(Some("nothing".into()))),
        ]);
        let response = a.delete_acls(&request, 3);
        let results = &response.filter_results;
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].error_code, 0);
        assert_eq!(results[0].matching_acls.len(), 1);
        let deleted = &results[0].matching_acls[0];
        assert_eq!(
            (deleted.principal.as_str(), deleted.permission_type),
            (BOB, AclPermissionType::Deny.code())
        );
        assert_eq!(deleted.resource_name, "orders");
        assert_eq!(results[1].error_code, codes::INVALID_REQUEST);
        assert!(results[1].matching_acls.is_empty());
        assert_eq!(results[2].matching_acls.len(), 1);
        assert_eq!(results[2].matching_acls[0].principal, ALICE);
        assert!(results[3].matching_acls.is_empty());
        assert_eq!(a.acls().count(), 3);
        // What was deleted no longer grants anything.
        assert!(!can(&a, ALICE, Read, ResourceType::Topic, "orders"));
        // MATCH deletes everything that applies to a name.
        let request = DeleteAclsRequest::default().with_filters(vec![delete_filter(|f| {
            f.with_resource_type_filter(ResourceType::Topic.code())
                .with_resource_name_filter(Some("orders".into()))
                .with_pattern_type_filter(PatternType::Match.code())
        })]);
        assert_eq!(
            a.delete_acls(&request, 3).filter_results[0]
                .matching_acls
                .len(),
            2
        );
        assert_eq!(a.acls().count(), 1);
    }

    #[test]
    fn error_responses_cover_every_item() {
        let request = CreateAclsRequest::default().with_creations(vec![AclCreation::default(); 3]);
        let response = create_acls_error(&request, codes::CLUSTER_AUTHORIZATION_FAILED);
        assert_eq!(response.results.len(), 3);
        assert!(response.results.iter().all(|r| r.error_code == 31));
        let request =
            DeleteAclsRequest::default().with_filters(vec![DeleteAclsFilter::default(); 2]);
        let response = delete_acls_error(&request, codes::SECURITY_DISABLED);
        assert!(response.filter_results.iter().all(|r| r.error_code == 54));
        assert_eq!(describe_acls_error(31, None).error_code, 31);
    }

    #[test]
    fn authorization_error_codes() {
        assert_eq!(ResourceType::Topic.authorization_error(), 29);
        assert_eq!(ResourceType::Group.authorization_error(), 30);
        assert_eq!(ResourceType::Cluster.authorization_error(), 31);
        assert_eq!(ResourceType::TransactionalId.authorization_error(), 53);
        let a = authorizer([]);
        assert_eq!(
            a.check(ALICE, HOST, Read, ResourceType::Group, "g"),
            Err(30)
        );
    }
}

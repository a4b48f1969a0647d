//! Broker-side security for the in-process broker, as sans-IO pieces the cluster actor
//! calls: ACLs and the authorizer, the SCRAM credential store, per-connection SASL
//! authentication, and the table of which ACL each request needs.
//!
//! Nothing here touches a socket or a clock: time is passed in as milliseconds, requests
//! and responses are the generated message types.
//!
//! - [`acl`]: ACL bindings, filters, [`Authorizer`] (superusers,
//!   `allow.everyone.if.no.acl.found`, DENY over ALLOW, implied operations, wildcards,
//!   KIP-290 prefixed patterns, KIP-430 authorized-operations bitfields, KIP-679
//!   authorize-by-resource-type) and the DescribeAcls/CreateAcls/DeleteAcls handlers.
//! - [`requirements`]: per API, which operation on which resource it needs and which error a
//!   denial gives, plus helpers for the APIs whose rules are more than one check.
//! - [`auth`]: per-connection SASL state (SaslHandshake, SaslAuthenticate, KIP-368
//!   re-authentication, session expiry) and the connection's principal.
//! - [`scram_store`]: SCRAM credentials (KIP-554 Describe/AlterUserScramCredentials) and
//!   the lookup SASL logins are verified against.

pub mod acl;
pub mod auth;
pub mod requirements;
pub mod scram_store;
#[cfg(test)]
mod test_client;

pub use acl::{
    AccessControlEntry, AclBinding, AclBindingFilter, AclOperation, AclPermissionType, Authorizer,
    AuthorizerConfig, AuthorizerConfigError, PatternType, ResourcePattern, ResourceType,
};

/// The Kafka error codes this module answers with, as the `i16` the generated messages carry,
/// taken from [`kafka_protocol::ErrorCode`].
pub mod codes {
    use kafka_protocol::ErrorCode;

    /// No error.
    pub const NONE: i16 = 0;
    /// `TOPIC_AUTHORIZATION_FAILED` (29).
    pub const TOPIC_AUTHORIZATION_FAILED: i16 = ErrorCode::TopicAuthorizationFailed.code();
    /// `GROUP_AUTHORIZATION_FAILED` (30).
    pub const GROUP_AUTHORIZATION_FAILED: i16 = ErrorCode::GroupAuthorizationFailed.code();
    /// `CLUSTER_AUTHORIZATION_FAILED` (31).
    pub const CLUSTER_AUTHORIZATION_FAILED: i16 = ErrorCode::ClusterAuthorizationFailed.code();
    /// `UNSUPPORTED_SASL_MECHANISM` (33).
    pub const UNSUPPORTED_SASL_MECHANISM: i16 = ErrorCode::UnsupportedSaslMechanism.code();
    /// `ILLEGAL_SASL_STATE` (34).
    pub const ILLEGAL_SASL_STATE: i16 = ErrorCode::IllegalSaslState.code();
    /// `INVALID_REQUEST` (42).
    pub const INVALID_REQUEST: i16 = ErrorCode::InvalidRequest.code();
    /// `TRANSACTIONAL_ID_AUTHORIZATION_FAILED` (53).
    pub const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 =
        ErrorCode::TransactionalIdAuthorizationFailed.code();
    /// `SECURITY_DISABLED` (54).
    pub const SECURITY_DISABLED: i16 = ErrorCode::SecurityDisabled.code();
    /// `OPERATION_NOT_ATTEMPTED` (55).
    pub const OPERATION_NOT_ATTEMPTED: i16 = ErrorCode::OperationNotAttempted.code();
    /// `SASL_AUTHENTICATION_FAILED` (58).
    pub const SASL_AUTHENTICATION_FAILED: i16 = ErrorCode::SaslAuthenticationFailed.code();
    /// `DELEGATION_TOKEN_AUTHORIZATION_FAILED` (65).
    pub const DELEGATION_TOKEN_AUTHORIZATION_FAILED: i16 =
        ErrorCode::DelegationTokenAuthorizationFailed.code();
    /// `RESOURCE_NOT_FOUND` (91).
    pub const RESOURCE_NOT_FOUND: i16 = ErrorCode::ResourceNotFound.code();
    /// `DUPLICATE_RESOURCE` (92).
    pub const DUPLICATE_RESOURCE: i16 = ErrorCode::DuplicateResource.code();
    /// `UNACCEPTABLE_CREDENTIAL` (93).
    pub const UNACCEPTABLE_CREDENTIAL: i16 = ErrorCode::UnacceptableCredential.code();
}

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
//! - [`oauthbearer`]: OAUTHBEARER client first messages (RFC 7628) and unsecured-JWT
//!   validation like Kafka's default validator (KIP-255, KIP-342 extensions).
//! - [`scram_store`]: SCRAM credentials (KIP-554 Describe/AlterUserScramCredentials) and
//!   the lookup SASL logins are verified against.
//!
//! # How the actor uses this
//!
//! State: one [`Authorizer`] (or none: every check passes, ACL APIs answer
//! SECURITY_DISABLED), one [`ScramStore`] and one [`SaslConfig`] per SASL listener for the
//! cluster; one [`ConnectionAuth`] per connection, created with the listener's
//! [`SecurityProtocol`]. On SSL listeners call
//! [`ConnectionAuth::set_peer_certificate_dn`] with the verified client certificate's subject.
//!
//! Per request, in arrival order, before anything else:
//! 1. `match conn.gate(api_key, now_ms)`:
//!    - [`Gate::Close`]: close the connection, answer nothing (a non-SASL request before
//!      authentication, a second pre-auth ApiVersions, or a request after the session
//!      expired).
//!    - [`Gate::ErrorThenClose`]`(code)`: send the handler's `error_response(body, version,
//!      code)` (ILLEGAL_SASL_STATE), then close.
//!    - [`Gate::Sasl`]: SaslHandshake -> [`ConnectionAuth::handshake`]`(config, request,
//!      now_ms)`; SaslAuthenticate ->
//!      [`ConnectionAuth::authenticate`]`(config, &store, request, version, now_ms)`. Send
//!      `reply.response`; if `reply.close`, close after it is written.
//!    - [`Gate::Dispatch`]: go on.
//! 2. `let who = RequestAuthorizer::new(authorizer.as_ref(), conn.principal(), &peer_ip)`;
//!    if `who.request_error(&body, version)` is `Some(code)`, send the handler's
//!    `error_response(body, version, code)` and skip the handler.
//! 3. Per-item checks with `who` (see [`requirements`] and
//!    [`requirements::per_item_checks`]), made around the handler by
//!    `crate::handlers::acl`: e.g. Produce `who.check(WRITE, Topic, name)` per topic before
//!    UNKNOWN_TOPIC_OR_PARTITION; Metadata `who.metadata_topics(...)`, plus
//!    `who.authorized_operations(Topic, name)` / `who.cluster_authorized_operations(..)`
//!    when asked (v8+); CreateTopics `who.can_create_topic(name)`; DescribeConfigs
//!    `who.config_resource_error(type, name, false)`; ListGroups `who.can_list_group(id)`.
//!    Denied items are taken out of the request before the handler and answered with its
//!    `error_response` for just those items afterwards.
//! 4. ACL and SCRAM APIs: DescribeAcls/CreateAcls/DeleteAcls ->
//!    [`Authorizer::describe_acls`]/[`Authorizer::create_acls`]/[`Authorizer::delete_acls`]
//!    (without an authorizer: [`acl::describe_acls_error`], [`acl::create_acls_error`],
//!    [`acl::delete_acls_error`] with SECURITY_DISABLED); DescribeUserScramCredentials and
//!    AlterUserScramCredentials -> [`ScramStore::describe`]/[`ScramStore::alter`]. Step 2
//!    already checked the cluster permission each needs.
//!
//! The SASL APIs need no ACL. A connection's principal can change only through
//! re-authentication, which keeps it the same, so step 2 may use `conn.principal()` as is.
//!
//! # Not modelled
//!
//! GSSAPI; signed OAUTHBEARER tokens (only Kafka's unsecured validator); SaslHandshake v0's raw (unframed) SASL tokens;
//! delegation tokens (the CREATE_TOKENS/DESCRIBE_TOKENS operations and USER and
//! DELEGATION_TOKEN resources exist for ACLs, nothing issues tokens);
//! `ssl.principal.mapping.rules` and `sasl.kerberos.principal.to.local.rules` (principals
//! are `User:<DN>` and `User:<SASL name>`); custom principal builders and authorizers;
//! per-listener or
//! per-mechanism `connections.max.reauth.ms` overrides; the SCRAM `tokenauth` extension.

pub mod acl;
pub mod auth;
pub mod dn;
pub mod oauthbearer;
pub mod requirements;
pub mod scram_store;
pub mod settings;
#[cfg(test)]
mod test_client;
#[cfg(test)]
mod tests;

pub use acl::{
    AccessControlEntry, AclBinding, AclBindingFilter, AclOperation, AclPermissionType, Authorizer,
    AuthorizerConfig, AuthorizerConfigError, PatternType, ResourcePattern, ResourceType,
    AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_NAME,
};
pub use auth::{
    ConnectionAuth, Gate, SaslConfig, SaslConfigError, SaslMechanism, SaslReply, SecurityProtocol,
    ANONYMOUS,
};
pub use requirements::{MetadataTopics, RequestAuthorizer};
pub use oauthbearer::OAuthBearerValidator;
pub use settings::{SaslSettings, TlsSettings};
pub use scram_store::{ScramMechanism, ScramStore, ScramStoreError};

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

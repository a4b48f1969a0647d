//! The integration contract end to end, without sockets: a superuser creates a SCRAM user
//! and ACLs through the admin APIs, then that user logs in and is authorized by them.

use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, ApiKey, CreateAclsRequest, JoinGroupRequest, RequestBody,
    SaslAuthenticateRequest, SaslHandshakeRequest,
};

use super::test_client::{salted_password, ScramClient};
use super::*;

const PEER: &str = "127.0.0.1";

/// Drives SaslHandshake + SaslAuthenticate as the actor would, through `gate`.
fn scram_login(
    conn: &mut ConnectionAuth,
    config: &SaslConfig,
    store: &ScramStore,
    user: &str,
    password: &str,
    now: i64,
) -> bool {
    assert_eq!(conn.gate(ApiKey::ApiVersions, now), Gate::Dispatch);
    assert_eq!(conn.gate(ApiKey::SaslHandshake, now), Gate::Sasl);
    let handshake = SaslHandshakeRequest::default().with_mechanism("SCRAM-SHA-512".into());
    assert_eq!(
        conn.handshake(config, &handshake, now).response.error_code,
        0
    );
    let mut client = ScramClient::new(ScramMechanism::Sha512, user, password);
    let mut message = client.first();
    for _ in 0..2 {
        assert_eq!(conn.gate(ApiKey::SaslAuthenticate, now), Gate::Sasl);
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(message));
        let reply = conn.authenticate(config, store, &request, 2, now);
        if reply.response.error_code != 0 {
            assert!(reply.close);
            return false;
        }
        if conn.is_authenticated() {
            return client.verify_server(&reply.response.auth_bytes);
        }
        message = client.final_message(&reply.response.auth_bytes);
    }
    false
}

fn acl(
    rt: ResourceType,
    name: &str,
    pattern: PatternType,
    principal: &str,
    op: AclOperation,
) -> AclCreation {
    AclCreation::default()
        .with_resource_type(rt.code())
        .with_resource_name(name.into())
        .with_resource_pattern_type(pattern.code())
        .with_principal(principal.into())
        .with_host("*".into())
        .with_operation(op.code())
        .with_permission_type(AclPermissionType::Allow.code())
}

#[test]
fn admin_provisions_a_user_who_is_then_authorized_by_acls() {
    let mut authorizer = Authorizer::new(
        AuthorizerConfig::from_properties([("super.users", "User:admin")]).unwrap(),
    );
    let mut store = ScramStore::new();
    store
        .upsert_password(
            "admin",
            ScramMechanism::Sha512,
            "admin-pw",
            b"admin-salt",
            4096,
        )
        .unwrap();
    let config =
        SaslConfig::from_properties([("sasl.enabled.mechanisms", "SCRAM-SHA-512")]).unwrap();

    // Before logging in, nothing but ApiVersions and SASL gets through.
    let mut stranger = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
    assert_eq!(stranger.gate(ApiKey::Metadata, 0), Gate::Close);

    let mut admin = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
    assert!(scram_login(
        &mut admin, &config, &store, "admin", "admin-pw", 0
    ));
    assert_eq!(admin.principal(), "User:admin");

    // The superuser creates alice (the client salts the password) and her ACLs.
    let salted = salted_password(ScramMechanism::Sha512, "alice-pw", b"alice-salt", 4096);
    let alter = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
        ScramCredentialUpsertion::default()
            .with_name("alice".into())
            .with_mechanism(ScramMechanism::Sha512.code())
            .with_iterations(4096)
            .with_salt(Bytes::from_static(b"alice-salt"))
            .with_salted_password(Bytes::from(salted)),
    ]);
    let who = RequestAuthorizer::new(Some(&authorizer), admin.principal(), PEER);
    assert_eq!(
        who.request_error(&RequestBody::AlterUserScramCredentials(alter.clone()), 0),
        None
    );
    assert_eq!(store.alter(&alter).results[0].error_code, 0);
    let create = CreateAclsRequest::default().with_creations(vec![
        acl(
            ResourceType::Topic,
            "orders-",
            PatternType::Prefixed,
            "User:alice",
            AclOperation::Read,
        ),
        acl(
            ResourceType::Group,
            "app",
            PatternType::Literal,
            "User:alice",
            AclOperation::Read,
        ),
    ]);
    assert_eq!(
        who.request_error(&RequestBody::CreateAcls(create.clone()), 3),
        None
    );
    assert!(authorizer
        .create_acls(&create, 3)
        .results
        .iter()
        .all(|r| r.error_code == 0));

    // alice logs in with SCRAM against the credential the store derived.
    let mut alice = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
    assert!(!scram_login(
        &mut alice, &config, &store, "alice", "wrong", 1
    ));
    let mut alice = ConnectionAuth::new(SecurityProtocol::SaslPlaintext);
    assert!(scram_login(
        &mut alice, &config, &store, "alice", "alice-pw", 1
    ));
    assert_eq!(alice.gate(ApiKey::Metadata, 2), Gate::Dispatch);

    let who = RequestAuthorizer::new(Some(&authorizer), alice.principal(), PEER);
    let join = |group: &str| {
        RequestBody::JoinGroup(JoinGroupRequest::default().with_group_id(group.into()))
    };
    assert_eq!(who.request_error(&join("app"), 9), None);
    assert_eq!(
        who.request_error(&join("other"), 9),
        Some(codes::GROUP_AUTHORIZATION_FAILED)
    );
    assert_eq!(
        who.request_error(&RequestBody::CreateAcls(create), 3),
        Some(codes::CLUSTER_AUTHORIZATION_FAILED)
    );
    assert_eq!(
        who.check(AclOperation::Read, ResourceType::Topic, "orders-eu"),
        Ok(())
    );
    assert_eq!(
        who.check(AclOperation::Write, ResourceType::Topic, "orders-eu"),
        Err(codes::TOPIC_AUTHORIZATION_FAILED)
    );
    let listing = who.metadata_topics(None, ["orders-eu", "payments"], |_| true, false);
    assert_eq!(listing.authorized, ["orders-eu"]);
    // READ implies DESCRIBE: bits 3 and 8.
    assert_eq!(
        who.authorized_operations(ResourceType::Topic, "orders-eu"),
        (1 << 3) | (1 << 8)
    );
}

//! CreateAcls (key 30): adds ACL bindings to the cluster's [`crate::security::Authorizer`] (SECURITY_DISABLED without one).

use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 3);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: CreateAclsRequest) -> Outcome {
    let version = ctx.version;
    let response = match &mut ctx.state.security.authorizer {
        Some(authorizer) => authorizer.create_acls(&req, version),
        None => crate::security::acl::create_acls_error(&req, crate::security::codes::SECURITY_DISABLED),
    };
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &CreateAclsRequest, _version: i16, code: i16) -> CreateAclsResponse {
    crate::security::acl::create_acls_error(req, code)
}

pub(crate) fn touched(_req: &CreateAclsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

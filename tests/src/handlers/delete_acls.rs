//! DeleteAcls (key 31): removes the ACL bindings matching each filter (SECURITY_DISABLED without an authorizer).

use kafka_protocol::messages::{DeleteAclsRequest, DeleteAclsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 3);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DeleteAclsRequest) -> Outcome {
    let version = ctx.version;
    let response = match &mut ctx.state.security.authorizer {
        Some(authorizer) => authorizer.delete_acls(&req, version),
        None => crate::security::acl::delete_acls_error(&req, crate::security::codes::SECURITY_DISABLED),
    };
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(req: &DeleteAclsRequest, _version: i16, code: i16) -> DeleteAclsResponse {
    crate::security::acl::delete_acls_error(req, code)
}

pub(crate) fn touched(_req: &DeleteAclsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

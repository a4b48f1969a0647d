//! DescribeAcls (key 29): the ACLs matching a filter, from the cluster's [`crate::security::Authorizer`] (SECURITY_DISABLED without one).

use kafka_protocol::messages::{DescribeAclsRequest, DescribeAclsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

/// What a request to a cluster without ACLs is told, as Kafka words it.
const NO_AUTHORIZER: &str = "No Authorizer is configured.";

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 3);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: DescribeAclsRequest) -> Outcome {
    let version = ctx.version;
    let response = match &ctx.state.security.authorizer {
        Some(authorizer) => authorizer.describe_acls(&req, version),
        None => crate::security::acl::describe_acls_error(crate::security::codes::SECURITY_DISABLED, Some(NO_AUTHORIZER.into())),
    };
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &DescribeAclsRequest, _version: i16, code: i16) -> DescribeAclsResponse {
    crate::security::acl::describe_acls_error(code, None)
}

pub(crate) fn touched(_req: &DescribeAclsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

//! ApiVersions (key 18): the served version table, generated from the dispatch table and
//! the Kafka-version preset (KIP-35, KIP-511). Too-new requests are answered by the
//! connection reader with a v0 UNSUPPORTED_VERSION response.

use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 4);

pub(crate) fn handle(ctx: &mut Ctx<'_>, _req: ApiVersionsRequest) -> Outcome {
    let mut response = ApiVersionsResponse::default();
    response.api_keys = crate::server::api_version_list(&ctx.state.apis);
    Outcome::Respond(response.into())
}

pub(crate) fn error_response(_req: &ApiVersionsRequest, _version: i16, code: i16) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = code;
    response
}

pub(crate) fn touched(_req: &ApiVersionsRequest, _state: &ClusterState) -> Vec<(String, Vec<i32>)> {
    Vec::new()
}

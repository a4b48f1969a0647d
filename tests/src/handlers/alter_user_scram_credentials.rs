//! AlterUserScramCredentials (key 51, KIP-554): adds, replaces and deletes SCRAM credentials; later SASL logins use them.

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::{AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse};
use kafka_protocol::VersionRange;

use super::{Ctx, Outcome, TopicPartitions};
use crate::state::ClusterState;

pub(crate) const VERSIONS: VersionRange = VersionRange::new(0, 0);

pub(crate) fn handle(ctx: &mut Ctx<'_>, req: AlterUserScramCredentialsRequest) -> Outcome {
    Outcome::Respond(ctx.state.security.scram.alter(&req).into())
}

pub(crate) fn error_response(req: &AlterUserScramCredentialsRequest, _version: i16, code: i16) -> AlterUserScramCredentialsResponse {
    let mut users: Vec<&str> = req.deletions.iter().map(|d| d.name.as_str()).chain(req.upsertions.iter().map(|u| u.name.as_str())).collect();
    users.sort_unstable();
    users.dedup();
    AlterUserScramCredentialsResponse::default().with_results(
        users
            .into_iter()
            .map(|user| AlterUserScramCredentialsResult::default().with_user(user.to_owned()).with_error_code(code))
            .collect(),
    )
}

pub(crate) fn touched(_req: &AlterUserScramCredentialsRequest, _state: &ClusterState) -> TopicPartitions {
    Vec::new()
}

//! The broker's SCRAM credential store (KIP-554): per user and mechanism the salt, iteration
//! count, StoredKey and ServerKey of RFC 5802, never the password. Serves
//! DescribeUserScramCredentials and AlterUserScramCredentials (keys 50 and 51, v0) and hands
//! the SASL server ([`crate::sasl_server::ScramServer`]) the credentials it verifies logins
//! against.
//!
//! AlterUserScramCredentials carries the client-computed SaltedPassword
//! (`Hi(password, salt, iterations)`); the store derives `StoredKey = H(HMAC(SaltedPassword,
//! "Client Key"))` and `ServerKey = HMAC(SaltedPassword, "Server Key")` from it, as Kafka's
//! controller does, so a client that salted wrongly fails its next login rather than the
//! alteration.

use std::collections::{BTreeMap, HashMap};

use hmac::{Hmac, Mac};
use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse,
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use sha2::{Digest, Sha256, Sha512};

use super::codes;
use crate::sasl_server::{ScramCredential, ScramHash};

/// The smallest iteration count Kafka accepts for either mechanism.
pub const MIN_ITERATIONS: i32 = 4096;
/// The largest iteration count Kafka accepts.
pub const MAX_ITERATIONS: i32 = 16384;

/// A SCRAM mechanism with Kafka's wire code (`ScramMechanism` in the admin API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScramMechanism {
    /// SCRAM-SHA-256, code 1.
    Sha256,
    /// SCRAM-SHA-512, code 2.
    Sha512,
}

impl ScramMechanism {
    /// Both mechanisms, in code order.
    pub const ALL: [ScramMechanism; 2] = [ScramMechanism::Sha256, ScramMechanism::Sha512];

    /// Kafka's wire code.
    pub const fn code(self) -> i8 {
        match self {
            ScramMechanism::Sha256 => 1,
            ScramMechanism::Sha512 => 2,
        }
    }

    /// The mechanism for a wire code (0, UNKNOWN, and anything else give `None`).
    pub const fn from_code(code: i8) -> Option<Self> {
        match code {
            1 => Some(ScramMechanism::Sha256),
            2 => Some(ScramMechanism::Sha512),
            _ => None,
        }
    }

    /// The SASL mechanism name (`SCRAM-SHA-256`).
    pub const fn name(self) -> &'static str {
        match self {
            ScramMechanism::Sha256 => "SCRAM-SHA-256",
            ScramMechanism::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// The mechanism for a SASL mechanism name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The hash the SASL server uses for it.
    pub const fn hash(self) -> ScramHash {
        match self {
            ScramMechanism::Sha256 => ScramHash::Sha256,
            ScramMechanism::Sha512 => ScramHash::Sha512,
        }
    }
}

/// Why a credential was not stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScramStoreError {
    /// The user name is empty.
    #[error("username must not be empty")]
    EmptyUser,
    /// The iteration count is outside 4096..=16384.
    #[error("{iterations} iterations for user {user:?}: Kafka accepts {MIN_ITERATIONS} to {MAX_ITERATIONS}")]
    Iterations {
        /// The user.
        user: String,
        /// The rejected count.
        iterations: i32,
    },
}

/// Credentials per user and mechanism. Iteration is sorted by user name.
#[derive(Clone, Debug, Default)]
pub struct ScramStore {
    users: BTreeMap<String, BTreeMap<ScramMechanism, ScramCredential>>,
}

impl ScramStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a credential for `password` (test setup; Kafka's `kafka-storage format
    /// --add-scram`). Salts with PBKDF2 here, so use a low count where speed matters
    /// ([`MIN_ITERATIONS`]).
    pub fn upsert_password(
        &mut self,
        user: &str,
        mechanism: ScramMechanism,
        password: &str,
        salt: &[u8],
        iterations: i32,
    ) -> Result<(), ScramStoreError> {
        let rounds = validate(user, iterations)?;
        let credential = ScramCredential::new(mechanism.hash(), password, salt, rounds);
        self.users
            .entry(user.to_owned())
            .or_default()
            .insert(mechanism, credential);
        Ok(())
    }

    /// Stores a credential from a client-computed SaltedPassword (what
    /// AlterUserScramCredentials carries).
    pub fn upsert_salted(
        &mut self,
        user: &str,
        mechanism: ScramMechanism,
        salt: &[u8],
        salted_password: &[u8],
        iterations: i32,
    ) -> Result<(), ScramStoreError> {
        let rounds = validate(user, iterations)?;
        let credential = derive_credential(mechanism, salt, salted_password, rounds);
        self.users
            .entry(user.to_owned())
            .or_default()
            .insert(mechanism, credential);
        Ok(())
    }

    /// Removes one credential; whether it existed.
    pub fn delete(&mut self, user: &str, mechanism: ScramMechanism) -> bool {
        let Some(mechanisms) = self.users.get_mut(user) else {
            return false;
        };
        let removed = mechanisms.remove(&mechanism).is_some();
        if mechanisms.is_empty() {
            self.users.remove(user);
        }
        removed
    }

    /// The credential a login as `user` with `mechanism` is verified against.
    pub fn credential(&self, user: &str, mechanism: ScramMechanism) -> Option<&ScramCredential> {
        self.users.get(user)?.get(&mechanism)
    }

    /// Every user's credential for `mechanism`, in the form
    /// [`ScramServer::new`](crate::sasl_server::ScramServer::new) takes.
    pub fn credentials(&self, mechanism: ScramMechanism) -> HashMap<String, ScramCredential> {
        self.users
            .iter()
            .filter_map(|(user, m)| Some((user.clone(), m.get(&mechanism)?.clone())))
            .collect()
    }

    /// The users with at least one credential.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Handles DescribeUserScramCredentials (key 50, v0). A null or empty user list
    /// describes every user. Per user: its mechanisms and iteration counts,
    /// RESOURCE_NOT_FOUND if it has none, DUPLICATE_RESOURCE if the request names it twice
    /// (then it is reported once). Results follow the request's order. The caller checks
    /// DESCRIBE on the cluster first.
    pub fn describe(
        &self,
        request: &DescribeUserScramCredentialsRequest,
    ) -> DescribeUserScramCredentialsResponse {
        // (user, named more than once)
        let mut users: Vec<(String, bool)> = Vec::new();
        match request.users.as_deref() {
            None | Some([]) => users.extend(self.users.keys().map(|u| (u.clone(), false))),
            Some(named) => {
                for name in named {
                    match users.iter_mut().find(|(u, _)| *u == name.name) {
                        Some(entry) => entry.1 = true,
                        None => users.push((name.name.clone(), false)),
                    }
                }
            }
        }
        let results = users
            .into_iter()
            .map(|(user, duplicate)| {
                let result = DescribeUserScramCredentialsResult::default().with_error_message(None);
                if duplicate {
                    return result
                        .with_error_code(codes::DUPLICATE_RESOURCE)
                        .with_error_message(Some(format!(
                            "Cannot describe SCRAM credentials for the same user twice in a single request: {user}"
                        )))
                        .with_user(user);
                }
                match self.users.get(&user) {
                    Some(mechanisms) => result
                        .with_credential_infos(
                            mechanisms
                                .iter()
                                .map(|(m, c)| {
                                    CredentialInfo::default()
                                        .with_mechanism(m.code())
                                        .with_iterations(i32::try_from(c.iterations).unwrap_or(i32::MAX))
                                })
                                .collect(),
                        )
                        .with_user(user),
                    None => result
                        .with_error_code(codes::RESOURCE_NOT_FOUND)
                        .with_error_message(Some(format!(
                            "Attempt to describe a user credential that does not exist: {user}"
                        )))
                        .with_user(user),
                }
            })
            .collect();
        DescribeUserScramCredentialsResponse::default()
            .with_error_message(None)
            .with_results(results)
    }

    /// Handles AlterUserScramCredentials (key 51, v0), with Kafka's controller rules: one
    /// result per user, in order of first appearance (deletions first); a user named more
    /// than once in the request gets DUPLICATE_RESOURCE and none of its changes apply; an
    /// empty name gets UNACCEPTABLE_CREDENTIAL; an unknown mechanism
    /// UNSUPPORTED_SASL_MECHANISM; deleting a missing credential RESOURCE_NOT_FOUND;
    /// iterations outside 4096..=16384 UNACCEPTABLE_CREDENTIAL. Valid users' changes apply.
    /// The caller checks ALTER on the cluster first.
    pub fn alter(
        &mut self,
        request: &AlterUserScramCredentialsRequest,
    ) -> AlterUserScramCredentialsResponse {
        enum Change<'r> {
            Delete(ScramMechanism),
            Upsert(ScramMechanism, &'r [u8], &'r [u8], i32),
        }
        // Per user, in first-appearance order: its change, or its error.
        let mut outcome: Vec<(&str, Result<Change<'_>, Rejection>)> = Vec::new();
        let duplicate = (
            codes::DUPLICATE_RESOURCE,
            "A user credential cannot be altered twice in the same request",
        );
        for deletion in &request.deletions {
            if let Some((_, result)) = outcome.iter_mut().find(|(u, _)| *u == deletion.name) {
                if result.is_ok() {
                    *result = Err(duplicate);
                }
                continue;
            }
            let result =
                check_name_and_mechanism(&deletion.name, deletion.mechanism).and_then(|m| {
                    if self.credential(&deletion.name, m).is_some() {
                        Ok(Change::Delete(m))
                    } else {
                        Err((
                            codes::RESOURCE_NOT_FOUND,
                            "Attempt to delete a user credential that does not exist",
                        ))
                    }
                });
            outcome.push((&deletion.name, result));
        }
        for upsertion in &request.upsertions {
            if let Some((_, result)) = outcome.iter_mut().find(|(u, _)| *u == upsertion.name) {
                if result.is_ok() {
                    *result = Err(duplicate);
                }
                continue;
            }
            let result =
                check_name_and_mechanism(&upsertion.name, upsertion.mechanism).and_then(|m| {
                    if upsertion.iterations < MIN_ITERATIONS {
                        Err((codes::UNACCEPTABLE_CREDENTIAL, "Too few iterations"))
                    } else if upsertion.iterations > MAX_ITERATIONS {
                        Err((codes::UNACCEPTABLE_CREDENTIAL, "Too many iterations"))
                    } else {
                        Ok(Change::Upsert(
                            m,
                            &upsertion.salt,
                            &upsertion.salted_password,
                            upsertion.iterations,
                        ))
                    }
                });
            outcome.push((&upsertion.name, result));
        }
        let mut results = Vec::with_capacity(outcome.len());
        for (user, result) in outcome {
            let applied = match result {
                Ok(Change::Delete(m)) => {
                    self.delete(user, m);
                    Ok(())
                }
                Ok(Change::Upsert(m, salt, salted, iterations)) => self
                    .upsert_salted(user, m, salt, salted, iterations)
                    .map_err(|_| (codes::UNACCEPTABLE_CREDENTIAL, "Unacceptable credential")),
                Err(e) => Err(e),
            };
            let entry = AlterUserScramCredentialsResult::default()
                .with_user(user.to_owned())
                .with_error_message(None);
            results.push(match applied {
                Ok(()) => entry,
                Err((code, message)) => entry
                    .with_error_code(code)
                    .with_error_message(Some(message.to_owned())),
            });
        }
        AlterUserScramCredentialsResponse::default().with_results(results)
    }
}

/// An error code and Kafka's message for it.
type Rejection = (i16, &'static str);

fn validate(user: &str, iterations: i32) -> Result<u32, ScramStoreError> {
    if user.is_empty() {
        return Err(ScramStoreError::EmptyUser);
    }
    if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
        return Err(ScramStoreError::Iterations {
            user: user.to_owned(),
            iterations,
        });
    }
    u32::try_from(iterations).map_err(|_| ScramStoreError::Iterations {
        user: user.to_owned(),
        iterations,
    })
}

fn check_name_and_mechanism(name: &str, mechanism: i8) -> Result<ScramMechanism, Rejection> {
    if name.is_empty() {
        return Err((codes::UNACCEPTABLE_CREDENTIAL, "Username must not be empty"));
    }
    ScramMechanism::from_code(mechanism)
        .ok_or((codes::UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism"))
}

/// StoredKey and ServerKey from a SaltedPassword (RFC 5802 section 3).
pub fn derive_credential(
    mechanism: ScramMechanism,
    salt: &[u8],
    salted_password: &[u8],
    iterations: u32,
) -> ScramCredential {
    let (client_key, server_key) = match mechanism {
        ScramMechanism::Sha256 => (
            hmac::<Hmac<Sha256>>(salted_password, b"Client Key"),
            hmac::<Hmac<Sha256>>(salted_password, b"Server Key"),
        ),
        ScramMechanism::Sha512 => (
            hmac::<Hmac<Sha512>>(salted_password, b"Client Key"),
            hmac::<Hmac<Sha512>>(salted_password, b"Server Key"),
        ),
    };
    let stored_key = match mechanism {
        ScramMechanism::Sha256 => Sha256::digest(&client_key).to_vec(),
        ScramMechanism::Sha512 => Sha512::digest(&client_key).to_vec(),
    };
    ScramCredential {
        salt: salt.to_vec(),
        iterations,
        stored_key,
        server_key,
    }
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail; an empty result would only make
    // every proof mismatch.
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use kafka_protocol::messages::alter_user_scram_credentials_request::{
        ScramCredentialDeletion, ScramCredentialUpsertion,
    };
    use kafka_protocol::messages::describe_user_scram_credentials_request::UserName;

    use super::*;
    use crate::sasl_server::{ScramServer, ScramServerStep};
    use crate::security::test_client::{salted_password, ScramClient};

    const SALT: &[u8] = b"salt-of-the-earth";

    fn upsertion(
        user: &str,
        mechanism: i8,
        password: &str,
        iterations: i32,
    ) -> ScramCredentialUpsertion {
        // Rejected requests never reach the salt, so skip the slow PBKDF2 for them.
        let salted = match ScramMechanism::from_code(mechanism) {
            Some(m) if (MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) => {
                salted_password(m, password, SALT, iterations as u32)
            }
            _ => vec![0; 32],
        };
        ScramCredentialUpsertion::default()
            .with_name(user.into())
            .with_mechanism(mechanism)
            .with_iterations(iterations)
            .with_salt(Bytes::from_static(SALT))
            .with_salted_password(Bytes::from(salted))
    }

    fn deletion(user: &str, mechanism: i8) -> ScramCredentialDeletion {
        ScramCredentialDeletion::default()
            .with_name(user.into())
            .with_mechanism(mechanism)
    }

    fn errors(response: &AlterUserScramCredentialsResponse) -> Vec<(&str, i16)> {
        response
            .results
            .iter()
            .map(|r| (r.user.as_str(), r.error_code))
            .collect()
    }

    fn describe(
        store: &ScramStore,
        users: Option<&[&str]>,
    ) -> DescribeUserScramCredentialsResponse {
        let users = users.map(|u| {
            u.iter()
                .map(|n| UserName::default().with_name((*n).into()))
                .collect()
        });
        store.describe(&DescribeUserScramCredentialsRequest::default().with_users(users))
    }

    /// Runs a full SCRAM exchange against what the store holds.
    fn login(
        store: &ScramStore,
        mechanism: ScramMechanism,
        user: &str,
        password: &str,
    ) -> Result<String, String> {
        let mut server = ScramServer::new(mechanism.hash(), store.credentials(mechanism))
            .with_server_nonce("srv");
        let mut client = ScramClient::new(mechanism, user, password);
        let ScramServerStep::Challenge(server_first) =
            server.step(&client.first()).map_err(|e| e.to_string())?
        else {
            return Err("no challenge".into());
        };
        match server
            .step(&client.final_message(&server_first))
            .map_err(|e| e.to_string())?
        {
            ScramServerStep::Success {
                server_final,
                username,
            } => {
                assert!(
                    client.verify_server(&server_final),
                    "server signature must verify"
                );
                Ok(username)
            }
            ScramServerStep::Challenge(_) => Err("unexpected second challenge".into()),
        }
    }

    #[test]
    fn mechanism_codes() {
        assert_eq!(ScramMechanism::Sha256.code(), 1);
        assert_eq!(ScramMechanism::Sha512.code(), 2);
        assert_eq!(ScramMechanism::from_code(0), None);
        assert_eq!(
            ScramMechanism::from_name("scram-sha-512"),
            Some(ScramMechanism::Sha512)
        );
    }

    #[test]
    fn alter_then_login_with_client_computed_scram() {
        let mut store = ScramStore::new();
        let request = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
            upsertion("alice", 1, "alice-secret", 4096),
            upsertion("bob", 2, "bob-secret", 8192),
        ]);
        let response = store.alter(&request);
        assert_eq!(errors(&response), [("alice", 0), ("bob", 0)]);
        assert_eq!(
            login(&store, ScramMechanism::Sha256, "alice", "alice-secret"),
            Ok("alice".into())
        );
        assert_eq!(
            login(&store, ScramMechanism::Sha512, "bob", "bob-secret"),
            Ok("bob".into())
        );
        let wrong = login(&store, ScramMechanism::Sha256, "alice", "guess").unwrap_err();
        assert!(wrong.contains("invalid credentials"), "{wrong}");
        // alice has no SHA-512 credential.
        let unknown = login(&store, ScramMechanism::Sha512, "alice", "alice-secret").unwrap_err();
        assert!(unknown.contains("unknown user"), "{unknown}");
        // The derived credential is what the password would give directly.
        let direct = ScramCredential::new(ScramHash::Sha256, "alice-secret", SALT, 4096);
        assert!(store.credential("alice", ScramMechanism::Sha256) == Some(&direct));
    }

    #[test]
    fn upsert_replaces_and_delete_removes() {
        let mut store = ScramStore::new();
        store
            .upsert_password("carol", ScramMechanism::Sha256, "old", SALT, 4096)
            .unwrap();
        let response = store.alter(
            &AlterUserScramCredentialsRequest::default()
                .with_upsertions(vec![upsertion("carol", 1, "new", 4096)]),
        );
        assert_eq!(errors(&response), [("carol", 0)]);
        assert!(login(&store, ScramMechanism::Sha256, "carol", "old").is_err());
        assert!(login(&store, ScramMechanism::Sha256, "carol", "new").is_ok());

        let response = store.alter(
            &AlterUserScramCredentialsRequest::default().with_deletions(vec![deletion("carol", 1)]),
        );
        assert_eq!(errors(&response), [("carol", 0)]);
        assert!(store.credential("carol", ScramMechanism::Sha256).is_none());
        assert_eq!(store.users().count(), 0);
        let response = store.alter(
            &AlterUserScramCredentialsRequest::default().with_deletions(vec![deletion("carol", 1)]),
        );
        assert_eq!(errors(&response), [("carol", codes::RESOURCE_NOT_FOUND)]);
        assert_eq!(
            response.results[0].error_message.as_deref(),
            Some("Attempt to delete a user credential that does not exist")
        );
    }

    #[test]
    fn alter_errors() {
        let mut store = ScramStore::new();
        store
            .upsert_password("dave", ScramMechanism::Sha256, "pw", SALT, 4096)
            .unwrap();
        let request = AlterUserScramCredentialsRequest::default()
            .with_deletions(vec![
                deletion("dave", 1),
                deletion("", 1),
                deletion("erin", 3),
            ])
            .with_upsertions(vec![
                upsertion("dave", 2, "pw2", 4096),
                upsertion("few", 1, "pw", 4095),
                upsertion("many", 1, "pw", 16385),
                upsertion("ok", 1, "pw", 16384),
                upsertion("twice", 1, "a", 4096),
                upsertion("twice", 2, "b", 4096),
            ]);
        let response = store.alter(&request);
        assert_eq!(
            errors(&response),
            [
                ("dave", codes::DUPLICATE_RESOURCE),
                ("", codes::UNACCEPTABLE_CREDENTIAL),
                ("erin", codes::UNSUPPORTED_SASL_MECHANISM),
                ("few", codes::UNACCEPTABLE_CREDENTIAL),
                ("many", codes::UNACCEPTABLE_CREDENTIAL),
                ("ok", 0),
                ("twice", codes::DUPLICATE_RESOURCE),
            ]
        );
        let message = |user: &str| {
            response
                .results
                .iter()
                .find(|r| r.user == user)
                .unwrap()
                .error_message
                .clone()
        };
        assert_eq!(message("few").as_deref(), Some("Too few iterations"));
        assert_eq!(message("many").as_deref(), Some("Too many iterations"));
        assert_eq!(message("ok"), None);
        // Rejected users changed nothing: dave keeps his credential, twice has none.
        assert!(login(&store, ScramMechanism::Sha256, "dave", "pw").is_ok());
        assert!(store.credential("twice", ScramMechanism::Sha256).is_none());
        assert!(store.credential("ok", ScramMechanism::Sha256).is_some());
    }

    #[test]
    fn describe_users() {
        let mut store = ScramStore::new();
        store
            .upsert_password("alice", ScramMechanism::Sha256, "a", SALT, 4096)
            .unwrap();
        store
            .upsert_password("alice", ScramMechanism::Sha512, "a", SALT, 8192)
            .unwrap();
        store
            .upsert_password("bob", ScramMechanism::Sha512, "b", SALT, 4096)
            .unwrap();

        let all = describe(&store, None);
        assert_eq!(all.error_code, 0);
        let users: Vec<&str> = all.results.iter().map(|r| r.user.as_str()).collect();
        assert_eq!(users, ["alice", "bob"]);
        let infos: Vec<(i8, i32)> = all.results[0]
            .credential_infos
            .iter()
            .map(|c| (c.mechanism, c.iterations))
            .collect();
        assert_eq!(infos, [(1, 4096), (2, 8192)]);
        assert_eq!(describe(&store, Some(&[])).results.len(), 2);

        let named = describe(&store, Some(&["bob", "nobody", "alice", "bob"]));
        let got: Vec<(&str, i16)> = named
            .results
            .iter()
            .map(|r| (r.user.as_str(), r.error_code))
            .collect();
        assert_eq!(
            got,
            [
                ("bob", codes::DUPLICATE_RESOURCE),
                ("nobody", codes::RESOURCE_NOT_FOUND),
                ("alice", 0)
            ]
        );
        assert_eq!(
            named.results[1].error_message.as_deref(),
            Some("Attempt to describe a user credential that does not exist: nobody")
        );
        assert!(named.results[0].credential_infos.is_empty());
    }

    #[test]
    fn store_rejects_bad_iterations_and_names() {
        let mut store = ScramStore::new();
        assert_eq!(
            store.upsert_password("", ScramMechanism::Sha256, "p", SALT, 4096),
            Err(ScramStoreError::EmptyUser)
        );
        assert!(matches!(
            store.upsert_salted("u", ScramMechanism::Sha256, SALT, b"x", 100),
            Err(ScramStoreError::Iterations {
                iterations: 100,
                ..
            })
        ));
    }
}

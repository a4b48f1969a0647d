//! Builder-side security settings of the in-process cluster: [`SaslSettings`] for
//! `ClusterBuilder::sasl` and [`TlsSettings`] for `ClusterBuilder::tls`.

use std::collections::BTreeMap;

use super::auth::{SaslConfig, SaslMechanism};
use super::oauthbearer::OAuthBearerValidator;
use super::scram_store::{ScramMechanism, ScramStore, ScramStoreError};

/// SCRAM iterations used for the users given to [`SaslSettings::user`] (Kafka's minimum,
/// 4096, keeps logins fast in tests).
pub const SCRAM_ITERATIONS: i32 = 4096;

/// SASL on every listener (`listeners=SASL_PLAINTEXT://` or, with TLS, `SASL_SSL://`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaslSettings {
    mechanisms: Vec<SaslMechanism>,
    users: BTreeMap<String, String>,
    reauth_ms: i64,
    oauthbearer: OAuthBearerValidator,
}

impl Default for SaslSettings {
    fn default() -> Self {
        Self {
            mechanisms: SaslMechanism::DEFAULT_ENABLED.to_vec(),
            users: BTreeMap::new(),
            reauth_ms: 0,
            oauthbearer: OAuthBearerValidator::default(),
        }
    }
}

impl SaslSettings {
    /// PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 enabled, no users.
    pub fn new() -> Self {
        Self::default()
    }

    /// `sasl.enabled.mechanisms`. Default PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    /// ([`oauthbearer`](Self::oauthbearer) adds OAUTHBEARER).
    pub fn mechanisms(mut self, mechanisms: impl IntoIterator<Item = SaslMechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// A user who may log in with every enabled mechanism: a PLAIN password (as
    /// `PlainLoginModule`'s `user_<name>`), and SCRAM credentials for each enabled SCRAM
    /// mechanism, put in the credential store at build (as `kafka-configs --alter
    /// --add-config SCRAM-SHA-256=[password=...]`, with [`SCRAM_ITERATIONS`]).
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.insert(name.into(), password.into());
        self
    }

    /// `connections.max.reauth.ms` (KIP-368). Default 0: sessions never expire (except
    /// OAUTHBEARER sessions, which end when their token does).
    pub fn connections_max_reauth_ms(mut self, ms: i64) -> Self {
        self.reauth_ms = ms.max(0);
        self
    }

    /// Enables OAUTHBEARER (appended to the mechanisms if missing) with this token
    /// validation, i.e. Kafka's default unsecured validator and the options of the broker's
    /// `OAuthBearerLoginModule` JAAS line:
    ///
    /// | Option | [`OAuthBearerValidator`] | Default |
    /// |---|---|---|
    /// | `unsecuredValidatorPrincipalClaimName` | `principal_claim_name` | `sub` |
    /// | `unsecuredValidatorScopeClaimName` | `scope_claim_name` | `scope` |
    /// | `unsecuredValidatorRequiredScope` | `required_scope` | none |
    /// | `unsecuredValidatorAllowableClockSkewMs` | `allowable_clock_skew_ms` | 0 |
    ///
    /// Tokens are unsigned JWS (`{"alg":"none"}`, empty signature) whose `exp` must lie
    /// after the cluster clock (minus the skew); the principal is `User:<principal claim>`;
    /// extensions are accepted and recorded per connection. The session lasts until the
    /// token expires or `connections.max.reauth.ms`, whichever is first. A refused token
    /// gets the RFC 7628 JSON status as its challenge, then SASL_AUTHENTICATION_FAILED and a
    /// close (as Kafka does).
    pub fn oauthbearer(mut self, validator: OAuthBearerValidator) -> Self {
        if !self.mechanisms.contains(&SaslMechanism::OAuthBearer) {
            self.mechanisms.push(SaslMechanism::OAuthBearer);
        }
        self.oauthbearer = validator;
        self
    }

    /// The listener config and the SCRAM store these settings give. The salts come from
    /// `seed`, so a seeded cluster derives the same credentials every run.
    pub(crate) fn build(&self, seed: u64) -> Result<(SaslConfig, ScramStore), ScramStoreError> {
        let mut config = SaslConfig::default()
            .enabled_mechanisms(self.mechanisms.iter().copied())
            .connections_max_reauth_ms(self.reauth_ms)
            .oauthbearer(self.oauthbearer.clone());
        let mut store = ScramStore::new();
        for (i, (user, password)) in self.users.iter().enumerate() {
            if self.mechanisms.contains(&SaslMechanism::Plain) {
                config = config.plain_user(user.clone(), password.clone());
            }
            for mechanism in ScramMechanism::ALL {
                if self.mechanisms.contains(&SaslMechanism::Scram(mechanism)) {
                    let salt = format!("testkit-{seed:016x}-{i}-{}", mechanism.name());
                    store.upsert_password(user, mechanism, password, salt.as_bytes(), SCRAM_ITERATIONS)?;
                }
            }
        }
        Ok((config, store))
    }
}

/// TLS on every listener (`listeners=SSL://` or, with SASL, `SASL_SSL://`): the server
/// certificate chain and key as PEM (`ssl.keystore.*`), and optionally a CA bundle whose
/// client certificates are required (`ssl.client.auth=required`, `ssl.truststore.*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub(crate) cert_chain_pem: String,
    pub(crate) key_pem: String,
    pub(crate) client_ca_pem: Option<String>,
}

impl TlsSettings {
    /// The broker's certificate chain (leaf first) and private key, both PEM.
    pub fn new(cert_chain_pem: impl Into<String>, key_pem: impl Into<String>) -> Self {
        Self { cert_chain_pem: cert_chain_pem.into(), key_pem: key_pem.into(), client_ca_pem: None }
    }

    /// Require client certificates signed by these CAs (PEM) — mutual TLS
    /// (`ssl.client.auth=required`). Default: no client certificate asked for.
    pub fn require_client_cert(mut self, ca_pem: impl Into<String>) -> Self {
        self.client_ca_pem = Some(ca_pem.into());
        self
    }
}

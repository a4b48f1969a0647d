//! The cluster's security state: the listeners' protocol and SASL config, the SCRAM
//! credential store, the authorizer (when ACLs are on) and each open connection's
//! [`ConnectionAuth`]. The pieces are the sans-IO ones in [`crate::security`].

use std::collections::HashMap;

use kafka_protocol::messages::RequestBody;

use crate::security::{Authorizer, ConnectionAuth, RequestAuthorizer, SaslConfig, ScramStore, SecurityProtocol};

/// Security state held by `ClusterState`.
pub(crate) struct BrokerSecurity {
    pub(crate) protocol: SecurityProtocol,
    pub(crate) sasl: SaslConfig,
    pub(crate) scram: ScramStore,
    pub(crate) authorizer: Option<Authorizer>,
    connections: HashMap<u64, ConnectionAuth>,
}

impl Default for BrokerSecurity {
    fn default() -> Self {
        Self::new(SecurityProtocol::Plaintext, SaslConfig::default(), ScramStore::new(), None)
    }
}

impl BrokerSecurity {
    pub(crate) fn new(
        protocol: SecurityProtocol,
        sasl: SaslConfig,
        scram: ScramStore,
        authorizer: Option<Authorizer>,
    ) -> Self {
        Self { protocol, sasl, scram, authorizer, connections: HashMap::new() }
    }

    /// Whether requests need the per-connection gate (a SASL listener) at all.
    pub(crate) fn gated(&self) -> bool {
        self.protocol.is_sasl()
    }

    /// The auth state of `connection`, created on its first request.
    pub(crate) fn connection(&mut self, connection: u64) -> &mut ConnectionAuth {
        let protocol = self.protocol;
        self.connections.entry(connection).or_insert_with(|| ConnectionAuth::new(protocol))
    }

    /// The SASL config, the SCRAM store and `connection`'s auth state, borrowed together.
    pub(crate) fn parts(&mut self, connection: u64) -> (&SaslConfig, &ScramStore, &mut ConnectionAuth) {
        let protocol = self.protocol;
        let conn = self.connections.entry(connection).or_insert_with(|| ConnectionAuth::new(protocol));
        (&self.sasl, &self.scram, conn)
    }

    /// Each known connection's principal.
    pub(crate) fn principals(&self) -> std::collections::BTreeMap<u64, String> {
        self.connections.iter().map(|(id, c)| (*id, c.principal().to_owned())).collect()
    }

    /// Each known connection's authentication.
    pub(crate) fn sessions(&self) -> std::collections::BTreeMap<u64, crate::cluster::SessionInfo> {
        self.connections
            .iter()
            .map(|(id, c)| {
                let info = crate::cluster::SessionInfo {
                    principal: c.principal().to_owned(),
                    mechanism: c.mechanism().map(|m| m.name().to_owned()),
                    session_expiry_ms: c.session_expiry_ms(),
                    extensions: c.sasl_extensions().clone(),
                };
                (*id, info)
            })
            .collect()
    }

    /// Forgets a closed connection.
    pub(crate) fn closed(&mut self, connection: u64) {
        self.connections.remove(&connection);
    }

    /// The principal of `connection` (`User:ANONYMOUS` before or without authentication).
    pub(crate) fn principal(&self, connection: u64) -> &str {
        self.connections.get(&connection).map_or(crate::security::ANONYMOUS, ConnectionAuth::principal)
    }

    /// The error failing a whole request by ACLs, if any (step 2 of the integration contract).
    pub(crate) fn request_error(&self, connection: u64, body: &RequestBody, version: i16) -> Option<i16> {
        let authorizer = self.authorizer.as_ref()?;
        RequestAuthorizer::new(Some(authorizer), self.principal(connection), "127.0.0.1").request_error(body, version)
    }

    /// A checker for per-item ACLs of `connection`'s requests.
    pub(crate) fn who(&self, connection: u64) -> RequestAuthorizer<'_> {
        RequestAuthorizer::new(self.authorizer.as_ref(), self.principal(connection), "127.0.0.1")
    }
}

//! The cluster's security state: the listeners (name and protocol each) and the SASL
//! config, the SCRAM credential store, the authorizer (when ACLs are on) and each open
//! connection's [`ConnectionAuth`] with the listener it came in on. The pieces are the
//! sans-IO ones in [`crate::security`].

use std::collections::HashMap;

use kafka_protocol::messages::RequestBody;

use crate::listeners::ListenerDef;
use crate::security::{Authorizer, ConnectionAuth, RequestAuthorizer, SaslConfig, ScramStore, SecurityProtocol};

/// Security state held by `ClusterState`.
pub(crate) struct BrokerSecurity {
    /// The named listeners, in order (at least one).
    pub(crate) listeners: Vec<ListenerDef>,
    pub(crate) sasl: SaslConfig,
    pub(crate) scram: ScramStore,
    pub(crate) authorizer: Option<Authorizer>,
    /// Per connection: the listener index and the auth state.
    connections: HashMap<u64, (usize, ConnectionAuth)>,
}

impl Default for BrokerSecurity {
    fn default() -> Self {
        let plaintext = SecurityProtocol::Plaintext;
        let listeners = vec![ListenerDef { name: plaintext.name().to_owned(), protocol: plaintext }];
        Self::new(listeners, SaslConfig::default(), ScramStore::new(), None)
    }
}

impl BrokerSecurity {
    pub(crate) fn new(
        listeners: Vec<ListenerDef>,
        sasl: SaslConfig,
        scram: ScramStore,
        authorizer: Option<Authorizer>,
    ) -> Self {
        Self { listeners, sasl, scram, authorizer, connections: HashMap::new() }
    }

    /// Whether requests need the per-connection gate (some listener is SASL) at all.
    pub(crate) fn gated(&self) -> bool {
        self.listeners.iter().any(|l| l.protocol.is_sasl())
    }

    fn protocol_of(&self, listener: usize) -> SecurityProtocol {
        self.listeners.get(listener).map_or(SecurityProtocol::Plaintext, |l| l.protocol)
    }

    /// The auth state of `connection` on `listener`, created on first use with the
    /// listener's protocol.
    pub(crate) fn open(&mut self, connection: u64, listener: usize) -> &mut ConnectionAuth {
        let protocol = self.protocol_of(listener);
        &mut self.connections.entry(connection).or_insert_with(|| (listener, ConnectionAuth::new(protocol))).1
    }

    /// The SASL config, the SCRAM store and `connection`'s auth state, borrowed together
    /// (the connection was [`open`](Self::open)ed by the gate).
    pub(crate) fn parts(&mut self, connection: u64) -> (&SaslConfig, &ScramStore, &mut ConnectionAuth) {
        let protocol = self.protocol_of(0);
        let conn = &mut self.connections.entry(connection).or_insert_with(|| (0, ConnectionAuth::new(protocol))).1;
        (&self.sasl, &self.scram, conn)
    }

    /// Each known connection's principal.
    pub(crate) fn principals(&self) -> std::collections::BTreeMap<u64, String> {
        self.connections.iter().map(|(id, (_, c))| (*id, c.principal().to_owned())).collect()
    }

    /// Each known connection's authentication.
    pub(crate) fn sessions(&self) -> std::collections::BTreeMap<u64, crate::cluster::SessionInfo> {
        self.connections
            .iter()
            .map(|(id, (listener, c))| {
                let info = crate::cluster::SessionInfo {
                    listener: self.listeners.get(*listener).map(|l| l.name.clone()).unwrap_or_default(),
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
        self.connections.get(&connection).map_or(crate::security::ANONYMOUS, |(_, c)| c.principal())
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

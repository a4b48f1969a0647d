//! Incremental fetch sessions (KIP-227): per-broker session cache, epochs, and what each
//! session last told the client about each partition, so incremental responses carry only
//! partitions that changed.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::Uuid;

/// Upper bound on live sessions per cluster; the oldest is evicted beyond it (Kafka's
/// `max.incremental.fetch.session.cache.slots` default).
pub(crate) const MAX_SESSIONS: usize = 1000;

/// One partition in a session.
#[derive(Clone, Debug)]
pub(crate) struct SessionPartition {
    pub(crate) topic_id: Uuid,
    pub(crate) fetch_offset: i64,
    pub(crate) max_bytes: i32,
    pub(crate) current_leader_epoch: i32,
    /// What the last response said; `None` until a response included the partition.
    pub(crate) last_sent: Option<(i64, i64, i64)>,
}

/// A fetch session.
#[derive(Clone, Debug)]
pub(crate) struct FetchSession {
    pub(crate) id: i32,
    /// The epoch the next request must carry.
    pub(crate) next_epoch: i32,
    /// (topic name, partition) to state, in request order by key.
    pub(crate) partitions: BTreeMap<(String, i32), SessionPartition>,
    created: u64,
}

/// Every live session, keyed by (broker, session id).
#[derive(Clone, Debug, Default)]
pub(crate) struct FetchSessions {
    sessions: HashMap<(i32, i32), FetchSession>,
    counter: u64,
}

impl FetchSessions {
    pub(crate) fn get_mut(&mut self, broker: i32, id: i32) -> Option<&mut FetchSession> {
        self.sessions.get_mut(&(broker, id))
    }

    pub(crate) fn remove(&mut self, broker: i32, id: i32) -> Option<FetchSession> {
        self.sessions.remove(&(broker, id))
    }

    /// Creates a session with a fresh id drawn from `next_id` (retried until unused).
    pub(crate) fn create(&mut self, broker: i32, mut next_id: impl FnMut() -> i32) -> &mut FetchSession {
        if self.sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = self.sessions.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k) {
                self.sessions.remove(&oldest);
            }
        }
        let mut id = next_id();
        while id <= 0 || self.sessions.contains_key(&(broker, id)) {
            id = next_id();
        }
        self.counter += 1;
        self.sessions.entry((broker, id)).or_insert(FetchSession {
            id,
            next_epoch: 1,
            partitions: BTreeMap::new(),
            created: self.counter,
        })
    }
}

//! Topics and partitions: names, ids, configs, replica placement, leaders and leader epochs.

use std::collections::{BTreeMap, HashMap};

use kafka_protocol::Uuid;

use super::log::PartitionLog;

/// A topic.
#[derive(Clone, Debug)]
pub(crate) struct Topic {
    pub(crate) name: String,
    pub(crate) id: Uuid,
    pub(crate) partitions: Vec<Partition>,
    /// Topic-level configs as given at creation (`retention.ms`, `max.message.bytes`, ...).
    pub(crate) configs: BTreeMap<String, String>,
    pub(crate) internal: bool,
}

/// A partition and its log.
#[derive(Clone, Debug)]
pub(crate) struct Partition {
    pub(crate) index: i32,
    /// The leader broker, `None` when leaderless.
    pub(crate) leader: Option<i32>,
    pub(crate) leader_epoch: i32,
    /// Replica broker ids, preferred leader first.
    pub(crate) replicas: Vec<i32>,
    pub(crate) log: PartitionLog,
    /// Producer state (idempotence) and the open/aborted transaction index.
    pub(crate) txn: crate::txn::PartitionTxnState,
}

impl Partition {
    /// A partition with an empty log.
    pub(crate) fn new(index: i32, replicas: Vec<i32>) -> Self {
        Self {
            index,
            leader: replicas.first().copied(),
            leader_epoch: 0,
            replicas,
            log: PartitionLog::default(),
            txn: Default::default(),
        }
    }

    /// The offset below which no transaction is open (KIP-98).
    pub(crate) fn last_stable_offset(&self) -> i64 {
        self.txn.last_stable_offset(self.log.high_watermark())
    }

    /// Moves the log start offset and forgets transaction state below it.
    pub(crate) fn truncate_front(&mut self, offset: i64) {
        self.log.truncate_front(offset);
        self.txn.truncate_front(self.log.log_start_offset());
    }
}

impl Topic {
    pub(crate) fn partition(&self, index: i32) -> Option<&Partition> {
        usize::try_from(index).ok().and_then(|i| self.partitions.get(i))
    }

    pub(crate) fn partition_mut(&mut self, index: i32) -> Option<&mut Partition> {
        usize::try_from(index).ok().and_then(|i| self.partitions.get_mut(i))
    }
}

/// Every topic, by name and by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Topics {
    by_name: BTreeMap<String, Topic>,
    names_by_id: HashMap<Uuid, String>,
}

impl Topics {
    pub(crate) fn get(&self, name: &str) -> Option<&Topic> {
        self.by_name.get(name)
    }

    pub(crate) fn get_mut(&mut self, name: &str) -> Option<&mut Topic> {
        self.by_name.get_mut(name)
    }

    pub(crate) fn name_of(&self, id: &Uuid) -> Option<&str> {
        self.names_by_id.get(id).map(String::as_str)
    }

    pub(crate) fn by_id(&self, id: &Uuid) -> Option<&Topic> {
        self.name_of(id).and_then(|n| self.by_name.get(n))
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Topic> {
        self.by_name.values()
    }

    /// Fits topics loaded from a data dir to a cluster of brokers `1..=brokers` (a restart
    /// with fewer brokers): a partition whose leader is gone moves to its first replica that
    /// still exists; one with no replica left is reassigned round robin to existing brokers.
    /// Both bump the leader epoch, as a controller election would. Returns how many
    /// partitions moved.
    pub(crate) fn fit_to_brokers(&mut self, brokers: i32) -> usize {
        let exists = |b: i32| (1..=brokers).contains(&b);
        let mut moved = 0;
        for topic in self.iter_mut() {
            for p in &mut topic.partitions {
                if p.leader.is_none_or(exists) {
                    continue;
                }
                if !p.replicas.iter().any(|&b| exists(b)) {
                    let start = p.index.rem_euclid(brokers.max(1));
                    let rf = i32::try_from(p.replicas.len()).unwrap_or(1).clamp(1, brokers.max(1));
                    p.replicas = (0..rf).map(|k| (start + k) % brokers.max(1) + 1).collect();
                }
                p.leader = p.replicas.iter().copied().find(|&b| exists(b));
                p.leader_epoch = p.leader_epoch.saturating_add(1);
                moved += 1;
            }
        }
        moved
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Topic> {
        self.by_name.values_mut()
    }

    pub(crate) fn insert(&mut self, topic: Topic) {
        self.names_by_id.insert(topic.id, topic.name.clone());
        self.by_name.insert(topic.name.clone(), topic);
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Topic> {
        let topic = self.by_name.remove(name)?;
        self.names_by_id.remove(&topic.id);
        Some(topic)
    }
}

/// Checks a topic name the way Kafka does: 1-249 chars of `[a-zA-Z0-9._-]`, not `.`/`..`.
pub(crate) fn validate_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("topic name is empty".into());
    }
    if name == "." || name == ".." {
        return Err(format!("topic name {name:?} is not allowed"));
    }
    if name.len() > 249 {
        return Err(format!("topic name is {} characters long; the limit is 249", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("topic name {name:?} contains {c:?}; allowed are ASCII letters, digits, '.', '_' and '-'"));
    }
    Ok(())
}

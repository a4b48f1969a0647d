//! The cluster metadata cache: brokers (with racks), topics (with ids), partitions (leader,
//! leader epoch, replicas, ISR, offline replicas), cluster id and controller.
//!
//! A [`Metadata`] is an immutable snapshot; the client swaps in a new one after each
//! refresh, so readers never see a half-applied update. Leader hints from Produce and Fetch
//! responses (KIP-951) are applied by building a new snapshot with the hinted leader, but only
//! when the hint's leader epoch is newer than the cached one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::time::Instant;

use crate::codec::Uuid;
use crate::messages::MetadataResponse;

/// A broker as metadata describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerMetadata {
    /// Node id.
    pub id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: i32,
    /// Rack, if configured on the broker.
    pub rack: Option<String>,
}

impl BrokerMetadata {
    /// `host:port`, with IPv6 hosts in brackets.
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition of a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartitionMetadata {
    /// Partition index.
    pub partition: i32,
    /// Current leader; `None` while there is none (election in progress).
    pub leader: Option<i32>,
    /// The leader epoch (-1 when the broker did not send one).
    pub leader_epoch: i32,
    /// Replica node ids.
    pub replicas: Vec<i32>,
    /// In-sync replica node ids.
    pub isr: Vec<i32>,
    /// Offline replica node ids.
    pub offline_replicas: Vec<i32>,
    /// The partition-level error code metadata reported (0 for none).
    pub error_code: i16,
}

/// One topic.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicMetadata {
    /// Topic name.
    pub name: String,
    /// Topic id (zero before Kafka 2.8 / Metadata v10).
    pub id: Uuid,
    /// Whether the topic is internal (`__consumer_offsets`, ...).
    pub is_internal: bool,
    /// The topic-level error code (0 for none; e.g. UNKNOWN_TOPIC_OR_PARTITION).
    pub error_code: i16,
    /// Partitions ordered by index.
    pub partitions: Vec<PartitionMetadata>,
}

impl TopicMetadata {
    /// The partition with index `partition`.
    pub fn partition(&self, partition: i32) -> Option<&PartitionMetadata> {
        self.partitions
            .binary_search_by_key(&partition, |p| p.partition)
            .ok()
            .and_then(|i| self.partitions.get(i))
    }
}

/// A snapshot of cluster metadata.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Metadata {
    /// The cluster id (Metadata v2+).
    pub cluster_id: Option<String>,
    /// The active controller's id, if reported.
    pub controller_id: Option<i32>,
    /// Brokers by node id.
    pub brokers: BTreeMap<i32, BrokerMetadata>,
    /// Topics by name (only those this client asked about).
    pub topics: HashMap<String, TopicMetadata>,
    /// When the snapshot was fetched.
    pub fetched_at: Instant,
}

impl Metadata {
    pub(crate) fn empty() -> Self {
        Self {
            cluster_id: None,
            controller_id: None,
            brokers: BTreeMap::new(),
            topics: HashMap::new(),
            fetched_at: Instant::now(),
        }
    }

    /// Builds a snapshot from a Metadata response. Topics not in the response are kept from
    /// `previous` when `merge` is set (a refresh of some topics must not forget the others).
    pub(crate) fn from_response(
        response: &MetadataResponse,
        previous: Option<&Metadata>,
        merge: bool,
    ) -> Self {
        let brokers = response
            .brokers
            .iter()
            .map(|b| {
                (
                    b.node_id,
                    BrokerMetadata { id: b.node_id, host: b.host.clone(), port: b.port, rack: b.rack.clone() },
                )
            })
            .collect();
        let mut topics: HashMap<String, TopicMetadata> = match previous {
            Some(p) if merge => p.topics.clone(),
            _ => HashMap::new(),
        };
        for t in &response.topics {
            let Some(name) = t.name.clone() else { continue };
            let mut partitions: Vec<PartitionMetadata> = t
                .partitions
                .iter()
                .map(|p| PartitionMetadata {
                    partition: p.partition_index,
                    leader: (p.leader_id >= 0).then_some(p.leader_id),
                    leader_epoch: p.leader_epoch,
                    replicas: p.replica_nodes.clone(),
                    isr: p.isr_nodes.clone(),
                    offline_replicas: p.offline_replicas.clone(),
                    error_code: p.error_code,
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            topics.insert(
                name.clone(),
                TopicMetadata {
                    name,
                    id: t.topic_id,
                    is_internal: t.is_internal,
                    error_code: t.error_code,
                    partitions,
                },
            );
        }
        Self {
            cluster_id: response.cluster_id.clone(),
            controller_id: (response.controller_id >= 0).then_some(response.controller_id),
            brokers,
            topics,
            fetched_at: Instant::now(),
        }
    }

    /// The topic named `name`.
    pub fn topic(&self, name: &str) -> Option<&TopicMetadata> {
        self.topics.get(name)
    }

    /// The topic with id `id`.
    pub fn topic_by_id(&self, id: Uuid) -> Option<&TopicMetadata> {
        if id.is_zero() {
            return None;
        }
        self.topics.values().find(|t| t.id == id)
    }

    /// The leader of `topic`-`partition`, if known.
    pub fn leader(&self, topic: &str, partition: i32) -> Option<i32> {
        self.topic(topic)?.partition(partition)?.leader
    }

    /// Applies a KIP-951 leader hint if it is newer than what the snapshot holds; returns
    /// the updated snapshot, or `None` when the hint changes nothing.
    pub(crate) fn with_leader_hint(
        &self,
        topic: &str,
        partition: i32,
        leader: i32,
        epoch: i32,
        endpoint: Option<BrokerMetadata>,
    ) -> Option<Arc<Self>> {
        let current = self.topic(topic)?.partition(partition)?;
        if epoch <= current.leader_epoch || (current.leader == Some(leader) && epoch == current.leader_epoch) {
            return None;
        }
        if !self.brokers.contains_key(&leader) && endpoint.is_none() {
            return None;
        }
        let mut next = self.clone();
        if let Some(endpoint) = endpoint {
            next.brokers.entry(endpoint.id).or_insert(endpoint);
        }
        let t = next.topics.get_mut(topic)?;
        let index = t.partitions.binary_search_by_key(&partition, |p| p.partition).ok()?;
        let p = t.partitions.get_mut(index)?;
        p.leader = Some(leader);
        p.leader_epoch = epoch;
        p.error_code = 0;
        Some(Arc::new(next))
    }
}

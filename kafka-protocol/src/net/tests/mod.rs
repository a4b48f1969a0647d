//! Tests of the runtime against small scripted fake brokers: real TCP listeners on
//! 127.0.0.1 that decode requests with the crate's own codec and answer from a shared
//! cluster model, with per-test scripts for faults.

mod client_tests;
mod connection_tests;
mod sasl_tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::frame::{self, RequestFrame};
use crate::messages::api_versions_response::ApiVersion;
use crate::messages::find_coordinator_response::Coordinator;
use crate::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use crate::messages::produce_response::{
    LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, TopicProduceResponse,
};
use crate::messages::{
    ApiKey, ApiVersionsResponse, FindCoordinatorResponse, HeartbeatResponse, MetadataResponse,
    ProduceResponse, RequestBody, ResponseBody,
};

use super::{ClientConfig, ClientConfigBuilder};

/// What a fake broker does with one request.
pub(super) enum Action {
    /// Answer with this body (encoded at the request's version).
    Reply(ResponseBody),
    /// Write these bytes verbatim (a whole frame, or garbage).
    Raw(Bytes),
    /// Send nothing back.
    Silent,
    /// Close the connection.
    Close,
    /// Wait, then act.
    Delay(Duration, Box<Action>),
}

/// A request as the fake saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) node: i32,
    pub(super) api: ApiKey,
    pub(super) version: i16,
    pub(super) correlation_id: i32,
    pub(super) connection: usize,
}

type Script = Arc<dyn Fn(i32, &RequestFrame, &mut Model) -> Option<Action> + Send + Sync>;

/// The cluster state the fakes answer from.
#[derive(Default)]
pub(super) struct Model {
    /// Advertised brokers: id -> `host:port`.
    pub(super) brokers: BTreeMap<i32, String>,
    /// Per-node overrides of the advertised API ranges.
    pub(super) api_versions: HashMap<i32, Vec<ApiVersion>>,
    /// Partition -> (leader, leader epoch).
    pub(super) partitions: BTreeMap<(String, i32), (i32, i32)>,
    /// Group and transaction coordinator node.
    pub(super) coordinator: i32,
    /// Send KIP-951 leader hints with NOT_LEADER_OR_FOLLOWER.
    pub(super) leader_hints: bool,
    /// Throttle time put in Metadata responses.
    pub(super) metadata_throttle_ms: i32,
    /// Every request seen, in order.
    pub(super) log: Vec<Seen>,
    /// Consulted first; `None` falls through to the default behaviour.
    pub(super) script: Option<Script>,
}

impl Model {
    pub(super) fn count(&self, api: ApiKey) -> usize {
        self.log.iter().filter(|s| s.api == api).count()
    }

    pub(super) fn count_on(&self, node: i32, api: ApiKey) -> usize {
        self.log.iter().filter(|s| s.api == api && s.node == node).count()
    }
}

/// A set of fake brokers sharing one [`Model`].
pub(super) struct FakeCluster {
    pub(super) model: Arc<Mutex<Model>>,
    running: Mutex<HashMap<i32, Running>>,
    ports: Mutex<HashMap<i32, u16>>,
}

struct Running {
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FakeCluster {
    /// Starts `nodes` brokers (ids 1..=nodes) on free ports.
    pub(super) async fn start(nodes: i32) -> Arc<Self> {
        let cluster = Arc::new(Self {
            model: Arc::new(Mutex::new(Model { coordinator: 1, ..Model::default() })),
            running: Mutex::default(),
            ports: Mutex::default(),
        });
        for id in 1..=nodes {
            cluster.up(id, 0).await;
        }
        cluster
    }

    pub(super) fn model(&self) -> std::sync::MutexGuard<'_, Model> {
        self.model.lock().unwrap()
    }

    pub(super) fn addr(&self, id: i32) -> String {
        format!("127.0.0.1:{}", self.ports.lock().unwrap()[&id])
    }

    /// A config bootstrapping from broker 1 with short timeouts.
    pub(super) fn config(&self) -> ClientConfigBuilder {
        ClientConfig::builder()
            .bootstrap_servers([self.addr(1)])
            .request_timeout(Duration::from_secs(5))
            .default_api_timeout(Duration::from_secs(5))
            .connection_setup_timeout(Duration::from_secs(5))
            .jitter_seed(1)
    }

    /// Starts (or restarts) broker `id`; `port` 0 picks a free port, otherwise it binds the
    /// same port again.
    pub(super) async fn up(self: &Arc<Self>, id: i32, port: u16) {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        self.ports.lock().unwrap().insert(id, port);
        self.model().brokers.insert(id, format!("127.0.0.1:{port}"));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let model = self.model.clone();
        let conns = connections.clone();
        let accept = tokio::spawn(async move {
            let mut index = 0;
            while let Ok((stream, _)) = listener.accept().await {
                index += 1;
                let handle = tokio::spawn(serve(stream, id, index, model.clone()));
                conns.lock().unwrap().push(handle);
            }
        });
        self.running.lock().unwrap().insert(id, Running { accept, connections });
    }

    /// Stops broker `id`: closes its listener and every connection to it.
    pub(super) async fn down(&self, id: i32) -> u16 {
        let running = self.running.lock().unwrap().remove(&id);
        if let Some(r) = running {
            r.accept.abort();
            let _ = r.accept.await;
            let conns: Vec<_> = std::mem::take(&mut *r.connections.lock().unwrap());
            for c in conns {
                c.abort();
                let _ = c.await;
            }
        }
        self.ports.lock().unwrap()[&id]
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        for (_, r) in self.running.lock().unwrap().drain() {
            r.accept.abort();
            for c in r.connections.lock().unwrap().drain(..) {
                c.abort();
            }
        }
    }
}

async fn serve(mut stream: TcpStream, node: i32, connection: usize, model: Arc<Mutex<Model>>) {
    let mut buf = BytesMut::new();
    loop {
        while buf.len() < 4 || buf.len() < 4 + (u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize) {
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        let size = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        buf.advance(4);
        let frame_bytes = buf.split_to(size).freeze();
        let request = frame::decode_request(frame_bytes).expect("the client sent an undecodable request");
        let version = request.header.request_api_version;
        let correlation_id = request.header.correlation_id;
        let action = {
            let mut m = model.lock().unwrap();
            m.log.push(Seen { node, api: request.api_key, version, correlation_id, connection });
            let script = m.script.clone();
            script.and_then(|s| s(node, &request, &mut m)).unwrap_or_else(|| default_action(node, &request, &m))
        };
        if !perform(&mut stream, action, correlation_id, version).await {
            return;
        }
    }
}

/// Performs an action; `false` when the connection should end.
async fn perform(stream: &mut TcpStream, mut action: Action, correlation_id: i32, version: i16) -> bool {
    loop {
        match action {
            Action::Delay(d, next) => {
                tokio::time::sleep(d).await;
                action = *next;
            }
            Action::Reply(body) => {
                let mut out = BytesMut::new();
                frame::encode_response_body(&mut out, correlation_id, &body, version).unwrap();
                return stream.write_all(&out).await.is_ok();
            }
            Action::Raw(bytes) => return stream.write_all(&bytes).await.is_ok(),
            Action::Silent => return true,
            Action::Close => return false,
        }
    }
}

/// Every API at its full implemented range.
pub(super) fn all_api_versions() -> Vec<ApiVersion> {
    ApiKey::ALL
        .iter()
        .map(|k| {
            ApiVersion::default()
                .with_api_key(k.key())
                .with_min_version(k.versions().min)
                .with_max_version(k.versions().max)
        })
        .collect()
}

fn default_action(node: i32, request: &RequestFrame, m: &Model) -> Action {
    let version = request.header.request_api_version;
    match &request.body {
        RequestBody::ApiVersions(_) => {
            let keys = m.api_versions.get(&node).cloned().unwrap_or_else(all_api_versions);
            let own = keys.iter().find(|k| k.api_key == ApiKey::ApiVersions.key()).cloned();
            if own.as_ref().is_some_and(|k| version > k.max_version) {
                // KIP-511: answer in v0 with only our ApiVersions range.
                let body = ApiVersionsResponse::default()
                    .with_error_code(35)
                    .with_api_keys(own.into_iter().collect());
                let mut out = BytesMut::new();
                frame::encode_response(&mut out, ApiKey::ApiVersions, request.header.correlation_id, &body, 0)
                    .unwrap();
                return Action::Raw(out.freeze());
            }
            Action::Reply(ResponseBody::ApiVersions(ApiVersionsResponse::default().with_api_keys(keys)))
        }
        RequestBody::Metadata(req) => {
            let brokers = m
                .brokers
                .iter()
                .map(|(id, addr)| {
                    let (host, port) = addr.rsplit_once(':').unwrap();
                    MetadataResponseBroker::default()
                        .with_node_id(*id)
                        .with_host(host.to_owned())
                        .with_port(port.parse().unwrap())
                })
                .collect();
            let names: Vec<String> = match &req.topics {
                Some(t) if !t.is_empty() || version > 0 => t.iter().filter_map(|t| t.name.clone()).collect(),
                _ => m.partitions.keys().map(|(t, _)| t.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect(),
            };
            let topics = names
                .into_iter()
                .map(|name| {
                    let partitions: Vec<_> = m
                        .partitions
                        .iter()
                        .filter(|((t, _), _)| *t == name)
                        .map(|((_, p), (leader, epoch))| {
                            MetadataResponsePartition::default()
                                .with_partition_index(*p)
                                .with_leader_id(*leader)
                                .with_leader_epoch(if version >= 7 { *epoch } else { -1 })
                                .with_replica_nodes(vec![*leader])
                                .with_isr_nodes(vec![*leader])
                        })
                        .collect();
                    let error = if partitions.is_empty() { 3 } else { 0 };
                    MetadataResponseTopic::default()
                        .with_name(Some(name))
                        .with_error_code(error)
                        .with_partitions(partitions)
                })
                .collect();
            let mut body = MetadataResponse::default()
                .with_brokers(brokers)
                .with_topics(topics)
                .with_controller_id(1);
            if version >= 2 {
                body.cluster_id = Some("fake-cluster".into());
            }
            if version >= 3 {
                body.throttle_time_ms = m.metadata_throttle_ms;
            }
            Action::Reply(ResponseBody::Metadata(body))
        }
        RequestBody::FindCoordinator(req) => {
            let addr = m.brokers[&m.coordinator].clone();
            let (host, port) = addr.rsplit_once(':').unwrap();
            let port: i32 = port.parse().unwrap();
            let body = if version >= 4 {
                FindCoordinatorResponse::default().with_coordinators(
                    req.coordinator_keys
                        .iter()
                        .map(|k| {
                            Coordinator::default()
                                .with_key(k.clone())
                                .with_node_id(m.coordinator)
                                .with_host(host.to_owned())
                                .with_port(port)
                        })
                        .collect(),
                )
            } else {
                FindCoordinatorResponse::default()
                    .with_node_id(m.coordinator)
                    .with_host(host.to_owned())
                    .with_port(port)
            };
            Action::Reply(ResponseBody::FindCoordinator(body))
        }
        RequestBody::Heartbeat(_) => {
            let code = if m.coordinator == node { 0 } else { 16 };
            Action::Reply(ResponseBody::Heartbeat(HeartbeatResponse::default().with_error_code(code)))
        }
        RequestBody::Produce(req) => {
            if req.acks == 0 {
                return Action::Silent;
            }
            let mut endpoints = Vec::new();
            let responses = req
                .topic_data
                .iter()
                .map(|t| {
                    let partition_responses = t
                        .partition_data
                        .iter()
                        .map(|p| {
                            let (leader, epoch) = m.partitions.get(&(t.name.clone(), p.index)).copied().unwrap_or((-1, -1));
                            let mut r = PartitionProduceResponse::default().with_index(p.index);
                            if leader == node {
                                r.base_offset = 42;
                            } else if leader < 0 {
                                r.error_code = 3;
                            } else {
                                r.error_code = 6;
                                if m.leader_hints && version >= 10 {
                                    r.current_leader = LeaderIdAndEpoch::default()
                                        .with_leader_id(leader)
                                        .with_leader_epoch(epoch);
                                    let addr = &m.brokers[&leader];
                                    let (host, port) = addr.rsplit_once(':').unwrap();
                                    endpoints.push(
                                        NodeEndpoint::default()
                                            .with_node_id(leader)
                                            .with_host(host.to_owned())
                                            .with_port(port.parse().unwrap()),
                                    );
                                }
                            }
                            r
                        })
                        .collect();
                    TopicProduceResponse::default()
                        .with_name(t.name.clone())
                        .with_partition_responses(partition_responses)
                })
                .collect();
            Action::Reply(ResponseBody::Produce(
                ProduceResponse::default().with_responses(responses).with_node_endpoints(endpoints),
            ))
        }
        _ => Action::Close,
    }
}

//! Optional on-disk persistence (`data_dir`): topics (id, partitions, replicas, leaders,
//! epochs, log start offsets, configs) and every appended record batch survive a restart.
//!
//! Layout: `DIR/cluster.id`; per topic `DIR/<topic>/meta` (a small line-based text file,
//! rewritten whenever it changes) and `DIR/<topic>/<partition>.log` (stored batches,
//! appended as produced). Writes go to one background thread in order, so the actor never
//! blocks on the disk; [`Store::flush`] waits for them.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use bytes::Bytes;
use kafka_protocol::Uuid;

use super::log::PartitionLog;
use super::topics::{Partition, Topic, Topics};

enum Op {
    WriteMeta { topic: String, meta: String },
    DeleteTopic { topic: String },
    Append { topic: String, partition: i32, bytes: Bytes },
    Flush(mpsc::Sender<()>),
}

/// Handle to the writer thread.
pub(crate) struct Store {
    tx: mpsc::Sender<Op>,
    written_meta: HashMap<String, String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Starts the writer thread for `dir`, already loaded.
    pub(crate) fn start(dir: PathBuf, loaded: &Topics) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Op>();
        std::thread::Builder::new().name("kafka-testkit-store".into()).spawn(move || writer(&dir, rx))?;
        let written_meta = loaded.iter().map(|t| (t.name.clone(), meta_of(t))).collect();
        Ok(Self { tx, written_meta })
    }

    /// Queues a batch append.
    pub(crate) fn append(&self, topic: &str, partition: i32, bytes: Bytes) {
        let _ = self.tx.send(Op::Append { topic: topic.to_owned(), partition, bytes });
    }

    /// Queues meta rewrites for topics whose metadata changed, and deletions.
    pub(crate) fn sync(&mut self, topics: &Topics) {
        for t in topics.iter() {
            let meta = meta_of(t);
            if self.written_meta.get(&t.name) != Some(&meta) {
                self.written_meta.insert(t.name.clone(), meta.clone());
                let _ = self.tx.send(Op::WriteMeta { topic: t.name.clone(), meta });
            }
        }
        let gone: Vec<String> = self.written_meta.keys().filter(|n| !topics.contains(n)).cloned().collect();
        for name in gone {
            self.written_meta.remove(&name);
            let _ = self.tx.send(Op::DeleteTopic { topic: name });
        }
    }

    /// A receiver that yields once every queued write is on disk.
    pub(crate) fn flush(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let _ = self.tx.send(Op::Flush(tx));
        rx
    }
}

fn writer(dir: &Path, rx: mpsc::Receiver<Op>) {
    let mut files: HashMap<(String, i32), fs::File> = HashMap::new();
    while let Ok(op) = rx.recv() {
        let result = match op {
            Op::WriteMeta { topic, meta } => {
                let topic_dir = dir.join(&topic);
                fs::create_dir_all(&topic_dir)
                    .and_then(|()| fs::write(topic_dir.join("meta.tmp"), meta))
                    .and_then(|()| fs::rename(topic_dir.join("meta.tmp"), topic_dir.join("meta")))
            }
            Op::DeleteTopic { topic } => {
                files.retain(|(t, _), _| *t != topic);
                fs::remove_dir_all(dir.join(&topic))
            }
            Op::Append { topic, partition, bytes } => {
                let key = (topic.clone(), partition);
                let file = match files.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let topic_dir = dir.join(&topic);
                        fs::create_dir_all(&topic_dir)
                            .and_then(|()| {
                                fs::OpenOptions::new().create(true).append(true).open(topic_dir.join(format!("{partition}.log")))
                            })
                            .map(|f| e.insert(f))
                    }
                };
                file.and_then(|f| f.write_all(&bytes))
            }
            Op::Flush(done) => {
                let synced = files.values().try_for_each(|f| f.sync_data());
                let _ = done.send(());
                synced
            }
        };
        if let Err(e) = result {
            tracing::error!(dir = %dir.display(), "data dir write failed: {e}");
        }
    }
}

/// The meta file of a topic.
fn meta_of(t: &Topic) -> String {
    let mut out = format!("id {}\n", hex(&t.id.0));
    for p in &t.partitions {
        let replicas: Vec<String> = p.replicas.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "partition {} {} {} {} {}\n",
            p.index,
            p.leader.unwrap_or(-1),
            p.leader_epoch,
            p.log.log_start_offset(),
            replicas.join(",")
        ));
    }
    for (k, v) in &t.configs {
        out.push_str(&format!("config {k}={v}\n"));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    if s.len() != 32 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// What a data dir held.
pub(crate) struct Loaded {
    pub(crate) cluster_id: Option<String>,
    pub(crate) topics: Vec<Topic>,
}

/// Reads a data dir (creating it when missing). Unreadable topics are skipped with a log line.
pub(crate) fn load(dir: &Path, new_cluster_id: &str) -> std::io::Result<Loaded> {
    fs::create_dir_all(dir)?;
    let id_path = dir.join("cluster.id");
    let cluster_id = match fs::read_to_string(&id_path) {
        Ok(s) => Some(s.trim().to_owned()),
        Err(_) => {
            fs::write(&id_path, new_cluster_id)?;
            None
        }
    };
    let mut topics = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        match load_topic(&entry.path(), &name) {
            Ok(t) => topics.push(t),
            Err(e) => tracing::warn!(topic = %name, "skipping unreadable topic in data dir: {e}"),
        }
    }
    Ok(Loaded { cluster_id, topics })
}

fn load_topic(path: &Path, name: &str) -> Result<Topic, String> {
    let meta = fs::read_to_string(path.join("meta")).map_err(|e| format!("meta: {e}"))?;
    let mut id = Uuid::ZERO;
    let mut partitions = Vec::new();
    let mut configs = BTreeMap::new();
    for line in meta.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "id" => id = Uuid(unhex(rest).ok_or("bad id")?),
            "partition" => {
                let f: Vec<&str> = rest.split(' ').collect();
                let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok()).ok_or(format!("bad partition line {line:?}"));
                let index = num(0)? as i32;
                let leader = num(1)? as i32;
                let replicas = f
                    .get(4)
                    .map(|r| r.split(',').filter_map(|b| b.parse().ok()).collect())
                    .unwrap_or_default();
                let mut log = PartitionLog::default();
                restore_log(&mut log, &path.join(format!("{index}.log")))?;
                log.truncate_front(num(3)?);
                let mut partition = Partition::new(index, replicas);
                partition.leader = (leader >= 0).then_some(leader);
                partition.leader_epoch = num(2)? as i32;
                partition.log = log;
                partitions.push(partition);
            }
            "config" => {
                if let Some((k, v)) = rest.split_once('=') {
                    configs.insert(k.to_owned(), v.to_owned());
                }
            }
            _ => {}
        }
    }
    partitions.sort_by_key(|p| p.index);
    Ok(Topic { name: name.to_owned(), id, partitions, configs, internal: name.starts_with("__") })
}

fn restore_log(log: &mut PartitionLog, path: &Path) -> Result<(), String> {
    let data = match fs::read(path) {
        Ok(d) => Bytes::from(d),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut pos = 0usize;
    while pos < data.len() {
        let header = crate::batch::read_header(&data.slice(pos..)).map_err(|e| format!("{}: {e}", path.display()))?;
        let len = usize::try_from(header.batch_length).unwrap_or(0).saturating_add(crate::batch::LOG_OVERHEAD);
        let Some(bytes) = data.get(pos..pos + len) else {
            // A torn final write: keep what is whole.
            tracing::warn!(path = %path.display(), "ignoring a partial batch at the end of the log");
            break;
        };
        log.restore(&header, data.slice_ref(bytes));
        pos += len;
    }
    Ok(())
}

//! Optional on-disk persistence (`data_dir`): what a developer using the broker as a local
//! Kafka expects to survive a restart.
//!
//! - Topics (id, partitions, replicas, leaders, epochs, log start offsets, configs) and every
//!   appended record batch. Idempotent producer state (epoch, last five batches' sequences
//!   and offsets) and the transaction index (open transactions, aborted transactions, hence
//!   the LSO) are not stored: they are rebuilt from the batches on load, as Kafka rebuilds
//!   them from its log.
//! - Consumer groups: committed offsets and group metadata (see `group::persist`), in an
//!   append-only log of changes that is compacted on load and when it grows.
//! - The transaction coordinator: the producer-id counter, the coordinator epoch and every
//!   transactional id's producer id, epoch, timeout and state. A transaction still open at
//!   shutdown is aborted on load with a bumped epoch (see
//!   `ClusterState::settle_interrupted_transactions`).
//!
//! Layout (`~` cannot appear in a topic name, so these never clash with topic directories):
//!
//! | Path | Content | Written |
//! |---|---|---|
//! | `DIR/cluster.id` | the cluster id | once |
//! | `DIR/~broker` | `boots N`: how many times the dir was loaded | temp + rename, on load |
//! | `DIR/<topic>/meta` | line-based topic metadata | temp + rename, when it changes |
//! | `DIR/<topic>/<partition>.log` | stored batches, as appended | append |
//! | `DIR/~groups.log` | group records (`G`, `O`, `D`, `X` lines) | append; temp + rename on compaction |
//! | `DIR/~transactions` | coordinator snapshot | temp + rename, when it changes |
//!
//! Lines of `~groups.log` and `~transactions` start with the CRC-32C of the rest of the line
//! (8 hex digits); strings are written `=` + percent-escaped (`-` = none).
//!
//! Writes go to one background thread in order, so the actor never blocks on the disk, and
//! the coordinator records are queued before the response that acknowledges them is sent;
//! [`Store::flush`] waits for the writes (and fsyncs). Loading never panics: an incomplete
//! last batch or line (a write torn by a crash) is cut off with a warning, anything else
//! that does not parse is a [`DataDirError::Corrupt`] naming the file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use kafka_protocol::records::{DecodeOptions, RecordBatch};
use kafka_protocol::Uuid;

use super::topics::{Partition, Topic, Topics};
use crate::group::persist::{GroupImage, GroupImageKind, OffsetImage, StoredGroup};
use crate::group::{AssignorKind, GroupCoordinator};
use crate::txn::coordinator::{TransactionMetadata, TxnSnapshot};
use crate::txn::{BatchProducerInfo, TxnCoordinator, TxnState};

/// The group records file.
const GROUPS_FILE: &str = "~groups.log";
/// The transaction coordinator snapshot.
const TXN_FILE: &str = "~transactions";
/// Broker-wide bookkeeping (boot count).
const BROKER_FILE: &str = "~broker";
/// The group log is compacted once it holds this many lines and twice the live records.
const COMPACT_MIN_LINES: usize = 4096;

/// A data dir that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataDirError {
    /// Reading or writing a file failed.
    #[error("data dir file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file holds something this broker did not write (or that was damaged) other than an
    /// incomplete last write.
    #[error("data dir file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        reason: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError + '_ {
    move |source| DataDirError::Io { path: path.to_owned(), source }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> DataDirError {
    DataDirError::Corrupt { path: path.to_owned(), reason: reason.into() }
}

enum Op {
    WriteMeta { topic: String, meta: String },
    DeleteTopic { topic: String },
    Append { topic: String, partition: i32, bytes: Bytes },
    /// Lines appended to the group log.
    GroupsAppend(String),
    /// The group log replaced by a compacted one.
    GroupsRewrite(String),
    /// The transaction snapshot replaced.
    WriteTxn(String),
    Flush(mpsc::Sender<()>),
}

/// Handle to the writer thread, with what it last wrote.
pub(crate) struct Store {
    tx: mpsc::Sender<Op>,
    written_meta: HashMap<String, String>,
    /// Group id -> (incarnation, image) as last written.
    written_groups: BTreeMap<String, (u64, GroupImage)>,
    /// Lines in the group log and live records at the last compaction.
    group_lines: usize,
    live_at_compaction: usize,
    txn_revision: Option<u64>,
    written_txn: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Starts the writer thread for `dir`, already loaded (and compacted) into these topics
    /// and coordinators.
    pub(crate) fn start(dir: PathBuf, loaded: &Topics, groups: &GroupCoordinator) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Op>();
        std::thread::Builder::new().name("kafka-testkit-store".into()).spawn(move || writer(&dir, rx))?;
        let written_meta = loaded.iter().map(|t| (t.name.clone(), meta_of(t))).collect();
        let written_groups = groups.images().into_iter().map(|(id, inc, image)| (id, (inc, image))).collect();
        let live = groups.images().len() + groups.offset_count();
        Ok(Self {
            tx,
            written_meta,
            written_groups,
            group_lines: live,
            live_at_compaction: live,
            txn_revision: None,
            written_txn: String::new(),
        })
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

    /// Queues what changed in the coordinators since the last call: group records
    /// (metadata, offsets set or removed, groups deleted) and the transaction snapshot.
    /// `now`/`now_ms` are the coordinator clock and the wall clock at the same moment.
    pub(crate) fn sync_coordinators(&mut self, groups: &mut GroupCoordinator, txn: &TxnCoordinator, now: Instant, now_ms: i64) {
        if self.txn_revision != Some(txn.revision()) {
            self.txn_revision = Some(txn.revision());
            let snapshot = render_txn(&txn.snapshot());
            if snapshot != self.written_txn {
                self.written_txn = snapshot.clone();
                let _ = self.tx.send(Op::WriteTxn(snapshot));
            }
        }
        let mut lines = String::new();
        let mut count = 0usize;
        let images = groups.images();
        let current: BTreeSet<&str> = images.iter().map(|(id, _, _)| id.as_str()).collect();
        let gone: Vec<String> = self.written_groups.keys().filter(|id| !current.contains(id.as_str())).cloned().collect();
        for id in gone {
            self.written_groups.remove(&id);
            push_line(&mut lines, &format!("X {}", esc(&id)));
            count += 1;
        }
        for (id, inc, image) in images {
            match self.written_groups.get(&id) {
                Some((written_inc, written)) if *written_inc == inc && *written == image => continue,
                Some((written_inc, _)) if *written_inc != inc => {
                    // Deleted and created again since the last write: drop the old offsets.
                    push_line(&mut lines, &format!("X {}", esc(&id)));
                    count += 1;
                }
                _ => {}
            }
            push_line(&mut lines, &group_line(&id, &image));
            count += 1;
            self.written_groups.insert(id, (inc, image));
        }
        for (group, (topic, partition), offset) in groups.take_offset_changes(now, now_ms) {
            let line = match offset {
                Some(o) => offset_line(&group, &topic, partition, &o),
                None => format!("D {} {} {partition}", esc(&group), esc(&topic)),
            };
            push_line(&mut lines, &line);
            count += 1;
        }
        if count == 0 {
            return;
        }
        self.group_lines += count;
        if self.group_lines >= COMPACT_MIN_LINES.max(self.live_at_compaction.saturating_mul(2)) {
            let (snapshot, live) = render_groups(groups, now, now_ms);
            self.group_lines = live;
            self.live_at_compaction = live;
            let _ = self.tx.send(Op::GroupsRewrite(snapshot));
        } else {
            let _ = self.tx.send(Op::GroupsAppend(lines));
        }
    }

    /// A receiver that yields once every queued write is on disk.
    pub(crate) fn flush(&self) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        let _ = self.tx.send(Op::Flush(tx));
        rx
    }
}

/// Writes `content` to `path` through a temporary file and a rename.
fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, content)?;
    fs::rename(&tmp, path)
}

fn writer(dir: &Path, rx: mpsc::Receiver<Op>) {
    let mut files: HashMap<(String, i32), fs::File> = HashMap::new();
    let mut groups_file: Option<fs::File> = None;
    let groups_path = dir.join(GROUPS_FILE);
    while let Ok(op) = rx.recv() {
        let result = match op {
            Op::WriteMeta { topic, meta } => {
                let topic_dir = dir.join(&topic);
                fs::create_dir_all(&topic_dir).and_then(|()| write_atomically(&topic_dir.join("meta"), meta.as_bytes()))
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
            Op::GroupsAppend(lines) => {
                let file = match groups_file.take() {
                    Some(f) => Ok(f),
                    None => fs::OpenOptions::new().create(true).append(true).open(&groups_path),
                };
                file.and_then(|mut f| {
                    let written = f.write_all(lines.as_bytes());
                    groups_file = Some(f);
                    written
                })
            }
            Op::GroupsRewrite(content) => {
                groups_file = None;
                write_atomically(&groups_path, content.as_bytes())
            }
            Op::WriteTxn(content) => write_atomically(&dir.join(TXN_FILE), content.as_bytes()),
            Op::Flush(done) => {
                let synced = files.values().chain(groups_file.as_ref()).try_for_each(|f| f.sync_data());
                let _ = done.send(());
                synced
            }
        };
        if let Err(e) = result {
            tracing::error!(dir = %dir.display(), "data dir write failed: {e}");
        }
    }
}

// ------------------------------------------------------------------ line encoding

/// `=` + the string with every byte outside `[A-Za-z0-9._-]` written `%XX`.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    out.push('=');
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn esc_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "-".to_owned(), esc)
}

fn unesc(token: &str) -> Result<String, String> {
    let body = token.strip_prefix('=').ok_or_else(|| format!("expected a string, got {token:?}"))?;
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = body.get(i + 1..i + 3).ok_or_else(|| format!("bad escape in {token:?}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| format!("bad escape in {token:?}"))?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{token:?} is not UTF-8"))
}

fn unesc_opt(token: &str) -> Result<Option<String>, String> {
    if token == "-" {
        Ok(None)
    } else {
        unesc(token).map(Some)
    }
}

fn num<T: std::str::FromStr>(token: Option<&str>, what: &str) -> Result<T, String> {
    let t = token.ok_or_else(|| format!("missing {what}"))?;
    t.parse().map_err(|_| format!("bad {what} {t:?}"))
}

/// Appends `line` with its checksum and a newline.
fn push_line(out: &mut String, line: &str) {
    out.push_str(&format!("{:08x} {line}\n", crc32c::crc32c(line.as_bytes())));
}

/// Checks a line's checksum and returns its content.
fn check_line(line: &str) -> Result<&str, String> {
    let (crc, rest) = line.split_once(' ').ok_or("no checksum")?;
    let crc = u32::from_str_radix(crc, 16).map_err(|_| format!("bad checksum {crc:?}"))?;
    if crc != crc32c::crc32c(rest.as_bytes()) {
        return Err("checksum mismatch".into());
    }
    Ok(rest)
}

/// Splits a file into checked lines. For an append-only file (`appended`), an incomplete or
/// damaged last line is a torn write: dropped with a warning; the returned length says where
/// the good part ends. Files replaced by rename are never torn, so there it is corruption.
fn read_lines(path: &Path, data: &str, appended: bool) -> Result<(Vec<String>, usize), DataDirError> {
    let mut lines = Vec::new();
    let mut good = 0usize;
    let mut rest = data;
    let mut number = 0usize;
    while !rest.is_empty() {
        number += 1;
        let Some(end) = rest.find('\n') else {
            if !appended {
                return Err(corrupt(path, format!("line {number}: incomplete")));
            }
            tracing::warn!(path = %path.display(), line = number, "ignoring an incomplete last line (torn write)");
            break;
        };
        let (line, after) = (&rest[..end], &rest[end + 1..]);
        match check_line(line) {
            Ok(content) => lines.push(content.to_owned()),
            Err(e) if appended && after.trim_matches('\0').is_empty() => {
                tracing::warn!(path = %path.display(), line = number, "ignoring a damaged last line ({e})");
                break;
            }
            Err(e) => return Err(corrupt(path, format!("line {number}: {e}"))),
        }
        good += end + 1;
        rest = after;
    }
    Ok((lines, good))
}

fn group_line(id: &str, image: &GroupImage) -> String {
    let had = u8::from(image.had_members);
    match &image.kind {
        GroupImageKind::Classic { protocol_type, protocol_name, generation } => format!(
            "G {} classic {} {} {generation} {had}",
            esc(id),
            esc_opt(protocol_type.as_deref()),
            esc_opt(protocol_name.as_deref())
        ),
        GroupImageKind::Consumer { group_epoch, assignment_epoch, assignor } => {
            format!("G {} consumer {group_epoch} {assignment_epoch} {} {had}", esc(id), assignor.name())
        }
    }
}

fn offset_line(group: &str, topic: &str, partition: i32, o: &OffsetImage) -> String {
    format!(
        "O {} {} {partition} {} {} {} {} {}",
        esc(group),
        esc(topic),
        o.offset,
        o.leader_epoch,
        o.commit_ms,
        o.expire_ms.map_or_else(|| "-".to_owned(), |v| v.to_string()),
        esc(&o.metadata)
    )
}

/// The compacted group log: one `G` line per group and one `O` line per offset. Returns the
/// content and its line count.
fn render_groups(groups: &GroupCoordinator, now: Instant, now_ms: i64) -> (String, usize) {
    let mut out = String::new();
    let mut count = 0;
    for (id, _, image) in groups.images() {
        push_line(&mut out, &group_line(&id, &image));
        count += 1;
        for ((topic, partition), o) in groups.offset_images(&id, now, now_ms) {
            push_line(&mut out, &offset_line(&id, &topic, partition, &o));
            count += 1;
        }
    }
    (out, count)
}

fn render_stored_groups(groups: &BTreeMap<String, StoredGroup>) -> String {
    let mut out = String::new();
    for (id, g) in groups {
        push_line(&mut out, &group_line(id, &g.image));
        for ((topic, partition), o) in &g.offsets {
            push_line(&mut out, &offset_line(id, topic, *partition, o));
        }
    }
    out
}

/// Applies one group record to the groups read so far.
fn apply_group_record(groups: &mut BTreeMap<String, StoredGroup>, line: &str) -> Result<(), String> {
    let mut t = line.split(' ');
    let kind = t.next().unwrap_or_default();
    let id = unesc(t.next().ok_or("missing group id")?)?;
    let empty = || StoredGroup {
        image: GroupImage {
            kind: GroupImageKind::Classic { protocol_type: None, protocol_name: None, generation: 0 },
            had_members: false,
        },
        offsets: BTreeMap::new(),
    };
    match kind {
        "G" => {
            let image_kind = match t.next() {
                Some("classic") => GroupImageKind::Classic {
                    protocol_type: unesc_opt(t.next().ok_or("missing protocol type")?)?,
                    protocol_name: unesc_opt(t.next().ok_or("missing protocol name")?)?,
                    generation: num(t.next(), "generation")?,
                },
                Some("consumer") => GroupImageKind::Consumer {
                    group_epoch: num(t.next(), "group epoch")?,
                    assignment_epoch: num(t.next(), "assignment epoch")?,
                    assignor: {
                        let name = t.next().ok_or("missing assignor")?;
                        AssignorKind::from_name(name).ok_or_else(|| format!("unknown assignor {name:?}"))?
                    },
                },
                other => return Err(format!("unknown group kind {other:?}")),
            };
            let had_members = num::<u8>(t.next(), "member flag")? != 0;
            groups.entry(id).or_insert_with(empty).image = GroupImage { kind: image_kind, had_members };
        }
        "O" => {
            let topic = unesc(t.next().ok_or("missing topic")?)?;
            let partition = num(t.next(), "partition")?;
            let offset = OffsetImage {
                offset: num(t.next(), "offset")?,
                leader_epoch: num(t.next(), "leader epoch")?,
                commit_ms: num(t.next(), "commit time")?,
                expire_ms: match t.next() {
                    Some("-") => None,
                    other => Some(num(other, "expiry time")?),
                },
                metadata: unesc(t.next().ok_or("missing metadata")?)?,
            };
            groups.entry(id).or_insert_with(empty).offsets.insert((topic, partition), offset);
        }
        "D" => {
            let topic = unesc(t.next().ok_or("missing topic")?)?;
            let partition: i32 = num(t.next(), "partition")?;
            if let Some(g) = groups.get_mut(&id) {
                g.offsets.remove(&(topic, partition));
            }
        }
        "X" => {
            groups.remove(&id);
        }
        other => return Err(format!("unknown record {other:?}")),
    }
    Ok(())
}

fn render_txn(snapshot: &TxnSnapshot) -> String {
    let mut out = String::new();
    push_line(&mut out, &format!("next_producer_id {}", snapshot.next_producer_id));
    push_line(&mut out, &format!("coordinator_epoch {}", snapshot.coordinator_epoch));
    for m in &snapshot.txns {
        let partitions: Vec<String> = m.partitions.iter().map(|(t, p)| format!("{}:{p}", esc(t))).collect();
        let groups: Vec<String> = m.groups.iter().map(|g| esc(g)).collect();
        let list = |v: Vec<String>| if v.is_empty() { "-".to_owned() } else { v.join(",") };
        push_line(
            &mut out,
            &format!(
                "txn {} {} {} {} {} {} {} {} {} {} {}",
                esc(&m.transactional_id),
                m.producer_id,
                m.last_producer_id,
                m.producer_epoch,
                m.last_producer_epoch,
                m.timeout_ms,
                m.state.name(),
                m.start_time_ms,
                m.last_update_ms,
                list(partitions),
                list(groups)
            ),
        );
    }
    out
}

fn parse_txn_line(snapshot: &mut TxnSnapshot, line: &str) -> Result<(), String> {
    let mut t = line.split(' ');
    match t.next() {
        Some("next_producer_id") => snapshot.next_producer_id = num(t.next(), "producer id")?,
        Some("coordinator_epoch") => snapshot.coordinator_epoch = num(t.next(), "coordinator epoch")?,
        Some("txn") => {
            let transactional_id = unesc(t.next().ok_or("missing transactional id")?)?;
            let producer_id = num(t.next(), "producer id")?;
            let last_producer_id = num(t.next(), "last producer id")?;
            let producer_epoch = num(t.next(), "producer epoch")?;
            let last_producer_epoch = num(t.next(), "last producer epoch")?;
            let timeout_ms = num(t.next(), "timeout")?;
            let state_name = t.next().ok_or("missing state")?;
            let state = TxnState::from_name(state_name).ok_or_else(|| format!("unknown state {state_name:?}"))?;
            let start_time_ms = num(t.next(), "start time")?;
            let last_update_ms = num(t.next(), "update time")?;
            let mut partitions = BTreeSet::new();
            match t.next().ok_or("missing partitions")? {
                "-" => {}
                list => {
                    for item in list.split(',') {
                        let (topic, p) = item.rsplit_once(':').ok_or_else(|| format!("bad partition {item:?}"))?;
                        partitions.insert((unesc(topic)?, num(Some(p), "partition")?));
                    }
                }
            }
            let mut groups = BTreeSet::new();
            match t.next().ok_or("missing groups")? {
                "-" => {}
                list => {
                    for item in list.split(',') {
                        groups.insert(unesc(item)?);
                    }
                }
            }
            snapshot.txns.push(TransactionMetadata {
                transactional_id,
                producer_id,
                last_producer_id,
                producer_epoch,
                last_producer_epoch,
                timeout_ms,
                state,
                partitions,
                groups,
                start_time_ms,
                last_update_ms,
                complete_at_ms: None,
            });
        }
        other => return Err(format!("unknown record {other:?}")),
    }
    Ok(())
}

// ------------------------------------------------------------------ topics

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

// ------------------------------------------------------------------ loading

/// What a data dir held.
pub(crate) struct Loaded {
    pub(crate) cluster_id: Option<String>,
    pub(crate) topics: Vec<Topic>,
    pub(crate) groups: BTreeMap<String, StoredGroup>,
    pub(crate) txn: Option<TxnSnapshot>,
    /// How many times the dir was loaded before this load.
    pub(crate) boots: u64,
}

/// Reads a data dir (creating it when missing), cuts torn tails off append-only files and
/// compacts the group log. Producer state and transaction indexes are rebuilt from the
/// batches. Topic directories without a `meta` file are skipped with a warning.
pub(crate) fn load(dir: &Path, new_cluster_id: &str) -> Result<Loaded, DataDirError> {
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let id_path = dir.join("cluster.id");
    let cluster_id = match fs::read_to_string(&id_path) {
        Ok(s) => Some(s.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::write(&id_path, new_cluster_id).map_err(io_err(&id_path))?;
            None
        }
        Err(e) => return Err(io_err(&id_path)(e)),
    };
    let broker_path = dir.join(BROKER_FILE);
    let boots: u64 = match fs::read_to_string(&broker_path) {
        Ok(s) => {
            let (lines, _) = read_lines(&broker_path, &s, false)?;
            let line = lines.first().map(String::as_str).unwrap_or("boots 0");
            num(line.strip_prefix("boots "), "boot count").map_err(|e| corrupt(&broker_path, e))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io_err(&broker_path)(e)),
    };
    let mut content = String::new();
    push_line(&mut content, &format!("boots {}", boots.saturating_add(1)));
    write_atomically(&broker_path, content.as_bytes()).map_err(io_err(&broker_path))?;

    let mut topics = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        if !entry.file_type().map_err(io_err(&entry.path()))?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(t) = load_topic(&entry.path(), &name)? {
            topics.push(t);
        }
    }
    let groups = load_groups(&dir.join(GROUPS_FILE))?;
    let txn = load_txn(&dir.join(TXN_FILE))?;
    Ok(Loaded { cluster_id, topics, groups, txn, boots })
}

fn load_groups(path: &Path) -> Result<BTreeMap<String, StoredGroup>, DataDirError> {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let text = String::from_utf8_lossy(&data);
    let (lines, _) = read_lines(path, &text, true)?;
    let mut groups = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        apply_group_record(&mut groups, line).map_err(|e| corrupt(path, format!("line {}: {e}", i + 1)))?;
    }
    // Compact (this also drops a torn tail before anything is appended after it).
    write_atomically(path, render_stored_groups(&groups).as_bytes()).map_err(io_err(path))?;
    Ok(groups)
}

fn load_txn(path: &Path) -> Result<Option<TxnSnapshot>, DataDirError> {
    let text = match fs::read_to_string(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path)(e)),
    };
    let (lines, _) = read_lines(path, &text, false)?;
    let mut snapshot = TxnSnapshot::default();
    for (i, line) in lines.iter().enumerate() {
        parse_txn_line(&mut snapshot, line).map_err(|e| corrupt(path, format!("line {}: {e}", i + 1)))?;
    }
    Ok(Some(snapshot))
}

fn load_topic(path: &Path, name: &str) -> Result<Option<Topic>, DataDirError> {
    let meta_path = path.join("meta");
    let meta = match fs::read_to_string(&meta_path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(topic = %name, "skipping a directory without a topic meta file in the data dir");
            return Ok(None);
        }
        Err(e) => return Err(io_err(&meta_path)(e)),
    };
    let bad = |line: &str| corrupt(&meta_path, format!("bad line {line:?}"));
    let mut id = Uuid::ZERO;
    let mut partitions = Vec::new();
    let mut configs = BTreeMap::new();
    let now_ms = crate::handlers::produce::now_ms();
    for line in meta.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "id" => id = Uuid(unhex(rest).ok_or_else(|| bad(line))?),
            "partition" => {
                let f: Vec<&str> = rest.split(' ').collect();
                let n = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| bad(line));
                let index = i32::try_from(n(0)?).map_err(|_| bad(line))?;
                let leader = i32::try_from(n(1)?).map_err(|_| bad(line))?;
                let leader_epoch = i32::try_from(n(2)?).map_err(|_| bad(line))?;
                let replicas = f
                    .get(4)
                    .map(|r| r.split(',').filter_map(|b| b.parse().ok()).collect())
                    .unwrap_or_default();
                let mut partition = Partition::new(index, replicas);
                restore_log(&mut partition, &path.join(format!("{index}.log")), now_ms)?;
                partition.truncate_front(n(3)?);
                partition.leader = (leader >= 0).then_some(leader);
                partition.leader_epoch = leader_epoch;
                partitions.push(partition);
            }
            "config" => {
                if let Some((k, v)) = rest.split_once('=') {
                    configs.insert(k.to_owned(), v.to_owned());
                }
            }
            "" => {}
            _ => return Err(bad(line)),
        }
    }
    partitions.sort_by_key(|p| p.index);
    Ok(Some(Topic { name: name.to_owned(), id, partitions, configs, internal: name.starts_with("__") }))
}

/// Reads a partition's batches back into its log and replays them into its producer state
/// and transaction index (as Kafka rebuilds both from its log). A torn last batch is cut off
/// the file with a warning; a damaged batch followed by more data is an error.
fn restore_log(partition: &mut Partition, path: &Path, now_ms: i64) -> Result<(), DataDirError> {
    let data = match fs::read(path) {
        Ok(d) => Bytes::from(d),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut pos = 0usize;
    let mut torn = None;
    while pos < data.len() {
        let rest = data.len() - pos;
        let at = |reason: &str| corrupt(path, format!("batch at byte {pos}: {reason}"));
        let length = data
            .get(pos + 8..pos + 12)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_be_bytes);
        let Some(length) = length else {
            torn = Some("an incomplete batch header");
            break;
        };
        let Some(len) = usize::try_from(length).ok().filter(|l| *l >= 49).map(|l| l + crate::batch::LOG_OVERHEAD) else {
            if data[pos..].iter().all(|b| *b == 0) {
                torn = Some("zero bytes");
                break;
            }
            return Err(at(&format!("invalid batch length {length}")));
        };
        if len > rest {
            torn = Some("an incomplete batch");
            break;
        }
        let bytes = data.slice(pos..pos + len);
        let header = match RecordBatch::decode(&mut bytes.clone(), &DecodeOptions::default()) {
            Ok(b) => b.header,
            Err(e) if pos + len == data.len() => {
                tracing::warn!(path = %path.display(), "ignoring a damaged last batch: {e}");
                torn = Some("a damaged batch");
                break;
            }
            Err(e) => return Err(at(&e.to_string())),
        };
        replay_producer_state(partition, &bytes, header.base_offset, now_ms);
        partition.log.restore(&header, bytes);
        pos += len;
    }
    if let Some(what) = torn {
        tracing::warn!(path = %path.display(), at = pos, "cutting {what} off the end of the log (torn write)");
        let file = fs::OpenOptions::new().write(true).open(path).map_err(io_err(path))?;
        file.set_len(pos as u64).map_err(io_err(path))?;
    }
    Ok(())
}

/// Feeds one stored batch to the partition's producer state and transaction index, the way
/// the produce path and the marker writer did when it was appended.
fn replay_producer_state(partition: &mut Partition, bytes: &[u8], base_offset: i64, now_ms: i64) {
    let Some(info) = BatchProducerInfo::parse(bytes) else { return };
    if !info.has_producer_id() {
        return;
    }
    if info.is_control {
        if let Some(marker) = crate::txn::marker::parse_control_marker(bytes) {
            partition.txn.record_marker(info.producer_id, info.producer_epoch, marker, base_offset, info.max_timestamp, now_ms);
        }
    } else {
        partition.txn.record_append(&info, base_offset, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for s in ["", "plain", "with space", "per%cent", "new\nline", "ünï", "a,b:c=d"] {
            let e = esc(s);
            assert!(!e.contains([' ', '\n', ',', ':']), "{e}");
            assert_eq!(unesc(&e).unwrap(), s);
        }
        assert_eq!(unesc_opt("-").unwrap(), None);
        assert!(unesc("=%4").is_err());
        assert!(unesc("nope").is_err());
    }

    #[test]
    fn torn_and_damaged_lines() {
        let mut good = String::new();
        push_line(&mut good, "X =a");
        push_line(&mut good, "X =b");
        let path = Path::new("/x");
        assert_eq!(read_lines(path, &good, false).unwrap().0.len(), 2);
        let torn = format!("{good}0000");
        assert_eq!(read_lines(path, &torn, true).unwrap(), (vec!["X =a".to_owned(), "X =b".to_owned()], good.len()));
        assert!(read_lines(path, &torn, false).is_err(), "renamed files are never torn");
        let damaged_last = format!("{good}deadbeef X =c\n");
        assert_eq!(read_lines(path, &damaged_last, true).unwrap().0.len(), 2);
        assert!(read_lines(path, &damaged_last, false).is_err());
        let damaged_middle = format!("deadbeef X =c\n{good}");
        let err = read_lines(path, &damaged_middle, true).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn the_group_log_is_compacted_while_running_and_appends_continue_after_it() {
        use crate::group::{GroupConfig, TopicTable};
        use kafka_protocol::messages::offset_commit_request::{OffsetCommitRequestPartition, OffsetCommitRequestTopic};
        use kafka_protocol::messages::OffsetCommitRequest;
        let dir = std::env::temp_dir().join(format!("kafka-testkit-compaction-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let topics = TopicTable::new().with_topic("t", Uuid::from_u64_pair(1, 1), 1);
        let mut groups = GroupCoordinator::new(GroupConfig::default());
        let txn = TxnCoordinator::default();
        let mut store = Store::start(dir.clone(), &Topics::default(), &groups).unwrap();
        let now = Instant::now();
        let lines = COMPACT_MIN_LINES + 100;
        for offset in 0..lines as i64 {
            let req = OffsetCommitRequest::default()
                .with_group_id("g".into())
                .with_generation_id_or_member_epoch(-1)
                .with_topics(vec![OffsetCommitRequestTopic::default().with_name("t".into()).with_partitions(vec![
                    OffsetCommitRequestPartition::default().with_partition_index(0).with_committed_offset(offset),
                ])]);
            groups.offset_commit(now, 8, &topics, &req);
            store.sync_coordinators(&mut groups, &txn, now, 1_000);
        }
        store.flush().recv().unwrap();
        let text = fs::read_to_string(dir.join(GROUPS_FILE)).unwrap();
        let count = text.lines().count();
        assert!(count < 200, "compacted once past {COMPACT_MIN_LINES} lines, then appended: {count} lines");
        let loaded = load_groups(&dir.join(GROUPS_FILE)).unwrap();
        let last = i64::try_from(lines).unwrap() - 1;
        assert_eq!(loaded["g"].offsets[&("t".to_owned(), 0)].offset, last);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn txn_snapshot_round_trips() {
        let snapshot = TxnSnapshot {
            next_producer_id: 1007,
            coordinator_epoch: 2,
            txns: vec![TransactionMetadata {
                transactional_id: "tx 1".into(),
                producer_id: 1003,
                last_producer_id: -1,
                producer_epoch: 4,
                last_producer_epoch: 3,
                timeout_ms: 60_000,
                state: TxnState::Ongoing,
                partitions: [("t".to_owned(), 0), ("__consumer_offsets".to_owned(), 7)].into_iter().collect(),
                groups: ["g,1".to_owned()].into_iter().collect(),
                start_time_ms: 5,
                last_update_ms: 6,
                complete_at_ms: None,
            }],
        };
        let text = render_txn(&snapshot);
        let (lines, _) = read_lines(Path::new("/t"), &text, false).unwrap();
        let mut back = TxnSnapshot::default();
        for l in &lines {
            parse_txn_line(&mut back, l).unwrap();
        }
        assert_eq!(back, snapshot);
    }
}

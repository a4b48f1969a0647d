//! What `data_dir` persistence keeps of the group coordinator, as plain data: per group a
//! [`GroupImage`] (kind, protocol type and name, generation or epochs) and its committed
//! offsets ([`OffsetImage`]). The coordinator hands out images and the offsets that changed
//! since the last call, and rebuilds groups from images on load; encoding and files belong to
//! `state::persist`.
//!
//! Kept: committed offsets (plain commits and transactional ones once their transaction
//! committed; OffsetDelete, DeleteGroups and retention remove them), classic groups' protocol
//! type, protocol name and generation, KIP-848 groups' group epoch, assignment epoch and
//! assignor. Not kept: members, pending member ids, static-member mappings, assignments,
//! KIP-848 target assignments and subscriptions, offsets staged by open transactions (an
//! open transaction is aborted on load). Restored groups are Empty; members rejoin.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::classic::ClassicGroup;
use super::consumer::ConsumerGroup;
use super::offsets::{Committed, OffsetStore};
use super::{AssignorKind, Group, GroupCoordinator, GroupKind, Rng};

/// A group's persisted metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupImage {
    pub(crate) kind: GroupImageKind,
    /// Whether the group had members when the image was taken.
    pub(crate) had_members: bool,
}

/// Classic or KIP-848, with what each keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GroupImageKind {
    /// A classic group (also the offsets-only "simple" groups: no protocol type).
    Classic {
        protocol_type: Option<String>,
        protocol_name: Option<String>,
        generation: i32,
    },
    /// A KIP-848 consumer group.
    Consumer {
        group_epoch: i32,
        assignment_epoch: i32,
        assignor: AssignorKind,
    },
}

/// A committed offset as persisted; times are wall-clock milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OffsetImage {
    pub(crate) offset: i64,
    pub(crate) leader_epoch: i32,
    pub(crate) metadata: String,
    pub(crate) commit_ms: i64,
    /// Explicit expiry (OffsetCommit v2-4 retention time).
    pub(crate) expire_ms: Option<i64>,
}

/// A group read back from the data dir.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredGroup {
    pub(crate) image: GroupImage,
    pub(crate) offsets: BTreeMap<(String, i32), OffsetImage>,
}

/// One change to write out: an offset set or removed.
pub(crate) type OffsetChange = (String, (String, i32), Option<OffsetImage>);

/// `instant` on the wall clock, given that `now` is `now_ms`.
fn instant_to_ms(instant: Instant, now: Instant, now_ms: i64) -> i64 {
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    match now.checked_duration_since(instant) {
        Some(ago) => now_ms.saturating_sub(millis(ago)),
        None => now_ms.saturating_add(millis(instant.saturating_duration_since(now))),
    }
}

/// Wall-clock `ms` as an instant, given that `now` is `now_ms` (clamped to `now` when the
/// instant cannot represent it).
fn ms_to_instant(ms: i64, now: Instant, now_ms: i64) -> Instant {
    let delta = Duration::from_millis(ms.abs_diff(now_ms));
    if ms <= now_ms {
        now.checked_sub(delta).unwrap_or(now)
    } else {
        now.checked_add(delta).unwrap_or(now)
    }
}

fn offset_image(c: &Committed, now: Instant, now_ms: i64) -> OffsetImage {
    OffsetImage {
        offset: c.offset,
        leader_epoch: c.leader_epoch,
        metadata: c.metadata.clone(),
        commit_ms: instant_to_ms(c.commit_time, now, now_ms),
        expire_ms: c.expire_at.map(|at| instant_to_ms(at, now, now_ms)),
    }
}

impl Group {
    fn image(&self) -> GroupImage {
        match &self.kind {
            GroupKind::Classic(g) => {
                let (protocol_type, protocol_name, generation, had_members) = g.image();
                GroupImage {
                    kind: GroupImageKind::Classic {
                        protocol_type,
                        protocol_name,
                        generation,
                    },
                    had_members,
                }
            }
            GroupKind::Consumer(g) => {
                let (group_epoch, assignment_epoch, assignor, had_members) = g.image();
                GroupImage {
                    kind: GroupImageKind::Consumer {
                        group_epoch,
                        assignment_epoch,
                        assignor,
                    },
                    had_members,
                }
            }
        }
    }
}

impl GroupCoordinator {
    /// Every group's id, incarnation and image, sorted by id.
    pub(crate) fn images(&self) -> Vec<(String, u64, GroupImage)> {
        self.groups
            .iter()
            .map(|(id, g)| (id.clone(), g.incarnation, g.image()))
            .collect()
    }

    /// Committed offsets that changed since the last call (`None`: removed), by group.
    /// `now`/`now_ms` convert commit times to wall-clock milliseconds.
    pub(crate) fn take_offset_changes(&mut self, now: Instant, now_ms: i64) -> Vec<OffsetChange> {
        let mut out = Vec::new();
        for (id, group) in &mut self.groups {
            for (key, committed) in group.offsets.take_dirty() {
                out.push((
                    id.clone(),
                    key,
                    committed.map(|c| offset_image(c, now, now_ms)),
                ));
            }
        }
        out
    }

    /// Every committed offset of `group_id`, as persisted.
    pub(crate) fn offset_images(
        &self,
        group_id: &str,
        now: Instant,
        now_ms: i64,
    ) -> Vec<((String, i32), OffsetImage)> {
        self.groups
            .get(group_id)
            .map(|g| {
                g.offsets
                    .committed()
                    .map(|(k, c)| (k.clone(), offset_image(c, now, now_ms)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many committed offsets all groups hold.
    pub(crate) fn offset_count(&self) -> usize {
        self.groups.values().map(|g| g.offsets.committed().count()).sum()
    }

    /// Rebuilds groups read from the data dir (replacing groups of the same id). `boots`
    /// (how many times the data dir was loaded before) perturbs the member-id source so
    /// member ids minted after a restart differ from those minted before it.
    pub(crate) fn restore(
        &mut self,
        now: Instant,
        now_ms: i64,
        groups: BTreeMap<String, StoredGroup>,
        boots: u64,
    ) {
        self.rng = Rng::new(
            self.config
                .seed
                .wrapping_add(boots.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        for (id, stored) in groups {
            let kind = match stored.image.kind {
                GroupImageKind::Classic {
                    protocol_type,
                    protocol_name,
                    generation,
                } => GroupKind::Classic(ClassicGroup::restored(
                    now,
                    protocol_type,
                    protocol_name,
                    generation,
                    stored.image.had_members,
                )),
                GroupImageKind::Consumer {
                    group_epoch,
                    assignment_epoch,
                    assignor,
                } => GroupKind::Consumer(ConsumerGroup::restored(
                    now,
                    group_epoch,
                    assignment_epoch,
                    assignor,
                    stored.image.had_members,
                )),
            };
            let mut offsets = OffsetStore::default();
            for ((topic, partition), o) in stored.offsets {
                offsets.restore(
                    topic,
                    partition,
                    Committed {
                        offset: o.offset,
                        leader_epoch: o.leader_epoch,
                        metadata: o.metadata,
                        commit_time: ms_to_instant(o.commit_ms, now, now_ms),
                        expire_at: o.expire_ms.map(|ms| ms_to_instant(ms, now, now_ms)),
                        seq: 0,
                    },
                );
            }
            let incarnation = self.next_incarnation();
            self.groups.insert(
                id,
                Group {
                    kind,
                    offsets,
                    incarnation,
                },
            );
        }
        if !self.groups.is_empty() {
            self.arm_retention(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{GroupConfig, TopicTable};
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::OffsetCommitRequest;
    use kafka_protocol::Uuid;

    fn commit(c: &mut GroupCoordinator, now: Instant, group: &str, offset: i64) {
        let topics = TopicTable::new().with_topic("t", Uuid::from_u64_pair(1, 2), 2);
        let req = OffsetCommitRequest::default()
            .with_group_id(group.into())
            .with_generation_id_or_member_epoch(-1)
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_name("t".into())
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(1)
                    .with_committed_offset(offset)
                    .with_committed_metadata(Some("m".into()))])]);
        let r = c.offset_commit(now, 8, &topics, &req);
        assert_eq!(r.topics[0].partitions[0].error_code, 0);
    }

    #[test]
    fn changes_are_reported_once_and_images_round_trip() {
        let now = Instant::now();
        let mut c = GroupCoordinator::new(GroupConfig::default());
        commit(&mut c, now, "g", 5);
        commit(&mut c, now, "g", 7);
        let changes = c.take_offset_changes(now, 1_000);
        assert_eq!(changes.len(), 1, "{changes:?}");
        let (group, key, image) = &changes[0];
        assert_eq!((group.as_str(), key), ("g", &("t".to_owned(), 1)));
        let image = image.clone().unwrap();
        assert_eq!((image.offset, image.commit_ms, image.metadata.as_str()), (7, 1_000, "m"));
        assert!(c.take_offset_changes(now, 1_000).is_empty());

        let images = c.images();
        assert_eq!(images.len(), 1);
        let stored = StoredGroup {
            image: images[0].2.clone(),
            offsets: c.offset_images("g", now, 1_000).into_iter().collect(),
        };
        let mut restored = GroupCoordinator::new(GroupConfig::default());
        restored.restore(now, 1_000, BTreeMap::from([("g".to_owned(), stored)]), 1);
        assert_eq!(restored.group_state("g"), Some("Empty"));
        assert_eq!(restored.offset_images("g", now, 1_000), c.offset_images("g", now, 1_000));
        assert!(restored.take_offset_changes(now, 1_000).is_empty(), "restored offsets are on disk already");
    }

    #[test]
    fn wall_clock_conversion_is_consistent() {
        let now = Instant::now();
        let past = ms_to_instant(9_000, now, 10_000);
        assert_eq!(instant_to_ms(past, now, 10_000), 9_000);
        let future = ms_to_instant(12_500, now, 10_000);
        assert_eq!(instant_to_ms(future, now, 10_000), 12_500);
    }
}

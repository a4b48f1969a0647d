//! Server-side assignors of the KIP-848 consumer group protocol: `uniform` (balanced and
//! sticky, Kafka's default) and `range` (contiguous ranges per topic).
//!
//! Both are deterministic: members and partitions are visited in sorted order.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::Uuid;

/// A server-side assignor, named as `ConsumerGroupHeartbeat.ServerAssignor` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssignorKind {
    /// `uniform`: spreads all subscribed partitions evenly over the members, keeping
    /// partitions with their current owner where balance allows.
    Uniform,
    /// `range`: per topic, each subscriber takes a contiguous range of partitions, in member
    /// id order.
    Range,
}

impl AssignorKind {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Uniform => "uniform",
            Self::Range => "range",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "uniform" => Some(Self::Uniform),
            "range" => Some(Self::Range),
            _ => None,
        }
    }
}

/// Partitions by topic id.
pub(crate) type Assignment = BTreeMap<Uuid, BTreeSet<i32>>;

/// What an assignor needs about one member.
pub(crate) struct MemberSpec {
    pub(crate) member_id: String,
    /// Subscribed topic names that exist (regexes already resolved).
    pub(crate) topics: BTreeSet<String>,
    /// The member's previous target assignment (for stickiness).
    pub(crate) current: Assignment,
}

/// Computes a target assignment for every member (members with nothing get an empty one).
pub(crate) fn assign(
    kind: AssignorKind,
    members: &[MemberSpec],
    topics: &BTreeMap<String, (Uuid, i32)>,
) -> BTreeMap<String, Assignment> {
    let mut result: BTreeMap<String, Assignment> = members
        .iter()
        .map(|m| (m.member_id.clone(), Assignment::new()))
        .collect();
    match kind {
        AssignorKind::Range => range(members, topics, &mut result),
        AssignorKind::Uniform => uniform(members, topics, &mut result),
    }
    result
}

fn range(
    members: &[MemberSpec],
    topics: &BTreeMap<String, (Uuid, i32)>,
    result: &mut BTreeMap<String, Assignment>,
) {
    for (name, (id, count)) in topics {
        let mut subscribers: Vec<&str> = members
            .iter()
            .filter(|m| m.topics.contains(name))
            .map(|m| m.member_id.as_str())
            .collect();
        subscribers.sort_unstable();
        let n = usize::try_from(*count).unwrap_or(0);
        let m = subscribers.len();
        if m == 0 {
            continue;
        }
        let (base, extra) = (n / m, n % m);
        let mut next = 0usize;
        for (i, member) in subscribers.iter().enumerate() {
            let len = base + usize::from(i < extra);
            let partitions = (next..next + len).filter_map(|p| i32::try_from(p).ok());
            if let Some(a) = result.get_mut(*member) {
                a.entry(*id).or_default().extend(partitions);
            }
            next += len;
        }
    }
}

/// Balanced sticky assignment. Each member gets a quota (balanced over the partitions it
/// can take), keeps as much of its previous assignment as its quota allows, and the rest is
/// handed to eligible members with room, most room first.
fn uniform(
    members: &[MemberSpec],
    topics: &BTreeMap<String, (Uuid, i32)>,
    result: &mut BTreeMap<String, Assignment>,
) {
    // Every (topic, partition) someone subscribes to, with its eligible members.
    let mut partitions: Vec<(Uuid, i32, Vec<usize>)> = Vec::new();
    for (name, (id, count)) in topics {
        let eligible: Vec<usize> = members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.topics.contains(name))
            .map(|(i, _)| i)
            .collect();
        if eligible.is_empty() {
            continue;
        }
        for p in 0..*count {
            partitions.push((*id, p, eligible.clone()));
        }
    }
    if partitions.is_empty() || members.is_empty() {
        return;
    }
    let quotas = quotas(members, &partitions);

    let mut counts = vec![0usize; members.len()];
    let mut owner: Vec<Option<usize>> = vec![None; partitions.len()];
    // Keep previous owners within quota.
    for (pi, (id, p, eligible)) in partitions.iter().enumerate() {
        for &mi in eligible {
            let held = members
                .get(mi)
                .is_some_and(|m| m.current.get(id).is_some_and(|s| s.contains(p)));
            let room = counts
                .get(mi)
                .zip(quotas.get(mi))
                .is_some_and(|(c, q)| c < q);
            if held && room {
                if let Some(c) = counts.get_mut(mi) {
                    *c += 1;
                }
                if let Some(o) = owner.get_mut(pi) {
                    *o = Some(mi);
                }
                break;
            }
        }
    }
    // Hand out the rest: the partitions with the fewest candidates first.
    let mut order: Vec<usize> = (0..partitions.len())
        .filter(|i| owner.get(*i).is_some_and(Option::is_none))
        .collect();
    order.sort_by_key(|i| partitions.get(*i).map_or(0, |(_, _, e)| e.len()));
    for pi in order {
        let Some((_, _, eligible)) = partitions.get(pi) else {
            continue;
        };
        let room = |mi: usize| -> i64 {
            let q = quotas.get(mi).copied().unwrap_or(0);
            let c = counts.get(mi).copied().unwrap_or(0);
            i64::try_from(q)
                .unwrap_or(i64::MAX)
                .saturating_sub(i64::try_from(c).unwrap_or(i64::MAX))
        };
        // Most room first; among equals the lowest member index (sorted member ids).
        let chosen = eligible
            .iter()
            .copied()
            .max_by(|a, b| room(*a).cmp(&room(*b)).then(b.cmp(a)));
        if let Some(mi) = chosen {
            if let Some(c) = counts.get_mut(mi) {
                *c += 1;
            }
            if let Some(o) = owner.get_mut(pi) {
                *o = Some(mi);
            }
        }
    }
    for (pi, (id, p, _)) in partitions.iter().enumerate() {
        let Some(Some(mi)) = owner.get(pi) else {
            continue;
        };
        let Some(member) = members.get(*mi) else {
            continue;
        };
        if let Some(a) = result.get_mut(&member.member_id) {
            a.entry(*id).or_default().insert(*p);
        }
    }
}

/// How many partitions each member should end up with. With identical subscriptions this is
/// floor/ceil of the fair share, the extra ones going to members that already hold the most
/// (fewest moves); otherwise a greedy least-loaded pass decides.
fn quotas(members: &[MemberSpec], partitions: &[(Uuid, i32, Vec<usize>)]) -> Vec<usize> {
    let identical = members.windows(2).all(|w| match w {
        [a, b] => a.topics == b.topics,
        _ => true,
    });
    if identical {
        let total = partitions.len();
        let n = members.len().max(1);
        let (base, extra) = (total / n, total % n);
        let held = |m: &MemberSpec| -> usize {
            partitions
                .iter()
                .filter(|(id, p, _)| m.current.get(id).is_some_and(|s| s.contains(p)))
                .count()
        };
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|i| std::cmp::Reverse(members.get(*i).map_or(0, held)));
        let mut quotas = vec![base; members.len()];
        for i in order.into_iter().take(extra) {
            if let Some(q) = quotas.get_mut(i) {
                *q += 1;
            }
        }
        return quotas;
    }
    let mut counts = vec![0usize; members.len()];
    let mut order: Vec<&(Uuid, i32, Vec<usize>)> = partitions.iter().collect();
    order.sort_by_key(|(_, _, e)| e.len());
    for (_, _, eligible) in order {
        let least = eligible
            .iter()
            .copied()
            .min_by_key(|mi| (counts.get(*mi).copied().unwrap_or(usize::MAX), *mi));
        if let Some(c) = least.and_then(|mi| counts.get_mut(mi)) {
            *c += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic_map(entries: &[(&str, u64, i32)]) -> BTreeMap<String, (Uuid, i32)> {
        entries
            .iter()
            .map(|(n, id, c)| ((*n).to_owned(), (Uuid::from_u64_pair(0, *id), *c)))
            .collect()
    }

    fn spec(id: &str, topics: &[&str], current: Assignment) -> MemberSpec {
        MemberSpec {
            member_id: id.to_owned(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            current,
        }
    }

    fn count(a: &Assignment) -> usize {
        a.values().map(BTreeSet::len).sum()
    }

    #[test]
    fn range_splits_each_topic_contiguously() {
        let topics = topic_map(&[("t", 1, 5)]);
        let members = [
            spec("a", &["t"], Assignment::new()),
            spec("b", &["t"], Assignment::new()),
        ];
        let out = assign(AssignorKind::Range, &members, &topics);
        let id = Uuid::from_u64_pair(0, 1);
        assert_eq!(out["a"][&id], BTreeSet::from([0, 1, 2]));
        assert_eq!(out["b"][&id], BTreeSet::from([3, 4]));
    }

    #[test]
    fn uniform_is_balanced_and_sticky() {
        let topics = topic_map(&[("t", 1, 4), ("u", 2, 3)]);
        let id_t = Uuid::from_u64_pair(0, 1);
        let id_u = Uuid::from_u64_pair(0, 2);
        let all: Assignment = BTreeMap::from([
            (id_t, BTreeSet::from([0, 1, 2, 3])),
            (id_u, BTreeSet::from([0, 1, 2])),
        ]);
        let members = [
            spec("a", &["t", "u"], all.clone()),
            spec("b", &["t", "u"], Assignment::new()),
        ];
        let out = assign(AssignorKind::Uniform, &members, &topics);
        assert_eq!(
            count(&out["a"]),
            4,
            "a keeps the extra partition it already holds"
        );
        assert_eq!(count(&out["b"]), 3);
        // a only keeps partitions it had; every partition has exactly one owner.
        for (id, parts) in &out["a"] {
            assert!(parts.is_subset(&all[id]));
        }
        let total: usize = out.values().map(count).sum();
        assert_eq!(total, 7);
        for (id, n) in [(id_t, 4), (id_u, 3)] {
            let union: BTreeSet<i32> = out
                .values()
                .flat_map(|a| a.get(&id).cloned().unwrap_or_default())
                .collect();
            assert_eq!(union.len(), n);
        }
    }

    #[test]
    fn uniform_respects_different_subscriptions() {
        let topics = topic_map(&[("t", 1, 2), ("u", 2, 4)]);
        let members = [
            spec("a", &["t"], Assignment::new()),
            spec("b", &["t", "u"], Assignment::new()),
        ];
        let out = assign(AssignorKind::Uniform, &members, &topics);
        let id_u = Uuid::from_u64_pair(0, 2);
        assert!(!out["a"].contains_key(&id_u), "a is not subscribed to u");
        assert_eq!(out["b"][&id_u].len(), 4);
        assert_eq!(count(&out["a"]) + count(&out["b"]), 6);
        assert_eq!(
            count(&out["a"]),
            2,
            "a takes both partitions of t, the only ones it can take"
        );
    }
}

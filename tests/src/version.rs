//! Which protocol versions the broker speaks: the intersection of what each handler
//! implements, what the chosen [`KafkaVersion`] preset allowed, and any per-API caps a test
//! set. ApiVersions advertises exactly this table, and requests outside it are refused.
//!
//! The presets' per-API maximum versions come from franz-go's `pkg/kversion` release tables
//! (`V2_1_0`, `V2_8_0`, `V3_9_0`, `V4_0_0`), which record what each Apache Kafka release's
//! brokers answer in ApiVersions. The 4.0 minimum versions follow KIP-896, which removed the
//! oldest versions of several APIs in Kafka 4.0.

use std::collections::BTreeMap;

use kafka_protocol::{ApiKey, VersionRange};

/// An Apache Kafka release whose ApiVersions answer the broker imitates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KafkaVersion {
    /// Kafka 2.1 (ZooKeeper era; no flexible versions yet).
    V2_1,
    /// Kafka 2.8.
    V2_8,
    /// Kafka 3.9, the last release with ZooKeeper support.
    V3_9,
    /// Kafka 4.0 (KRaft only; the oldest versions of many APIs removed by KIP-896).
    V4_0,
    /// No cap: every version the broker's handlers implement (the default).
    #[default]
    Latest,
}

impl KafkaVersion {
    /// The versions of `key` that this release's brokers accept, or `None` when the release
    /// does not have the API at all. `Latest` imposes no limit.
    pub fn versions(self, key: ApiKey) -> Option<VersionRange> {
        let table = match self {
            KafkaVersion::V2_1 => V2_1_MAX,
            KafkaVersion::V2_8 => V2_8_MAX,
            KafkaVersion::V3_9 => V3_9_MAX,
            KafkaVersion::V4_0 => V4_0_MAX,
            KafkaVersion::Latest => return Some(VersionRange::new(0, i16::MAX)),
        };
        let max = table.iter().find(|(k, _)| *k == key.key()).map(|(_, v)| *v)?;
        let min = if self == KafkaVersion::V4_0 { kip896_min(key) } else { 0 };
        (min <= max).then_some(VersionRange::new(min, max))
    }
}

/// Lowest versions left in Kafka 4.0 (KIP-896) for the APIs where they rose above 0.
fn kip896_min(key: ApiKey) -> i16 {
    match key {
        ApiKey::Produce => 3,
        ApiKey::Fetch => 4,
        ApiKey::ListOffsets => 1,
        ApiKey::OffsetCommit => 2,
        ApiKey::OffsetFetch => 1,
        ApiKey::JoinGroup => 2,
        ApiKey::CreateTopics => 2,
        ApiKey::DeleteTopics => 1,
        ApiKey::OffsetForLeaderEpoch => 2,
        ApiKey::DescribeAcls | ApiKey::CreateAcls | ApiKey::DeleteAcls => 1,
        ApiKey::DescribeConfigs => 1,
        ApiKey::AlterReplicaLogDirs | ApiKey::DescribeLogDirs => 1,
        _ => 0,
    }
}

/// The version table in force for one cluster: API key to the inclusive range it accepts.
#[derive(Clone, Debug, Default)]
pub(crate) struct SupportedApis {
    ranges: BTreeMap<i16, VersionRange>,
}

impl SupportedApis {
    /// Builds the table from the handler ranges, the preset and per-API overrides
    /// (`None` = disabled).
    pub(crate) fn new(
        handlers: impl Iterator<Item = (ApiKey, VersionRange)>,
        preset: KafkaVersion,
        overrides: &BTreeMap<i16, Option<VersionRange>>,
    ) -> Self {
        let mut ranges = BTreeMap::new();
        for (key, implemented) in handlers {
            let Some(mut range) = preset.versions(key).and_then(|p| p.intersect(&implemented))
            else {
                continue;
            };
            match overrides.get(&key.key()) {
                Some(None) => continue,
                Some(Some(cap)) => match range.intersect(cap) {
                    Some(r) => range = r,
                    None => continue,
                },
                None => {}
            }
            ranges.insert(key.key(), range);
        }
        Self { ranges }
    }

    /// The accepted range for `key`, if the API is served at all.
    pub(crate) fn range(&self, key: i16) -> Option<VersionRange> {
        self.ranges.get(&key).copied()
    }

    /// Every served API with its range, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i16, VersionRange)> + '_ {
        self.ranges.iter().map(|(k, v)| (*k, *v))
    }
}

const V2_1_MAX: &[(i16, i16)] = &[(0, 7), (1, 10), (2, 4), (3, 7), (4, 1), (5, 0), (6, 4), (7, 1), (8, 6), (9, 5), (10, 2), (11, 3), (12, 2), (13, 2), (14, 2), (15, 2), (16, 2), (17, 1), (18, 2), (19, 3), (20, 3), (21, 1), (22, 1), (23, 2), (24, 1), (25, 1), (26, 1), (27, 0), (28, 2), (29, 1), (30, 1), (31, 1), (32, 2), (33, 1), (34, 1), (35, 1), (36, 0), (37, 1), (38, 1), (39, 1), (40, 1), (41, 1), (42, 1)];
const V2_8_MAX: &[(i16, i16)] = &[(0, 9), (1, 12), (2, 6), (3, 11), (4, 5), (5, 3), (6, 7), (7, 3), (8, 8), (9, 7), (10, 3), (11, 7), (12, 4), (13, 4), (14, 5), (15, 5), (16, 4), (17, 1), (18, 3), (19, 7), (20, 6), (21, 2), (22, 4), (23, 4), (24, 3), (25, 3), (26, 3), (27, 1), (28, 3), (29, 2), (30, 2), (31, 2), (32, 4), (33, 2), (34, 2), (35, 2), (36, 2), (37, 3), (38, 2), (39, 2), (40, 2), (41, 2), (42, 2), (43, 2), (44, 1), (45, 0), (46, 0), (47, 0), (48, 1), (49, 1), (50, 0), (51, 0), (56, 0), (57, 0), (60, 0), (61, 0)];
const V3_9_MAX: &[(i16, i16)] = &[(0, 11), (1, 17), (2, 9), (3, 12), (4, 7), (5, 4), (6, 8), (7, 3), (8, 9), (9, 9), (10, 6), (11, 9), (12, 4), (13, 5), (14, 5), (15, 5), (16, 5), (17, 1), (18, 4), (19, 7), (20, 6), (21, 2), (22, 5), (23, 4), (24, 5), (25, 4), (26, 4), (27, 1), (28, 4), (29, 3), (30, 3), (31, 3), (32, 4), (33, 2), (34, 2), (35, 4), (36, 2), (37, 3), (38, 3), (39, 2), (40, 2), (41, 3), (42, 2), (43, 2), (44, 1), (45, 0), (46, 0), (47, 0), (48, 1), (49, 1), (50, 0), (51, 0), (56, 3), (57, 1), (58, 0), (60, 1), (61, 0), (65, 0), (66, 1), (67, 0), (68, 0), (69, 0)];
const V4_0_MAX: &[(i16, i16)] = &[(0, 12), (1, 17), (2, 10), (3, 13), (8, 9), (9, 9), (10, 6), (11, 9), (12, 4), (13, 5), (14, 5), (15, 6), (16, 5), (17, 1), (18, 4), (19, 7), (20, 6), (21, 2), (22, 5), (23, 4), (24, 5), (25, 4), (26, 5), (27, 1), (28, 5), (29, 3), (30, 3), (31, 3), (32, 4), (33, 2), (34, 2), (35, 4), (36, 2), (37, 3), (38, 3), (39, 2), (40, 2), (41, 3), (42, 2), (43, 2), (44, 1), (45, 0), (46, 0), (47, 0), (48, 1), (49, 1), (50, 0), (51, 0), (55, 2), (57, 2), (60, 2), (61, 0), (64, 0), (65, 0), (66, 1), (68, 1), (69, 1), (71, 0), (72, 0), (74, 0), (75, 0), (80, 0), (81, 0)];

//! Version negotiation: what each broker supports (from ApiVersions, KIP-35 / KIP-511) and
//! which version a request goes out at.
//!
//! A request is sent at the highest version inside both this client's stable range and the
//! broker's advertised range. Versions Kafka marks unstable are never chosen by negotiation.

use std::collections::BTreeMap;

use crate::codec::VersionRange;
use crate::messages::api_versions_response::ApiVersion;
use crate::messages::ApiKey;

use super::error::{BrokerRef, NetError};

/// The API version ranges one broker advertised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerVersions {
    ranges: BTreeMap<i16, VersionRange>,
}

impl BrokerVersions {
    /// Builds the table from an ApiVersions response's entries. Entries with an inverted
    /// range are dropped (the broker would reject every version anyway).
    pub fn from_api_keys(keys: &[ApiVersion]) -> Self {
        let ranges = keys
            .iter()
            .filter(|k| k.min_version <= k.max_version && k.min_version >= 0)
            .map(|k| (k.api_key, VersionRange::new(k.min_version, k.max_version)))
            .collect();
        Self { ranges }
    }

    /// What the broker advertised for `api`, if anything.
    pub fn range(&self, api: ApiKey) -> Option<VersionRange> {
        self.ranges.get(&api.key()).copied()
    }

    /// Every advertised range, keyed by raw API key (including keys this crate does not
    /// know).
    pub fn iter(&self) -> impl Iterator<Item = (i16, VersionRange)> + '_ {
        self.ranges.iter().map(|(k, r)| (*k, *r))
    }

    /// The version to send `api` at, given this client's range `ours`: the highest version
    /// both sides support.
    pub fn pick(&self, broker: &BrokerRef, api: ApiKey, ours: VersionRange) -> Result<i16, NetError> {
        let theirs = self.range(api);
        theirs
            .and_then(|t| t.intersect(&ours))
            .map(|r| r.max)
            .ok_or_else(|| NetError::UnsupportedVersion { broker: broker.clone(), api, ours, theirs })
    }
}

/// The stable range this client sends for `api`: from the lowest implemented version to the
/// highest stable one.
pub fn client_range(api: ApiKey) -> VersionRange {
    VersionRange::new(api.versions().min, api.max_stable_version())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_highest_common_and_names_both_ranges() {
        let table = BrokerVersions::from_api_keys(&[
            ApiVersion::default().with_api_key(3).with_min_version(0).with_max_version(7),
            ApiVersion::default().with_api_key(0).with_min_version(50).with_max_version(60),
            ApiVersion::default().with_api_key(1).with_min_version(5).with_max_version(2),
        ]);
        let b = BrokerRef::node(1, "h:1");
        assert_eq!(table.pick(&b, ApiKey::Metadata, client_range(ApiKey::Metadata)).unwrap(), 7);
        let err = table.pick(&b, ApiKey::Produce, VersionRange::new(3, 11)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Produce") && msg.contains("3..=11") && msg.contains("50..=60"), "{msg}");
        let err = table.pick(&b, ApiKey::Fetch, client_range(ApiKey::Fetch)).unwrap_err();
        assert!(matches!(err, NetError::UnsupportedVersion { theirs: None, .. }));
    }
}

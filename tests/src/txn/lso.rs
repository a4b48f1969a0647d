//! Per-partition transaction index: the first offset of every open transaction (which bounds
//! the last stable offset) and the list of aborted transactions that read_committed fetches
//! need (KIP-98).
//!
//! - Last stable offset = min(first offset of every open transaction, high watermark).
//!   read_committed consumers are served only below it.
//! - When an abort marker is appended the transaction's span
//!   `first_offset..=marker_offset` joins the aborted index. A fetch starting at `F` whose
//!   data ends before `U` reports every aborted transaction that overlaps `[F, U)`; the
//!   consumer then drops that producer's records from `first_offset` until it meets the
//!   producer's abort marker.

use std::collections::BTreeMap;

use kafka_protocol::messages::fetch_response::AbortedTransaction;

/// One aborted transaction on a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortedTxn {
    /// Producer that wrote the transaction.
    pub producer_id: i64,
    /// Offset of the transaction's first batch on this partition.
    pub first_offset: i64,
    /// Offset of the abort marker.
    pub last_offset: i64,
}

/// Open transactions and aborted-transaction index of one partition.
#[derive(Clone, Debug, Default)]
pub struct TxnIndex {
    /// Producer id -> first offset of its open transaction.
    ongoing: BTreeMap<i64, i64>,
    /// Ascending by `last_offset` (markers are appended in offset order).
    aborted: Vec<AbortedTxn>,
}

impl TxnIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that `producer_id` opened a transaction whose first batch is at `first_offset`.
    /// A second call for an already open transaction keeps the earlier offset.
    pub fn begin(&mut self, producer_id: i64, first_offset: i64) {
        self.ongoing.entry(producer_id).or_insert(first_offset);
    }

    /// Closes `producer_id`'s open transaction with a marker at `marker_offset`. For an
    /// abort, the transaction joins the aborted index and is returned. Markers for producers
    /// with no open transaction here change nothing.
    pub fn complete(
        &mut self,
        producer_id: i64,
        marker_offset: i64,
        commit: bool,
    ) -> Option<AbortedTxn> {
        let first_offset = self.ongoing.remove(&producer_id)?;
        if commit {
            return None;
        }
        let txn = AbortedTxn {
            producer_id,
            first_offset,
            last_offset: marker_offset,
        };
        let at = self
            .aborted
            .partition_point(|a| a.last_offset <= marker_offset);
        self.aborted.insert(at, txn);
        Some(txn)
    }

    /// First offset of the oldest open transaction.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        self.ongoing.values().copied().min()
    }

    /// The last stable offset for a partition whose high watermark is `high_watermark`.
    pub fn last_stable_offset(&self, high_watermark: i64) -> i64 {
        self.first_unstable_offset()
            .map_or(high_watermark, |f| f.min(high_watermark))
    }

    /// Open transactions, by producer id, with their first offsets.
    pub fn ongoing(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.ongoing.iter().map(|(p, o)| (*p, *o))
    }

    /// Aborted transactions overlapping `[fetch_offset, upper_bound)`: those whose abort
    /// marker is at or after `fetch_offset` and whose first offset is below `upper_bound`.
    /// `upper_bound` is the offset just past the data the fetch returns (or the last stable
    /// offset). Ordered by marker offset.
    pub fn aborted_transactions(&self, fetch_offset: i64, upper_bound: i64) -> Vec<AbortedTxn> {
        let start = self
            .aborted
            .partition_point(|a| a.last_offset < fetch_offset);
        self.aborted
            .iter()
            .skip(start)
            .filter(|a| a.first_offset < upper_bound)
            .copied()
            .collect()
    }

    /// [`aborted_transactions`](Self::aborted_transactions) in the shape of FetchResponse v4+.
    pub fn aborted_for_fetch(
        &self,
        fetch_offset: i64,
        upper_bound: i64,
    ) -> Vec<AbortedTransaction> {
        self.aborted_transactions(fetch_offset, upper_bound)
            .into_iter()
            .map(|a| {
                AbortedTransaction::default()
                    .with_producer_id(a.producer_id)
                    .with_first_offset(a.first_offset)
            })
            .collect()
    }

    /// Drops aborted entries whose marker lies below `log_start_offset` (after DeleteRecords
    /// or retention removed them from the log).
    pub fn truncate_front(&mut self, log_start_offset: i64) {
        self.aborted.retain(|a| a.last_offset >= log_start_offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_stable_offset_tracks_the_oldest_open_transaction() {
        let mut idx = TxnIndex::new();
        assert_eq!(idx.last_stable_offset(10), 10);
        idx.begin(1, 4);
        idx.begin(2, 7);
        idx.begin(1, 9); // already open: keeps 4
        assert_eq!(idx.first_unstable_offset(), Some(4));
        assert_eq!(idx.last_stable_offset(12), 4);
        assert_eq!(
            idx.last_stable_offset(3),
            3,
            "never above the high watermark"
        );
        assert_eq!(idx.complete(1, 12, true), None);
        assert_eq!(idx.last_stable_offset(13), 7);
        assert_eq!(
            idx.complete(3, 13, false),
            None,
            "no open transaction for producer 3"
        );
        assert_eq!(
            idx.complete(2, 14, false),
            Some(AbortedTxn {
                producer_id: 2,
                first_offset: 7,
                last_offset: 14
            })
        );
        assert_eq!(idx.last_stable_offset(15), 15);
        assert_eq!(idx.ongoing().count(), 0);
    }

    #[test]
    fn aborted_query_returns_overlapping_transactions() {
        let mut idx = TxnIndex::new();
        // Producer 1 aborts [0, 5], producer 2 aborts [3, 8], producer 1 aborts [10, 12].
        idx.begin(1, 0);
        idx.begin(2, 3);
        idx.complete(1, 5, false);
        idx.complete(2, 8, false);
        idx.begin(1, 10);
        idx.complete(1, 12, false);
        let ids = |v: Vec<AbortedTxn>| {
            v.iter()
                .map(|a| (a.producer_id, a.first_offset))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(idx.aborted_transactions(0, 13)),
            vec![(1, 0), (2, 3), (1, 10)]
        );
        assert_eq!(ids(idx.aborted_transactions(6, 13)), vec![(2, 3), (1, 10)]);
        assert_eq!(ids(idx.aborted_transactions(0, 3)), vec![(1, 0)]);
        assert_eq!(ids(idx.aborted_transactions(9, 10)), vec![]);
        assert_eq!(ids(idx.aborted_transactions(13, 20)), vec![]);
        let fetch = idx.aborted_for_fetch(6, 11);
        assert_eq!(fetch.len(), 2);
        assert_eq!((fetch[1].producer_id, fetch[1].first_offset), (1, 10));
        idx.truncate_front(6);
        assert_eq!(ids(idx.aborted_transactions(0, 100)), vec![(2, 3), (1, 10)]);
    }
}

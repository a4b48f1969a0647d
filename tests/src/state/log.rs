//! One partition's log: the stored record batches, the offsets that describe them (log start
//! offset, log end offset, high watermark) and the leader-epoch cache that answers
//! OffsetForLeaderEpoch (KIP-101, KIP-279).
//!
//! Batches are kept exactly as the producer sent them (compressed or not), with only the base
//! offset and partition leader epoch patched. Every replica is treated as in sync, so the
//! high watermark is the log end offset. The last stable offset and the aborted-transaction
//! index live beside the log in `Partition::txn`.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::batch::BatchHeader;

/// A record batch as stored in the log.
#[derive(Clone, Debug)]
pub(crate) struct StoredBatch {
    pub(crate) base_offset: i64,
    pub(crate) last_offset: i64,
    pub(crate) max_timestamp: i64,
    pub(crate) leader_epoch: i32,
    // Read by the transaction subsystem (LSO, aborted-transaction index) once it exists.
    #[allow(dead_code)]
    pub(crate) producer_id: i64,
    #[allow(dead_code)]
    pub(crate) is_transactional: bool,
    #[allow(dead_code)]
    pub(crate) is_control: bool,
    /// The whole batch, header included, ready to send.
    pub(crate) bytes: Bytes,
}

/// A partition's log.
#[derive(Clone, Debug, Default)]
pub(crate) struct PartitionLog {
    batches: VecDeque<StoredBatch>,
    log_start_offset: i64,
    log_end_offset: i64,
    size_bytes: usize,
    /// (leader epoch, first offset written in it), ascending.
    epoch_starts: Vec<(i32, i64)>,
}

/// What a read found.
#[derive(Debug)]
pub(crate) struct ReadResult {
    /// Concatenated batches (empty when nothing was read).
    pub(crate) records: Bytes,
    /// Offset of the last record returned, -1 when nothing was.
    pub(crate) last_offset: i64,
}

impl PartitionLog {
    pub(crate) fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    pub(crate) fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    pub(crate) fn high_watermark(&self) -> i64 {
        self.log_end_offset
    }


    /// What must always hold: `log start <= first batch end`, batches in order without
    /// overlap, the last one ending below the log end offset, the byte count matching.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.log_start_offset < 0 || self.log_start_offset > self.log_end_offset {
            return Err(format!("log start {} outside 0..={}", self.log_start_offset, self.log_end_offset));
        }
        let mut next = i64::MIN;
        let mut size = 0usize;
        for b in &self.batches {
            if b.base_offset < next || b.last_offset < b.base_offset || b.last_offset >= self.log_end_offset {
                return Err(format!(
                    "batch {}..={} out of order (previous ended before {next}, log end {})",
                    b.base_offset, b.last_offset, self.log_end_offset
                ));
            }
            next = b.last_offset.saturating_add(1);
            size += b.bytes.len();
        }
        if let Some(last) = self.batches.back() {
            if last.last_offset < self.log_start_offset {
                return Err(format!("last batch ends at {} before log start {}", last.last_offset, self.log_start_offset));
            }
        }
        if size != self.size_bytes {
            return Err(format!("size {} but batches hold {size} bytes", self.size_bytes));
        }
        Ok(())
    }

    pub(crate) fn batches(&self) -> impl Iterator<Item = &StoredBatch> {
        self.batches.iter()
    }

    /// Appends a batch already patched with `base_offset == self.log_end_offset()`.
    pub(crate) fn append(&mut self, header: &BatchHeader, bytes: Bytes, leader_epoch: i32) {
        let base = self.log_end_offset;
        let last = base.saturating_add(i64::from(header.last_offset_delta));
        if self.epoch_starts.last().is_none_or(|(e, _)| *e < leader_epoch) {
            self.epoch_starts.push((leader_epoch, base));
        }
        self.size_bytes += bytes.len();
        self.batches.push_back(StoredBatch {
            base_offset: base,
            last_offset: last,
            max_timestamp: header.max_timestamp,
            leader_epoch,
            producer_id: header.producer_id,
            is_transactional: header.is_transactional,
            is_control: header.is_control,
            bytes,
        });
        self.log_end_offset = last.saturating_add(1);
    }

    /// Re-adds a batch read back from disk at its stored base offset.
    pub(crate) fn restore(&mut self, header: &BatchHeader, bytes: Bytes) {
        if self.batches.is_empty() {
            self.log_start_offset = header.base_offset;
        }
        self.log_end_offset = header.base_offset;
        self.append(header, bytes, header.partition_leader_epoch);
    }

    /// Reads whole batches starting with the one containing `offset`, up to `max_bytes`; the
    /// first batch is always returned even when larger (KIP-74) unless `strict_max` is set.
    /// Only batches whose last offset is below `end_offset` are returned (the last stable
    /// offset for read_committed). `last_offset` of the result is the last offset returned.
    pub(crate) fn read(&self, offset: i64, end_offset: i64, max_bytes: usize, strict_max: bool) -> ReadResult {
        let start = self.batches.partition_point(|b| b.last_offset < offset);
        let mut total = 0usize;
        let mut end = start;
        for b in self.batches.iter().skip(start) {
            if b.last_offset >= end_offset {
                break;
            }
            let len = b.bytes.len();
            if total + len > max_bytes && (end > start || strict_max) {
                break;
            }
            total += len;
            end += 1;
            if total >= max_bytes {
                break;
            }
        }
        let count = end - start;
        let last_offset = if count == 0 { -1 } else { self.batches[end - 1].last_offset };
        let records = match count {
            0 => Bytes::new(),
            1 => self.batches[start].bytes.clone(),
            _ => {
                let mut buf = BytesMut::with_capacity(total);
                for b in self.batches.range(start..end) {
                    buf.extend_from_slice(&b.bytes);
                }
                buf.freeze()
            }
        };
        ReadResult { records, last_offset }
    }

    /// Bytes available from `offset` up to `end_offset` (for MinBytes checks).
    pub(crate) fn bytes_from(&self, offset: i64, end_offset: i64) -> usize {
        let start = self.batches.partition_point(|b| b.last_offset < offset);
        self.batches.iter().skip(start).take_while(|b| b.last_offset < end_offset).map(|b| b.bytes.len()).sum()
    }

    /// Moves the log start offset forward to `offset` (DeleteRecords), dropping whole
    /// batches that end before it.
    pub(crate) fn truncate_front(&mut self, offset: i64) {
        if offset <= self.log_start_offset {
            return;
        }
        self.log_start_offset = offset.min(self.log_end_offset);
        while let Some(front) = self.batches.front() {
            if front.last_offset < self.log_start_offset {
                self.size_bytes -= front.bytes.len();
                self.batches.pop_front();
            } else {
                break;
            }
        }
    }

    /// Deletes whole batches from the front while `drop(batch)` says so, keeping at least
    /// the active (last) batch, as Kafka keeps the active segment. Returns how many went.
    pub(crate) fn retain_front(&mut self, mut drop: impl FnMut(&StoredBatch, usize) -> bool) -> usize {
        let mut removed = 0;
        while self.batches.len() > 1 {
            let Some(front) = self.batches.front() else { break };
            if !drop(front, self.size_bytes) {
                break;
            }
            self.size_bytes -= front.bytes.len();
            let next_start = front.last_offset + 1;
            self.batches.pop_front();
            self.log_start_offset = self.log_start_offset.max(next_start);
            removed += 1;
        }
        removed
    }

    /// The first offset whose batch has a max timestamp >= `timestamp`, with that timestamp.
    pub(crate) fn offset_for_timestamp(&self, timestamp: i64) -> Option<(i64, i64, i32)> {
        self.batches
            .iter()
            .find(|b| b.max_timestamp >= timestamp)
            .map(|b| (b.base_offset.max(self.log_start_offset), b.max_timestamp, b.leader_epoch))
    }

    /// The batch holding the largest timestamp (ListOffsets -3, KIP-734).
    pub(crate) fn max_timestamp(&self) -> Option<(i64, i64, i32)> {
        let mut best: Option<&StoredBatch> = None;
        for b in &self.batches {
            if best.is_none_or(|x| b.max_timestamp > x.max_timestamp) {
                best = Some(b);
            }
        }
        best.map(|b| (b.base_offset, b.max_timestamp, b.leader_epoch))
    }

    /// The end offset of `epoch`: the start offset of the next higher epoch, or the log end
    /// offset for the latest. Returns `(epoch, end_offset)` where `epoch` is the largest known
    /// epoch <= the one asked for, or `None` when the log knows no such epoch.
    pub(crate) fn end_offset_for_epoch(&self, epoch: i32, current_epoch: i32) -> (i32, i64) {
        if epoch >= current_epoch || self.epoch_starts.is_empty() {
            if epoch > current_epoch {
                return (-1, -1);
            }
            if self.epoch_starts.last().is_none_or(|(e, _)| *e <= epoch) {
                return (epoch, self.log_end_offset);
            }
        }
        let idx = self.epoch_starts.partition_point(|(e, _)| *e <= epoch);
        if idx == 0 {
            return (-1, -1);
        }
        let found = self.epoch_starts[idx - 1].0;
        let end = self.epoch_starts.get(idx).map_or(self.log_end_offset, |(_, start)| *start);
        (found, end)
    }
}

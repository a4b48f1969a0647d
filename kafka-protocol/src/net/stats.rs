//! Counters the runtime keeps per broker, read as a [`Stats`] snapshot with
//! [`Client::stats`](super::Client::stats).
//!
//! Counters are atomics updated on the connection tasks; latency goes into a fixed-bucket
//! histogram, so percentiles are bucket upper bounds (good to within one bucket).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::BrokerRef;

/// Upper bounds of the latency buckets, in microseconds; the last bucket is open-ended.
const BUCKETS_US: [u64; 20] = [
    100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 5_000_000, 10_000_000, 30_000_000, 60_000_000, 300_000_000, u64::MAX,
];

/// A point-in-time copy of the runtime's counters.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// Per broker (bootstrap servers included), ordered by node id then address.
    pub brokers: Vec<BrokerStats>,
}

impl Stats {
    /// The entry for broker `id`, if it has seen traffic.
    pub fn broker(&self, id: i32) -> Option<&BrokerStats> {
        self.brokers.iter().find(|b| b.broker.id == Some(id))
    }

    /// Sum of requests sent to every broker.
    pub fn total_requests(&self) -> u64 {
        self.brokers.iter().map(|b| b.requests).sum()
    }
}

/// Counters for one broker.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BrokerStats {
    /// The broker.
    pub broker: BrokerRef,
    /// Requests written.
    pub requests: u64,
    /// Responses matched.
    pub responses: u64,
    /// Bytes written, size prefixes included.
    pub bytes_sent: u64,
    /// Bytes read, size prefixes included.
    pub bytes_received: u64,
    /// Requests that failed (connection loss, timeout, decode).
    pub errors: u64,
    /// Successful connection set-ups.
    pub connects: u64,
    /// Failed connection attempts.
    pub connect_failures: u64,
    /// Requests written and not yet answered, right now.
    pub in_flight: u64,
    /// Median request latency (bucket upper bound); `None` before the first response.
    pub latency_p50: Option<Duration>,
    /// 99th-percentile request latency (bucket upper bound).
    pub latency_p99: Option<Duration>,
}

type BrokerKey = (Option<i32>, Arc<str>);

/// The live registry behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct StatsRegistry {
    brokers: Mutex<BTreeMap<BrokerKey, Arc<BrokerCounters>>>,
}

impl StatsRegistry {
    pub(crate) fn broker(&self, broker: &BrokerRef) -> Arc<BrokerCounters> {
        let mut map = self.brokers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((broker.id, broker.addr.clone()))
            .or_insert_with(|| Arc::new(BrokerCounters::new(broker.clone())))
            .clone()
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let map = self.brokers.lock().unwrap_or_else(|e| e.into_inner());
        Stats { brokers: map.values().map(|c| c.snapshot()).collect() }
    }
}

/// Atomic counters of one broker.
#[derive(Debug)]
pub(crate) struct BrokerCounters {
    broker: BrokerRef,
    pub(crate) requests: AtomicU64,
    pub(crate) responses: AtomicU64,
    pub(crate) bytes_sent: AtomicU64,
    pub(crate) bytes_received: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    latency: [AtomicU64; BUCKETS_US.len()],
}

impl BrokerCounters {
    fn new(broker: BrokerRef) -> Self {
        Self {
            broker,
            requests: AtomicU64::new(0),
            responses: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            connects: AtomicU64::new(0),
            connect_failures: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        // Saturating: a snapshot must never show a wrapped counter.
        let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_sub(n))
        });
    }

    pub(crate) fn record_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let index = BUCKETS_US.iter().position(|&b| us <= b).unwrap_or(BUCKETS_US.len() - 1);
        if let Some(bucket) = self.latency.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn snapshot(&self) -> BrokerStats {
        let counts: Vec<u64> = self.latency.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        BrokerStats {
            broker: self.broker.clone(),
            requests: self.requests.load(Ordering::Relaxed),
            responses: self.responses.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            connects: self.connects.load(Ordering::Relaxed),
            connect_failures: self.connect_failures.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            latency_p50: percentile(&counts, 0.50),
            latency_p99: percentile(&counts, 0.99),
        }
    }
}

/// The upper bound of the bucket holding quantile `q`.
fn percentile(counts: &[u64], q: f64) -> Option<Duration> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (count, bound) in counts.iter().zip(BUCKETS_US) {
        seen += count;
        if seen >= rank {
            return Some(Duration::from_micros(bound));
        }
    }
    Some(Duration::from_micros(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_bucket_bounds() {
        let c = BrokerCounters::new(BrokerRef::node(1, "h:1"));
        for _ in 0..98 {
            c.record_latency(Duration::from_micros(800));
        }
        c.record_latency(Duration::from_millis(40));
        c.record_latency(Duration::from_millis(40));
        let s = c.snapshot();
        assert_eq!(s.latency_p50, Some(Duration::from_millis(1)));
        assert_eq!(s.latency_p99, Some(Duration::from_millis(50)));
        let empty = BrokerCounters::new(BrokerRef::node(2, "h:2")).snapshot();
        assert_eq!(empty.latency_p50, None);
    }
}

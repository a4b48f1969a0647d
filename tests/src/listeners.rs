//! Named listeners, like Kafka's `listeners=PLAINTEXT://...,SASL://...` with
//! `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT`: every broker
//! has one port per listener, each with its own security protocol, and answers with the
//! endpoints of the listener a request came in on.
//!
//! Handlers build broker endpoints from [`crate::state::BrokerInfo`], whose port is the
//! broker's port on the first listener. A connection on another listener gets its responses
//! rewritten by its writer ([`rewrite_endpoints`]): every advertised first-listener port
//! becomes the same broker's port on the connection's listener. That covers every path a
//! response takes (handled, parked, pending, held, faulted) in one place.

use std::collections::HashMap;

use kafka_protocol::messages::ResponseBody;

use crate::security::SecurityProtocol;

/// One listener of every broker: its name and security protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListenerDef {
    pub(crate) name: String,
    pub(crate) protocol: SecurityProtocol,
}

/// Port `port` of broker `id` (1-based) on listener `index` (0-based) when the builder asked
/// for fixed ports from `base`: `base + index * brokers + id - 1`.
pub(crate) fn fixed_port(base: u16, index: usize, brokers: i32, id: i32) -> Option<u16> {
    let index = i32::try_from(index).ok()?;
    let port = i32::from(base).checked_add(index.checked_mul(brokers)?)?.checked_add(id - 1)?;
    u16::try_from(port).ok()
}

/// Replaces advertised ports by `ports` (first-listener port -> this listener's port) in the
/// responses that carry broker endpoints: Metadata and DescribeCluster brokers,
/// FindCoordinator (v0-3 and v4+ coordinators), and the KIP-951 `node_endpoints` of Produce
/// and Fetch. Ports not in the map (-1, unknown) stay as they are.
pub(crate) fn rewrite_endpoints(body: &mut ResponseBody, ports: &HashMap<i32, i32>) {
    let map = |port: &mut i32| {
        if let Some(p) = ports.get(port) {
            *port = *p;
        }
    };
    match body {
        ResponseBody::Metadata(r) => r.brokers.iter_mut().for_each(|b| map(&mut b.port)),
        ResponseBody::DescribeCluster(r) => r.brokers.iter_mut().for_each(|b| map(&mut b.port)),
        ResponseBody::FindCoordinator(r) => {
            map(&mut r.port);
            r.coordinators.iter_mut().for_each(|c| map(&mut c.port));
        }
        ResponseBody::Produce(r) => r.node_endpoints.iter_mut().for_each(|n| map(&mut n.port)),
        ResponseBody::Fetch(r) => r.node_endpoints.iter_mut().for_each(|n| map(&mut n.port)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
    use kafka_protocol::messages::{FindCoordinatorResponse, MetadataResponse};

    #[test]
    fn fixed_ports_are_laid_out_per_listener() {
        assert_eq!(fixed_port(9092, 0, 3, 1), Some(9092));
        assert_eq!(fixed_port(9092, 0, 3, 3), Some(9094));
        assert_eq!(fixed_port(9092, 1, 3, 1), Some(9095));
        assert_eq!(fixed_port(65535, 1, 3, 1), None);
    }

    #[test]
    fn endpoints_are_rewritten() {
        let ports: HashMap<i32, i32> = [(9092, 19092), (9093, 19093)].into_iter().collect();
        let mut body = ResponseBody::Metadata(MetadataResponse::default().with_brokers(vec![
            MetadataResponseBroker::default().with_node_id(1).with_port(9092),
            MetadataResponseBroker::default().with_node_id(2).with_port(9093),
        ]));
        rewrite_endpoints(&mut body, &ports);
        let ResponseBody::Metadata(r) = body else { unreachable!() };
        assert_eq!(r.brokers.iter().map(|b| b.port).collect::<Vec<_>>(), [19092, 19093]);
        let mut body = ResponseBody::FindCoordinator(
            FindCoordinatorResponse::default()
                .with_port(9093)
                .with_coordinators(vec![Coordinator::default().with_port(9092), Coordinator::default().with_port(-1)]),
        );
        rewrite_endpoints(&mut body, &ports);
        let ResponseBody::FindCoordinator(r) = body else { unreachable!() };
        assert_eq!(r.port, 19093);
        assert_eq!(r.coordinators.iter().map(|c| c.port).collect::<Vec<_>>(), [19092, -1]);
    }
}

//! Consumer groups through the broker: coordinator routing, parked joins completed by the
//! coordinator's timers and by a coordinator move.

use std::time::Duration;

use bytes::Bytes;
use kafka_testkit::protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_testkit::protocol::messages::{HeartbeatRequest, JoinGroupRequest};
use kafka_testkit::testing::TestClient;
use kafka_testkit::{ApiKey, Cluster, CoordinatorType, ErrorCode};

fn join(member_id: &str) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id("g".into())
        .with_session_timeout_ms(30_000)
        .with_rebalance_timeout_ms(60_000)
        .with_member_id(member_id.into())
        .with_protocol_type("consumer".into())
        .with_protocols(vec![JoinGroupRequestProtocol::default().with_name("range".into()).with_metadata(Bytes::from_static(b"m"))])
}

#[tokio::test]
async fn joins_are_routed_to_the_coordinator_and_parked_joins_learn_of_a_move() {
    let cluster = Cluster::builder().brokers(2).build().await.unwrap();
    let coordinator = cluster.coordinator(CoordinatorType::Group, "g").await.unwrap();
    let other = if coordinator == 1 { 2 } else { 1 };
    let mut wrong = TestClient::connect(cluster.broker_addr(other).unwrap()).await.unwrap();
    assert_eq!(wrong.send(&join(""), 3).await.unwrap().error_code, ErrorCode::NotCoordinator.code());

    // First member: the rebalance completes on the coordinator's timer (initial delay 0).
    let mut a = TestClient::connect(cluster.broker_addr(coordinator).unwrap()).await.unwrap();
    let first = a.send(&join(""), 3).await.unwrap();
    assert_eq!(first.error_code, 0);
    assert_eq!(first.generation_id, 1);
    assert_eq!(first.leader, first.member_id);

    // A second member's join parks: the group waits for the first member to rejoin.
    let mut b = TestClient::connect(cluster.broker_addr(coordinator).unwrap()).await.unwrap();
    cluster.clear_requests().await.unwrap();
    let corr = b.write(&join(""), 3).await.unwrap();
    cluster.wait_for_request(ApiKey::JoinGroup, Duration::from_secs(5)).await.unwrap();
    let hb = HeartbeatRequest::default().with_group_id("g".into()).with_generation_id(1).with_member_id(first.member_id.clone());
    assert_eq!(a.send(&hb, 3).await.unwrap().error_code, ErrorCode::RebalanceInProgress.code());

    // Moving the coordinator answers the parked join with NOT_COORDINATOR.
    cluster.move_coordinator(CoordinatorType::Group, "g", other).await.unwrap();
    let parked = b.read::<JoinGroupRequest>(corr, 3).await.unwrap();
    assert_eq!(parked.error_code, ErrorCode::NotCoordinator.code());
}

//! Request builders shared by the broker's integration tests.
#![allow(dead_code)]

pub(crate) mod process;

use bytes::Bytes;
use kafka_testkit::protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_testkit::protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_testkit::protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_testkit::protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_testkit::protocol::messages::{FetchRequest, ListOffsetsRequest, MetadataRequest, ProduceRequest};
use kafka_testkit::protocol::Uuid;
use kafka_testkit::testing::record_batch;

pub(crate) fn metadata(topics: &[&str]) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(Some(topics.iter().map(|t| MetadataRequestTopic::default().with_name(Some((*t).into()))).collect()))
        .with_allow_auto_topic_creation(true)
}

pub(crate) fn produce(topic: &str, partition: i32, values: &[&[u8]], acks: i16) -> ProduceRequest {
    produce_raw(topic, partition, Bytes::from(record_batch(values, 1_000)), acks)
}

pub(crate) fn produce_raw(topic: &str, partition: i32, records: Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default().with_acks(acks).with_timeout_ms(5000).with_topic_data(vec![TopicProduceData::default()
        .with_name(topic.into())
        .with_partition_data(vec![PartitionProduceData::default().with_index(partition).with_records(Some(records))])])
}

pub(crate) fn fetch(topic: &str, id: Uuid, partition: i32, offset: i64) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(-1)
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(50 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default().with_topic(topic.into()).with_topic_id(id).with_partitions(vec![
            FetchPartition::default()
                .with_partition(partition)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1 << 20)
                .with_current_leader_epoch(-1),
        ])])
}

pub(crate) fn list_offsets(topic: &str, partition: i32, timestamp: i64) -> ListOffsetsRequest {
    ListOffsetsRequest::default().with_replica_id(-1).with_topics(vec![ListOffsetsTopic::default()
        .with_name(topic.into())
        .with_partitions(vec![ListOffsetsPartition::default()
            .with_partition_index(partition)
            .with_timestamp(timestamp)
            .with_current_leader_epoch(-1)])])
}

/// Number of records in a concatenation of v2 batches (reads each header's record count).
pub(crate) fn count_records(mut records: &[u8]) -> usize {
    let mut n = 0;
    while records.len() >= 61 {
        let len = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize + 12;
        n += i32::from_be_bytes(records[57..61].try_into().unwrap()) as usize;
        records = &records[len.min(records.len())..];
    }
    n
}

/// Base offsets of the batches in a record set.
pub(crate) fn base_offsets(mut records: &[u8]) -> Vec<i64> {
    let mut out = Vec::new();
    while records.len() >= 61 {
        let len = i32::from_be_bytes(records[8..12].try_into().unwrap()) as usize + 12;
        out.push(i64::from_be_bytes(records[0..8].try_into().unwrap()));
        records = &records[len.min(records.len())..];
    }
    out
}

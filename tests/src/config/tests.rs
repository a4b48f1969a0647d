//! Behaviour tests for the config store and client quotas.

use std::collections::BTreeMap;

use bytes::BytesMut;
use kafka_protocol::messages::alter_client_quotas_request::{
    EntityData as AlterEntity, EntryData as AlterEntry, OpData,
};
use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::DescribeConfigsResourceResult;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource as IncResource, AlterableConfig as IncConfig,
};
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterConfigsRequest, ApiKey, DescribeClientQuotasRequest,
    DescribeConfigsRequest, DescribeConfigsResponse, IncrementalAlterConfigsRequest,
};
use kafka_protocol::Message;

use super::codes::{INVALID_CONFIG, INVALID_REQUEST, NONE, UNKNOWN_TOPIC_OR_PARTITION};
use super::quotas::{match_type, CLIENT_ID, IP, USER};
use super::store::{op, resource_type as rt};
use super::*;

const BROKER: i32 = 1;
const DYNAMIC_TOPIC: i8 = 1;
const DYNAMIC_BROKER: i8 = 2;
const DYNAMIC_DEFAULT: i8 = 3;
const STATIC: i8 = 4;

type AlterCase<'a> = (&'a [(&'a str, Option<&'a str>)], i16, &'a str);
type IncCase<'a> = (&'a [(&'a str, i8, Option<&'a str>)], i16, &'a str);
const DEFAULT: i8 = 5;

fn exists(topic: &str) -> bool {
    topic == "orders" || topic == "events"
}

fn store_with_orders(overrides: &[(&str, &str)]) -> ConfigStore {
    let mut store = ConfigStore::new();
    store.create_topic(
        "orders",
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    store
}

fn describe_req(
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
    synonyms: bool,
    docs: bool,
) -> DescribeConfigsRequest {
    DescribeConfigsRequest::default()
        .with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(name.to_owned())
            .with_configuration_keys(
                keys.map(|k| k.iter().map(|s| (*s).to_owned()).collect()),
            )])
        .with_include_synonyms(synonyms)
        .with_include_documentation(docs)
}

/// Describes and checks the response encodes at `version`.
fn describe(
    store: &ConfigStore,
    req: &DescribeConfigsRequest,
    version: i16,
) -> DescribeConfigsResponse {
    let response = store.describe_configs(req, version, BROKER, exists);
    let mut buf = BytesMut::new();
    response
        .encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("v{version} response does not encode: {e}"));
    response
}

fn entry<'a>(
    response: &'a DescribeConfigsResponse,
    name: &str,
) -> &'a DescribeConfigsResourceResult {
    let result = &response.results[0];
    assert_eq!(result.error_code, NONE, "{:?}", result.error_message);
    result
        .configs
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not described"))
}

fn synonyms(e: &DescribeConfigsResourceResult) -> Vec<(String, Option<String>, i8)> {
    e.synonyms
        .iter()
        .map(|s| (s.name.clone(), s.value.clone(), s.source))
        .collect()
}

fn syn(name: &str, value: &str, source: i8) -> (String, Option<String>, i8) {
    (name.to_owned(), Some(value.to_owned()), source)
}

fn inc_req(
    resource_type: i8,
    name: &str,
    ops: &[(&str, i8, Option<&str>)],
    validate_only: bool,
) -> IncrementalAlterConfigsRequest {
    IncrementalAlterConfigsRequest::default()
        .with_resources(vec![IncResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(name.to_owned())
            .with_configs(
                ops.iter()
                    .map(|(k, o, v)| {
                        IncConfig::default()
                            .with_name((*k).to_owned())
                            .with_config_operation(*o)
                            .with_value(v.map(str::to_owned))
                    })
                    .collect(),
            )])
        .with_validate_only(validate_only)
}

fn inc(
    store: &mut ConfigStore,
    resource_type: i8,
    name: &str,
    ops: &[(&str, i8, Option<&str>)],
) -> (i16, Option<String>) {
    let r = store.incremental_alter_configs(&inc_req(resource_type, name, ops, false), 1, exists);
    (
        r.responses[0].error_code,
        r.responses[0].error_message.clone(),
    )
}

fn alter_req(
    resource_type: i8,
    name: &str,
    configs: &[(&str, Option<&str>)],
    validate_only: bool,
) -> AlterConfigsRequest {
    AlterConfigsRequest::default()
        .with_resources(vec![AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(name.to_owned())
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        AlterableConfig::default()
                            .with_name((*k).to_owned())
                            .with_value(v.map(str::to_owned))
                    })
                    .collect(),
            )])
        .with_validate_only(validate_only)
}

fn overrides(store: &ConfigStore, topic: &str) -> Vec<(String, String)> {
    store
        .topic_overrides(topic)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

// ----- DescribeConfigs -----------------------------------------------------------------------

#[test]
fn describe_all_topic_configs_with_synonyms_types_and_docs() {
    let store = store_with_orders(&[("retention.ms", "1000")]);
    let response = describe(
        &store,
        &describe_req(rt::TOPIC, "orders", None, true, true),
        4,
    );
    let names: Vec<&str> = response.results[0]
        .configs
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let expected: Vec<&str> = defs::TOPIC_CONFIGS.iter().map(|d| d.name).collect();
    assert_eq!(names, expected);

    let retention = entry(&response, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("1000"));
    assert_eq!(retention.config_source, DYNAMIC_TOPIC);
    assert!(!retention.read_only && !retention.is_sensitive && !retention.is_default);
    assert_eq!(retention.config_type, ConfigType::Long.wire());
    assert!(retention
        .documentation
        .as_deref()
        .is_some_and(|d| !d.is_empty()));
    // Kafka drops the hours entries because log.retention.ms is set nowhere.
    assert_eq!(
        synonyms(retention),
        [syn("retention.ms", "1000", DYNAMIC_TOPIC)]
    );

    let max = entry(&response, "max.message.bytes");
    assert_eq!(max.value.as_deref(), Some("1048588"));
    assert_eq!(max.config_source, DEFAULT);
    assert_eq!(max.config_type, ConfigType::Int.wire());
    assert_eq!(
        synonyms(max),
        [syn("message.max.bytes", "1048588", DEFAULT)]
    );

    let policy = entry(&response, "cleanup.policy");
    assert_eq!(policy.config_type, ConfigType::List.wire());
    assert_eq!(policy.value.as_deref(), Some("delete"));
}

#[test]
fn describe_named_keys_only_and_unknown_names_are_skipped() {
    let store = store_with_orders(&[]);
    let response = describe(
        &store,
        &describe_req(
            rt::TOPIC,
            "orders",
            Some(&["max.message.bytes", "no.such.key", "retention.ms"]),
            false,
            false,
        ),
        2,
    );
    let names: Vec<&str> = response.results[0]
        .configs
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["max.message.bytes", "retention.ms"]);
    // Without the flags there are no synonyms, no documentation, and before v3 no type.
    let e = entry(&response, "retention.ms");
    assert!(e.synonyms.is_empty());
    assert_eq!(e.documentation, None);
    assert_eq!(e.config_type, 0);
    assert_eq!(e.config_source, DEFAULT);
}

#[test]
fn synonym_sources_follow_the_layers() {
    // Static log.retention.hours=72 -> retention.ms = 72h. Like Kafka, DescribeConfigs
    // reports no synonyms and DEFAULT_CONFIG while log.retention.ms is set nowhere; the
    // getter knows the static layer supplied it.
    let mut store =
        ConfigStore::from_broker_properties([("log.retention.hours", "72")]).expect("valid");
    store.create_topic("orders", BTreeMap::new());
    let req = describe_req(
        rt::TOPIC,
        "orders",
        Some(&["retention.ms", "segment.bytes"]),
        true,
        false,
    );
    let r = describe(&store, &req, 1);
    let e = entry(&r, "retention.ms");
    assert_eq!(e.value.as_deref(), Some("259200000"));
    assert_eq!(e.config_source, DEFAULT);
    assert!(e.synonyms.is_empty());
    assert_eq!(
        store
            .topic_config("orders")
            .value_with_source("retention.ms"),
        Some((Some("259200000".to_owned()), ConfigSource::StaticBroker))
    );
    let seg = entry(&r, "segment.bytes");
    assert_eq!(
        synonyms(seg),
        [syn("log.segment.bytes", "1073741824", DEFAULT)]
    );
    // Static log.retention.ms: listed with its default-hours fallback behind it.
    let ms = ConfigStore::from_broker_properties([("log.retention.ms", "1234")]).expect("valid");
    let r = describe(&ms, &req, 1);
    let e = entry(&r, "retention.ms");
    assert_eq!(
        (e.value.as_deref(), e.config_source),
        (Some("1234"), STATIC)
    );
    assert_eq!(
        synonyms(e),
        [
            syn("log.retention.ms", "1234", STATIC),
            syn("log.retention.hours", "168", DEFAULT)
        ]
    );

    // A dynamic cluster default log.retention.ms wins over the hours.
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER,
            "",
            &[("log.retention.ms", op::SET, Some("5000"))]
        )
        .0,
        NONE
    );
    let r = describe(&store, &req, 1);
    let e = entry(&r, "retention.ms");
    assert_eq!(e.value.as_deref(), Some("5000"));
    assert_eq!(e.config_source, DYNAMIC_DEFAULT);
    assert_eq!(
        synonyms(e),
        [
            syn("log.retention.ms", "5000", DYNAMIC_DEFAULT),
            syn("log.retention.hours", "72", STATIC),
            syn("log.retention.hours", "168", DEFAULT)
        ]
    );

    // A per-broker value wins for topics described on that broker.
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER,
            "1",
            &[("log.retention.ms", op::SET, Some("7000"))]
        )
        .0,
        NONE
    );
    let r = describe(&store, &req, 1);
    let e = entry(&r, "retention.ms");
    assert_eq!(e.value.as_deref(), Some("7000"));
    assert_eq!(e.config_source, DYNAMIC_BROKER);
    assert_eq!(
        synonyms(e)[0],
        syn("log.retention.ms", "7000", DYNAMIC_BROKER)
    );
    assert_eq!(
        synonyms(e)[1],
        syn("log.retention.ms", "5000", DYNAMIC_DEFAULT)
    );

    // And the topic override wins over everything.
    assert_eq!(
        inc(
            &mut store,
            rt::TOPIC,
            "orders",
            &[("retention.ms", op::SET, Some("9"))]
        )
        .0,
        NONE
    );
    let r = describe(&store, &req, 1);
    let e = entry(&r, "retention.ms");
    assert_eq!(
        (e.value.as_deref(), e.config_source),
        (Some("9"), DYNAMIC_TOPIC)
    );
    assert_eq!(synonyms(e).len(), 5);
    // The actor's getter uses the cluster-level layers (no per-broker value).
    assert_eq!(store.topic_config("orders").retention_ms(), 9);
    assert_eq!(store.topic_config("events").retention_ms(), 5000);
}

#[test]
fn v0_reports_is_default_and_every_version_encodes() {
    let store = store_with_orders(&[("segment.ms", "1000")]);
    let req = describe_req(
        rt::TOPIC,
        "orders",
        Some(&["segment.ms", "segment.bytes"]),
        false,
        false,
    );
    let r = describe(&store, &req, 0);
    assert!(!entry(&r, "segment.ms").is_default);
    assert!(entry(&r, "segment.bytes").is_default);
    assert_eq!(
        entry(&r, "segment.bytes").config_source,
        -1,
        "v0 has no source"
    );
    for version in 1..=4 {
        let req = describe_req(rt::TOPIC, "orders", None, true, true);
        let r = describe(&store, &req, version);
        assert!(
            r.results[0].configs.iter().all(|c| !c.is_default),
            "is_default is v0 only"
        );
        assert!(!entry(&r, "segment.ms").synonyms.is_empty());
        assert_eq!(
            entry(&r, "segment.ms").documentation.is_some(),
            version >= 3
        );
    }
}

#[test]
fn sensitive_values_are_hidden() {
    const KEYSTORE: &str = "listener.name.ssl.ssl.keystore.password";
    // A static (unprefixed) password and a dynamic listener override.
    let mut store =
        ConfigStore::from_broker_properties([("ssl.keystore.password", "static-secret")])
            .expect("valid");
    let (code, msg) = inc(
        &mut store,
        rt::BROKER,
        "1",
        &[(KEYSTORE, op::SET, Some("hunter2"))],
    );
    assert_eq!(code, NONE, "{msg:?}");
    let r = describe(
        &store,
        &describe_req(
            rt::BROKER,
            "1",
            Some(&["ssl.keystore.password", KEYSTORE]),
            true,
            false,
        ),
        4,
    );
    let names: Vec<&str> = r.results[0]
        .configs
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["ssl.keystore.password", KEYSTORE]);
    let e = entry(&r, KEYSTORE);
    assert!(e.is_sensitive);
    assert_eq!(e.value, None);
    assert_eq!(e.config_source, DYNAMIC_BROKER);
    assert_eq!(e.config_type, ConfigType::Password.wire());
    assert_eq!(
        synonyms(e),
        [
            (KEYSTORE.to_owned(), None, DYNAMIC_BROKER),
            ("ssl.keystore.password".to_owned(), None, STATIC)
        ]
    );
    let base = entry(&r, "ssl.keystore.password");
    assert_eq!(
        (base.value.as_deref(), base.config_source, base.is_sensitive),
        (None, STATIC, true)
    );
    let debug = format!("{r:?} {store:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("static-secret"),
        "a password leaked: {debug}"
    );
    assert!(debug.contains(KEYSTORE));
}

#[test]
fn listener_overrides_follow_kafkas_rules() {
    let mut store = ConfigStore::new();
    // TLS store settings change at run time only per listener.
    let (code, msg) = inc(
        &mut store,
        rt::BROKER,
        "1",
        &[("ssl.keystore.password", op::SET, Some("x"))],
    );
    assert_eq!(code, INVALID_REQUEST);
    assert!(
        msg.as_deref().is_some_and(|m| m.contains("listener.name.")),
        "{msg:?}"
    );
    // Listener overrides are per broker, except the cluster-level listener configs.
    let (code, _) = inc(
        &mut store,
        rt::BROKER,
        "",
        &[(
            "listener.name.ssl.ssl.keystore.location",
            op::SET,
            Some("/k"),
        )],
    );
    assert_eq!(code, INVALID_REQUEST);
    let (code, msg) = inc(
        &mut store,
        rt::BROKER,
        "",
        &[("listener.name.ext.max.connections", op::SET, Some("10"))],
    );
    assert_eq!(code, NONE, "{msg:?}");
    // Mechanism-scoped SASL settings; a bad value is checked against the base config.
    let (code, msg) = inc(
        &mut store,
        rt::BROKER,
        "1",
        &[(
            "listener.name.sasl_ssl.plain.sasl.jaas.config",
            op::SET,
            Some("x required;"),
        )],
    );
    assert_eq!(code, NONE, "{msg:?}");
    let (code, _) = inc(
        &mut store,
        rt::BROKER,
        "1",
        &[(
            "listener.name.ext.ssl.client.auth",
            op::SET,
            Some("sometimes"),
        )],
    );
    assert_eq!(code, INVALID_REQUEST);
    let (code, _) = inc(
        &mut store,
        rt::BROKER,
        "1",
        &[("listener.name.ext.no.such.config", op::SET, Some("1"))],
    );
    assert_eq!(code, INVALID_CONFIG);
    let r = describe(&store, &describe_req(rt::BROKER, "", None, true, false), 4);
    let e = entry(&r, "listener.name.ext.max.connections");
    assert_eq!(
        (e.value.as_deref(), e.config_source),
        (Some("10"), DYNAMIC_DEFAULT)
    );
    assert_eq!(
        synonyms(e),
        [
            syn("listener.name.ext.max.connections", "10", DYNAMIC_DEFAULT),
            syn("max.connections", "2147483647", DEFAULT)
        ]
    );
}

#[test]
fn broker_describe_read_only_and_resource_names() {
    let mut store = ConfigStore::from_broker_properties([("num.partitions", "3")]).expect("valid");
    let r = describe(&store, &describe_req(rt::BROKER, "1", None, true, false), 4);
    let id = entry(&r, "broker.id");
    assert_eq!(
        (id.value.as_deref(), id.read_only, id.config_source),
        (Some("1"), true, STATIC)
    );
    let parts = entry(&r, "num.partitions");
    assert_eq!(
        (parts.value.as_deref(), parts.read_only, parts.config_source),
        (Some("3"), true, STATIC)
    );
    assert_eq!(
        synonyms(parts),
        [
            syn("num.partitions", "3", STATIC),
            syn("num.partitions", "1", DEFAULT)
        ]
    );
    let max = entry(&r, "message.max.bytes");
    assert!(!max.read_only);
    assert_eq!(max.config_source, DEFAULT);
    let unset = entry(&r, "log.retention.ms");
    assert_eq!(
        (unset.value.as_deref(), unset.config_source),
        (None, DEFAULT)
    );
    assert_eq!(
        entry(&r, "log.retention.hours").value.as_deref(),
        Some("168")
    );

    // Another broker's id or a non-numeric name is refused.
    for name in ["2", "one"] {
        let r = describe(
            &store,
            &describe_req(rt::BROKER, name, None, false, false),
            4,
        );
        assert_eq!(r.results[0].error_code, INVALID_REQUEST, "{name}");
        assert!(r.results[0]
            .error_message
            .as_deref()
            .is_some_and(|m| m.contains(name)));
        assert!(r.results[0].configs.is_empty());
    }

    // The empty name lists the dynamic cluster defaults only.
    let r = describe(&store, &describe_req(rt::BROKER, "", None, false, false), 4);
    assert!(r.results[0].configs.is_empty());
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER,
            "",
            &[("message.max.bytes", op::SET, Some("2000000"))]
        )
        .0,
        NONE
    );
    let r = describe(&store, &describe_req(rt::BROKER, "", None, false, false), 4);
    let names: Vec<_> = r.results[0]
        .configs
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_deref(), c.config_source))
        .collect();
    assert_eq!(
        names,
        [("message.max.bytes", Some("2000000"), DYNAMIC_DEFAULT)]
    );
    assert_eq!(store.broker_config(1).message_max_bytes(), 2_000_000);
    assert_eq!(store.topic_config("orders").max_message_bytes(), 2_000_000);
}

#[test]
fn unknown_topic_and_unsupported_resource() {
    let store = ConfigStore::new();
    let mut req = describe_req(rt::TOPIC, "missing", None, false, false);
    req.resources.push(
        DescribeConfigsResource::default()
            .with_resource_type(3)
            .with_resource_name("g".into()),
    );
    req.resources.push(
        DescribeConfigsResource::default()
            .with_resource_type(rt::TOPIC)
            .with_resource_name("events".into()),
    );
    let r = describe(&store, &req, 4);
    assert_eq!(r.results[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
    assert!(r.results[0]
        .error_message
        .as_deref()
        .is_some_and(|m| m.contains("missing")));
    assert_eq!(r.results[1].error_code, INVALID_REQUEST);
    assert_eq!(
        r.results[2].error_code, NONE,
        "an existing topic without overrides"
    );
    assert_eq!(r.results[2].configs.len(), defs::TOPIC_CONFIGS.len());
}

// ----- AlterConfigs --------------------------------------------------------------------------

#[test]
fn alter_configs_replaces_the_whole_override_set() {
    let mut store = store_with_orders(&[("retention.ms", "1000"), ("cleanup.policy", "compact")]);
    let r = store.alter_configs(
        &alter_req(
            rt::TOPIC,
            "orders",
            &[("max.message.bytes", Some("5000")), ("segment.ms", None)],
            false,
        ),
        2,
        exists,
    );
    assert_eq!(
        r.responses[0].error_code, NONE,
        "{:?}",
        r.responses[0].error_message
    );
    assert_eq!(
        (
            r.responses[0].resource_type,
            r.responses[0].resource_name.as_str()
        ),
        (rt::TOPIC, "orders")
    );
    assert_eq!(
        overrides(&store, "orders"),
        [("max.message.bytes".to_owned(), "5000".to_owned())]
    );
    let config = store.topic_config("orders");
    assert_eq!(
        config.retention_ms(),
        604_800_000,
        "the old override is gone"
    );
    assert_eq!(
        config.cleanup_policy(),
        CleanupPolicy {
            delete: true,
            compact: false
        }
    );
    assert_eq!(config.max_message_bytes(), 5000);
}

#[test]
fn alter_configs_validation_names_the_key_and_stores_nothing() {
    let before = [("retention.ms", "1000")];
    let mut store = store_with_orders(&before);
    let cases: &[AlterCase<'_>] = &[
        (
            &[("retention.ms", Some("5")), ("retention.mss", Some("1"))],
            INVALID_CONFIG,
            "retention.mss",
        ),
        (
            &[("max.message.bytes", Some("big"))],
            INVALID_CONFIG,
            "max.message.bytes",
        ),
        (
            &[("message.timestamp.type", Some("WallClock"))],
            INVALID_CONFIG,
            "message.timestamp.type",
        ),
        (
            &[("cleanup.policy", Some("delete,shred"))],
            INVALID_CONFIG,
            "cleanup.policy",
        ),
        (
            &[("min.insync.replicas", Some("0"))],
            INVALID_CONFIG,
            "min.insync.replicas",
        ),
        (
            &[("segment.ms", Some("1")), ("segment.ms", Some("2"))],
            INVALID_REQUEST,
            "segment.ms",
        ),
    ];
    for (configs, code, key) in cases {
        let r = store.alter_configs(&alter_req(rt::TOPIC, "orders", configs, false), 1, exists);
        let out = &r.responses[0];
        assert_eq!(out.error_code, *code, "{configs:?}");
        let msg = out.error_message.as_deref().unwrap_or_default();
        assert!(msg.contains(key) && msg.contains("orders"), "{msg}");
        assert_eq!(
            overrides(&store, "orders"),
            [("retention.ms".to_owned(), "1000".to_owned())]
        );
    }
    // validate_only checks but does not store.
    let r = store.alter_configs(
        &alter_req(rt::TOPIC, "orders", &[("segment.ms", Some("100"))], true),
        1,
        exists,
    );
    assert_eq!(r.responses[0].error_code, NONE);
    assert_eq!(
        overrides(&store, "orders"),
        [("retention.ms".to_owned(), "1000".to_owned())]
    );
    // Unknown topic.
    let r = store.alter_configs(&alter_req(rt::TOPIC, "nope", &[], false), 1, exists);
    assert_eq!(r.responses[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
}

#[test]
fn alter_configs_broker_rules() {
    let mut store = ConfigStore::new();
    let code = |store: &mut ConfigStore, name: &str, configs: &[(&str, Option<&str>)]| {
        let r = store.alter_configs(&alter_req(rt::BROKER, name, configs, false), 0, exists);
        (
            r.responses[0].error_code,
            r.responses[0].error_message.clone().unwrap_or_default(),
        )
    };
    let (c, m) = code(&mut store, "1", &[("broker.id", Some("7"))]);
    assert_eq!(c, INVALID_REQUEST);
    assert!(m.contains("broker.id") && m.contains("read-only"), "{m}");
    let (c, m) = code(&mut store, "", &[("listeners", Some("PLAINTEXT://:1"))]);
    assert_eq!(c, INVALID_REQUEST);
    assert!(m.contains("listeners"), "{m}");
    let (c, m) = code(&mut store, "1", &[("no.such.broker.config", Some("1"))]);
    assert_eq!(c, INVALID_CONFIG);
    assert!(m.contains("no.such.broker.config"), "{m}");
    let (c, m) = code(&mut store, "1", &[("log.cleaner.threads", Some("-3"))]);
    assert_eq!(
        c, INVALID_REQUEST,
        "Kafka wraps broker value errors as INVALID_REQUEST"
    );
    assert!(m.contains("log.cleaner.threads"), "{m}");
    assert_eq!(code(&mut store, "x", &[]).0, INVALID_REQUEST);
    assert_eq!(
        code(&mut store, "1", &[("log.cleaner.threads", Some("4"))]).0,
        NONE
    );
    assert_eq!(
        store
            .broker_config(1)
            .value("log.cleaner.threads")
            .as_deref(),
        Some("4")
    );
    assert_eq!(
        store
            .broker_config(2)
            .value("log.cleaner.threads")
            .as_deref(),
        Some("1")
    );

    // Broker loggers only through IncrementalAlterConfigs; duplicate resources are refused.
    let r = store.alter_configs(
        &alter_req(rt::BROKER_LOGGER, "1", &[("root", Some("DEBUG"))], false),
        1,
        exists,
    );
    assert_eq!(r.responses[0].error_code, INVALID_REQUEST);
    let mut req = alter_req(rt::TOPIC, "orders", &[], false);
    req.resources.push(req.resources[0].clone());
    let r = store.alter_configs(&req, 1, exists);
    assert!(r.responses.iter().all(|o| o.error_code == INVALID_REQUEST));
}

// ----- IncrementalAlterConfigs ---------------------------------------------------------------

#[test]
fn incremental_set_delete_append_subtract() {
    let mut store = store_with_orders(&[("retention.ms", "1000")]);
    let ok = |r: (i16, Option<String>)| assert_eq!(r.0, NONE, "{:?}", r.1);
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[
            ("segment.ms", op::SET, Some("2000")),
            ("retention.ms", op::DELETE, None),
        ],
    ));
    assert_eq!(
        overrides(&store, "orders"),
        [("segment.ms".to_owned(), "2000".to_owned())]
    );

    // APPEND starts from the built-in default "delete".
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("cleanup.policy", op::APPEND, Some("compact"))],
    ));
    assert_eq!(
        store
            .topic_config("orders")
            .value("cleanup.policy")
            .as_deref(),
        Some("delete,compact")
    );
    // Appending what is there already changes nothing.
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("cleanup.policy", op::APPEND, Some("compact,delete"))],
    ));
    assert_eq!(
        store
            .topic_config("orders")
            .value("cleanup.policy")
            .as_deref(),
        Some("delete,compact")
    );
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("cleanup.policy", op::SUBTRACT, Some("delete"))],
    ));
    assert_eq!(
        store.topic_config("orders").cleanup_policy(),
        CleanupPolicy {
            delete: false,
            compact: true
        }
    );

    // List configs of brokers too.
    ok(inc(
        &mut store,
        rt::BROKER,
        "1",
        &[(
            "sasl.enabled.mechanisms",
            op::APPEND,
            Some("PLAIN,SCRAM-SHA-256"),
        )],
    ));
    assert_eq!(
        store.broker_config(1).sasl_enabled_mechanisms(),
        ["GSSAPI", "PLAIN", "SCRAM-SHA-256"]
    );
    ok(inc(
        &mut store,
        rt::BROKER,
        "1",
        &[("sasl.enabled.mechanisms", op::SUBTRACT, Some("GSSAPI"))],
    ));
    assert_eq!(
        store.broker_config(1).sasl_enabled_mechanisms(),
        ["PLAIN", "SCRAM-SHA-256"]
    );

    // Throttled replicas are lists as well.
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[(
            "leader.replication.throttled.replicas",
            op::APPEND,
            Some("0:1"),
        )],
    ));
    ok(inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[(
            "leader.replication.throttled.replicas",
            op::APPEND,
            Some("1:2"),
        )],
    ));
    assert_eq!(
        store
            .topic_config("orders")
            .value("leader.replication.throttled.replicas")
            .as_deref(),
        Some("0:1,1:2")
    );
}

#[test]
fn incremental_errors_are_all_or_nothing() {
    let mut store = store_with_orders(&[("retention.ms", "1000")]);
    let unchanged = |store: &ConfigStore| {
        assert_eq!(
            overrides(store, "orders"),
            [("retention.ms".to_owned(), "1000".to_owned())]
        )
    };
    let cases: &[IncCase<'_>] = &[
        (
            &[
                ("segment.ms", op::SET, Some("5")),
                ("retention.ms", op::APPEND, Some("1")),
            ],
            INVALID_CONFIG,
            "retention.ms",
        ),
        (
            &[
                ("segment.ms", op::SET, Some("5")),
                ("segment.ms", op::DELETE, None),
            ],
            INVALID_REQUEST,
            "segment.ms",
        ),
        (
            &[("segment.ms", op::SET, None)],
            INVALID_REQUEST,
            "segment.ms",
        ),
        (
            &[("segment.ms", 9, Some("5"))],
            INVALID_REQUEST,
            "segment.ms",
        ),
        (
            &[
                ("segment.ms", op::SET, Some("5")),
                ("bogus.key", op::SET, Some("1")),
            ],
            INVALID_CONFIG,
            "bogus.key",
        ),
        (
            &[("cleanup.policy", op::APPEND, Some("shred"))],
            INVALID_CONFIG,
            "cleanup.policy",
        ),
        (
            &[("preallocate", op::SET, Some("maybe"))],
            INVALID_CONFIG,
            "preallocate",
        ),
        (
            &[("compression.type", op::SUBTRACT, Some("gzip"))],
            INVALID_CONFIG,
            "compression.type",
        ),
    ];
    for (ops, code, key) in cases {
        let (c, m) = inc(&mut store, rt::TOPIC, "orders", ops);
        assert_eq!(c, *code, "{ops:?}: {m:?}");
        assert!(m.as_deref().is_some_and(|m| m.contains(key)), "{m:?}");
        unchanged(&store);
    }
    // validate_only: valid, not stored.
    let r = store.incremental_alter_configs(
        &inc_req(
            rt::TOPIC,
            "orders",
            &[("segment.ms", op::SET, Some("5"))],
            true,
        ),
        1,
        exists,
    );
    assert_eq!(r.responses[0].error_code, NONE);
    unchanged(&store);
    // Read-only broker config; unknown topic.
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER,
            "1",
            &[("num.partitions", op::SET, Some("4"))]
        )
        .0,
        INVALID_REQUEST
    );
    assert_eq!(
        inc(
            &mut store,
            rt::TOPIC,
            "ghost",
            &[("segment.ms", op::SET, Some("5"))]
        )
        .0,
        UNKNOWN_TOPIC_OR_PARTITION
    );
}

#[test]
fn append_starts_from_the_built_in_default_like_kafka() {
    // Even when a broker default says otherwise, as Kafka's controller does.
    let mut store =
        ConfigStore::from_broker_properties([("log.cleanup.policy", "compact")]).expect("valid");
    store.create_topic("orders", BTreeMap::new());
    assert_eq!(
        store.topic_config("orders").cleanup_policy(),
        CleanupPolicy {
            delete: false,
            compact: true
        }
    );
    let (code, _) = inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("cleanup.policy", op::APPEND, Some("compact"))],
    );
    assert_eq!(code, NONE);
    assert_eq!(
        overrides(&store, "orders"),
        [("cleanup.policy".to_owned(), "delete,compact".to_owned())]
    );
}

#[test]
fn broker_loggers_accept_levels() {
    let mut store = ConfigStore::new();
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER_LOGGER,
            "1",
            &[("kafka.server", op::SET, Some("DEBUG"))]
        )
        .0,
        NONE
    );
    assert_eq!(store.logger_level(1, "kafka.server"), Some("DEBUG"));
    assert_eq!(store.logger_level(1, "root"), Some("INFO"));
    let r = describe(
        &store,
        &describe_req(rt::BROKER_LOGGER, "1", None, false, false),
        4,
    );
    let levels: Vec<_> = r.results[0]
        .configs
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_deref(), c.config_source))
        .collect();
    assert_eq!(
        levels,
        [
            ("kafka.server", Some("DEBUG"), 6),
            ("root", Some("INFO"), 6)
        ]
    );
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER_LOGGER,
            "1",
            &[("kafka.server", op::SET, Some("LOUD"))]
        )
        .0,
        INVALID_CONFIG
    );
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER_LOGGER,
            "1",
            &[("root", op::DELETE, None)]
        )
        .0,
        INVALID_CONFIG
    );
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER_LOGGER,
            "1",
            &[("root", op::APPEND, Some("x"))]
        )
        .0,
        INVALID_REQUEST
    );
    assert_eq!(
        inc(
            &mut store,
            rt::BROKER_LOGGER,
            "1",
            &[("kafka.server", op::DELETE, None)]
        )
        .0,
        NONE
    );
    assert_eq!(store.logger_level(1, "kafka.server"), None);
}

#[test]
fn client_metrics_subscriptions() {
    let mut store = ConfigStore::new();
    let (c, m) = inc(
        &mut store,
        rt::CLIENT_METRICS,
        "sub",
        &[
            ("metrics", op::SET, Some("org.apache.kafka.producer.")),
            ("interval.ms", op::SET, Some("1000")),
            ("match", op::SET, Some("client_id=app-.*")),
        ],
    );
    assert_eq!(c, NONE, "{m:?}");
    let r = describe(
        &store,
        &describe_req(rt::CLIENT_METRICS, "sub", None, false, false),
        4,
    );
    assert_eq!(entry(&r, "interval.ms").value.as_deref(), Some("1000"));
    assert_eq!(entry(&r, "interval.ms").config_source, 7);
    assert_eq!(
        inc(
            &mut store,
            rt::CLIENT_METRICS,
            "sub",
            &[("interval.ms", op::SET, Some("5"))]
        )
        .0,
        INVALID_CONFIG
    );
    assert_eq!(
        inc(
            &mut store,
            rt::CLIENT_METRICS,
            "sub",
            &[("match", op::SET, Some("host=x"))]
        )
        .0,
        INVALID_CONFIG
    );
}

// ----- CreateTopics and getters --------------------------------------------------------------

#[test]
fn create_topics_config_validation() {
    let store = ConfigStore::new();
    let topic = |configs: &[(&str, Option<&str>)]| {
        CreatableTopic::default()
            .with_name("new".into())
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name((*k).to_owned())
                            .with_value(v.map(str::to_owned))
                    })
                    .collect(),
            )
    };
    let ok = store
        .validate_creatable_topic(&topic(&[
            ("retention.ms", Some("-1")),
            ("cleanup.policy", Some("compact")),
        ]))
        .expect("valid");
    assert_eq!(ok.len(), 2);
    for (configs, key) in [
        (&[("retention.mss", Some("1"))][..], "retention.mss"),
        (&[("segment.bytes", Some("10"))][..], "segment.bytes"),
        (&[("compression.type", None)][..], "compression.type"),
    ] {
        let err = store
            .validate_creatable_topic(&topic(configs))
            .expect_err("invalid");
        assert_eq!(err.code(), INVALID_CONFIG);
        assert!(
            err.to_string().contains(key) && err.to_string().contains("new"),
            "{err}"
        );
    }
    let listed = store.created_topic_configs(&ok);
    assert_eq!(listed.len(), defs::TOPIC_CONFIGS.len());
    let policy = listed
        .iter()
        .find(|c| c.name == "cleanup.policy")
        .expect("listed");
    assert_eq!(
        (policy.value.as_deref(), policy.config_source),
        (Some("compact"), DYNAMIC_TOPIC)
    );
    let segment = listed
        .iter()
        .find(|c| c.name == "segment.ms")
        .expect("listed");
    assert_eq!(
        (segment.value.as_deref(), segment.config_source),
        (Some("604800000"), DEFAULT)
    );
}

#[test]
fn typed_getters_resolve_override_then_broker_then_default() {
    let mut store = ConfigStore::from_broker_properties([
        ("log.message.timestamp.type", "LogAppendTime"),
        ("log.retention.minutes", "60"),
        ("compression.type", "zstd"),
        ("num.partitions", "6"),
        ("auto.create.topics.enable", "false"),
        ("super.users", "User:admin; User:ops"),
    ])
    .expect("valid");
    store.create_topic(
        "orders",
        [
            ("retention.bytes".to_owned(), "1000".to_owned()),
            (
                "message.timestamp.difference.max.ms".to_owned(),
                "60000".to_owned(),
            ),
        ]
        .into(),
    );
    let t = store.topic_config("orders");
    assert_eq!(t.message_timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(t.retention_ms(), 3_600_000);
    assert_eq!(t.retention_bytes(), 1000);
    assert_eq!(t.compression_type(), CompressionType::Zstd);
    assert_eq!(t.max_message_bytes(), 1_048_588);
    assert_eq!(t.segment_bytes(), 1_073_741_824);
    assert_eq!(t.segment_ms(), 604_800_000);
    assert_eq!(t.min_insync_replicas(), 1);
    assert!((t.min_cleanable_dirty_ratio() - 0.5).abs() < f64::EPSILON);
    assert_eq!(t.timestamp_bounds(), (60_000, 60_000));
    assert!(!t.unclean_leader_election_enable());
    assert!(t.message_downconversion_enable());
    assert_eq!(
        t.value_with_source("retention.ms"),
        Some((Some("3600000".to_owned()), ConfigSource::StaticBroker))
    );
    let fresh = ConfigStore::new();
    let d = fresh.topic_config("x");
    assert_eq!((d.retention_ms(), d.retention_bytes()), (604_800_000, -1));
    assert_eq!(d.timestamp_bounds(), (i64::MAX, i64::MAX));
    assert_eq!(d.message_timestamp_type(), TimestampType::CreateTime);
    assert_eq!(
        d.cleanup_policy(),
        CleanupPolicy {
            delete: true,
            compact: false
        }
    );

    let b = store.broker_config(3);
    assert_eq!(b.num_partitions(), 6);
    assert!(!b.auto_create_topics_enable());
    assert_eq!(b.default_replication_factor(), 1);
    assert_eq!(b.offsets_topic_replication_factor(), 3);
    assert_eq!(b.group_min_session_timeout_ms(), 6000);
    assert_eq!(b.group_max_session_timeout_ms(), 1_800_000);
    assert_eq!(b.group_initial_rebalance_delay_ms(), 3000);
    assert_eq!(b.log_retention_ms(), 3_600_000);
    assert_eq!(b.super_users(), ["User:admin", "User:ops"]);
    assert!(!b.allow_everyone_if_no_acl_found());
    assert_eq!(b.value("broker.id").as_deref(), Some("3"));

    // Negative hours mean forever.
    let forever =
        ConfigStore::from_broker_properties([("log.retention.hours", "-1")]).expect("valid");
    assert_eq!(forever.topic_config("t").retention_ms(), -1);
}

#[test]
fn set_topic_config_directly() {
    let mut store = ConfigStore::new();
    store
        .set_topic_config("t", "max.message.bytes", Some("100"))
        .expect("valid");
    assert_eq!(store.topic_config("t").max_message_bytes(), 100);
    let err = store
        .set_topic_config("t", "max.message.bytes", Some("-5"))
        .expect_err("range");
    assert_eq!(err.code(), INVALID_CONFIG);
    assert_eq!(store.topic_config("t").max_message_bytes(), 100);
    store
        .set_topic_config("t", "max.message.bytes", None)
        .expect("delete");
    assert_eq!(store.topic_config("t").max_message_bytes(), 1_048_588);
}

#[test]
fn static_properties_are_checked() {
    let err =
        ConfigStore::from_broker_properties([("log.retention.hourz", "1")]).expect_err("unknown");
    assert!(err.to_string().contains("log.retention.hourz"));
    let err = ConfigStore::from_broker_properties([("num.partitions", "0")]).expect_err("range");
    assert!(err.to_string().contains("num.partitions"));
    assert_eq!(err.code(), INVALID_CONFIG);
}

// ----- Client quotas -------------------------------------------------------------------------

fn quota_entry(entity: &[(&str, Option<&str>)], ops: &[(&str, f64, bool)]) -> AlterEntry {
    AlterEntry::default()
        .with_entity(
            entity
                .iter()
                .map(|(t, n)| {
                    AlterEntity::default()
                        .with_entity_type((*t).to_owned())
                        .with_entity_name(n.map(str::to_owned))
                })
                .collect(),
        )
        .with_ops(
            ops.iter()
                .map(|(k, v, r)| {
                    OpData::default()
                        .with_key((*k).to_owned())
                        .with_value(*v)
                        .with_remove(*r)
                })
                .collect(),
        )
}

fn alter_quotas(
    store: &mut QuotaStore,
    entries: Vec<AlterEntry>,
    validate_only: bool,
) -> Vec<(i16, Option<String>)> {
    let r = store.alter(
        &AlterClientQuotasRequest::default()
            .with_entries(entries)
            .with_validate_only(validate_only),
    );
    r.responses_or_entries()
}

trait Outcomes {
    fn responses_or_entries(&self) -> Vec<(i16, Option<String>)>;
}

impl Outcomes for kafka_protocol::messages::AlterClientQuotasResponse {
    fn responses_or_entries(&self) -> Vec<(i16, Option<String>)> {
        self.entries
            .iter()
            .map(|e| (e.error_code, e.error_message.clone()))
            .collect()
    }
}

fn describe_quotas(
    store: &QuotaStore,
    components: &[(&str, i8, Option<&str>)],
    strict: bool,
) -> Result<Vec<String>, (i16, String)> {
    let req = DescribeClientQuotasRequest::default()
        .with_components(
            components
                .iter()
                .map(|(t, m, n)| {
                    ComponentData::default()
                        .with_entity_type((*t).to_owned())
                        .with_match_type(*m)
                        .with_match(n.map(str::to_owned))
                })
                .collect(),
        )
        .with_strict(strict);
    let r = store.describe(&req);
    let mut buf = BytesMut::new();
    r.encode(&mut buf, 1).expect("encodes");
    match r.entries {
        Some(entries) if r.error_code == NONE => Ok(entries
            .iter()
            .map(|e| {
                let entity: Vec<String> = e
                    .entity
                    .iter()
                    .map(|d| {
                        format!(
                            "{}={}",
                            d.entity_type,
                            d.entity_name.as_deref().unwrap_or("<default>")
                        )
                    })
                    .collect();
                let values: Vec<String> = e
                    .values
                    .iter()
                    .map(|v| format!("{}:{}", v.key, v.value))
                    .collect();
                format!("{} {}", entity.join(","), values.join(","))
            })
            .collect()),
        _ => Err((r.error_code, r.error_message.unwrap_or_default())),
    }
}

fn seeded_quotas() -> QuotaStore {
    let mut store = QuotaStore::new();
    let outcomes = alter_quotas(
        &mut store,
        vec![
            quota_entry(
                &[(USER, Some("alice"))],
                &[
                    ("producer_byte_rate", 1024.0, false),
                    ("request_percentage", 12.5, false),
                ],
            ),
            quota_entry(&[(USER, None)], &[("consumer_byte_rate", 2048.0, false)]),
            quota_entry(
                &[(CLIENT_ID, Some("app"))],
                &[("producer_byte_rate", 4096.0, false)],
            ),
            quota_entry(
                &[(USER, Some("alice")), (CLIENT_ID, Some("app"))],
                &[("controller_mutation_rate", 5.0, false)],
            ),
            quota_entry(
                &[(IP, Some("10.0.0.1"))],
                &[("connection_creation_rate", 10.0, false)],
            ),
        ],
        false,
    );
    assert!(
        outcomes.iter().all(|(c, m)| *c == NONE && m.is_none()),
        "{outcomes:?}"
    );
    store
}

#[test]
fn quotas_describe_filters() {
    let store = seeded_quotas();
    assert_eq!(describe_quotas(&store, &[], false).expect("ok").len(), 5);
    assert_eq!(
        describe_quotas(&store, &[], true).expect("ok").len(),
        0,
        "strict with no components"
    );
    assert_eq!(
        describe_quotas(&store, &[(USER, match_type::EXACT, Some("alice"))], false).expect("ok"),
        [
            "client-id=app,user=alice controller_mutation_rate:5",
            "user=alice producer_byte_rate:1024,request_percentage:12.5"
        ]
    );
    assert_eq!(
        describe_quotas(&store, &[(USER, match_type::EXACT, Some("alice"))], true).expect("ok"),
        ["user=alice producer_byte_rate:1024,request_percentage:12.5"]
    );
    assert_eq!(
        describe_quotas(&store, &[(USER, match_type::DEFAULT, None)], false).expect("ok"),
        ["user=<default> consumer_byte_rate:2048"]
    );
    assert_eq!(
        describe_quotas(&store, &[(CLIENT_ID, match_type::SPECIFIED, None)], false)
            .expect("ok")
            .len(),
        2
    );
    assert_eq!(
        describe_quotas(&store, &[(CLIENT_ID, match_type::SPECIFIED, None)], true).expect("ok"),
        ["client-id=app producer_byte_rate:4096"]
    );
    assert_eq!(
        describe_quotas(&store, &[(IP, match_type::SPECIFIED, None)], false).expect("ok"),
        ["ip=10.0.0.1 connection_creation_rate:10"]
    );
    // Malformed filters fail the whole request.
    let (code, _) = describe_quotas(&store, &[("group", match_type::SPECIFIED, None)], false)
        .expect_err("unknown entity type");
    assert_eq!(code, super::codes::UNSUPPORTED_VERSION);
    for components in [
        &[("", match_type::SPECIFIED, None)][..],
        &[(USER, match_type::DEFAULT, Some("alice"))][..],
        &[(USER, match_type::SPECIFIED, Some("alice"))][..],
        &[(USER, match_type::EXACT, None)][..],
        &[(USER, 7, None)][..],
        &[
            (USER, match_type::SPECIFIED, None),
            (USER, match_type::DEFAULT, None),
        ][..],
        &[
            (IP, match_type::SPECIFIED, None),
            (USER, match_type::SPECIFIED, None),
        ][..],
    ] {
        let (code, msg) = describe_quotas(&store, components, false).expect_err("invalid filter");
        assert_eq!(code, INVALID_REQUEST, "{components:?}");
        assert!(!msg.is_empty());
    }
}

#[test]
fn quotas_alter_remove_validate_and_errors() {
    let mut store = seeded_quotas();
    let alice = QuotaEntity::new([(USER, Some("alice"))]);
    // validate_only: checked, not stored.
    let out = alter_quotas(
        &mut store,
        vec![quota_entry(
            &[(USER, Some("alice"))],
            &[("producer_byte_rate", 1.0, false)],
        )],
        true,
    );
    assert_eq!(out[0].0, NONE);
    assert_eq!(
        store
            .quotas(&alice)
            .and_then(|q| q.get("producer_byte_rate")),
        Some(&1024.0)
    );
    // Remove one key, then the last: the entity disappears.
    let out = alter_quotas(
        &mut store,
        vec![quota_entry(
            &[(USER, Some("alice"))],
            &[("producer_byte_rate", 0.0, true)],
        )],
        false,
    );
    assert_eq!(out[0].0, NONE);
    assert_eq!(store.quotas(&alice).map(|q| q.len()), Some(1));
    alter_quotas(
        &mut store,
        vec![quota_entry(
            &[(USER, Some("alice"))],
            &[("request_percentage", 0.0, true)],
        )],
        false,
    );
    assert_eq!(store.quotas(&alice), None);

    // Removing a key that is not there (even an unknown one) is a no-op, as in Kafka.
    let out = alter_quotas(
        &mut store,
        vec![quota_entry(
            &[(USER, Some("carol"))],
            &[("made_up_rate", 0.0, true)],
        )],
        false,
    );
    assert_eq!(out[0].0, NONE);
    // The same entity twice in one request: the second entry is refused.
    let out = alter_quotas(
        &mut store,
        vec![
            quota_entry(
                &[(USER, Some("dave"))],
                &[("producer_byte_rate", 1.0, false)],
            ),
            quota_entry(
                &[(USER, Some("dave"))],
                &[("consumer_byte_rate", 1.0, false)],
            ),
        ],
        false,
    );
    assert_eq!((out[0].0, out[1].0), (NONE, INVALID_REQUEST));
    let dave = QuotaEntity::new([(USER, Some("dave"))]);
    assert_eq!(store.quotas(&dave).map(|q| q.len()), Some(1));

    let cases: Vec<(AlterEntry, &str)> = vec![
        (
            quota_entry(&[(USER, Some(""))], &[("producer_byte_rate", 1.0, false)]),
            "empty user",
        ),
        (
            quota_entry(
                &[(USER, Some("bob"))],
                &[("connection_creation_rate", 1.0, false)],
            ),
            "connection_creation_rate",
        ),
        (
            quota_entry(
                &[(IP, Some("10.0.0.2"))],
                &[("producer_byte_rate", 1.0, false)],
            ),
            "producer_byte_rate",
        ),
        (
            quota_entry(
                &[(USER, Some("bob"))],
                &[("producer_byte_rate", 1.5, false)],
            ),
            "producer_byte_rate",
        ),
        (
            quota_entry(
                &[(USER, Some("bob"))],
                &[("request_percentage", f64::NAN, false)],
            ),
            "request_percentage",
        ),
        (
            quota_entry(&[(USER, Some("bob"))], &[("made_up_rate", 1.0, false)]),
            "made_up_rate",
        ),
        (
            quota_entry(
                &[(USER, Some("bob"))],
                &[
                    ("producer_byte_rate", 1.0, false),
                    ("producer_byte_rate", 2.0, false),
                ],
            ),
            "producer_byte_rate",
        ),
        (
            quota_entry(
                &[(IP, Some("not-an-ip"))],
                &[("connection_creation_rate", 1.0, false)],
            ),
            "not-an-ip",
        ),
        (quota_entry(&[(IP, None), (USER, None)], &[]), "ip"),
        (quota_entry(&[("group", Some("g"))], &[]), "group"),
        (
            quota_entry(&[(USER, Some("a")), (USER, Some("b"))], &[]),
            "user",
        ),
        (quota_entry(&[], &[]), "empty"),
    ];
    for (entry, needle) in cases {
        let out = alter_quotas(&mut store, vec![entry.clone()], false);
        assert_eq!(out[0].0, INVALID_REQUEST, "{entry:?}");
        let msg = out[0].1.clone().unwrap_or_default();
        assert!(msg.contains(needle), "{msg} should mention {needle}");
    }
    assert_eq!(
        store.quotas(&QuotaEntity::new([(USER, Some("bob"))])),
        None,
        "nothing stored by failed entries"
    );
    // The default IP entity works.
    let out = alter_quotas(
        &mut store,
        vec![quota_entry(
            &[(IP, None)],
            &[("connection_creation_rate", 50.0, false)],
        )],
        false,
    );
    assert_eq!(out[0].0, NONE);
}

#[test]
fn throttle_hook() {
    let mut store = QuotaStore::new();
    assert_eq!(store.throttle_for(Some("app"), ApiKey::Produce), None);
    store.set_throttle(None, ApiKey::Fetch, 100);
    store.set_throttle(Some("app"), ApiKey::Produce, 250);
    assert_eq!(store.throttle_for(Some("app"), ApiKey::Produce), Some(250));
    assert_eq!(store.throttle_for(Some("other"), ApiKey::Produce), None);
    assert_eq!(store.throttle_for(Some("other"), ApiKey::Fetch), Some(100));
    assert_eq!(store.throttle_for(None, ApiKey::Fetch), Some(100));
    store.clear_throttle(Some("app"), ApiKey::Produce);
    assert_eq!(store.throttle_for(Some("app"), ApiKey::Produce), None);
}

#[test]
fn effective_quota_precedence() {
    let store = seeded_quotas();
    // alice has her own producer rate; the user+client entry has only the mutation rate.
    assert_eq!(
        store.effective_quota("alice", "app", "producer_byte_rate"),
        Some(1024.0)
    );
    assert_eq!(
        store.effective_quota("alice", "app", "controller_mutation_rate"),
        Some(5.0)
    );
    // bob falls to the default user's consumer rate, then to client app's producer rate.
    assert_eq!(
        store.effective_quota("bob", "app", "consumer_byte_rate"),
        Some(2048.0)
    );
    assert_eq!(
        store.effective_quota("bob", "app", "producer_byte_rate"),
        Some(4096.0)
    );
    assert_eq!(
        store.effective_quota("bob", "other", "producer_byte_rate"),
        None
    );
}

#[test]
fn topic_config_combinations() {
    let mut store = store_with_orders(&[]);
    let (code, msg) = inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[
            ("min.compaction.lag.ms", op::SET, Some("10")),
            ("max.compaction.lag.ms", op::SET, Some("5")),
        ],
    );
    assert_eq!(code, INVALID_CONFIG);
    assert!(
        msg.as_deref()
            .is_some_and(|m| m.contains("min.compaction.lag.ms")),
        "{msg:?}"
    );
    let (code, msg) = inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("remote.storage.enable", op::SET, Some("true"))],
    );
    assert_eq!(code, INVALID_CONFIG);
    assert!(
        msg.as_deref()
            .is_some_and(|m| m.contains("remote.log.storage.system.enable")),
        "{msg:?}"
    );
    assert_eq!(overrides(&store, "orders"), []);

    let mut tiered =
        ConfigStore::from_broker_properties([("remote.log.storage.system.enable", "true")])
            .expect("valid");
    tiered.create_topic("orders", BTreeMap::new());
    let ok = |r: (i16, Option<String>)| assert_eq!(r.0, NONE, "{:?}", r.1);
    ok(inc(
        &mut tiered,
        rt::TOPIC,
        "orders",
        &[
            ("remote.storage.enable", op::SET, Some("true")),
            ("local.retention.ms", op::SET, Some("1000")),
        ],
    ));
    let (code, msg) = inc(
        &mut tiered,
        rt::TOPIC,
        "orders",
        &[("local.retention.ms", op::SET, Some("999999999999"))],
    );
    assert_eq!(code, INVALID_CONFIG);
    assert!(
        msg.as_deref()
            .is_some_and(|m| m.contains("local.retention.ms")),
        "{msg:?}"
    );
    let (code, _) = inc(
        &mut tiered,
        rt::TOPIC,
        "orders",
        &[("cleanup.policy", op::SET, Some("compact"))],
    );
    assert_eq!(code, INVALID_CONFIG);
    let err = tiered
        .validate_new_topic(
            "t",
            [
                ("remote.storage.enable", Some("true")),
                ("local.retention.bytes", Some("-1")),
                ("retention.bytes", Some("100")),
            ],
        )
        .expect_err("local -1 with a finite total");
    assert!(err.to_string().contains("local.retention.bytes"), "{err}");
}

// ----- Every version over the wire -----------------------------------------------------------

/// Encodes `message` at `version` and decodes it back, as the actor's connection would.
fn wire<M: Message>(message: &M, version: i16) -> M {
    let bytes = message
        .encode_to_bytes(version)
        .unwrap_or_else(|e| panic!("{} v{version} does not encode: {e}", M::NAME));
    M::decode_exact(bytes, version)
        .unwrap_or_else(|e| panic!("{} v{version} does not decode: {e}", M::NAME))
}

#[test]
fn every_version_round_trips_through_the_handlers() {
    for version in 0..=4 {
        let store = store_with_orders(&[("retention.ms", "1000")]);
        let req = wire(
            &describe_req(rt::TOPIC, "orders", None, version >= 1, version >= 3),
            version,
        );
        let response = wire(
            &store.describe_configs(&req, version, BROKER, exists),
            version,
        );
        let e = entry(&response, "retention.ms");
        assert_eq!(e.value.as_deref(), Some("1000"), "v{version}");
        // Kafka answers a described resource with an empty message, not null.
        assert_eq!(response.results[0].error_message.as_deref(), Some(""), "v{version}");
        if version == 0 {
            assert!(!e.is_default);
        } else {
            assert_eq!(e.config_source, DYNAMIC_TOPIC, "v{version}");
            assert_eq!(e.synonyms.len(), 1, "v{version}");
        }
    }
    for version in 0..=2 {
        let mut store = store_with_orders(&[]);
        let req = wire(
            &alter_req(rt::TOPIC, "orders", &[("segment.ms", Some("10"))], false),
            version,
        );
        let response = wire(&store.alter_configs(&req, version, exists), version);
        assert_eq!(response.responses[0].error_code, NONE, "v{version}");
        assert_eq!(store.topic_config("orders").segment_ms(), 10);
    }
    for version in 0..=1 {
        let mut store = store_with_orders(&[]);
        let req = wire(
            &inc_req(
                rt::TOPIC,
                "orders",
                &[("segment.ms", op::SET, Some("10"))],
                false,
            ),
            version,
        );
        let response = wire(
            &store.incremental_alter_configs(&req, version, exists),
            version,
        );
        assert_eq!(response.responses[0].error_code, NONE, "v{version}");
        assert_eq!(store.topic_config("orders").segment_ms(), 10);

        let mut quotas = QuotaStore::new();
        let req = AlterClientQuotasRequest::default().with_entries(vec![quota_entry(
            &[(USER, Some("alice"))],
            &[("producer_byte_rate", 100.0, false)],
        )]);
        let response = wire(&quotas.alter(&wire(&req, version)), version);
        assert_eq!(response.entries[0].error_code, NONE, "v{version}");
        assert_eq!(
            response.entries[0].entity[0].entity_name.as_deref(),
            Some("alice")
        );
        let req =
            DescribeClientQuotasRequest::default().with_components(vec![ComponentData::default()
                .with_entity_type(USER.into())
                .with_match_type(match_type::EXACT)
                .with_match(Some("alice".into()))]);
        let response = wire(&quotas.describe(&wire(&req, version)), version);
        let entries = response.entries.unwrap_or_default();
        assert_eq!(entries.len(), 1, "v{version}");
        assert_eq!(entries[0].values[0].value, 100.0);
    }
}

#[test]
fn kafka_4_profile_store() {
    let mut store = ConfigStore::with_profile(ConfigProfile::Kafka4);
    store.create_topic("orders", BTreeMap::new());
    let r = describe(
        &store,
        &describe_req(rt::TOPIC, "orders", None, true, false),
        4,
    );
    assert!(r.results[0]
        .configs
        .iter()
        .all(|c| c.name != "message.format.version"));
    assert_eq!(
        entry(&r, "message.timestamp.after.max.ms").value.as_deref(),
        Some("3600000")
    );
    assert_eq!(
        store.topic_config("orders").timestamp_bounds(),
        (i64::MAX, 3_600_000)
    );
    let (code, msg) = inc(
        &mut store,
        rt::TOPIC,
        "orders",
        &[("message.format.version", op::SET, Some("3.0"))],
    );
    assert_eq!(code, INVALID_CONFIG);
    assert!(msg
        .as_deref()
        .is_some_and(|m| m.contains("message.format.version")));
    assert_eq!(
        inc(
            &mut store,
            rt::TOPIC,
            "orders",
            &[("segment.bytes", op::SET, Some("1000"))]
        )
        .0,
        INVALID_CONFIG
    );
    assert!(ConfigStore::from_broker_properties_for(
        ConfigProfile::Kafka4,
        [("log.message.format.version", "3.0")]
    )
    .is_err());
    // The 3.x store accepts both.
    let mut k3 = store_with_orders(&[]);
    assert_eq!(
        inc(
            &mut k3,
            rt::TOPIC,
            "orders",
            &[
                ("message.format.version", op::SET, Some("3.0")),
                ("segment.bytes", op::SET, Some("1000"))
            ]
        )
        .0,
        NONE
    );
}

//! The standalone `kafka-testkit` binary: argument errors, and (with kcat) topics declared on
//! the command line, a version preset, auto-creation off, and a SASL_PLAINTEXT listener next
//! to the PLAINTEXT one. Restarts with `--data-dir` are in `persistence.rs`.

mod support;

use std::process::{Command, Stdio};

use support::process::*;

fn run_expecting_usage(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kafka-testkit"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run the kafka-testkit binary");
    assert_eq!(out.status.code(), Some(2), "{args:?} should be a usage error");
    assert!(out.stdout.is_empty(), "nothing on stdout for {args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_arguments_name_the_argument_and_print_usage() {
    for (args, expected) in [
        (&["--kafka-version", "1.0"][..], "--kafka-version \"1.0\""),
        (&["--topic", "t:x"][..], "--topic \"t:x\": partitions"),
        (&["--topic", ":3"][..], "empty topic name"),
        (&["--topic", "t:1:1:1"][..], "expected NAME[:PARTITIONS[:RF]]"),
        (&["--sasl-user", "alice"][..], "--sasl-user: expected NAME:PASSWORD"),
        (&["--port"][..], "--port needs a value"),
        (&["--frobnicate"][..], "unknown argument \"--frobnicate\""),
    ] {
        let stderr = run_expecting_usage(args);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("usage: kafka-testkit"), "{args:?}: {stderr}");
    }
    let help = run_expecting_usage(&["--help"]);
    assert!(help.contains("--sasl-user") && help.contains("--data-dir"), "{help}");
}

#[test]
fn declared_topics_preset_no_auto_create_and_a_sasl_listener_with_kcat() {
    if !kcat_available() {
        println!("SKIPPED declared_topics_preset_no_auto_create_and_a_sasl_listener_with_kcat: kcat is not installed (apt-get install -y kcat)");
        return;
    }
    let broker = BrokerProcess::start(
        &[
            "--port", "0", "--brokers", "2", "--topic", "orders:3:2", "--topic", "audit", "--kafka-version", "4.0",
            "--no-auto-create-topics", "--sasl-user", "alice:alice-secret",
        ],
        2,
    );
    let plain = broker.lines[0].clone();
    let sasl = broker.lines[1].strip_prefix("SASL_PLAINTEXT=").expect("the SASL listener line").to_owned();
    assert_eq!(plain.split(',').count(), 2, "{plain}");
    assert_eq!(sasl.split(',').count(), 2, "{sasl}");
    assert!(plain.split(',').all(|p| !sasl.contains(p)), "separate ports: {plain} / {sasl}");

    let listing = kcat_run(&["-b", &plain, "-L"], None);
    assert!(listing.contains("2 brokers:"), "{listing}");
    assert!(listing.contains("topic \"orders\" with 3 partitions"), "{listing}");
    assert!(listing.contains("topic \"audit\" with 1 partitions"), "{listing}");
    // Brokers seen through the plaintext listener advertise plaintext ports only.
    for port in sasl.split(',').filter_map(|a| a.rsplit(':').next()) {
        assert!(!listing.contains(&format!(":{port}")), "SASL port {port} advertised on PLAINTEXT: {listing}");
    }

    // Auto-creation is off: producing to a missing topic fails instead of creating it.
    let (ok, _, err) = kcat_output(&["-b", &plain, "-P", "-t", "missing", "-X", "message.timeout.ms=2000"], Some("x\n"));
    assert!(!ok, "produce to a missing topic with auto-creation off succeeded");
    assert!(err.contains("Delivery failed"), "{err}");
    assert!(!kcat_run(&["-b", &plain, "-L"], None).contains("\"missing\""));

    // The SASL listener: alice produces with PLAIN and reads back on both listeners; a wrong
    // password is refused.
    let plain_auth = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret"];
    let mut produce = vec!["-b", sasl.as_str(), "-P", "-t", "orders", "-p", "1"];
    produce.extend(plain_auth);
    kcat_run(&produce, Some("a\nb\n"));
    let mut consume = vec!["-b", plain.as_str(), "-C", "-t", "orders", "-p", "1", "-o", "beginning", "-e", "-q"];
    let read_plain = kcat_run(&consume, None);
    assert_eq!(read_plain.lines().collect::<Vec<_>>(), ["a", "b"], "the same data on both listeners");
    consume[1] = sasl.as_str();
    consume.extend(plain_auth);
    assert_eq!(kcat_run(&consume, None).lines().collect::<Vec<_>>(), ["a", "b"]);
    // SCRAM: librdkafka before 2.6.1 repeats the client nonce in its final message; Kafka 4.x
    // (like this broker) checks the nonce strictly (RFC 5802) and refuses it. Newer
    // librdkafka logs in.
    let scram = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-256", "-X", "sasl.username=alice", "-X", "sasl.password=alice-secret"];
    let mut list = vec!["-b", sasl.as_str(), "-L", "-m", "5"];
    list.extend(scram);
    let (ok, out, err) = kcat_output(&list, None);
    if librdkafka_at_least(2, 6, 1) {
        assert!(ok && out.contains("\"orders\""), "SCRAM login: {err}");
    } else {
        assert!(!ok && err.contains("invalid credentials"), "old librdkafka SCRAM: {err}");
    }
    let (ok, _, err) = kcat_output(
        &["-b", &sasl, "-L", "-m", "5", "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=alice", "-X", "sasl.password=wrong"],
        None,
    );
    assert!(!ok, "a wrong password listed metadata");
    assert!(err.contains("uthentication"), "{err}");
    drop(broker);
}

/// Whether kcat's librdkafka is at least `major.minor.patch` (`kcat -V` prints
/// "Version 1.7.1 (..., librdkafka 2.0.2 builtin.features=...)").
fn librdkafka_at_least(major: u32, minor: u32, patch: u32) -> bool {
    let out = Command::new("kcat").arg("-V").output().expect("kcat -V");
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.split("librdkafka ").nth(1).and_then(|rest| rest.split_whitespace().next()) else {
        panic!("no librdkafka version in `kcat -V`: {text}");
    };
    let mut parts = version.split('.').map(|p| p.trim_matches(|c: char| !c.is_ascii_digit()).parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor, patch)
}

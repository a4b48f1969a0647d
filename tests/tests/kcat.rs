//! librdkafka (through the kcat CLI) against the in-process broker: metadata, idempotent
//! produce with every codec, consume back, a balanced (group) consumer, an old-version preset. Skipped with a printed reason when kcat is not installed.

use std::io::Write;
use std::process::{Command, Stdio};

use kafka_testkit::Cluster;

fn kcat_available() -> bool {
    Command::new("kcat").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn kcat(args: &[&str], input: Option<&str>) -> String {
    let mut child = Command::new("kcat")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kcat");
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("kcat output");
    assert!(out.status.success(), "kcat {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_metadata_produce_every_codec_and_consume() {
    if !kcat_available() {
        println!("SKIPPED kcat_metadata_produce_every_codec_and_consume: kcat is not installed (apt-get install -y kcat)");
        return;
    }
    let cluster = Cluster::builder().brokers(3).topic("codecs", 3, 3).seed(5).build().await.unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let b = bootstrap.clone();
    let listing = tokio::task::spawn_blocking(move || kcat(&["-b", &b, "-L", "-t", "codecs"], None)).await.unwrap();
    assert!(listing.contains("3 brokers"), "{listing}");
    assert!(listing.contains("topic \"codecs\" with 3 partitions"), "{listing}");

    let mut expected = Vec::new();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let lines: Vec<String> = (0..4).map(|i| format!("{codec}-{i}")).collect();
        expected.extend(lines.iter().cloned());
        let input = lines.join("\n") + "\n";
        let b = bootstrap.clone();
        tokio::task::spawn_blocking(move || kcat(&["-b", &b, "-P", "-t", "codecs", "-z", codec, "-X", "acks=all", "-X", "enable.idempotence=true"], Some(&input)))
            .await
            .unwrap();
    }
    let b = bootstrap.clone();
    let consumed = tokio::task::spawn_blocking(move || kcat(&["-b", &b, "-C", "-t", "codecs", "-o", "beginning", "-e", "-q"], None))
        .await
        .unwrap();
    let mut got: Vec<String> = consumed.lines().map(str::to_owned).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_negotiates_down_to_a_kafka_2_1_preset() {
    if !kcat_available() {
        println!("SKIPPED kcat_negotiates_down_to_a_kafka_2_1_preset: kcat is not installed (apt-get install -y kcat)");
        return;
    }
    let cluster = Cluster::builder()
        .brokers(2)
        .kafka_version(kafka_testkit::KafkaVersion::V2_1)
        .topic("old", 2, 2)
        .build()
        .await
        .unwrap();
    let b = cluster.bootstrap_servers();
    let b2 = b.clone();
    tokio::task::spawn_blocking(move || kcat(&["-b", &b2, "-P", "-t", "old", "-z", "gzip"], Some("x\ny\n"))).await.unwrap();
    let out = tokio::task::spawn_blocking(move || {
        kcat(&["-b", &b, "-C", "-t", "old", "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed"], None)
    })
    .await
    .unwrap();
    let mut got: Vec<&str> = out.lines().collect();
    got.sort();
    assert_eq!(got, vec!["x", "y"]);
    let versions: Vec<(kafka_testkit::ApiKey, i16)> =
        cluster.requests().await.unwrap().iter().map(|r| (r.api_key, r.version)).collect();
    for (key, max) in [(kafka_testkit::ApiKey::Produce, 7), (kafka_testkit::ApiKey::Fetch, 10), (kafka_testkit::ApiKey::Metadata, 7)] {
        assert!(versions.iter().any(|(k, _)| *k == key), "{key:?} not seen");
        assert!(versions.iter().filter(|(k, _)| *k == key).all(|(_, v)| *v <= max), "{key:?} above {max}: {versions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_group_consumer_commits_and_resumes() {
    if !kcat_available() {
        println!("SKIPPED kcat_group_consumer_commits_and_resumes: kcat is not installed (apt-get install -y kcat)");
        return;
    }
    let cluster = Cluster::builder().brokers(3).topic("grp", 3, 2).seed(9).build().await.unwrap();
    let b = cluster.bootstrap_servers();
    let run = |args: Vec<String>, input: Option<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            kcat(&args, input.as_deref())
        })
    };
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v = vec!["-b".to_string(), b.clone()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    run(args(&["-P", "-t", "grp"]), Some("1\n2\n3\n4\n5\n6\n".into())).await.unwrap();
    let first = run(args(&["-G", "g1", "grp", "-o", "beginning", "-e", "-q"]), None).await.unwrap();
    let mut got: Vec<&str> = first.lines().collect();
    got.sort();
    assert_eq!(got, vec!["1", "2", "3", "4", "5", "6"]);
    // The group committed its offsets on close: a new member resumes after them. (Reset to
    // earliest covers a partition that got no message in the first round, so has no commit.)
    run(args(&["-P", "-t", "grp"]), Some("7\n".into())).await.unwrap();
    let second = run(args(&["-G", "g1", "grp", "-X", "auto.offset.reset=earliest", "-e", "-q"]), None).await.unwrap();
    assert_eq!(second.lines().collect::<Vec<_>>(), vec!["7"]);
    let joins = cluster.requests_matching(kafka_testkit::ApiKey::JoinGroup).await.unwrap();
    assert!(!joins.is_empty());
    let coordinator = cluster.coordinator(kafka_testkit::CoordinatorType::Group, "g1").await.unwrap();
    assert!(joins.iter().all(|j| j.broker == coordinator));
}

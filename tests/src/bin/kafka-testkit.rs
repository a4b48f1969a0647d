//! Runs the in-process broker as a standalone cluster until Ctrl-C (or SIGTERM).
//!
//! `kafka-testkit --port 9092 --brokers 3 [--partitions N] [--seed N] [--data-dir DIR]
//! [--topic NAME[:PARTITIONS[:RF]]]... [--kafka-version V] [--no-auto-create-topics]
//! [--sasl-user NAME:PASSWORD]...`: broker `i` (1-based) listens on `port + i - 1`; the
//! bootstrap address is printed on stdout. With `--sasl-user`, every broker also has a
//! SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) on `port + brokers + i - 1`,
//! printed on a second line as `SASL_PLAINTEXT=<bootstrap>`.
//!
//! With `--data-dir`, a restart on the same directory keeps what a local Kafka keeps: topics,
//! configs and record batches; idempotent producer state and the transaction index (rebuilt
//! from the batches, so a retried batch is still a duplicate and read_committed still skips
//! aborted data); committed consumer-group offsets and group metadata (groups come back
//! Empty, members rejoin); transactional ids with their producer id and epoch, and the
//! producer-id counter. A transaction open at shutdown is aborted on restart (its producer is
//! fenced). Writes happen as requests are answered, so even a killed process keeps what it
//! acknowledged (a torn last write is cut off on load). See tests/BROKER.md.

use std::process::ExitCode;

use kafka_testkit::security::SecurityProtocol;
use kafka_testkit::{Cluster, KafkaVersion, SaslSettings};

fn usage() -> &'static str {
    "usage: kafka-testkit [--port PORT] [--brokers N] [--partitions N] [--seed N] [--data-dir DIR]\n\
     \x20                    [--topic NAME[:PARTITIONS[:RF]]]... [--kafka-version V]\n\
     \x20                    [--no-auto-create-topics] [--sasl-user NAME:PASSWORD]...\n\
     \n\
     --port PORT      broker i (1-based) listens on 127.0.0.1:PORT+i-1 (default 9092; 0 picks free ports)\n\
     --brokers N      number of brokers (default 1)\n\
     --partitions N   partitions of auto-created topics, num.partitions (default 1)\n\
     --seed N         seed of every random choice: cluster id, topic ids, placement (default 0)\n\
     --topic SPEC     create topic NAME at start (PARTITIONS default --partitions, RF default 1,\n\
     \x20                capped at the broker count); repeatable; kept if it already exists in DIR\n\
     --kafka-version V  serve only what Apache Kafka V serves: 2.1, 2.8, 3.9, 4.0 or latest (default)\n\
     --no-auto-create-topics  auto.create.topics.enable=false (default true)\n\
     --sasl-user NAME:PASSWORD  add a SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256/512) on\n\
     \x20                PORT+brokers+i-1 with this user; repeatable; printed as SASL_PLAINTEXT=...\n\
     --data-dir DIR   keep state in DIR across restarts: topics, configs, record batches,\n\
     \x20                producer state (rebuilt from the batches), committed consumer-group\n\
     \x20                offsets and group metadata (members rejoin), transactional ids and\n\
     \x20                producer ids; a transaction open at shutdown is aborted on restart\n\
     \n\
     Runs until Ctrl-C or SIGTERM, which flush DIR; a killed process keeps every acknowledged write."
}

struct Args {
    port: u16,
    brokers: i32,
    partitions: i32,
    seed: u64,
    data_dir: Option<String>,
    topics: Vec<(String, Option<i32>, i16)>,
    version: KafkaVersion,
    auto_create: bool,
    sasl_users: Vec<(String, String)>,
}

/// `NAME[:PARTITIONS[:RF]]`.
fn topic_spec(spec: &str) -> Result<(String, Option<i32>, i16), String> {
    let mut parts = spec.split(':');
    let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(|| format!("--topic {spec:?}: empty topic name"))?;
    let partitions = parts
        .next()
        .map(|p| p.parse::<i32>().map_err(|e| format!("--topic {spec:?}: partitions: {e}")))
        .transpose()?;
    let rf = parts.next().map_or(Ok(1), |r| r.parse::<i16>().map_err(|e| format!("--topic {spec:?}: replication factor: {e}")))?;
    if parts.next().is_some() {
        return Err(format!("--topic {spec:?}: expected NAME[:PARTITIONS[:RF]]"));
    }
    Ok((name.to_owned(), partitions, rf))
}

fn kafka_version(v: &str) -> Result<KafkaVersion, String> {
    match v {
        "2.1" => Ok(KafkaVersion::V2_1),
        "2.8" => Ok(KafkaVersion::V2_8),
        "3.9" => Ok(KafkaVersion::V3_9),
        "4.0" => Ok(KafkaVersion::V4_0),
        "latest" => Ok(KafkaVersion::Latest),
        other => Err(format!("--kafka-version {other:?}: expected 2.1, 2.8, 3.9, 4.0 or latest")),
    }
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        port: 9092,
        brokers: 1,
        partitions: 1,
        seed: 0,
        data_dir: None,
        topics: Vec::new(),
        version: KafkaVersion::Latest,
        auto_create: true,
        sasl_users: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => a.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--brokers" => a.brokers = value("--brokers")?.parse().map_err(|e| format!("--brokers: {e}"))?,
            "--partitions" => a.partitions = value("--partitions")?.parse().map_err(|e| format!("--partitions: {e}"))?,
            "--seed" => a.seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--data-dir" => a.data_dir = Some(value("--data-dir")?),
            "--topic" => a.topics.push(topic_spec(&value("--topic")?)?),
            "--kafka-version" => a.version = kafka_version(&value("--kafka-version")?)?,
            "--no-auto-create-topics" => a.auto_create = false,
            "--sasl-user" => {
                let spec = value("--sasl-user")?;
                let (name, password) = spec
                    .split_once(':')
                    .filter(|(n, _)| !n.is_empty())
                    .ok_or_else(|| "--sasl-user: expected NAME:PASSWORD".to_owned())?;
                a.sasl_users.push((name.to_owned(), password.to_owned()));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("kafka-testkit: {e}");
            }
            eprintln!("{}", usage());
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kafka-testkit: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let mut builder = Cluster::builder()
            .brokers(args.brokers)
            .default_partitions(args.partitions)
            .seed(args.seed)
            .kafka_version(args.version)
            .auto_create_topics(args.auto_create);
        if args.port != 0 {
            builder = builder.base_port(args.port);
        }
        if let Some(dir) = args.data_dir {
            builder = builder.data_dir(dir);
        }
        for (name, partitions, rf) in args.topics {
            builder = builder.topic(name, partitions.unwrap_or(args.partitions), rf);
        }
        let sasl = !args.sasl_users.is_empty();
        if sasl {
            let settings = args.sasl_users.into_iter().fold(SaslSettings::new(), |s, (name, password)| s.user(name, password));
            builder = builder
                .listener("PLAINTEXT", SecurityProtocol::Plaintext)
                .listener("SASL_PLAINTEXT", SecurityProtocol::SaslPlaintext)
                .sasl(settings);
        }
        let cluster = match builder.build().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("kafka-testkit: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", cluster.bootstrap_servers());
        if sasl {
            if let Some(bootstrap) = cluster.bootstrap_servers_for("SASL_PLAINTEXT") {
                println!("SASL_PLAINTEXT={bootstrap}");
            }
        }
        if let Err(e) = shutdown_signal().await {
            eprintln!("kafka-testkit: cannot wait for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
        if let Err(e) = cluster.flush().await {
            eprintln!("kafka-testkit: flushing the data dir failed: {e}");
        }
        drop(cluster);
        ExitCode::SUCCESS
    })
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

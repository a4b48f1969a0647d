//! Runs the in-process broker as a standalone cluster until Ctrl-C (or SIGTERM).
//!
//! `kafka-testkit --port 9092 --brokers 3 [--partitions N] [--seed N] [--data-dir DIR]`:
//! broker `i` (1-based) listens on `port + i - 1`; the bootstrap address is printed on stdout.
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

use kafka_testkit::Cluster;

fn usage() -> &'static str {
    "usage: kafka-testkit [--port PORT] [--brokers N] [--partitions N] [--seed N] [--data-dir DIR]\n\
     \n\
     --port PORT      broker i (1-based) listens on 127.0.0.1:PORT+i-1 (default 9092; 0 picks free ports)\n\
     --brokers N      number of brokers (default 1)\n\
     --partitions N   partitions of auto-created topics, num.partitions (default 1)\n\
     --seed N         seed of every random choice: cluster id, topic ids, placement (default 0)\n\
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
}

fn parse() -> Result<Args, String> {
    let mut data_dir = None;
    let mut port = 9092u16;
    let mut brokers = 1;
    let mut partitions = 1;
    let mut seed = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--brokers" => brokers = value("--brokers")?.parse().map_err(|e| format!("--brokers: {e}"))?,
            "--partitions" => partitions = value("--partitions")?.parse().map_err(|e| format!("--partitions: {e}"))?,
            "--seed" => seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--data-dir" => data_dir = Some(value("--data-dir")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args { port, brokers, partitions, seed, data_dir })
}

fn main() -> ExitCode {
    let Args { port, brokers, partitions, seed, data_dir } = match parse() {
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
        let mut builder = Cluster::builder().brokers(brokers).default_partitions(partitions).seed(seed);
        if port != 0 {
            builder = builder.base_port(port);
        }
        if let Some(dir) = data_dir {
            builder = builder.data_dir(dir);
        }
        let cluster = match builder.build().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("kafka-testkit: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", cluster.bootstrap_servers());
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

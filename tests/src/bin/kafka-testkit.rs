//! Runs the in-process broker as a standalone cluster until Ctrl-C.
//!
//! `kafka-testkit --port 9092 --brokers 3 [--partitions N] [--seed N]`: broker `i` (1-based)
//! listens on `port + i - 1`; the bootstrap address is printed on stdout.

use std::process::ExitCode;

use kafka_testkit::Cluster;

fn usage() -> &'static str {
    "usage: kafka-testkit [--port PORT] [--brokers N] [--partitions N] [--seed N]\n\
     broker i (1-based) listens on 127.0.0.1:PORT+i-1; PORT 0 picks free ports"
}

fn parse() -> Result<(u16, i32, i32, u64), String> {
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
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((port, brokers, partitions, seed))
}

fn main() -> ExitCode {
    let (port, brokers, partitions, seed) = match parse() {
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
        let cluster = match builder.build().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("kafka-testkit: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", cluster.bootstrap_servers());
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("kafka-testkit: cannot wait for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
        drop(cluster);
        ExitCode::SUCCESS
    })
}

//! The Java client (kafka-clients) against the in-process broker. Uses the jars that
//! `tests/real-kafka/start.sh` caches (`$KAFKA_CACHE_DIR`, default
//! `~/.cache/kafka-sdk-real-kafka/<version>/libs`); skipped with a printed reason when Java
//! or the jars are absent.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use kafka_testkit::Cluster;

fn jar_dirs() -> Vec<(String, PathBuf)> {
    let root = std::env::var_os("KAFKA_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kafka-sdk-real-kafka")));
    let Some(root) = root else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir(&root) else { return Vec::new() };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path().join("libs")))
        .filter(|(_, libs)| libs.is_dir())
        .collect();
    out.sort();
    out
}

fn classpath(libs: &PathBuf) -> String {
    let mut jars: Vec<String> = std::fs::read_dir(libs)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path().display().to_string()).filter(|p| p.ends_with(".jar")).collect())
        .unwrap_or_default();
    jars.sort();
    jars.join(":")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_client_admin_idempotence_transactions_and_groups() {
    if Command::new("java").arg("-version").output().is_err() {
        println!("SKIPPED java_client_admin_idempotence_transactions_and_groups: no java on PATH");
        return;
    }
    let dirs = jar_dirs();
    if dirs.is_empty() {
        println!("SKIPPED java_client_admin_idempotence_transactions_and_groups: no kafka-clients jars cached (run tests/real-kafka/start.sh once)");
        return;
    }
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/java/JavaCheck.java");
    for (version, libs) in dirs {
        let protocols: &[&str] = if version.starts_with('3') { &["classic"] } else { &["classic", "consumer"] };
        for protocol in protocols {
            let cluster = Cluster::builder().brokers(3).seed(21).build().await.unwrap();
            let (cp, src, bootstrap, proto) = (classpath(&libs), source.clone(), cluster.bootstrap_servers(), protocol.to_string());
            let run = tokio::task::spawn_blocking(move || {
                Command::new("java").arg("-cp").arg(cp).arg(src).arg(bootstrap).arg(proto).output()
            });
            let out = tokio::time::timeout(Duration::from_secs(180), run).await.expect("java timed out").unwrap().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("PASS"),
                "kafka-clients {version} ({protocol}) failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            println!("kafka-clients {version} ({protocol}): PASS\n{stdout}");
        }
    }
}

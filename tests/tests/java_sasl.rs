//! The Java client (kafka-clients) re-authenticating in place (KIP-368) against the
//! in-process broker with PLAIN, SCRAM-SHA-256 and OAUTHBEARER (Kafka's unsecured JWT login
//! against our unsecured validator). Runs in real time (the Java client's clock): a 2 s
//! `connections.max.reauth.ms` and 6 s of producing. Uses the jars that
//! `tests/real-kafka/start.sh` caches; skipped with a printed reason when Java or the jars
//! are absent.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use kafka_testkit::{ApiKey, Cluster, OAuthBearerValidator, SaslSettings};

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
async fn java_client_reauthenticates_in_place() {
    const NAME: &str = "java_client_reauthenticates_in_place";
    if Command::new("java").arg("-version").output().is_err() {
        println!("SKIPPED {NAME}: no java on PATH");
        return;
    }
    // The newest cached kafka-clients is enough: re-authentication is the same since 2.2.
    let Some((version, libs)) = jar_dirs().pop() else {
        println!("SKIPPED {NAME}: no kafka-clients jars cached (run tests/real-kafka/start.sh once)");
        return;
    };
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/java/JavaReauth.java");
    for mechanism in ["PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"] {
        let cluster = Cluster::builder()
            .topic("reauth", 1, 1)
            .seed(23)
            .sasl(
                SaslSettings::new()
                    .user("alice", "alice-secret")
                    .connections_max_reauth_ms(2_000)
                    .oauthbearer(OAuthBearerValidator::new().required_scope(["kafka"])),
            )
            .build()
            .await
            .unwrap();
        let (cp, src, bootstrap) = (classpath(&libs), source.clone(), cluster.bootstrap_servers());
        let run = tokio::task::spawn_blocking(move || {
            Command::new("java").arg("-cp").arg(cp).arg(src).arg(bootstrap).arg(mechanism).arg("6").output()
        });
        let out = tokio::time::timeout(Duration::from_secs(120), run).await.expect("java timed out").unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("PASS"),
            "kafka-clients {version} {mechanism} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // In-place re-authentication: some connection sent several SaslHandshakes.
        let mut handshakes: BTreeMap<u64, usize> = BTreeMap::new();
        for request in cluster.requests_matching(ApiKey::SaslHandshake).await.unwrap() {
            *handshakes.entry(request.connection).or_default() += 1;
        }
        let most = handshakes.values().copied().max().unwrap_or(0);
        assert!(most >= 2, "kafka-clients {version} {mechanism}: no connection re-authenticated: {handshakes:?}");
        println!("kafka-clients {version} {mechanism}: PASS, up to {most} logins on one connection\n{stdout}");
    }
}

//! The standalone `kafka-testkit` binary as a child process, and kcat runs with a time limit.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The standalone broker process; killed (and reaped) when dropped, so a failing test never
/// leaves it running.
pub(crate) struct BrokerProcess {
    child: Child,
    /// The lines it printed on start: the bootstrap address first, then `LISTENER=bootstrap`.
    pub(crate) lines: Vec<String>,
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl BrokerProcess {
    /// Starts the binary with `args` and reads `lines` lines of its stdout (EOF means it
    /// exited, which fails the test).
    pub(crate) fn start(args: &[&str], lines: usize) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_kafka-testkit"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the kafka-testkit binary");
        let mut process = Self { child, lines: Vec::new() };
        let stdout = process.child.stdout.take().expect("piped stdout");
        let mut reader = std::io::BufReader::new(stdout);
        for _ in 0..lines {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read a start-up line");
            assert!(!line.is_empty(), "the broker exited before printing {lines} lines: {:?}", process.lines);
            process.lines.push(line.trim().to_owned());
        }
        process
    }

    /// Starts the binary on `port` (one broker, one partition per new topic) with `dir` as
    /// its data dir and checks the bootstrap line.
    pub(crate) fn start_on(port: u16, dir: &Path) -> Self {
        let dir = dir.to_str().expect("a UTF-8 temp dir");
        let process = Self::start(&["--port", &port.to_string(), "--partitions", "1", "--data-dir", dir], 1);
        assert_eq!(process.lines[0], format!("127.0.0.1:{port}"), "the broker did not start");
        process
    }

    /// Kills the process without letting it flush (as a crash would).
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill the broker");
        self.child.wait().expect("reap the broker");
    }
}

/// Whether `kcat` runs here.
pub(crate) fn kcat_available() -> bool {
    Command::new("kcat").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Runs kcat with a 60-second limit: (success, stdout, stderr).
pub(crate) fn kcat_output(args: &[&str], input: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new("kcat")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kcat");
    if let Some(input) = input {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write to kcat");
    }
    drop(child.stdin.take());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for kcat") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kcat {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), out.join().expect("kcat stdout"), err.join().expect("kcat stderr"))
}

/// Runs kcat with a 60-second limit and returns its stdout; fails the test if kcat fails.
pub(crate) fn kcat_run(args: &[&str], input: Option<&str>) -> String {
    let (ok, out, err) = kcat_output(args, input);
    assert!(ok, "kcat {args:?} failed: {err}");
    out
}

//! The `anomaly-sink` binary as a real process: flags, exit codes, /healthz, SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anomaly-sink");
const TOKEN: &str = "binary-test-token-5150";

/// A sink process that is killed if a test fails before it stops.
struct SinkProcess(Child);

impl Drop for SinkProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts the sink on a free port; returns the process, its base URL and the rest of stderr.
fn spawn(dir: &tempfile::TempDir) -> (SinkProcess, String, mpsc::Receiver<String>) {
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("# tokens\n{TOKEN}\n")).unwrap();
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--threads", "2"])
        .arg("--db")
        .arg(dir.path().join("sink.db"))
        .env("ANOMALY_SINK_TOKENS", &tokens)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                if let Some((_, rest)) = line.split_once("listening on ") {
                    break rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                }
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the sink did not log where it listens");
            }
        }
    };
    (SinkProcess(child), url, rx)
}

fn get(url: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent.get(url).call().unwrap().status().as_u16()
}

#[test]
fn serves_healthz_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut sink, base_url, stderr) = spawn(&dir);
    let child = &mut sink.0;
    let root = base_url.trim_end_matches("/api/v1");
    assert_eq!(get(&format!("{root}/healthz")), 200);
    assert_eq!(get(&format!("{base_url}/edge/anomalies")), 401);

    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let status = agent
        .post(format!("{base_url}/edge/anomalies"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send(r#"{"sourceType": "log", "description": "kept across SIGTERM"}"#)
        .unwrap()
        .status();
    assert_eq!(status, 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the sink did not stop within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
    let log: Vec<String> = stderr.try_iter().collect();
    let log = log.join("\n");
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("stopped; database closed"), "{log}");
    assert!(log.contains("status=201"), "request log: {log}");
    assert!(!log.contains(TOKEN), "the token reached the log: {log}");

    let store = anomaly_sink::Store::open(&dir.path().join("sink.db")).unwrap();
    assert_eq!(store.count().unwrap(), 1);
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("ANOMALY_SINK_TOKENS")
        .env_remove("ANOMALY_SINK_LISTEN")
        .env_remove("ANOMALY_SINK_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), out, err)
}

#[test]
fn exit_codes_for_help_usage_and_configuration() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    for flag in [
        "--listen",
        "--db",
        "--tokens",
        "--max-body-bytes",
        "--threads",
        "ANOMALY_SINK_TOKENS",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}: {out}");
    }

    let (code, _, err) = run(&["--threads", "0", "--tokens", "x"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(&["--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "a missing --tokens is a usage error: {err}");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-tokens");
    let (code, _, err) = run(&[
        "--listen",
        "127.0.0.1:0",
        "--tokens",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("cannot read the tokens file"), "{err}");

    let db_in_missing_dir = dir.path().join("no/such/dir/sink.db");
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, "t-1\n").unwrap();
    let (code, _, err) = run(&[
        "--listen",
        "127.0.0.1:0",
        "--tokens",
        tokens.to_str().unwrap(),
        "--db",
        db_in_missing_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("cannot open the database"), "{err}");
}

//! Load measurement: concurrent clients submitting anomalies to a real sink process.
//!
//! ```text
//! cargo build --release -p anomaly-sink
//! cargo run --release -p anomaly-client --example sink_load -- \
//!     --sink-bin target/release/anomaly-sink --clients 8 --requests 4000
//! ```
//!
//! With `--sink-bin` it starts the sink itself (fresh database in a temporary folder, port
//! picked by the sink, 8 worker threads) and stops it with SIGTERM at the end; with
//! `--url URL` (token from `ANOMALY_API_TOKEN`) it loads a sink that is already running.
//! Only loopback URLs make sense: the client refuses plain http elsewhere.

use anomaly_client::{Client, ClientConfig};
use pump_core::{AnomalyKey, AnomalyPayload, Parameter, Timestamp, event_id};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    sink_bin: Option<String>,
    url: Option<String>,
    clients: usize,
    requests: usize,
    sink_threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        sink_bin: None,
        url: None,
        clients: 8,
        requests: 4000,
        sink_threads: 8,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--sink-bin" => args.sink_bin = Some(value()?),
            "--url" => args.url = Some(value()?),
            "--clients" => {
                args.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?
            }
            "--requests" => {
                args.requests = value()?.parse().map_err(|e| format!("--requests: {e}"))?
            }
            "--sink-threads" => {
                args.sink_threads = value()?
                    .parse()
                    .map_err(|e| format!("--sink-threads: {e}"))?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.sink_bin.is_none() == args.url.is_none() {
        return Err("give exactly one of --sink-bin PATH or --url URL".into());
    }
    Ok(args)
}

fn anomaly(client: usize, n: usize) -> AnomalyPayload {
    let t = Timestamp::from_unix_seconds(1_731_900_000 + (client * 1_000_000 + n) as i64 * 60);
    let key = AnomalyKey::Parameter(Parameter::Flow);
    serde_json::from_value(serde_json::json!({
        "sourceType": "log",
        "description": "Flow exceeded 15.0% (threshold: 10%)",
        "siteId": 35482, "pumpId": client as i64 + 1, "sensorId": 101,
        "timestamp": t.to_string(), "logValue": 575.0,
        "additionalContext": {
            "event_id": event_id(35482, client as i64 + 1, key, t), "parameter": "flow",
            "status": "Warning", "tolerance_category": "1U",
            "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2},
            "baseline_values": {"flow": 500.0, "head": 150.0, "power": 75.0, "efficiency": 85.5},
            "current_values": {"flow": 575.0, "head": 154.8, "power": 81.375, "efficiency": 84.474}
        },
        "metadata": {"modelName": "pump-anomaly-detector", "modelVersion": "1.0.0",
                     "confidence": 0.87, "prediction_rul_days": 12.5, "framework": "smartcore"}
    }))
    .expect("valid payload")
}

fn spawn_sink(bin: &str, dir: &std::path::Path, threads: usize) -> (Child, String) {
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, "load-test-token\n").expect("write tokens");
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--threads", &threads.to_string()])
        .arg("--db")
        .arg(dir.join("sink.db"))
        .arg("--tokens")
        .arg(&tokens)
        // As deployed: one request log line per submission on stderr.
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the sink");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("sink exited early")
            .expect("read stderr");
        if let Some((_, url)) = line.split_once("listening on ") {
            break url
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    // Keep draining stderr so the sink never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sink_load: {e}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, url, token) = match (&args.sink_bin, &args.url) {
        (Some(bin), _) => {
            let (child, url) = spawn_sink(bin, dir.path(), args.sink_threads);
            (Some(child), url, "load-test-token".to_string())
        }
        (None, Some(url)) => (
            None,
            url.clone(),
            std::env::var("ANOMALY_API_TOKEN").unwrap_or_default(),
        ),
        (None, None) => unreachable!("checked in parse_args"),
    };
    let config = ClientConfig {
        retry_attempts: 1,
        ..ClientConfig::new(&url, &token)
    };
    let per_client = args.requests.div_ceil(args.clients);
    let started = Instant::now();
    let mut samples: Vec<(Duration, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.clients)
            .map(|c| {
                let client = Client::new(config.clone()).expect("client config");
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(per_client);
                    for n in 0..per_client {
                        let payload = anomaly(c, n);
                        let t = Instant::now();
                        client.submit(&payload).expect("submit");
                        lat.push((t.elapsed(), c, n));
                    }
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    let wall = started.elapsed();
    samples.sort();
    let latencies: Vec<Duration> = samples.iter().map(|s| s.0).collect();
    let n = latencies.len();
    println!(
        "{n} submissions by {} clients in {:.2} s: {:.0} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        args.clients,
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies[n - 1].as_secs_f64() * 1000.0,
    );
    for (latency, c, n) in samples.iter().rev().take(3) {
        println!(
            "  slow: client {c} request {n}: {:.2} ms",
            latency.as_secs_f64() * 1000.0
        );
    }
    if let Some(child) = child.as_mut() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().expect("wait for the sink");
        println!("sink stopped: {status}");
    }
}

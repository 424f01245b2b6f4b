//! Chaos run: many hourly edge runs over a simulated pump's data against a real anomaly-sink
//! process, while edge-infer is killed (SIGKILL) at random moments and the sink is stopped
//! and started; then the sink must hold every anomaly the backtest of the same data says
//! should be reported, exactly once.
//!
//! `scripts/chaos.sh` builds the release binaries and runs this; see docs/RELIABILITY.md.
//!
//! ```text
//! cargo run --release -p edge-infer --example chaos -- EDGE_INFER ANOMALY_SINK [HOURS] [SEED]
//! ```

use anomaly_client::{Client, ClientConfig, QueryFilter, SortDirection};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "chaos-token";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: chaos EDGE_INFER ANOMALY_SINK [HOURS (default: all the pump's data)] [SEED (default 1)]"
        );
        std::process::exit(2);
    }
    let edge = PathBuf::from(&args[1]);
    let sink_bin = PathBuf::from(&args[2]);
    let hours: usize = args
        .get(3)
        .map_or(usize::MAX, |s| s.parse().expect("HOURS"));
    let seed: u64 = args.get(4).map_or(1, |s| s.parse().expect("SEED"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();

    // A fleet to train on and one degrading pump to watch (different seeds).
    eprintln!("simulating and training…");
    let training =
        pump_sim::simulate_fleet(&pump_sim::FleetConfig::new(seed + 100, 20, 90)).expect("fleet");
    let training_dir = root.join("training");
    let written = training.write_to(&training_dir).expect("write fleet");
    let fleet = packaging::load_fleet(
        &written.baseline,
        &written.operational,
        &written.failures,
        time::UtcOffset::UTC,
    )
    .expect("read fleet");
    let model = packaging::train_fleet(&fleet, &pump_model::TrainConfig::default(), &|_| {})
        .expect("train");
    let watched =
        pump_sim::simulate_fleet(&pump_sim::FleetConfig::new(seed, 6, 60)).expect("fleet");
    let watched_dir = root.join("watched");
    let w = watched.write_to(&watched_dir).expect("write");
    // The first pump that degrades and fails inside the window.
    let truth = watched.ground_truth();
    let index = truth
        .pumps
        .iter()
        .position(|p| p.failed_in_window)
        .or_else(|| truth.pumps.iter().position(|p| p.mode.is_some()))
        .unwrap_or(0);
    let pump_id = truth.pumps[index].id.clone();
    let full_csv = std::fs::read_to_string(&w.operational[index]).expect("csv");
    let lines: Vec<&str> = full_csv.lines().collect();
    let hours = hours.min(lines.len() - 1);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let deployment = root.join("deployment_config.json");
    std::fs::write(
        &deployment,
        format!(
            r#"{{"api": {{"base_url": "http://127.0.0.1:{port}/api/v1", "bearer_token": "${{ANOMALY_API_TOKEN}}",
                 "retry_attempts": 2, "retry_delay_seconds": 0.02, "timeout_seconds": 2}},
               "site_info": {{"site_id": 1, "pump_id": {}, "sensor_ids": {{"flow": 1, "head": 2, "power": 3, "efficiency": 4}}}},
               "anomaly_reporting": {{"enabled": true, "debounce_minutes": 60}},
               "inference_settings": {{"min_data_points_for_ml": 168, "results_retention_days": 30}}}}"#,
            index + 1
        ),
    )
    .expect("write config");
    let artifact = root.join("artifact.zip");
    packaging::package(
        &packaging::PackageRequest {
            pump: &pump_id,
            baseline_csv: &w.baseline,
            version: "1.0.0",
            tolerance_category: None,
            tolerances: None,
            column_mapping: None,
            deployment_config: Some(&deployment),
            binary: None,
            model: packaging::ModelSource::Trained(Box::new(model)),
            tool: "chaos",
        },
        &artifact,
    )
    .expect("package");

    let tokens = root.join("tokens");
    std::fs::write(&tokens, format!("{TOKEN}\n")).expect("tokens");
    let db = root.join("sink.db");
    let start_sink = || -> Child {
        let child = Command::new(&sink_bin)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(&db)
            .arg("--tokens")
            .arg(&tokens)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sink");
        // Ready when it answers.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "sink did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        child
    };
    let stop_sink = |mut child: Child| {
        // SIGTERM: a clean stop, as an operator's restart would do.
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let _ = child.wait();
    };

    let state = root.join("state");
    let csv = root.join("sensor.csv");
    let out = root.join("results.json");
    let edge_run = |extra: &[&str]| {
        let mut c = Command::new(&edge);
        c.arg("--artifact")
            .arg(&artifact)
            .arg("--state-dir")
            .arg(&state)
            .args(extra)
            .arg(&csv)
            .arg(&out)
            .arg("--quiet")
            .env("ANOMALY_API_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };

    eprintln!(
        "{hours} hourly runs of {pump_id} ({:?})…",
        truth.pumps[index].mode
    );
    let mut sink = Some(start_sink());
    let (mut runs, mut kills, mut outages, mut down_runs) = (0usize, 0usize, 0usize, 0usize);
    let mut typical = Duration::from_millis(20);
    let mut outage_left = 0usize;
    for hour in 1..=hours {
        let mut text = lines[..=hour].join("\n");
        text.push('\n');
        std::fs::write(&csv, text).expect("csv");
        // Outages: the sink goes away for a few hours now and then.
        if outage_left == 0 && sink.is_some() && rng.random_bool(0.02) {
            stop_sink(sink.take().expect("running"));
            outages += 1;
            outage_left = rng.random_range(2..8);
        }
        if sink.is_none() {
            if outage_left == 0 {
                sink = Some(start_sink());
            } else {
                outage_left -= 1;
                down_runs += 1;
            }
        }
        runs += 1;
        let started = Instant::now();
        let mut child = edge_run(&[]).spawn().expect("edge-infer");
        if rng.random_bool(0.12) {
            std::thread::sleep(typical.mul_f64(rng.random_range(0.0..1.0)));
            if child.try_wait().expect("wait").is_none() {
                child.kill().expect("SIGKILL");
                kills += 1;
            }
        }
        let status = child.wait().expect("wait");
        if status.success() {
            typical = started.elapsed();
        }
    }
    if sink.is_none() {
        sink = Some(start_sink());
    }
    // Final run, uninterrupted, with the sink up.
    let status = edge_run(&[]).status().expect("edge-infer");
    assert!(status.success(), "final run failed");

    // What should have been reported: the backtest of the same data.
    let backtest = root.join("backtest.jsonl");
    let status = Command::new(&edge)
        .arg("--artifact")
        .arg(&artifact)
        .args(["--backtest", "--quiet"])
        .arg(&csv)
        .arg(&backtest)
        .status()
        .expect("backtest");
    assert!(status.success());
    let mut expected: Vec<String> = Vec::new();
    for line in std::fs::read_to_string(&backtest).expect("read").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        for a in v["anomalies"].as_array().into_iter().flatten() {
            expected.push(a["event_id"].as_str().unwrap_or_default().to_string());
        }
    }
    expected.sort();

    let client = Client::new(ClientConfig::new(
        format!("http://127.0.0.1:{port}/api/v1"),
        TOKEN,
    ))
    .expect("client");
    let filter = QueryFilter {
        page_size: 1000,
        sort: SortDirection::Asc,
        ..QueryFilter::default()
    };
    let mut at_sink: BTreeMap<String, usize> = BTreeMap::new();
    for a in client.query_all(&filter, None) {
        let a = a.expect("query");
        let id = a.raw["additionalContext"]["event_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *at_sink.entry(id).or_default() += 1;
    }
    stop_sink(sink.take().expect("running"));
    let lost = expected
        .iter()
        .filter(|id| !at_sink.contains_key(*id))
        .count();
    let duplicated = at_sink.values().filter(|n| **n > 1).count();
    let unexpected = at_sink
        .keys()
        .filter(|id| expected.binary_search(id).is_err())
        .count();
    let spooled = std::fs::read_dir(state.join("unsent_anomalies"))
        .map(|d| d.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0);

    println!(
        "| runs | SIGKILLs | sink outages | runs with the sink down | anomalies expected | at the sink | lost | duplicated | unexpected | left in spool |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {runs} | {kills} | {outages} | {down_runs} | {} | {} | {lost} | {duplicated} | {unexpected} | {spooled} |",
        expected.len(),
        at_sink.len()
    );
    if lost + duplicated + unexpected + spooled > 0 {
        std::process::exit(1);
    }
}

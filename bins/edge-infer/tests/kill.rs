//! SIGKILL at random moments during hourly runs never leaves a corrupt state, a half file,
//! a lost anomaly or a duplicate at the sink: after the storm, the sink holds exactly the
//! anomalies that a backtest of the same data says should be reported.

mod common;
use common::*;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Hourly readings that wander between Normal, Warning, Critical and Failure.
fn readings(n: usize, rng: &mut rand::rngs::StdRng) -> Vec<String> {
    (0..n)
        .map(|h| {
            let t = format!("2024-11-{:02} {:02}:00:00", 1 + h / 24, h % 24);
            let flow: f64 = 500.0 * (1.0 + rng.random_range(-0.02..0.2));
            let head: f64 = 150.0 * (1.0 + rng.random_range(-0.02..0.09));
            let power: f64 = 75.0 * (1.0 + rng.random_range(-0.05..0.14));
            let eff: f64 = 85.5 * (1.0 + rng.random_range(-0.03..0.01));
            row(
                &t,
                flow.round(),
                head.round(),
                power.round(),
                (eff * 10.0).round() / 10.0,
            )
        })
        .collect()
}

fn event_ids_from_backtest(site: &Site) -> Vec<String> {
    let out = site.dir.path().join("backtest.jsonl");
    let status = site
        .command_with(&site.artifact, &out)
        .args(["--backtest", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut ids = Vec::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for a in v["anomalies"].as_array().unwrap() {
            ids.push(a["event_id"].as_str().unwrap().to_string());
        }
    }
    ids.sort();
    ids
}

fn no_temp_files(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |d| {
        d.flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with(".tmp-"))
    })
}

#[test]
fn sigkill_storm_loses_nothing_and_duplicates_nothing() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20241118);
    let mut site = Site::new();
    site.start_sink();
    let all = readings(120, &mut rng);

    // How long one run takes here, to aim the kills inside runs.
    site.write_csv(&all[..1]);
    let started = Instant::now();
    assert!(site.run(&["--quiet"]).status.success());
    let typical = started.elapsed().max(Duration::from_millis(5));

    let (mut kills, mut completed, mut iterations) = (0, 1, 0);
    let mut upto = 1;
    while kills < 50 && iterations < 400 {
        iterations += 1;
        // New readings arrive now and then, as the hourly export grows.
        if rng.random_bool(0.5) && upto < all.len() {
            upto += rng.random_range(1..4).min(all.len() - upto);
        }
        site.write_csv(&all[..upto]);
        let mut child = site.command().arg("--quiet").spawn().unwrap();
        if rng.random_bool(0.15) {
            assert!(child.wait().unwrap().success());
            completed += 1;
            continue;
        }
        let delay = typical.mul_f64(rng.random_range(0.0..1.2));
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        } else {
            completed += 1;
        }
        let _ = child.wait();
    }
    assert!(
        kills >= 50,
        "only {kills} kills landed in {iterations} runs"
    );

    // The storm is over: the whole file, run to completion.
    site.write_csv(&all);
    let out = site.run(&["--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(site.spool_files().is_empty(), "everything delivered");
    assert!(no_temp_files(&site.state) && no_temp_files(&site.state.join("unsent_anomalies")));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.state.join("edge_state.json")).unwrap())
            .unwrap();
    assert_eq!(state["last_processed"], "2024-11-05T23:00:00Z");

    let expected = event_ids_from_backtest(&site);
    assert!(
        expected.len() > 100,
        "the data raises many anomalies: {}",
        expected.len()
    );
    let mut at_sink: BTreeMap<String, usize> = BTreeMap::new();
    for a in site.at_sink() {
        let id = a.raw["additionalContext"]["event_id"]
            .as_str()
            .unwrap()
            .to_string();
        *at_sink.entry(id).or_default() += 1;
    }
    let duplicated: Vec<&String> = at_sink
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    assert!(
        duplicated.is_empty(),
        "duplicates at the sink: {duplicated:?}"
    );
    let got: Vec<String> = at_sink.into_keys().collect();
    assert_eq!(
        got, expected,
        "the sink holds exactly what the backtest reports"
    );
    eprintln!(
        "{iterations} runs: {kills} killed, {completed} completed; {} anomalies, none lost or duplicated",
        expected.len()
    );
}

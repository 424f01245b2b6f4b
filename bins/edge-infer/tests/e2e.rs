//! edge-infer end to end: a packaged artifact, edge-infer as a real process, the real
//! anomaly-sink on loopback, and the sink's API to see what arrived (SPEC §3.3–§3.7, §5, §6).

mod common;
use common::*;

const T0: &str = "2024-11-18 14:32:00";

fn worked_example(time: &str) -> String {
    row(time, 575.0, 154.8, 81.375, 84.474)
}

fn descriptions(site: &Site) -> Vec<String> {
    site.at_sink()
        .iter()
        .map(|a| a.description().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn worked_example_then_debounce_escalation_and_reset_at_the_sink() {
    let mut site = Site::new();
    site.start_sink();

    // The worked example: Warning, flow and efficiency reported.
    site.write_csv(&[worked_example(T0)]);
    let out = site.run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = site.results();
    assert_eq!(r["status"], "Warning");
    assert_eq!(r["deviations"]["flow"], 15.0);
    assert_eq!(r["violations"]["flow"]["severity"], 1.5);
    assert_eq!(r["violations"]["efficiency"]["threshold_type"], "min");
    assert_eq!(r["reported_to_api"], true);
    assert_eq!(
        descriptions(&site),
        vec![
            "Flow exceeded 15.0% (threshold: 10%)",
            "Efficiency fell to -1.2% (threshold: 0%)"
        ]
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("latest 2024-11-18T14:32:00Z: Warning"),
        "{stdout}"
    );

    // The same violation 30 minutes later: debounced.
    site.write_csv(&[worked_example(T0), worked_example("2024-11-18 15:02:00")]);
    let out = site.run(&[]);
    assert!(out.status.success());
    let r = site.results();
    assert_eq!(r["status"], "Warning");
    assert_eq!(r["anomalies"]["new"].as_array().unwrap().len(), 0);
    assert_eq!(r["reported_to_api"], false);
    assert_eq!(site.at_sink().len(), 2);

    // An escalation to Critical (flow +16 %: severe) is reported at once.
    site.write_csv(&[row("2024-11-18 15:12:00", 580.0, 150.0, 75.0, 85.5)]);
    let out = site.run(&[]);
    assert!(out.status.success());
    assert_eq!(site.results()["status"], "Critical");
    assert_eq!(site.results()["reported_to_api"], true);
    assert_eq!(site.at_sink().len(), 3);

    // A Normal reading resets the timers: the Warning right after it is reported again.
    site.write_csv(&[
        row("2024-11-18 15:20:00", 500.0, 150.0, 75.0, 85.5),
        worked_example("2024-11-18 15:25:00"),
    ]);
    let out = site.run(&[]);
    assert!(out.status.success());
    let r = site.results();
    let statuses: Vec<&str> = r["evaluated_readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["Normal", "Warning"]);
    assert_eq!(site.at_sink().len(), 5);
    // Every anomaly at the sink carries its event id, once.
    let mut ids: Vec<String> = site
        .at_sink()
        .iter()
        .map(|a| {
            a.raw["additionalContext"]["event_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[test]
fn with_the_sink_down_anomalies_wait_in_the_spool_and_arrive_exactly_once() {
    let mut site = Site::new();
    site.write_csv(&[worked_example(T0)]);
    let out = site.run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = site.results();
    assert_eq!(r["reported_to_api"], false);
    assert_eq!(r["anomalies"]["spooled"].as_array().unwrap().len(), 2);
    assert_eq!(site.spool_files().len(), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("check the network") || stderr.contains("kept in the spool"),
        "{stderr}"
    );

    // The sink is back: the next run delivers the spool, oldest first, exactly once.
    site.start_sink();
    site.write_csv(&[
        worked_example(T0),
        row("2024-11-18 15:40:00", 500.0, 150.0, 75.0, 85.5),
    ]);
    let out = site.run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r = site.results();
    assert_eq!(r["anomalies"]["resent"].as_array().unwrap().len(), 2);
    assert!(site.spool_files().is_empty());
    assert_eq!(
        descriptions(&site),
        vec![
            "Flow exceeded 15.0% (threshold: 10%)",
            "Efficiency fell to -1.2% (threshold: 0%)"
        ]
    );
    // And a run after that sends nothing again.
    let out = site.run(&[]);
    assert!(out.status.success());
    assert_eq!(site.at_sink().len(), 2);
}

#[test]
fn bad_csvs_exit_3_naming_the_file_and_line() {
    let site = Site::new();
    std::fs::write(&site.csv, format!("{HEADER}\nsoon,Well 1,1,2,3,4,5,6\n")).unwrap();
    let out = site.run(&[]);
    assert_eq!(out.status.code(), Some(3));
    let e = text(&out.stderr);
    assert!(
        e.contains(&path_str(&site.csv)) && e.contains("line 2") && e.contains("soon"),
        "{e}"
    );

    std::fs::write(&site.csv, "time,flow\n2024-01-01,5\n").unwrap();
    let out = site.run(&[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("no timestamp column"));

    std::fs::remove_file(&site.csv).unwrap();
    let out = site.run(&[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!site.out.exists(), "no results for a failed run");
}

#[test]
fn artifact_and_configuration_errors_exit_4() {
    let site = Site::new();
    site.write_csv(&[worked_example(T0)]);
    // A tampered artifact.
    let mut bytes = std::fs::read(&site.artifact).unwrap();
    let n = bytes.len();
    bytes.truncate(n - 10);
    let broken = site.dir.path().join("broken.zip");
    std::fs::write(&broken, bytes).unwrap();
    let out = site.command_with(&broken, &site.out).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    // ${ANOMALY_API_TOKEN} unset and no override.
    let out = site
        .command()
        .env_remove("ANOMALY_API_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let e = text(&out.stderr);
    assert!(
        e.contains("environment variable ANOMALY_API_TOKEN is not set"),
        "{e}"
    );
    // Usage errors are 2.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_edge-infer"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_token_never_reaches_output_logs_or_results() {
    let mut site = Site::new();
    site.start_sink();
    site.write_csv(&[worked_example(T0)]);
    let out = site.run(&["-vv"]);
    assert!(out.status.success());
    for (what, bytes) in [
        ("stdout", out.stdout.clone()),
        ("stderr", out.stderr.clone()),
        ("results", std::fs::read(&site.out).unwrap()),
        (
            "state",
            std::fs::read(site.state.join("edge_state.json")).unwrap(),
        ),
    ] {
        assert!(!text(&bytes).contains(TOKEN), "token in {what}");
    }
    // A wrong token: 401, anomalies kept, the hint in the log, still no token.
    let mut c = site.command();
    c.env("ANOMALY_API_TOKEN", "wrong-token-123");
    site.write_csv(&[worked_example(T0), worked_example("2024-11-18 16:00:00")]);
    let out = c.output().unwrap();
    assert!(out.status.success());
    let e = text(&out.stderr);
    assert!(
        e.contains("401 Unauthorized") && e.contains("ANOMALY_API_TOKEN"),
        "{e}"
    );
    assert!(!e.contains("wrong-token-123"));
    assert_eq!(site.spool_files().len(), 2);
}

#[test]
fn backtest_writes_json_lines_and_sends_nothing() {
    let mut site = Site::new();
    site.start_sink();
    site.write_csv(&[
        worked_example(T0),
        worked_example("2024-11-18 15:02:00"),
        row("2024-11-18 15:10:00", 0.0, 20.0, 0.0, 0.0),
        worked_example("2024-11-18 15:45:00"),
    ]);
    let out = site.run(&["--backtest"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&site.out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let counts: Vec<usize> = lines
        .iter()
        .map(|l| l["anomalies"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, vec![2, 0, 2], "the off reading has no line");
    assert!(site.at_sink().is_empty());
    assert!(
        !site.state.join("edge_state.json").exists(),
        "a backtest keeps no state"
    );
}

#[test]
fn two_concurrent_runs_on_one_state_both_finish_correctly() {
    let mut site = Site::new();
    site.start_sink();
    let rows: Vec<String> = (0..48)
        .map(|h| {
            row(
                &format!("2024-11-{:02} {:02}:00:00", 18 + h / 24, h % 24),
                575.0,
                154.8,
                81.375,
                84.474,
            )
        })
        .collect();
    site.write_csv(&rows);
    let out2 = site.dir.path().join("results2.json");
    let mut a = site.command().arg("--quiet").spawn().unwrap();
    let mut b = site
        .command_with(&site.artifact, &out2)
        .arg("--quiet")
        .spawn()
        .unwrap();
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let r1 = site.results();
    let r2: serde_json::Value = serde_json::from_slice(&std::fs::read(&out2).unwrap()).unwrap();
    let n1 = r1["evaluated_readings"].as_array().unwrap().len();
    let n2 = r2["evaluated_readings"].as_array().unwrap().len();
    assert_eq!(
        n1 + n2,
        48,
        "one run evaluated everything, the other found it done"
    );
    assert!(n1 == 0 || n2 == 0);
    // 48 hourly Warnings with a 60-minute window: flow and efficiency every hour.
    assert_eq!(site.at_sink().len(), 96);
}

#[test]
fn a_run_that_sends_nothing_needs_no_token() {
    let site = Site::new();
    site.write_csv(&[worked_example(T0)]);
    for flag in ["--backtest", "--no-report"] {
        let out = site
            .command()
            .env_remove("ANOMALY_API_TOKEN")
            .arg(flag)
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
    }
    assert_eq!(
        site.spool_files().len(),
        2,
        "--no-report keeps the anomalies for later"
    );
}

#[test]
fn without_a_configured_token_the_run_evaluates_and_keeps_anomalies() {
    // The original system's template token, and no ANOMALY_API_TOKEN in the environment.
    let site = Site::with_token_field("YOUR_EDGE_AI_API_TOKEN_HERE");
    site.write_csv(&[worked_example(T0)]);
    let out = site
        .command()
        .env_remove("ANOMALY_API_TOKEN")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("API client not configured"));
    let r = site.results();
    assert_eq!(r["status"], "Warning");
    assert_eq!(r["reported_to_api"], false);
    assert!(
        r["anomalies"]["delivery_stopped"]
            .as_str()
            .unwrap()
            .starts_with("API client not configured")
    );
    assert_eq!(site.spool_files().len(), 2);
}

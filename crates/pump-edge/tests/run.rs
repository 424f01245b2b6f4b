//! The hourly run against real files in a temporary state directory, with a recording
//! submitter standing in for the network (the real client and sink are exercised end to end
//! by edge-infer's tests).

use pump_core::*;
use pump_edge::*;
use std::cell::RefCell;
use std::path::Path;
use time::UtcOffset;

/// Answers from a script, and records what it was asked.
struct Scripted {
    answers: RefCell<Vec<Result<(), DeliveryFailure>>>,
    seen: RefCell<Vec<String>>,
}

impl Scripted {
    fn always_ok() -> Scripted {
        Scripted::new(vec![])
    }
    fn new(answers: Vec<Result<(), DeliveryFailure>>) -> Scripted {
        Scripted {
            answers: RefCell::new(answers),
            seen: RefCell::new(Vec::new()),
        }
    }
    fn seen(&self) -> Vec<String> {
        self.seen.borrow().clone()
    }
}

impl Submitter for Scripted {
    fn submit(&self, payload: &AnomalyPayload) -> Result<(), DeliveryFailure> {
        self.seen.borrow_mut().push(payload.description.clone());
        let mut a = self.answers.borrow_mut();
        if a.is_empty() { Ok(()) } else { a.remove(0) }
    }
}

fn engine() -> EdgeEngine<'static> {
    let mut baseline = Baseline::new("Well 1", 500.0, 150.0, 75.0, 85.5);
    baseline.application = Some("Municipal Water and Wastewater".into());
    EdgeEngine {
        evaluator: Evaluator {
            grade: ToleranceTable::builtin().grade("1U").unwrap().clone(),
            running: RunningRule::default_for(None),
            baseline,
            allowance: ParameterValues::empty(),
        },
        site: SiteInfo {
            site_id: 35482,
            pump_id: 1,
            sensor_ids: ParameterValues {
                flow: Some(101),
                head: Some(102),
                power: Some(103),
                efficiency: Some(104),
            },
        },
        model_info: ModelInfo {
            name: "pump-anomaly-detector".into(),
            version: "1.0.0".into(),
        },
        reporting: ReportingRules::default(),
        reporting_enabled: true,
        min_data_points_for_ml: 168,
        retention_days: 30,
        predictor: None,
    }
}

const HEADER: &str =
    "timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Motor Power (hp),Pump Efficiency (%)\n";

fn csv(rows: &[&str]) -> SensorData {
    let mut text = HEADER.to_string();
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    read_sensor_csv(text.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC).unwrap()
}

const WORKED: &str = "2024-11-18 14:32:00,Well 1,575,154.8,81.375,84.474";

fn run(dir: &Path, data: &SensorData, submitter: Option<&dyn Submitter>) -> RunResults {
    run_hourly(
        &engine(),
        data,
        &RunOptions {
            state_dir: dir,
            spool_max_files: 100,
            submitter,
            not_sending_because: "no submitter in this test",
        },
    )
    .unwrap()
}

fn spool_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("unsent_anomalies"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn worked_example_reports_flow_and_efficiency_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Scripted::always_ok();
    let r = run(dir.path(), &csv(&[WORKED]), Some(&sink));
    assert_eq!(r.status, Some(Status::Warning));
    assert!(r.reported_to_api);
    assert_eq!(
        sink.seen(),
        vec![
            "Flow exceeded 15.0% (threshold: 10%)",
            "Efficiency fell to -1.2% (threshold: 0%)"
        ]
    );
    assert_eq!(r.anomalies.new.len(), 2);
    assert!(spool_files(dir.path()).is_empty());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["violations"]["flow"]["severity"], 1.5);
    assert_eq!(json["deviations"]["head"], 3.2);
    assert_eq!(
        json["prediction_unavailable"],
        "No model in the artifact (tolerance-only): no ML prediction"
    );

    // The same file again: nothing new is evaluated or sent.
    let again = run(dir.path(), &csv(&[WORKED]), Some(&sink));
    assert_eq!(again.already_processed, 1);
    assert!(again.evaluated_readings.is_empty());
    assert!(!again.reported_to_api);
    assert_eq!(sink.seen().len(), 2);
}

#[test]
fn debounce_escalation_and_reset_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Scripted::always_ok();
    run(dir.path(), &csv(&[WORKED]), Some(&sink));
    // 30 minutes later, the same violation: debounced (state kept on disk between runs).
    let r = run(
        dir.path(),
        &csv(&[WORKED, "2024-11-18 15:02:00,Well 1,575,154.8,81.375,84.474"]),
        Some(&sink),
    );
    assert_eq!(r.status, Some(Status::Warning));
    assert!(r.anomalies.new.is_empty());
    assert!(!r.reported_to_api);
    // Flow +16 % (severity 1.6, severe) → Critical: escalation, reported at once.
    let r = run(
        dir.path(),
        &csv(&["2024-11-18 15:12:00,Well 1,580,150,75,85.5"]),
        Some(&sink),
    );
    assert_eq!(r.status, Some(Status::Critical));
    assert_eq!(r.anomalies.new.len(), 1);
    assert!(r.reported_to_api);
    // A Normal reading resets the timers: a Warning right after is reported.
    let r = run(
        dir.path(),
        &csv(&[
            "2024-11-18 15:20:00,Well 1,500,150,75,85.5",
            "2024-11-18 15:25:00,Well 1,575,154.8,81.375,84.474",
        ]),
        Some(&sink),
    );
    let statuses: Vec<Status> = r.evaluated_readings.iter().map(|e| e.status).collect();
    assert_eq!(statuses, vec![Status::Normal, Status::Warning]);
    assert_eq!(r.anomalies.new.len(), 2);
    assert_eq!(sink.seen().len(), 2 + 1 + 2);
}

#[test]
fn undelivered_anomalies_wait_in_the_spool_and_go_first_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let down = Scripted::new(vec![Err(DeliveryFailure::RetryLater {
        reason: "connection refused".into(),
    })]);
    let r = run(dir.path(), &csv(&[WORKED]), Some(&down));
    assert!(!r.reported_to_api);
    assert_eq!(
        down.seen().len(),
        1,
        "stops after the first retry-later failure"
    );
    assert_eq!(r.anomalies.spooled.len(), 2);
    assert_eq!(spool_files(dir.path()).len(), 2);
    assert_eq!(
        r.anomalies.delivery_stopped.as_deref(),
        Some("connection refused")
    );

    let up = Scripted::always_ok();
    let r = run(
        dir.path(),
        &csv(&[WORKED, "2024-11-18 16:40:00,Well 1,500,150,90,85.5"]),
        Some(&up),
    );
    // Oldest first: the two spooled ones, then the new power anomaly.
    assert_eq!(
        up.seen(),
        vec![
            "Flow exceeded 15.0% (threshold: 10%)",
            "Efficiency fell to -1.2% (threshold: 0%)",
            "Power exceeded 20.0% (threshold: 10%)"
        ]
    );
    assert_eq!(r.anomalies.resent.len(), 2);
    assert_eq!(r.anomalies.sent.len(), 3);
    assert!(r.reported_to_api);
    assert!(spool_files(dir.path()).is_empty());
}

#[test]
fn rejected_anomalies_move_aside_with_the_answer_and_delivery_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Scripted::new(vec![Err(DeliveryFailure::Rejected {
        status: 400,
        body: "{\"error\":\"bad sensorId\"}".into(),
    })]);
    let r = run(dir.path(), &csv(&[WORKED]), Some(&sink));
    assert_eq!(r.anomalies.rejected.len(), 1);
    assert_eq!(r.anomalies.sent.len(), 1);
    assert!(!r.reported_to_api);
    let rejected = dir.path().join("unsent_anomalies/rejected");
    let mut names: Vec<String> = std::fs::read_dir(&rejected)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2);
    assert!(names[1].ends_with(".response.json"), "{names:?}");
    let answer = std::fs::read_to_string(rejected.join(&names[1])).unwrap();
    assert!(answer.contains("bad sensorId") && answer.contains("400"));
}

#[test]
fn a_corrupt_spool_file_is_quarantined_and_the_rest_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("unsent_anomalies");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::write(spool.join("20240101T000000Z_evt-broken.json"), b"{\"half").unwrap();
    let sink = Scripted::always_ok();
    let r = run(dir.path(), &csv(&[WORKED]), Some(&sink));
    assert_eq!(
        r.anomalies.quarantined,
        vec!["20240101T000000Z_evt-broken.json"]
    );
    assert_eq!(r.anomalies.sent.len(), 2);
    assert!(
        spool
            .join("quarantine/20240101T000000Z_evt-broken.json")
            .exists()
    );
}

#[test]
fn the_spool_cap_drops_the_oldest_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..5)
        .map(|h| format!("2024-11-18 {:02}:00:00,Well 1,500,150,90,85.5", h))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let r = run_hourly(
        &engine(),
        &csv(&rows),
        &RunOptions {
            state_dir: dir.path(),
            spool_max_files: 3,
            submitter: None,
            not_sending_because: "no submitter in this test",
        },
    )
    .unwrap();
    assert_eq!(r.anomalies.new.len(), 5, "one power anomaly an hour");
    assert_eq!(r.anomalies.dropped.len(), 2);
    assert!(r.anomalies.dropped[0].starts_with("20241118T000000Z_"));
    assert!(r.anomalies.dropped[1].starts_with("20241118T010000Z_"));
    assert_eq!(spool_files(dir.path()).len(), 3);
}

#[test]
fn rows_of_other_pumps_and_off_readings_are_listed_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &csv(&[
            "2024-11-18 10:00:00,Well 2,575,154.8,81.375,84.474",
            "2024-11-18 11:00:00,Well 1,0,20,0,0",
            "2024-11-18 12:00:00,Well 1,500,150,75,85.5",
        ]),
        None,
    );
    assert_eq!(r.skipped_rows.len(), 1);
    assert_eq!(r.skipped_rows[0].line, 2);
    assert_eq!(r.not_evaluated.len(), 1);
    assert_eq!(r.evaluated_readings.len(), 1);
    assert_eq!(r.status, Some(Status::Normal));
}

#[test]
fn backtest_writes_one_line_per_evaluated_reading() {
    let mut out = Vec::new();
    let (n, anomalies) = backtest(
        &engine(),
        &csv(&[
            WORKED,
            "2024-11-18 15:02:00,Well 1,575,154.8,81.375,84.474",
            "2024-11-18 15:40:00,Well 1,0,0,0,0",
            "2024-11-18 15:45:00,Well 1,575,154.8,81.375,84.474",
        ]),
        &mut out,
    )
    .unwrap();
    assert_eq!((n, anomalies), (3, 4));
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["anomalies"].as_array().unwrap().len(), 2);
    assert_eq!(lines[1]["anomalies"].as_array().unwrap().len(), 0);
    // 73 minutes after the first report: reported again.
    assert_eq!(lines[2]["anomalies"].as_array().unwrap().len(), 2);
    assert_eq!(lines[0]["diagnosis"]["mode"], "unknown");
}

#[test]
fn a_state_of_another_pump_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &csv(&[WORKED]), None);
    let mut other = engine();
    other.evaluator.baseline.pump_id = "Well 9".into();
    let err = run_hourly(
        &other,
        &csv(&[WORKED]),
        &RunOptions {
            state_dir: dir.path(),
            spool_max_files: 10,
            submitter: None,
            not_sending_because: "no submitter in this test",
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("belongs to pump \"Well 1\""),
        "{err}"
    );
}

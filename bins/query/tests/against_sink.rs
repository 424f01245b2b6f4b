//! The query binary against a real anomaly-sink over loopback, seeded with the anomalies a
//! simulated fleet reports (6 pumps at 2 sites, 10 days of hourly readings).
//!
//! Expected counts come from the seeded payloads themselves (filtered in memory), so each
//! filter is checked against an independent answer.

mod common;

use assert_cmd::Command;
use common::fleet::{SITES, fleet_anomalies};
use common::{TOKEN, seeded_sink};
use pump_core::{AnomalyPayload, Status, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

const PUMPS: usize = 6;
const DAYS: u32 = 10;

/// The fleet's anomalies, in the order they were stored (id 1 first).
fn fleet() -> &'static [AnomalyPayload] {
    static FLEET: OnceLock<Vec<AnomalyPayload>> = OnceLock::new();
    FLEET.get_or_init(|| fleet_anomalies(42, PUMPS, DAYS))
}

struct Setup {
    dir: tempfile::TempDir,
    sink: anomaly_sink::RunningSink,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sink = seeded_sink(&dir.path().join("sink.db"), fleet());
    Setup { dir, sink }
}

impl Setup {
    /// The query binary aimed at this sink, with the token from the environment and no
    /// inherited settings.
    fn query(&self) -> Command {
        let mut cmd = Command::cargo_bin("query").unwrap();
        cmd.env_remove("NO_COLOR")
            .env("ANOMALY_API_URL", self.sink.base_url())
            .env("ANOMALY_API_TOKEN", TOKEN)
            .current_dir(self.dir.path());
        cmd
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json(setup: &Setup, args: &[&str]) -> Value {
    let r = run(setup.query().args(["--format", "json"]).args(args));
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("--format json parses")
}

/// What identifies an anomaly independently of the server's id.
fn identity(timestamp: &str, pump: i64, parameter: &str) -> (String, i64, String) {
    (timestamp.to_string(), pump, parameter.to_string())
}

fn identities_of_payloads<'a>(
    payloads: impl Iterator<Item = &'a AnomalyPayload>,
) -> Vec<(String, i64, String)> {
    let mut v: Vec<_> = payloads
        .map(|a| {
            identity(
                &a.timestamp.to_string(),
                a.pump_id,
                a.additional_context.parameter.as_str(),
            )
        })
        .collect();
    v.sort();
    v
}

fn identities_of_json(doc: &Value) -> Vec<(String, i64, String)> {
    let mut v: Vec<_> = doc["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            identity(
                a["timestamp"].as_str().unwrap(),
                a["pump"].as_i64().unwrap(),
                a["parameter"].as_str().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn the_simulated_fleet_spans_two_sites_six_pumps_and_every_severity() {
    let a = fleet();
    assert!(a.len() > 300, "{} anomalies", a.len());
    for site in SITES {
        assert!(a.iter().any(|x| x.site_id == site));
    }
    for pump in 1..=PUMPS as i64 {
        assert!(a.iter().any(|x| x.pump_id == pump), "pump {pump}");
    }
    for status in [Status::Warning, Status::Critical, Status::Failure] {
        assert!(a.iter().any(|x| x.additional_context.status == status));
    }
}

#[test]
fn filters_by_site_pump_sensor_and_dates_give_the_right_anomalies() {
    let s = setup();
    type Pick = Box<dyn Fn(&AnomalyPayload) -> bool>;
    let cases: Vec<(Vec<&str>, Pick)> = vec![
        (vec![], Box::new(|_| true)),
        (vec!["--site", "35483"], Box::new(|a| a.site_id == 35483)),
        (vec!["--pump", "4"], Box::new(|a| a.pump_id == 4)),
        // Sensor 42 is pump 4's head sensor.
        (
            vec!["--sensor", "42"],
            Box::new(|a| a.sensor_id == Some(42)),
        ),
        (
            vec!["--start", "2024-01-03", "--end", "2024-01-04"],
            Box::new(|a| {
                a.timestamp >= t("2024-01-03T00:00:00Z") && a.timestamp < t("2024-01-05T00:00:00Z")
            }),
        ),
        (
            vec![
                "--start",
                "2024-01-05T06:00:00Z",
                "--end",
                "2024-01-05 18:00",
            ],
            Box::new(|a| {
                a.timestamp >= t("2024-01-05T06:00:00Z") && a.timestamp < t("2024-01-05T18:00:00Z")
            }),
        ),
        (
            vec!["--site", "35482", "--pump", "1", "--start", "2024-01-08"],
            Box::new(|a| {
                a.site_id == 35482 && a.pump_id == 1 && a.timestamp >= t("2024-01-08T00:00:00Z")
            }),
        ),
        // Pump 2 is at site 35483: nothing at 35482.
        (vec!["--site", "35482", "--pump", "2"], Box::new(|_| false)),
    ];
    for (args, pick) in cases {
        let expected = identities_of_payloads(fleet().iter().filter(|a| pick(a)));
        let doc = json(&s, &args);
        assert_eq!(doc["matched"], expected.len() as u64, "{args:?}");
        assert_eq!(doc["returned"], expected.len() as u64, "{args:?}");
        assert_eq!(identities_of_json(&doc), expected, "{args:?}");
        if args.is_empty() {
            assert_eq!(expected.len(), fleet().len());
        } else if args != ["--site", "35482", "--pump", "2"] {
            assert!(
                !expected.is_empty() && expected.len() < fleet().len(),
                "{args:?} selects"
            );
        }
    }
}

#[test]
fn pages_of_25_return_every_anomaly_once_and_max_results_keeps_the_newest() {
    let s = setup();
    let all = json(&s, &["--page-size", "25"]);
    let n = fleet().len() as u64;
    assert_eq!(
        (all["matched"].as_u64(), all["returned"].as_u64()),
        (Some(n), Some(n))
    );
    assert_eq!(all["truncated"], false);
    let ids: std::collections::BTreeSet<i64> = all["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, (1..=n as i64).collect());

    let r = run(s.query().args([
        "--format",
        "json",
        "--page-size",
        "25",
        "--max-results",
        "300",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let capped: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(capped["returned"], 300);
    assert_eq!(capped["matched"], n);
    assert_eq!(capped["truncated"], true);
    assert!(
        r.stderr
            .contains(&format!("showing the latest 300 of {n} matching anomalies")),
        "{}",
        r.stderr
    );
    // The newest 300: by time, and among equal times the later stored (higher id).
    let mut newest: Vec<(Timestamp, usize)> = fleet()
        .iter()
        .enumerate()
        .map(|(i, a)| (a.timestamp, i))
        .collect();
    newest.sort();
    let newest = identities_of_payloads(
        newest[newest.len() - 300..]
            .iter()
            .map(|&(_, i)| &fleet()[i]),
    );
    assert_eq!(identities_of_json(&capped), newest);
    // Shown oldest first.
    let times: Vec<&str> = capped["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn the_export_parses_back_to_the_same_rows() {
    let s = setup();
    let export = s.path("pump4.csv");
    let r = run(s
        .query()
        .args(["--pump", "4", "--format", "csv", "--export"])
        .arg(&export));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file = std::fs::read_to_string(&export).unwrap();
    assert_eq!(r.stdout, file, "stdout CSV and the export are the same");
    assert!(r.stderr.contains("exported"), "{}", r.stderr);

    let mut reader = csv::Reader::from_reader(file.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "timestamp",
            "site",
            "pump",
            "sensor",
            "parameter",
            "status",
            "value",
            "deviation",
            "description",
            "created_at"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut expected: Vec<(usize, &AnomalyPayload)> = fleet()
        .iter()
        .enumerate()
        .filter(|(_, a)| a.pump_id == 4)
        .collect();
    expected.sort_by_key(|(i, a)| (a.timestamp, *i));
    assert_eq!(records.len(), expected.len());
    for (record, (index, a)) in records.iter().zip(&expected) {
        let parameter = a.additional_context.parameter.as_str();
        let deviation = pump_core::Parameter::from_name(parameter)
            .and_then(|p| a.additional_context.all_deviations.value(p));
        assert_eq!(record[0].parse::<usize>().unwrap(), index + 1, "stored id");
        assert_eq!(record[1].parse::<Timestamp>().unwrap(), a.timestamp);
        assert_eq!(record[2].parse::<i64>().unwrap(), a.site_id);
        assert_eq!(record[3].parse::<i64>().unwrap(), 4);
        assert_eq!(record[4].parse::<i64>().ok(), a.sensor_id);
        assert_eq!(&record[5], parameter);
        assert_eq!(&record[6], a.additional_context.status.as_str());
        assert_eq!(record[7].parse::<f64>().ok(), a.log_value);
        assert_eq!(record[8].parse::<f64>().ok(), deviation);
        assert_eq!(&record[9], a.description);
        assert!(record[10].parse::<Timestamp>().is_ok());
    }
}

/// Width, height and pixels (RGB) of a PNG.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (width, height, pixels)
}

/// Pixels of exactly one colour.
fn count(pixels: &[[u8; 3]], colour: [u8; 3]) -> usize {
    pixels.iter().filter(|p| **p == colour).count()
}

const WARNING: [u8; 3] = [240, 165, 0];
const CRITICAL: [u8; 3] = [214, 39, 40];
const FAILURE: [u8; 3] = [90, 20, 120];

#[test]
fn the_timeline_and_comparison_pngs_are_1200_by_600_and_drawn() {
    let s = setup();
    let png = s.path("timeline.png");
    let r = run(s.query().args(["--compare-pumps", "--visualize"]).arg(&png));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let compare = s.path("timeline-compare.png");
    assert!(r.stderr.contains("timeline drawn to"), "{}", r.stderr);
    assert!(
        r.stderr.contains("pump comparison drawn to"),
        "{}",
        r.stderr
    );
    for path in [&png, &compare] {
        let (w, h, pixels) = decode_png(path);
        assert_eq!((w, h), (1200, 600), "{}", path.display());
        assert_eq!(pixels.len(), 1200 * 600);
        let distinct: std::collections::HashSet<[u8; 3]> = pixels.iter().copied().collect();
        let non_white = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
        assert!(
            distinct.len() > 50,
            "{}: {} colours",
            path.display(),
            distinct.len()
        );
        assert!(
            non_white > 20_000,
            "{}: {non_white} non-white pixels",
            path.display()
        );
        // Every status of the fleet is drawn in its colour (points or bars, and the legend).
        for colour in [WARNING, CRITICAL, FAILURE] {
            assert!(
                count(&pixels, colour) > 100,
                "{}: {colour:?}",
                path.display()
            );
        }
    }
    // No temporary files are left beside them.
    let names: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".query-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn an_empty_result_prints_and_draws_no_anomalies() {
    let s = setup();
    let png = s.path("empty.png");
    // The fleet reported in January 2024: nothing in the last 3 days.
    let r = run(s
        .query()
        .args(["--days", "3", "--compare-pumps", "--visualize"])
        .arg(&png));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("No anomalies match the filters.\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Summary: 0 anomalies"), "{}", r.stdout);
    for path in [png.clone(), s.path("empty-compare.png")] {
        let (w, h, pixels) = decode_png(&path);
        assert_eq!((w, h), (1200, 600));
        let non_white = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
        assert!(non_white > 2_000, "the title, frame and message are drawn");
        for colour in [WARNING, CRITICAL, FAILURE] {
            assert_eq!(count(&pixels, colour), 0, "no points, no legend");
        }
    }
}

#[test]
fn the_table_ends_with_a_summary_and_has_no_colour_off_a_terminal() {
    let s = setup();
    let r = run(s.query().args(["--pump", "3"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pump3: Vec<&AnomalyPayload> = fleet().iter().filter(|a| a.pump_id == 3).collect();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("time (UTC)"), "{}", lines[0]);
    assert_eq!(
        lines.len(),
        1 + pump3.len() + 7,
        "header, rows, blank line, 6 summary lines"
    );
    assert!(
        !r.stdout.contains('\x1b'),
        "no ANSI colour when stdout is not a terminal"
    );
    let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
    for a in &pump3 {
        *by_status.entry(a.additional_context.status).or_default() += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} {n}")).collect();
    let summary = &lines[pump3.len() + 1..];
    assert_eq!(summary[1], format!("Summary: {} anomalies", pump3.len()));
    assert_eq!(
        summary[2],
        format!("  by status:     {}", statuses.join(", "))
    );
    assert_eq!(
        summary[3],
        format!("  by pump:       35482/3 {}", pump3.len())
    );
    let first = pump3.iter().map(|a| a.timestamp).min().unwrap().to_string();
    assert!(
        summary[5].starts_with(&format!(
            "  first:         {} {} UTC  pump 35482/3",
            &first[..10],
            &first[11..16]
        )),
        "{}",
        summary[5]
    );
}

#[test]
fn compare_pumps_gives_counts_rates_and_the_top_parameter_per_pump() {
    let s = setup();
    let doc = json(
        &s,
        &[
            "--compare-pumps",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-10",
        ],
    );
    let c = &doc["comparison"];
    assert_eq!(c["span_days"], 10.0);
    let pumps = c["pumps"].as_array().unwrap();
    assert_eq!(pumps.len(), PUMPS);
    // Ordered by site, then pump: the even positions (odd pump ids) are at the first site.
    let order = [
        (35482, 1),
        (35482, 3),
        (35482, 5),
        (35483, 2),
        (35483, 4),
        (35483, 6),
    ];
    for (p, (site, pump)) in pumps.iter().zip(order) {
        let mine: Vec<&AnomalyPayload> = fleet()
            .iter()
            .filter(|a| a.pump_id == pump && a.timestamp < t("2024-01-11T00:00:00Z"))
            .collect();
        assert_eq!(p["pump"], format!("{site}/{pump}"));
        assert_eq!(p["total"], mine.len());
        assert_eq!(p["per_day"].as_f64().unwrap(), mine.len() as f64 / 10.0);
        for status in [Status::Warning, Status::Critical, Status::Failure] {
            let n = mine
                .iter()
                .filter(|a| a.additional_context.status == status)
                .count();
            assert_eq!(p["by_status"][status.as_str()], n, "pump {pump} {status}");
        }
        let mut by_parameter: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &mine {
            *by_parameter
                .entry(a.additional_context.parameter.as_str())
                .or_default() += 1;
        }
        let top = by_parameter.values().max().copied().unwrap();
        assert_eq!(p["top_parameter_count"], top);
        assert_eq!(by_parameter[p["top_parameter"].as_str().unwrap()], top);
    }
    // The table form has one line per pump under its header.
    let r = run(s.query().args([
        "--compare-pumps",
        "--start",
        "2024-01-01",
        "--end",
        "2024-01-10",
    ]));
    let table: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Pump comparison over 10.0 days"))
        .collect();
    assert!(table[1].starts_with("pump"), "{}", r.stdout);
    assert_eq!(table.len(), 2 + PUMPS);
    assert!(table[2].starts_with("35482/1"));
}

#[test]
fn a_wrong_token_is_refused_with_exit_code_4_and_never_echoed() {
    let s = setup();
    let wrong = "wrong-token-0000000000";
    let r = run(s.query().env("ANOMALY_API_TOKEN", wrong));
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "query: error: 401 Unauthorized: the token is invalid or expired — check --token or \
         ANOMALY_API_TOKEN, or request a new token\n"
    );
    let r = run(s
        .query()
        .env_remove("ANOMALY_API_TOKEN")
        .args(["--token", wrong]));
    assert_eq!(r.code, 4);
    assert!(!r.stderr.contains(wrong));
}

#[test]
fn the_token_never_appears_in_any_output() {
    let s = setup();
    let png = s.path("t.png");
    let export = s.path("t.csv");
    for format in ["table", "json", "csv"] {
        let r = run(s
            .query()
            .env_remove("ANOMALY_API_TOKEN")
            .args([
                "--token",
                TOKEN,
                "--compare-pumps",
                "--format",
                format,
                "--export",
            ])
            .arg(&export)
            .arg("--visualize")
            .arg(&png));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
            "{format}"
        );
        assert!(!std::fs::read_to_string(&export).unwrap().contains(TOKEN));
    }
    let help = run(s.query().arg("--help"));
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("ANOMALY_API_TOKEN") && !help.stdout.contains(TOKEN));
    assert!(
        help.stdout.contains("4  configuration"),
        "exit codes in --help"
    );
}

#[test]
fn exit_codes_name_what_is_wrong() {
    let s = setup();
    let cases: Vec<(Vec<String>, bool, i32, &str)> = vec![
        (
            vec![],
            false,
            4,
            "query: error: no API token: pass --token or set ANOMALY_API_TOKEN",
        ),
        (
            args(&["--start", "2024-02-30"]),
            true,
            3,
            "query: error: --start \"2024-02-30\" is not a date",
        ),
        (
            args(&["--start", "2024-01-05", "--end", "2024-01-04"]),
            true,
            3,
            "query: error: the window is empty",
        ),
        (
            args(&["--export", "no/such/folder/x.csv"]),
            true,
            3,
            "query: error: --export no/such/folder/x.csv: the folder no/such/folder does not exist",
        ),
        (
            args(&["--days", "3", "--start", "2024-01-01"]),
            true,
            2,
            "error: the argument '--days <N>' cannot be used with",
        ),
        (
            args(&["--format", "xml"]),
            true,
            2,
            "error: invalid value 'xml' for '--format",
        ),
        (
            args(&["--api-url", "http://api.example.com/api/v1"]),
            true,
            4,
            "query: error: api.base_url \"http://api.example.com/api/v1\" is not https",
        ),
        (
            args(&["--api-url", "http://127.0.0.1:9/api/v1"]),
            true,
            1,
            "query: error: Failed to query anomalies: cannot reach http://127.0.0.1:9/api/v1/edge/anomalies",
        ),
    ];
    for (argv, with_token, code, message) in cases {
        let mut cmd = s.query();
        if !with_token {
            cmd.env_remove("ANOMALY_API_TOKEN");
        }
        let r = run(cmd.args(&argv));
        assert_eq!(r.code, code, "{argv:?}: {}", r.stderr);
        assert!(r.stderr.starts_with(message), "{argv:?}: {}", r.stderr);
        assert_eq!(
            r.stderr
                .lines()
                .filter(|l| l.starts_with("query: error"))
                .count(),
            usize::from(code != 2)
        );
        assert!(!r.stderr.contains(TOKEN));
    }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

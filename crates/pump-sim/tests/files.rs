//! The files a fleet is written to: formats, determinism, failures, faults, ground truth.

use pump_core::{FailureMode, Timestamp};
use pump_sim::{
    BadToken, Cell, DataFaults, Fleet, FleetConfig, GroundTruth, OPERATIONAL_HEADER, simulate_fleet,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Every file under `dir`, by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn write(config: &FleetConfig) -> (tempfile::TempDir, Fleet) {
    let dir = tempfile::tempdir().unwrap();
    let fleet = simulate_fleet(config).unwrap();
    fleet.write_to(dir.path()).unwrap();
    (dir, fleet)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let config = FleetConfig::new(7, 6, 20);
    let (a, _) = write(&config);
    let (b, _) = write(&config);
    let (c, _) = write(&FleetConfig::new(8, 6, 20));
    let (a, b, c) = (
        read_tree(a.path()),
        read_tree(b.path()),
        read_tree(c.path()),
    );
    assert_eq!(a.len(), 9, "{:?}", a.keys().collect::<Vec<_>>());
    assert_eq!(a, b);
    for (name, bytes) in &a {
        assert_ne!(
            Some(bytes),
            c.get(name),
            "{name} does not depend on the seed"
        );
    }
}

#[test]
fn adding_a_pump_leaves_the_others_unchanged() {
    let small = simulate_fleet(&FleetConfig::new(31, 9, 20)).unwrap();
    let large = simulate_fleet(&FleetConfig::new(31, 10, 20)).unwrap();
    assert_eq!(small.pumps[..], large.pumps[..9]);
    assert!(large.baseline_csv().starts_with(&small.baseline_csv()));
}

fn is_sensor_timestamp(ts: &str) -> bool {
    ts.len() == 19
        && ts.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        })
}

fn is_two_decimals(value: &str) -> bool {
    value.split_once('.').is_some_and(|(int, frac)| {
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() == 2
            && frac.bytes().all(|b| b.is_ascii_digit())
    })
}

#[test]
fn operational_csv_has_the_exact_header_timestamps_and_two_decimals() {
    let config = FleetConfig::new(3, 4, 10);
    let (dir, fleet) = write(&config);
    for pump in &fleet.pumps {
        let path = dir
            .path()
            .join(format!("operational/{}.csv", pump.spec.slug));
        let text = fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(
                "timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%),Motor Speed (rpm)"
            )
        );
        assert_eq!(text.lines().next(), Some(OPERATIONAL_HEADER));
        let mut previous: Option<Timestamp> = None;
        let mut count = 0;
        for line in lines {
            count += 1;
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 8, "{line}");
            assert!(is_sensor_timestamp(fields[0]), "timestamp {:?}", fields[0]);
            let t: Timestamp = fields[0].parse().unwrap();
            assert_eq!(t.unix_seconds() % 3600, 0, "{line}");
            assert!(previous.is_none_or(|p| t >= p), "out of order: {line}");
            previous = Some(t);
            assert_eq!(fields[1], pump.id());
            for value in &fields[2..] {
                assert!(
                    is_two_decimals(value) || ["", "NaN", "--", "ERR"].contains(value),
                    "{value:?} in {line}"
                );
            }
        }
        assert_eq!(count, pump.rows.len());
        assert_eq!(previous, pump.rows.last().map(|r| r.timestamp));
    }
}

#[test]
fn baseline_csv_quotes_the_dewatering_application() {
    let fleet = simulate_fleet(&FleetConfig::new(42, 8, 5)).unwrap();
    let csv = fleet.baseline_csv();
    assert!(csv.starts_with(
        "Well ID,pump_type,horsepower,application,baseline_flow_gpm,baseline_discharge_pressure_psi,baseline_power_hp,baseline_efficiency_percent,baseline_speed_rpm,baseline_suction_pressure_psi\n"
    ));
    assert_eq!(
        csv.matches(",\"Dewatering, drainage, and irrigation\",")
            .count(),
        2
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.len() == 10));
}

#[test]
fn failure_rows_only_for_failures_inside_the_window() {
    let config = FleetConfig::new(7, 20, 90);
    let (dir, fleet) = write(&config);
    let text = fs::read_to_string(dir.path().join("failures.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Well ID,failure_timestamp,failure_mode"));
    let listed: BTreeMap<String, (Timestamp, FailureMode)> = lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert!(is_sensor_timestamp(f[1]), "{line}");
            (
                f[0].to_string(),
                (f[1].parse().unwrap(), f[2].parse().unwrap()),
            )
        })
        .collect();
    let end = config.window_end();
    let (mut inside, mut after) = (0, 0);
    for pump in &fleet.pumps {
        let last = pump.rows.last().unwrap().timestamp;
        match pump.spec.degradation() {
            Some(d) if d.failure < end => {
                inside += 1;
                assert_eq!(listed.get(pump.id()), Some(&(d.failure, d.mode)));
                // Taken out of service: no reading at or after the failure.
                assert!(
                    last < d.failure && d.failure.hours_since(last) < 8.0,
                    "{}",
                    pump.id()
                );
            }
            other => {
                after += usize::from(other.is_some());
                assert!(!listed.contains_key(pump.id()), "{} listed", pump.id());
                assert!(end.hours_since(last) < 8.0, "{} stops early", pump.id());
            }
        }
    }
    assert_eq!(listed.len(), inside);
    // The 20–120-day failure range puts some failures after a 90-day window.
    assert!(
        inside >= 5 && after >= 3,
        "{inside} failed, {after} censored"
    );
}

#[test]
fn data_faults_appear_at_their_rates_and_leave_other_values_alone() {
    let config = FleetConfig::new(7, 20, 90);
    let faulty = simulate_fleet(&config).unwrap();
    let clean = simulate_fleet(&FleetConfig {
        faults: DataFaults::NONE,
        ..config.clone()
    })
    .unwrap();
    let (mut empty, mut bad, mut repeated, mut missing) = (0, 0, 0, 0);
    let mut tokens = std::collections::BTreeSet::new();
    for (f, c) in faulty.pumps.iter().zip(&clean.pumps) {
        assert!(
            c.rows
                .iter()
                .all(|r| r.cells().iter().all(|x| matches!(x, Cell::Value(_))))
        );
        assert!(c.rows.iter().all(|r| !r.repeated));
        let clean_at: BTreeMap<Timestamp, _> = c.rows.iter().map(|r| (r.timestamp, r)).collect();
        for row in &f.rows {
            repeated += usize::from(row.repeated);
            let twin = clean_at[&row.timestamp];
            for (cell, clean_cell) in row.cells().into_iter().zip(twin.cells()) {
                match cell {
                    Cell::Value(_) => assert_eq!(cell, clean_cell),
                    Cell::Empty => empty += 1,
                    Cell::Bad(token) => {
                        bad += 1;
                        tokens.insert(token.as_str());
                    }
                }
            }
        }
        missing += c.rows.len() + f.rows.iter().filter(|r| r.repeated).count() - f.rows.len();
    }
    let cells = 6 * clean.summary().rows;
    // TYPICAL: 1 cell in 1000 empty, 1 in 2000 bad, 1 row in 2000 repeated, ~1 % missing.
    assert!(
        (cells / 2000..cells / 500).contains(&empty),
        "{empty} empty of {cells}"
    );
    assert!(
        (cells / 4000..cells / 1000).contains(&bad),
        "{bad} bad of {cells}"
    );
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    assert!((5..100).contains(&repeated), "{repeated} repeated");
    let rows = clean.summary().rows;
    assert!(
        (rows / 200..rows / 25).contains(&missing),
        "{missing} missing of {rows}"
    );
    let _ = BadToken::NaN;
}

#[test]
fn ground_truth_describes_every_pump_and_reads_back() {
    let config = FleetConfig::new(7, 20, 90);
    let (dir, fleet) = write(&config);
    let truth = GroundTruth::read(&dir.path().join("ground_truth.json")).unwrap();
    assert_eq!(truth, fleet.ground_truth());
    assert_eq!(truth.seed, 7);
    assert_eq!(truth.config, config);
    assert_eq!(truth.window_end.to_string(), "2024-03-31T00:00:00Z");
    assert_eq!(truth.pumps.len(), 20);
    let healthy = truth.pumps.iter().filter(|p| p.healthy).count();
    assert_eq!(healthy, 6);
    let mut per_mode = BTreeMap::new();
    for p in &truth.pumps {
        assert!(dir.path().join(&p.operational_file).is_file());
        if p.healthy {
            assert_eq!((p.mode, p.onset, p.failure), (None, None, None));
            assert!(p.censored && !p.failed_in_window);
        } else {
            *per_mode.entry(p.mode.unwrap()).or_insert(0) += 1;
            let (onset, failure) = (p.onset.unwrap(), p.failure.unwrap());
            let lead = failure.days_since(onset);
            assert!((10.0..=40.0).contains(&lead), "{} lead {lead}", p.id);
            let after_start = failure.days_since(config.start);
            assert!(
                (20.0..=120.0).contains(&after_start),
                "{} {after_start}",
                p.id
            );
            assert_eq!(p.failed_in_window, failure < truth.window_end);
            assert_eq!(p.censored, !p.failed_in_window);
        }
    }
    assert_eq!(per_mode.len(), 7);
    assert!(per_mode.values().all(|&n| n == 2), "{per_mode:?}");
    let json = fs::read_to_string(dir.path().join("ground_truth.json")).unwrap();
    assert!(json.contains("\"mode\": \"discharge_blockage\""));
    assert!(json.contains("\"onset\": \"2024-"));
}

#[test]
fn stale_operational_files_are_reported_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    simulate_fleet(&FleetConfig::new(1, 3, 2))
        .unwrap()
        .write_to(dir.path())
        .unwrap();
    let written = simulate_fleet(&FleetConfig::new(1, 2, 2))
        .unwrap()
        .write_to(dir.path())
        .unwrap();
    assert_eq!(written.operational.len(), 2);
    assert_eq!(
        written.stale,
        vec![dir.path().join("operational/pump_03.csv")]
    );
    assert!(written.stale[0].is_file());
}

#[test]
fn a_file_in_the_way_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("fleet");
    fs::write(&blocker, "not a folder").unwrap();
    let err = simulate_fleet(&FleetConfig::new(1, 1, 1))
        .unwrap()
        .write_to(&blocker)
        .unwrap_err();
    assert!(err.to_string().contains("fleet/operational"), "{err}");
}

//! The files of a fleet, in the SPEC's formats (§2.1–2.3), and the ground truth beside them.

use crate::Fleet;
use crate::config::FleetConfig;
use crate::series::{Cell, OperationalRow, SimulatedPump};
use crate::spec::{Drive, OffSchedule, PumpSpec};
use pump_core::{FailureMode, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Header of every operational CSV (SPEC §2.1 default column names).
pub const OPERATIONAL_HEADER: &str = "timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%),Motor Speed (rpm)";

/// Header of the baseline CSV (SPEC §2.2 with both optional columns).
pub const BASELINE_HEADER: [&str; 10] = [
    "Well ID",
    "pump_type",
    "horsepower",
    "application",
    "baseline_flow_gpm",
    "baseline_discharge_pressure_psi",
    "baseline_power_hp",
    "baseline_efficiency_percent",
    "baseline_speed_rpm",
    "baseline_suction_pressure_psi",
];

/// Header of the failure events CSV (SPEC §2.3).
pub const FAILURES_HEADER: [&str; 3] = ["Well ID", "failure_timestamp", "failure_mode"];

/// Version of the ground-truth JSON layout.
pub const GROUND_TRUTH_FORMAT_VERSION: u32 = 1;

/// A file could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FileError {
    /// The file or folder.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: io::Error,
}

fn file_error(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |source| FileError {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `ts` as sensor exports do: `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format_sensor_timestamp(ts: Timestamp, out: &mut String) {
    let t = ts.as_offset_date_time();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// `ts` in the sensor form `YYYY-MM-DD HH:MM:SS`.
pub fn sensor_timestamp(ts: Timestamp) -> String {
    let mut s = String::with_capacity(19);
    format_sensor_timestamp(ts, &mut s);
    s
}

fn push_cell(out: &mut String, cell: Cell) {
    match cell {
        Cell::Value(v) => {
            let _ = write!(out, "{v:.2}");
        }
        Cell::Empty => {}
        Cell::Bad(token) => out.push_str(token.as_str()),
    }
}

/// Appends the CSV lines of `rows` (no header) for pump `pump_id` to `out`.
pub fn push_rows_csv(out: &mut String, pump_id: &str, rows: &[OperationalRow]) {
    for row in rows {
        format_sensor_timestamp(row.timestamp, out);
        out.push(',');
        out.push_str(pump_id);
        for cell in row.cells() {
            out.push(',');
            push_cell(out, cell);
        }
        out.push('\n');
    }
}

/// A complete operational CSV (header and rows) for pump `pump_id`.
///
/// Pump ids made by this crate hold no comma or quote, so no field needs quoting.
pub fn rows_to_csv_string(pump_id: &str, rows: &[OperationalRow]) -> String {
    let mut out = String::with_capacity(OPERATIONAL_HEADER.len() + 1 + rows.len() * 96);
    out.push_str(OPERATIONAL_HEADER);
    out.push('\n');
    push_rows_csv(&mut out, pump_id, rows);
    out
}

fn csv_to_string(header: &[&str], records: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail; the csv crate quotes fields that hold commas.
    let _ = writer.write_record(header);
    for record in records {
        let _ = writer.write_record(record);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// The baseline CSV of `pumps`: one row per pump, SPEC §2.2.
pub fn baseline_csv_string<'a>(pumps: impl IntoIterator<Item = &'a PumpSpec>) -> String {
    let records: Vec<Vec<String>> = pumps
        .into_iter()
        .map(|spec| {
            let b = &spec.baseline;
            vec![
                b.pump_id.clone(),
                b.pump_type.clone(),
                b.horsepower.to_string(),
                b.application.as_str().to_string(),
                b.flow_gpm.to_string(),
                b.discharge_pressure_psi.to_string(),
                b.power_hp.to_string(),
                b.efficiency_percent.to_string(),
                b.speed_rpm.to_string(),
                b.suction_pressure_psi.to_string(),
            ]
        })
        .collect();
    csv_to_string(&BASELINE_HEADER, &records)
}

/// The failure events CSV: one row per pump that failed inside the window, SPEC §2.3.
pub fn failures_csv_string<'a>(pumps: impl IntoIterator<Item = &'a SimulatedPump>) -> String {
    let records: Vec<Vec<String>> = pumps
        .into_iter()
        .filter_map(|pump| {
            let failed = pump.failed_at?;
            let mode = pump.spec.degradation()?.mode;
            Some(vec![
                pump.id().to_string(),
                sensor_timestamp(failed),
                mode.to_string(),
            ])
        })
        .collect();
    csv_to_string(&FAILURES_HEADER, &records)
}

/// What is known about a simulated fleet that its sensor files do not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Layout version ([`GROUND_TRUTH_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The fleet seed.
    pub seed: u64,
    /// The whole configuration.
    pub config: FleetConfig,
    /// First instant of the window.
    pub window_start: Timestamp,
    /// End of the window (exclusive).
    pub window_end: Timestamp,
    /// One entry per pump, in fleet order.
    pub pumps: Vec<PumpTruth>,
}

/// The truth about one pump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PumpTruth {
    /// `Well ID`.
    pub id: String,
    /// Operational file, relative to the fleet folder.
    pub operational_file: String,
    /// Stayed healthy for the whole window.
    pub healthy: bool,
    /// Failure mode of a degrading pump (`null` for a healthy one).
    pub mode: Option<FailureMode>,
    /// Start of the degradation (may precede the window).
    pub onset: Option<Timestamp>,
    /// Failure time (may lie after the window end).
    pub failure: Option<Timestamp>,
    /// The failure lies inside the window: the pump has a row in failures.csv and its data
    /// ends at the failure.
    pub failed_in_window: bool,
    /// Still running at the end of the window (every healthy pump, and degrading pumps that
    /// had not failed yet): no failure row, as SPEC §2.3 defines censored.
    pub censored: bool,
    /// Severity exponent k of `s = u^k`.
    pub severity_exponent: Option<f64>,
    /// Size of the signature relative to the nominal table.
    pub magnitude: Option<f64>,
    /// Severity at the pump's last row, to 4 decimals (0 for healthy pumps).
    pub final_severity: f64,
    /// Fixed speed or VFD.
    pub drive: Drive,
    /// When the pump was switched off.
    pub off_schedule: OffSchedule,
    /// Rows written (repeats included).
    pub rows: usize,
    /// Seed of the pump's readings.
    pub series_seed: u64,
}

impl GroundTruth {
    /// Reads `ground_truth.json`.
    pub fn read(path: &Path) -> Result<GroundTruth, FileError> {
        let text = fs::read_to_string(path).map_err(file_error(path))?;
        serde_json::from_str(&text).map_err(|e| FileError {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidData, e),
        })
    }

    /// The entry of pump `id`.
    pub fn pump(&self, id: &str) -> Option<&PumpTruth> {
        self.pumps.iter().find(|p| p.id == id)
    }
}

pub(crate) fn pump_truth(pump: &SimulatedPump) -> PumpTruth {
    let d = pump.spec.degradation();
    PumpTruth {
        id: pump.id().to_string(),
        operational_file: format!("operational/{}.csv", pump.spec.slug),
        healthy: d.is_none(),
        mode: d.map(|d| d.mode),
        onset: d.map(|d| d.onset),
        failure: d.map(|d| d.failure),
        failed_in_window: pump.failed_at.is_some(),
        censored: pump.failed_at.is_none(),
        severity_exponent: d.map(|d| d.exponent),
        magnitude: d.map(|d| d.magnitude),
        // Rounded so that the JSON stays short and reads back to the same number.
        final_severity: pump
            .rows
            .last()
            .map_or(0.0, |r| (r.severity * 10_000.0).round() / 10_000.0),
        drive: pump.spec.drive,
        off_schedule: pump.spec.off_schedule.clone(),
        rows: pump.rows.len(),
        series_seed: pump.seed,
    }
}

/// Where [`Fleet::write_to`] put the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFleet {
    /// The fleet folder.
    pub dir: PathBuf,
    /// `baseline.csv`.
    pub baseline: PathBuf,
    /// `failures.csv`.
    pub failures: PathBuf,
    /// `ground_truth.json`.
    pub ground_truth: PathBuf,
    /// `operational/<slug>.csv`, in fleet order.
    pub operational: Vec<PathBuf>,
    /// CSV files already in `operational/` that are not part of this fleet (left alone; a
    /// reader that globs the folder would take them for pumps of this fleet).
    pub stale: Vec<PathBuf>,
}

fn write_file(path: &Path, contents: &str) -> Result<(), FileError> {
    fs::write(path, contents).map_err(file_error(path))
}

impl Fleet {
    /// The ground truth of this fleet.
    pub fn ground_truth(&self) -> GroundTruth {
        GroundTruth {
            format_version: GROUND_TRUTH_FORMAT_VERSION,
            seed: self.config.seed,
            config: self.config.clone(),
            window_start: self.config.start,
            window_end: self.config.window_end(),
            pumps: self.pumps.iter().map(pump_truth).collect(),
        }
    }

    /// `ground_truth.json`, pretty-printed, with a final newline.
    pub fn ground_truth_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        let mut s = serde_json::to_string_pretty(&self.ground_truth()).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The baseline CSV of the fleet.
    pub fn baseline_csv(&self) -> String {
        baseline_csv_string(self.pumps.iter().map(|p| &p.spec))
    }

    /// The failure events CSV of the fleet.
    pub fn failures_csv(&self) -> String {
        failures_csv_string(&self.pumps)
    }

    /// Writes the fleet into `dir` (created when missing; files of the same name are
    /// replaced): `baseline.csv`, `operational/<slug>.csv`, `failures.csv` and
    /// `ground_truth.json`.
    pub fn write_to(&self, dir: &Path) -> Result<WrittenFleet, FileError> {
        let operational_dir = dir.join("operational");
        fs::create_dir_all(&operational_dir).map_err(file_error(&operational_dir))?;

        let baseline = dir.join("baseline.csv");
        write_file(&baseline, &self.baseline_csv())?;
        let mut operational = Vec::with_capacity(self.pumps.len());
        for pump in &self.pumps {
            let path = operational_dir.join(format!("{}.csv", pump.spec.slug));
            write_file(&path, &rows_to_csv_string(pump.id(), &pump.rows))?;
            operational.push(path);
        }
        let failures = dir.join("failures.csv");
        write_file(&failures, &self.failures_csv())?;
        let ground_truth = dir.join("ground_truth.json");
        write_file(&ground_truth, &self.ground_truth_json())?;

        let mut stale = Vec::new();
        for entry in fs::read_dir(&operational_dir).map_err(file_error(&operational_dir))? {
            let path = entry.map_err(file_error(&operational_dir))?.path();
            if path.extension().is_some_and(|e| e == "csv") && !operational.contains(&path) {
                stale.push(path);
            }
        }
        stale.sort();
        Ok(WrittenFleet {
            dir: dir.to_path_buf(),
            baseline,
            failures,
            ground_truth,
            operational,
            stale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_timestamps_have_the_export_form() {
        let t = Timestamp::parse_rfc3339("2024-03-05T07:08:09Z").unwrap();
        assert_eq!(sensor_timestamp(t), "2024-03-05 07:08:09");
    }

    #[test]
    fn cells_are_written_with_two_decimals_or_as_their_fault() {
        let t = Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap();
        let row = OperationalRow {
            timestamp: t,
            flow_gpm: Cell::Value(512.3),
            discharge_pressure_psi: Cell::Empty,
            suction_pressure_psi: Cell::Bad(crate::BadToken::Dashes),
            power_hp: Cell::Value(0.0),
            efficiency_percent: Cell::Bad(crate::BadToken::NaN),
            speed_rpm: Cell::Value(1780.0),
            running: true,
            severity: 0.0,
            repeated: false,
        };
        assert_eq!(
            rows_to_csv_string("Pump 01", &[row]),
            format!(
                "{OPERATIONAL_HEADER}\n2024-01-01 00:00:00,Pump 01,512.30,,--,0.00,NaN,1780.00\n"
            )
        );
    }
}

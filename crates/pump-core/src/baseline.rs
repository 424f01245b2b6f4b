//! Pump baselines (SPEC §2.2, §4) and failure events (SPEC §2.3).

use crate::diagnosis::FailureMode;
use crate::parameter::{Parameter, ParameterValues};
use crate::sensor_csv::parse_plain_decimal;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use time::UtcOffset;

/// The reference performance of one pump: what its readings are compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Pump id (`Well ID`).
    pub pump_id: String,
    /// Make and model, free text.
    pub pump_type: Option<String>,
    /// Nameplate horsepower; decides between grades 3B and 2B for some applications.
    pub horsepower: Option<f64>,
    /// Application, e.g. `Municipal Water and Wastewater`; decides the grade.
    pub application: Option<String>,
    /// Baseline flow (gpm), head (psi or ft), power (hp) and efficiency (%).
    pub values: ParameterValues<f64>,
    /// Baseline speed (rpm), for the running rule and the affinity-law correction.
    pub speed_rpm: Option<f64>,
    /// Baseline suction pressure (psi), for diagnosis.
    pub suction_psi: Option<f64>,
    /// Explicit grade, overriding the application mapping.
    pub tolerance_category: Option<String>,
    /// Correct flow, head and power to the baseline speed by the affinity laws (§3.1).
    pub speed_correction: bool,
}

impl Baseline {
    /// A baseline with only an id and the four graded values (for tests and simulators).
    pub fn new(pump_id: &str, flow: f64, head: f64, power: f64, efficiency: f64) -> Baseline {
        Baseline {
            pump_id: pump_id.to_string(),
            pump_type: None,
            horsepower: None,
            application: None,
            values: ParameterValues {
                flow: Some(flow),
                head: Some(head),
                power: Some(power),
                efficiency: Some(efficiency),
            },
            speed_rpm: None,
            suction_psi: None,
            tolerance_category: None,
            speed_correction: false,
        }
    }

    /// Reads `config/baseline.json`: the original system's keys (`well_id`, `pump_type`,
    /// `horsepower`, `application`, `tolerance_category`, `baseline_flow`, `baseline_head`,
    /// `baseline_power`, `baseline_efficiency`) plus the optional `baseline_speed`,
    /// `baseline_suction` and `speed_correction`.
    pub fn from_json(text: &str) -> Result<Baseline, BaselineError> {
        let file: BaselineJson = serde_json::from_str(text).map_err(|e| BaselineError::Json {
            reason: e.to_string(),
        })?;
        let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        Ok(Baseline {
            pump_id: file.well_id,
            pump_type: blank(file.pump_type),
            horsepower: file.horsepower,
            application: blank(file.application),
            values: ParameterValues {
                flow: file.baseline_flow,
                head: file.baseline_head,
                power: file.baseline_power,
                efficiency: file.baseline_efficiency,
            },
            speed_rpm: file.baseline_speed,
            suction_psi: file.baseline_suction,
            tolerance_category: blank(file.tolerance_category),
            speed_correction: file.speed_correction,
        })
    }

    /// Writes `config/baseline.json` in the original keys (plus the optional ones in use).
    pub fn to_json(&self) -> String {
        let file = BaselineJson {
            well_id: self.pump_id.clone(),
            pump_type: self.pump_type.clone(),
            horsepower: self.horsepower,
            application: self.application.clone(),
            tolerance_category: self.tolerance_category.clone(),
            baseline_flow: self.values.flow,
            baseline_head: self.values.head,
            baseline_power: self.values.power,
            baseline_efficiency: self.values.efficiency,
            baseline_speed: self.speed_rpm,
            baseline_suction: self.suction_psi,
            speed_correction: self.speed_correction,
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }
}

#[derive(Serialize, Deserialize)]
struct BaselineJson {
    well_id: String,
    #[serde(default)]
    pump_type: Option<String>,
    #[serde(default)]
    horsepower: Option<f64>,
    #[serde(default)]
    application: Option<String>,
    #[serde(default)]
    tolerance_category: Option<String>,
    #[serde(default)]
    baseline_flow: Option<f64>,
    #[serde(default)]
    baseline_head: Option<f64>,
    #[serde(default)]
    baseline_power: Option<f64>,
    #[serde(default)]
    baseline_efficiency: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    baseline_speed: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    baseline_suction: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    speed_correction: bool,
}

/// A baseline file could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BaselineError {
    /// The CSV has no header or is not CSV.
    #[error("line {line}: {reason}")]
    Csv {
        /// Line of the problem.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A required column is missing from the header.
    #[error("no {column:?} column in the header")]
    MissingColumn {
        /// The column.
        column: String,
    },
    /// A cell is not what its column needs.
    #[error("line {line}, column {column:?}: {reason}")]
    BadCell {
        /// Line.
        line: u64,
        /// Column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// baseline.json is malformed.
    #[error("{reason}")]
    Json {
        /// What is wrong.
        reason: String,
    },
}

const BASELINE_COLUMNS: [(Parameter, &str); 4] = [
    (Parameter::Flow, "baseline_flow_gpm"),
    (Parameter::Head, "baseline_discharge_pressure_psi"),
    (Parameter::Power, "baseline_power_hp"),
    (Parameter::Efficiency, "baseline_efficiency_percent"),
];

/// A configuration CSV (baseline, failure events) and its header, names trimmed of spaces
/// and a UTF-8 BOM.
fn open_table<R: Read>(input: R) -> Result<(csv::Reader<R>, Vec<String>), BaselineError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader
        .headers()
        .map_err(|e| BaselineError::Csv {
            line: 1,
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    Ok((reader, header))
}

/// Reads a baseline CSV (SPEC §2.2): one row per pump, the original system's columns, plus
/// the optional `baseline_speed_rpm`, `baseline_suction_pressure_psi`, `tolerance_category`
/// and `speed_correction` (`true`/`false`).
///
/// Baselines are configuration, so a malformed number is an error naming line and column
/// (an empty cell is allowed and leaves that parameter unevaluated).
pub fn read_baseline_csv<R: Read>(input: R) -> Result<Vec<Baseline>, BaselineError> {
    let (mut reader, header) = open_table(input)?;
    let index: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    if !index.contains_key("Well ID") {
        return Err(BaselineError::MissingColumn {
            column: "Well ID".into(),
        });
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| BaselineError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let text = |column: &str| -> Option<String> {
            index
                .get(column)
                .and_then(|&i| record.get(i))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let number = |column: &str| -> Result<Option<f64>, BaselineError> {
            match text(column) {
                None => Ok(None),
                Some(s) => {
                    parse_plain_decimal(&s)
                        .map(Some)
                        .ok_or_else(|| BaselineError::BadCell {
                            line,
                            column: column.to_string(),
                            reason: format!("not a number: {s:?}"),
                        })
                }
            }
        };
        let Some(pump_id) = text("Well ID") else {
            if record.iter().all(str::is_empty) {
                continue;
            }
            return Err(BaselineError::BadCell {
                line,
                column: "Well ID".into(),
                reason: "empty pump id".into(),
            });
        };
        let mut values = ParameterValues::empty();
        for (p, column) in BASELINE_COLUMNS {
            values.set(p, number(column)?);
        }
        let speed_correction = match text("speed_correction").as_deref() {
            None => false,
            Some(s) if s.eq_ignore_ascii_case("true") || s == "1" => true,
            Some(s) if s.eq_ignore_ascii_case("false") || s == "0" => false,
            Some(s) => {
                return Err(BaselineError::BadCell {
                    line,
                    column: "speed_correction".into(),
                    reason: format!("expected true or false, found {s:?}"),
                });
            }
        };
        out.push(Baseline {
            pump_id,
            pump_type: text("pump_type"),
            horsepower: number("horsepower")?,
            application: text("application"),
            values,
            speed_rpm: number("baseline_speed_rpm")?,
            suction_psi: number("baseline_suction_pressure_psi")?,
            tolerance_category: text("tolerance_category"),
            speed_correction,
        });
    }
    Ok(out)
}

/// One failure of one pump: a training label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureEvent {
    /// Pump id.
    pub pump_id: String,
    /// When it failed, UTC.
    pub timestamp: Timestamp,
    /// How it failed, when known.
    pub mode: Option<FailureMode>,
}

/// Reads a failure events CSV (SPEC §2.3): `Well ID,failure_timestamp[,failure_mode]`.
pub fn read_failure_events<R: Read>(
    input: R,
    default_offset: UtcOffset,
) -> Result<Vec<FailureEvent>, BaselineError> {
    let (mut reader, header) = open_table(input)?;
    let find = |name: &str| header.iter().position(|h| h == name);
    let pump_col = find("Well ID").ok_or_else(|| BaselineError::MissingColumn {
        column: "Well ID".into(),
    })?;
    let ts_col = find("failure_timestamp").ok_or_else(|| BaselineError::MissingColumn {
        column: "failure_timestamp".into(),
    })?;
    let mode_col = find("failure_mode");
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| BaselineError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            reason: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let bad = |column: &str, reason: String| BaselineError::BadCell {
            line,
            column: column.into(),
            reason,
        };
        let pump_id = record.get(pump_col).unwrap_or("").to_string();
        if pump_id.is_empty() {
            return Err(bad("Well ID", "empty pump id".into()));
        }
        let ts_text = record.get(ts_col).unwrap_or("");
        let timestamp = Timestamp::parse(ts_text, default_offset)
            .map_err(|e| bad("failure_timestamp", e.to_string()))?;
        let mode = match mode_col
            .and_then(|i| record.get(i))
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                s.parse::<FailureMode>()
                    .map_err(|e| bad("failure_mode", e.to_string()))?,
            ),
        };
        out.push(FailureEvent {
            pump_id,
            timestamp,
            mode,
        });
    }
    Ok(out)
}

//! Reading sensor CSVs (SPEC §2.1) through a column mapping.
//!
//! The reader is strict about what a number is and lenient about everything else: a bad
//! cell makes one value unknown, a bad timestamp skips one row, and every such decision is
//! recorded with its file line so that the results and the log can name it.

use crate::parameter::Parameter;
use crate::reading::Reading;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use time::UtcOffset;

/// Feet of water per psi, for differential head in feet (divided by the specific gravity).
pub const FEET_PER_PSI: f64 = 2.31;

/// Where one quantity comes from in a CSV row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnSource {
    /// A single column, multiplied by `scale` (1 when not given).
    Column {
        /// Column name in the header.
        column: String,
        /// Factor to the SPEC's unit, e.g. 30 for Hz → rpm on a 4-pole motor.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        scale: f64,
    },
    /// Head as differential pressure: discharge − suction, in psi or converted to feet.
    Differential {
        /// `[discharge column, suction column]`, both psi.
        differential: [String; 2],
        /// `"psi"` (default) or `"ft"` (× 2.31 / specific gravity).
        #[serde(default)]
        unit: HeadUnit,
        /// Specific gravity of the liquid, for feet (1.0 for water).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        specific_gravity: f64,
    },
}

fn one() -> f64 {
    1.0
}
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

impl ColumnSource {
    /// A plain column without scaling.
    pub fn column(name: &str) -> ColumnSource {
        ColumnSource::Column {
            column: name.to_string(),
            scale: 1.0,
        }
    }

    fn columns(&self) -> Vec<&str> {
        match self {
            ColumnSource::Column { column, .. } => vec![column],
            ColumnSource::Differential { differential, .. } => {
                vec![&differential[0], &differential[1]]
            }
        }
    }
}

/// Unit of a differential head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadUnit {
    /// Pounds per square inch.
    #[default]
    Psi,
    /// Feet of liquid.
    Ft,
}

/// Which CSV columns hold which quantities (`config/column_mapping.json`).
///
/// The original system's file (`{"flow": "Flow (gpm)", …}` for the four graded parameters)
/// is read as is. A graded parameter left out is not evaluated. `timestamp`, `pump_id`,
/// `suction` and `speed` take their default column names when left out, because the
/// original form could not name them; set them to `null` to ignore those columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// Timestamp column.
    pub timestamp: String,
    /// Pump id column; `None` when the file has one pump and no id column.
    pub pump_id: Option<String>,
    /// Flow, US gpm.
    pub flow: Option<ColumnSource>,
    /// Head, psi (or ft for a differential head in feet).
    pub head: Option<ColumnSource>,
    /// Motor power, hp.
    pub power: Option<ColumnSource>,
    /// Pump efficiency, %.
    pub efficiency: Option<ColumnSource>,
    /// Suction pressure, psi.
    pub suction: Option<ColumnSource>,
    /// Motor speed, rpm.
    pub speed: Option<ColumnSource>,
}

impl Default for ColumnMapping {
    /// The default column names of SPEC §2.1.
    fn default() -> Self {
        ColumnMapping {
            timestamp: "timestamp".into(),
            pump_id: Some("Well ID".into()),
            flow: Some(ColumnSource::column("Flow (gpm)")),
            head: Some(ColumnSource::column("Discharge Pressure (psi)")),
            power: Some(ColumnSource::column("Motor Power (hp)")),
            efficiency: Some(ColumnSource::column("Pump Efficiency (%)")),
            suction: Some(ColumnSource::column("Suction Pressure (psi)")),
            speed: Some(ColumnSource::column("Motor Speed (rpm)")),
        }
    }
}

/// `column_mapping.json` could not be understood.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MappingError {
    /// Not JSON, or not an object.
    #[error("column mapping is not a JSON object: {0}")]
    NotAnObject(String),
    /// A key has a value of the wrong shape.
    #[error("column mapping key {key:?}: {reason}")]
    BadValue {
        /// The key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl ColumnMapping {
    /// Reads `column_mapping.json`, in the original form or with the extensions of SPEC §2.1.
    /// Unknown keys are returned as warnings, not errors.
    ///
    /// ```
    /// use pump_core::ColumnMapping;
    /// let (m, warnings) = ColumnMapping::from_json(r#"{"flow": "Q", "head": "H"}"#).unwrap();
    /// assert!(m.power.is_none() && warnings.is_empty());
    /// assert_eq!(m.timestamp, "timestamp");
    /// ```
    pub fn from_json(text: &str) -> Result<(ColumnMapping, Vec<String>), MappingError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| MappingError::NotAnObject(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(MappingError::NotAnObject(
                "top level is not an object".into(),
            ));
        };
        let defaults = ColumnMapping::default();
        let mut m = ColumnMapping {
            flow: None,
            head: None,
            power: None,
            efficiency: None,
            ..defaults
        };
        let mut warnings = Vec::new();
        for (key, v) in map {
            let bad = |reason: &str| MappingError::BadValue {
                key: key.clone(),
                reason: reason.to_string(),
            };
            match key.as_str() {
                "timestamp" => {
                    m.timestamp = v
                        .as_str()
                        .ok_or_else(|| bad("expected a column name"))?
                        .to_string()
                }
                "pump_id" => {
                    m.pump_id = match v {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        _ => return Err(bad("expected a column name or null")),
                    }
                }
                "flow" | "head" | "power" | "efficiency" | "suction" | "speed" => {
                    let source = parse_source(&v).map_err(|r| bad(&r))?;
                    if matches!(source, Some(ColumnSource::Differential { .. })) && key != "head" {
                        return Err(bad("only head may be a differential"));
                    }
                    match key.as_str() {
                        "flow" => m.flow = source,
                        "head" => m.head = source,
                        "power" => m.power = source,
                        "efficiency" => m.efficiency = source,
                        "suction" => m.suction = source,
                        _ => m.speed = source,
                    }
                }
                _ => warnings.push(format!("column mapping: unknown key {key:?} ignored")),
            }
        }
        Ok((m, warnings))
    }

    /// Serialises in the extended form (readable back by [`ColumnMapping::from_json`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The source of one graded parameter.
    pub fn source(&self, parameter: Parameter) -> Option<&ColumnSource> {
        match parameter {
            Parameter::Flow => self.flow.as_ref(),
            Parameter::Head => self.head.as_ref(),
            Parameter::Power => self.power.as_ref(),
            Parameter::Efficiency => self.efficiency.as_ref(),
        }
    }
}

fn parse_source(v: &Value) -> Result<Option<ColumnSource>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(ColumnSource::column(s))),
        Value::Object(_) => {
            let source: ColumnSource = serde_json::from_value(v.clone()).map_err(|_| {
                "expected a column name, {\"column\": …, \"scale\": …} or \
                 {\"differential\": [discharge, suction], \"unit\": \"psi\"|\"ft\"}"
                    .to_string()
            })?;
            let factor = match &source {
                ColumnSource::Column { scale, .. } => *scale,
                ColumnSource::Differential {
                    specific_gravity, ..
                } => *specific_gravity,
            };
            if !(factor.is_finite() && factor > 0.0) {
                return Err("scale and specific_gravity must be positive numbers".into());
            }
            Ok(Some(source))
        }
        _ => Err("expected a column name or an object".into()),
    }
}

/// A row that was skipped, with its file line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// Line in the file (1 is the header).
    pub line: u64,
    /// Why it was skipped.
    pub reason: String,
}

/// A value that was made unknown, with its file line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownValue {
    /// Line in the file (1 is the header).
    pub line: u64,
    /// Column name.
    pub column: String,
    /// Why, e.g. `"not a number: \"NaN\""`.
    pub reason: String,
}

/// The readings of a sensor CSV and everything that was wrong with it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SensorData {
    /// Readings sorted by time; for a repeated instant of one pump, the later row won whole.
    pub readings: Vec<Reading>,
    /// Rows skipped (no valid timestamp, replaced by a later row, …).
    pub skipped_rows: Vec<SkippedRow>,
    /// Values made unknown.
    pub unknown_values: Vec<UnknownValue>,
    /// Mapped columns absent from the header: `(quantity, column)`.
    pub missing_columns: Vec<(String, String)>,
}

impl SensorData {
    /// The readings of one pump (all readings when the file has no pump id column).
    pub fn for_pump<'a>(&'a self, pump_id: &'a str) -> impl Iterator<Item = &'a Reading> + 'a {
        self.readings.iter().filter(move |r| {
            r.pump_id
                .as_deref()
                .is_none_or(|id| id.trim() == pump_id.trim())
        })
    }
}

/// The sensor CSV cannot be used at all (an input error, exit code 3 at the edge).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensorCsvError {
    /// The file is empty or has no header row.
    #[error("no header row")]
    NoHeader,
    /// The timestamp column is not in the header.
    #[error("no timestamp column {column:?} in the header (found: {found})")]
    NoTimestampColumn {
        /// The column looked for.
        column: String,
        /// The header, comma separated.
        found: String,
    },
    /// No row has a valid timestamp.
    #[error("no usable row ({rows} data rows){}", first_problem.as_ref().map(|p| format!("; first problem: line {}: {}", p.line, p.reason)).unwrap_or_default())]
    NoUsableRow {
        /// Data rows seen.
        rows: usize,
        /// The first skipped row, to show the user.
        first_problem: Option<SkippedRow>,
    },
    /// The bytes are not CSV that can be read.
    #[error("line {line}: {reason}")]
    Malformed {
        /// Line of the problem.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Parses a plain decimal number: optional sign, digits with at most one decimal point.
///
/// `NaN`, `inf`, exponents, `1_000`, thousands separators and text are not numbers.
pub fn parse_plain_decimal(text: &str) -> Option<f64> {
    let s = text.trim();
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut seen_digit = false;
    let mut seen_point = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

struct Resolved {
    kind: ResolvedKind,
    name: String,
}

enum ResolvedKind {
    Single {
        index: usize,
        scale: f64,
    },
    Differential {
        discharge: usize,
        suction: usize,
        factor: f64,
    },
}

/// Reads a sensor CSV (SPEC §2.1).
///
/// Columns are found by name (a UTF-8 BOM and spaces around names are tolerated); rows are
/// sorted by time and, for a repeated instant of the same pump, the later row in the file
/// wins whole. Timestamps without an offset are taken at `default_offset`.
///
/// # Errors
/// Only when the file cannot be used at all: no header, no timestamp column, or no row
/// with a valid timestamp. Everything else is recorded in the returned [`SensorData`].
pub fn read_sensor_csv<R: Read>(
    input: R,
    mapping: &ColumnMapping,
    default_offset: UtcOffset,
) -> Result<SensorData, SensorCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let header = match reader.byte_headers() {
        Ok(h) if !(h.is_empty() || h.len() == 1 && h[0].is_empty()) => h.clone(),
        Ok(_) => return Err(SensorCsvError::NoHeader),
        Err(e) => {
            return Err(SensorCsvError::Malformed {
                line: 1,
                reason: e.to_string(),
            });
        }
    };
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let s = String::from_utf8_lossy(raw);
            let s = if i == 0 {
                s.trim_start_matches('\u{feff}').to_string()
            } else {
                s.into_owned()
            };
            s.trim().to_string()
        })
        .collect();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .rev() // the first of two same-named columns wins
        .collect();

    let Some(&ts_index) = index.get(mapping.timestamp.as_str()) else {
        return Err(SensorCsvError::NoTimestampColumn {
            column: mapping.timestamp.clone(),
            found: names.join(","),
        });
    };
    let pump_index = mapping
        .pump_id
        .as_deref()
        .and_then(|c| index.get(c).copied());

    let mut data = SensorData::default();
    let mut resolve = |quantity: &str, source: Option<&ColumnSource>| -> Option<Resolved> {
        let source = source?;
        let missing: Vec<&str> = source
            .columns()
            .into_iter()
            .filter(|c| !index.contains_key(c))
            .collect();
        if !missing.is_empty() {
            for c in missing {
                data.missing_columns
                    .push((quantity.to_string(), c.to_string()));
            }
            return None;
        }
        let kind = match source {
            ColumnSource::Column { column, scale } => ResolvedKind::Single {
                index: index[column.as_str()],
                scale: *scale,
            },
            ColumnSource::Differential {
                differential,
                unit,
                specific_gravity,
            } => ResolvedKind::Differential {
                discharge: index[differential[0].as_str()],
                suction: index[differential[1].as_str()],
                factor: match unit {
                    HeadUnit::Psi => 1.0,
                    HeadUnit::Ft => FEET_PER_PSI / specific_gravity,
                },
            },
        };
        Some(Resolved {
            kind,
            name: quantity.to_string(),
        })
    };
    let graded: Vec<(Parameter, Option<Resolved>)> = Parameter::ALL
        .into_iter()
        .map(|p| (p, resolve(p.as_str(), mapping.source(p))))
        .collect();
    let suction = resolve("suction", mapping.suction.as_ref());
    let speed = resolve("speed", mapping.speed.as_ref());

    let mut rows = 0usize;
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A broken record (e.g. an unterminated quote) ends what can be read; the
                // rows before it are still good.
                let line = e.position().map_or(line, |p| p.line());
                data.skipped_rows.push(SkippedRow {
                    line,
                    reason: format!("unreadable CSV from here on: {e}"),
                });
                break;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // blank line
        }
        rows += 1;
        let cell = |i: usize| -> Option<&str> {
            record
                .get(i)
                .map(|raw| std::str::from_utf8(raw).unwrap_or("\u{fffd}"))
        };
        let ts_text = cell(ts_index).unwrap_or("");
        let timestamp = match Timestamp::parse(ts_text, default_offset) {
            Ok(t) => t,
            Err(e) => {
                let reason = if ts_text.trim().is_empty() {
                    "no timestamp".to_string()
                } else {
                    format!("invalid timestamp {:?}", e.text)
                };
                data.skipped_rows.push(SkippedRow { line, reason });
                continue;
            }
        };
        let mut reading = Reading::new(timestamp);
        reading.line = line;
        reading.pump_id = pump_index
            .and_then(cell)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let read_value = |resolved: &Option<Resolved>,
                          non_negative: bool,
                          issues: &mut Vec<UnknownValue>|
         -> Option<f64> {
            let r = resolved.as_ref()?;
            let mut get = |i: usize| -> Option<f64> {
                let text = cell(i).unwrap_or("");
                let column = &names[i];
                let reason = if text.trim().is_empty() {
                    "empty".to_string()
                } else {
                    match parse_plain_decimal(text) {
                        Some(x) => return Some(x),
                        None => format!("not a number: {:?}", text.trim()),
                    }
                };
                issues.push(UnknownValue {
                    line,
                    column: column.clone(),
                    reason,
                });
                None
            };
            let value = match r.kind {
                ResolvedKind::Single { index, scale } => get(index)? * scale,
                ResolvedKind::Differential {
                    discharge,
                    suction,
                    factor,
                } => {
                    let (d, s) = (get(discharge), get(suction));
                    (d? - s?) * factor
                }
            };
            if non_negative && value < 0.0 {
                issues.push(UnknownValue {
                    line,
                    column: r.name.clone(),
                    reason: format!("negative {}: {value}", r.name),
                });
                return None;
            }
            Some(value)
        };
        for (p, resolved) in &graded {
            let non_negative = matches!(p, Parameter::Flow | Parameter::Power);
            let value = read_value(resolved, non_negative, &mut data.unknown_values);
            let value = match (p, value) {
                (Parameter::Efficiency, Some(e)) if !(0.0..=100.0).contains(&e) => {
                    data.unknown_values.push(UnknownValue {
                        line,
                        column: "efficiency".into(),
                        reason: format!("efficiency {e} % outside 0–100 %"),
                    });
                    None
                }
                (_, v) => v,
            };
            reading.values.set(*p, value);
        }
        reading.suction = read_value(&suction, false, &mut data.unknown_values);
        reading.speed = read_value(&speed, true, &mut data.unknown_values);
        data.readings.push(reading);
    }

    if data.readings.is_empty() {
        return Err(SensorCsvError::NoUsableRow {
            rows,
            first_problem: data.skipped_rows.first().cloned(),
        });
    }
    // Stable sort keeps file order within an instant, so the later row is last.
    data.readings.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then(a.pump_id.cmp(&b.pump_id))
    });
    let mut kept: Vec<Reading> = Vec::with_capacity(data.readings.len());
    for r in std::mem::take(&mut data.readings) {
        match kept.last_mut() {
            Some(prev) if prev.timestamp == r.timestamp && prev.pump_id == r.pump_id => {
                data.skipped_rows.push(SkippedRow {
                    line: prev.line,
                    reason: format!(
                        "repeated instant {}: replaced by line {}",
                        r.timestamp, r.line
                    ),
                });
                *prev = r;
            }
            _ => kept.push(r),
        }
    }
    data.readings = kept;
    data.skipped_rows.sort_by_key(|s| s.line);
    data.unknown_values.sort_by_key(|u| u.line);
    Ok(data)
}

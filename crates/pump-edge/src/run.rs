//! The hourly run and the backtest, from sensor data to results.
//!
//! The order of the hourly run is what makes it crash-safe:
//! 1. take the state lock (a second run waits);
//! 2. evaluate every new reading, in time order, in memory;
//! 3. write the new anomalies to the spool (each file atomic);
//! 4. save the state (atomic) — from here on the readings count as processed;
//! 5. deliver the spool, oldest first, removing each file only after a 2xx;
//! 6. the caller writes the results file (atomic).
//!
//! A SIGKILL before 4 repeats the run's work next time with the same event ids (the spool
//! file is overwritten, the sink's Idempotency-Key dedups); a kill during 5 leaves at most
//! an acknowledged file in the spool, re-sent with the same key. Nothing is lost; nothing is
//! stored twice at the sink.

use crate::engine::{AnomalyRef, EdgeEngine, ReadingResult, StepOutcome};
use crate::lock::StateLock;
use crate::spool::{DeliveryReport, Spool, SpoolError, Submitter};
use crate::state::{StateError, StateStore};
use pump_core::{AnomalyPayload, Reading, SensorData, SkippedRow, Timestamp, UnknownValue};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// A reading that was not evaluated, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotEvaluated {
    /// Reading instant.
    pub timestamp: Timestamp,
    /// Why.
    pub reason: String,
}

/// Anomaly bookkeeping of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnomalyCounts {
    /// Raised by this run's readings (after debounce).
    pub new: Vec<AnomalyRef>,
    /// Delivered in this run: new ones and re-sent ones.
    pub sent: Vec<String>,
    /// Delivered in this run that an earlier run had spooled.
    pub resent: Vec<String>,
    /// Still in the spool after this run.
    pub spooled: Vec<String>,
    /// Refused for good by the server, now in `unsent_anomalies/rejected/`.
    pub rejected: Vec<String>,
    /// Dropped because the spool was full (oldest first).
    pub dropped: Vec<String>,
    /// Unreadable spool files moved to `unsent_anomalies/quarantine/`.
    pub quarantined: Vec<String>,
    /// Why delivery stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_stopped: Option<String>,
}

/// The results file of an hourly run (SPEC §6). The first keys describe the latest evaluated
/// reading; the rest is the run's detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResults {
    /// Latest evaluated reading's instant (`null` when this run evaluated nothing).
    pub timestamp: Option<Timestamp>,
    /// Its status.
    pub status: Option<pump_core::Status>,
    /// Its deviations.
    pub deviations: pump_core::ParameterValues<f64>,
    /// Its violations.
    pub violations: std::collections::BTreeMap<pump_core::Parameter, crate::engine::ViolationOut>,
    /// Its likely failure mode.
    pub diagnosis: Option<pump_core::Diagnosis>,
    /// Its prediction.
    pub prediction: Option<pump_core::Prediction>,
    /// Why there is no prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction_unavailable: Option<String>,
    /// True only when this run raised anomalies and every one of them was delivered.
    pub reported_to_api: bool,
    /// Pump id.
    pub pump_id: String,
    /// Why nothing was evaluated, when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every reading evaluated by this run, oldest first.
    pub evaluated_readings: Vec<ReadingResult>,
    /// Readings not evaluated (pump off, nothing known).
    pub not_evaluated: Vec<NotEvaluated>,
    /// CSV rows skipped, with file line and reason.
    pub skipped_rows: Vec<SkippedRow>,
    /// Values made unknown, with file line, column and reason.
    pub unknown_values: Vec<UnknownValue>,
    /// Mapped columns missing from the CSV: `[quantity, column]`.
    pub missing_columns: Vec<(String, String)>,
    /// Readings older than or equal to the last processed one, not evaluated again.
    pub already_processed: usize,
    /// Anomalies raised, sent, spooled, re-sent, rejected, dropped.
    pub anomalies: AnomalyCounts,
}

/// A run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The state directory could not be created, cleaned or locked.
    #[error("state directory {dir}: {source}")]
    StateDir {
        /// Directory.
        dir: String,
        /// Cause.
        source: std::io::Error,
    },
    /// State file problem.
    #[error(transparent)]
    State(#[from] StateError),
    /// Spool problem.
    #[error(transparent)]
    Spool(#[from] SpoolError),
}

/// Options of an hourly run.
pub struct RunOptions<'a> {
    /// Where state, lock and spool live.
    pub state_dir: &'a Path,
    /// Most anomalies in the spool.
    pub spool_max_files: usize,
    /// Who delivers; `None` when nothing is sent (anomalies stay in the spool).
    pub submitter: Option<&'a dyn Submitter>,
    /// Why nothing is sent when `submitter` is `None`, for the results (e.g. `--no-report`,
    /// or no API token configured).
    pub not_sending_because: &'a str,
}

fn pump_readings<'a>(
    engine: &EdgeEngine<'_>,
    data: &'a SensorData,
) -> (Vec<&'a Reading>, Vec<SkippedRow>) {
    let pump = engine.evaluator.baseline.pump_id.trim();
    let mut mine = Vec::new();
    let mut others = Vec::new();
    for r in &data.readings {
        match r.pump_id.as_deref() {
            Some(id) if id.trim() != pump => others.push(SkippedRow {
                line: r.line,
                reason: format!("row of another pump ({id:?})"),
            }),
            _ => mine.push(r),
        }
    }
    (mine, others)
}

/// Runs the hourly job: evaluates every reading newer than the last one processed, spools
/// and delivers the anomalies, and returns the results to write.
pub fn run_hourly(
    engine: &EdgeEngine<'_>,
    data: &SensorData,
    options: &RunOptions<'_>,
) -> Result<RunResults, RunError> {
    std::fs::create_dir_all(options.state_dir).map_err(|source| RunError::StateDir {
        dir: options.state_dir.display().to_string(),
        source,
    })?;
    let _lock = StateLock::acquire(options.state_dir).map_err(|source| RunError::StateDir {
        dir: options.state_dir.display().to_string(),
        source,
    })?;
    // A run killed while writing left its temporary file; the lock says no writer is live.
    crate::fsutil::remove_stale_temp_files(options.state_dir).map_err(|source| {
        RunError::StateDir {
            dir: options.state_dir.display().to_string(),
            source,
        }
    })?;
    let store = StateStore::new(options.state_dir);
    let pump_id = engine.evaluator.baseline.pump_id.clone();
    let mut state = store.load(&pump_id)?;
    let spool = Spool::open(options.state_dir, options.spool_max_files)?;

    let (readings, mut skipped) = pump_readings(engine, data);
    skipped.extend(data.skipped_rows.iter().cloned());
    skipped.sort_by_key(|s| s.line);
    let mut results = RunResults {
        timestamp: None,
        status: None,
        deviations: Default::default(),
        violations: Default::default(),
        diagnosis: None,
        prediction: None,
        prediction_unavailable: None,
        reported_to_api: false,
        pump_id: pump_id.clone(),
        note: None,
        evaluated_readings: Vec::new(),
        not_evaluated: Vec::new(),
        skipped_rows: skipped,
        unknown_values: data.unknown_values.clone(),
        missing_columns: data.missing_columns.clone(),
        already_processed: 0,
        anomalies: AnomalyCounts::default(),
    };
    let mut new_anomalies: Vec<AnomalyPayload> = Vec::new();
    let last = state.last_processed;
    for reading in readings {
        if last.is_some_and(|t| reading.timestamp <= t) {
            results.already_processed += 1;
            continue;
        }
        match engine.step(&mut state, reading) {
            StepOutcome::Evaluated { result, anomalies } => {
                results.evaluated_readings.push(*result);
                new_anomalies.extend(anomalies);
            }
            StepOutcome::NotEvaluated { timestamp, reason } => results
                .not_evaluated
                .push(NotEvaluated { timestamp, reason }),
        }
    }

    // Anomalies are safe on disk before the state says their readings are done.
    for a in &new_anomalies {
        spool.put(a)?;
    }
    results.anomalies.dropped = spool.enforce_cap()?;
    store.save(&state)?;

    results.anomalies.new = results
        .evaluated_readings
        .iter()
        .flat_map(|r| r.anomalies.iter().cloned())
        .collect();
    let report = match options.submitter {
        Some(submitter) => spool.deliver(submitter)?,
        None => DeliveryReport {
            still_spooled: spool.pending()?.iter().map(|e| e.name()).collect(),
            stopped_because: Some(options.not_sending_because.to_string()),
            ..DeliveryReport::default()
        },
    };
    let new_ids: std::collections::HashSet<&str> =
        new_anomalies.iter().map(|a| a.event_id()).collect();
    results.anomalies.resent = report
        .delivered
        .iter()
        .filter(|id| !new_ids.contains(id.as_str()))
        .cloned()
        .collect();
    // "resent" means spooled by an earlier run and delivered now; an anomaly of this run
    // counts as new even when a crashed earlier run had already spooled it.
    results.reported_to_api = !new_ids.is_empty()
        && new_ids
            .iter()
            .all(|id| report.delivered.iter().any(|d| d == id));
    results.anomalies.sent = report.delivered;
    results.anomalies.spooled = report.still_spooled;
    results.anomalies.rejected = report.rejected;
    results.anomalies.quarantined = report.quarantined;
    results.anomalies.delivery_stopped = report.stopped_because;

    match results.evaluated_readings.last() {
        Some(latest) => {
            results.timestamp = Some(latest.timestamp);
            results.status = Some(latest.status);
            results.deviations = latest.deviations;
            results.violations = latest.violations.clone();
            results.diagnosis = latest.diagnosis.clone();
            results.prediction = latest.prediction.clone();
            results.prediction_unavailable = latest.prediction_unavailable.clone();
        }
        None => {
            results.note = Some(match last {
                Some(t) if results.not_evaluated.is_empty() => {
                    format!("no reading newer than {t}: nothing evaluated")
                }
                _ if !results.not_evaluated.is_empty() => {
                    "no running reading: nothing evaluated".into()
                }
                _ => "no reading of this pump: nothing evaluated".into(),
            })
        }
    }
    Ok(results)
}

/// Replays every reading from an empty state, sends nothing, and writes one JSON line per
/// evaluated reading. Returns (evaluated readings, anomalies that would have been reported).
pub fn backtest(
    engine: &EdgeEngine<'_>,
    data: &SensorData,
    out: &mut dyn Write,
) -> std::io::Result<(usize, usize)> {
    let mut state = crate::state::EdgeState::new(&engine.evaluator.baseline.pump_id);
    let (readings, _) = pump_readings(engine, data);
    let (mut evaluated, mut anomalies) = (0, 0);
    for reading in readings {
        if let StepOutcome::Evaluated { result, .. } = engine.step(&mut state, reading) {
            evaluated += 1;
            anomalies += result.anomalies.len();
            serde_json::to_writer(&mut *out, &*result)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok((evaluated, anomalies))
}

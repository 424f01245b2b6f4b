//! Scores pump-core's diagnosis against a simulated fleet's ground truth (SPEC §3.5: "on
//! simulated fleets, where the true mode is known, its accuracy is measured and reported").
//!
//! Each pump goes through the real path: its operational CSV text through
//! `pump_core::read_sensor_csv`, its baseline through `read_baseline_csv`, readings through
//! the `Evaluator`; every evaluated reading that is not Normal in the last
//! [`SCORED_HOURS`] of a pump's data is diagnosed from the history before it,
//! exactly as the edge program does (it keeps 30 days of history).

use crate::Fleet;
use crate::output::rows_to_csv_string;
use pump_core::{
    ColumnMapping, Evaluator, EvaluatorState, FailureMode, Outcome, ParameterValues, Reading,
    Status, ToleranceTable, diagnose, read_baseline_csv, read_sensor_csv,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Hours at the end of each pump's data whose readings are scored.
pub const SCORED_HOURS: i64 = 72;
/// Degrading pumps whose final severity is below this are not scored: their signature has
/// barely begun.
pub const MIN_FINAL_SEVERITY: f64 = 0.5;
/// Evaluated readings diagnosis looks back over: the edge program's history, 30 days.
pub const LOOKBACK: usize = 30 * 24;

/// Diagnosis results for one true mode.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModeScore {
    /// Pumps scored.
    pub pumps: usize,
    /// Non-Normal readings diagnosed.
    pub readings: usize,
    /// Of which the diagnosis named the true mode.
    pub correct: usize,
    /// What the diagnosis said, by mode name.
    pub diagnosed_as: BTreeMap<String, usize>,
}

impl ModeScore {
    /// Share of readings diagnosed correctly (`None` without readings).
    pub fn accuracy(&self) -> Option<f64> {
        (self.readings > 0).then(|| self.correct as f64 / self.readings as f64)
    }
}

/// Diagnosis accuracy over a fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiagnosisReport {
    /// By true failure mode (degrading pumps).
    pub by_mode: BTreeMap<String, ModeScore>,
    /// Healthy pumps: `correct` counts readings diagnosed `unknown` (no failure claimed).
    pub healthy: ModeScore,
}

impl DiagnosisReport {
    /// Correct share over every degrading pump's scored readings.
    pub fn overall_accuracy(&self) -> Option<f64> {
        let (c, n) = self
            .by_mode
            .values()
            .fold((0, 0), |(c, n), s| (c + s.correct, n + s.readings));
        (n > 0).then(|| c as f64 / n as f64)
    }

    /// A Markdown table: one row per mode, then healthy pumps.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from(
            "| true mode | pumps | readings | correct | accuracy | most common diagnoses |\n|---|---|---|---|---|---|\n",
        );
        let row = |name: &str, m: &ModeScore| {
            let mut top: Vec<(&String, &usize)> = m.diagnosed_as.iter().collect();
            top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = top
                .iter()
                .take(3)
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            format!(
                "| {name} | {} | {} | {} | {} | {} |\n",
                m.pumps,
                m.readings,
                m.correct,
                m.accuracy()
                    .map_or("—".into(), |a| format!("{:.0}%", a * 100.0)),
                top.join(", ")
            )
        };
        for (mode, m) in &self.by_mode {
            s.push_str(&row(mode, m));
        }
        s.push_str(&row("healthy (correct = unknown)", &self.healthy));
        if let Some(a) = self.overall_accuracy() {
            s.push_str(&format!(
                "\nOverall accuracy on degrading pumps: {:.0}%\n",
                a * 100.0
            ));
        }
        s
    }
}

/// Scores diagnosis on every pump of `fleet`.
pub fn score_diagnosis(fleet: &Fleet) -> DiagnosisReport {
    let table = ToleranceTable::builtin();
    let baselines = read_baseline_csv(fleet.baseline_csv().as_bytes()).unwrap_or_default();
    let truth = fleet.ground_truth();
    let mut report = DiagnosisReport::default();
    for (pump, t) in fleet.pumps.iter().zip(&truth.pumps) {
        let Some(baseline) = baselines.iter().find(|b| b.pump_id == pump.id()) else {
            continue;
        };
        let score = match t.mode {
            Some(_) if t.final_severity < MIN_FINAL_SEVERITY => continue,
            Some(mode) => report.by_mode.entry(mode.to_string()).or_default(),
            None => &mut report.healthy,
        };
        let Ok(grade) = table.grade_for(
            baseline.application.as_deref(),
            baseline.horsepower,
            baseline.tolerance_category.as_deref(),
        ) else {
            continue;
        };
        let evaluator = Evaluator {
            baseline: baseline.clone(),
            grade: grade.clone(),
            allowance: ParameterValues::empty(),
            running: pump_core::RunningRule::default_for(baseline.speed_rpm),
        };
        let csv = rows_to_csv_string(pump.id(), &pump.rows);
        let Ok(data) = read_sensor_csv(
            csv.as_bytes(),
            &ColumnMapping::default(),
            time::UtcOffset::UTC,
        ) else {
            continue;
        };
        let Some(end) = data.readings.last().map(|r| r.timestamp) else {
            continue;
        };
        let scored_from = end.plus(time::Duration::hours(-SCORED_HOURS));
        score.pumps += 1;
        let mut state = EvaluatorState::default();
        let mut history: Vec<Reading> = Vec::new();
        for r in &data.readings {
            let Outcome::Evaluated(e) = evaluator.evaluate(&mut state, r) else {
                continue;
            };
            history.push(r.clone());
            if r.timestamp < scored_from || e.status == Status::Normal {
                continue;
            }
            let from = history.len().saturating_sub(LOOKBACK);
            let diagnosis = diagnose(&history[from..], &evaluator.baseline);
            score.readings += 1;
            *score
                .diagnosed_as
                .entry(diagnosis.mode.to_string())
                .or_default() += 1;
            let right = match t.mode {
                Some(mode) => diagnosis.mode == mode,
                None => diagnosis.mode == FailureMode::Unknown,
            };
            if right {
                score.correct += 1;
            }
        }
    }
    report
}

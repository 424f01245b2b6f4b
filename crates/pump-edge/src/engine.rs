//! One reading through every rule: evaluate, remember, predict, diagnose, debounce, build
//! anomalies. The hourly run and the backtest both go through [`EdgeEngine::step`], so what
//! the backtest says would have been reported is what the hourly run reports.

use crate::state::EdgeState;
use pump_core::{
    AnomalyKey, AnomalyPayload, AnomalySource, Diagnosis, Evaluation, Evaluator, ModelInfo,
    Outcome, Parameter, ParameterValues, Prediction, Reading, ReportingRules, SiteInfo, Status,
    Timestamp, Violation, build_anomaly, candidate_keys, diagnose,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Probability of failure within 7 days above which a Normal reading is still diagnosed.
pub const DIAGNOSE_ABOVE_PROBABILITY: f64 = 0.5;

/// The model, as the engine sees it.
pub trait Predictor {
    /// Predicts from the pump's evaluated readings, oldest first, the current one last;
    /// `Err` carries the reason there is no prediction.
    fn predict(&self, history: &[Reading]) -> Result<Prediction, String>;
}

/// Everything fixed for one pump during a run.
pub struct EdgeEngine<'a> {
    /// Baseline, grade, allowance and running rule.
    pub evaluator: Evaluator,
    /// Site and sensor ids.
    pub site: SiteInfo,
    /// Model name and artifact version, for payloads.
    pub model_info: ModelInfo,
    /// Which anomalies are reported, and the debounce window.
    pub reporting: ReportingRules,
    /// Whether anomalies are produced at all.
    pub reporting_enabled: bool,
    /// Evaluated readings needed before predicting.
    pub min_data_points_for_ml: usize,
    /// Days of history kept.
    pub retention_days: u32,
    /// The model; `None` for a tolerance-only artifact.
    pub predictor: Option<&'a dyn Predictor>,
}

/// An anomaly as listed in results: enough to find it at the sink.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalyRef {
    /// Stable id (the Idempotency-Key).
    pub event_id: String,
    /// What it is about.
    pub parameter: AnomalyKey,
    /// Its description.
    pub description: String,
}

/// A violation as written in results, keyed by parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViolationOut {
    /// Deviation, percent.
    pub deviation: f64,
    /// The grade's bound.
    pub threshold: f64,
    /// `max` or `min`.
    pub threshold_type: pump_core::ThresholdType,
    /// Mandatory parameter.
    pub mandatory: bool,
    /// Severity.
    pub severity: f64,
}

/// What became of one evaluated reading: one object of the backtest's JSON Lines, and one
/// entry of the results' `evaluated_readings`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingResult {
    /// Reading instant.
    pub timestamp: Timestamp,
    /// Status.
    pub status: Status,
    /// Deviations, percent of baseline.
    pub deviations: ParameterValues<f64>,
    /// Violations by parameter.
    pub violations: BTreeMap<Parameter, ViolationOut>,
    /// Mandatory parameters with a sustained violation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sustained: Vec<Parameter>,
    /// Likely failure mode, for readings that are not Normal or when failure is predicted.
    pub diagnosis: Option<Diagnosis>,
    /// The model's prediction.
    pub prediction: Option<Prediction>,
    /// Why there is no prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction_unavailable: Option<String>,
    /// Anomalies that survived debounce.
    pub anomalies: Vec<AnomalyRef>,
}

/// The outcome of one step.
#[derive(Debug, Clone)]
pub enum StepOutcome {
    /// Evaluated: the result and the anomalies to deliver.
    Evaluated {
        /// What to write.
        result: Box<ReadingResult>,
        /// What to deliver.
        anomalies: Vec<AnomalyPayload>,
    },
    /// Not evaluated (pump off, nothing known).
    NotEvaluated {
        /// Reading instant.
        timestamp: Timestamp,
        /// Why.
        reason: String,
    },
}

fn violations_by_parameter(violations: &[Violation]) -> BTreeMap<Parameter, ViolationOut> {
    violations
        .iter()
        .map(|v| {
            (
                v.parameter,
                ViolationOut {
                    deviation: v.deviation,
                    threshold: v.threshold,
                    threshold_type: v.threshold_type,
                    mandatory: v.mandatory,
                    severity: v.severity,
                },
            )
        })
        .collect()
}

impl EdgeEngine<'_> {
    /// Processes one reading: updates `state` (sustained window, history, debounce,
    /// last processed reading) and says what to report.
    pub fn step(&self, state: &mut EdgeState, reading: &Reading) -> StepOutcome {
        state.last_processed = Some(
            state
                .last_processed
                .map_or(reading.timestamp, |t| t.max(reading.timestamp)),
        );
        let evaluation = match self.evaluator.evaluate(&mut state.evaluator, reading) {
            Outcome::Evaluated(e) => e,
            Outcome::NotEvaluated { timestamp, reason } => {
                return StepOutcome::NotEvaluated { timestamp, reason };
            }
        };
        state.history.push_back(reading.clone());
        state.prune(reading.timestamp, self.retention_days);
        let history = state.history.make_contiguous();

        let (prediction, prediction_unavailable) = self.predict(history);
        let failure_near = prediction
            .as_ref()
            .is_some_and(|p| p.is_imminent() || p.probability > DIAGNOSE_ABOVE_PROBABILITY);
        // Diagnosis compares the last day with the first day of the kept history (up to
        // results_retention_days back): the longer the reference, the clearer the change.
        let diagnosis = (evaluation.status != Status::Normal || failure_near)
            .then(|| diagnose(history, &self.evaluator.baseline));

        let anomalies = if self.reporting_enabled {
            self.anomalies(state, &evaluation, diagnosis.as_ref(), prediction.as_ref())
        } else {
            Vec::new()
        };
        let result = ReadingResult {
            timestamp: evaluation.timestamp,
            status: evaluation.status,
            deviations: evaluation.deviation_percents(),
            violations: violations_by_parameter(&evaluation.violations),
            sustained: evaluation.sustained.clone(),
            diagnosis,
            prediction,
            prediction_unavailable,
            anomalies: anomalies
                .iter()
                .map(|a| AnomalyRef {
                    event_id: a.event_id().to_string(),
                    parameter: a.additional_context.parameter,
                    description: a.description.clone(),
                })
                .collect(),
        };
        StepOutcome::Evaluated {
            result: Box::new(result),
            anomalies,
        }
    }

    fn predict(&self, history: &[Reading]) -> (Option<Prediction>, Option<String>) {
        let Some(predictor) = self.predictor else {
            return (
                None,
                Some("No model in the artifact (tolerance-only): no ML prediction".into()),
            );
        };
        if history.len() < self.min_data_points_for_ml {
            return (
                None,
                Some(format!(
                    "Not enough historical data for ML prediction ({} of {} readings)",
                    history.len(),
                    self.min_data_points_for_ml
                )),
            );
        }
        match predictor.predict(history) {
            Ok(p) => (Some(p), None),
            Err(reason) => (None, Some(reason)),
        }
    }

    fn anomalies(
        &self,
        state: &mut EdgeState,
        evaluation: &Evaluation,
        diagnosis: Option<&Diagnosis>,
        prediction: Option<&Prediction>,
    ) -> Vec<AnomalyPayload> {
        let keys = candidate_keys(evaluation, prediction, &self.reporting);
        let window = time::Duration::minutes(i64::from(self.reporting.debounce_minutes));
        let reported =
            state
                .debounce
                .decide(evaluation.timestamp, evaluation.status, &keys, window);
        let source = AnomalySource {
            site: &self.site,
            tolerance_category: &self.evaluator.grade.name,
            baseline: &self.evaluator.baseline.values,
            model: &self.model_info,
        };
        reported
            .into_iter()
            .filter_map(|key| build_anomaly(&source, evaluation, key, diagnosis, prediction))
            .collect()
    }
}

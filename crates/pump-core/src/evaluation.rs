//! Deviations (SPEC §3.1), violations, severity and status (SPEC §3.3) of one reading.
//!
//! [`Evaluator::evaluate`] is a pure function of the evaluator's settings, its explicit
//! [`EvaluatorState`] (the sustained-violation window) and one reading, so the hourly run and
//! the backtest share this one code path.

use crate::baseline::Baseline;
use crate::parameter::{Parameter, ParameterValues};
use crate::reading::{Reading, RunningRule};
use crate::status::Status;
use crate::timestamp::Timestamp;
use crate::tolerance::Grade;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// Rounds to 2 decimal places, half away from zero.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A deviation from the baseline in percent of the baseline, already rounded to 2 decimals.
///
/// The rounded value is the one compared with bounds, used for severity, written and
/// reported, so 7.000000000000001 is 7.00 and does not cross a +7 bound.
///
/// ```
/// use pump_core::Deviation;
/// assert_eq!(Deviation::between(575.0, 500.0).unwrap().percent(), 15.0);
/// assert_eq!(Deviation::from_percent(7.000000000000001).percent(), 7.0);
/// assert_eq!(Deviation::from_percent(-1.205).percent(), -1.21);
/// assert!(Deviation::between(1.0, 0.0).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Deviation(f64);

impl Deviation {
    /// Rounds a percentage to a deviation.
    pub fn from_percent(percent: f64) -> Deviation {
        Deviation(round2(percent))
    }

    /// `(current − baseline) / baseline × 100`, rounded; `None` for a zero or non-finite
    /// baseline or current value.
    pub fn between(current: f64, baseline: f64) -> Option<Deviation> {
        if baseline == 0.0 || !baseline.is_finite() || !current.is_finite() {
            return None;
        }
        Some(Deviation::from_percent(
            (current - baseline) / baseline * 100.0,
        ))
    }

    /// The rounded percentage.
    pub fn percent(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+.2}%", self.0)
    }
}

/// Why a parameter of a reading was not evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unevaluated {
    /// The parameter.
    pub parameter: Parameter,
    /// Why, e.g. `"baseline is zero"`.
    pub reason: String,
}

/// Computes the deviation of every parameter of `reading` from `baseline`.
///
/// With `baseline.speed_correction` on and both speeds known, flow, head and power are first
/// corrected to the baseline speed by the affinity laws (flow × N0/N, head × (N0/N)²,
/// power × (N0/N)³). Returns the deviations, the values compared (after correction) and the
/// parameters that could not be evaluated, with a reason.
pub fn deviations(
    reading: &Reading,
    baseline: &Baseline,
) -> (
    ParameterValues<Deviation>,
    ParameterValues<f64>,
    Vec<Unevaluated>,
) {
    let ratio = match (baseline.speed_correction, baseline.speed_rpm, reading.speed) {
        (true, Some(n0), Some(n)) if n > 0.0 && n0 > 0.0 => Some(n0 / n),
        _ => None,
    };
    let mut devs = ParameterValues::empty();
    let mut compared = ParameterValues::empty();
    let mut unevaluated = Vec::new();
    for p in Parameter::ALL {
        let Some(raw) = reading.value(p) else {
            unevaluated.push(Unevaluated {
                parameter: p,
                reason: "value unknown".into(),
            });
            continue;
        };
        let current = match (ratio, p) {
            (Some(r), Parameter::Flow) => raw * r,
            (Some(r), Parameter::Head) => raw * r * r,
            (Some(r), Parameter::Power) => raw * r * r * r,
            _ => raw,
        };
        compared.set(p, Some(current));
        match baseline.values.value(p) {
            None => unevaluated.push(Unevaluated {
                parameter: p,
                reason: "no baseline value".into(),
            }),
            Some(0.0) => unevaluated.push(Unevaluated {
                parameter: p,
                reason: "baseline is zero".into(),
            }),
            Some(b) => devs.set(p, Deviation::between(current, b)),
        }
    }
    (devs, compared, unevaluated)
}

/// Which side of a limit a deviation crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdType {
    /// Above the maximum.
    Max,
    /// Below the minimum.
    Min,
}

/// A parameter outside its grade's limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The parameter.
    pub parameter: Parameter,
    /// Its deviation, percent.
    pub deviation: f64,
    /// The grade's bound that was crossed, percent (before any measurement allowance).
    pub threshold: f64,
    /// Which side.
    pub threshold_type: ThresholdType,
    /// Whether the parameter is mandatory in the grade.
    pub mandatory: bool,
    /// `|deviation| / |threshold|`, or `|deviation| / 10` when the threshold is 0.
    pub severity: f64,
}

impl Violation {
    /// Severity above 1.5.
    pub fn is_severe(&self) -> bool {
        self.severity > SEVERE_ABOVE
    }
}

/// A violation is severe when its severity is greater than this.
pub const SEVERE_ABOVE: f64 = 1.5;

/// Checks deviations against a grade. `allowance` (percent, per parameter; missing = 0)
/// widens both checked bounds; severity is still relative to the grade's own bound.
pub fn violations(
    deviations: &ParameterValues<Deviation>,
    grade: &Grade,
    allowance: &ParameterValues<f64>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for (p, dev) in deviations.iter() {
        let Some(limit) = grade.limit(p) else {
            continue;
        };
        let d = dev.percent();
        let widen = allowance.value(p).unwrap_or(0.0).max(0.0);
        let crossed = match (limit.max, limit.min) {
            (Some(max), _) if d > max + widen => Some((max, ThresholdType::Max)),
            (_, Some(min)) if d < min - widen => Some((min, ThresholdType::Min)),
            _ => None,
        };
        if let Some((bound, threshold_type)) = crossed {
            let severity = if bound == 0.0 {
                d.abs() / 10.0
            } else {
                d.abs() / bound.abs()
            };
            out.push(Violation {
                parameter: p,
                deviation: d,
                threshold: bound,
                threshold_type,
                mandatory: limit.mandatory,
                severity,
            });
        }
    }
    out
}

/// The status of a reading from its violations (SPEC §3.3, first rule that holds).
///
/// `sustained` lists the mandatory parameters with a sustained violation (see
/// [`SustainedWindow`]).
///
/// ```
/// use pump_core::{classify, Status};
/// assert_eq!(classify(&[], &[]), Status::Normal);
/// ```
pub fn classify(violations: &[Violation], sustained: &[Parameter]) -> Status {
    if violations.is_empty() {
        return Status::Normal;
    }
    let mandatory = violations.iter().filter(|v| v.mandatory).count();
    let severe = violations.iter().filter(|v| v.is_severe()).count();
    if mandatory >= 2 || severe >= 2 {
        Status::Failure
    } else if severe == 1 || violations.len() >= 3 || !sustained.is_empty() {
        Status::Critical
    } else {
        Status::Warning
    }
}

/// Readings in the sustained-violation window.
pub const SUSTAINED_WINDOW: usize = 24;
/// Violated readings in the window (this one included) that make a violation sustained.
pub const SUSTAINED_MIN_VIOLATED: usize = 17;

/// Which parameters were violated in the last [`SUSTAINED_WINDOW`] evaluated readings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SustainedWindow {
    recent: VecDeque<ParameterValues<bool>>,
}

impl SustainedWindow {
    /// Records one evaluated reading's violations and returns the mandatory parameters whose
    /// violation is sustained: violated now and in at least 17 of the last 24 evaluated
    /// readings, this one included (so it needs 24 evaluated readings). A parameter that was
    /// unknown in a reading counts as not violated there.
    pub fn record(&mut self, violations: &[Violation]) -> Vec<Parameter> {
        let mut flags = ParameterValues::empty();
        for v in violations {
            flags.set(v.parameter, Some(true));
        }
        self.recent.push_back(flags);
        while self.recent.len() > SUSTAINED_WINDOW {
            self.recent.pop_front();
        }
        if self.recent.len() < SUSTAINED_WINDOW {
            return Vec::new();
        }
        violations
            .iter()
            .filter(|v| v.mandatory)
            .map(|v| v.parameter)
            .filter(|&p| {
                let count = self
                    .recent
                    .iter()
                    .filter(|f| f.value(p) == Some(true))
                    .count();
                count >= SUSTAINED_MIN_VIOLATED
            })
            .collect()
    }

    /// Number of readings in the window (at most 24).
    pub fn len(&self) -> usize {
        self.recent.len()
    }

    /// True before the first evaluated reading.
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }
}

/// Everything needed to evaluate readings of one pump.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluator {
    /// The pump's baseline.
    pub baseline: Baseline,
    /// Its tolerance grade.
    pub grade: Grade,
    /// Measurement allowance per parameter, percent (SPEC §3.2).
    pub allowance: ParameterValues<f64>,
    /// When the pump counts as off.
    pub running: RunningRule,
}

/// The state an [`Evaluator`] carries from one reading to the next; serialisable so that
/// hourly runs continue where the last one stopped.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvaluatorState {
    /// Violations of the last evaluated readings.
    pub sustained: SustainedWindow,
}

/// The result of evaluating one running reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Instant of the reading.
    pub timestamp: Timestamp,
    /// Its status.
    pub status: Status,
    /// Deviations, percent of baseline.
    pub deviations: ParameterValues<Deviation>,
    /// Violations, in parameter order.
    pub violations: Vec<Violation>,
    /// Values compared with the baseline (after unit scaling and speed correction).
    pub current_values: ParameterValues<f64>,
    /// Parameters not evaluated, with reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unevaluated: Vec<Unevaluated>,
    /// Mandatory parameters whose violation is sustained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sustained: Vec<Parameter>,
}

impl Evaluation {
    /// Deviations as plain numbers, for payloads.
    pub fn deviation_percents(&self) -> ParameterValues<f64> {
        self.deviations.map(|_, d| d.percent())
    }

    /// The violation of one parameter.
    pub fn violation(&self, parameter: Parameter) -> Option<&Violation> {
        self.violations.iter().find(|v| v.parameter == parameter)
    }
}

/// What became of one reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Evaluated.
    Evaluated(Evaluation),
    /// Not evaluated: the pump was off, or nothing graded was known.
    NotEvaluated {
        /// Instant of the reading.
        timestamp: Timestamp,
        /// Why.
        reason: String,
    },
}

impl Evaluator {
    /// Evaluates one reading. Not-running readings and readings with no graded value known
    /// are not evaluated and leave `state` unchanged.
    pub fn evaluate(&self, state: &mut EvaluatorState, reading: &Reading) -> Outcome {
        if let Some(reason) = self.running.not_running_reason(reading) {
            return Outcome::NotEvaluated {
                timestamp: reading.timestamp,
                reason,
            };
        }
        if reading.values.is_empty() {
            return Outcome::NotEvaluated {
                timestamp: reading.timestamp,
                reason: "flow, head, power and efficiency all unknown".into(),
            };
        }
        let (deviations, current_values, unevaluated) = deviations(reading, &self.baseline);
        let violations = violations(&deviations, &self.grade, &self.allowance);
        let sustained = state.sustained.record(&violations);
        let status = classify(&violations, &sustained);
        Outcome::Evaluated(Evaluation {
            timestamp: reading.timestamp,
            status,
            deviations,
            violations,
            current_values,
            unevaluated,
            sustained,
        })
    }
}

//! The history the edge program keeps on disk: one point per evaluated reading.

use pump_core::{Baseline, Deviation, Evaluation, ParameterValues, Reading, Timestamp};
use serde::{Deserialize, Serialize};

/// One evaluated reading, reduced to what the model needs.
///
/// Every value is a deviation from the pump's baseline in percent of the baseline, so that
/// pumps of different sizes look alike to the model. Not-running readings never become
/// history points (SPEC §2.1): a pump that is off is not "Flow −100 %".
///
/// ```
/// use pump_core::*;
/// use pump_model::HistoryPoint;
/// let mut baseline = Baseline::new("Well 1", 500.0, 150.0, 75.0, 85.5);
/// baseline.suction_psi = Some(25.0);
/// let t: Timestamp = "2024-11-18T14:32:00Z".parse().unwrap();
/// let mut reading = Reading::new(t).with(Parameter::Flow, 575.0).with(Parameter::Head, 154.8);
/// reading.suction = Some(20.0);
/// let evaluator = Evaluator {
///     baseline: baseline.clone(),
///     grade: ToleranceTable::builtin().grade("1U").unwrap().clone(),
///     allowance: ParameterValues::empty(),
///     running: RunningRule::default_for(None),
/// };
/// let Outcome::Evaluated(e) = evaluator.evaluate(&mut EvaluatorState::default(), &reading)
///     else { panic!("the pump runs") };
/// let point = HistoryPoint::new(&reading, &e, &baseline);
/// assert_eq!(point.deviations.flow, Some(15.0));
/// assert_eq!(point.suction, Some(-20.0));
/// assert_eq!(point.speed, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Instant of the reading, UTC.
    pub timestamp: Timestamp,
    /// Deviations of flow, head, power and efficiency, percent of baseline (as evaluated).
    pub deviations: ParameterValues<f64>,
    /// Suction pressure, percent deviation from the baseline suction (when both are known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suction: Option<f64>,
    /// Motor speed, percent deviation from the baseline speed (when both are known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

impl HistoryPoint {
    /// The history point of an evaluated reading.
    pub fn new(reading: &Reading, evaluation: &Evaluation, baseline: &Baseline) -> HistoryPoint {
        HistoryPoint::from_deviations(
            reading,
            evaluation.deviation_percents(),
            baseline,
            evaluation.timestamp,
        )
    }

    /// The history point of `reading` when it would be evaluated (SPEC §2.1): running, and
    /// at least one graded value known. The same rules as [`pump_core::Evaluator`], without
    /// a tolerance grade, which features do not need.
    pub fn from_reading(
        reading: &Reading,
        baseline: &Baseline,
        running: &pump_core::RunningRule,
    ) -> Option<HistoryPoint> {
        if running.not_running_reason(reading).is_some() || reading.values.is_empty() {
            return None;
        }
        let (deviations, _, _) = pump_core::deviations(reading, baseline);
        Some(HistoryPoint::from_deviations(
            reading,
            deviations.map(|_, d| d.percent()),
            baseline,
            reading.timestamp,
        ))
    }

    fn from_deviations(
        reading: &Reading,
        deviations: ParameterValues<f64>,
        baseline: &Baseline,
        timestamp: Timestamp,
    ) -> HistoryPoint {
        let relative = |current: Option<f64>, base: Option<f64>| {
            Deviation::between(current?, base?).map(Deviation::percent)
        };
        HistoryPoint {
            timestamp,
            deviations,
            suction: relative(reading.suction, baseline.suction_psi),
            speed: relative(reading.speed, baseline.speed_rpm),
        }
    }
}

//! How good predictions are on pumps held out of training (SPEC §3.4), for any predictor:
//! the model and the baselines it is compared with.

use crate::dataset::LabeledRow;
use pump_core::Prediction;
use serde::{Deserialize, Serialize};

/// Probability above which a prediction counts as an alarm in the alarm metrics.
pub const ALARM_PROBABILITY: f64 = 0.7;
/// Confidence threshold of the SPEC's confidence property.
pub const CONFIDENCE_THRESHOLD: f64 = 0.7;
/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 10;

const DAY: f64 = 86_400.0;

/// Errors of a point prediction against a truth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorMetrics {
    /// Rows compared.
    pub count: usize,
    /// Mean absolute error, days.
    pub mae: f64,
    /// Root mean squared error, days.
    pub rmse: f64,
    /// Coefficient of determination (1 is perfect, 0 is the truth's mean).
    pub r2: f64,
}

impl ErrorMetrics {
    /// Errors of `(predicted, true)` pairs; `None` without pairs.
    pub fn of(pairs: &[(f64, f64)]) -> Option<ErrorMetrics> {
        if pairs.is_empty() {
            return None;
        }
        let n = pairs.len() as f64;
        let mean_true = pairs.iter().map(|p| p.1).sum::<f64>() / n;
        let sse: f64 = pairs.iter().map(|(p, t)| (p - t).powi(2)).sum();
        let sst: f64 = pairs.iter().map(|(_, t)| (t - mean_true).powi(2)).sum();
        Some(ErrorMetrics {
            count: pairs.len(),
            mae: pairs.iter().map(|(p, t)| (p - t).abs()).sum::<f64>() / n,
            rmse: (sse / n).sqrt(),
            r2: if sst > 0.0 { 1.0 - sse / sst } else { 0.0 },
        })
    }
}

/// Quality of the 7-day failure probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityMetrics {
    /// Rows with a known outcome.
    pub count: usize,
    /// Of which the pump failed within 7 days.
    pub positives: usize,
    /// Area under the ROC curve (`None` when only one outcome occurs).
    pub roc_auc: Option<f64>,
    /// Mean squared difference between probability and outcome.
    pub brier: f64,
    /// Expected calibration error over 10 equal-width bins.
    pub ece: f64,
}

/// Alarms (probability > 0.7) before failures and on pumps that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlarmMetrics {
    /// Failures with rows in the RUL cap before them.
    pub failures: usize,
    /// Of which an alarm came in that time.
    pub detected: usize,
    /// Median days from the first alarm to the failure, over detected failures.
    pub median_lead_days: Option<f64>,
    /// Mean days from the first alarm to the failure, over detected failures.
    pub mean_lead_days: Option<f64>,
    /// Alarms (rising edges) on censored pumps at instants known not to precede a failure
    /// within 7 days, per pump-month of such instants.
    pub false_alarms_per_pump_month: Option<f64>,
    /// Pump-months of censored history the false-alarm rate is over.
    pub censored_pump_months: f64,
}

/// The SPEC's confidence property: errors above and at-or-below confidence 0.7.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceSplit {
    /// Predictions with confidence > 0.7.
    pub above: usize,
    /// Their mean absolute RUL error (capped), days.
    pub above_mae: Option<f64>,
    /// Predictions with confidence ≤ 0.7.
    pub at_or_below: usize,
    /// Their mean absolute RUL error (capped), days.
    pub at_or_below_mae: Option<f64>,
    /// Whether the error above 0.7 is lower (`None` when a side is empty).
    pub holds: Option<bool>,
}

/// Metrics of predictions on held-out pumps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutMetrics {
    /// Pumps predicted.
    pub pumps: usize,
    /// Rows predicted.
    pub rows: usize,
    /// RUL errors against the capped truth (censored rows included where known).
    pub rul_capped: Option<ErrorMetrics>,
    /// RUL errors against the uncapped truth (rows before a recorded failure).
    pub rul_uncapped: Option<ErrorMetrics>,
    /// The 7-day failure probability.
    pub probability: Option<ProbabilityMetrics>,
    /// Share of rows whose capped true RUL lies in the 80 % interval.
    pub interval_coverage: Option<f64>,
    /// Alarms.
    pub alarms: AlarmMetrics,
    /// The confidence property.
    pub confidence: ConfidenceSplit,
}

/// Area under the ROC curve by ranks (ties share their mean rank).
pub fn roc_auc(pairs: &[(f64, bool)]) -> Option<f64> {
    let positives = pairs.iter().filter(|p| p.1).count();
    let negatives = pairs.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let mean_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += mean_rank * sorted[i..j].iter().filter(|p| p.1).count() as f64;
        i = j;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Expected calibration error: the bins' weighted mean |mean probability − share of failures|.
pub fn expected_calibration_error(pairs: &[(f64, bool)], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut sums = vec![(0.0, 0.0, 0usize); bins];
    for &(p, o) in pairs {
        let b = ((p.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sums[b].0 += p;
        sums[b].1 += if o { 1.0 } else { 0.0 };
        sums[b].2 += 1;
    }
    let n = pairs.len().max(1) as f64;
    // A bin's weight c/n times |mean p − mean o| is |Σp − Σo| / n.
    sums.iter().map(|(p, o, _)| (p - o).abs() / n).sum()
}

/// Metrics of `predictions` (one per row, same order) on `rows`.
///
/// `rows` must be grouped by pump and in time order within a pump, as
/// [`crate::TrainingSet::rows`] makes them.
pub fn held_out_metrics(rows: &[LabeledRow], predictions: &[Prediction]) -> HeldOutMetrics {
    let pairs = rows.iter().zip(predictions);
    let capped: Vec<(f64, f64)> = pairs
        .clone()
        .filter_map(|(r, p)| Some((p.rul_days, r.labels.rul_capped?)))
        .collect();
    let uncapped: Vec<(f64, f64)> = pairs
        .clone()
        .filter_map(|(r, p)| Some((p.rul_days, r.labels.rul_days?)))
        .collect();
    let outcomes: Vec<(f64, bool)> = pairs
        .clone()
        .filter_map(|(r, p)| Some((p.probability, r.labels.fails_within_horizon?)))
        .collect();
    let probability = (!outcomes.is_empty()).then(|| ProbabilityMetrics {
        count: outcomes.len(),
        positives: outcomes.iter().filter(|o| o.1).count(),
        roc_auc: roc_auc(&outcomes),
        brier: outcomes
            .iter()
            .map(|&(p, o)| (p - if o { 1.0 } else { 0.0 }).powi(2))
            .sum::<f64>()
            / outcomes.len() as f64,
        ece: expected_calibration_error(&outcomes, ECE_BINS),
    });
    let inside: Vec<bool> = pairs
        .clone()
        .filter_map(|(r, p)| {
            let t = r.labels.rul_capped?;
            Some(t >= p.rul_interval_days[0] - 1e-9 && t <= p.rul_interval_days[1] + 1e-9)
        })
        .collect();
    let interval_coverage = (!inside.is_empty())
        .then(|| inside.iter().filter(|&&b| b).count() as f64 / inside.len() as f64);

    let mut above = Vec::new();
    let mut below = Vec::new();
    for (r, p) in pairs.clone() {
        if let Some(t) = r.labels.rul_capped {
            let e = (p.rul_days - t).abs();
            if p.confidence > CONFIDENCE_THRESHOLD {
                above.push(e);
            } else {
                below.push(e);
            }
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let (above_mae, at_or_below_mae) = (mean(&above), mean(&below));
    let confidence = ConfidenceSplit {
        above: above.len(),
        above_mae,
        at_or_below: below.len(),
        at_or_below_mae,
        holds: above_mae.zip(at_or_below_mae).map(|(a, b)| a < b),
    };

    let mut pumps: Vec<usize> = rows.iter().map(|r| r.pump).collect();
    pumps.dedup();
    HeldOutMetrics {
        pumps: pumps.len(),
        rows: rows.len(),
        rul_capped: ErrorMetrics::of(&capped),
        rul_uncapped: ErrorMetrics::of(&uncapped),
        probability,
        interval_coverage,
        alarms: alarm_metrics(rows, predictions),
        confidence,
    }
}

fn alarm_metrics(rows: &[LabeledRow], predictions: &[Prediction]) -> AlarmMetrics {
    let cap_window = 30.0;
    let mut leads = Vec::new();
    let mut failures = 0;
    let mut false_alarms = 0usize;
    let mut censored_seconds = 0.0;
    let mut start = 0;
    while start < rows.len() {
        let pump = rows[start].pump;
        let end = start + rows[start..].iter().take_while(|r| r.pump == pump).count();
        let pump_rows = &rows[start..end];
        let pump_predictions = &predictions[start..end.min(predictions.len())];
        let censored = pump_rows.iter().all(|r| r.labels.rul_days.is_none());
        if censored {
            let known: Vec<(usize, &LabeledRow)> = pump_rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.labels.fails_within_horizon == Some(false))
                .collect();
            let mut alarmed = false;
            for &(i, _) in &known {
                let on = pump_predictions
                    .get(i)
                    .is_some_and(|p| p.probability > ALARM_PROBABILITY);
                if on && !alarmed {
                    false_alarms += 1;
                }
                alarmed = on;
            }
            if let (Some(first), Some(last)) = (known.first(), known.last()) {
                censored_seconds +=
                    (last.1.timestamp.unix_seconds() - first.1.timestamp.unix_seconds()) as f64;
            }
        } else {
            // One failure per stretch of rows whose RUL decreases toward it.
            let mut in_failure: Option<(f64, bool)> = None; // (last rul, detected)
            for (i, r) in pump_rows.iter().enumerate() {
                let Some(rul) = r.labels.rul_days else {
                    continue;
                };
                if rul > cap_window {
                    continue;
                }
                let new_failure = in_failure.is_none_or(|(last, _)| rul > last);
                if new_failure {
                    failures += 1;
                    in_failure = Some((rul, false));
                }
                let alarm = pump_predictions
                    .get(i)
                    .is_some_and(|p| p.probability > ALARM_PROBABILITY);
                if let Some((last, detected)) = in_failure.as_mut() {
                    if alarm && !*detected {
                        *detected = true;
                        leads.push(rul);
                    }
                    *last = rul;
                }
            }
        }
        start = end;
    }
    leads.sort_by(f64::total_cmp);
    let months = censored_seconds / DAY / 30.0;
    AlarmMetrics {
        failures,
        detected: leads.len(),
        median_lead_days: (!leads.is_empty()).then(|| {
            let m = leads.len() / 2;
            if leads.len() % 2 == 1 {
                leads[m]
            } else {
                (leads[m - 1] + leads[m]) / 2.0
            }
        }),
        mean_lead_days: (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64),
        false_alarms_per_pump_month: (months > 0.0).then(|| false_alarms as f64 / months),
        censored_pump_months: months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ordered_pairs_and_ties_as_half() {
        let pairs = [(0.1, false), (0.4, true), (0.35, false), (0.8, true)];
        assert_eq!(roc_auc(&pairs), Some(1.0));
        let pairs = [(0.5, false), (0.5, true)];
        assert_eq!(roc_auc(&pairs), Some(0.5));
        let pairs = [(0.9, false), (0.1, true), (0.5, true)];
        assert_eq!(roc_auc(&pairs), Some(0.0));
        assert_eq!(roc_auc(&[(0.3, true)]), None);
    }

    #[test]
    fn ece_of_a_calibrated_bin_is_zero_and_of_a_wrong_one_its_gap() {
        let calibrated = [(0.25, true), (0.25, false), (0.25, false), (0.25, false)];
        assert!(expected_calibration_error(&calibrated, 10).abs() < 1e-12);
        let wrong = [(0.9, false), (0.9, false)];
        assert!((expected_calibration_error(&wrong, 10) - 0.9).abs() < 1e-12);
    }

    fn row(pump: usize, day: f64, labels: crate::Labels) -> LabeledRow {
        LabeledRow {
            pump,
            point: 0,
            timestamp: pump_core::Timestamp::from_unix_seconds((day * DAY) as i64),
            features: [0.0; crate::FEATURE_COUNT],
            labels,
        }
    }

    fn prediction(probability: f64) -> Prediction {
        Prediction {
            rul_days: 30.0,
            rul_interval_days: [30.0, 30.0],
            probability,
            confidence: 1.0,
            top_factors: Vec::new(),
        }
    }

    #[test]
    fn alarms_count_lead_times_and_false_alarms_per_pump_month() {
        let failing = |rul: f64| crate::Labels {
            rul_days: Some(rul),
            rul_capped: Some(rul),
            fails_within_horizon: Some(rul <= 7.0),
        };
        let censored = crate::Labels {
            rul_days: None,
            rul_capped: Some(30.0),
            fails_within_horizon: Some(false),
        };
        let mut rows = Vec::new();
        let mut probabilities = Vec::new();
        // Pump 0 fails on day 10; its first alarm comes 6 days before.
        for (day, p) in [(0.0, 0.1), (2.0, 0.2), (4.0, 0.8), (6.0, 0.9), (8.0, 0.95)] {
            rows.push(row(0, day, failing(10.0 - day)));
            probabilities.push(p);
        }
        // Pump 1 is censored: two alarm episodes over 60 days.
        for (day, p) in [
            (0.0, 0.1),
            (15.0, 0.8),
            (30.0, 0.8),
            (45.0, 0.1),
            (60.0, 0.9),
        ] {
            rows.push(row(1, day, censored));
            probabilities.push(p);
        }
        let predictions: Vec<Prediction> = probabilities.into_iter().map(prediction).collect();
        let m = held_out_metrics(&rows, &predictions);
        assert_eq!(m.pumps, 2);
        assert_eq!((m.alarms.failures, m.alarms.detected), (1, 1));
        assert_eq!(m.alarms.median_lead_days, Some(6.0));
        assert_eq!(m.alarms.censored_pump_months, 2.0);
        assert_eq!(m.alarms.false_alarms_per_pump_month, Some(1.0));
        // Every prediction says 30 days with confidence 1: the low-confidence side is empty.
        assert_eq!(m.confidence.at_or_below, 0);
        assert_eq!(m.confidence.holds, None);
        assert_eq!(m.interval_coverage, Some(0.5));
    }

    #[test]
    fn error_metrics_of_a_known_case() {
        let m = ErrorMetrics::of(&[(1.0, 2.0), (3.0, 4.0), (5.0, 3.0)]).unwrap();
        assert_eq!(m.count, 3);
        assert!((m.mae - 4.0 / 3.0).abs() < 1e-12);
        assert!((m.rmse - 2.0f64.sqrt()).abs() < 1e-12);
        // Truth mean 3, SST 2, SSE 6.
        assert!((m.r2 + 2.0).abs() < 1e-12);
    }
}

//! Training: out-of-fold predictions over folds grouped by pump, calibration fitted on them,
//! cross-fitted metrics of pumps no tree saw, and final forests on every pump.

use crate::calibration::{ErrorTable, Isotonic};
use crate::dataset::{LabeledRow, TrainingSet};
use crate::error::TrainError;
use crate::features::{FEATURE_COUNT, feature_names};
use crate::forest::{ForestParams, Matrix, fit_forest};
use crate::metrics::held_out_metrics;
use crate::model::{Calibration, Estimators, FailureScore, Model, Scaler, metadata_for};
use pump_core::Prediction;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// RUL labels and predictions are capped here, days: beyond a month a pump's signals say
    /// nothing about when it will fail, only that it is not soon.
    pub rul_cap_days: f64,
    /// Evaluated readings a prediction needs (SPEC §3.4 default: 168, a week of hours).
    pub min_data_points: usize,
    /// Hours between training rows of one pump (neighbouring hours are near-duplicates).
    pub row_step_hours: f64,
    /// Trees per forest.
    pub trees: usize,
    /// Deepest split.
    pub max_depth: u16,
    /// Fewest rows in a leaf (keeps trees small and leaf values stable).
    pub min_samples_leaf: usize,
    /// Rows drawn with replacement for each tree, as a share of the training rows.
    pub sample_fraction: f64,
    /// Features each tree may split on, as a share of all features.
    pub feature_fraction: f64,
    /// Folds (grouped by pump) for the out-of-fold calibration.
    pub folds: usize,
    /// Bins of predicted RUL over which out-of-fold errors set the interval and confidence
    /// (each split again into 3 by the trees' spread).
    pub error_bins: usize,
    /// Confidence is the share of out-of-fold predictions like this one (same RUL and
    /// spread bin) that were within this many days of the truth.
    pub confidence_tolerance_days: f64,
    /// Seed of every random choice: the same data and configuration give the same model.
    pub seed: u64,
    /// Threads growing trees (the result does not depend on it).
    pub threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            rul_cap_days: 30.0,
            min_data_points: 168,
            row_step_hours: 4.0,
            trees: 40,
            max_depth: 10,
            min_samples_leaf: 10,
            sample_fraction: 0.5,
            feature_fraction: 1.0,
            folds: 4,
            error_bins: 5,
            confidence_tolerance_days: 3.0,
            seed: 1,
            threads: 2,
        }
    }
}

impl TrainConfig {
    fn validate(&self) -> Result<(), TrainError> {
        let bad = |what: &str| Err(TrainError::Config(what.to_string()));
        if !(self.rul_cap_days.is_finite() && self.rul_cap_days >= 7.0) {
            return bad("rul_cap_days must be at least 7");
        }
        if !(self.row_step_hours.is_finite() && self.row_step_hours > 0.0) {
            return bad("row_step_hours must be positive");
        }
        if self.trees == 0 || self.trees > 1000 {
            return bad("trees must be 1 to 1000");
        }
        if self.max_depth == 0 || self.min_samples_leaf == 0 {
            return bad("max_depth and min_samples_leaf must be positive");
        }
        let share = |v: f64| v.is_finite() && v > 0.0 && v <= 1.0;
        if !share(self.sample_fraction) || !share(self.feature_fraction) {
            return bad("sample_fraction and feature_fraction must be in (0, 1]");
        }
        if self.folds < 2 {
            return bad("folds must be at least 2");
        }
        if !(self.confidence_tolerance_days.is_finite() && self.confidence_tolerance_days > 0.0) {
            return bad("confidence_tolerance_days must be positive");
        }
        if self.error_bins == 0 {
            return bad("error_bins must be positive");
        }
        Ok(())
    }

    fn forest(&self, seed: u64) -> ForestParams {
        ForestParams {
            trees: self.trees,
            max_depth: self.max_depth,
            min_samples_leaf: self.min_samples_leaf,
            sample_fraction: self.sample_fraction,
            feature_fraction: self.feature_fraction,
            seed,
            threads: self.threads.max(1),
        }
    }
}

/// How far training has come: `done` of `total` steps (trees grown, pumps featurised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainProgress {
    /// What is being done: `features`, `cross-validation`, `final model` or `evaluation`.
    pub stage: &'static str,
    /// Steps done.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
}

/// Assigns every pump a fold; failed and censored pumps are dealt out separately (after a
/// seeded shuffle) so that each fold gets its share of both.
fn assign_folds(set: &TrainingSet, config: &TrainConfig) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let (mut failed, mut censored): (Vec<usize>, Vec<usize>) =
        (0..set.pumps.len()).partition(|&i| !set.pumps[i].failures.is_empty());
    failed.shuffle(&mut rng);
    censored.shuffle(&mut rng);
    let mut fold = vec![0; set.pumps.len()];
    for (n, &p) in failed.iter().chain(&censored).enumerate() {
        fold[p] = n % config.folds;
    }
    fold
}

/// What the forests said about one row, from trees that never saw its pump.
#[derive(Debug, Clone, Copy)]
struct OutOfFold {
    mean: f64,
    spread: f64,
    scores: [f64; 4],
}

/// Fits the calibration on the out-of-fold predictions of the rows `use_row` accepts.
fn calibrate(
    rows: &[LabeledRow],
    oof: &[Option<OutOfFold>],
    use_row: impl Fn(usize) -> bool,
    config: &TrainConfig,
) -> Option<Calibration> {
    let cap = config.rul_cap_days;
    let mut rul = Vec::new();
    let mut failure = Vec::new();
    for (i, (row, o)) in rows.iter().zip(oof).enumerate() {
        let Some(o) = o.filter(|_| use_row(i)) else {
            continue;
        };
        if let Some(t) = row.labels.rul_capped {
            rul.push((o.mean.clamp(0.0, cap), o.spread, t));
        }
        if let Some(f) = row.labels.fails_within_horizon {
            failure.push((o.scores, f));
        }
    }
    if rul.is_empty() || failure.is_empty() {
        return None;
    }
    // Keep the score whose calibrated probabilities have the lowest Brier score.
    let (_, score, probability) = FailureScore::ALL
        .iter()
        .enumerate()
        .map(|(k, &score)| {
            let pairs: Vec<(f64, bool)> = failure.iter().map(|(s, o)| (s[k], *o)).collect();
            let calibration = Isotonic::fit(&pairs);
            let brier: f64 = pairs
                .iter()
                .map(|&(s, o)| (calibration.apply(s) - f64::from(u8::from(o))).powi(2))
                .sum();
            (brier, score, calibration)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(Calibration {
        score,
        probability,
        errors: ErrorTable::fit(
            &rul,
            cap,
            config.error_bins,
            3,
            50,
            config.confidence_tolerance_days,
        ),
    })
}

/// Trains a model on `set`.
///
/// Pumps (never rows) are dealt into `config.folds` folds. For each fold, forests grown on
/// the other folds predict its rows; those out-of-fold predictions calibrate the
/// probability, the interval and the confidence. The held-out metrics in the metadata are
/// cross-fitted: each fold's predictions are calibrated on the other folds only, so every
/// number describes pumps that neither the trees nor the calibration saw. Final forests are
/// then grown on every pump.
///
/// `progress` is called from the training threads as trees are grown.
pub fn train(
    set: &TrainingSet,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainProgress) + Sync),
) -> Result<Model, TrainError> {
    config.validate()?;
    if set.pumps.len() < config.folds {
        return Err(TrainError::NoData(format!(
            "{} pumps; grouped cross-validation needs at least {}",
            set.pumps.len(),
            config.folds
        )));
    }
    let fold_of = assign_folds(set, config);
    let cap = config.rul_cap_days;

    let pumps = set.pumps.len();
    let mut rows: Vec<LabeledRow> = Vec::new();
    for p in 0..pumps {
        rows.extend(set.rows(&[p], config.row_step_hours, config.min_data_points, cap));
        progress(TrainProgress {
            stage: "features",
            done: p + 1,
            total: pumps,
        });
    }
    let rul_rows: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].labels.rul_capped.is_some())
        .collect();
    let failure_rows: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].labels.fails_within_horizon.is_some())
        .collect();
    if rul_rows.is_empty() || failure_rows.is_empty() {
        return Err(TrainError::NoData(format!(
            "no labelled rows (pumps need at least {} evaluated readings, and a failure or \
             {cap} days of observation after a row)",
            config.min_data_points
        )));
    }
    let data: Vec<f64> = rows.iter().flat_map(|r| r.features).collect();
    let x = Matrix {
        data: &data,
        width: FEATURE_COUNT,
    };
    let y_rul: Vec<f64> = rows
        .iter()
        .map(|r| r.labels.rul_capped.unwrap_or(cap))
        .collect();
    let y_failure: Vec<f64> = rows
        .iter()
        .map(|r| f64::from(u8::from(r.labels.fails_within_horizon == Some(true))))
        .collect();

    let total = 2 * config.trees * (config.folds + 1);
    let grown = AtomicUsize::new(0);
    let tick = |stage: &'static str| {
        let grown = &grown;
        move || {
            let done = grown.fetch_add(1, Ordering::Relaxed) + 1;
            progress(TrainProgress { stage, done, total });
        }
    };
    let grow = |targets: &[f64], on: &[usize], seed: u64, tick: &(dyn Fn() + Sync)| {
        fit_forest(&x, targets, on, &config.forest(seed), tick).map_err(TrainError::Fit)
    };

    let cv_tick = tick("cross-validation");
    let mut oof: Vec<Option<OutOfFold>> = vec![None; rows.len()];
    for fold in 0..config.folds {
        let outside = |i: &usize| fold_of[rows[*i].pump] != fold;
        let fit_rul: Vec<usize> = rul_rows.iter().copied().filter(outside).collect();
        let fit_failure: Vec<usize> = failure_rows.iter().copied().filter(outside).collect();
        if fit_rul.is_empty() || fit_failure.is_empty() {
            continue;
        }
        let seed = config.seed.wrapping_add(1000 * (fold as u64 + 1));
        let rul = grow(&y_rul, &fit_rul, seed, &cv_tick)?;
        let failure = grow(&y_failure, &fit_failure, seed + 1, &cv_tick)?;
        for i in (0..rows.len()).filter(|i| !outside(i)) {
            let (mean, spread) = rul.mean_spread(x.row(i));
            let scores = FailureScore::ALL.map(|s| s.of(&failure, &rul, x.row(i)));
            oof[i] = Some(OutOfFold {
                mean,
                spread,
                scores,
            });
        }
    }
    let calibration = calibrate(&rows, &oof, |_| true, config).ok_or_else(|| {
        TrainError::NoData("too few labelled pumps for grouped cross-validation".into())
    })?;

    // Cross-fitted metrics: fold k calibrated on the other folds only.
    let mut predictions: Vec<Option<Prediction>> = vec![None; rows.len()];
    for fold in 0..config.folds {
        let inside = |i: usize| fold_of[rows[i].pump] == fold;
        let Some(c) = calibrate(&rows, &oof, |i| !inside(i), config) else {
            continue;
        };
        for i in (0..rows.len()).filter(|&i| inside(i)) {
            if let Some(o) = oof[i] {
                let k = FailureScore::ALL
                    .iter()
                    .position(|&s| s == c.score)
                    .unwrap_or(0);
                predictions[i] = Some(c.predict(o.mean, o.spread, o.scores[k], cap));
            }
        }
    }
    let (scored_rows, scored): (Vec<LabeledRow>, Vec<Prediction>) = rows
        .iter()
        .zip(predictions)
        .filter_map(|(r, p)| Some((r.clone(), p?)))
        .unzip();
    let held_out = (!scored.is_empty()).then(|| held_out_metrics(&scored_rows, &scored));

    let final_tick = tick("final model");
    let rul = grow(&y_rul, &rul_rows, config.seed, &final_tick)?;
    let failure = grow(&y_failure, &failure_rows, config.seed + 1, &final_tick)?;
    let scaler = fit_scaler(&rows);

    let estimators = Estimators {
        feature_names: feature_names(),
        rul_cap_days: cap,
        min_data_points: u32::try_from(config.min_data_points).unwrap_or(u32::MAX),
        rul,
        failure,
        calibration,
    };
    let folds = (0..config.folds)
        .map(|f| {
            (0..pumps)
                .filter(|&p| fold_of[p] == f)
                .map(|p| set.pumps[p].pump_id.clone())
                .collect()
        })
        .collect();
    let mut metadata = metadata_for(
        &estimators,
        config,
        set.summary(),
        folds,
        [rul_rows.len(), failure_rows.len()],
    );
    metadata.held_out = held_out;
    Ok(Model {
        estimators,
        scaler,
        metadata,
    })
}

/// Mean and standard deviation of every feature over the training rows.
fn fit_scaler(rows: &[LabeledRow]) -> Scaler {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0; FEATURE_COUNT];
    let mut std = vec![0.0; FEATURE_COUNT];
    for r in rows {
        for (m, v) in mean.iter_mut().zip(r.features) {
            *m += v / n;
        }
    }
    for r in rows {
        for ((s, m), v) in std.iter_mut().zip(&mean).zip(r.features) {
            *s += (v - m).powi(2) / n;
        }
    }
    std.iter_mut().for_each(|s| *s = s.sqrt());
    Scaler {
        feature_names: feature_names(),
        mean,
        std,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_configuration_names_the_setting() {
        let config = TrainConfig {
            rul_cap_days: 5.0,
            ..TrainConfig::default()
        };
        let err = train(&TrainingSet::default(), &config, &|_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid training configuration: rul_cap_days must be at least 7"
        );
        let err = train(&TrainingSet::default(), &TrainConfig::default(), &|_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no training data: 0 pumps; grouped cross-validation needs at least 4"
        );
    }
}

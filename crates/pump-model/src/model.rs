//! A trained model: prediction, metadata and its files.

use crate::calibration::{ErrorTable, Isotonic};
use crate::dataset::{DataSummary, FAILURE_HORIZON_DAYS};
use crate::error::{ModelError, NoPrediction};
use crate::features::{FEATURE_COUNT, feature_names, features_at_end};
use crate::forest::Forest;
use crate::history::HistoryPoint;
use crate::metrics::HeldOutMetrics;
use crate::train::TrainConfig;
use pump_core::Prediction;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the model files (`anomaly_detector.bin`, `scaler.bin`) and metadata.
pub const FORMAT_VERSION: u16 = 1;
/// File of the trees and calibration.
pub const MODEL_FILE: &str = "anomaly_detector.bin";
/// File of the feature scaler.
pub const SCALER_FILE: &str = "scaler.bin";
/// File of the metadata (JSON).
pub const METADATA_FILE: &str = "model_metadata.json";
/// Name of the model in anomaly payloads (SPEC §3.7).
pub const MODEL_NAME: &str = "pump-anomaly-detector";
/// How many features `top_factors` names.
pub const TOP_FACTORS: usize = 3;

const MODEL_MAGIC: [u8; 8] = *b"PUMPMODL";
const SCALER_MAGIC: [u8; 8] = *b"PUMPSCLR";
/// magic, version (u16), reserved (u16), payload length (u64), FNV-1a checksum (u64).
const HEADER_LEN: usize = 8 + 2 + 2 + 8 + 8;

/// The trees and calibration of `anomaly_detector.bin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Estimators {
    pub feature_names: Vec<String>,
    pub rul_cap_days: f64,
    pub min_data_points: u32,
    /// Bagged trees for the capped RUL, days.
    pub rul: Forest,
    /// Bagged trees for "fails within 7 days" (leaf values are shares of failures).
    pub failure: Forest,
    /// What out-of-fold predictions taught about the forests' outputs.
    pub calibration: Calibration,
}

/// The maps from the forests' raw outputs to a [`Prediction`], fitted on out-of-fold
/// predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Calibration {
    /// Which raw score the probability calibrates.
    pub score: FailureScore,
    /// Raw failure score → calibrated probability.
    pub probability: Isotonic,
    /// Out-of-fold RUL errors by predicted RUL and spread → median correction, interval
    /// and confidence.
    pub errors: ErrorTable,
}

impl Calibration {
    /// A prediction (without top factors) from the RUL forest's mean and spread and the
    /// raw failure score.
    pub(crate) fn predict(&self, mean: f64, spread: f64, score: f64, cap: f64) -> Prediction {
        let mean = if mean.is_finite() {
            mean.clamp(0.0, cap)
        } else {
            cap
        };
        let spread = if spread.is_finite() { spread } else { 0.0 };
        let cell = self.errors.lookup(mean, spread);
        let rul = (mean + cell.median).clamp(0.0, cap);
        let low = (mean + cell.low).clamp(0.0, cap).min(rul);
        let high = if cell.reaches_cap {
            cap
        } else {
            (mean + cell.high).clamp(0.0, cap).max(rul)
        };
        let probability = self
            .probability
            .apply(if score.is_finite() { score } else { 0.0 });
        Prediction {
            rul_days: round_to(rul, 2),
            rul_interval_days: [round_to(low, 2), round_to(high, 2)],
            probability: round_to(probability, 3),
            confidence: round_to(cell.within.clamp(0.0, 1.0), 3),
            top_factors: Vec::new(),
        }
    }
}

/// The raw score that isotonic calibration turns into the 7-day failure probability; training
/// keeps the one with the lowest out-of-fold Brier score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureScore {
    /// Mean of the failure forest (trees grown on "fails within 7 days").
    FailureForest,
    /// Share of RUL trees predicting 7 days or less (the trees' vote).
    RulVotes,
    /// Mean of the two above.
    Blend,
    /// The RUL forest's mean, reversed: `1 − RUL / cap`.
    RulMean,
}

impl FailureScore {
    /// Every score, in the order training tries them.
    pub const ALL: [FailureScore; 4] = [
        FailureScore::FailureForest,
        FailureScore::RulVotes,
        FailureScore::Blend,
        FailureScore::RulMean,
    ];

    pub(crate) fn of(self, failure: &Forest, rul: &Forest, x: &[f64]) -> f64 {
        let forest = || failure.mean_spread(x).0;
        let votes = || rul.share_at_most(x, FAILURE_HORIZON_DAYS);
        let s = match self {
            FailureScore::FailureForest => forest(),
            FailureScore::RulVotes => votes(),
            FailureScore::Blend => 0.5 * (forest() + votes()),
            // Only the order matters to the calibration; the cap cancels.
            FailureScore::RulMean => -rul.mean_spread(x).0,
        };
        if s.is_finite() { s } else { 0.0 }
    }
}

/// Per-feature mean and standard deviation of the training rows (`scaler.bin`): the z-scores
/// that pick `top_factors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Scaler {
    pub feature_names: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

/// Size of the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelSize {
    /// Trees in the RUL forest.
    pub rul_trees: usize,
    /// Trees in the failure forest.
    pub failure_trees: usize,
    /// Nodes over both forests.
    pub nodes: usize,
}

/// What was trained on what, and how well it does on held-out pumps
/// (`model_metadata.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetadata {
    /// [`FORMAT_VERSION`].
    pub format_version: u16,
    /// [`MODEL_NAME`].
    pub model_name: String,
    /// `smartcore`.
    pub framework: String,
    /// The crate and version that trained it.
    pub trained_by: String,
    /// Features, in order.
    pub feature_names: Vec<String>,
    /// RUL predictions never exceed this, days.
    pub rul_cap_days: f64,
    /// Horizon of the failure probability, days.
    pub failure_horizon_days: f64,
    /// Evaluated readings a prediction needs by default.
    pub min_data_points_for_ml: usize,
    /// Trees and nodes.
    pub size: ModelSize,
    /// The score the probability calibrates.
    pub failure_score: FailureScore,
    /// The data trained on (all pumps, held-out ones included).
    pub training_data: DataSummary,
    /// The pumps of each cross-validation fold (the final trees grew on all of them).
    pub folds: Vec<Vec<String>>,
    /// Labelled rows trained on: RUL rows and failure rows.
    pub training_rows: [usize; 2],
    /// The training configuration.
    pub config: TrainConfig,
    /// Cross-fitted metrics: every row predicted by trees grown without its pump and
    /// calibrated without its fold (`None` when nothing could be scored).
    pub held_out: Option<HeldOutMetrics>,
}

/// A trained failure-prediction model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub(crate) estimators: Estimators,
    pub(crate) scaler: Scaler,
    pub(crate) metadata: ModelMetadata,
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

impl Model {
    /// What was trained on what, and the held-out metrics.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.metadata
    }

    /// The RUL cap, days.
    pub fn rul_cap_days(&self) -> f64 {
        self.estimators.rul_cap_days
    }

    /// Predicts from a pump's history (time order, the current reading last) with the
    /// model's default minimum of evaluated readings (168 unless trained otherwise).
    pub fn predict(&self, history: &[HistoryPoint]) -> Result<Prediction, NoPrediction> {
        self.predict_with_minimum(history, self.estimators.min_data_points as usize)
    }

    /// Predicts from a pump's history, needing `min_data_points` evaluated readings
    /// (`inference_settings.min_data_points_for_ml`).
    pub fn predict_with_minimum(
        &self,
        history: &[HistoryPoint],
        min_data_points: usize,
    ) -> Result<Prediction, NoPrediction> {
        let need = min_data_points.max(1);
        if history.len() < need {
            return Err(NoPrediction::NotEnoughData {
                have: history.len(),
                need,
            });
        }
        // Only the lookback window is read; check its order, not the whole history's.
        let last = history[history.len() - 1].timestamp.unix_seconds();
        let from = last - crate::features::LOOKBACK_DAYS * 86_400;
        let start = history
            .iter()
            .rposition(|p| p.timestamp.unix_seconds() <= from)
            .map_or(0, |i| i + 1)
            .min(history.len() - 1);
        if let Some(w) = history[start.saturating_sub(1)..]
            .windows(2)
            .find(|w| w[1].timestamp < w[0].timestamp)
        {
            return Err(NoPrediction::Unsorted {
                at: w[1].timestamp.to_string(),
            });
        }
        let features =
            features_at_end(history).ok_or(NoPrediction::NotEnoughData { have: 0, need })?;
        Ok(self.predict_features(&features))
    }

    /// The RUL forest's mean and spread (standard deviation over trees) before calibration,
    /// days: for diagnosis and comparison.
    pub fn forest_rul(&self, features: &[f64; FEATURE_COUNT]) -> (f64, f64) {
        self.estimators.rul.mean_spread(features)
    }

    /// Predicts from a feature vector (see [`crate::features_at_end`]).
    pub fn predict_features(&self, features: &[f64; FEATURE_COUNT]) -> Prediction {
        let e = &self.estimators;
        let (mean, spread) = e.rul.mean_spread(features);
        let score = e.calibration.score.of(&e.failure, &e.rul, features);
        Prediction {
            top_factors: self.top_factors(features),
            ..e.calibration.predict(mean, spread, score, e.rul_cap_days)
        }
    }

    /// The features with the largest |z-score × importance|, most important first.
    fn top_factors(&self, features: &[f64; FEATURE_COUNT]) -> Vec<String> {
        let e = &self.estimators;
        let mut scored: Vec<(f64, usize)> = (0..FEATURE_COUNT)
            .map(|i| {
                let sd = self.scaler.std[i];
                let z = if sd > 0.0 {
                    (features[i] - self.scaler.mean[i]) / sd
                } else {
                    0.0
                };
                let importance = 0.5 * (e.rul.importance[i] + e.failure.importance[i]);
                ((z * importance).abs(), i)
            })
            .filter(|(s, _)| s.is_finite() && *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .iter()
            .take(TOP_FACTORS)
            .map(|&(_, i)| e.feature_names[i].clone())
            .collect()
    }

    /// Writes `anomaly_detector.bin`, `scaler.bin` and `model_metadata.json` into `dir`
    /// (created when missing). Each file is written to a temporary name and renamed, so a
    /// crash leaves the old file or the new one, never half of one.
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (model, scaler, metadata) = self.to_bytes()?;
        write_atomic(&dir.join(MODEL_FILE), &model)?;
        write_atomic(&dir.join(SCALER_FILE), &scaler)?;
        write_atomic(&dir.join(METADATA_FILE), metadata.as_bytes())
    }

    /// The three files' contents: model, scaler, metadata JSON.
    pub fn to_bytes(&self) -> Result<(Vec<u8>, Vec<u8>, String), ModelError> {
        let model = encode(MODEL_FILE, MODEL_MAGIC, &self.estimators)?;
        let scaler = encode(SCALER_FILE, SCALER_MAGIC, &self.scaler)?;
        let mut metadata =
            serde_json::to_string_pretty(&self.metadata).map_err(|e| ModelError::Invalid {
                file: METADATA_FILE.into(),
                reason: e.to_string(),
            })?;
        metadata.push('\n');
        Ok((model, scaler, metadata))
    }

    /// Reads a model saved by [`Model::save`] from `dir`.
    pub fn load(dir: &Path) -> Result<Model, ModelError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| ModelError::Io { path, source })
        };
        let model = read(MODEL_FILE)?;
        let scaler = read(SCALER_FILE)?;
        let metadata = read(METADATA_FILE)?;
        let metadata = String::from_utf8(metadata).map_err(|_| ModelError::Invalid {
            file: METADATA_FILE.into(),
            reason: "not UTF-8".into(),
        })?;
        Model::from_bytes(&model, &scaler, &metadata)
    }

    /// Reads a model from the contents of its three files (e.g. straight from an artifact).
    pub fn from_bytes(model: &[u8], scaler: &[u8], metadata: &str) -> Result<Model, ModelError> {
        let invalid = |file: &str, reason: String| ModelError::Invalid {
            file: file.to_string(),
            reason,
        };
        let estimators: Estimators = postcard::from_bytes(unframe(MODEL_FILE, MODEL_MAGIC, model)?)
            .map_err(|e| invalid(MODEL_FILE, format!("cannot decode: {e}")))?;
        let scaler: Scaler = postcard::from_bytes(unframe(SCALER_FILE, SCALER_MAGIC, scaler)?)
            .map_err(|e| invalid(SCALER_FILE, format!("cannot decode: {e}")))?;
        let metadata: ModelMetadata = serde_json::from_str(metadata)
            .map_err(|e| invalid(METADATA_FILE, format!("cannot decode: {e}")))?;

        let names = feature_names();
        if estimators.feature_names != names {
            return Err(invalid(
                MODEL_FILE,
                "trained on features this program does not compute".into(),
            ));
        }
        if !(estimators.rul_cap_days.is_finite() && estimators.rul_cap_days > 0.0) {
            return Err(invalid(MODEL_FILE, "the RUL cap is not positive".into()));
        }
        estimators
            .rul
            .validate(FEATURE_COUNT)
            .and_then(|()| estimators.failure.validate(FEATURE_COUNT))
            .and_then(|()| estimators.calibration.probability.validate())
            .and_then(|()| estimators.calibration.errors.validate())
            .map_err(|reason| invalid(MODEL_FILE, reason))?;
        let scaler_ok = scaler.feature_names == names
            && scaler.mean.len() == FEATURE_COUNT
            && scaler.std.len() == FEATURE_COUNT
            && scaler.mean.iter().chain(&scaler.std).all(|v| v.is_finite());
        if !scaler_ok {
            return Err(invalid(
                SCALER_FILE,
                "does not match the model's features".into(),
            ));
        }
        if metadata.format_version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion {
                file: METADATA_FILE.into(),
                found: metadata.format_version,
                supported: FORMAT_VERSION,
            });
        }
        if metadata.feature_names != names || metadata.rul_cap_days != estimators.rul_cap_days {
            return Err(invalid(
                METADATA_FILE,
                "features or RUL cap differ from anomaly_detector.bin".into(),
            ));
        }
        Ok(Model {
            estimators,
            scaler,
            metadata,
        })
    }
}

fn encode<T: Serialize>(file: &str, magic: [u8; 8], value: &T) -> Result<Vec<u8>, ModelError> {
    postcard::to_stdvec(value)
        .map(|payload| frame(magic, &payload))
        .map_err(|e| ModelError::Invalid {
            file: file.to_string(),
            reason: e.to_string(),
        })
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// FNV-1a, 64 bits: catches the bit flips and truncations of a damaged file; model files
/// are verified against tampering by the artifact's SHA-256 (SPEC §4), not here.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn frame(magic: [u8; 8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn unframe<'a>(file: &str, magic: [u8; 8], bytes: &'a [u8]) -> Result<&'a [u8], ModelError> {
    let file = file.to_string();
    let short = |expected: usize| ModelError::Truncated {
        file: file.clone(),
        expected: expected as u64,
        found: bytes.len() as u64,
    };
    let head = &bytes[..bytes.len().min(8)];
    if head != &magic[..head.len()] {
        return Err(ModelError::NotAModelFile { file });
    }
    if bytes.len() < 10 {
        return Err(short(HEADER_LEN));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(ModelError::UnsupportedVersion {
            file,
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(short(HEADER_LEN));
    }
    if bytes[10..12] != [0, 0] {
        return Err(ModelError::Invalid {
            file,
            reason: "unknown header flags".into(),
        });
    }
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let (length, checksum) = (word(12), word(20));
    let payload = &bytes[HEADER_LEN..];
    let expected = (HEADER_LEN as u64).saturating_add(length);
    if (payload.len() as u64) < length {
        return Err(ModelError::Truncated {
            file,
            expected,
            found: bytes.len() as u64,
        });
    }
    if payload.len() as u64 > length {
        return Err(ModelError::Invalid {
            file,
            reason: format!("{} bytes after the model", payload.len() as u64 - length),
        });
    }
    if fnv1a(payload) != checksum {
        return Err(ModelError::Corrupt { file });
    }
    Ok(payload)
}

/// Metadata of a model about to be assembled by training.
pub(crate) fn metadata_for(
    estimators: &Estimators,
    config: &TrainConfig,
    training_data: DataSummary,
    folds: Vec<Vec<String>>,
    training_rows: [usize; 2],
) -> ModelMetadata {
    ModelMetadata {
        format_version: FORMAT_VERSION,
        model_name: MODEL_NAME.into(),
        framework: "smartcore".into(),
        trained_by: concat!("pump-model ", env!("CARGO_PKG_VERSION")).into(),
        feature_names: estimators.feature_names.clone(),
        rul_cap_days: estimators.rul_cap_days,
        failure_horizon_days: FAILURE_HORIZON_DAYS,
        min_data_points_for_ml: estimators.min_data_points as usize,
        failure_score: estimators.calibration.score,
        size: ModelSize {
            rul_trees: estimators.rul.trees.len(),
            failure_trees: estimators.failure.trees.len(),
            nodes: estimators.rul.nodes() + estimators.failure.nodes(),
        },
        training_data,
        folds,
        training_rows,
        config: config.clone(),
        held_out: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forest::{Node, Tree};
    use std::collections::BTreeMap;

    /// A model with one-leaf forests: RUL 12 days, failure score 0.4.
    fn constant_model() -> Model {
        let forest = |v: f32| Forest {
            trees: vec![Tree {
                nodes: vec![Node::Leaf(v)],
            }],
            importance: vec![1.0 / FEATURE_COUNT as f64; FEATURE_COUNT],
        };
        let estimators = Estimators {
            feature_names: feature_names(),
            rul_cap_days: 30.0,
            min_data_points: 168,
            rul: forest(12.0),
            failure: forest(0.4),
            calibration: Calibration {
                score: FailureScore::FailureForest,
                probability: Isotonic::fit(&[(0.2, false), (0.6, true)]),
                errors: ErrorTable::fit(
                    &[(12.0, 0.0, 10.0), (12.0, 0.0, 15.0)],
                    30.0,
                    1,
                    1,
                    1,
                    3.0,
                ),
            },
        };
        let summary = DataSummary {
            pumps: 0,
            failed_pumps: 0,
            censored_pumps: 0,
            readings: 0,
            evaluated_readings: 0,
            failures_by_mode: BTreeMap::new(),
        };
        let metadata = metadata_for(
            &estimators,
            &TrainConfig::default(),
            summary,
            vec![],
            [0, 0],
        );
        Model {
            estimators,
            scaler: Scaler {
                feature_names: feature_names(),
                mean: vec![0.0; FEATURE_COUNT],
                std: vec![1.0; FEATURE_COUNT],
            },
            metadata,
        }
    }

    #[test]
    fn a_constant_model_predicts_its_calibrated_values() {
        let p = constant_model().predict_features(&[0.0; FEATURE_COUNT]);
        // Residuals −2 and +3: median +0.5, so 12.5 days; 10 % and 90 % quantiles −1.5
        // and +2.5 around the trees' 12.
        assert_eq!(p.rul_days, 12.5);
        assert_eq!(p.rul_interval_days, [10.5, 14.5]);
        // Score 0.4 is halfway between the calibration's blocks at 0.2 (0) and 0.6 (1).
        assert_eq!(p.probability, 0.5);
        // Errors of the corrected 12.5: 2.5 and 2.5 days, both within 3 days.
        assert_eq!(p.confidence, 1.0);
        assert!(p.top_factors.is_empty(), "all features sit at their mean");
    }

    #[test]
    fn a_tree_that_loops_is_refused_even_with_a_good_checksum() {
        let mut model = constant_model();
        model.estimators.rul.trees[0].nodes = vec![Node::Split {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
        }];
        let (bytes, scaler, metadata) = model.to_bytes().unwrap();
        let err = Model::from_bytes(&bytes, &scaler, &metadata).unwrap_err();
        assert_eq!(
            err.to_string(),
            "anomaly_detector.bin: node 0 has a child out of order"
        );
    }

    #[test]
    fn damaged_files_are_errors_that_name_the_file() {
        let (bytes, scaler, metadata) = constant_model().to_bytes().unwrap();
        let load = |b: &[u8]| Model::from_bytes(b, &scaler, &metadata).map(|_| ());
        assert!(load(&bytes).is_ok());

        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        assert_eq!(
            load(&flipped).unwrap_err().to_string(),
            "anomaly_detector.bin: checksum mismatch: the file is corrupt"
        );
        let cut = &bytes[..bytes.len() - 3];
        assert_eq!(
            load(cut).unwrap_err().to_string(),
            format!(
                "anomaly_detector.bin: truncated ({} of {} bytes)",
                bytes.len() - 3,
                bytes.len()
            )
        );
        let mut future = bytes.clone();
        future[8] = 2;
        assert_eq!(
            load(&future).unwrap_err().to_string(),
            "anomaly_detector.bin: model format version 2; this program reads version 1"
        );
        assert!(matches!(
            load(b"PK\x03\x04 a zip, not a model"),
            Err(ModelError::NotAModelFile { .. })
        ));
        assert!(matches!(load(b""), Err(ModelError::Truncated { .. })));
        // The scaler is checked the same way, under its own name.
        let err = Model::from_bytes(&bytes, &bytes, &metadata).unwrap_err();
        assert_eq!(
            err.to_string(),
            "scaler.bin: not a pump-model file (unexpected magic bytes)"
        );
        let err = Model::from_bytes(&bytes, &scaler, "{").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("model_metadata.json: cannot decode")
        );
    }

    #[test]
    fn no_truncation_or_byte_flip_panics() {
        let (bytes, scaler, metadata) = constant_model().to_bytes().unwrap();
        for len in 0..bytes.len() {
            assert!(Model::from_bytes(&bytes[..len], &scaler, &metadata).is_err());
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] = b[i].wrapping_add(1);
            assert!(
                Model::from_bytes(&b, &scaler, &metadata).is_err(),
                "byte {i}"
            );
        }
    }
}

//! Failure prediction for pumps (SPEC §3.4): from a pump's history of evaluated readings,
//! its remaining useful life (RUL) with an 80 % interval, the calibrated probability that it
//! fails within 7 days, how much to trust that, and the features that drove it.
//!
//! * [`HistoryPoint`]: what the edge program keeps per evaluated reading;
//! * [`features_at_end`]: trailing-window features (level, spread, trend, extremes, change)
//!   of deviations, suction and speed, O(window) per prediction;
//! * [`TrainingSet`] and [`train()`]: labels from failures (RUL capped at
//!   [`TrainConfig::rul_cap_days`], 30 days by default; censored pumps only where the label
//!   is known), bagged smartcore regression trees, calibration on out-of-fold predictions
//!   over folds grouped by pump, cross-fitted metrics of pumps nothing was fitted on
//!   ([`held_out_metrics`], also usable for any other predictor);
//! * [`Model`]: `predict`, `save`, `load` and [`ModelMetadata`].
//!
//! A key design decision of this crate is that **every number a prediction reports is
//! calibrated on pumps the trees did not see**: the probability through isotonic regression,
//! the point and interval through the median and quantiles of residuals, and the confidence
//! through how often similar predictions were right, all fitted on out-of-fold predictions
//! where each fold holds out whole pumps. A row-wise
//! split would let a pump's neighbouring hours leak into its own calibration and make every
//! promise optimistic. The cost is training time: the forests are grown once per fold and
//! once more on all pumps (five times with the default four folds), which is why trees are
//! small, rows are sampled every few hours and trees grow on both cores.
//!
//! ```no_run
//! use pump_model::{Model, TrainConfig, TrainingSet, train};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (baselines, sensor_data, failures) = (vec![], vec![], vec![]);
//! let set = TrainingSet::from_fleet(&baselines, &sensor_data, &failures)?;
//! let model = train(&set, &TrainConfig::default(), &|p| eprintln!("{} {}/{}", p.stage, p.done, p.total))?;
//! model.save(std::path::Path::new("model"))?;
//! let model = Model::load(std::path::Path::new("model"))?;
//! match model.predict(&set.pumps[0].points) {
//!     Ok(prediction) => println!("RUL {} days", prediction.rul_days),
//!     Err(reason) => println!("{reason}"),
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod calibration;
pub mod dataset;
pub mod error;
pub mod features;
mod forest;
pub mod history;
pub mod metrics;
pub mod model;
pub mod train;

pub use dataset::{
    DataSummary, FAILURE_HORIZON_DAYS, LabeledRow, Labels, PumpHistory, TrainingSet,
};
pub use error::{ModelError, NoPrediction, TrainError};
pub use features::{FEATURE_COUNT, feature_names, features_at_end};
pub use history::HistoryPoint;
pub use metrics::{HeldOutMetrics, held_out_metrics};
pub use model::{FORMAT_VERSION, FailureScore, Model, ModelMetadata};
pub use train::{TrainConfig, TrainProgress, train};

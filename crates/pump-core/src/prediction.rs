//! The model's prediction as the rest of the product sees it (SPEC §3.4).

use serde::{Deserialize, Serialize};

/// Confidence above which a prediction may raise an anomaly.
pub const IMMINENT_MIN_CONFIDENCE: f64 = 0.7;
/// Predicted remaining life below which failure counts as imminent, days.
pub const IMMINENT_RUL_DAYS: f64 = 7.0;

/// Remaining useful life and failure probability of one pump at one reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted days until failure, ≥ 0, capped at the model's horizon.
    pub rul_days: f64,
    /// 80 % prediction interval of the RUL, days: `[low, high]`.
    pub rul_interval_days: [f64; 2],
    /// Calibrated probability of failure within 7 days.
    pub probability: f64,
    /// How much the model trusts this prediction, in [0, 1].
    pub confidence: f64,
    /// The features that drove this prediction, most important first.
    pub top_factors: Vec<String>,
}

impl Prediction {
    /// Imminent failure (SPEC §3.6): confidence > 0.7 and RUL < 7 days.
    ///
    /// ```
    /// use pump_core::Prediction;
    /// let p = Prediction { rul_days: 6.9, rul_interval_days: [4.0, 9.0], probability: 0.8,
    ///                      confidence: 0.71, top_factors: vec![] };
    /// assert!(p.is_imminent());
    /// assert!(!Prediction { confidence: 0.7, ..p }.is_imminent());
    /// ```
    pub fn is_imminent(&self) -> bool {
        self.confidence > IMMINENT_MIN_CONFIDENCE && self.rul_days < IMMINENT_RUL_DAYS
    }
}

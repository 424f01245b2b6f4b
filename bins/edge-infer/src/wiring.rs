//! Adapters from the library crates to pump-edge's traits: the HTTP client delivers, the
//! model predicts.

use anomaly_client::{Client, Disposition};
use pump_core::{AnomalyPayload, Baseline, Prediction, Reading};
use pump_edge::{DeliveryFailure, Predictor, Submitter};
use pump_model::{HistoryPoint, Model};

/// Delivers anomalies through the central API client (retries and backoff inside).
pub struct ApiSubmitter(pub Client);

impl Submitter for ApiSubmitter {
    fn submit(&self, payload: &AnomalyPayload) -> Result<(), DeliveryFailure> {
        match self.0.submit(payload) {
            Ok(_) => Ok(()),
            Err(e) => match e.disposition() {
                Disposition::RejectedForGood => Err(DeliveryFailure::Rejected {
                    status: e.status().unwrap_or(0),
                    body: e.server_answer().unwrap_or_default().to_string(),
                }),
                Disposition::RetryLater | Disposition::Auth => Err(DeliveryFailure::RetryLater {
                    reason: e.to_string(),
                }),
            },
        }
    }
}

/// Predicts with a trained model from the engine's history of evaluated readings.
pub struct ModelPredictor<'a> {
    /// The model.
    pub model: &'a Model,
    /// The pump's baseline, to turn readings into history points.
    pub baseline: &'a Baseline,
    /// The running rule (history holds evaluated readings only, so it always passes).
    pub running: pump_core::RunningRule,
}

impl Predictor for ModelPredictor<'_> {
    fn predict(&self, history: &[Reading]) -> Result<Prediction, String> {
        let Some(last) = history.last() else {
            return Err("no history".into());
        };
        // Features read only the lookback window; convert just that part.
        let from =
            last.timestamp.unix_seconds() - (pump_model::features::LOOKBACK_DAYS + 1) * 86_400;
        let start = history.partition_point(|r| r.timestamp.unix_seconds() < from);
        let points: Vec<HistoryPoint> = history[start..]
            .iter()
            .filter_map(|r| HistoryPoint::from_reading(r, self.baseline, &self.running))
            .collect();
        // The engine has already checked min_data_points_for_ml against the whole history.
        self.model
            .predict_with_minimum(&points, 1)
            .map_err(|e| e.to_string())
    }
}

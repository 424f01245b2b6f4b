//! When to report (SPEC §3.6): which anomalies a reading yields and which survive debounce.
//!
//! [`Debounce`] is a pure state machine: readings go in with their own timestamps (never the
//! wall clock), decisions come out, and the state serialises to JSON so that it survives
//! between hourly runs (the original system lost it, and re-reported every hour).

use crate::evaluation::Evaluation;
use crate::payload::AnomalyKey;
use crate::prediction::Prediction;
use crate::status::Status;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Duration;

/// The reporting part of deployment_config.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportingRules {
    /// Statuses whose violations are reported (default Warning, Critical, Failure).
    pub report_on_status: Vec<Status>,
    /// Minutes before the same key is reported again (default 60).
    pub debounce_minutes: u32,
    /// Whether imminent-failure predictions are reported (default true).
    pub include_ml_predictions: bool,
}

impl Default for ReportingRules {
    fn default() -> Self {
        ReportingRules {
            report_on_status: vec![Status::Warning, Status::Critical, Status::Failure],
            debounce_minutes: 60,
            include_ml_predictions: true,
        }
    }
}

/// The anomalies one evaluated reading yields before debounce: one per violated parameter
/// when its status is reportable, and one `prediction` when the model predicts imminent
/// failure (whatever the status).
pub fn candidate_keys(
    evaluation: &Evaluation,
    prediction: Option<&Prediction>,
    rules: &ReportingRules,
) -> Vec<AnomalyKey> {
    let mut keys = Vec::new();
    if rules.report_on_status.contains(&evaluation.status) {
        keys.extend(
            evaluation
                .violations
                .iter()
                .map(|v| AnomalyKey::Parameter(v.parameter)),
        );
    }
    if rules.include_ml_predictions && prediction.is_some_and(Prediction::is_imminent) {
        keys.push(AnomalyKey::Prediction);
    }
    keys
}

/// The last report of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastReport {
    /// Timestamp of the reading that was reported.
    pub at: Timestamp,
    /// Its status.
    pub status: Status,
}

/// Debounce timers, keyed by anomaly key.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Debounce {
    last: BTreeMap<AnomalyKey, LastReport>,
}

impl Debounce {
    /// Decides which of `keys`, raised by a reading at `at` with `status`, are reported, and
    /// records them:
    ///
    /// * a Normal reading first clears every timer;
    /// * a key never reported, or last reported at least `window` ago, is reported
    ///   (exactly `window` later counts);
    /// * a key whose reading's status is higher than at its last report is reported at once
    ///   (escalation);
    /// * anything else is debounced.
    ///
    /// ```
    /// use pump_core::{AnomalyKey, Debounce, Parameter, Status, Timestamp};
    /// use time::Duration;
    /// let flow = AnomalyKey::Parameter(Parameter::Flow);
    /// let t0: Timestamp = "2024-11-18T14:00:00Z".parse().unwrap();
    /// let mut d = Debounce::default();
    /// let hour = Duration::minutes(60);
    /// assert_eq!(d.decide(t0, Status::Warning, &[flow], hour), vec![flow]);
    /// assert!(d.decide(t0.plus(Duration::minutes(30)), Status::Warning, &[flow], hour).is_empty());
    /// assert_eq!(d.decide(t0.plus(Duration::minutes(40)), Status::Critical, &[flow], hour), vec![flow]);
    /// ```
    pub fn decide(
        &mut self,
        at: Timestamp,
        status: Status,
        keys: &[AnomalyKey],
        window: Duration,
    ) -> Vec<AnomalyKey> {
        if status == Status::Normal {
            self.last.clear();
        }
        let mut reported = Vec::new();
        for &key in keys {
            let report = match self.last.get(&key) {
                None => true,
                Some(last) => at.since(last.at) >= window || status > last.status,
            };
            if report && !reported.contains(&key) {
                self.last.insert(key, LastReport { at, status });
                reported.push(key);
            }
        }
        reported
    }

    /// The last report of a key.
    pub fn last_report(&self, key: AnomalyKey) -> Option<&LastReport> {
        self.last.get(&key)
    }
}

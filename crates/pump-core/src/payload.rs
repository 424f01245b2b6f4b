//! The anomaly payload the central API expects (SPEC §3.7), and its stable event id.

use crate::diagnosis::Diagnosis;
use crate::parameter::{Parameter, ParameterValues};
use crate::status::Status;
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// What an anomaly is about: one graded parameter, or the model's failure prediction.
///
/// It is also the debounce key (SPEC §3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnomalyKey {
    /// A violated parameter.
    Parameter(Parameter),
    /// The model predicts imminent failure.
    Prediction,
}

impl AnomalyKey {
    /// Every key, in output order.
    pub const ALL: [AnomalyKey; 5] = [
        AnomalyKey::Parameter(Parameter::Flow),
        AnomalyKey::Parameter(Parameter::Head),
        AnomalyKey::Parameter(Parameter::Power),
        AnomalyKey::Parameter(Parameter::Efficiency),
        AnomalyKey::Prediction,
    ];

    /// The lowercase name: a parameter's name, or `"prediction"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKey::Parameter(p) => p.as_str(),
            AnomalyKey::Prediction => "prediction",
        }
    }
}

impl AnomalyKey {
    /// Parses the lowercase name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<AnomalyKey> {
        AnomalyKey::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Serialize for AnomalyKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AnomalyKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        AnomalyKey::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown anomaly key {name:?} (expected flow, head, power, efficiency or prediction)"
            ))
        })
    }
}

impl fmt::Display for AnomalyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable id of an anomaly: the same pump, key and reading instant always give the same
/// id, so a retried or re-spooled submission can be recognised (it is also the
/// `Idempotency-Key`).
///
/// The id is `evt-` and the first 32 hex digits of SHA-256 over
/// `"{site_id}/{pump_id}\n{key}\n{timestamp}"`, with the timestamp in RFC 3339 UTC form.
/// Changing this derivation would make re-sent anomalies look new to the server: don't.
///
/// ```
/// use pump_core::{event_id, AnomalyKey, Parameter, Timestamp};
/// let t: Timestamp = "2024-11-18T14:30:00Z".parse().unwrap();
/// let a = event_id(35482, 1, AnomalyKey::Parameter(Parameter::Flow), t);
/// assert_eq!(a, event_id(35482, 1, AnomalyKey::Parameter(Parameter::Flow), t));
/// assert_ne!(a, event_id(35482, 1, AnomalyKey::Prediction, t));
/// assert!(a.starts_with("evt-") && a.len() == 36);
/// ```
pub fn event_id(site_id: i64, pump_id: i64, key: AnomalyKey, timestamp: Timestamp) -> String {
    let digest = Sha256::digest(format!("{site_id}/{pump_id}\n{key}\n{timestamp}").as_bytes());
    let mut id = String::with_capacity(36);
    id.push_str("evt-");
    for byte in &digest[..16] {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// One anomaly as POSTed to `{base_url}/edge/anomalies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyPayload {
    /// Always `"log"` for this product.
    pub source_type: String,
    /// One human line, e.g. `Flow exceeded 15.0% (threshold: 10%)`.
    pub description: String,
    /// Site, from `site_info.site_id`.
    pub site_id: i64,
    /// Pump, from `site_info.pump_id`.
    pub pump_id: i64,
    /// Sensor of the parameter, from `site_info.sensor_ids`; absent for predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_id: Option<i64>,
    /// Instant of the reading (not of the submission).
    pub timestamp: Timestamp,
    /// The measured value of the parameter, or the predicted RUL in days for a prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_value: Option<f64>,
    /// Evaluation context.
    pub additional_context: AdditionalContext,
    /// Model information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AnomalyMetadata>,
}

impl AnomalyPayload {
    /// The stable id, also sent as `Idempotency-Key`.
    pub fn event_id(&self) -> &str {
        &self.additional_context.event_id
    }
}

/// `additionalContext` of an anomaly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditionalContext {
    /// Stable id, see [`event_id`].
    pub event_id: String,
    /// What the anomaly is about (`"flow"`, …, `"prediction"`).
    pub parameter: AnomalyKey,
    /// Status of the reading.
    pub status: Status,
    /// Grade name, e.g. `"1U"`.
    pub tolerance_category: String,
    /// Every deviation of the reading, percent of baseline.
    pub all_deviations: ParameterValues<f64>,
    /// The pump's baseline.
    pub baseline_values: ParameterValues<f64>,
    /// The reading's values (after unit scaling and speed correction).
    pub current_values: ParameterValues<f64>,
    /// The likely failure mode, when one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Fields added by other producers are kept, not lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `metadata` of an anomaly: which model was involved and what it predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyMetadata {
    /// Model name, e.g. `"pump-anomaly-detector"`.
    pub model_name: String,
    /// Model (artifact) version.
    pub model_version: String,
    /// The prediction's confidence, when there was a prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Predicted remaining useful life, days.
    #[serde(
        rename = "prediction_rul_days",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub prediction_rul_days: Option<f64>,
    /// Always `"smartcore"` for models made by this product.
    pub framework: String,
}

/// Who the anomalies are about, from `site_info` of deployment_config.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// Site id.
    pub site_id: i64,
    /// Pump id at the central API.
    pub pump_id: i64,
    /// Sensor id of each parameter.
    #[serde(default)]
    pub sensor_ids: ParameterValues<i64>,
}

/// The model (or artifact) the anomalies come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Model name, `pump-anomaly-detector`.
    pub name: String,
    /// Artifact version.
    pub version: String,
}

/// Everything an anomaly carries besides the reading itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalySource<'a> {
    /// Site and sensors.
    pub site: &'a SiteInfo,
    /// Grade name.
    pub tolerance_category: &'a str,
    /// Baseline values.
    pub baseline: &'a ParameterValues<f64>,
    /// Model information.
    pub model: &'a ModelInfo,
}

/// Formats a number the way a person writes it: `10`, `-1.2`, `0.5`.
fn plain(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Builds the payload of one anomaly that survived debounce.
///
/// For a parameter key the evaluation must have a violation of that parameter; `None`
/// otherwise (and for a prediction key without a prediction).
pub fn build_anomaly(
    source: &AnomalySource<'_>,
    evaluation: &crate::evaluation::Evaluation,
    key: AnomalyKey,
    diagnosis: Option<&Diagnosis>,
    prediction: Option<&crate::prediction::Prediction>,
) -> Option<AnomalyPayload> {
    use crate::evaluation::ThresholdType;
    let (description, sensor_id, log_value) = match key {
        AnomalyKey::Parameter(p) => {
            let v = evaluation.violation(p)?;
            let verb = match v.threshold_type {
                ThresholdType::Max => "exceeded",
                ThresholdType::Min => "fell to",
            };
            (
                format!(
                    "{} {verb} {:?}% (threshold: {}%)",
                    p.label(),
                    v.deviation,
                    plain(v.threshold)
                ),
                source.site.sensor_ids.value(p),
                evaluation.current_values.value(p),
            )
        }
        AnomalyKey::Prediction => {
            let pr = prediction?;
            (
                format!(
                    "Failure predicted within {:.1} days (7-day probability {:.0}%, confidence {:.2})",
                    pr.rul_days,
                    pr.probability * 100.0,
                    pr.confidence
                ),
                None,
                Some(pr.rul_days),
            )
        }
    };
    Some(AnomalyPayload {
        source_type: "log".into(),
        description,
        site_id: source.site.site_id,
        pump_id: source.site.pump_id,
        sensor_id,
        timestamp: evaluation.timestamp,
        log_value,
        additional_context: AdditionalContext {
            event_id: event_id(
                source.site.site_id,
                source.site.pump_id,
                key,
                evaluation.timestamp,
            ),
            parameter: key,
            status: evaluation.status,
            tolerance_category: source.tolerance_category.to_string(),
            all_deviations: evaluation.deviation_percents(),
            baseline_values: *source.baseline,
            current_values: evaluation.current_values,
            diagnosis: diagnosis.cloned(),
            extra: serde_json::Map::new(),
        },
        metadata: Some(AnomalyMetadata {
            model_name: source.model.name.clone(),
            model_version: source.model.version.clone(),
            confidence: prediction.map(|p| p.confidence),
            prediction_rul_days: prediction.map(|p| p.rul_days),
            framework: "smartcore".into(),
        }),
    })
}

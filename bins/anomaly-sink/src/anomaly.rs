//! What the sink accepts as an anomaly (SPEC §3.7, §6 anomaly-sink): validation of a
//! submitted body, and the columns the store indexes.

use pump_core::Timestamp;
use serde_json::{Map, Value};

/// A submitted anomaly that passed validation, ready to store.
///
/// The sink keeps the submitted object as it came (less the server-assigned `id` and
/// `createdAt`), so anomalies of other producers keep every field; only the fields the API
/// filters on are checked and lifted into columns.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnomaly {
    pub(crate) fields: Map<String, Value>,
    pub(crate) site_id: Option<i64>,
    pub(crate) pump_id: Option<i64>,
    pub(crate) sensor_id: Option<i64>,
    pub(crate) timestamp: Option<Timestamp>,
}

/// Why a submitted body is not an anomaly; the text is the reason sent with the 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

impl NewAnomaly {
    /// Validates a request body (JSON bytes).
    ///
    /// ```
    /// use anomaly_sink::NewAnomaly;
    /// let ok = NewAnomaly::from_json(br#"{"sourceType": "log", "description": "Flow high", "siteId": 7}"#);
    /// assert!(ok.is_ok());
    /// let err = NewAnomaly::from_json(br#"{"description": "Flow high"}"#).unwrap_err();
    /// assert_eq!(err.to_string(), "missing required field sourceType");
    /// ```
    pub fn from_json(body: &[u8]) -> Result<NewAnomaly, ValidationError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ValidationError(format!("body is not valid JSON: {e}")))?;
        NewAnomaly::from_value(value)
    }

    /// Validates a parsed JSON value.
    pub fn from_value(value: Value) -> Result<NewAnomaly, ValidationError> {
        let Value::Object(mut fields) = value else {
            return Err(ValidationError(format!(
                "body must be a JSON object, not {}",
                kind_of(&value)
            )));
        };
        required_string(&fields, "sourceType")?;
        required_string(&fields, "description")?;
        let site_id = optional_integer(&fields, "siteId")?;
        let pump_id = optional_integer(&fields, "pumpId")?;
        let sensor_id = optional_integer(&fields, "sensorId")?;
        let timestamp = match fields.get("timestamp") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(Timestamp::parse_rfc3339(text).map_err(|_| {
                ValidationError(format!(
                    "timestamp must be an RFC 3339 date-time such as 2024-11-18T14:32:00Z, got {text:?}"
                ))
            })?),
            Some(other) => {
                return Err(ValidationError(format!(
                    "timestamp must be an RFC 3339 string, not {}",
                    kind_of(other)
                )));
            }
        };
        // The server assigns these; a client's own values would contradict the stored ones.
        fields.remove("id");
        fields.remove("createdAt");
        Ok(NewAnomaly {
            fields,
            site_id,
            pump_id,
            sensor_id,
            timestamp,
        })
    }

    /// The anomaly's reading instant, when it has one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.timestamp
    }
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<(), ValidationError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(ValidationError(format!("missing required field {name}"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ValidationError(format!("{name} must not be empty")))
        }
        Some(Value::String(_)) => Ok(()),
        Some(other) => Err(ValidationError(format!(
            "{name} must be a string, not {}",
            kind_of(other)
        ))),
    }
}

fn optional_integer(
    fields: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, ValidationError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(other) => Err(ValidationError(format!(
            "{name} must be an integer, not {}",
            match other {
                Value::Number(n) => format!("the number {n}"),
                other => kind_of(other).to_string(),
            }
        ))),
    }
}

/// JSON type names as a person reading the 400 would say them.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(body: &str) -> String {
        NewAnomaly::from_json(body.as_bytes())
            .expect_err(body)
            .to_string()
    }

    #[test]
    fn every_reason_names_the_problem() {
        let cases = [
            (
                "{",
                "body is not valid JSON: EOF while parsing an object at line 1 column 1",
            ),
            ("[1]", "body must be a JSON object, not an array"),
            (
                r#"{"description":"d"}"#,
                "missing required field sourceType",
            ),
            (
                r#"{"sourceType":"log"}"#,
                "missing required field description",
            ),
            (
                r#"{"sourceType":5,"description":"d"}"#,
                "sourceType must be a string, not a number",
            ),
            (
                r#"{"sourceType":"log","description":" "}"#,
                "description must not be empty",
            ),
            (
                r#"{"sourceType":"log","description":"d","siteId":"7"}"#,
                "siteId must be an integer, not a string",
            ),
            (
                r#"{"sourceType":"log","description":"d","pumpId":1.5}"#,
                "pumpId must be an integer, not the number 1.5",
            ),
            (
                r#"{"sourceType":"log","description":"d","timestamp":"yesterday"}"#,
                "timestamp must be an RFC 3339 date-time such as 2024-11-18T14:32:00Z, got \"yesterday\"",
            ),
            (
                r#"{"sourceType":"log","description":"d","timestamp":17}"#,
                "timestamp must be an RFC 3339 string, not a number",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(reason(body), expected, "{body}");
        }
    }

    #[test]
    fn filter_columns_are_lifted_and_server_fields_dropped() {
        let a = NewAnomaly::from_json(
            br#"{"sourceType":"log","description":"d","siteId":35482,"pumpId":1,"sensorId":null,
                 "timestamp":"2024-11-18T16:32:00+02:00","id":99,"createdAt":"x","extra":{"k":1}}"#,
        )
        .unwrap();
        assert_eq!(
            (a.site_id, a.pump_id, a.sensor_id),
            (Some(35482), Some(1), None)
        );
        assert_eq!(a.timestamp.unwrap().to_string(), "2024-11-18T14:32:00Z");
        assert!(!a.fields.contains_key("id") && !a.fields.contains_key("createdAt"));
        assert_eq!(a.fields["extra"]["k"], 1);
    }
}

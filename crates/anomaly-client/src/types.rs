//! What the API answers: stored anomalies and pages of them; and what a query asks for.

use pump_core::{AnomalyPayload, Timestamp};
use serde_json::{Map, Value};
use std::fmt;

/// The id the server gave a stored anomaly: an integer at the reference sink, text at APIs
/// that use other ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnomalyId {
    /// A numeric id.
    Number(i64),
    /// Any other id.
    Text(String),
}

impl fmt::Display for AnomalyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnomalyId::Number(n) => write!(f, "{n}"),
            AnomalyId::Text(s) => f.write_str(s),
        }
    }
}

/// An anomaly as the server stored it.
///
/// Anomalies from other producers may lack fields of this product's payload, so the typed
/// [`payload`](StoredAnomaly::payload) is optional and the whole object is kept in
/// [`raw`](StoredAnomaly::raw); the accessors read the common fields leniently from it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnomaly {
    /// The server's id.
    pub id: AnomalyId,
    /// When the server stored it.
    pub created_at: Timestamp,
    /// The anomaly as this product's payload, when it is one.
    pub payload: Option<AnomalyPayload>,
    /// The stored object as the server sent it, `id` and `createdAt` included.
    pub raw: Map<String, Value>,
}

impl StoredAnomaly {
    /// Reads a stored anomaly from the server's JSON; `Err` says what is missing.
    pub fn from_json(value: Value) -> Result<StoredAnomaly, String> {
        let Value::Object(raw) = value else {
            return Err("a stored anomaly is not a JSON object".to_string());
        };
        let id = match raw.get("id") {
            Some(Value::Number(n)) if n.as_i64().is_some() => {
                AnomalyId::Number(n.as_i64().unwrap_or_default())
            }
            Some(Value::String(s)) if !s.is_empty() => AnomalyId::Text(s.clone()),
            Some(_) => return Err("its id is neither an integer nor text".to_string()),
            None => return Err("it has no id".to_string()),
        };
        let created_at = match raw.get("createdAt") {
            // Other servers may write offsets or fractions; any ISO 8601 form is fine.
            Some(Value::String(s)) => Timestamp::parse(s, time::UtcOffset::UTC)
                .map_err(|e| format!("its createdAt is not a date-time: {e}"))?,
            Some(_) => return Err("its createdAt is not text".to_string()),
            None => return Err("it has no createdAt".to_string()),
        };
        let mut fields = raw.clone();
        fields.remove("id");
        fields.remove("createdAt");
        let payload = serde_json::from_value(Value::Object(fields)).ok();
        Ok(StoredAnomaly {
            id,
            created_at,
            payload,
            raw,
        })
    }

    fn integer(&self, name: &str) -> Option<i64> {
        self.raw.get(name).and_then(Value::as_i64)
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }

    /// `siteId`, when present and an integer.
    pub fn site_id(&self) -> Option<i64> {
        self.integer("siteId")
    }

    /// `pumpId`, when present and an integer.
    pub fn pump_id(&self) -> Option<i64> {
        self.integer("pumpId")
    }

    /// `sensorId`, when present and an integer.
    pub fn sensor_id(&self) -> Option<i64> {
        self.integer("sensorId")
    }

    /// The reading instant (`timestamp`), when present and a date-time.
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.text("timestamp")
            .and_then(|s| Timestamp::parse(s, time::UtcOffset::UTC).ok())
    }

    /// `description`, when present.
    pub fn description(&self) -> Option<&str> {
        self.text("description")
    }

    /// `sourceType`, when present.
    pub fn source_type(&self) -> Option<&str> {
        self.text("sourceType")
    }

    /// `additionalContext.status` (e.g. `"Warning"`), when present.
    pub fn status(&self) -> Option<&str> {
        self.raw
            .get("additionalContext")
            .and_then(|c| c.get("status"))
            .and_then(Value::as_str)
    }

    /// `additionalContext.parameter` (`"flow"`, …, `"prediction"`), when present.
    pub fn parameter(&self) -> Option<&str> {
        self.raw
            .get("additionalContext")
            .and_then(|c| c.get("parameter"))
            .and_then(Value::as_str)
    }
}

/// One page of a query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The anomalies of this page.
    pub items: Vec<StoredAnomaly>,
    /// How many anomalies match the filters, over all pages.
    pub total: u64,
    /// How many matching anomalies come before this page.
    pub skip: u64,
    /// The page size the server used.
    pub take: u64,
}

/// Sort order of a query: by the anomaly's `timestamp`, then by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Oldest first.
    Asc,
    /// Newest first (the API's default).
    #[default]
    Desc,
}

impl SortDirection {
    /// `"asc"` or `"desc"`, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        }
    }
}

/// The filters and paging of a query (SPEC §5). Unset filters match everything.
///
/// ```
/// use anomaly_client::{QueryFilter, SortDirection};
/// let filter = QueryFilter { site_id: Some(35482), sort: SortDirection::Asc, ..QueryFilter::default() };
/// assert_eq!((filter.page, filter.page_size), (1, 25));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryFilter {
    /// `siteId`.
    pub site_id: Option<i64>,
    /// `pumpId`.
    pub pump_id: Option<i64>,
    /// `sensorId`.
    pub sensor_id: Option<i64>,
    /// `startDate`: anomalies whose `timestamp` is at or after it.
    pub start_date: Option<Timestamp>,
    /// `endDate`: anomalies whose `timestamp` is before it (the reference sink excludes the
    /// end instant).
    pub end_date: Option<Timestamp>,
    /// `page`, from 1.
    pub page: u32,
    /// `pageSize` (the reference sink allows up to 1000).
    pub page_size: u32,
    /// `sortDirection`.
    pub sort: SortDirection,
}

impl Default for QueryFilter {
    fn default() -> Self {
        QueryFilter {
            site_id: None,
            pump_id: None,
            sensor_id: None,
            start_date: None,
            end_date: None,
            page: 1,
            page_size: 25,
            sort: SortDirection::Desc,
        }
    }
}

impl QueryFilter {
    /// The query parameters, in the API's names.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        let ids = [
            ("siteId", self.site_id),
            ("pumpId", self.pump_id),
            ("sensorId", self.sensor_id),
        ];
        for (name, value) in ids {
            if let Some(v) = value {
                params.push((name, v.to_string()));
            }
        }
        if let Some(t) = self.start_date {
            params.push(("startDate", t.to_string()));
        }
        if let Some(t) = self.end_date {
            params.push(("endDate", t.to_string()));
        }
        params.push(("page", self.page.max(1).to_string()));
        params.push(("pageSize", self.page_size.max(1).to_string()));
        params.push(("sortDirection", self.sort.as_str().to_string()));
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anomalies_of_other_producers_keep_every_field() {
        let a = StoredAnomaly::from_json(json!({
            "id": "a1b2", "createdAt": "2024-11-18T14:32:01.250+00:00",
            "sourceType": "scada", "description": "Motor hot", "siteId": 9, "vendorField": [1, 2]
        }))
        .unwrap();
        assert_eq!(a.id, AnomalyId::Text("a1b2".into()));
        assert_eq!(a.created_at.to_string(), "2024-11-18T14:32:01.25Z");
        assert!(a.payload.is_none());
        assert_eq!(a.site_id(), Some(9));
        assert_eq!(a.pump_id(), None);
        assert_eq!(a.source_type(), Some("scada"));
        assert_eq!(a.raw["vendorField"], json!([1, 2]));
    }

    #[test]
    fn the_server_fields_are_required() {
        assert_eq!(
            StoredAnomaly::from_json(json!({"createdAt": "2024-11-18T14:32:00Z"})).unwrap_err(),
            "it has no id"
        );
        assert_eq!(
            StoredAnomaly::from_json(json!({"id": 3})).unwrap_err(),
            "it has no createdAt"
        );
        assert_eq!(
            StoredAnomaly::from_json(json!([1])).unwrap_err(),
            "a stored anomaly is not a JSON object"
        );
    }

    #[test]
    fn filters_become_the_apis_parameters() {
        let filter = QueryFilter {
            site_id: Some(35482),
            sensor_id: Some(101),
            start_date: Some("2024-11-18T00:00:00Z".parse().unwrap()),
            page: 2,
            ..QueryFilter::default()
        };
        let params: Vec<String> = filter
            .params()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            params,
            [
                "siteId=35482",
                "sensorId=101",
                "startDate=2024-11-18T00:00:00Z",
                "page=2",
                "pageSize=25",
                "sortDirection=desc"
            ]
        );
    }
}

//! One stored anomaly flattened to the columns people read: the rows of the table, the
//! CSV export and the JSON output.

use anomaly_client::StoredAnomaly;
use pump_core::{Status, Timestamp};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// The columns of `--export` and `--format csv`, in order. Scripts rely on them: only ever
/// append new columns at the end.
pub const EXPORT_COLUMNS: [&str; 11] = [
    "id",
    "timestamp",
    "site",
    "pump",
    "sensor",
    "parameter",
    "status",
    "value",
    "deviation",
    "description",
    "created_at",
];

/// A pump as the API knows it: site and pump id (either may be missing in anomalies of
/// other producers). Ordered by site, then pump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PumpKey {
    /// `siteId`.
    pub site: Option<i64>,
    /// `pumpId`.
    pub pump: Option<i64>,
}

impl fmt::Display for PumpKey {
    /// `35482/1`: site, slash, pump; `?` for a missing id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = |v: Option<i64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        write!(f, "{}/{}", id(self.site), id(self.pump))
    }
}

impl Serialize for PumpKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One anomaly, flattened. Fields an anomaly lacks are `None` (empty cells in CSV).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalyRow {
    /// The server's id.
    pub id: String,
    /// When the reading was taken.
    pub timestamp: Option<Timestamp>,
    /// `siteId`.
    pub site: Option<i64>,
    /// `pumpId`.
    pub pump: Option<i64>,
    /// `sensorId` (absent for predictions).
    pub sensor: Option<i64>,
    /// `flow`, `head`, `power`, `efficiency` or `prediction`.
    pub parameter: Option<String>,
    /// The reading's status.
    pub status: Option<Status>,
    /// `logValue`: the measured value, or the predicted RUL in days for a prediction.
    pub value: Option<f64>,
    /// The parameter's deviation from baseline, percent (`additionalContext.all_deviations`).
    pub deviation: Option<f64>,
    /// One human line.
    pub description: String,
    /// When the server stored it.
    pub created_at: Timestamp,
}

impl AnomalyRow {
    /// Flattens a stored anomaly, leniently: anything missing or of the wrong type is `None`.
    pub fn from_stored(a: &StoredAnomaly) -> AnomalyRow {
        let parameter = a.parameter().map(str::to_string);
        let deviation = parameter.as_deref().and_then(|p| {
            a.raw
                .get("additionalContext")?
                .get("all_deviations")?
                .get(p)?
                .as_f64()
        });
        AnomalyRow {
            id: a.id.to_string(),
            timestamp: a.timestamp(),
            site: a.site_id(),
            pump: a.pump_id(),
            sensor: a.sensor_id(),
            parameter,
            status: a.status().and_then(|s| s.parse().ok()),
            value: a.raw.get("logValue").and_then(Value::as_f64),
            deviation,
            description: a.description().unwrap_or_default().to_string(),
            created_at: a.created_at,
        }
    }

    /// The pump the anomaly is about.
    pub fn pump_key(&self) -> PumpKey {
        PumpKey {
            site: self.site,
            pump: self.pump,
        }
    }

    /// The cells of [`EXPORT_COLUMNS`], as written to CSV.
    pub fn csv_record(&self) -> [String; 11] {
        let int = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            self.id.clone(),
            self.timestamp.map(|t| t.to_string()).unwrap_or_default(),
            int(self.site),
            int(self.pump),
            int(self.sensor),
            self.parameter.clone().unwrap_or_default(),
            self.status.map(|s| s.to_string()).unwrap_or_default(),
            num(self.value),
            num(self.deviation),
            self.description.clone(),
            self.created_at.to_string(),
        ]
    }
}

/// Sorts rows oldest first (by reading time, then id), anomalies without a time last.
pub fn sort_chronologically(rows: &mut [AnomalyRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &AnomalyRow| (r.timestamp.is_none(), r.timestamp, r.id.parse::<i64>().ok());
        key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_specs_example_flattens_to_its_columns() {
        let stored = StoredAnomaly::from_json(json!({
            "id": 7, "createdAt": "2024-11-18T14:33:00Z",
            "sourceType": "log", "description": "Flow exceeded 15.0% (threshold: 10%)",
            "siteId": 35482, "pumpId": 1, "sensorId": 101,
            "timestamp": "2024-11-18T14:32:00Z", "logValue": 575.0,
            "additionalContext": {"status": "Warning", "parameter": "flow",
                "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2}}
        }))
        .unwrap();
        let row = AnomalyRow::from_stored(&stored);
        assert_eq!(
            row.csv_record(),
            [
                "7",
                "2024-11-18T14:32:00Z",
                "35482",
                "1",
                "101",
                "flow",
                "Warning",
                "575",
                "15",
                "Flow exceeded 15.0% (threshold: 10%)",
                "2024-11-18T14:33:00Z"
            ]
        );
        assert_eq!(row.pump_key().to_string(), "35482/1");
    }

    #[test]
    fn other_producers_anomalies_leave_cells_empty() {
        let stored = StoredAnomaly::from_json(json!({
            "id": "a1", "createdAt": "2024-11-18T14:33:00Z",
            "sourceType": "scada", "pumpId": 4,
            "additionalContext": {"status": "Overheated"}
        }))
        .unwrap();
        let row = AnomalyRow::from_stored(&stored);
        assert_eq!(row.status, None);
        assert_eq!(row.pump_key().to_string(), "?/4");
        assert_eq!(
            row.csv_record().join(","),
            "a1,,,4,,,,,,,2024-11-18T14:33:00Z"
        );
    }
}

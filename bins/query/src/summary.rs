//! What a set of anomalies says at a glance: counts by status, pump and parameter, the first
//! and last anomaly, and the pump-by-pump comparison.

use crate::row::{AnomalyRow, PumpKey};
use pump_core::{Status, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// The order parameters are listed in; others follow alphabetically.
const PARAMETER_ORDER: [&str; 5] = ["flow", "head", "power", "efficiency", "prediction"];

/// Counts per status, in status order; anomalies without a known status are `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StatusCounts {
    /// `Normal` (only prediction anomalies can be Normal).
    #[serde(rename = "Normal")]
    pub normal: u64,
    /// `Warning`.
    #[serde(rename = "Warning")]
    pub warning: u64,
    /// `Critical`.
    #[serde(rename = "Critical")]
    pub critical: u64,
    /// `Failure`.
    #[serde(rename = "Failure")]
    pub failure: u64,
    /// No status, or one this tool does not know.
    pub unknown: u64,
}

impl StatusCounts {
    /// Counts one more anomaly of `status`.
    pub fn add(&mut self, status: Option<Status>) {
        *match status {
            Some(Status::Normal) => &mut self.normal,
            Some(Status::Warning) => &mut self.warning,
            Some(Status::Critical) => &mut self.critical,
            Some(Status::Failure) => &mut self.failure,
            None => &mut self.unknown,
        } += 1;
    }

    /// The count of one status (`None`: unknown).
    pub fn get(&self, status: Option<Status>) -> u64 {
        match status {
            Some(Status::Normal) => self.normal,
            Some(Status::Warning) => self.warning,
            Some(Status::Critical) => self.critical,
            Some(Status::Failure) => self.failure,
            None => self.unknown,
        }
    }

    /// All anomalies counted.
    pub fn total(&self) -> u64 {
        self.normal + self.warning + self.critical + self.failure + self.unknown
    }

    /// `(name, count)` of every status with a count, lowest status first.
    pub fn nonzero(&self) -> Vec<(&'static str, u64)> {
        let mut out: Vec<(&'static str, u64)> = Status::ALL
            .into_iter()
            .map(|s| (s.as_str(), self.get(Some(s))))
            .collect();
        out.push(("unknown", self.unknown));
        out.retain(|(_, n)| *n > 0);
        out
    }
}

/// One anomaly named in a summary (the first or the last).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Landmark {
    /// Reading time.
    pub timestamp: Timestamp,
    /// `site/pump`.
    pub pump: PumpKey,
    /// Parameter, when known.
    pub parameter: Option<String>,
    /// Status, when known.
    pub status: Option<Status>,
    /// Description.
    pub description: String,
}

impl Landmark {
    fn of(row: &AnomalyRow) -> Option<Landmark> {
        Some(Landmark {
            timestamp: row.timestamp?,
            pump: row.pump_key(),
            parameter: row.parameter.clone(),
            status: row.status,
            description: row.description.clone(),
        })
    }
}

/// Counts per pump or parameter, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count<K> {
    /// What was counted.
    pub key: K,
    /// How many anomalies.
    pub count: u64,
}

/// The summary printed after the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Anomalies returned (at most `--max-results`).
    pub total: u64,
    /// Anomalies that match the filters at the server (more than `total` when capped).
    pub matched: u64,
    /// Counts by status.
    pub by_status: StatusCounts,
    /// Counts by pump, ordered by site then pump.
    pub by_pump: Vec<Count<PumpKey>>,
    /// Counts by parameter: flow, head, power, efficiency, prediction, then others.
    pub by_parameter: Vec<Count<String>>,
    /// The earliest anomaly.
    pub first: Option<Landmark>,
    /// The latest anomaly.
    pub last: Option<Landmark>,
}

impl Summary {
    /// Summarises `rows`, of which the server matched `matched` in all.
    pub fn of(rows: &[AnomalyRow], matched: u64) -> Summary {
        let mut by_status = StatusCounts::default();
        let mut by_pump: BTreeMap<PumpKey, u64> = BTreeMap::new();
        let mut by_parameter = ParameterCounts::new();
        for row in rows {
            by_status.add(row.status);
            *by_pump.entry(row.pump_key()).or_default() += 1;
            let name = row.parameter.clone().unwrap_or_else(|| "unknown".into());
            *by_parameter
                .entry((parameter_rank(&name), name))
                .or_default() += 1;
        }
        let first = rows
            .iter()
            .filter(|r| r.timestamp.is_some())
            .min_by_key(|r| r.timestamp)
            .and_then(Landmark::of);
        let last = rows
            .iter()
            .filter(|r| r.timestamp.is_some())
            .max_by_key(|r| r.timestamp)
            .and_then(Landmark::of);
        Summary {
            total: rows.len() as u64,
            matched,
            by_status,
            by_pump: by_pump
                .into_iter()
                .map(|(key, count)| Count { key, count })
                .collect(),
            by_parameter: by_parameter
                .into_iter()
                .map(|((_, key), count)| Count { key, count })
                .collect(),
            first,
            last,
        }
    }
}

fn parameter_rank(name: &str) -> usize {
    PARAMETER_ORDER
        .iter()
        .position(|p| *p == name)
        .unwrap_or(PARAMETER_ORDER.len())
}

/// Counts per parameter, keyed by (rank in [`PARAMETER_ORDER`], name).
type ParameterCounts = BTreeMap<(usize, String), u64>;

/// One pump of `--compare-pumps`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PumpComparison {
    /// `site/pump`.
    pub pump: PumpKey,
    /// Its anomalies.
    pub total: u64,
    /// By status.
    pub by_status: StatusCounts,
    /// Anomalies per day over the queried span.
    pub per_day: f64,
    /// Its most frequent parameter (ties: the first in flow, head, power, efficiency,
    /// prediction order).
    pub top_parameter: Option<String>,
    /// How many anomalies that parameter has.
    pub top_parameter_count: u64,
}

/// The comparison of every pump in `rows`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Start of the span the rates are over.
    pub span_start: Option<Timestamp>,
    /// End of the span.
    pub span_end: Option<Timestamp>,
    /// Its length in days, at least one day.
    pub span_days: f64,
    /// One entry per pump, ordered by site then pump.
    pub pumps: Vec<PumpComparison>,
}

impl Comparison {
    /// Compares pumps over `span` (see [`crate::window::TimeWindow::span`]); a span
    /// shorter than one day counts as one day, so that a single anomaly is not "1440 a day".
    pub fn of(rows: &[AnomalyRow], span: Option<(Timestamp, Timestamp)>) -> Comparison {
        let span_days = span.map_or(1.0, |(s, e)| e.days_since(s)).max(1.0);
        let mut pumps: BTreeMap<PumpKey, (StatusCounts, ParameterCounts)> = BTreeMap::new();
        for row in rows {
            let (statuses, parameters) = pumps.entry(row.pump_key()).or_default();
            statuses.add(row.status);
            if let Some(p) = &row.parameter {
                *parameters
                    .entry((parameter_rank(p), p.clone()))
                    .or_default() += 1;
            }
        }
        let pumps = pumps
            .into_iter()
            .map(|(pump, (by_status, parameters))| {
                // Highest count; among equals the first in parameter order.
                let top =
                    parameters
                        .into_iter()
                        .fold(None::<(String, u64)>, |best, ((_, name), n)| match best {
                            Some((_, m)) if m >= n => best,
                            _ => Some((name, n)),
                        });
                PumpComparison {
                    pump,
                    total: by_status.total(),
                    by_status,
                    per_day: by_status.total() as f64 / span_days,
                    top_parameter: top.as_ref().map(|(n, _)| n.clone()),
                    top_parameter_count: top.map_or(0, |(_, n)| n),
                }
            })
            .collect();
        Comparison {
            span_start: span.map(|(s, _)| s),
            span_end: span.map(|(_, e)| e),
            span_days,
            pumps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u32, t: &str, pump: i64, parameter: &str, status: Status) -> AnomalyRow {
        AnomalyRow {
            id: id.to_string(),
            timestamp: Some(t.parse().unwrap()),
            site: Some(35482),
            pump: Some(pump),
            sensor: Some(100 + pump),
            parameter: Some(parameter.into()),
            status: Some(status),
            value: Some(1.0),
            deviation: Some(-4.0),
            description: format!("{parameter} {id}"),
            created_at: "2024-12-01T00:00:00Z".parse().unwrap(),
        }
    }

    fn rows() -> Vec<AnomalyRow> {
        vec![
            row(1, "2024-11-18T02:00:00Z", 2, "efficiency", Status::Warning),
            row(2, "2024-11-18T01:00:00Z", 1, "flow", Status::Warning),
            row(3, "2024-11-19T05:00:00Z", 1, "head", Status::Critical),
            row(4, "2024-11-20T01:00:00Z", 1, "flow", Status::Failure),
            row(5, "2024-11-20T01:00:00Z", 2, "prediction", Status::Normal),
            row(6, "2024-11-21T01:00:00Z", 2, "efficiency", Status::Warning),
        ]
    }

    #[test]
    fn the_summary_counts_by_status_pump_and_parameter() {
        let s = Summary::of(&rows(), 10);
        assert_eq!((s.total, s.matched), (6, 10));
        assert_eq!(
            s.by_status.nonzero(),
            [
                ("Normal", 1),
                ("Warning", 3),
                ("Critical", 1),
                ("Failure", 1)
            ]
        );
        let pumps: Vec<(String, u64)> = s
            .by_pump
            .iter()
            .map(|c| (c.key.to_string(), c.count))
            .collect();
        assert_eq!(pumps, [("35482/1".into(), 3), ("35482/2".into(), 3)]);
        let parameters: Vec<(&str, u64)> = s
            .by_parameter
            .iter()
            .map(|c| (c.key.as_str(), c.count))
            .collect();
        assert_eq!(
            parameters,
            [
                ("flow", 2),
                ("head", 1),
                ("efficiency", 2),
                ("prediction", 1)
            ]
        );
        assert_eq!(s.first.unwrap().description, "flow 2");
        assert_eq!(s.last.unwrap().description, "efficiency 6");
    }

    #[test]
    fn the_comparison_gives_rates_over_the_span_and_the_top_parameter() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let c = Comparison::of(
            &rows(),
            Some((t("2024-11-18T00:00:00Z"), t("2024-11-22T00:00:00Z"))),
        );
        assert_eq!(c.span_days, 4.0);
        let p1 = &c.pumps[0];
        assert_eq!(p1.pump.to_string(), "35482/1");
        assert_eq!((p1.total, p1.per_day), (3, 0.75));
        assert_eq!(
            (p1.top_parameter.as_deref(), p1.top_parameter_count),
            (Some("flow"), 2)
        );
        assert_eq!(
            p1.by_status.nonzero(),
            [("Warning", 1), ("Critical", 1), ("Failure", 1)]
        );
        let p2 = &c.pumps[1];
        assert_eq!(p2.top_parameter.as_deref(), Some("efficiency"));
        // A span under a day counts as a day.
        let short = Comparison::of(
            &rows()[..1],
            Some((t("2024-11-18T02:00:00Z"), t("2024-11-18T02:00:00Z"))),
        );
        assert_eq!((short.span_days, short.pumps[0].per_day), (1.0, 1.0));
    }
}

//! Fleet history turned into labelled rows: features at sampled instants, with the remaining
//! useful life and "fails within 7 days" where they are known.

use crate::error::TrainError;
use crate::features::{FEATURE_COUNT, features_at_end};
use crate::history::HistoryPoint;
use pump_core::{Baseline, FailureEvent, FailureMode, Reading, RunningRule, SensorData, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const DAY: f64 = 86_400.0;

/// The horizon of the failure probability, days (SPEC §3.4).
pub const FAILURE_HORIZON_DAYS: f64 = 7.0;

/// The history of one pump, with its failures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PumpHistory {
    /// Pump id.
    pub pump_id: String,
    /// Evaluated readings, in time order.
    pub points: Vec<HistoryPoint>,
    /// Failures, in time order, with their modes when known.
    pub failures: Vec<(Timestamp, Option<FailureMode>)>,
    /// The last instant the pump was observed (its last reading, running or not): after a
    /// pump's last failure, labels are known only up to here.
    pub observed_until: Timestamp,
    /// Readings of any kind (running or not).
    pub readings: usize,
}

impl PumpHistory {
    /// The history of one pump from its readings (any order; a repeated instant keeps the
    /// later reading), its baseline and its failures.
    pub fn from_readings<'a>(
        baseline: &Baseline,
        readings: impl IntoIterator<Item = &'a Reading>,
        failures: &[FailureEvent],
        running: &RunningRule,
    ) -> PumpHistory {
        let mut readings: Vec<&Reading> = readings.into_iter().collect();
        // Stable sort, then keep the last of each instant: "the later row wins whole".
        readings.sort_by_key(|r| r.timestamp);
        let mut unique: Vec<&Reading> = Vec::with_capacity(readings.len());
        for r in readings {
            match unique.last_mut() {
                Some(last) if last.timestamp == r.timestamp => *last = r,
                _ => unique.push(r),
            }
        }
        let points = unique
            .iter()
            .filter_map(|r| HistoryPoint::from_reading(r, baseline, running))
            .collect();
        let mut failures: Vec<(Timestamp, Option<FailureMode>)> = failures
            .iter()
            .filter(|f| f.pump_id.trim() == baseline.pump_id.trim())
            .map(|f| (f.timestamp, f.mode))
            .collect();
        failures.sort_by_key(|f| f.0);
        let observed_until = unique.last().map_or(Timestamp::UNIX_EPOCH, |r| r.timestamp);
        PumpHistory {
            pump_id: baseline.pump_id.clone(),
            points,
            failures,
            observed_until,
            readings: unique.len(),
        }
    }

    /// The labels at instant `t`, with RUL capped at `cap_days`.
    ///
    /// Before a failure both labels are known. After the last failure (or without one: a
    /// censored pump) a label is known only when the pump was observed long enough past
    /// `t`: RUL = cap when at least `cap_days` remain, "no failure within 7 days" when at
    /// least 7 days remain.
    pub fn labels_at(&self, t: Timestamp, cap_days: f64) -> Labels {
        let next = self.failures.iter().find(|f| f.0 >= t);
        match next {
            Some(&(f, _)) => {
                let days = (f.unix_seconds() - t.unix_seconds()) as f64 / DAY;
                Labels {
                    rul_days: Some(days),
                    rul_capped: Some(days.min(cap_days)),
                    fails_within_horizon: Some(days <= FAILURE_HORIZON_DAYS),
                }
            }
            None => {
                let left = (self.observed_until.unix_seconds() - t.unix_seconds()) as f64 / DAY;
                Labels {
                    rul_days: None,
                    rul_capped: (left >= cap_days).then_some(cap_days),
                    fails_within_horizon: (left >= FAILURE_HORIZON_DAYS).then_some(false),
                }
            }
        }
    }
}

/// What is known about a pump's future at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    /// Days to the next failure, uncapped (only before a recorded failure).
    pub rul_days: Option<f64>,
    /// Days to the next failure, capped at the RUL cap (also known for censored pumps
    /// observed at least the cap beyond this instant).
    pub rul_capped: Option<f64>,
    /// Whether the pump fails within 7 days.
    pub fails_within_horizon: Option<bool>,
}

/// Features and labels of one pump at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledRow {
    /// Index of the pump in its [`TrainingSet`].
    pub pump: usize,
    /// Index of the instant's point in the pump's history (the last point used).
    pub point: usize,
    /// The instant.
    pub timestamp: Timestamp,
    /// Features, in [`crate::feature_names`] order.
    pub features: [f64; FEATURE_COUNT],
    /// What is known of the future.
    pub labels: Labels,
}

/// The histories of a fleet, ready for training or evaluation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainingSet {
    /// One entry per pump.
    pub pumps: Vec<PumpHistory>,
}

/// Counts that describe a training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Pumps.
    pub pumps: usize,
    /// Pumps with at least one failure.
    pub failed_pumps: usize,
    /// Pumps without a failure (censored).
    pub censored_pumps: usize,
    /// Readings of any kind.
    pub readings: usize,
    /// Evaluated readings (history points).
    pub evaluated_readings: usize,
    /// Failures by mode (`unknown` when the events did not say).
    pub failures_by_mode: BTreeMap<String, usize>,
}

impl TrainingSet {
    /// Builds the histories of every pump that has a baseline, from sensor files (each may
    /// hold several pumps) and failure events.
    ///
    /// A reading without a pump id belongs to the single pump when there is one baseline,
    /// and to none otherwise. Readings are evaluated with each pump's default running rule
    /// (SPEC §2.1). Pumps without any evaluated reading are left out.
    pub fn from_fleet(
        baselines: &[Baseline],
        sensor_data: &[SensorData],
        failures: &[FailureEvent],
    ) -> Result<TrainingSet, TrainError> {
        if baselines.is_empty() {
            return Err(TrainError::NoData("no baselines".into()));
        }
        let single = baselines.len() == 1;
        let mut pumps = Vec::new();
        for baseline in baselines {
            let id = baseline.pump_id.trim();
            let readings = sensor_data
                .iter()
                .flat_map(|d| &d.readings)
                .filter(|r| r.pump_id.as_deref().map_or(single, |p| p.trim() == id));
            let running = RunningRule::default_for(baseline.speed_rpm);
            let history = PumpHistory::from_readings(baseline, readings, failures, &running);
            if !history.points.is_empty() {
                pumps.push(history);
            }
        }
        if pumps.is_empty() {
            return Err(TrainError::NoData(
                "no pump with a baseline has an evaluated reading".into(),
            ));
        }
        Ok(TrainingSet { pumps })
    }

    /// Counts of pumps, readings and failures.
    pub fn summary(&self) -> DataSummary {
        let mut failures_by_mode = BTreeMap::new();
        for p in &self.pumps {
            for (_, mode) in &p.failures {
                let name = mode.map_or("unknown".to_string(), |m| m.to_string());
                *failures_by_mode.entry(name).or_insert(0) += 1;
            }
        }
        let failed_pumps = self.pumps.iter().filter(|p| !p.failures.is_empty()).count();
        DataSummary {
            pumps: self.pumps.len(),
            failed_pumps,
            censored_pumps: self.pumps.len() - failed_pumps,
            readings: self.pumps.iter().map(|p| p.readings).sum(),
            evaluated_readings: self.pumps.iter().map(|p| p.points.len()).sum(),
            failures_by_mode,
        }
    }

    /// Labelled rows of the pumps `pumps` (indices), one every `step_hours` at most, from
    /// the instant a pump has `min_points` evaluated readings on. Rows at or after a
    /// pump's failure are left out (the pump is down or under repair).
    pub fn rows(
        &self,
        pumps: &[usize],
        step_hours: f64,
        min_points: usize,
        cap_days: f64,
    ) -> Vec<LabeledRow> {
        let step = (step_hours * 3600.0).round() as i64;
        let mut out = Vec::new();
        for &pump in pumps {
            let Some(history) = self.pumps.get(pump) else {
                continue;
            };
            let mut last: Option<i64> = None;
            for i in min_points.saturating_sub(1)..history.points.len() {
                let t = history.points[i].timestamp;
                if last.is_some_and(|l| t.unix_seconds() - l < step) {
                    continue;
                }
                if history.failures.iter().any(|f| f.0 == t) {
                    continue;
                }
                let Some(features) = features_at_end(&history.points[..=i]) else {
                    continue;
                };
                last = Some(t.unix_seconds());
                out.push(LabeledRow {
                    pump,
                    point: i,
                    timestamp: t,
                    features,
                    labels: history.labels_at(t, cap_days),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_core::{Parameter, ParameterValues};

    fn ts(day: f64) -> Timestamp {
        Timestamp::from_unix_seconds(1_704_067_200 + (day * DAY) as i64)
    }

    fn history(failure_day: Option<f64>, observed_days: f64) -> PumpHistory {
        PumpHistory {
            pump_id: "Pump 1".into(),
            points: Vec::new(),
            failures: failure_day.map(|d| (ts(d), None)).into_iter().collect(),
            observed_until: ts(observed_days),
            readings: 0,
        }
    }

    #[test]
    fn labels_before_a_failure_are_known_and_capped() {
        let h = history(Some(50.0), 50.0);
        let l = h.labels_at(ts(10.0), 30.0);
        assert_eq!(l.rul_days, Some(40.0));
        assert_eq!(l.rul_capped, Some(30.0));
        assert_eq!(l.fails_within_horizon, Some(false));
        let l = h.labels_at(ts(45.0), 30.0);
        assert_eq!(l.rul_capped, Some(5.0));
        assert_eq!(l.fails_within_horizon, Some(true));
    }

    #[test]
    fn censored_pumps_are_labelled_only_where_the_future_is_known() {
        let h = history(None, 90.0);
        // 40 days left: RUL at least 30 (the cap), no failure within 7.
        let l = h.labels_at(ts(50.0), 30.0);
        assert_eq!((l.rul_days, l.rul_capped), (None, Some(30.0)));
        assert_eq!(l.fails_within_horizon, Some(false));
        // 20 days left: RUL unknown, but no failure within 7 days.
        let l = h.labels_at(ts(70.0), 30.0);
        assert_eq!(l.rul_capped, None);
        assert_eq!(l.fails_within_horizon, Some(false));
        // 3 days left: nothing is known.
        let l = h.labels_at(ts(87.0), 30.0);
        assert_eq!((l.rul_capped, l.fails_within_horizon), (None, None));
    }

    #[test]
    fn the_fleet_is_split_into_pumps_and_off_readings_are_not_history() {
        let baselines = [
            Baseline::new("A", 100.0, 50.0, 10.0, 80.0),
            Baseline::new("B", 200.0, 50.0, 10.0, 80.0),
        ];
        let reading = |pump: &str, hour: i64, flow: f64| {
            let mut r = Reading::new(Timestamp::from_unix_seconds(1_704_067_200 + hour * 3600))
                .with(Parameter::Flow, flow);
            r.pump_id = Some(pump.into());
            r
        };
        let data = SensorData {
            readings: vec![
                reading("A", 0, 110.0),
                reading("B", 0, 180.0),
                reading("A", 1, 0.0), // off
                reading("A", 2, 90.0),
            ],
            ..SensorData::default()
        };
        let failures = [FailureEvent {
            pump_id: "B".into(),
            timestamp: Timestamp::from_unix_seconds(1_704_067_200 + 86_400),
            mode: Some(FailureMode::BearingWear),
        }];
        let set = TrainingSet::from_fleet(&baselines, &[data], &failures).unwrap();
        assert_eq!(set.pumps.len(), 2);
        let a = &set.pumps[0];
        assert_eq!(a.readings, 3);
        let flows: Vec<_> = a.points.iter().map(|p| p.deviations.flow).collect();
        assert_eq!(flows, vec![Some(10.0), Some(-10.0)]);
        assert_eq!(
            set.pumps[1].points[0].deviations,
            ParameterValues {
                flow: Some(-10.0),
                ..ParameterValues::empty()
            }
        );
        let summary = set.summary();
        assert_eq!((summary.failed_pumps, summary.censored_pumps), (1, 1));
        assert_eq!(summary.failures_by_mode["bearing_wear"], 1);
    }
}

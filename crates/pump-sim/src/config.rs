//! What a fleet is made of: size, window, seed, share of healthy pumps and data faults.

use pump_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Seconds in a day.
const DAY_SECONDS: i64 = 86_400;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
const YEAR_1_UNIX: i64 = -62_135_596_800;
const YEAR_9999_END_UNIX: i64 = 253_402_300_799;

/// The window length (days) for which the default failure and onset ranges are stated.
const REFERENCE_DAYS: f64 = 90.0;

/// A fleet to simulate. Same configuration ⇒ byte-identical files.
///
/// ```
/// use pump_sim::FleetConfig;
/// let config = FleetConfig::new(7, 20, 90);
/// assert_eq!(config.rows_per_pump(), 90 * 24);
/// assert_eq!(config.start.to_string(), "2024-01-01T00:00:00Z");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetConfig {
    /// Fleet seed; every pump's own seed is derived from it and the pump's position.
    pub seed: u64,
    /// Number of pumps (1 to [`FleetConfig::MAX_PUMPS`]).
    pub pumps: usize,
    /// Length of the observation window in days.
    pub days: u32,
    /// First reading (whole seconds, UTC).
    pub start: Timestamp,
    /// Minutes between readings (1 to 1440).
    pub interval_minutes: u32,
    /// Share of pumps that stay healthy, 0 to 1; the rest degrade toward a failure.
    pub healthy_fraction: f64,
    /// Failure times of degrading pumps, days after `start`; `None` for the default
    /// (20–120 days, scaled by `days / 90`; see [`FleetConfig::failure_range`]).
    #[serde(default)]
    pub failure_after_days: Option<DayRange>,
    /// Rates of missing rows, empty and bad cells and repeated rows.
    #[serde(default)]
    pub faults: DataFaults,
}

/// A range of days, `min` ≤ `max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DayRange {
    /// Lower end, days.
    pub min: f64,
    /// Upper end, days.
    pub max: f64,
}

/// How often the data-collection faults of real SCADA exports occur.
///
/// They are drawn from their own random stream, so switching them off leaves every other
/// value of every row unchanged (only the faulty rows and cells differ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DataFaults {
    /// Probability that a row starts a dropout (a stretch of missing rows).
    pub dropout_rate: f64,
    /// Longest dropout, in rows (each dropout is 1 to this many rows).
    pub dropout_max_rows: u32,
    /// Probability that a value cell is written empty.
    pub empty_cell_rate: f64,
    /// Probability that a value cell holds garbage (`NaN`, `--` or `ERR`).
    pub bad_cell_rate: f64,
    /// Probability that a row is written twice in a row.
    pub repeat_rate: f64,
}

impl DataFaults {
    /// No faults at all: every row present, every cell a number.
    pub const NONE: DataFaults = DataFaults {
        dropout_rate: 0.0,
        dropout_max_rows: 0,
        empty_cell_rate: 0.0,
        bad_cell_rate: 0.0,
        repeat_rate: 0.0,
    };

    /// A few faults, as in a typical month of a well-kept site: about 1 % of rows missing
    /// in short stretches, 1 cell in 1000 empty, 1 in 2000 garbage, 1 row in 2000 repeated.
    pub const TYPICAL: DataFaults = DataFaults {
        dropout_rate: 0.003,
        dropout_max_rows: 6,
        empty_cell_rate: 0.001,
        bad_cell_rate: 0.0005,
        repeat_rate: 0.0005,
    };
}

impl Default for DataFaults {
    fn default() -> Self {
        DataFaults::TYPICAL
    }
}

/// Why a configuration cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid fleet configuration: {field} {reason}")]
pub struct ConfigError {
    /// The offending field, named as on the command line (`days`, `healthy-fraction`, …).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl FleetConfig {
    /// The largest fleet; pump ids have two digits up to 99 pumps and three beyond.
    pub const MAX_PUMPS: usize = 999;
    /// Default share of healthy pumps.
    pub const DEFAULT_HEALTHY_FRACTION: f64 = 0.3;
    /// Default minutes between readings (hourly, as the edge program runs).
    pub const DEFAULT_INTERVAL_MINUTES: u32 = 60;
    /// Default first reading, 2024-01-01T00:00:00Z.
    pub const DEFAULT_START_UNIX: i64 = 1_704_067_200;

    /// A fleet with the defaults: hourly readings from 2024-01-01T00:00:00Z, 30 % healthy,
    /// default failure times and typical data faults.
    pub fn new(seed: u64, pumps: usize, days: u32) -> FleetConfig {
        FleetConfig {
            seed,
            pumps,
            days,
            start: Timestamp::from_unix_seconds(Self::DEFAULT_START_UNIX),
            interval_minutes: Self::DEFAULT_INTERVAL_MINUTES,
            healthy_fraction: Self::DEFAULT_HEALTHY_FRACTION,
            failure_after_days: None,
            faults: DataFaults::TYPICAL,
        }
    }

    /// Checks every field; [`crate::simulate_fleet`] calls it first.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, reason: &str| {
            Err(ConfigError {
                field,
                reason: reason.to_string(),
            })
        };
        if self.pumps == 0 || self.pumps > Self::MAX_PUMPS {
            return bad("pumps", "must be between 1 and 999");
        }
        if self.days == 0 || self.days > 3650 {
            return bad("days", "must be between 1 and 3650");
        }
        if self.interval_minutes == 0 || self.interval_minutes > 1440 {
            return bad("interval-minutes", "must be between 1 and 1440");
        }
        if !(0.0..=1.0).contains(&self.healthy_fraction) {
            return bad("healthy-fraction", "must be between 0 and 1");
        }
        if self.start.as_offset_date_time().nanosecond() != 0 {
            return bad("start", "must be a whole second");
        }
        if let Some(r) = self.failure_after_days
            && !(r.min.is_finite() && r.max.is_finite() && 0.0 < r.min && r.min <= r.max)
        {
            return bad("failure-days", "must be MIN..MAX with 0 < MIN <= MAX");
        }
        // Every instant written (failures after the window included) must lie in the years
        // 0001–9999 that RFC 3339 can print.
        let latest_day = f64::from(self.days).max(self.failure_range().max);
        if latest_day > 36_500.0 {
            return bad("failure-days", "must end within 100 years of the start");
        }
        let latest = self.start.unix_seconds() + (latest_day as i64 + 1) * DAY_SECONDS;
        if self.start.unix_seconds() < YEAR_1_UNIX || latest > YEAR_9999_END_UNIX {
            return bad(
                "start",
                "leaves the years 0001-9999 for the window or a failure",
            );
        }
        let f = &self.faults;
        for (field, rate) in [
            ("faults.dropout_rate", f.dropout_rate),
            ("faults.empty_cell_rate", f.empty_cell_rate),
            ("faults.bad_cell_rate", f.bad_cell_rate),
            ("faults.repeat_rate", f.repeat_rate),
        ] {
            if !(0.0..=0.5).contains(&rate) {
                return bad(field, "must be between 0 and 0.5");
            }
        }
        if f.empty_cell_rate + f.bad_cell_rate > 0.5 {
            return bad(
                "faults",
                "empty and bad cell rates must add up to at most 0.5",
            );
        }
        Ok(())
    }

    /// The end of the window (exclusive): `start + days`.
    pub fn window_end(&self) -> Timestamp {
        Timestamp::from_unix_seconds(self.start.unix_seconds() + i64::from(self.days) * DAY_SECONDS)
    }

    /// Seconds between readings.
    pub fn interval_seconds(&self) -> i64 {
        i64::from(self.interval_minutes) * 60
    }

    /// Readings of a pump that runs through the whole window without gaps.
    pub fn rows_per_pump(&self) -> usize {
        let window = i64::from(self.days) * DAY_SECONDS;
        usize::try_from((window + self.interval_seconds() - 1) / self.interval_seconds())
            .unwrap_or(0)
    }

    /// Window length relative to the 90-day window the default time ranges are stated for.
    fn time_scale(&self) -> f64 {
        f64::from(self.days) / REFERENCE_DAYS
    }

    /// Failure times of degrading pumps, in days after `start`.
    ///
    /// Default: 20–120 days scaled by `days / 90`, so about 30 % of degrading pumps are
    /// censored (still running at the end of the window) whatever the window's length.
    pub fn failure_range(&self) -> DayRange {
        self.failure_after_days.unwrap_or(DayRange {
            min: 20.0 * self.time_scale(),
            max: 120.0 * self.time_scale(),
        })
    }

    /// How long before its failure a pump starts to degrade, in days.
    ///
    /// 10–40 days; shorter windows shrink it by `days / 90` so that a short fleet still
    /// shows whole degradations.
    pub fn onset_lead_range(&self) -> DayRange {
        let scale = self.time_scale().min(1.0);
        DayRange {
            min: 10.0 * scale,
            max: 40.0 * scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ranges_are_the_documented_ones_for_90_days() {
        let c = FleetConfig::new(1, 20, 90);
        assert_eq!(
            c.failure_range(),
            DayRange {
                min: 20.0,
                max: 120.0
            }
        );
        assert_eq!(
            c.onset_lead_range(),
            DayRange {
                min: 10.0,
                max: 40.0
            }
        );
        let short = FleetConfig::new(1, 8, 30);
        assert!((short.failure_range().max - 40.0).abs() < 1e-9);
        assert!((short.onset_lead_range().min - 10.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn rows_per_pump_rounds_up_partial_intervals() {
        let mut c = FleetConfig::new(1, 1, 1);
        assert_eq!(c.rows_per_pump(), 24);
        c.interval_minutes = 7;
        // 1440 / 7 = 205.7: readings at 0, 7, …, 1435 minutes.
        assert_eq!(c.rows_per_pump(), 206);
    }

    #[test]
    fn validation_names_the_field() {
        let mut c = FleetConfig::new(1, 0, 10);
        assert_eq!(c.validate().unwrap_err().field, "pumps");
        c.pumps = 3;
        c.healthy_fraction = f64::NAN;
        assert_eq!(c.validate().unwrap_err().field, "healthy-fraction");
        c.healthy_fraction = 0.5;
        c.interval_minutes = 0;
        let e = c.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid fleet configuration: interval-minutes must be between 1 and 1440"
        );
        c.interval_minutes = 15;
        c.failure_after_days = Some(DayRange { min: 5.0, max: 1.0 });
        assert_eq!(c.validate().unwrap_err().field, "failure-days");
        c.failure_after_days = Some(DayRange {
            min: 1.0,
            max: 1e12,
        });
        assert_eq!(c.validate().unwrap_err().field, "failure-days");
        c.failure_after_days = None;
        c.start = Timestamp::parse_rfc3339("9999-12-25T00:00:00Z").unwrap();
        assert_eq!(c.validate().unwrap_err().field, "start");
        c.start = Timestamp::from_unix_seconds(FleetConfig::DEFAULT_START_UNIX);
        assert_eq!(c.validate(), Ok(()));
    }
}

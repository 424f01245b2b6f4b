//! Features of a pump's history at one instant: trailing-window statistics of every signal.
//!
//! Each feature looks back at most [`LOOKBACK_DAYS`] from the latest point, and the window's
//! start is found by binary search, so one prediction costs O(points in 28 days) whatever
//! the length of the history: a backtest of a year is 8,760 × ~700 steps, not 8,760².

use crate::history::HistoryPoint;

/// The signals features are computed from, in feature order.
///
/// `deviation` is the root mean square of the graded deviations known at a reading: one
/// number for "how far from its baseline" whatever the failure mode, whose rise the trees
/// can follow without learning each mode's pattern of signs.
pub const SIGNALS: [&str; 7] = [
    "flow",
    "head",
    "power",
    "efficiency",
    "suction",
    "speed",
    "deviation",
];

/// The statistics computed for every signal, in feature order.
///
/// * `mean_1d`, `mean_7d`: level over the last day and week (a day averages out the demand
///   cycle; a week the weekly one);
/// * `std_1d`, `std_7d`: spread (cavitation and bearing wear make readings noisy);
/// * `slope_7d`: least-squares trend over the week, percent per day;
/// * `min_7d`, `max_7d`: extremes of the week;
/// * `change_1d_7d`: last day's level minus the week's (acceleration near the end);
/// * `shift_7d_28d`: the week's level minus the 28-day level (drift from the pump's own normal);
/// * `roughness_1d`: mean absolute hour-to-hour change over the last day (noise without the
///   slow demand cycle).
pub const STATISTICS: [&str; 10] = [
    "mean_1d",
    "mean_7d",
    "std_1d",
    "std_7d",
    "slope_7d",
    "min_7d",
    "max_7d",
    "change_1d_7d",
    "shift_7d_28d",
    "roughness_1d",
];

/// Number of features: every statistic of every signal.
pub const FEATURE_COUNT: usize = SIGNALS.len() * STATISTICS.len();

/// The longest window, days.
pub const LOOKBACK_DAYS: i64 = 28;

const DAY: i64 = 86_400;

/// The feature names, `<signal>_<statistic>` (e.g. `efficiency_slope_7d`), in feature order.
///
/// ```
/// let names = pump_model::feature_names();
/// assert_eq!(names.len(), pump_model::FEATURE_COUNT);
/// assert_eq!(names[0], "flow_mean_1d");
/// assert!(names.contains(&"efficiency_slope_7d".to_string()));
/// ```
pub fn feature_names() -> Vec<String> {
    SIGNALS
        .iter()
        .flat_map(|s| STATISTICS.iter().map(move |stat| format!("{s}_{stat}")))
        .collect()
}

fn signal(point: &HistoryPoint, index: usize) -> Option<f64> {
    let v = match index {
        0 => point.deviations.flow,
        1 => point.deviations.head,
        2 => point.deviations.power,
        3 => point.deviations.efficiency,
        4 => point.suction,
        5 => point.speed,
        _ => {
            let (n, sum_sq) = point
                .deviations
                .iter()
                .fold((0.0, 0.0), |(n, s), (_, d)| (n + 1.0, s + d * d));
            (n > 0.0).then(|| (sum_sq / n).sqrt())
        }
    };
    v.filter(|v| v.is_finite())
}

/// Running sums of one signal over one window.
#[derive(Default, Clone, Copy)]
struct Sums {
    n: f64,
    sum: f64,
    sum_sq: f64,
}

impl Sums {
    fn add(&mut self, v: f64) {
        self.n += 1.0;
        self.sum += v;
        self.sum_sq += v * v;
    }
    fn mean(&self) -> Option<f64> {
        (self.n > 0.0).then(|| self.sum / self.n)
    }
    fn std(&self) -> f64 {
        match self.mean() {
            Some(m) => (self.sum_sq / self.n - m * m).max(0.0).sqrt(),
            None => 0.0,
        }
    }
}

/// The features of `history` at its last point.
///
/// `history` must be in time order (as the edge program keeps it); only the last 28 days
/// are read. A signal that is never known in a window gives 0 for that window's statistics,
/// as if the pump sat on its baseline: the trees cannot take missing values, and "no
/// evidence of a deviation" is the honest reading of a sensor that is not there.
///
/// Returns `None` for an empty history.
pub fn features_at_end(history: &[HistoryPoint]) -> Option<[f64; FEATURE_COUNT]> {
    let last = history.last()?.timestamp.unix_seconds();
    let since = |days: i64| last - days * DAY;
    let start28 = history.partition_point(|p| p.timestamp.unix_seconds() <= since(LOOKBACK_DAYS));
    let window = &history[start28..];
    let cut7 = since(7);
    let cut1 = since(1);

    let mut out = [0.0; FEATURE_COUNT];
    for (s, chunk) in out.chunks_exact_mut(STATISTICS.len()).enumerate() {
        let mut month = Sums::default();
        let mut week = Sums::default();
        let mut day = Sums::default();
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        // Least squares of value on time (days before the last point) over the week.
        let (mut st, mut stt, mut stv) = (0.0, 0.0, 0.0);
        let (mut rough_sum, mut rough_n, mut previous) = (0.0, 0.0, None::<f64>);
        for point in window {
            let Some(v) = signal(point, s) else {
                continue;
            };
            let t = point.timestamp.unix_seconds();
            month.add(v);
            if t > cut7 {
                week.add(v);
                min = min.min(v);
                max = max.max(v);
                let days = (t - last) as f64 / DAY as f64;
                st += days;
                stt += days * days;
                stv += days * v;
            }
            if t > cut1 {
                day.add(v);
                if let Some(p) = previous {
                    rough_sum += (v - p).abs();
                    rough_n += 1.0;
                }
                previous = Some(v);
            }
        }
        let mean1 = day.mean();
        let mean7 = week.mean();
        let slope = match mean7 {
            Some(m) if week.n >= 2.0 => {
                let var_t = stt - st * st / week.n;
                if var_t > 1e-12 {
                    (stv - st * m) / var_t
                } else {
                    0.0
                }
            }
            _ => 0.0,
        };
        chunk[0] = mean1.unwrap_or(0.0);
        chunk[1] = mean7.unwrap_or(0.0);
        chunk[2] = day.std();
        chunk[3] = week.std();
        chunk[4] = slope;
        chunk[5] = if min.is_finite() { min } else { 0.0 };
        chunk[6] = if max.is_finite() { max } else { 0.0 };
        chunk[7] = match (mean1, mean7) {
            (Some(a), Some(b)) => a - b,
            _ => 0.0,
        };
        chunk[8] = match (mean7, month.mean()) {
            (Some(a), Some(b)) => a - b,
            _ => 0.0,
        };
        chunk[9] = if rough_n > 0.0 {
            rough_sum / rough_n
        } else {
            0.0
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pump_core::{ParameterValues, Timestamp};

    fn point(hour: i64, flow: f64) -> HistoryPoint {
        HistoryPoint {
            timestamp: Timestamp::from_unix_seconds(1_704_067_200 + hour * 3600),
            deviations: ParameterValues {
                flow: Some(flow),
                ..ParameterValues::empty()
            },
            suction: None,
            speed: None,
        }
    }

    fn feature(values: &[f64; FEATURE_COUNT], name: &str) -> f64 {
        let i = feature_names().iter().position(|n| n == name).unwrap();
        values[i]
    }

    #[test]
    fn a_linear_decline_has_its_slope_and_levels() {
        // Flow falls 0.5 % per day (1/48 % per hour) for 30 days.
        let history: Vec<_> = (0..720).map(|h| point(h, -(h as f64) / 48.0)).collect();
        let f = features_at_end(&history).unwrap();
        assert!((feature(&f, "flow_slope_7d") + 0.5).abs() < 1e-9);
        // Last day: hours 696..=719, mean −(707.5/48).
        assert!((feature(&f, "flow_mean_1d") + 707.5 / 48.0).abs() < 1e-9);
        assert!((feature(&f, "flow_min_7d") + 719.0 / 48.0).abs() < 1e-9);
        assert!((feature(&f, "flow_max_7d") + 552.0 / 48.0).abs() < 1e-9);
        assert!((feature(&f, "flow_roughness_1d") - 1.0 / 48.0).abs() < 1e-9);
        // Week mean at hour 635.5, day mean at 707.5: 72 hours of decline apart.
        assert!((feature(&f, "flow_change_1d_7d") + 1.5).abs() < 1e-9);
        assert!(feature(&f, "flow_shift_7d_28d") < -5.0);
        // Head was never measured: every head feature is 0.
        assert_eq!(feature(&f, "head_mean_7d"), 0.0);
        assert_eq!(feature(&f, "head_std_1d"), 0.0);
    }

    #[test]
    fn only_the_last_28_days_count() {
        let mut history: Vec<_> = (0..24 * 10).map(|h| point(h, 100.0)).collect();
        history.extend((24 * 10..24 * 40).map(|h| point(h, 2.0)));
        let f = features_at_end(&history).unwrap();
        assert_eq!(feature(&f, "flow_shift_7d_28d"), 0.0);
        assert_eq!(feature(&f, "flow_std_7d"), 0.0);
        assert_eq!(feature(&f, "flow_mean_7d"), 2.0);
    }

    #[test]
    fn an_empty_history_has_no_features() {
        assert!(features_at_end(&[]).is_none());
    }
}

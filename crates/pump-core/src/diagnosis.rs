//! Diagnosis of the likely failure mode from the pattern of the signals (SPEC §3.5).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A way a pump degrades and fails.
///
/// The simulator uses the same names for the modes it injects, so diagnosis accuracy can be
/// measured against ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Worn impeller or wear rings: flow, head and efficiency fall together, slowly.
    ImpellerWear,
    /// Vapour bubbles collapsing at the impeller: suction low, flow and head down and noisy.
    Cavitation,
    /// Clogged intake or strainer: suction pressure falls, flow falls, smoothly.
    SuctionBlockage,
    /// Partly closed or clogged discharge: head up, flow and power down.
    DischargeBlockage,
    /// Bearing wear: friction raises power, efficiency falls, hydraulics unchanged.
    BearingWear,
    /// Leaking mechanical seal or packing: delivered flow falls, head and power hold.
    SealLeak,
    /// Motor fault: speed sags, power rises and becomes erratic.
    MotorFault,
    /// A sensor, not the pump: impossible, frozen or jumping values on one channel.
    SensorFault,
    /// No rule matched.
    Unknown,
}

impl FailureMode {
    /// Every mode, `Unknown` last.
    pub const ALL: [FailureMode; 9] = [
        FailureMode::ImpellerWear,
        FailureMode::Cavitation,
        FailureMode::SuctionBlockage,
        FailureMode::DischargeBlockage,
        FailureMode::BearingWear,
        FailureMode::SealLeak,
        FailureMode::MotorFault,
        FailureMode::SensorFault,
        FailureMode::Unknown,
    ];

    /// The snake_case name used in files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureMode::ImpellerWear => "impeller_wear",
            FailureMode::Cavitation => "cavitation",
            FailureMode::SuctionBlockage => "suction_blockage",
            FailureMode::DischargeBlockage => "discharge_blockage",
            FailureMode::BearingWear => "bearing_wear",
            FailureMode::SealLeak => "seal_leak",
            FailureMode::MotorFault => "motor_fault",
            FailureMode::SensorFault => "sensor_fault",
            FailureMode::Unknown => "unknown",
        }
    }
}

impl fmt::Display for FailureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a failure mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown failure mode {0:?}")]
pub struct UnknownFailureMode(pub String);

impl FromStr for FailureMode {
    type Err = UnknownFailureMode;

    /// Parses a snake_case mode name, ignoring case and surrounding spaces; `bearing` and
    /// `seal` are accepted for the original system's short names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let t = match t.as_str() {
            "bearing" => "bearing_wear",
            "seal" => "seal_leak",
            "impeller" => "impeller_wear",
            "motor" => "motor_fault",
            other => other,
        };
        FailureMode::ALL
            .into_iter()
            .find(|m| m.as_str() == t)
            .ok_or_else(|| UnknownFailureMode(s.to_string()))
    }
}

/// The likely failure mode and a one-line reason an engineer can check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The mode.
    pub mode: FailureMode,
    /// Why, e.g. `flow −6%, head −5%, efficiency −9% over 10 days, power flat`.
    pub reason: String,
}

use crate::baseline::Baseline;
use crate::parameter::Parameter;
use crate::reading::Reading;

/// Readings at each end of the history that diagnosis summarises (a day of hourly data).
pub const DIAGNOSIS_WINDOW: usize = 24;

/// A summary of the signals that the rules read: medians of the last day, against the
/// baseline, and how noisy and how fast they changed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SignalSummary {
    /// Median deviation (percent of baseline) over the last day of flow, head, power and
    /// efficiency, after the affinity-law correction to the baseline speed where speeds
    /// are known (diagnosis is about the pump, not the operating point).
    pub flow: Option<f64>,
    /// See `flow`.
    pub head: Option<f64>,
    /// See `flow`.
    pub power: Option<f64>,
    /// See `flow`.
    pub efficiency: Option<f64>,
    /// Median suction pressure change, percent of the baseline suction (or of the first day
    /// of history when the baseline has none).
    pub suction: Option<f64>,
    /// Median speed change, percent of the first day of history (or, for short histories,
    /// of the baseline speed).
    pub speed: Option<f64>,
    /// Hour-to-hour noise of flow and head in the last day relative to the first day
    /// (or, for short histories, relative to 1 % noise).
    pub hydraulic_noise_ratio: Option<f64>,
    /// The same for speed.
    pub speed_noise_ratio: Option<f64>,
    /// The speed itself moves with demand (a variable-speed drive): over the first day it
    /// spans more than 4 % of its median, so a lower speed says nothing about the motor.
    pub variable_speed: bool,
    /// A parameter whose value has not changed at all over the last day while the pump ran.
    pub frozen: Option<Parameter>,
    /// Days between the first and the last day of history (0 for short histories).
    pub span_days: f64,
    /// Change of flow deviation over that span, percentage points.
    pub flow_change: Option<f64>,
    /// Change of power deviation over that span, percentage points.
    pub power_change: Option<f64>,
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// Median absolute hour-to-hour change: a noise estimate that ignores slow drifts.
fn step_noise(xs: &[f64]) -> Option<f64> {
    if xs.len() < 4 {
        return None;
    }
    median(xs.windows(2).map(|w| (w[1] - w[0]).abs()).collect())
}

/// Affinity-corrected deviations of one reading, percent (flow, head, power, efficiency).
fn corrected_deviations(r: &Reading, baseline: &Baseline) -> [Option<f64>; 4] {
    let ratio = match (baseline.speed_rpm, r.speed) {
        (Some(n0), Some(n)) if n0 > 0.0 && n > 0.0 => n0 / n,
        _ => 1.0,
    };
    let mut out = [None; 4];
    for (i, p) in Parameter::ALL.into_iter().enumerate() {
        let factor = match p {
            Parameter::Flow => ratio,
            Parameter::Head => ratio * ratio,
            Parameter::Power => ratio * ratio * ratio,
            Parameter::Efficiency => 1.0,
        };
        out[i] = match (r.value(p), baseline.values.value(p)) {
            (Some(v), Some(b)) if b != 0.0 => Some((v * factor - b) / b * 100.0),
            _ => None,
        };
    }
    out
}

impl SignalSummary {
    /// Summarises the evaluated (running) readings of one pump, oldest first, the current
    /// one last.
    pub fn from_history(history: &[Reading], baseline: &Baseline) -> SignalSummary {
        let n = history.len();
        let recent = &history[n.saturating_sub(DIAGNOSIS_WINDOW)..];
        // A first day to compare with only when it does not overlap the last day much.
        let early = (n >= 3 * DIAGNOSIS_WINDOW).then(|| &history[..DIAGNOSIS_WINDOW]);
        let devs = |rs: &[Reading], i: usize| -> Vec<f64> {
            rs.iter()
                .filter_map(|r| corrected_deviations(r, baseline)[i])
                .collect()
        };
        let mut s = SignalSummary {
            flow: median(devs(recent, 0)),
            head: median(devs(recent, 1)),
            power: median(devs(recent, 2)),
            efficiency: median(devs(recent, 3)),
            ..SignalSummary::default()
        };
        let relative = |now: Option<f64>, reference: Option<f64>| match (now, reference) {
            (Some(x), Some(r)) if r.abs() > 1e-9 => Some((x - r) / r.abs() * 100.0),
            _ => None,
        };
        let suction_now = median(recent.iter().filter_map(|r| r.suction).collect());
        let suction_ref = baseline
            .suction_psi
            .filter(|s| s.abs() >= 1.0)
            .or_else(|| early.and_then(|e| median(e.iter().filter_map(|r| r.suction).collect())));
        s.suction = relative(suction_now, suction_ref);
        let speed_now = median(recent.iter().filter_map(|r| r.speed).collect());
        // The first day is the better reference: a VFD's daily speed pattern repeats, so a
        // sag shows against the pump's own past even when demand keeps it off its baseline.
        let speed_ref = early
            .and_then(|e| median(e.iter().filter_map(|r| r.speed).collect()))
            .or(baseline.speed_rpm);
        s.speed = relative(speed_now, speed_ref);
        let reference_day = early.unwrap_or(recent);
        let speeds: Vec<f64> = reference_day.iter().filter_map(|r| r.speed).collect();
        if let (Some(mid), Some(lo), Some(hi)) = (
            median(speeds.clone()),
            speeds.iter().copied().reduce(f64::min),
            speeds.iter().copied().reduce(f64::max),
        ) {
            s.variable_speed = mid > 0.0 && (hi - lo) / mid > 0.04;
        }

        let hydraulic_noise = |rs: &[Reading]| -> Option<f64> {
            let f = step_noise(&devs(rs, 0));
            let h = step_noise(&devs(rs, 1));
            match (f, h) {
                (Some(f), Some(h)) => Some(f.max(h)),
                (f, h) => f.or(h),
            }
        };
        let speed_noise = |rs: &[Reading]| -> Option<f64> {
            let speeds: Vec<f64> = rs.iter().filter_map(|r| r.speed).collect();
            let reference = speed_ref?;
            step_noise(
                &speeds
                    .iter()
                    .map(|x| x / reference * 100.0)
                    .collect::<Vec<_>>(),
            )
        };
        // Healthy instruments move about 1 % from hour to hour; a floor keeps a perfectly
        // quiet first day from turning ordinary noise into a huge ratio.
        let ratio = |now: Option<f64>, before: Option<f64>, floor: f64| {
            now.map(|x| x / before.unwrap_or(floor).max(floor))
        };
        s.hydraulic_noise_ratio = ratio(
            hydraulic_noise(recent),
            early.and_then(hydraulic_noise),
            0.5,
        );
        s.speed_noise_ratio = ratio(speed_noise(recent), early.and_then(speed_noise), 0.1);

        if recent.len() >= 12 {
            s.frozen = Parameter::ALL.into_iter().find(|&p| {
                let vals: Vec<f64> = recent.iter().filter_map(|r| r.value(p)).collect();
                vals.len() == recent.len() && vals.windows(2).all(|w| w[0] == w[1])
            });
        }
        if let Some(e) = early {
            s.span_days = recent[recent.len() - 1]
                .timestamp
                .days_since(e[e.len() - 1].timestamp)
                .max(0.0);
            s.flow_change = s.flow.zip(median(devs(e, 0))).map(|(a, b)| a - b);
            s.power_change = s.power.zip(median(devs(e, 2))).map(|(a, b)| a - b);
        }
        s
    }
}

/// Names the likely failure mode from the history of one pump's running readings (oldest
/// first, the current one last). The rules, in order (first match wins; deviations are the
/// last day's medians, speed-corrected, percent of baseline):
///
/// | mode | rule |
/// |---|---|
/// | sensor_fault | a value frozen for a day while the pump runs, or one parameter off by more than 60 % while the others stay within 10 % |
/// | cavitation | flow/head noise at least doubled and flow down, with suction down 10 % or more (or unknown) |
/// | suction_blockage | suction down 20 % or more and flow down 4 % or more |
/// | discharge_blockage | head up 3 % or more while flow is down 5 % or more |
/// | motor_fault | power up 4 % or more with the speed sagging 1.5 % or more (fixed-speed pumps), or speed noise at least doubled |
/// | bearing_wear | power up 5 % or more while flow and head stay within 5 % |
/// | seal_leak | flow down 5 % or more, head down less than a third as much, power not down |
/// | impeller_wear | flow down 4 % or more and head down 3 % or more |
/// | unknown | anything else |
pub fn diagnose(history: &[Reading], baseline: &Baseline) -> Diagnosis {
    let s = SignalSummary::from_history(history, baseline);
    let (mode, why) = classify_signals(&s);
    Diagnosis {
        mode,
        reason: format!("{}; {why}", describe(&s)),
    }
}

/// The rules of [`diagnose`] on an already computed summary: the mode and why.
pub fn classify_signals(s: &SignalSummary) -> (FailureMode, String) {
    let f = s.flow.unwrap_or(0.0);
    let h = s.head.unwrap_or(0.0);
    let p = s.power.unwrap_or(0.0);
    let graded = [s.flow, s.head, s.power, s.efficiency];
    if let Some(param) = s.frozen {
        return (
            FailureMode::SensorFault,
            format!("{param} has not changed for a day while the pump runs"),
        );
    }
    for (i, d) in graded.iter().enumerate() {
        let others_fine = graded
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .all(|(_, o)| o.is_none_or(|o| o.abs() < 10.0));
        if d.is_some_and(|d| d.abs() > 60.0) && others_fine {
            return (
                FailureMode::SensorFault,
                format!(
                    "{} is implausibly far from baseline while the others are normal",
                    Parameter::ALL[i]
                ),
            );
        }
    }
    let noisy = s.hydraulic_noise_ratio.is_some_and(|r| r >= 2.0);
    if noisy && f < -2.0 && s.suction.is_none_or(|x| x <= -10.0) {
        return (
            FailureMode::Cavitation,
            "erratic flow and head with low suction".into(),
        );
    }
    if s.suction.is_some_and(|x| x <= -20.0) && f <= -4.0 {
        return (
            FailureMode::SuctionBlockage,
            "suction pressure and flow falling smoothly".into(),
        );
    }
    if h >= 3.0 && f <= -5.0 {
        return (
            FailureMode::DischargeBlockage,
            "head up while flow is down: restriction downstream".into(),
        );
    }
    let speed_sag = !s.variable_speed && s.speed.is_some_and(|x| x <= -1.5);
    let speed_erratic = s.speed_noise_ratio.is_some_and(|r| r >= 2.0);
    if p >= 4.0 && (speed_sag || speed_erratic) {
        return (
            FailureMode::MotorFault,
            "power up with the motor speed sagging or unsteady".into(),
        );
    }
    if p >= 5.0 && f.abs() < 5.0 && h.abs() < 5.0 {
        return (
            FailureMode::BearingWear,
            "power up with unchanged hydraulics: friction".into(),
        );
    }
    if f <= -5.0 && h > f / 3.0 && p >= -1.5 {
        return (
            FailureMode::SealLeak,
            "delivered flow down while head and power hold: leakage".into(),
        );
    }
    if f <= -4.0 && h <= -3.0 {
        return (
            FailureMode::ImpellerWear,
            "flow and head falling together".into(),
        );
    }
    (FailureMode::Unknown, "no known failure pattern".into())
}

fn describe(s: &SignalSummary) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<f64>| {
        if let Some(v) = v {
            if v.abs() < 2.0 {
                parts.push(format!("{name} flat"));
            } else {
                parts.push(format!("{name} {v:+.0}%"));
            }
        }
    };
    add("flow", s.flow);
    add("head", s.head);
    add("power", s.power);
    add("efficiency", s.efficiency);
    add("suction", s.suction);
    if s.speed.is_some_and(|x| x.abs() >= 2.0) {
        add("speed", s.speed);
    }
    let mut text = parts.join(", ");
    if s.span_days >= 1.0 {
        if let Some(c) = s.flow_change.filter(|c| c.abs() >= 2.0) {
            text.push_str(&format!(
                " (flow {c:+.0} points over {:.0} days)",
                s.span_days
            ));
        } else if let Some(c) = s.power_change.filter(|c| c.abs() >= 2.0) {
            text.push_str(&format!(
                " (power {c:+.0} points over {:.0} days)",
                s.span_days
            ));
        }
    }
    if s.hydraulic_noise_ratio.is_some_and(|r| r >= 2.0) {
        text.push_str(&format!(
            ", flow/head noise x{:.1}",
            s.hydraulic_noise_ratio.unwrap_or(0.0)
        ));
    }
    text
}

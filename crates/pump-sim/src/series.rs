//! The readings of one pump over the window: demand, duty schedule, degradation, instrument
//! noise and data faults.

use crate::config::FleetConfig;
use crate::physics::{self, Effect, OperatingPoint};
use crate::spec::{OffSchedule, PumpSpec, splitmix64};
use pump_core::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::f64::consts::TAU;

/// Instrument noise, one standard deviation relative to the value.
const FLOW_NOISE: f64 = 0.010;
const PRESSURE_NOISE: f64 = 0.008;
const POWER_NOISE: f64 = 0.015;
const SPEED_NOISE: f64 = 0.001;

/// Weights of the daily cycle, the weekly cycle and the random wander in the demand.
const DAILY_WEIGHT: f64 = 0.7;
const WEEKLY_WEIGHT: f64 = 0.15;
const WANDER_WEIGHT: f64 = 0.3;
/// Hour-to-hour correlation of the demand's random wander (correlation time about 33 h).
const WANDER_HOURLY_CORRELATION: f64 = 0.97;
/// Hour of the daily demand peak (before the pump's own phase shift), UTC.
const PEAK_HOUR: f64 = 15.0;

/// One cell of an operational CSV row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A reading, already rounded to the 2 decimals written.
    Value(f64),
    /// An empty cell.
    Empty,
    /// Garbage left by the data logger.
    Bad(BadToken),
}

impl Cell {
    /// The number, when the cell holds one.
    pub fn value(self) -> Option<f64> {
        match self {
            Cell::Value(v) => Some(v),
            Cell::Empty | Cell::Bad(_) => None,
        }
    }
}

/// The garbage tokens of real exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadToken {
    /// `NaN`
    NaN,
    /// `--`
    Dashes,
    /// `ERR`
    Err,
}

impl BadToken {
    /// The text written in the CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            BadToken::NaN => "NaN",
            BadToken::Dashes => "--",
            BadToken::Err => "ERR",
        }
    }
}

/// One operational row as written, plus what was true at that instant.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationalRow {
    /// Instant of the reading (whole seconds, UTC).
    pub timestamp: Timestamp,
    /// Flow, gpm.
    pub flow_gpm: Cell,
    /// Discharge pressure, psi.
    pub discharge_pressure_psi: Cell,
    /// Suction pressure, psi.
    pub suction_pressure_psi: Cell,
    /// Motor power, hp.
    pub power_hp: Cell,
    /// Pump efficiency, % (computed from the written flow, pressures and power).
    pub efficiency_percent: Cell,
    /// Motor speed, rpm.
    pub speed_rpm: Cell,
    /// Truth: the pump was running (not switched off).
    pub running: bool,
    /// Truth: degradation severity, 0 (healthy) to 1 (failure).
    pub severity: f64,
    /// Truth: this row repeats the one before it (a logger glitch).
    pub repeated: bool,
}

impl OperationalRow {
    /// The six value cells in CSV column order.
    pub fn cells(&self) -> [Cell; 6] {
        [
            self.flow_gpm,
            self.discharge_pressure_psi,
            self.suction_pressure_psi,
            self.power_hp,
            self.efficiency_percent,
            self.speed_rpm,
        ]
    }

    fn cells_mut(&mut self) -> [&mut Cell; 6] {
        [
            &mut self.flow_gpm,
            &mut self.discharge_pressure_psi,
            &mut self.suction_pressure_psi,
            &mut self.power_hp,
            &mut self.efficiency_percent,
            &mut self.speed_rpm,
        ]
    }
}

/// A simulated pump: its specification and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedPump {
    /// Who the pump is.
    pub spec: PumpSpec,
    /// Seed of its readings.
    pub seed: u64,
    /// Its failure, when it failed inside the window (its data ends there).
    pub failed_at: Option<Timestamp>,
    /// Its rows, in time order, as written (dropouts missing, repeats present).
    pub rows: Vec<OperationalRow>,
}

impl SimulatedPump {
    /// The `Well ID`.
    pub fn id(&self) -> &str {
        self.spec.id()
    }
}

/// Rounds to the 2 decimals written, without ever producing `-0.00`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// A uniform number in [0, 1) from a hash, for decisions that must not depend on the order
/// in which rows are drawn.
fn hashed_unit(seed: u64, key: u64) -> f64 {
    (splitmix64(seed ^ splitmix64(key)) >> 11) as f64 / (1u64 << 53) as f64
}

fn is_off(spec: &PumpSpec, config: &FleetConfig, seed: u64, t: i64) -> bool {
    match &spec.off_schedule {
        OffSchedule::AlwaysOn => false,
        OffSchedule::Nightly {
            start_hour,
            hours,
            probability,
        } => {
            let since_stop = t - i64::from(*start_hour) * 3600;
            let night = since_stop.div_euclid(86_400);
            since_stop.rem_euclid(86_400) < i64::from(*hours) * 3600
                && hashed_unit(seed, night as u64) < *probability
        }
        OffSchedule::WholeDays { days } => {
            let day = (t - config.start.unix_seconds()).div_euclid(86_400);
            u32::try_from(day).is_ok_and(|d| days.binary_search(&d).is_ok())
        }
    }
}

/// Demand from −1 (night low) to +1 (peak): a daily cycle, a weekly cycle and a slow
/// random wander, clamped.
fn demand(spec: &PumpSpec, config: &FleetConfig, t: i64, wander: f64) -> f64 {
    let hour = t.rem_euclid(86_400) as f64 / 3600.0;
    let day = (t - config.start.unix_seconds()) as f64 / 86_400.0;
    // sin peaks a quarter period after its zero: zero at PEAK_HOUR − 6.
    let daily = (TAU * (hour - (PEAK_HOUR - 6.0) - spec.demand_phase_hours) / 24.0).sin();
    let weekly = (TAU * day / 7.0).sin();
    (DAILY_WEIGHT * daily + WEEKLY_WEIGHT * weekly + WANDER_WEIGHT * wander).clamp(-1.0, 1.0)
}

/// Simulates one pump over the window of `config`, its readings drawn from `seed`.
///
/// Same `(seed, spec, config)` ⇒ same rows. Data faults come from a second stream of the
/// same seed, so [`crate::DataFaults::NONE`] gives the same values on every row.
pub fn simulate_pump(seed: u64, spec: &PumpSpec, config: &FleetConfig) -> SimulatedPump {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fault_rng = rng.clone();
    fault_rng.set_stream(1);
    let faults = config.faults;

    let interval = config.interval_seconds();
    let end = config.window_end().unix_seconds();
    let failed_at = spec
        .degradation()
        .map(|d| d.failure)
        .filter(|f| f.unix_seconds() < end);
    let stop = failed_at.map_or(end, |f| f.unix_seconds());

    let correlation = WANDER_HOURLY_CORRELATION.powf(interval as f64 / 3600.0);
    let innovation = (1.0 - correlation * correlation).sqrt();
    let mut wander: f64 = rng.sample(StandardNormal);

    let baseline = &spec.baseline;
    let mut rows = Vec::with_capacity(config.rows_per_pump());
    let mut dropout_left = 0u32;
    let mut t = config.start.unix_seconds();
    while t < stop {
        // Every step draws the same numbers whatever happens, so schedules and faults
        // never shift the random sequence of later rows.
        let step: f64 = rng.sample(StandardNormal);
        wander = correlation * wander + innovation * step;
        let z: [f64; 5] = std::array::from_fn(|_| rng.sample(StandardNormal));
        let fault_draws: [f64; 10] = std::array::from_fn(|_| fault_rng.random());

        let timestamp = Timestamp::from_unix_seconds(t);
        let severity = spec.degradation().map_or(0.0, |d| d.severity(timestamp));
        let running = !is_off(spec, config, seed, t);
        let mut row = if running {
            let healthy =
                physics::healthy_point(baseline, spec.drive, demand(spec, config, t, wander));
            let effect = match spec.degradation() {
                Some(d) if severity > 0.0 => {
                    physics::degrade(healthy, d.mode, severity, d.magnitude)
                }
                _ => Effect {
                    point: healthy,
                    efficiency_factor: 1.0,
                    noise: [1.0; 4],
                },
            };
            running_row(timestamp, effect, &z)
        } else {
            stopped_row(timestamp, spec, &z)
        };
        row.severity = severity;
        t += interval;

        if dropout_left > 0 {
            dropout_left -= 1;
            continue;
        }
        if fault_draws[0] < faults.dropout_rate {
            let rows = (fault_draws[1] * f64::from(faults.dropout_max_rows)) as u32 + 1;
            dropout_left = rows.min(faults.dropout_max_rows.max(1)) - 1;
            continue;
        }
        for (cell, &u) in row.cells_mut().into_iter().zip(&fault_draws[2..8]) {
            if u < faults.empty_cell_rate {
                *cell = Cell::Empty;
            } else if u < faults.empty_cell_rate + faults.bad_cell_rate {
                *cell = Cell::Bad(match (fault_draws[8] * 3.0) as u32 {
                    0 => BadToken::NaN,
                    1 => BadToken::Dashes,
                    _ => BadToken::Err,
                });
            }
        }
        let repeat = fault_draws[9] < faults.repeat_rate;
        if repeat {
            let mut again = row.clone();
            again.repeated = true;
            rows.push(row);
            rows.push(again);
        } else {
            rows.push(row);
        }
    }
    SimulatedPump {
        spec: spec.clone(),
        seed,
        failed_at,
        rows,
    }
}

fn running_row(timestamp: Timestamp, effect: Effect, z: &[f64; 5]) -> OperationalRow {
    let OperatingPoint {
        flow_gpm,
        suction_psi,
        differential_psi,
        power_hp,
        speed_rpm,
    } = effect.point;
    let [flow_noise, pressure_noise, power_noise, speed_noise] = effect.noise;
    let noisy = |value: f64, sigma: f64, z: f64| round2((value * (1.0 + sigma * z)).max(0.0));
    let flow = noisy(flow_gpm, FLOW_NOISE * flow_noise, z[0]);
    let suction = noisy(suction_psi, PRESSURE_NOISE * pressure_noise, z[1]);
    let discharge = noisy(
        suction_psi + differential_psi,
        PRESSURE_NOISE * pressure_noise,
        z[2],
    );
    let power = noisy(power_hp, POWER_NOISE * power_noise, z[3]);
    let speed = noisy(speed_rpm, SPEED_NOISE * speed_noise, z[4]);
    // Computed from the written values, as a SCADA efficiency tag is, so the row is
    // self-consistent to rounding.
    let efficiency = round2(
        physics::efficiency_percent(flow, discharge - suction, power) * effect.efficiency_factor,
    );
    OperationalRow {
        timestamp,
        flow_gpm: Cell::Value(flow),
        discharge_pressure_psi: Cell::Value(discharge),
        suction_pressure_psi: Cell::Value(suction),
        power_hp: Cell::Value(power),
        efficiency_percent: Cell::Value(efficiency),
        speed_rpm: Cell::Value(speed),
        running: true,
        severity: 0.0,
        repeated: false,
    }
}

/// A switched-off pump: no speed, flow or power; suction recovers to its static level and
/// the check valve holds about half the pump's head on the discharge gauge.
fn stopped_row(timestamp: Timestamp, spec: &PumpSpec, z: &[f64; 5]) -> OperationalRow {
    let b = &spec.baseline;
    let static_suction = b.suction_pressure_psi * 1.04;
    let held = static_suction + 0.5 * b.differential_psi();
    OperationalRow {
        timestamp,
        flow_gpm: Cell::Value(0.0),
        discharge_pressure_psi: Cell::Value(round2(held * (1.0 + PRESSURE_NOISE * z[2]))),
        suction_pressure_psi: Cell::Value(round2(static_suction * (1.0 + PRESSURE_NOISE * z[1]))),
        power_hp: Cell::Value(0.0),
        efficiency_percent: Cell::Value(0.0),
        speed_rpm: Cell::Value(0.0),
        running: false,
        severity: 0.0,
        repeated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round2_never_writes_negative_zero() {
        assert_eq!(format!("{:.2}", round2(-0.001)), "0.00");
        assert_eq!(format!("{:.2}", round2(12.345_000_1)), "12.35");
    }

    #[test]
    fn demand_peaks_in_the_afternoon_and_dips_at_night() {
        let config = FleetConfig::new(1, 1, 7);
        let mut spec = PumpSpec::for_fleet(&config, 0);
        spec.demand_phase_hours = 0.0;
        // 2024-01-01 is a Monday; the weekly term is 0 at the start.
        let at = |hour: i64| {
            demand(
                &spec,
                &config,
                config.start.unix_seconds() + hour * 3600,
                0.0,
            )
        };
        assert!((at(15) - 0.7 * 1.0 - 0.15 * (TAU * 15.0 / 24.0 / 7.0).sin()).abs() < 1e-12);
        assert!(at(3) < -0.55);
    }
}

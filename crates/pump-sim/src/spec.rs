//! Who the pumps are: baselines, drives, duty schedules and fates, drawn from the seed.
//!
//! Fleet-level choices (which pumps stay healthy, which mode each degrading pump gets, which
//! application and drive each pump has) are *prefix-stable*: pump `i`'s choices depend only
//! on the fleet seed, `i` and the healthy fraction, never on the fleet size. Everything else
//! comes from the pump's own random stream. So a fleet of 21 pumps is the fleet of 20 plus
//! one pump.

use crate::config::FleetConfig;
use crate::physics::{self, SIGNATURE_MODES};
use pump_core::{FailureMode, Timestamp};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Application of a pump, as named in the baseline CSV (SPEC §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Application {
    /// Municipal Water and Wastewater (grade 1U).
    #[serde(rename = "Municipal Water and Wastewater")]
    MunicipalWater,
    /// API (grade 1B).
    #[serde(rename = "API")]
    Api,
    /// Energy Conservation (grade 1E).
    #[serde(rename = "Energy Conservation")]
    EnergyConservation,
    /// Cooling Tower (grade 2B).
    #[serde(rename = "Cooling Tower")]
    CoolingTower,
    /// General Industry (3B below 134 hp, 2B from 134 hp).
    #[serde(rename = "General Industry")]
    GeneralIndustry,
    /// Dewatering, drainage, and irrigation (3B below 134 hp, 2B from 134 hp).
    #[serde(rename = "Dewatering, drainage, and irrigation")]
    Dewatering,
}

impl Application {
    /// Every application of SPEC §3.2.
    pub const ALL: [Application; 6] = [
        Application::MunicipalWater,
        Application::Api,
        Application::EnergyConservation,
        Application::CoolingTower,
        Application::GeneralIndustry,
        Application::Dewatering,
    ];

    /// The name written in the baseline CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Application::MunicipalWater => "Municipal Water and Wastewater",
            Application::Api => "API",
            Application::EnergyConservation => "Energy Conservation",
            Application::CoolingTower => "Cooling Tower",
            Application::GeneralIndustry => "General Industry",
            Application::Dewatering => "Dewatering, drainage, and irrigation",
        }
    }
}

/// Nameplate horsepower at which General Industry and Dewatering switch from grade 3B to 2B.
pub const GRADE_SWITCH_HP: f64 = 134.0;

/// Which side of [`GRADE_SWITCH_HP`] a pump's nameplate must fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SizeClass {
    Any,
    Below,
    AtOrAbove,
}

/// Application slots handed out in shuffled blocks of eight, so that every eight pumps
/// hold every application, and General Industry and Dewatering once on each side of 134 hp.
const APPLICATION_SLOTS: [(Application, SizeClass); 8] = [
    (Application::MunicipalWater, SizeClass::Any),
    (Application::Api, SizeClass::Any),
    (Application::EnergyConservation, SizeClass::Any),
    (Application::CoolingTower, SizeClass::Any),
    (Application::GeneralIndustry, SizeClass::Below),
    (Application::GeneralIndustry, SizeClass::AtOrAbove),
    (Application::Dewatering, SizeClass::Below),
    (Application::Dewatering, SizeClass::AtOrAbove),
];

/// A pump's baseline row (SPEC §2.2 with both optional columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// `Well ID`, e.g. `Pump 01`.
    pub pump_id: String,
    /// Make and model, e.g. `Goulds 3410`.
    pub pump_type: String,
    /// Nameplate motor horsepower: a standard size above the baseline power.
    pub horsepower: f64,
    /// Application, which selects the tolerance grade.
    pub application: Application,
    /// Flow at the duty point, gpm.
    pub flow_gpm: f64,
    /// Discharge pressure at the duty point, psi.
    pub discharge_pressure_psi: f64,
    /// Motor power at the duty point, hp.
    pub power_hp: f64,
    /// Pump efficiency at the duty point, %.
    pub efficiency_percent: f64,
    /// Motor speed at the duty point, rpm (1780 or 3560).
    pub speed_rpm: f64,
    /// Suction pressure at the duty point, psi.
    pub suction_pressure_psi: f64,
}

impl Baseline {
    /// Differential pressure the pump adds at the duty point, psi.
    pub fn differential_psi(&self) -> f64 {
        self.discharge_pressure_psi - self.suction_pressure_psi
    }
}

/// How the motor is driven.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Drive {
    /// Across the line: constant speed; demand moves the pump a little along its curve.
    Fixed,
    /// Variable-frequency drive: speed follows demand by up to ± `swing` (0.08 = ±8 %).
    Vfd {
        /// Largest relative speed change.
        swing: f64,
    },
}

/// When a pump is switched off (speed, flow and power 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OffSchedule {
    /// Continuous duty.
    AlwaysOn,
    /// Off for a stretch most nights (storage tank full, cheap-tariff filling done).
    Nightly {
        /// UTC hour the pump stops.
        start_hour: u32,
        /// Hours it stays off.
        hours: u32,
        /// Share of nights it stops.
        probability: f64,
    },
    /// Off for a few whole days (maintenance, low demand).
    WholeDays {
        /// Days of the window (0 = the first day) the pump is off, ascending.
        days: Vec<u32>,
    },
}

/// How a degrading pump fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Degradation {
    /// The failure mode whose signature it shows.
    pub mode: FailureMode,
    /// Start of the degradation (may precede the window).
    pub onset: Timestamp,
    /// Failure (may lie after the window: the pump is then censored).
    pub failure: Timestamp,
    /// Severity is `u^exponent`, `u` the fraction of the way from onset to failure (2–3).
    pub exponent: f64,
    /// Scale of the signature at failure (0.75–1.25 × the nominal table).
    pub magnitude: f64,
}

impl Degradation {
    /// Severity at `t`: 0 up to the onset, rising to 1 at the failure, accelerating.
    pub fn severity(&self, t: Timestamp) -> f64 {
        let span = self.failure.since(self.onset).as_seconds_f64();
        if span <= 0.0 {
            return if t >= self.failure { 1.0 } else { 0.0 };
        }
        let u = (t.since(self.onset).as_seconds_f64() / span).clamp(0.0, 1.0);
        u.powf(self.exponent)
    }
}

/// Whether a pump stays healthy or degrades toward a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fate {
    /// Healthy for the whole window.
    Healthy,
    /// Degrades from an onset to a failure.
    Degrading(Degradation),
}

/// Everything that makes one simulated pump what it is, before any reading is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PumpSpec {
    /// Position in the fleet, from 0.
    pub index: usize,
    /// File-name form of the id, e.g. `pump_01`.
    pub slug: String,
    /// The baseline row (holds the id).
    pub baseline: Baseline,
    /// Fixed speed or VFD.
    pub drive: Drive,
    /// When the pump is switched off.
    pub off_schedule: OffSchedule,
    /// Healthy or degrading.
    pub fate: Fate,
    /// Shift of this site's daily demand cycle, hours.
    pub demand_phase_hours: f64,
}

impl PumpSpec {
    /// The `Well ID`.
    pub fn id(&self) -> &str {
        &self.baseline.pump_id
    }

    /// The degradation, for a degrading pump.
    pub fn degradation(&self) -> Option<&Degradation> {
        match &self.fate {
            Fate::Healthy => None,
            Fate::Degrading(d) => Some(d),
        }
    }

    /// Draws pump `index` of the fleet `config` (0-based). Prefix-stable: the result does
    /// not depend on `config.pumps`.
    pub fn for_fleet(config: &FleetConfig, index: usize) -> PumpSpec {
        let mut rng = ChaCha8Rng::seed_from_u64(pump_spec_seed(config.seed, index));
        let (application, size) =
            block_pick(config.seed, Purpose::Application, &APPLICATION_SLOTS, index);
        let drive = if block_pick(config.seed, Purpose::Drive, &[true, false, false], index) {
            // One swing for every VFD, so "speed ±8 %" holds fleet-wide as documented.
            Drive::Vfd { swing: 0.08 }
        } else {
            Drive::Fixed
        };
        let id = pump_id(index, config.pumps);
        let slug = id.to_ascii_lowercase().replace(' ', "_");
        let baseline = draw_baseline(&mut rng, id, application, size);
        let off_schedule = draw_off_schedule(&mut rng, config.days);
        let demand_phase_hours = rng.random_range(-2.0..2.0);
        let fate = match role(config, index) {
            None => Fate::Healthy,
            Some(mode) => Fate::Degrading(draw_degradation(&mut rng, config, mode)),
        };
        PumpSpec {
            index,
            slug,
            baseline,
            drive,
            off_schedule,
            fate,
            demand_phase_hours,
        }
    }
}

/// `Pump 01` … `Pump 99`, then three digits for fleets of 100 pumps and more.
pub fn pump_id(index: usize, fleet_size: usize) -> String {
    if fleet_size > 99 {
        format!("Pump {:03}", index + 1)
    } else {
        format!("Pump {:02}", index + 1)
    }
}

/// The healthy-or-mode role of pump `index`: `None` for healthy.
///
/// Healthy pumps are placed so that every prefix of `n` pumps holds `round(n × fraction)`
/// of them; the degrading ones take modes from shuffled blocks of the seven modes, so any
/// `7k` degrading pumps hold every mode `k` times.
pub fn role(config: &FleetConfig, index: usize) -> Option<FailureMode> {
    let healthy_before = healthy_count(config.healthy_fraction, index);
    if healthy_count(config.healthy_fraction, index + 1) > healthy_before {
        return None;
    }
    let degrading_before = index - healthy_before;
    Some(block_pick(
        config.seed,
        Purpose::Mode,
        &SIGNATURE_MODES,
        degrading_before,
    ))
}

/// Healthy pumps among the first `n`: `n × fraction` rounded half up.
fn healthy_count(fraction: f64, n: usize) -> usize {
    // `n as f64` is exact for any fleet this simulator accepts (≤ 999 pumps).
    (n as f64 * fraction + 0.5).floor() as usize
}

#[derive(Clone, Copy)]
enum Purpose {
    Mode = 1,
    Application = 2,
    Drive = 3,
}

/// Item `k` of an endless sequence made of independently shuffled copies of `items`.
fn block_pick<T: Copy>(fleet_seed: u64, purpose: Purpose, items: &[T], k: usize) -> T {
    let block = (k / items.len()) as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(fleet_seed);
    rng.set_stream(((purpose as u64) << 48) | block);
    let mut order = items.to_vec();
    order.shuffle(&mut rng);
    order[k % items.len()]
}

/// SplitMix64 finaliser: a bijective 64-bit mixer, so nearby seeds give unrelated streams.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Seed of pump `index`'s specification stream.
fn pump_spec_seed(fleet_seed: u64, index: usize) -> u64 {
    splitmix64(fleet_seed ^ splitmix64(index as u64 + 1))
}

/// Seed of pump `index`'s readings (what [`crate::simulate_fleet`] hands to
/// [`crate::simulate_pump`]). Derived from the fleet seed and the position only.
pub fn pump_series_seed(fleet_seed: u64, index: usize) -> u64 {
    splitmix64(pump_spec_seed(fleet_seed, index) ^ 0x005E_ED5E_41E5_u64)
}

const PUMP_TYPES: [&str; 8] = [
    "Goulds 3196",
    "Goulds 3410",
    "Goulds VIT",
    "Flowserve VTP",
    "Grundfos NK",
    "KSB Etanorm",
    "Peerless 8AE",
    "Aurora 410",
];

/// API 610 process pumps for the API application.
const API_PUMP_TYPES: [&str; 3] = ["Goulds 3700", "Flowserve HPX", "Sulzer OHH"];

/// Rounds to a multiple of `step`. `step` is a whole number (5) or a power-of-two
/// fraction (0.5), whose multiples are exact in binary.
fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// Rounds to `decimals` decimal places, giving the double nearest the decimal (so it
/// prints short: 9.45, not 9.450000000000001).
fn round_decimals(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn draw_baseline(
    rng: &mut ChaCha8Rng,
    pump_id: String,
    application: Application,
    size: SizeClass,
) -> Baseline {
    let pump_type = if application == Application::Api {
        API_PUMP_TYPES[rng.random_range(0..API_PUMP_TYPES.len())]
    } else {
        PUMP_TYPES[rng.random_range(0..PUMP_TYPES.len())]
    };
    // Rejection sampling for the size class; large pumps get a head start so that the
    // loop ends after a few draws (about 1 in 4 qualifies).
    let (flow_lo, discharge_lo) = match size {
        SizeClass::AtOrAbove => (700.0, 110.0),
        _ => (150.0, 40.0),
    };
    // Each draw qualifies with probability ≥ 0.2; after 10 000 misses (never seen) a pump
    // of the wrong size is better than no pump.
    let mut attempts = 0;
    loop {
        attempts += 1;
        // Log-uniform flow: small pumps are more common than large ones.
        let flow = round_to(
            (rng.random_range(f64::ln(flow_lo)..f64::ln(1500.0))).exp(),
            5.0,
        );
        let suction = round_to(rng.random_range(5.0..35.0), 0.5);
        let discharge = round_to(
            rng.random_range(f64::max(discharge_lo, suction + 25.0)..200.0),
            0.5,
        );
        let head_ft = physics::head_ft(discharge - suction);
        let speed = if head_ft > 300.0 || (head_ft > 120.0 && rng.random_bool(0.5)) {
            3560.0
        } else {
            1780.0
        };
        let nominal_efficiency = round_decimals(rng.random_range(60.0..86.0), 1);
        let power = round_decimals(
            physics::water_hp(flow, discharge - suction) / (nominal_efficiency / 100.0),
            2,
        );
        // Recomputed from the rounded power so that the baseline row is self-consistent.
        let efficiency = round_decimals(
            physics::efficiency_percent(flow, discharge - suction, power),
            2,
        );
        let horsepower = physics::nameplate_hp(power);
        let fits = match size {
            SizeClass::Any => true,
            SizeClass::Below => horsepower < GRADE_SWITCH_HP,
            SizeClass::AtOrAbove => horsepower >= GRADE_SWITCH_HP,
        };
        let baseline = Baseline {
            pump_id: pump_id.clone(),
            pump_type: pump_type.to_string(),
            horsepower,
            application,
            flow_gpm: flow,
            discharge_pressure_psi: discharge,
            power_hp: power,
            efficiency_percent: efficiency,
            speed_rpm: speed,
            suction_pressure_psi: suction,
        };
        if fits || attempts >= 10_000 {
            return baseline;
        }
    }
}

fn draw_off_schedule(rng: &mut ChaCha8Rng, days: u32) -> OffSchedule {
    let u: f64 = rng.random();
    if u < 0.45 {
        OffSchedule::AlwaysOn
    } else if u < 0.80 {
        OffSchedule::Nightly {
            start_hour: [21, 22, 23, 0, 1][rng.random_range(0..5)],
            hours: rng.random_range(3..=7),
            probability: round_decimals(rng.random_range(0.6..0.95), 2),
        }
    } else {
        let count = rng.random_range(2..=5).min(days as usize);
        let mut all: Vec<u32> = (0..days).collect();
        let (chosen, _) = all.partial_shuffle(rng, count);
        let mut chosen = chosen.to_vec();
        chosen.sort_unstable();
        OffSchedule::WholeDays { days: chosen }
    }
}

fn draw_degradation(rng: &mut ChaCha8Rng, config: &FleetConfig, mode: FailureMode) -> Degradation {
    let failure_range = config.failure_range();
    let lead_range = config.onset_lead_range();
    let failure_days = rng.random_range(failure_range.min..=failure_range.max);
    let lead_days = rng.random_range(lead_range.min..=lead_range.max);
    let start = config.start.unix_seconds();
    // Whole seconds, like the failure log of a real site.
    let failure = start + (failure_days * 86_400.0).round() as i64;
    let onset = failure - (lead_days * 86_400.0).round() as i64;
    Degradation {
        mode,
        onset: Timestamp::from_unix_seconds(onset),
        failure: Timestamp::from_unix_seconds(failure),
        exponent: round_decimals(rng.random_range(2.0..=3.0), 2),
        magnitude: round_decimals(rng.random_range(0.75..=1.25), 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_pumps_are_the_rounded_share_of_every_prefix() {
        let config = FleetConfig::new(7, 20, 90);
        let healthy: Vec<usize> = (0..20).filter(|&i| role(&config, i).is_none()).collect();
        assert_eq!(healthy, vec![1, 4, 8, 11, 14, 18]);
        for n in 1..=20 {
            let count = healthy.iter().filter(|&&i| i < n).count();
            assert_eq!(count, (n as f64 * 0.3).round() as usize, "prefix {n}");
        }
    }

    #[test]
    fn twenty_pumps_at_30_percent_hold_every_mode_twice() {
        let config = FleetConfig::new(7, 20, 90);
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..20 {
            if let Some(mode) = role(&config, i) {
                *counts.entry(mode).or_insert(0) += 1;
            }
        }
        assert_eq!(counts.len(), 7);
        assert!(counts.values().all(|&c| c == 2), "{counts:?}");
    }

    #[test]
    fn fleet_fractions_zero_and_one() {
        let mut config = FleetConfig::new(3, 10, 30);
        config.healthy_fraction = 0.0;
        assert!((0..10).all(|i| role(&config, i).is_some()));
        config.healthy_fraction = 1.0;
        assert!((0..10).all(|i| role(&config, i).is_none()));
    }

    #[test]
    fn every_block_of_eight_has_every_application_and_both_grade_sides() {
        for seed in [1, 42, 9_999] {
            let config = FleetConfig::new(seed, 8, 30);
            let specs: Vec<PumpSpec> = (0..8).map(|i| PumpSpec::for_fleet(&config, i)).collect();
            for app in Application::ALL {
                assert!(specs.iter().any(|s| s.baseline.application == app));
            }
            for app in [Application::GeneralIndustry, Application::Dewatering] {
                let hp: Vec<f64> = specs
                    .iter()
                    .filter(|s| s.baseline.application == app)
                    .map(|s| s.baseline.horsepower)
                    .collect();
                assert!(hp.iter().any(|&h| h < 134.0), "{app:?} {hp:?} seed {seed}");
                assert!(hp.iter().any(|&h| h >= 134.0), "{app:?} {hp:?} seed {seed}");
            }
        }
    }

    #[test]
    fn baselines_are_in_range_and_hydraulically_consistent() {
        let config = FleetConfig::new(11, 64, 90);
        for i in 0..64 {
            let b = PumpSpec::for_fleet(&config, i).baseline;
            assert!((150.0..=1500.0).contains(&b.flow_gpm), "{b:?}");
            assert!((40.0..=200.0).contains(&b.discharge_pressure_psi), "{b:?}");
            assert!((5.0..=35.0).contains(&b.suction_pressure_psi), "{b:?}");
            assert!(b.speed_rpm == 1780.0 || b.speed_rpm == 3560.0);
            assert!((59.9..=86.1).contains(&b.efficiency_percent), "{b:?}");
            assert!(b.horsepower > b.power_hp, "{b:?}");
            let whp = b.flow_gpm * b.differential_psi() * 2.31 / 3960.0;
            let eff = whp / b.power_hp * 100.0;
            assert!((eff - b.efficiency_percent).abs() < 0.01, "{b:?}");
        }
    }

    #[test]
    fn ids_and_slugs() {
        assert_eq!(pump_id(0, 8), "Pump 01");
        assert_eq!(pump_id(99, 120), "Pump 100");
        assert_eq!(
            PumpSpec::for_fleet(&FleetConfig::new(1, 8, 30), 6).slug,
            "pump_07"
        );
    }

    #[test]
    fn severity_rises_from_zero_to_one_accelerating() {
        let d = Degradation {
            mode: FailureMode::SealLeak,
            onset: Timestamp::from_unix_seconds(0),
            failure: Timestamp::from_unix_seconds(1000),
            exponent: 2.0,
            magnitude: 1.0,
        };
        assert_eq!(d.severity(Timestamp::from_unix_seconds(-5)), 0.0);
        assert!((d.severity(Timestamp::from_unix_seconds(500)) - 0.25).abs() < 1e-12);
        assert_eq!(d.severity(Timestamp::from_unix_seconds(1000)), 1.0);
        assert_eq!(d.severity(Timestamp::from_unix_seconds(2000)), 1.0);
    }
}

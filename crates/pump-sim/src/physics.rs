//! Pump hydraulics: water horsepower, efficiency, the operating point under demand, and the
//! signature each failure mode leaves on the signals.

use crate::spec::{Baseline, Drive};
use pump_core::FailureMode;
use serde::{Deserialize, Serialize};

/// Feet of water per psi (specific gravity 1).
pub const FT_PER_PSI: f64 = 2.31;

/// Water horsepower = gpm × ft / 3960.
pub const WHP_DIVISOR: f64 = 3960.0;

/// Head in feet of water for a differential pressure in psi.
pub fn head_ft(differential_psi: f64) -> f64 {
    differential_psi * FT_PER_PSI
}

/// Water horsepower delivered: `Q × H / 3960`, H in feet.
pub fn water_hp(flow_gpm: f64, differential_psi: f64) -> f64 {
    flow_gpm * head_ft(differential_psi) / WHP_DIVISOR
}

/// Pump efficiency in percent, from flow, differential pressure and motor power; 0 when the
/// pump delivers nothing or draws nothing (efficiency is meaningless then).
pub fn efficiency_percent(flow_gpm: f64, differential_psi: f64, power_hp: f64) -> f64 {
    if flow_gpm <= 0.0 || differential_psi <= 0.0 || power_hp <= 0.0 {
        return 0.0;
    }
    (100.0 * water_hp(flow_gpm, differential_psi) / power_hp).min(100.0)
}

/// NEMA standard motor sizes, hp.
const STANDARD_HP: [f64; 28] = [
    1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 75.0, 100.0,
    125.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0, 500.0, 600.0, 700.0, 800.0,
];

/// Nameplate horsepower for a duty power: the smallest standard size with at least a 10 %
/// margin above it (the usual sizing rule, so the motor never runs into its service factor).
pub fn nameplate_hp(power_hp: f64) -> f64 {
    STANDARD_HP
        .into_iter()
        .find(|&size| size >= power_hp * 1.10)
        .unwrap_or(STANDARD_HP[STANDARD_HP.len() - 1])
}

/// What a pump would show, without instrument noise, at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatingPoint {
    /// Flow, gpm.
    pub flow_gpm: f64,
    /// Suction pressure, psi.
    pub suction_psi: f64,
    /// Differential pressure the pump adds, psi (discharge = suction + differential).
    pub differential_psi: f64,
    /// Motor power, hp.
    pub power_hp: f64,
    /// Motor speed, rpm.
    pub speed_rpm: f64,
}

/// Share of a fixed-speed pump's flow swing seen, inverted, in its head (the curve's slope
/// near the best-efficiency point: 3 % more flow, 1.8 % less head).
const FIXED_SPEED_HEAD_SLOPE: f64 = 0.6;
/// Largest flow swing of a fixed-speed pump along its curve.
const FIXED_SPEED_FLOW_SWING: f64 = 0.03;
/// Suction pressure falls as demand rises (drawdown of the well or wet well).
const SUCTION_DRAWDOWN: f64 = 0.04;

/// The healthy operating point at `demand` (−1 = night low, 0 = duty point, +1 = peak).
///
/// A VFD pump follows the affinity laws exactly: speed ratio `r = 1 + swing × demand`,
/// flow × r, differential pressure × r², power × r³ (efficiency unchanged). A fixed-speed
/// pump moves along its curve: flow × (1 + x), head × (1 − 0.6 x), x = 3 % × demand,
/// efficiency falling off quadratically away from the duty point.
pub fn healthy_point(baseline: &Baseline, drive: Drive, demand: f64) -> OperatingPoint {
    let differential0 = baseline.differential_psi();
    let suction_psi = baseline.suction_pressure_psi * (1.0 - SUCTION_DRAWDOWN * demand);
    match drive {
        Drive::Vfd { swing } => {
            let r = 1.0 + swing * demand;
            OperatingPoint {
                flow_gpm: baseline.flow_gpm * r,
                suction_psi,
                differential_psi: differential0 * r * r,
                power_hp: baseline.power_hp * r * r * r,
                speed_rpm: baseline.speed_rpm * r,
            }
        }
        Drive::Fixed => {
            let x = FIXED_SPEED_FLOW_SWING * demand;
            let flow_factor = 1.0 + x;
            let head_factor = 1.0 - FIXED_SPEED_HEAD_SLOPE * x;
            let efficiency_factor = 1.0 - 2.0 * x * x;
            OperatingPoint {
                flow_gpm: baseline.flow_gpm * flow_factor,
                suction_psi,
                differential_psi: differential0 * head_factor,
                power_hp: baseline.power_hp * flow_factor * head_factor / efficiency_factor,
                speed_rpm: baseline.speed_rpm,
            }
        }
    }
}

/// The failure modes the simulator injects (every mode but `sensor_fault` and `unknown`).
pub const SIGNATURE_MODES: [FailureMode; 7] = [
    FailureMode::ImpellerWear,
    FailureMode::Cavitation,
    FailureMode::SuctionBlockage,
    FailureMode::DischargeBlockage,
    FailureMode::BearingWear,
    FailureMode::SealLeak,
    FailureMode::MotorFault,
];

/// What a failure mode does to the signals at failure (severity 1, magnitude 1).
///
/// Relative changes (−0.15 = −15 %) of the healthy values, and factors on the instrument
/// noise. Head is the pump's differential pressure; the discharge reading is suction plus
/// head, so it moves with both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Flow change (ignored when `hydraulics_follow_speed`).
    pub flow: f64,
    /// Head (differential pressure) change (ignored when `hydraulics_follow_speed`).
    pub head: f64,
    /// Suction pressure change.
    pub suction: f64,
    /// Motor power change.
    pub power: f64,
    /// Speed change.
    pub speed: f64,
    /// Extra efficiency change beyond what flow, head and power imply.
    pub efficiency_extra: f64,
    /// Flow and head follow the speed change by the affinity laws (Q ∝ N, H ∝ N²).
    pub hydraulics_follow_speed: bool,
    /// Factor on flow noise at failure.
    pub flow_noise: f64,
    /// Factor on pressure noise at failure.
    pub head_noise: f64,
    /// Factor on power noise at failure.
    pub power_noise: f64,
    /// Factor on speed noise at failure.
    pub speed_noise: f64,
}

impl Signature {
    const NONE: Signature = Signature {
        flow: 0.0,
        head: 0.0,
        suction: 0.0,
        power: 0.0,
        speed: 0.0,
        efficiency_extra: 0.0,
        hydraulics_follow_speed: false,
        flow_noise: 1.0,
        head_noise: 1.0,
        power_noise: 1.0,
        speed_noise: 1.0,
    };

    /// The signature of `mode`; all zeros for `sensor_fault` and `unknown`, which the
    /// simulator does not inject.
    pub fn of(mode: FailureMode) -> Signature {
        let none = Signature::NONE;
        match mode {
            FailureMode::ImpellerWear => Signature {
                flow: -0.15,
                head: -0.12,
                power: -0.04,
                ..none
            },
            FailureMode::Cavitation => Signature {
                flow: -0.08,
                head: -0.08,
                suction: -0.35,
                power: -0.03,
                efficiency_extra: -0.05,
                flow_noise: 4.0,
                head_noise: 4.0,
                power_noise: 4.0,
                ..none
            },
            FailureMode::SuctionBlockage => Signature {
                flow: -0.18,
                head: -0.10,
                suction: -0.55,
                power: -0.08,
                ..none
            },
            FailureMode::DischargeBlockage => Signature {
                flow: -0.22,
                head: 0.09,
                suction: 0.03,
                power: -0.09,
                ..none
            },
            FailureMode::BearingWear => Signature {
                flow: -0.01,
                head: -0.01,
                power: 0.16,
                speed: -0.005,
                power_noise: 3.0,
                ..none
            },
            FailureMode::SealLeak => Signature {
                flow: -0.13,
                head: -0.02,
                power: 0.02,
                ..none
            },
            FailureMode::MotorFault => Signature {
                power: 0.12,
                speed: -0.04,
                hydraulics_follow_speed: true,
                power_noise: 3.0,
                speed_noise: 3.0,
                ..none
            },
            FailureMode::SensorFault | FailureMode::Unknown => none,
        }
    }
}

/// Multipliers at one instant of a degradation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Effect {
    pub point: OperatingPoint,
    /// Factor on the efficiency computed from the readings.
    pub efficiency_factor: f64,
    /// Noise factors: flow, pressure, power, speed.
    pub noise: [f64; 4],
}

/// Applies `mode` at `severity` (0–1) scaled by `magnitude` to a healthy point.
///
/// The mean shift scales with `severity × magnitude`; the extra noise with `severity` alone.
pub(crate) fn degrade(
    healthy: OperatingPoint,
    mode: FailureMode,
    severity: f64,
    magnitude: f64,
) -> Effect {
    let sig = Signature::of(mode);
    let e = severity * magnitude;
    let speed_factor = 1.0 + e * sig.speed;
    let (flow_factor, head_factor) = if sig.hydraulics_follow_speed {
        (speed_factor, speed_factor * speed_factor)
    } else {
        (1.0 + e * sig.flow, 1.0 + e * sig.head)
    };
    let noise = |factor: f64| 1.0 + (factor - 1.0) * severity;
    Effect {
        point: OperatingPoint {
            flow_gpm: healthy.flow_gpm * flow_factor,
            suction_psi: healthy.suction_psi * (1.0 + e * sig.suction),
            differential_psi: healthy.differential_psi * head_factor,
            power_hp: healthy.power_hp * (1.0 + e * sig.power),
            speed_rpm: healthy.speed_rpm * speed_factor,
        },
        efficiency_factor: 1.0 + e * sig.efficiency_extra,
        noise: [
            noise(sig.flow_noise),
            noise(sig.head_noise),
            noise(sig.power_noise),
            noise(sig.speed_noise),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Application;

    fn baseline() -> Baseline {
        Baseline {
            pump_id: "Pump 01".into(),
            pump_type: "Goulds 3410".into(),
            horsepower: 100.0,
            application: Application::MunicipalWater,
            flow_gpm: 500.0,
            discharge_pressure_psi: 150.0,
            power_hp: 75.0,
            efficiency_percent: 85.5,
            speed_rpm: 1780.0,
            suction_pressure_psi: 25.0,
        }
    }

    #[test]
    fn water_horsepower_of_a_textbook_pump() {
        // 500 gpm against 100 psi (231 ft): 29.17 whp.
        assert!((water_hp(500.0, 100.0) - 29.1667).abs() < 1e-3);
        assert!((efficiency_percent(500.0, 100.0, 29.1667 / 0.75) - 75.0).abs() < 1e-3);
        assert_eq!(efficiency_percent(0.0, 100.0, 10.0), 0.0);
        assert_eq!(efficiency_percent(100.0, 100.0, 0.0), 0.0);
    }

    #[test]
    fn nameplate_is_the_next_standard_size_with_margin() {
        assert_eq!(nameplate_hp(45.0), 50.0);
        assert_eq!(nameplate_hp(46.0), 60.0);
        assert_eq!(nameplate_hp(121.0), 150.0);
        assert_eq!(nameplate_hp(2.5), 3.0);
    }

    #[test]
    fn vfd_follows_the_affinity_laws() {
        let p = healthy_point(&baseline(), Drive::Vfd { swing: 0.1 }, -1.0);
        assert!((p.speed_rpm - 1602.0).abs() < 1e-9);
        assert!((p.flow_gpm - 450.0).abs() < 1e-9);
        assert!((p.differential_psi - 125.0 * 0.81).abs() < 1e-9);
        assert!((p.power_hp - 75.0 * 0.729).abs() < 1e-9);
    }

    #[test]
    fn fixed_speed_trades_head_for_flow() {
        let p = healthy_point(&baseline(), Drive::Fixed, 1.0);
        assert!((p.flow_gpm - 515.0).abs() < 1e-9);
        assert!((p.differential_psi - 125.0 * 0.982).abs() < 1e-9);
        assert_eq!(p.speed_rpm, 1780.0);
        let at_duty = healthy_point(&baseline(), Drive::Fixed, 0.0);
        assert_eq!(at_duty.power_hp, 75.0);
        assert_eq!(at_duty.suction_psi, 25.0);
    }

    #[test]
    fn efficiency_follows_the_table_at_failure() {
        let b = baseline();
        let healthy = healthy_point(&b, Drive::Fixed, 0.0);
        let eff0 = efficiency_percent(healthy.flow_gpm, healthy.differential_psi, healthy.power_hp);
        let change = |mode| {
            let e = degrade(healthy, mode, 1.0, 1.0);
            let p = e.point;
            efficiency_percent(p.flow_gpm, p.differential_psi, p.power_hp) * e.efficiency_factor
                / eff0
                - 1.0
        };
        // The approximate efficiency changes of docs/SIMULATOR.md.
        assert!((change(FailureMode::ImpellerWear) + 0.221).abs() < 0.002);
        assert!((change(FailureMode::BearingWear) + 0.155).abs() < 0.002);
        assert!((change(FailureMode::SealLeak) + 0.164).abs() < 0.002);
        assert!((change(FailureMode::MotorFault) + 0.210).abs() < 0.002);
        assert!((change(FailureMode::Cavitation) + 0.171).abs() < 0.002);
    }

    #[test]
    fn motor_fault_drags_flow_and_head_by_affinity() {
        let healthy = healthy_point(&baseline(), Drive::Fixed, 0.0);
        let e = degrade(healthy, FailureMode::MotorFault, 1.0, 1.0);
        assert!((e.point.speed_rpm - 1780.0 * 0.96).abs() < 1e-9);
        assert!((e.point.flow_gpm - 500.0 * 0.96).abs() < 1e-9);
        assert!((e.point.differential_psi - 125.0 * 0.9216).abs() < 1e-9);
        assert!((e.point.power_hp - 75.0 * 1.12).abs() < 1e-9);
        assert_eq!(e.noise, [1.0, 1.0, 3.0, 3.0]);
        let half = degrade(healthy, FailureMode::MotorFault, 0.5, 1.0);
        assert_eq!(half.noise, [1.0, 1.0, 2.0, 2.0]);
    }
}

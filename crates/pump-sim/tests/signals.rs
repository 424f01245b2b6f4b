//! The physics seen in the readings: affinity laws, healthy spread, failure signatures,
//! pump-off rows.

use pump_core::{FailureMode, Timestamp};
use pump_sim::{
    DataFaults, Degradation, Drive, Fate, FleetConfig, OffSchedule, OperationalRow, PumpSpec,
    SIGNATURE_MODES, SimulatedPump, simulate_fleet, simulate_pump,
};

const DAY: i64 = 86_400;

fn clean_config(days: u32) -> FleetConfig {
    FleetConfig {
        faults: DataFaults::NONE,
        ..FleetConfig::new(2024, 1, days)
    }
}

/// Pump 1 of the fleet, made always-on and given `drive` and `fate`.
fn spec_with(config: &FleetConfig, drive: Drive, fate: Fate) -> PumpSpec {
    PumpSpec {
        drive,
        fate,
        off_schedule: OffSchedule::AlwaysOn,
        ..PumpSpec::for_fleet(config, 0)
    }
}

fn values(rows: &[OperationalRow], pick: fn(&OperationalRow) -> Option<f64>) -> Vec<f64> {
    rows.iter().filter_map(pick).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn std_dev(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn a_vfd_pump_at_90_percent_speed_follows_the_affinity_laws() {
    let config = clean_config(60);
    let spec = spec_with(&config, Drive::Vfd { swing: 0.12 }, Fate::Healthy);
    let b = spec.baseline.clone();
    let pump = simulate_pump(5, &spec, &config);
    let near = |ratio: f64| -> Vec<&OperationalRow> {
        pump.rows
            .iter()
            .filter(|r| {
                let n = r.speed_rpm.value().unwrap() / b.speed_rpm;
                (n - ratio).abs() < 0.005
            })
            .collect()
    };
    for (ratio, expected) in [(0.9, [0.9, 0.81, 0.729]), (1.0, [1.0, 1.0, 1.0])] {
        let rows = near(ratio);
        assert!(rows.len() >= 10, "only {} rows near {ratio}", rows.len());
        let flow = mean(
            &rows
                .iter()
                .map(|r| r.flow_gpm.value().unwrap() / b.flow_gpm)
                .collect::<Vec<_>>(),
        );
        let head = mean(
            &rows
                .iter()
                .map(|r| {
                    (r.discharge_pressure_psi.value().unwrap()
                        - r.suction_pressure_psi.value().unwrap())
                        / b.differential_psi()
                })
                .collect::<Vec<_>>(),
        );
        let power = mean(
            &rows
                .iter()
                .map(|r| r.power_hp.value().unwrap() / b.power_hp)
                .collect::<Vec<_>>(),
        );
        assert!(
            (flow - expected[0]).abs() < 0.01,
            "flow {flow} at speed {ratio}"
        );
        assert!(
            (head - expected[1]).abs() < 0.015,
            "head {head} at speed {ratio}"
        );
        assert!(
            (power - expected[2]).abs() < 0.015,
            "power {power} at speed {ratio}"
        );
        // Efficiency is unchanged along the affinity parabola.
        let eff = mean(
            &rows
                .iter()
                .map(|r| r.efficiency_percent.value().unwrap())
                .collect::<Vec<_>>(),
        );
        assert!(
            (eff / b.efficiency_percent - 1.0).abs() < 0.02,
            "efficiency {eff}"
        );
    }
}

#[test]
fn healthy_fixed_speed_pumps_mostly_stay_within_5_percent() {
    let config = FleetConfig::new(7, 20, 90);
    let fleet = simulate_fleet(&config).unwrap();
    let mut checked = 0;
    for pump in &fleet.pumps {
        if pump.spec.degradation().is_some() || pump.spec.drive != Drive::Fixed {
            continue;
        }
        checked += 1;
        let b = &pump.spec.baseline;
        let running: Vec<&OperationalRow> = pump.rows.iter().filter(|r| r.running).collect();
        let within = |pick: fn(&OperationalRow) -> Option<f64>, base: f64| {
            let v: Vec<f64> = running.iter().filter_map(|r| pick(r)).collect();
            v.iter().filter(|x| (*x / base - 1.0).abs() <= 0.05).count() as f64 / v.len() as f64
        };
        for (name, share) in [
            ("flow", within(|r| r.flow_gpm.value(), b.flow_gpm)),
            (
                "discharge",
                within(
                    |r| r.discharge_pressure_psi.value(),
                    b.discharge_pressure_psi,
                ),
            ),
            ("power", within(|r| r.power_hp.value(), b.power_hp)),
            (
                "efficiency",
                within(|r| r.efficiency_percent.value(), b.efficiency_percent),
            ),
        ] {
            assert!(
                share >= 0.95,
                "{} {name}: only {share:.3} within ±5 %",
                pump.id()
            );
        }
    }
    assert!(
        checked >= 3,
        "the fleet has {checked} healthy fixed-speed pumps"
    );
}

/// Mean relative change, in percent, of the last day of `degraded` against the baseline.
struct LastDay {
    flow: f64,
    discharge: f64,
    suction: f64,
    power: f64,
    efficiency: f64,
    speed: f64,
}

fn last_day(pump: &SimulatedPump) -> LastDay {
    let b = &pump.spec.baseline;
    let rows = &pump.rows[pump.rows.len() - 24..];
    let change = |pick: fn(&OperationalRow) -> Option<f64>, base: f64| {
        100.0 * (mean(&values(rows, pick)) / base - 1.0)
    };
    LastDay {
        flow: change(|r| r.flow_gpm.value(), b.flow_gpm),
        discharge: change(
            |r| r.discharge_pressure_psi.value(),
            b.discharge_pressure_psi,
        ),
        suction: change(|r| r.suction_pressure_psi.value(), b.suction_pressure_psi),
        power: change(|r| r.power_hp.value(), b.power_hp),
        efficiency: change(|r| r.efficiency_percent.value(), b.efficiency_percent),
        speed: change(|r| r.speed_rpm.value(), b.speed_rpm),
    }
}

fn degrading_pump(mode: FailureMode) -> (SimulatedPump, SimulatedPump) {
    let config = clean_config(45);
    let start = config.start.unix_seconds();
    let fate = Fate::Degrading(Degradation {
        mode,
        onset: Timestamp::from_unix_seconds(start + 10 * DAY),
        failure: Timestamp::from_unix_seconds(start + 40 * DAY),
        exponent: 2.5,
        magnitude: 1.0,
    });
    let degraded = simulate_pump(99, &spec_with(&config, Drive::Fixed, fate), &config);
    let healthy = simulate_pump(
        99,
        &spec_with(&config, Drive::Fixed, Fate::Healthy),
        &config,
    );
    (degraded, healthy)
}

#[test]
fn every_mode_shows_its_signature_on_the_last_day_before_failure() {
    for mode in SIGNATURE_MODES {
        let (pump, twin) = degrading_pump(mode);
        // Data ends at the failure: 40 days of hourly rows.
        assert_eq!(pump.rows.len(), 40 * 24, "{mode}");
        assert!(pump.rows.last().unwrap().severity > 0.95, "{mode}");
        // Until the onset the pump is its healthy twin, row for row.
        assert_eq!(pump.rows[..10 * 24], twin.rows[..10 * 24], "{mode}");
        assert_ne!(
            pump.rows[11 * 24..12 * 24],
            twin.rows[11 * 24..12 * 24],
            "{mode}"
        );

        let d = last_day(&pump);
        let signature_holds = match mode {
            FailureMode::ImpellerWear => {
                d.flow < -10.0 && d.discharge < -5.0 && d.power < -1.0 && d.efficiency < -12.0
            }
            FailureMode::Cavitation => {
                d.flow < -4.0 && d.discharge < -4.0 && d.suction < -25.0 && d.efficiency < -10.0
            }
            FailureMode::SuctionBlockage => {
                d.flow < -12.0 && d.discharge < -5.0 && d.suction < -40.0 && d.power < -4.0
            }
            FailureMode::DischargeBlockage => {
                d.flow < -15.0 && d.discharge > 3.0 && d.power < -5.0 && d.efficiency < -2.0
            }
            FailureMode::BearingWear => {
                d.power > 10.0 && d.flow.abs() < 3.0 && d.efficiency < -10.0 && d.speed < -0.2
            }
            FailureMode::SealLeak => {
                d.flow < -9.0 && d.discharge.abs() < 3.0 && d.power > -1.0 && d.efficiency < -10.0
            }
            FailureMode::MotorFault => {
                d.speed < -2.5 && d.flow < -2.5 && d.power > 7.0 && d.efficiency < -14.0
            }
            other => panic!("{other} is not injected"),
        };
        assert!(
            signature_holds,
            "{mode}: flow {:.1} discharge {:.1} suction {:.1} power {:.1} efficiency {:.1} speed {:.1}",
            d.flow, d.discharge, d.suction, d.power, d.efficiency, d.speed
        );
    }
}

#[test]
fn noisy_modes_get_noisier_toward_the_failure() {
    let spread = |pump: &SimulatedPump, day: usize, pick: fn(&OperationalRow) -> Option<f64>| {
        let v = values(&pump.rows[day * 24..(day + 1) * 24], pick);
        std_dev(&v) / mean(&v)
    };
    let (cavitating, _) = degrading_pump(FailureMode::Cavitation);
    assert!(
        spread(&cavitating, 39, |r| r.flow_gpm.value())
            > 2.0 * spread(&cavitating, 2, |r| r.flow_gpm.value())
    );
    let (motor, _) = degrading_pump(FailureMode::MotorFault);
    assert!(
        spread(&motor, 39, |r| r.speed_rpm.value())
            > 2.0 * spread(&motor, 2, |r| r.speed_rpm.value())
    );
    let (leaking, _) = degrading_pump(FailureMode::SealLeak);
    assert!(
        spread(&leaking, 39, |r| r.power_hp.value())
            < 1.5 * spread(&leaking, 2, |r| r.power_hp.value())
    );
}

#[test]
fn pump_off_rows_have_no_speed_flow_or_power() {
    let config = FleetConfig {
        faults: DataFaults::NONE,
        ..FleetConfig::new(7, 20, 90)
    };
    let fleet = simulate_fleet(&config).unwrap();
    let mut off = 0;
    for row in fleet.pumps.iter().flat_map(|p| &p.rows) {
        let speed = row.speed_rpm.value().unwrap();
        if row.running {
            assert!(
                speed > 1000.0 && row.flow_gpm.value().unwrap() > 100.0,
                "{row:?}"
            );
        } else {
            off += 1;
            assert_eq!(speed, 0.0);
            assert_eq!(row.flow_gpm.value(), Some(0.0));
            assert_eq!(row.power_hp.value(), Some(0.0));
            assert!(row.discharge_pressure_psi.value().unwrap() > 0.0);
        }
    }
    // Several pumps stop at night or for whole days.
    assert!(off > 500, "{off} pump-off rows");
}

#[test]
fn nightly_stops_fall_in_their_hours() {
    let config = clean_config(30);
    let spec = PumpSpec {
        off_schedule: OffSchedule::Nightly {
            start_hour: 23,
            hours: 4,
            probability: 1.0,
        },
        ..spec_with(&config, Drive::Fixed, Fate::Healthy)
    };
    let pump = simulate_pump(3, &spec, &config);
    for row in &pump.rows {
        let hour = row.timestamp.unix_seconds().rem_euclid(DAY) / 3600;
        assert_eq!(
            row.running,
            !matches!(hour, 23 | 0 | 1 | 2),
            "{}",
            row.timestamp
        );
    }
}

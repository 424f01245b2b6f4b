//! Anomalies "from a simulated fleet": pump-sim's readings, evaluated with pump-core's
//! rules, debounced and built into payloads exactly as the edge program reports them.
//!
//! Shared by the tests and by `examples/seed_sink.rs` (the benchmark's seeding).
#![allow(dead_code)]

use pump_core::{
    AnomalyPayload, AnomalySource, ColumnMapping, Debounce, Evaluator, EvaluatorState, ModelInfo,
    Outcome, Parameter, ParameterValues, ReportingRules, RunningRule, SiteInfo, ToleranceTable,
    build_anomaly, candidate_keys, read_baseline_csv, read_sensor_csv,
};
use pump_sim::output::baseline_csv_string;
use pump_sim::{FleetConfig, rows_to_csv_string, simulate_fleet};
use time::UtcOffset;

/// The two sites of the simulated fleet: even pump positions at the first, odd at the second.
pub const SITES: [i64; 2] = [35482, 35483];

/// Site, pump id and sensor ids of the pump at `index` (0-based): pump id `index + 1`,
/// sensors `10 × pump id + 1..4` (flow, head, power, efficiency).
pub fn site_info(index: usize) -> SiteInfo {
    let pump_id = index as i64 + 1;
    let mut sensor_ids = ParameterValues::empty();
    for (k, p) in Parameter::ALL.into_iter().enumerate() {
        sensor_ids.set(p, Some(pump_id * 10 + k as i64 + 1));
    }
    SiteInfo {
        site_id: SITES[index % 2],
        pump_id,
        sensor_ids,
    }
}

/// Every anomaly a simulated fleet of `pumps` pumps reports over `days` days (hourly
/// readings from 2024-01-01, default reporting rules: Warning and up, 60-minute debounce),
/// in the order the pumps would have sent them.
pub fn fleet_anomalies(seed: u64, pumps: usize, days: u32) -> Vec<AnomalyPayload> {
    let fleet = simulate_fleet(&FleetConfig::new(seed, pumps, days)).expect("valid fleet");
    let baselines =
        read_baseline_csv(baseline_csv_string(fleet.pumps.iter().map(|p| &p.spec)).as_bytes())
            .expect("the simulator's baseline CSV reads");
    let table = ToleranceTable::builtin();
    let rules = ReportingRules::default();
    let window = time::Duration::minutes(i64::from(rules.debounce_minutes));
    let model = ModelInfo {
        name: "pump-anomaly-detector".into(),
        version: "1.0.0".into(),
    };
    let mut anomalies = Vec::new();
    for (index, (pump, baseline)) in fleet.pumps.iter().zip(baselines).enumerate() {
        let grade = table
            .grade_for(
                baseline.application.as_deref(),
                baseline.horsepower,
                baseline.tolerance_category.as_deref(),
            )
            .expect("the simulator's applications have grades")
            .clone();
        let evaluator = Evaluator {
            running: RunningRule::default_for(baseline.speed_rpm),
            baseline: baseline.clone(),
            grade,
            allowance: ParameterValues::empty(),
        };
        let readings = read_sensor_csv(
            rows_to_csv_string(pump.id(), &pump.rows).as_bytes(),
            &ColumnMapping::default(),
            UtcOffset::UTC,
        )
        .expect("the simulator's operational CSV reads");
        let site = site_info(index);
        let source = AnomalySource {
            site: &site,
            tolerance_category: &evaluator.grade.name,
            baseline: &baseline.values,
            model: &model,
        };
        let mut state = EvaluatorState::default();
        let mut debounce = Debounce::default();
        for reading in &readings.readings {
            let Outcome::Evaluated(e) = evaluator.evaluate(&mut state, reading) else {
                continue;
            };
            let keys = candidate_keys(&e, None, &rules);
            for key in debounce.decide(e.timestamp, e.status, &keys, window) {
                anomalies.extend(build_anomaly(&source, &e, key, None, None));
            }
        }
    }
    anomalies
}

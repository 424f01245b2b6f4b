//! Training on a small simulated fleet, through the SPEC's file formats: what the model
//! promises on pumps it never saw, and its files.

use pump_core::{ColumnMapping, read_baseline_csv, read_failure_events, read_sensor_csv};
use pump_model::{Model, NoPrediction, TrainConfig, TrainingSet, feature_names, train};
use pump_sim::{FleetConfig, rows_to_csv_string, simulate_fleet};
use std::sync::OnceLock;
use time::UtcOffset;

/// The fleet's histories, and the ids of the pumps that never degrade.
fn fleet(seed: u64, pumps: usize, days: u32) -> (TrainingSet, Vec<String>) {
    let fleet = simulate_fleet(&FleetConfig::new(seed, pumps, days)).unwrap();
    let healthy = fleet
        .pumps
        .iter()
        .filter(|p| p.spec.degradation().is_none())
        .map(|p| p.id().to_string())
        .collect();
    let baselines = read_baseline_csv(fleet.baseline_csv().as_bytes()).unwrap();
    let failures = read_failure_events(fleet.failures_csv().as_bytes(), UtcOffset::UTC).unwrap();
    let sensor: Vec<_> = fleet
        .pumps
        .iter()
        .map(|p| {
            let csv = rows_to_csv_string(p.id(), &p.rows);
            read_sensor_csv(csv.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC).unwrap()
        })
        .collect();
    let set = TrainingSet::from_fleet(&baselines, &sensor, &failures).unwrap();
    (set, healthy)
}

/// Small enough to train in a few seconds unoptimised.
fn tiny_config() -> TrainConfig {
    TrainConfig {
        trees: 8,
        row_step_hours: 8.0,
        folds: 3,
        ..TrainConfig::default()
    }
}

fn trained() -> &'static (TrainingSet, Model, Vec<String>) {
    static MODEL: OnceLock<(TrainingSet, Model, Vec<String>)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let (set, healthy) = fleet(11, 14, 90);
        let model = train(&set, &tiny_config(), &|_| {}).unwrap();
        (set, model, healthy)
    })
}

#[test]
fn a_prediction_needs_168_evaluated_readings() {
    let (set, model, _) = trained();
    let history = &set.pumps[0].points[..167];
    let err = model.predict(history).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Not enough historical data for ML prediction (167 of 168 readings)"
    );
    assert_eq!(
        err,
        NoPrediction::NotEnoughData {
            have: 167,
            need: 168
        }
    );
    assert!(model.predict(&set.pumps[0].points[..168]).is_ok());
    // The edge's setting may ask for more.
    let err = model
        .predict_with_minimum(&set.pumps[0].points[..200], 336)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Not enough historical data for ML prediction (200 of 336 readings)"
    );
}

#[test]
fn a_history_out_of_order_is_refused() {
    let (set, model, _) = trained();
    let mut history = set.pumps[0].points[..300].to_vec();
    history.swap(290, 291);
    assert!(matches!(
        model.predict(&history),
        Err(NoPrediction::Unsorted { .. })
    ));
}

#[test]
fn predictions_keep_their_ranges_and_name_real_features() {
    let (set, model, _) = trained();
    let names = feature_names();
    for pump in &set.pumps {
        if pump.points.len() < 168 {
            continue;
        }
        let p = model.predict(&pump.points).unwrap();
        assert!((0.0..=30.0).contains(&p.rul_days), "{p:?}");
        let [low, high] = p.rul_interval_days;
        assert!(
            low <= p.rul_days && p.rul_days <= high && high <= 30.0,
            "{p:?}"
        );
        assert!((0.0..=1.0).contains(&p.probability), "{p:?}");
        assert!((0.0..=1.0).contains(&p.confidence), "{p:?}");
        assert!(p.top_factors.len() <= 3);
        assert!(p.top_factors.iter().all(|f| names.contains(f)), "{p:?}");
    }
}

#[test]
fn a_pump_about_to_fail_looks_worse_than_a_healthy_one() {
    let (set, model, healthy_ids) = trained();
    // The last readings of failed pumps (hours before failure) against healthy pumps'.
    let mut failing = Vec::new();
    let mut healthy = Vec::new();
    for pump in set.pumps.iter().filter(|p| p.points.len() >= 168) {
        let p = model.predict(&pump.points).unwrap();
        if healthy_ids.contains(&pump.pump_id) {
            healthy.push(p);
        } else if !pump.failures.is_empty() {
            failing.push(p);
        }
    }
    assert!(!failing.is_empty() && !healthy.is_empty());
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let rul =
        |ps: &[pump_core::Prediction]| mean(&ps.iter().map(|p| p.rul_days).collect::<Vec<_>>());
    let prob =
        |ps: &[pump_core::Prediction]| mean(&ps.iter().map(|p| p.probability).collect::<Vec<_>>());
    assert!(rul(&failing) < 10.0, "failing pumps: {failing:?}");
    assert!(rul(&failing) + 10.0 < rul(&healthy));
    assert!(prob(&failing) > prob(&healthy) + 0.3);
}

#[test]
fn metadata_records_the_cap_features_data_and_held_out_metrics() {
    let (_, model, _) = trained();
    let m = model.metadata();
    assert_eq!(m.format_version, 1);
    assert_eq!(m.rul_cap_days, 30.0);
    assert_eq!(m.failure_horizon_days, 7.0);
    assert_eq!(m.min_data_points_for_ml, 168);
    assert_eq!(m.feature_names, feature_names());
    assert_eq!(m.training_data.pumps, 14);
    assert_eq!(
        m.training_data.failures_by_mode.values().sum::<usize>(),
        m.training_data.failed_pumps
    );
    // Every pump in exactly one fold; the metrics cover them all.
    let mut pumps: Vec<&String> = m.folds.iter().flatten().collect();
    assert_eq!(pumps.len(), 14);
    pumps.dedup();
    assert_eq!(pumps.len(), 14);
    assert_eq!(m.folds.len(), 3);
    let held = m.held_out.as_ref().expect("cross-fitted metrics");
    assert_eq!(held.pumps, 14);
    assert!(held.rul_capped.is_some() && held.probability.is_some());
}

#[test]
fn a_saved_model_loads_and_predicts_the_same() {
    let (set, model, _) = trained();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    for name in ["anomaly_detector.bin", "scaler.bin", "model_metadata.json"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    let loaded = Model::load(dir.path()).unwrap();
    assert_eq!(&loaded, model);
    let history = &set.pumps[1].points;
    assert_eq!(loaded.predict(history), model.predict(history));

    std::fs::remove_file(dir.path().join("scaler.bin")).unwrap();
    let err = Model::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("scaler.bin"), "{err}");
}

#[test]
fn training_is_deterministic() {
    let (set, model, _) = trained();
    let again = train(set, &tiny_config(), &|_| {}).unwrap();
    assert_eq!(again.to_bytes().unwrap(), model.to_bytes().unwrap());
    // And on one thread.
    let single = TrainConfig {
        threads: 1,
        ..tiny_config()
    };
    let one = train(set, &single, &|_| {}).unwrap();
    assert_eq!(one.to_bytes().unwrap().0, model.to_bytes().unwrap().0);
}

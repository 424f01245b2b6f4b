//! Load + one prediction, as the edge program does every hour, and the model's file size.
//!
//! `cargo bench -p pump-model --bench load_predict`: trains a model on a small simulated
//! fleet (40 pumps × 90 days would take longer than the measurement; the file layout and
//! tree sizes are the same), saves it, then times `Model::load` + `Model::predict` on a
//! 30-day history.

use criterion::{Criterion, criterion_group, criterion_main};
use pump_core::{ColumnMapping, read_baseline_csv, read_failure_events, read_sensor_csv};
use pump_model::{Model, TrainConfig, TrainingSet, train};
use pump_sim::{FleetConfig, rows_to_csv_string, simulate_fleet};
use std::hint::black_box;
use time::UtcOffset;

fn training_set() -> TrainingSet {
    let fleet = simulate_fleet(&FleetConfig::new(1, 20, 90)).expect("valid fleet");
    let baselines = read_baseline_csv(fleet.baseline_csv().as_bytes()).expect("baselines");
    let failures =
        read_failure_events(fleet.failures_csv().as_bytes(), UtcOffset::UTC).expect("failures");
    let sensor: Vec<_> = fleet
        .pumps
        .iter()
        .map(|p| {
            let csv = rows_to_csv_string(p.id(), &p.rows);
            read_sensor_csv(csv.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC)
                .expect("sensor data")
        })
        .collect();
    TrainingSet::from_fleet(&baselines, &sensor, &failures).expect("training set")
}

fn load_and_predict(c: &mut Criterion) {
    let set = training_set();
    let model = train(&set, &TrainConfig::default(), &|_| {}).expect("trained");
    let dir = tempfile::tempdir().expect("temp dir");
    model.save(dir.path()).expect("saved");
    let bytes: u64 = ["anomaly_detector.bin", "scaler.bin", "model_metadata.json"]
        .iter()
        .map(|f| std::fs::metadata(dir.path().join(f)).map_or(0, |m| m.len()))
        .sum();
    eprintln!("model files: {bytes} bytes");
    // The edge keeps 30 days of history.
    let points = &set.pumps[0].points;
    let history = &points[points.len().saturating_sub(720)..];

    c.bench_function("load + one prediction", |b| {
        b.iter(|| {
            let model = Model::load(black_box(dir.path())).expect("loads");
            black_box(model.predict(black_box(history)))
        })
    });
    let model = Model::load(dir.path()).expect("loads");
    c.bench_function("one prediction (30-day history)", |b| {
        b.iter(|| black_box(model.predict(black_box(history))))
    });
}

criterion_group!(benches, load_and_predict);
criterion_main!(benches);

//! Trains on one simulated fleet and measures the model on another, beside two baselines.
//!
//! ```text
//! cargo run --release -p pump-model --example evaluate -- \
//!     --train-seed 1 --test-seed 2 --pumps 40 --days 90 [--out model-dir]
//! ```
//!
//! Baselines: (a) the training mean RUL (and the training share of failures within 7 days as
//! the probability); (b) the earlier Python system: a default random forest regressor
//! (smartcore `RandomForestRegressor` defaults) on rolling 24-hour mean and standard
//! deviation of the four graded deviations, probability = 1 − RUL/30.

use indicatif::{ProgressBar, ProgressStyle};
use pump_core::{
    ColumnMapping, Prediction, read_baseline_csv, read_failure_events, read_sensor_csv,
};
use pump_model::metrics::{ALARM_PROBABILITY, HeldOutMetrics};
use pump_model::{
    LabeledRow, Model, TrainConfig, TrainingSet, feature_names, held_out_metrics, train,
};
use pump_sim::{FleetConfig, rows_to_csv_string, simulate_fleet};
use smartcore::ensemble::random_forest_regressor::RandomForestRegressor;
use smartcore::linalg::basic::matrix::DenseMatrix;
use std::error::Error;
use std::time::Instant;
use time::UtcOffset;

struct Args {
    train_seed: u64,
    test_seed: u64,
    pumps: usize,
    days: u32,
    out: Option<std::path::PathBuf>,
    config: TrainConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        train_seed: 1,
        test_seed: 2,
        pumps: 40,
        days: 90,
        out: None,
        config: TrainConfig::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--train-seed" => args.train_seed = number(value()?)?,
            "--test-seed" => args.test_seed = number(value()?)?,
            "--pumps" => args.pumps = number(value()?)? as usize,
            "--days" => args.days = number(value()?)? as u32,
            "--out" => args.out = Some(value()?.into()),
            // Tuning knobs, to explore without editing the defaults.
            "--error-bins" => args.config.error_bins = number(value()?)? as usize,
            "--trees" => args.config.trees = number(value()?)? as usize,
            "--max-depth" => args.config.max_depth = number(value()?)? as u16,
            "--min-samples-leaf" => args.config.min_samples_leaf = number(value()?)? as usize,
            "--row-step-hours" => args.config.row_step_hours = number(value()?)? as f64,
            "--sample-percent" => args.config.sample_fraction = number(value()?)? as f64 / 100.0,
            "--feature-percent" => args.config.feature_fraction = number(value()?)? as f64 / 100.0,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

/// A simulated fleet, read back through the SPEC's file formats as the packager reads them.
fn fleet(seed: u64, pumps: usize, days: u32) -> Result<TrainingSet, Box<dyn Error>> {
    let fleet = simulate_fleet(&FleetConfig::new(seed, pumps, days))?;
    let baselines = read_baseline_csv(fleet.baseline_csv().as_bytes())?;
    let failures = read_failure_events(fleet.failures_csv().as_bytes(), UtcOffset::UTC)?;
    let mapping = ColumnMapping::default();
    let sensor = fleet
        .pumps
        .iter()
        .map(|p| {
            read_sensor_csv(
                rows_to_csv_string(p.id(), &p.rows).as_bytes(),
                &mapping,
                UtcOffset::UTC,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TrainingSet::from_fleet(&baselines, &sensor, &failures)?)
}

/// The Python system's features: rolling 24-hour mean and spread of the graded deviations.
fn python_features(row: &LabeledRow, columns: &[usize]) -> Vec<f64> {
    columns.iter().map(|&c| row.features[c]).collect()
}

fn point_prediction(rul: f64, probability: f64) -> Prediction {
    Prediction {
        rul_days: rul,
        rul_interval_days: [rul, rul],
        probability,
        confidence: 1.0,
        top_factors: Vec::new(),
    }
}

fn fmt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.decimals$}"))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let config = args.config.clone();
    eprintln!(
        "simulating training fleet (seed {}) and test fleet (seed {}): {} pumps × {} days",
        args.train_seed, args.test_seed, args.pumps, args.days
    );
    let training = fleet(args.train_seed, args.pumps, args.days)?;
    let test = fleet(args.test_seed, args.pumps, args.days)?;

    let bar = ProgressBar::new(1);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {msg:>16} [{bar:40}] {pos}/{len} {elapsed}",
    )?);
    let started = Instant::now();
    let model = train(&training, &config, &|p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        bar.set_message(p.stage);
    })?;
    bar.finish_and_clear();
    let train_seconds = started.elapsed().as_secs_f64();

    // Files, size, and load + one prediction as the edge does it.
    let dir = match &args.out {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("pump-model-evaluate-{}", std::process::id())),
    };
    model.save(&dir)?;
    let size = |name: &str| {
        std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let bytes = [
        size(pump_model::model::MODEL_FILE),
        size(pump_model::model::SCALER_FILE),
        size(pump_model::model::METADATA_FILE),
    ];
    let history = &test.pumps[0].points;
    let mut timings = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let loaded = Model::load(&dir)?;
        let _ = loaded.predict(history);
        timings.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    timings.sort_by(f64::total_cmp);
    if args.out.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }

    // Test rows: every hour of every test pump.
    let cap = config.rul_cap_days;
    let all_test: Vec<usize> = (0..test.pumps.len()).collect();
    let test_rows = test.rows(&all_test, 1.0, config.min_data_points, cap);
    let our_predictions: Vec<Prediction> = test_rows
        .iter()
        .map(|r| model.predict_features(&r.features))
        .collect();
    let ours = held_out_metrics(&test_rows, &our_predictions);

    // Baselines train on every training pump (more than the model, which holds some out).
    let all_train: Vec<usize> = (0..training.pumps.len()).collect();
    let train_rows: Vec<LabeledRow> = training
        .rows(
            &all_train,
            config.row_step_hours,
            config.min_data_points,
            cap,
        )
        .into_iter()
        .filter(|r| r.labels.rul_capped.is_some())
        .collect();
    let mean_rul = train_rows
        .iter()
        .filter_map(|r| r.labels.rul_capped)
        .sum::<f64>()
        / train_rows.len().max(1) as f64;
    let failure_rows: Vec<bool> = training
        .rows(
            &all_train,
            config.row_step_hours,
            config.min_data_points,
            cap,
        )
        .iter()
        .filter_map(|r| r.labels.fails_within_horizon)
        .collect();
    let base_rate =
        failure_rows.iter().filter(|&&f| f).count() as f64 / failure_rows.len().max(1) as f64;
    let mean_predictions: Vec<Prediction> = test_rows
        .iter()
        .map(|_| point_prediction(mean_rul, base_rate))
        .collect();
    let mean_baseline = held_out_metrics(&test_rows, &mean_predictions);

    let names = feature_names();
    let columns: Vec<usize> = ["flow", "head", "power", "efficiency"]
        .iter()
        .flat_map(|s| ["mean_1d", "std_1d"].map(|stat| format!("{s}_{stat}")))
        .filter_map(|n| names.iter().position(|m| *m == n))
        .collect();
    let x: Vec<Vec<f64>> = train_rows
        .iter()
        .map(|r| python_features(r, &columns))
        .collect();
    let y: Vec<f64> = train_rows
        .iter()
        .filter_map(|r| r.labels.rul_capped)
        .collect();
    let started = Instant::now();
    let forest =
        RandomForestRegressor::fit(&DenseMatrix::from_2d_vec(&x)?, &y, Default::default())?;
    let python_seconds = started.elapsed().as_secs_f64();
    let tx: Vec<Vec<f64>> = test_rows
        .iter()
        .map(|r| python_features(r, &columns))
        .collect();
    let python_rul: Vec<f64> = forest.predict(&DenseMatrix::from_2d_vec(&tx)?)?;
    let python_predictions: Vec<Prediction> = python_rul
        .iter()
        .map(|&rul| point_prediction(rul, (1.0 - rul / 30.0).clamp(0.0, 1.0)))
        .collect();
    let python = held_out_metrics(&test_rows, &python_predictions);

    let s = training.summary();
    println!(
        "training fleet: seed {}, {} pumps ({} failed, {} censored), {} evaluated readings",
        args.train_seed, s.pumps, s.failed_pumps, s.censored_pumps, s.evaluated_readings
    );
    let t = test.summary();
    println!(
        "test fleet:     seed {}, {} pumps ({} failed, {} censored), {} hourly rows",
        args.test_seed,
        t.pumps,
        t.failed_pumps,
        t.censored_pumps,
        test_rows.len()
    );
    println!(
        "training time: {train_seconds:.1} s ({} threads; python-style forest {python_seconds:.1} s)",
        config.threads
    );
    println!(
        "model files: anomaly_detector.bin {} B, scaler.bin {} B, model_metadata.json {} B; \
         {} + {} trees, {} nodes",
        bytes[0],
        bytes[1],
        bytes[2],
        model.metadata().size.rul_trees,
        model.metadata().size.failure_trees,
        model.metadata().size.nodes
    );
    println!(
        "load + one prediction: median {:.2} ms, max {:.2} ms (20 runs)",
        timings[timings.len() / 2],
        timings[timings.len() - 1]
    );
    if let Some(h) = &model.metadata().held_out {
        println!(
            "training fleet, cross-fitted ({} pumps, each predicted without its own data): RUL MAE {}, Brier {}, coverage {}, confidence MAE {} above / {} at or below 0.7",
            h.pumps,
            fmt(h.rul_capped.map(|e| e.mae), 2),
            fmt(h.probability.map(|p| p.brier), 4),
            fmt(h.interval_coverage, 3),
            fmt(h.confidence.above_mae, 2),
            fmt(h.confidence.at_or_below_mae, 2)
        );
    }
    println!();
    print_table(&ours, &mean_baseline, &python);
    println!();
    let raw: Vec<Prediction> = test_rows
        .iter()
        .map(|r| point_prediction(model.forest_rul(&r.features).0, 0.0))
        .collect();
    println!(
        "| RUL MAE by true RUL (days) | rows | pump-model | its trees' mean | mean RUL | Python-style RF |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, low, high) in [
        ("under 7 days", 0.0, 7.0),
        ("7 to 14 days", 7.0, 14.0),
        ("14 to 30 days", 14.0, cap),
        ("at the cap (30 days or more)", cap, f64::INFINITY),
    ] {
        let mut sums = [0.0; 4];
        let mut n = 0;
        for (i, r) in test_rows.iter().enumerate() {
            let Some(t) = r.labels.rul_capped else {
                continue;
            };
            if t < low || (t >= high && high < f64::INFINITY) {
                continue;
            }
            n += 1;
            for (k, p) in [
                &our_predictions,
                &raw,
                &mean_predictions,
                &python_predictions,
            ]
            .iter()
            .enumerate()
            {
                sums[k] += (p[i].rul_days - t).abs();
            }
        }
        let m = |k: usize| sums[k] / n.max(1) as f64;
        println!(
            "| {name} | {n} | {:.2} | {:.2} | {:.2} | {:.2} |",
            m(0),
            m(1),
            m(2),
            m(3)
        );
    }
    Ok(())
}

fn print_table(ours: &HeldOutMetrics, mean: &HeldOutMetrics, python: &HeldOutMetrics) {
    let all = [ours, mean, python];
    let row = |name: &str, f: &dyn Fn(&HeldOutMetrics) -> String| {
        let cells: Vec<String> = all.iter().map(|m| f(m)).collect();
        println!("| {name} | {} | {} | {} |", cells[0], cells[1], cells[2]);
    };
    println!("| metric (test fleet) | pump-model | mean RUL | Python-style RF |");
    println!("|---|---|---|---|");
    row("RUL MAE, capped (days)", &|m| {
        fmt(m.rul_capped.map(|e| e.mae), 2)
    });
    row("RUL RMSE, capped (days)", &|m| {
        fmt(m.rul_capped.map(|e| e.rmse), 2)
    });
    row("RUL R², capped", &|m| fmt(m.rul_capped.map(|e| e.r2), 3));
    row("RUL MAE, uncapped (days)", &|m| {
        fmt(m.rul_uncapped.map(|e| e.mae), 2)
    });
    row("RUL RMSE, uncapped (days)", &|m| {
        fmt(m.rul_uncapped.map(|e| e.rmse), 2)
    });
    row("RUL R², uncapped", &|m| {
        fmt(m.rul_uncapped.map(|e| e.r2), 3)
    });
    row("7-day ROC AUC", &|m| {
        fmt(m.probability.and_then(|p| p.roc_auc), 3)
    });
    row("7-day Brier score", &|m| {
        fmt(m.probability.map(|p| p.brier), 4)
    });
    row("calibration error (ECE)", &|m| {
        fmt(m.probability.map(|p| p.ece), 4)
    });
    let point = |m: &HeldOutMetrics| std::ptr::eq(m, ours);
    row("80 % interval coverage", &|m| {
        if point(m) {
            fmt(m.interval_coverage, 3)
        } else {
            "n/a".into()
        }
    });
    row(
        &format!("failures alarmed (p > {ALARM_PROBABILITY}) in the last 30 days"),
        &|m| format!("{}/{}", m.alarms.detected, m.alarms.failures),
    );
    row("median lead time of first alarm (days)", &|m| {
        fmt(m.alarms.median_lead_days, 1)
    });
    row("false alarms per pump-month (censored pumps)", &|m| {
        fmt(m.alarms.false_alarms_per_pump_month, 3)
    });
    row("RUL MAE, confidence > 0.7 (rows)", &|m| {
        if point(m) {
            format!(
                "{} ({})",
                fmt(m.confidence.above_mae, 2),
                m.confidence.above
            )
        } else {
            "n/a".into()
        }
    });
    row("RUL MAE, confidence ≤ 0.7 (rows)", &|m| {
        if point(m) {
            format!(
                "{} ({})",
                fmt(m.confidence.at_or_below_mae, 2),
                m.confidence.at_or_below
            )
        } else {
            "n/a".into()
        }
    });
}

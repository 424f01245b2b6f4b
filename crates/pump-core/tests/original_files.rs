//! The original Python system's files, read as they are (SPEC §2, §4).
//!
//! They live outside the project, in `../shared/data/original/`; where that folder is
//! absent these tests say so and pass without checking.

use pump_core::*;
use std::path::PathBuf;
use time::UtcOffset;

fn original(name: &str) -> Option<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/original");
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: {} is absent; the original system's files are not checked",
            dir.display()
        );
        return None;
    }
    Some(
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("reading original file {name}: {e}")),
    )
}

#[test]
fn original_tolerances_json_equals_the_builtin_table() {
    let Some(text) = original("tolerances.json") else {
        return;
    };
    let table = ToleranceTable::from_original_json(&text).unwrap();
    assert_eq!(table, ToleranceTable::builtin());
}

#[test]
fn original_baseline_csvs_and_artifact_baseline_json() {
    let Some(csv) = original("well1_baseline.csv") else {
        return;
    };
    let b = read_baseline_csv(csv.as_bytes()).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].pump_id, "Well 1");
    assert_eq!(b[0].values.value(Parameter::Flow), Some(252.33));
    assert_eq!(b[0].horsepower, Some(24.0));
    let template = original("baseline_template.csv").unwrap();
    assert_eq!(
        read_baseline_csv(template.as_bytes()).unwrap()[0].values,
        Baseline::new("Well 1", 500.0, 150.0, 75.0, 85.5).values
    );
    let json = Baseline::from_json(&original("artifact_baseline.json").unwrap()).unwrap();
    assert_eq!(json.pump_id, "Well 1");
    assert_eq!(json.tolerance_category.as_deref(), Some("1U"));
    assert_eq!(json.values.value(Parameter::Power), Some(20.03513784004471));
    assert_eq!(
        json.values, b[0].values,
        "the artifact's baseline.json and the CSV agree"
    );
}

#[test]
fn original_column_mapping_and_operational_csvs() {
    let Some(mapping) = original("artifact_column_mapping.json") else {
        return;
    };
    let (mapping, warnings) = ColumnMapping::from_json(&mapping).unwrap();
    assert!(warnings.is_empty());
    let ops = original("well1_operational.csv").unwrap();
    let data = read_sensor_csv(ops.as_bytes(), &mapping, UtcOffset::UTC).unwrap();
    assert_eq!(data.readings.len(), 1440, "60 days of hourly data");
    assert!(data.skipped_rows.is_empty() && data.unknown_values.is_empty());
    assert_eq!(
        data.readings[0].timestamp.to_string(),
        "2024-06-01T00:00:00Z"
    );
    assert_eq!(
        data.readings[1439].timestamp.to_string(),
        "2024-07-30T23:00:00Z"
    );
    assert_eq!(data.readings[0].speed, Some(1800.0));
    let template = original("operational_template.csv").unwrap();
    let data = read_sensor_csv(
        template.as_bytes(),
        &ColumnMapping::default(),
        UtcOffset::UTC,
    )
    .unwrap();
    assert_eq!(data.readings.len(), 5);
    assert_eq!(
        data.readings[4].timestamp.to_string(),
        "2024-05-01T04:00:00Z"
    );
}

#[test]
fn original_well1_history_grades_as_the_old_system_would() {
    let (Some(csv), Some(ops)) = (
        original("well1_baseline.csv"),
        original("well1_operational.csv"),
    ) else {
        return;
    };
    let baseline = read_baseline_csv(csv.as_bytes()).unwrap().remove(0);
    let table = ToleranceTable::builtin();
    let grade = table
        .grade_for(baseline.application.as_deref(), baseline.horsepower, None)
        .unwrap()
        .clone();
    assert_eq!(grade.name, "1U");
    let evaluator = Evaluator {
        running: RunningRule::default_for(baseline.speed_rpm),
        baseline,
        grade,
        allowance: ParameterValues::empty(),
    };
    let data = read_sensor_csv(ops.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC).unwrap();
    let mut state = EvaluatorState::default();
    let mut counts = [0usize; 4];
    for r in &data.readings {
        if let Outcome::Evaluated(e) = evaluator.evaluate(&mut state, r) {
            counts[e.status as usize] += 1;
        }
    }
    assert_eq!(counts.iter().sum::<usize>(), 1440);
    // Grade 1U: efficiency below baseline at all is a violation; this well runs at about
    // 55-57 % against a 60 % baseline, so it is rarely Normal.
    assert!(counts[Status::Normal as usize] < 100, "{counts:?}");
    eprintln!("well 1 statuses (Normal, Warning, Critical, Failure): {counts:?}");
}

#[test]
fn original_deployment_config_is_valid_json_with_the_spec_keys() {
    let Some(text) = original("deployment_config.json") else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let site: SiteInfo = serde_json::from_value(v["site_info"].clone()).unwrap();
    assert_eq!(site.site_id, 35482);
    assert_eq!(site.sensor_ids.value(Parameter::Efficiency), Some(104));
}

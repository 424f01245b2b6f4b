//! The worked example of SPEC §3.3 and its anomaly payload (§3.7), end to end through the
//! public API.

use pump_core::*;
use serde_json::json;

fn worked_example() -> (Evaluator, Reading) {
    let table = ToleranceTable::builtin();
    let mut baseline = Baseline::new("Well 1", 500.0, 150.0, 75.0, 85.5);
    baseline.application = Some("Municipal Water and Wastewater".into());
    baseline.horsepower = Some(100.0);
    let grade = table
        .grade_for(baseline.application.as_deref(), baseline.horsepower, None)
        .unwrap()
        .clone();
    let evaluator = Evaluator {
        baseline,
        grade,
        allowance: ParameterValues::empty(),
        running: RunningRule::default_for(None),
    };
    let reading = Reading::new("2024-11-18T14:32:00Z".parse().unwrap())
        .with(Parameter::Flow, 575.0)
        .with(Parameter::Head, 154.8)
        .with(Parameter::Power, 81.375)
        .with(Parameter::Efficiency, 84.474);
    (evaluator, reading)
}

fn evaluate(evaluator: &Evaluator, reading: &Reading) -> Evaluation {
    match evaluator.evaluate(&mut EvaluatorState::default(), reading) {
        Outcome::Evaluated(e) => e,
        other => panic!("not evaluated: {other:?}"),
    }
}

#[test]
fn spec_worked_example_is_warning_with_flow_and_efficiency_violated() {
    let (evaluator, reading) = worked_example();
    assert_eq!(evaluator.grade.name, "1U");
    let e = evaluate(&evaluator, &reading);
    assert_eq!(
        serde_json::to_value(e.deviations).unwrap(),
        json!({"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2})
    );
    assert_eq!(e.status, Status::Warning);
    assert_eq!(e.violations.len(), 2);

    let flow = e.violation(Parameter::Flow).unwrap();
    assert_eq!(flow.threshold, 10.0);
    assert_eq!(flow.threshold_type, ThresholdType::Max);
    assert!(flow.mandatory);
    assert_eq!(flow.severity, 1.5);
    assert!(!flow.is_severe(), "severity 1.5 is not greater than 1.5");

    let eff = e.violation(Parameter::Efficiency).unwrap();
    assert_eq!(eff.threshold, 0.0);
    assert_eq!(eff.threshold_type, ThresholdType::Min);
    assert!(!eff.mandatory);
    assert!((eff.severity - 0.12).abs() < 1e-12);
}

#[test]
fn spec_worked_example_payload_matches_the_api_shape() {
    let (evaluator, reading) = worked_example();
    let e = evaluate(&evaluator, &reading);
    let site = SiteInfo {
        site_id: 35482,
        pump_id: 1,
        sensor_ids: ParameterValues {
            flow: Some(101),
            head: Some(102),
            power: Some(103),
            efficiency: Some(104),
        },
    };
    let model = ModelInfo {
        name: "pump-anomaly-detector".into(),
        version: "1.0.0".into(),
    };
    let source = AnomalySource {
        site: &site,
        tolerance_category: &evaluator.grade.name,
        baseline: &evaluator.baseline.values,
        model: &model,
    };
    let keys = candidate_keys(&e, None, &ReportingRules::default());
    assert_eq!(
        keys,
        vec![
            AnomalyKey::Parameter(Parameter::Flow),
            AnomalyKey::Parameter(Parameter::Efficiency)
        ]
    );
    let prediction = Prediction {
        rul_days: 12.5,
        rul_interval_days: [8.0, 19.0],
        probability: 0.2,
        confidence: 0.87,
        top_factors: vec!["efficiency_slope_7d".into()],
    };
    let payload = build_anomaly(&source, &e, keys[0], None, Some(&prediction)).unwrap();
    let mut v = serde_json::to_value(&payload).unwrap();
    let event = v["additionalContext"]
        .as_object_mut()
        .unwrap()
        .remove("event_id")
        .unwrap();
    assert_eq!(
        event,
        json!(event_id(
            35482,
            1,
            AnomalyKey::Parameter(Parameter::Flow),
            e.timestamp
        ))
    );
    assert_eq!(
        v,
        json!({
            "sourceType": "log",
            "description": "Flow exceeded 15.0% (threshold: 10%)",
            "siteId": 35482,
            "pumpId": 1,
            "sensorId": 101,
            "timestamp": "2024-11-18T14:32:00Z",
            "logValue": 575.0,
            "additionalContext": {
                "parameter": "flow",
                "status": "Warning",
                "tolerance_category": "1U",
                "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2},
                "baseline_values": {"flow": 500.0, "head": 150.0, "power": 75.0, "efficiency": 85.5},
                "current_values": {"flow": 575.0, "head": 154.8, "power": 81.375, "efficiency": 84.474}
            },
            "metadata": {
                "modelName": "pump-anomaly-detector",
                "modelVersion": "1.0.0",
                "confidence": 0.87,
                "prediction_rul_days": 12.5,
                "framework": "smartcore"
            }
        })
    );
    // The payload reads back as itself.
    let text = serde_json::to_string(&payload).unwrap();
    assert_eq!(
        serde_json::from_str::<AnomalyPayload>(&text).unwrap(),
        payload
    );

    let eff = build_anomaly(
        &source,
        &e,
        AnomalyKey::Parameter(Parameter::Efficiency),
        None,
        None,
    )
    .unwrap();
    assert_eq!(eff.description, "Efficiency fell to -1.2% (threshold: 0%)");
    assert_eq!(eff.sensor_id, Some(104));
    assert_eq!(eff.log_value, Some(84.474));
    assert_ne!(eff.event_id(), payload.event_id());
}

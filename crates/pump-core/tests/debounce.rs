//! Debounce sequences (SPEC §3.6): window, escalation bypass, Normal reset, persistence.

use pump_core::*;
use time::Duration;

const FLOW: AnomalyKey = AnomalyKey::Parameter(Parameter::Flow);
const EFF: AnomalyKey = AnomalyKey::Parameter(Parameter::Efficiency);
const PRED: AnomalyKey = AnomalyKey::Prediction;

fn at(minutes: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2024-11-18T14:00:00Z")
        .unwrap()
        .plus(Duration::minutes(minutes))
}

/// Runs a sequence of (minute, status, keys) and returns what was reported at each step.
fn run(steps: &[(i64, Status, &[AnomalyKey])]) -> Vec<Vec<AnomalyKey>> {
    let mut d = Debounce::default();
    steps
        .iter()
        .map(|(m, s, keys)| d.decide(at(*m), *s, keys, Duration::minutes(60)))
        .collect()
}

#[test]
fn the_same_key_waits_for_the_window_and_exactly_60_minutes_is_reported() {
    use Status::Warning;
    let out = run(&[
        (0, Warning, &[FLOW, EFF]),
        (30, Warning, &[FLOW, EFF]),
        (59, Warning, &[FLOW]),
        (60, Warning, &[FLOW]),
        (90, Warning, &[FLOW, EFF]),
        (119, Warning, &[FLOW]),
        (120, Warning, &[FLOW]),
    ]);
    assert_eq!(
        out,
        vec![
            vec![FLOW, EFF],
            vec![],
            vec![],
            vec![FLOW],
            vec![EFF], // efficiency last reported at 0, 90 minutes ago
            vec![],
            vec![FLOW]
        ]
    );
}

#[test]
fn escalation_bypasses_the_window_but_the_same_or_lower_status_does_not() {
    use Status::*;
    let out = run(&[
        (0, Warning, &[FLOW]),
        (10, Critical, &[FLOW]),
        (20, Critical, &[FLOW]),
        (30, Warning, &[FLOW]),
        (40, Failure, &[FLOW]),
        (50, Failure, &[FLOW, EFF]),
    ]);
    assert_eq!(
        out,
        vec![
            vec![FLOW],
            vec![FLOW],
            vec![],
            vec![],
            vec![FLOW],
            vec![EFF]
        ]
    );
}

#[test]
fn a_normal_reading_clears_every_timer() {
    use Status::*;
    let out = run(&[
        (0, Warning, &[FLOW]),
        (10, Normal, &[]),
        (20, Warning, &[FLOW]),
        (30, Warning, &[FLOW]),
    ]);
    assert_eq!(out, vec![vec![FLOW], vec![], vec![FLOW], vec![]]);
}

#[test]
fn a_normal_reading_may_still_report_a_prediction_after_clearing() {
    use Status::*;
    let out = run(&[
        (0, Normal, &[PRED]),
        (30, Normal, &[PRED]),
        (45, Warning, &[PRED]),
    ]);
    // The Normal reading at 30 clears the timer first, then reports its own prediction;
    // at 45 the status rose above Normal: escalation.
    assert_eq!(out, vec![vec![PRED], vec![PRED], vec![PRED]]);
}

#[test]
fn state_survives_a_json_round_trip_between_runs() {
    let mut d = Debounce::default();
    let window = Duration::minutes(60);
    assert_eq!(
        d.decide(at(0), Status::Warning, &[FLOW], window),
        vec![FLOW]
    );
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        json,
        r#"{"last":{"flow":{"at":"2024-11-18T14:00:00Z","status":"Warning"}}}"#
    );
    let mut restored: Debounce = serde_json::from_str(&json).unwrap();
    assert!(
        restored
            .decide(at(30), Status::Warning, &[FLOW], window)
            .is_empty()
    );
    assert_eq!(
        restored.decide(at(60), Status::Warning, &[FLOW], window),
        vec![FLOW]
    );
}

#[test]
fn candidate_keys_follow_report_on_status_and_the_prediction_rule() {
    let baseline = Baseline::new("P", 100.0, 100.0, 100.0, 80.0);
    let evaluator = Evaluator {
        baseline,
        grade: ToleranceTable::builtin().grade("1U").unwrap().clone(),
        allowance: ParameterValues::empty(),
        running: RunningRule::default_for(None),
    };
    let r = Reading::new(at(0))
        .with(Parameter::Flow, 111.0)
        .with(Parameter::Head, 100.0);
    let Outcome::Evaluated(e) = evaluator.evaluate(&mut EvaluatorState::default(), &r) else {
        panic!()
    };
    assert_eq!(e.status, Status::Warning);
    let mut rules = ReportingRules::default();
    assert_eq!(candidate_keys(&e, None, &rules), vec![FLOW]);
    let imminent = Prediction {
        rul_days: 3.0,
        rul_interval_days: [1.0, 6.0],
        probability: 0.9,
        confidence: 0.8,
        top_factors: vec![],
    };
    assert_eq!(
        candidate_keys(&e, Some(&imminent), &rules),
        vec![FLOW, PRED]
    );
    rules.report_on_status = vec![Status::Critical, Status::Failure];
    assert_eq!(candidate_keys(&e, Some(&imminent), &rules), vec![PRED]);
    rules.include_ml_predictions = false;
    assert!(candidate_keys(&e, Some(&imminent), &rules).is_empty());
    let unsure = Prediction {
        confidence: 0.7,
        ..imminent
    };
    rules.include_ml_predictions = true;
    assert!(candidate_keys(&e, Some(&unsure), &rules).is_empty());
}

//! Each status rule of SPEC §3.3 at and just past its boundary, and the sustained rule.

use pump_core::*;

fn v(p: Parameter, deviation: f64, threshold: f64, mandatory: bool) -> Violation {
    Violation {
        parameter: p,
        deviation,
        threshold,
        threshold_type: if deviation > threshold {
            ThresholdType::Max
        } else {
            ThresholdType::Min
        },
        mandatory,
        severity: (deviation / threshold).abs(),
    }
}

#[test]
fn status_rules_at_and_past_their_boundaries() {
    use Parameter::*;
    // (violations, expected)
    let cases: Vec<(Vec<Violation>, Status)> = vec![
        (vec![], Status::Normal),
        // One mandatory violation at severity exactly 1.5: not severe → Warning.
        (vec![v(Flow, 15.0, 10.0, true)], Status::Warning),
        // Just past 1.5: severe → Critical.
        (vec![v(Flow, 15.01, 10.0, true)], Status::Critical),
        // Two optional, not severe: Warning.
        (
            vec![
                v(Power, 11.0, 10.0, false),
                v(Efficiency, -1.0, -10.0, false),
            ],
            Status::Warning,
        ),
        // Three violations: Critical.
        (
            vec![
                v(Flow, 11.0, 10.0, true),
                v(Power, 11.0, 10.0, false),
                v(Efficiency, -11.0, -10.0, false),
            ],
            Status::Critical,
        ),
        // Two mandatory: Failure (even if mild).
        (
            vec![v(Flow, 10.5, 10.0, true), v(Head, 6.5, 6.0, true)],
            Status::Failure,
        ),
        // Two severe optional: Failure.
        (
            vec![
                v(Power, 16.0, 10.0, false),
                v(Efficiency, -16.0, -10.0, false),
            ],
            Status::Failure,
        ),
        // One severe and one mild optional: Critical.
        (
            vec![
                v(Power, 16.0, 10.0, false),
                v(Efficiency, -15.0, -10.0, false),
            ],
            Status::Critical,
        ),
    ];
    for (i, (violations, expected)) in cases.iter().enumerate() {
        assert_eq!(classify(violations, &[]), *expected, "case {i}");
    }
    // A sustained violation makes an otherwise Warning reading Critical.
    assert_eq!(
        classify(&[v(Flow, 11.0, 10.0, true)], &[Flow]),
        Status::Critical
    );
}

fn evaluator() -> Evaluator {
    Evaluator {
        baseline: Baseline::new("P", 100.0, 100.0, 100.0, 80.0),
        grade: ToleranceTable::builtin().grade("3B").unwrap().clone(),
        allowance: ParameterValues::empty(),
        running: RunningRule::default_for(None),
    }
}

/// Feeds readings with flow +10 % (violated, mild) or +0 %; returns the last status.
fn run(pattern: &[bool]) -> Status {
    let e = evaluator();
    let mut state = EvaluatorState::default();
    let t0 = Timestamp::from_unix_seconds(1_700_000_000);
    let mut last = Status::Normal;
    for (i, &violated) in pattern.iter().enumerate() {
        let flow = if violated { 110.0 } else { 100.0 };
        let r = Reading::new(t0.plus(time::Duration::hours(i as i64)))
            .with(Parameter::Flow, flow)
            .with(Parameter::Head, 100.0);
        match e.evaluate(&mut state, &r) {
            Outcome::Evaluated(ev) => last = ev.status,
            other => panic!("{other:?}"),
        }
    }
    last
}

#[test]
fn sustained_needs_17_of_the_last_24_including_this_one() {
    // 17 violated of 24, the last one violated: Critical.
    let mut p = vec![false; 7];
    p.extend(vec![true; 17]);
    assert_eq!(run(&p), Status::Critical);
    // 16 of 24: Warning.
    let mut p = vec![false; 8];
    p.extend(vec![true; 16]);
    assert_eq!(run(&p), Status::Warning);
    // 17 of 24 but not this one: Normal.
    let mut p = vec![true; 17];
    p.extend(vec![false; 7]);
    assert_eq!(run(&p), Status::Normal);
    // Only 23 evaluated readings, all violated: not yet sustained.
    assert_eq!(run(&[true; 23]), Status::Warning);
    assert_eq!(run(&[true; 24]), Status::Critical);
    // Older violations fall out of the window: 17 violated, then 8 fine, then 1 violated.
    let mut p = vec![true; 17];
    p.extend(vec![false; 8]);
    p.push(true);
    assert_eq!(run(&p), Status::Warning);
}

#[test]
fn unknown_values_count_as_not_violated_and_off_readings_are_not_evaluated() {
    let e = evaluator();
    let mut state = EvaluatorState::default();
    let t0 = Timestamp::from_unix_seconds(1_700_000_000);
    for i in 0..30 {
        let t = t0.plus(time::Duration::hours(i));
        // Every third reading has no flow; it is evaluated (head is known).
        let mut r = Reading::new(t).with(Parameter::Head, 100.0);
        if i % 3 != 1 {
            r = r.with(Parameter::Flow, 110.0);
        }
        let _ = e.evaluate(&mut state, &r);
    }
    // Readings 7..=29 hold 8 with flow unknown (7, 10, …, 28) and 15 violated; with the
    // next violated reading that is 16 of 24: not sustained, because unknown is not violated.
    let r = Reading::new(t0.plus(time::Duration::hours(30)))
        .with(Parameter::Flow, 110.0)
        .with(Parameter::Head, 100.0);
    let Outcome::Evaluated(ev) = e.evaluate(&mut state, &r) else {
        panic!()
    };
    assert_eq!(ev.status, Status::Warning);

    let off = Reading::new(t0)
        .with(Parameter::Flow, 0.0)
        .with(Parameter::Head, 20.0);
    let before = state.clone();
    match e.evaluate(&mut state, &off) {
        Outcome::NotEvaluated { reason, .. } => assert!(reason.contains("not running"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(state, before, "an off reading leaves the state alone");
    let nothing = Reading::new(t0);
    assert!(matches!(
        e.evaluate(&mut state, &nothing),
        Outcome::NotEvaluated { .. }
    ));
}

#[test]
fn speed_rule_and_affinity_correction() {
    let mut e = evaluator();
    e.baseline.speed_rpm = Some(1800.0);
    e.running = RunningRule::default_for(e.baseline.speed_rpm);
    assert_eq!(e.running.min_speed_rpm, 180.0);
    let t = Timestamp::from_unix_seconds(1_700_000_000);
    let mut slow = Reading::new(t)
        .with(Parameter::Flow, 90.0)
        .with(Parameter::Head, 81.0)
        .with(Parameter::Power, 72.9)
        .with(Parameter::Efficiency, 80.0);
    slow.speed = Some(1620.0);
    // Without correction a 90 % speed reads as flow −10 %, head −19 %.
    let Outcome::Evaluated(ev) = e.evaluate(&mut EvaluatorState::default(), &slow) else {
        panic!()
    };
    assert_eq!(
        ev.deviations.value(Parameter::Flow).unwrap().percent(),
        -10.0
    );
    assert_eq!(
        ev.deviations.value(Parameter::Head).unwrap().percent(),
        -19.0
    );
    assert_eq!(ev.status, Status::Failure);
    // With the affinity laws the pump is exactly on its curve.
    e.baseline.speed_correction = true;
    let Outcome::Evaluated(ev) = e.evaluate(&mut EvaluatorState::default(), &slow) else {
        panic!()
    };
    for p in Parameter::ALL {
        assert_eq!(ev.deviations.value(p).unwrap().percent(), 0.0, "{p}");
    }
    assert_eq!(ev.status, Status::Normal);
    // Below 10 % of the baseline speed the pump is off.
    slow.speed = Some(179.0);
    assert!(matches!(
        e.evaluate(&mut EvaluatorState::default(), &slow),
        Outcome::NotEvaluated { .. }
    ));
}

#[test]
fn zero_or_missing_baseline_leaves_the_parameter_unevaluated_with_a_reason() {
    let mut e = evaluator();
    e.baseline.values.power = Some(0.0);
    e.baseline.values.efficiency = None;
    let r = Reading::new(Timestamp::from_unix_seconds(0))
        .with(Parameter::Flow, 100.0)
        .with(Parameter::Power, 50.0)
        .with(Parameter::Efficiency, 50.0);
    let Outcome::Evaluated(ev) = e.evaluate(&mut EvaluatorState::default(), &r) else {
        panic!()
    };
    let reasons: Vec<(Parameter, &str)> = ev
        .unevaluated
        .iter()
        .map(|u| (u.parameter, u.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (Parameter::Head, "value unknown"),
            (Parameter::Power, "baseline is zero"),
            (Parameter::Efficiency, "no baseline value"),
        ]
    );
    assert_eq!(ev.status, Status::Normal);
}

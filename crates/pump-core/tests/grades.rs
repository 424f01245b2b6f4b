//! Every grade of the SPEC §3.2 table, at and just past each bound, and the application
//! mapping. Data-driven: one row per grade.

use pump_core::*;

/// (grade, flow (min, max), head (min, max), power max, efficiency min); `None` = unchecked.
type Row = (
    &'static str,
    (Option<f64>, f64),
    (Option<f64>, f64),
    f64,
    f64,
);

const TABLE: [Row; 6] = [
    ("1B", (Some(-5.0), 5.0), (Some(-3.0), 3.0), 4.0, -3.0),
    ("1E", (Some(-5.0), 5.0), (Some(-3.0), 3.0), 4.0, 0.0),
    ("1U", (None, 10.0), (None, 6.0), 10.0, 0.0),
    ("2B", (Some(-8.0), 8.0), (Some(-5.0), 5.0), 8.0, -5.0),
    ("2U", (None, 16.0), (None, 10.0), 16.0, -5.0),
    ("3B", (Some(-9.0), 9.0), (Some(-7.0), 7.0), 9.0, -7.0),
];

fn violated(grade: &Grade, p: Parameter, deviation: f64) -> Option<Violation> {
    let mut devs = ParameterValues::empty();
    devs.set(p, Some(Deviation::from_percent(deviation)));
    violations(&devs, grade, &ParameterValues::empty()).pop()
}

fn check_bound(grade: &Grade, p: Parameter, bound: f64, side: ThresholdType) {
    let past = match side {
        ThresholdType::Max => bound + 0.01,
        ThresholdType::Min => bound - 0.01,
    };
    assert!(
        violated(grade, p, bound).is_none(),
        "{} {p} at its bound {bound} is not violated",
        grade.name
    );
    let v = violated(grade, p, past)
        .unwrap_or_else(|| panic!("{} {p} at {past} is violated", grade.name));
    assert_eq!(v.threshold, bound);
    assert_eq!(v.threshold_type, side);
    assert_eq!(v.mandatory, matches!(p, Parameter::Flow | Parameter::Head));
}

#[test]
fn every_grade_of_the_table_at_and_just_past_each_bound() {
    let table = ToleranceTable::builtin();
    for (name, flow, head, power_max, eff_min) in TABLE {
        let grade = table.grade(name).unwrap();
        for (p, (min, max)) in [(Parameter::Flow, flow), (Parameter::Head, head)] {
            check_bound(grade, p, max, ThresholdType::Max);
            match min {
                Some(min) => check_bound(grade, p, min, ThresholdType::Min),
                None => assert!(
                    violated(grade, p, -99.0).is_none(),
                    "{name} {p}: the min side is not checked"
                ),
            }
        }
        check_bound(grade, Parameter::Power, power_max, ThresholdType::Max);
        assert!(violated(grade, Parameter::Power, -80.0).is_none());
        check_bound(grade, Parameter::Efficiency, eff_min, ThresholdType::Min);
        assert!(violated(grade, Parameter::Efficiency, 80.0).is_none());
    }
}

#[test]
fn rounding_happens_before_the_comparison() {
    let grade = ToleranceTable::builtin().grade("3B").unwrap().clone();
    // 7.000000000000001 rounds to 7.00 and does not cross +7.
    assert!(violated(&grade, Parameter::Head, 7.000000000000001).is_none());
    assert!(violated(&grade, Parameter::Head, 7.005).is_some());
}

#[test]
fn severity_against_a_zero_bound_is_a_tenth_of_the_deviation() {
    let grade = ToleranceTable::builtin().grade("1E").unwrap().clone();
    let v = violated(&grade, Parameter::Efficiency, -4.0).unwrap();
    assert!((v.severity - 0.4).abs() < 1e-12);
    let v = violated(&grade, Parameter::Flow, -10.0).unwrap();
    assert_eq!(v.severity, 2.0);
    assert!(v.is_severe());
}

#[test]
fn measurement_allowance_widens_both_sides_but_not_severity() {
    let grade = ToleranceTable::builtin().grade("1U").unwrap().clone();
    let allowance = ParameterValues {
        flow: Some(2.0),
        efficiency: Some(3.0),
        ..ParameterValues::empty()
    };
    let check = |p: Parameter, d: f64| {
        let mut devs = ParameterValues::empty();
        devs.set(p, Some(Deviation::from_percent(d)));
        violations(&devs, &grade, &allowance).pop()
    };
    assert!(check(Parameter::Flow, 12.0).is_none());
    let v = check(Parameter::Flow, 12.01).unwrap();
    assert_eq!(v.threshold, 10.0);
    assert!((v.severity - 1.201).abs() < 1e-12);
    assert!(check(Parameter::Efficiency, -3.0).is_none());
    assert!(check(Parameter::Efficiency, -3.01).is_some());
    // Head has no allowance: the grade exactly.
    assert!(check(Parameter::Head, 6.01).is_some());
}

#[test]
fn application_mapping_with_the_134_hp_rule() {
    let t = ToleranceTable::builtin();
    let grade = |app: &str, hp: f64| t.grade_for(Some(app), Some(hp), None).unwrap().name.clone();
    assert_eq!(grade("Municipal Water and Wastewater", 500.0), "1U");
    assert_eq!(grade("  api ", 10.0), "1B");
    assert_eq!(grade("ENERGY CONSERVATION", 10.0), "1E");
    assert_eq!(grade("Cooling Tower", 10.0), "2B");
    assert_eq!(grade("Cooling Tower", 500.0), "2B");
    for app in ["General Industry", "Dewatering, drainage, and irrigation"] {
        assert_eq!(grade(app, 133.99), "3B");
        assert_eq!(grade(app, 134.0), "2B");
    }
    let err = t
        .grade_for(Some("Fountains"), Some(10.0), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Fountains") && err.contains("Cooling Tower"),
        "{err}"
    );
    assert_eq!(
        t.grade_for(Some("Fountains"), None, Some("2u"))
            .unwrap()
            .name,
        "2U"
    );
    assert!(matches!(
        t.grade_for(Some("General Industry"), None, None),
        Err(ToleranceError::NeedsHorsepower { .. })
    ));
    assert!(matches!(
        t.grade_for(None, None, Some("9Z")),
        Err(ToleranceError::UnknownGrade { .. })
    ));
}

#[test]
fn original_format_round_trips_and_may_add_grades() {
    let builtin = ToleranceTable::builtin();
    let again = ToleranceTable::from_original_json(&builtin.to_original_json()).unwrap();
    assert_eq!(again, builtin);

    let custom = r#"{"categories": {"X1": {"tolerances": {
            "flow": {"mandatory": true, "max_deviation": 2, "min_deviation": -2},
            "head": {"mandatory": true, "max_deviation": 999, "min_deviation": -1}}}},
        "application_mapping": {"Fire Pump": "X1"}}"#;
    let t = ToleranceTable::from_original_json(custom).unwrap();
    let x1 = t.grade_for(Some("fire pump"), None, None).unwrap();
    assert_eq!(x1.name, "X1");
    assert_eq!(x1.limit(Parameter::Head).unwrap().max, None);
    assert_eq!(x1.limit(Parameter::Head).unwrap().min, Some(-1.0));
    assert!(x1.limit(Parameter::Power).is_none());
    assert_eq!(t.grade("1U").unwrap(), builtin.grade("1U").unwrap());

    let bad = r#"{"categories": {"X": {"tolerances": {"flow": {"max_deviation": 1, "min_deviation": 5}}}}}"#;
    let err = ToleranceTable::from_original_json(bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("categories.X.tolerances.flow"), "{err}");
}

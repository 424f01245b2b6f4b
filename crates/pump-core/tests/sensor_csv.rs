//! The sensor CSV reader (SPEC §2.1): formats, order, repeats, bad values, mapping forms.

use pump_core::*;
use time::UtcOffset;

fn read(text: &str) -> Result<SensorData, SensorCsvError> {
    read_sensor_csv(text.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC)
}

const HEADER: &str = "timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%),Motor Speed (rpm)";

#[test]
fn spec_example_reads_with_every_value() {
    let data = read(&format!(
        "{HEADER}\n2024-11-18 14:30:00,Well 1,505,148,25,76,85.2,1760\n2024-11-18 15:30:00,Well 1,575,165,26,82,80.1,1765\n"
    ))
    .unwrap();
    assert_eq!(data.readings.len(), 2);
    let r = &data.readings[1];
    assert_eq!(r.timestamp.to_string(), "2024-11-18T15:30:00Z");
    assert_eq!(r.pump_id.as_deref(), Some("Well 1"));
    assert_eq!(r.value(Parameter::Flow), Some(575.0));
    assert_eq!(r.value(Parameter::Head), Some(165.0));
    assert_eq!(r.value(Parameter::Power), Some(82.0));
    assert_eq!(r.value(Parameter::Efficiency), Some(80.1));
    assert_eq!(r.suction, Some(26.0));
    assert_eq!(r.speed, Some(1765.0));
    assert_eq!(r.line, 3);
    assert!(data.skipped_rows.is_empty() && data.unknown_values.is_empty());
    assert!(data.missing_columns.is_empty());
}

#[test]
fn columns_in_any_order_with_extras_a_bom_and_every_timestamp_format() {
    let text = "\u{feff}Pump Efficiency (%),Notes,Flow (gpm), timestamp ,Motor Power (hp),Discharge Pressure (psi)\n\
        80,x,500,2024-11-18 14:30:00,75,150\n\
        80,x,501,2024-11-18T15:30:00Z,75,150\n\
        80,x,502,2024-11-18T18:30:00+02:00,75,150\n\
        80,x,503,5/1/2024 0:00,75,150\n\
        80,x,504,06/01/2024 00:00,75,150\n";
    let data = read(text).unwrap();
    let got: Vec<(String, f64)> = data
        .readings
        .iter()
        .map(|r| (r.timestamp.to_string(), r.value(Parameter::Flow).unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2024-05-01T00:00:00Z".to_string(), 503.0),
            ("2024-06-01T00:00:00Z".to_string(), 504.0),
            ("2024-11-18T14:30:00Z".to_string(), 500.0),
            ("2024-11-18T15:30:00Z".to_string(), 501.0),
            ("2024-11-18T16:30:00Z".to_string(), 502.0),
        ]
    );
    // No pump id, suction or speed column: those are simply unknown, not errors.
    assert_eq!(
        data.missing_columns,
        vec![
            ("suction".to_string(), "Suction Pressure (psi)".to_string()),
            ("speed".to_string(), "Motor Speed (rpm)".to_string())
        ]
    );
    assert_eq!(data.readings[0].pump_id, None);
}

#[test]
fn out_of_order_and_repeated_rows_the_later_row_wins_whole() {
    let data = read(&format!(
        "{HEADER}\n\
         2024-11-18 16:00:00,W,300,150,25,75,80,1800\n\
         2024-11-18 14:00:00,W,100,150,25,75,80,1800\n\
         2024-11-18 15:00:00,W,200,150,25,75,80,1800\n\
         2024-11-18 14:00:00,W,111,,25,75,80,1800\n"
    ))
    .unwrap();
    let flows: Vec<f64> = data
        .readings
        .iter()
        .map(|r| r.value(Parameter::Flow).unwrap())
        .collect();
    assert_eq!(flows, vec![111.0, 200.0, 300.0]);
    // Whole row: the later row's empty head is unknown, not the earlier 150.
    assert_eq!(data.readings[0].value(Parameter::Head), None);
    assert_eq!(data.readings[0].line, 5);
    assert_eq!(
        data.skipped_rows,
        vec![SkippedRow {
            line: 3,
            reason: "repeated instant 2024-11-18T14:00:00Z: replaced by line 5".into()
        }]
    );
}

#[test]
fn bad_values_become_unknown_and_are_named_never_zero() {
    let data = read(&format!(
        "{HEADER}\n\
         2024-11-18 14:00:00,W,NaN,inf,25,-3,80,1800\n\
         2024-11-18 15:00:00,W,1_000,1e3,abc,75,101,-5\n\
         not a time,W,500,150,25,75,80,1800\n\
         ,W,500,150,25,75,80,1800\n\
         2024-11-18 16:00:00,W, 500 ,+150.5,-2,75,.5,1800\n"
    ))
    .unwrap();
    assert_eq!(data.readings.len(), 3);
    let r0 = &data.readings[0];
    assert_eq!(r0.value(Parameter::Flow), None);
    assert_eq!(r0.value(Parameter::Head), None);
    assert_eq!(r0.value(Parameter::Power), None);
    assert_eq!(r0.value(Parameter::Efficiency), Some(80.0));
    let r1 = &data.readings[1];
    assert_eq!(r1.values.len(), 1);
    assert_eq!(r1.value(Parameter::Power), Some(75.0));
    assert_eq!((r1.suction, r1.speed), (None, None));
    let r2 = &data.readings[2];
    assert_eq!(r2.value(Parameter::Flow), Some(500.0));
    assert_eq!(r2.value(Parameter::Head), Some(150.5));
    assert_eq!(r2.value(Parameter::Efficiency), Some(0.5));
    assert_eq!(r2.suction, Some(-2.0), "suction may be below atmospheric");

    let issues: Vec<(u64, &str, &str)> = data
        .unknown_values
        .iter()
        .map(|u| (u.line, u.column.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        issues,
        vec![
            (2, "Flow (gpm)", "not a number: \"NaN\""),
            (2, "Discharge Pressure (psi)", "not a number: \"inf\""),
            (2, "power", "negative power: -3"),
            (3, "Flow (gpm)", "not a number: \"1_000\""),
            (3, "Discharge Pressure (psi)", "not a number: \"1e3\""),
            (3, "efficiency", "efficiency 101 % outside 0–100 %"),
            (3, "Suction Pressure (psi)", "not a number: \"abc\""),
            (3, "speed", "negative speed: -5"),
        ]
    );
    assert_eq!(
        data.skipped_rows,
        vec![
            SkippedRow {
                line: 4,
                reason: "invalid timestamp \"not a time\"".into()
            },
            SkippedRow {
                line: 5,
                reason: "no timestamp".into()
            },
        ]
    );
}

#[test]
fn unusable_files_are_errors_that_say_why() {
    assert_eq!(read(""), Err(SensorCsvError::NoHeader));
    let e = read("time,Flow (gpm)\n2024-01-01,5\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no timestamp column \"timestamp\" in the header (found: time,Flow (gpm))"
    );
    let e = read("timestamp,Flow (gpm)\nsoon,5\nlater,6\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "no usable row (2 data rows); first problem: line 2: invalid timestamp \"soon\""
    );
    assert!(matches!(
        read("timestamp,Flow (gpm)\n"),
        Err(SensorCsvError::NoUsableRow { rows: 0, .. })
    ));
}

#[test]
fn a_missing_mandatory_column_is_reported_and_the_rest_still_reads() {
    let data = read("timestamp,Flow (gpm),Motor Power (hp)\n2024-01-01 00:00,500,75\n").unwrap();
    assert_eq!(data.readings[0].value(Parameter::Flow), Some(500.0));
    let missing: Vec<&str> = data
        .missing_columns
        .iter()
        .map(|(q, _)| q.as_str())
        .collect();
    assert_eq!(missing, vec!["head", "efficiency", "suction", "speed"]);
}

#[test]
fn mapping_forms_scale_and_differential_head() {
    let (mapping, warnings) = ColumnMapping::from_json(
        r#"{"timestamp": "Time", "pump_id": null, "flow": "Q",
            "head": {"differential": ["Pd (kPa)", "Ps (kPa)"], "unit": "ft", "specific_gravity": 1.0},
            "speed": {"column": "Frequency", "scale": 30}, "suction": null, "colour": "blue"}"#,
    )
    .unwrap();
    assert_eq!(
        warnings,
        vec!["column mapping: unknown key \"colour\" ignored".to_string()]
    );
    let text = "Time,Q,Pd (kPa),Ps (kPa),Frequency,Well ID\n2024-01-01 00:00,500,100,20,60,X\n";
    let data = read_sensor_csv(text.as_bytes(), &mapping, UtcOffset::UTC).unwrap();
    let r = &data.readings[0];
    assert_eq!(r.pump_id, None, "pump_id mapped to null");
    assert!((r.value(Parameter::Head).unwrap() - 80.0 * 2.31).abs() < 1e-9);
    assert_eq!(r.speed, Some(1800.0));
    assert_eq!(r.suction, None);
    assert_eq!(r.value(Parameter::Power), None, "not mapped: not evaluated");

    let err = ColumnMapping::from_json(r#"{"flow": {"differential": ["a", "b"]}}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column mapping key \"flow\": only head may be a differential"
    );
    assert!(ColumnMapping::from_json(r#"{"flow": 5}"#).is_err());
    assert!(ColumnMapping::from_json(r#"{"speed": {"column": "F", "scale": -1}}"#).is_err());
    let (m, _) = ColumnMapping::from_json(&ColumnMapping::default().to_json()).unwrap();
    assert_eq!(m, ColumnMapping::default());
}

#[test]
fn timezone_offset_applies_to_timestamps_without_one() {
    let minus5 = pump_core::timestamp::parse_utc_offset("-05:00").unwrap();
    let data = read_sensor_csv(
        "timestamp,Flow (gpm)\n2024-11-18 14:30:00,1\n2024-11-18T14:30:00Z,2\n".as_bytes(),
        &ColumnMapping::default(),
        minus5,
    )
    .unwrap();
    let got: Vec<String> = data
        .readings
        .iter()
        .map(|r| r.timestamp.to_string())
        .collect();
    assert_eq!(got, vec!["2024-11-18T14:30:00Z", "2024-11-18T19:30:00Z"]);
}

#[test]
fn a_file_with_several_pumps_keeps_each_pumps_instants() {
    let data = read(
        "timestamp,Well ID,Flow (gpm)\n2024-01-01 00:00,A,1\n2024-01-01 00:00,B,2\n2024-01-01 01:00,A,3\n",
    )
    .unwrap();
    assert_eq!(data.readings.len(), 3);
    let a: Vec<f64> = data
        .for_pump("A")
        .map(|r| r.value(Parameter::Flow).unwrap())
        .collect();
    assert_eq!(a, vec![1.0, 3.0]);
}

#[test]
fn baseline_csv_and_failure_events() {
    let text = "Well ID,pump_type,horsepower,application,baseline_flow_gpm,baseline_discharge_pressure_psi,baseline_power_hp,baseline_efficiency_percent,baseline_speed_rpm,tolerance_category\n\
        Well 1,Goulds 3409,100,Municipal Water and Wastewater,500,150,75,85.5,1780,\n\
        Well 2,,200,\"Dewatering, drainage, and irrigation\",900,,0,80,,2U\n";
    let b = read_baseline_csv(text.as_bytes()).unwrap();
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].pump_id, "Well 1");
    assert_eq!(b[0].values.value(Parameter::Efficiency), Some(85.5));
    assert_eq!(b[0].speed_rpm, Some(1780.0));
    assert_eq!(
        b[0].tolerance_category, None,
        "an empty cell is no override"
    );
    assert_eq!(
        b[1].application.as_deref(),
        Some("Dewatering, drainage, and irrigation")
    );
    assert_eq!(b[1].values.value(Parameter::Head), None);
    assert_eq!(b[1].tolerance_category.as_deref(), Some("2U"));
    let json = b[0].to_json();
    assert_eq!(Baseline::from_json(&json).unwrap(), b[0]);

    let err = read_baseline_csv("Well ID,baseline_flow_gpm\nWell 1,lots\n".as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2, column \"baseline_flow_gpm\": not a number: \"lots\""
    );

    let events = read_failure_events(
        "Well ID,failure_timestamp,failure_mode\nPump 7,2024-08-14 18:45:12,bearing\nPump 8,2024-08-15 00:00:00,\n"
            .as_bytes(),
        UtcOffset::UTC,
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].mode, Some(FailureMode::BearingWear));
    assert_eq!(events[0].timestamp.to_string(), "2024-08-14T18:45:12Z");
    assert_eq!(events[1].mode, None);
    let err = read_failure_events(
        "Well ID,failure_timestamp\nPump 7,someday\n".as_bytes(),
        UtcOffset::UTC,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("line 2, column \"failure_timestamp\""),
        "{err}"
    );
}

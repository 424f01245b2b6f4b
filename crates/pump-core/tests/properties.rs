//! Properties that must hold for every input, not just the examples.

use proptest::prelude::*;
use pump_core::*;
use time::{Duration, UtcOffset};

const GRADES: [&str; 6] = ["1B", "1E", "1U", "2B", "2U", "3B"];

fn evaluator(grade: &str, b: [f64; 4]) -> Evaluator {
    Evaluator {
        baseline: Baseline::new("P", b[0], b[1], b[2], b[3]),
        grade: ToleranceTable::builtin().grade(grade).unwrap().clone(),
        allowance: ParameterValues::empty(),
        running: RunningRule::default_for(None),
    }
}

fn status_of(e: &Evaluator, values: [f64; 4]) -> Status {
    let mut r = Reading::new(Timestamp::from_unix_seconds(0));
    for (p, v) in Parameter::ALL.into_iter().zip(values) {
        r = r.with(p, v);
    }
    match e.evaluate(&mut EvaluatorState::default(), &r) {
        Outcome::Evaluated(ev) => ev.status,
        Outcome::NotEvaluated { reason, .. } => panic!("{reason}"),
    }
}

proptest! {
    #[test]
    fn a_reading_equal_to_the_baseline_is_normal(
        grade in 0usize..6,
        b in prop::array::uniform4(0.01f64..10_000.0),
    ) {
        let e = evaluator(GRADES[grade], b);
        prop_assert_eq!(status_of(&e, b), Status::Normal);
    }

    #[test]
    fn a_worse_deviation_never_lowers_the_status(
        grade in 0usize..6,
        devs in prop::array::uniform4(-40.0f64..40.0),
        which in 0usize..4,
        extra in 0.0f64..60.0,
    ) {
        let e = evaluator(GRADES[grade], [100.0; 4]);
        let values = devs.map(|d| 100.0 + d);
        let mut worse = values;
        // Move one parameter further from its baseline, in the direction it already lies.
        worse[which] = 100.0 + devs[which] + extra * devs[which].signum();
        prop_assert!(status_of(&e, worse) >= status_of(&e, values));
    }

    #[test]
    fn the_same_key_is_never_reported_twice_within_the_window_unless_the_status_rose(
        steps in prop::collection::vec((0i64..90, 0usize..4, prop::collection::vec(0usize..5, 0..4)), 1..60),
    ) {
        let window = Duration::minutes(60);
        let mut d = Debounce::default();
        let mut t = Timestamp::from_unix_seconds(1_700_000_000);
        // (key, at, status, step) of every report, and the step of the last Normal reading.
        let mut reports: Vec<(AnomalyKey, Timestamp, Status, usize)> = Vec::new();
        let mut last_normal: Option<usize> = None;
        for (step, (gap, s, keys)) in steps.into_iter().enumerate() {
            t = t.plus(Duration::minutes(gap));
            let status = Status::ALL[s];
            let keys: Vec<AnomalyKey> = keys.into_iter().map(|k| AnomalyKey::ALL[k]).collect();
            if status == Status::Normal {
                last_normal = Some(step);
            }
            for key in d.decide(t, status, &keys, window) {
                prop_assert!(keys.contains(&key));
                if let Some(&(_, at, prev, when)) = reports.iter().rev().find(|r| r.0 == key) {
                    let reset = last_normal.is_some_and(|n| n > when);
                    prop_assert!(
                        t.since(at) >= window || status > prev || reset,
                        "{} reported at {} and again at {} with {:?} after {:?}", key, at, t, status, prev
                    );
                }
                reports.push((key, t, status, step));
            }
        }
    }

    #[test]
    fn the_sensor_csv_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_sensor_csv(bytes.as_slice(), &ColumnMapping::default(), UtcOffset::UTC);
    }

    #[test]
    fn the_sensor_csv_reader_never_panics_on_csv_like_text(
        rows in prop::collection::vec(prop::collection::vec("[0-9a-zA-Z:./ +-]{0,12}", 0..9), 0..30),
    ) {
        let mut text = String::from("timestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%),Motor Speed (rpm)\n");
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        if let Ok(data) = read_sensor_csv(text.as_bytes(), &ColumnMapping::default(), UtcOffset::UTC) {
            prop_assert!(data.readings.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
            for r in &data.readings {
                for (_, v) in r.values.iter() {
                    prop_assert!(v.is_finite());
                }
            }
        }
    }

    #[test]
    fn timestamps_written_read_back_as_themselves(secs in -2_000_000_000i64..4_000_000_000) {
        let t = Timestamp::from_unix_seconds(secs);
        prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()).unwrap(), t);
    }
}

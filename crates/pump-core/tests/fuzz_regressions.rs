//! Regression tests for crashes found with the fuzz targets (fuzz/, docs/FUZZING.md).
//!
//! Each test inlines the input that crashed, as bytes, and states what must hold instead.

use pump_core::*;
use time::UtcOffset;

fn read(bytes: &[u8], offset: UtcOffset) -> Result<SensorData, SensorCsvError> {
    read_sensor_csv(bytes, &ColumnMapping::default(), offset)
}

/// fuzz target `sensor_csv`: a timestamp whose UTC instant falls after 9999-12-31 panicked
/// in `Timestamp::parse` (`to_offset(UtcOffset::UTC)`: "local datetime out of valid
/// range", crates/pump-core/src/timestamp.rs) and took the whole edge run down. SPEC §2.1:
/// bad values never crash the program; a row without a valid timestamp is skipped.
#[test]
fn timestamp_past_year_9999_in_utc_skips_the_row_instead_of_panicking() {
    let input: &[u8] = b"timestamp\n9999-12-31T23:59:59-05:00\n";
    let result = std::panic::catch_unwind(|| read(input, UtcOffset::UTC));
    let result = result.expect("read_sensor_csv must not panic on 9999-12-31T23:59:59-05:00");
    match result {
        Err(SensorCsvError::NoUsableRow { rows: 1, .. }) => {}
        other => panic!("expected the only row to be skipped, got {other:?}"),
    }
}

/// Same crash through the default offset (`inference_settings.timezone_offset`): a local
/// time without an offset, taken at −05:00, is past 9999 in UTC.
#[test]
fn local_timestamp_past_year_9999_with_a_negative_default_offset_is_skipped() {
    let input: &[u8] = b"timestamp,Flow (gpm)\n12/31/9999 23:00,500\n2024-11-18 14:30:00,505\n";
    let minus_five = UtcOffset::from_hms(-5, 0, 0).unwrap();
    let data = std::panic::catch_unwind(|| read(input, minus_five))
        .expect("read_sensor_csv must not panic on 12/31/9999 23:00 at -05:00")
        .expect("the good row is read");
    assert_eq!(data.readings.len(), 1);
    assert_eq!(
        data.readings[0].timestamp.to_string(),
        "2024-11-18T19:30:00Z"
    );
    assert_eq!(data.skipped_rows.len(), 1);
    assert_eq!(data.skipped_rows[0].line, 2);
}

/// The parser itself: an out-of-range instant is an error, not a panic.
#[test]
fn timestamp_parse_refuses_instants_outside_years_0000_to_9999() {
    for text in [
        "9999-12-31T23:59:59-05:00",
        "9999-12-31 23:00:00-18:00",
        "12/31/9999 20:00-0400",
    ] {
        let parsed = std::panic::catch_unwind(|| Timestamp::parse(text, UtcOffset::UTC))
            .unwrap_or_else(|_| panic!("Timestamp::parse panicked on {text:?}"));
        assert!(parsed.is_err(), "{text:?} is outside the range: {parsed:?}");
    }
}

/// fuzz target `sensor_csv` (invariant "written timestamp reads back"): a timestamp whose UTC
/// instant falls before year 0 was accepted, and then printed in a non-RFC-3339 form
/// (`-0001-12-31 19:00:00.0 +00:00:00`, the fallback of `Display`) that the product itself
/// cannot read back. SPEC §2.1: every timestamp the product writes is RFC 3339 with `Z`.
/// Either the row is skipped, or its timestamp prints as RFC 3339 and reads back.
#[test]
fn timestamp_before_year_0_in_utc_is_skipped_or_prints_as_rfc3339() {
    let input: &[u8] = b"timestamp\n0000-01-01T00:00:00+05:00\n";
    match read(input, UtcOffset::UTC) {
        Err(SensorCsvError::NoUsableRow { .. }) => {}
        Ok(data) => {
            let t = data.readings[0].timestamp;
            let text = t.to_string();
            assert!(text.ends_with('Z'), "not RFC 3339 with Z: {text}");
            let back: Timestamp = text.parse().expect("a written timestamp reads back");
            assert_eq!(back, t);
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

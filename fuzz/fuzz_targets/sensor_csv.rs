//! The sensor CSV reader (SPEC §2.1) on arbitrary bytes, with the default column mapping
//! and with a mapping taken from the input itself.
//!
//! Input layout: the whole input is tried as a CSV with the default mapping and UTC. When
//! the input contains a NUL byte, the part before the first NUL is also read as
//! `column_mapping.json` and, if it parses, the part after it is read as a CSV with that
//! mapping (so the fuzzer can explore scales, differential head and renamed columns). The
//! first byte after the NUL also picks a UTC offset for timestamps without one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_core::{ColumnMapping, read_sensor_csv};
use time::UtcOffset;

fuzz_target!(|data: &[u8]| {
    check(data, &ColumnMapping::default(), UtcOffset::UTC);

    if let Some(split) = data.iter().position(|&b| b == 0) {
        let (mapping_bytes, rest) = (&data[..split], &data[split + 1..]);
        let Ok(mapping_text) = std::str::from_utf8(mapping_bytes) else {
            return;
        };
        let Ok((mapping, _warnings)) = ColumnMapping::from_json(mapping_text) else {
            return;
        };
        // A mapping written back must read back the same.
        let (again, _) = ColumnMapping::from_json(&mapping.to_json())
            .expect("a serialised mapping reads back");
        assert_eq!(again, mapping, "mapping round trip");
        let (offset, csv) = match rest.split_first() {
            // −18:00 … +18:00 in hours, the range of real (and typo) offsets.
            Some((&b, csv)) => (
                UtcOffset::from_hms((b % 37) as i8 - 18, 0, 0).unwrap_or(UtcOffset::UTC),
                csv,
            ),
            None => (UtcOffset::UTC, rest),
        };
        check(csv, &mapping, offset);
    }
});

fn check(csv: &[u8], mapping: &ColumnMapping, offset: UtcOffset) {
    let Ok(data) = read_sensor_csv(csv, mapping, offset) else {
        return;
    };
    // Invariants of SPEC §2.1: sorted by time, no repeated instant per pump, no value that
    // is not a finite number, no negative flow, power or speed.
    for pair in data.readings.windows(2) {
        assert!(pair[0].timestamp <= pair[1].timestamp, "readings sorted");
        assert!(
            !(pair[0].timestamp == pair[1].timestamp && pair[0].pump_id == pair[1].pump_id),
            "repeated instant kept twice"
        );
    }
    for r in &data.readings {
        for p in pump_core::Parameter::ALL {
            if let Some(v) = r.values.value(p) {
                assert!(v.is_finite(), "{p:?} not finite: {v}");
            }
        }
        for v in [r.suction, r.speed].into_iter().flatten() {
            assert!(v.is_finite(), "suction/speed not finite: {v}");
        }
        // Every timestamp the product writes is RFC 3339 with Z and reads back the same.
        let text = r.timestamp.to_string();
        let back: pump_core::Timestamp = text.parse().expect("written timestamp reads back");
        assert_eq!(back, r.timestamp);
    }
}

//! Regression tests for crashes found with the fuzz targets (fuzz/, docs/FUZZING.md).
//!
//! Each test inlines the input that crashed, as bytes, and states what must hold instead.

use pump_core::AnomalyPayload;
use pump_edge::spool::{DeliveryFailure, QUARANTINE_DIR, SPOOL_DIR, Spool, Submitter};

struct AcceptAll;

impl Submitter for AcceptAll {
    fn submit(&self, _payload: &AnomalyPayload) -> Result<(), DeliveryFailure> {
        Ok(())
    }
}

/// Delivers one spool file holding `bytes` with a submitter that accepts everything, as the
/// fuzz target `spool` does, and returns (delivered, quarantined) counts.
fn deliver_one(bytes: &[u8]) -> (usize, usize) {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join(SPOOL_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("20240101T000000Z_evt-x.json"), bytes).unwrap();
    let spool = Spool::open(state.path(), 10).unwrap();
    let report = std::panic::catch_unwind(|| spool.deliver(&AcceptAll))
        .expect("Spool::deliver must never panic on a spool file")
        .expect("no I/O error");
    assert!(spool.pending().unwrap().is_empty(), "nothing left behind");
    (report.delivered.len(), report.quarantined.len())
}

/// fuzz target `spool`: a spooled anomaly whose `timestamp` is past 9999-12-31 in UTC made
/// `Spool::deliver` panic while deserialising it (pump-core `Timestamp::parse`, through
/// `Deserialize for Timestamp`: "local datetime out of valid range") instead of
/// quarantining the file. One bad file in `unsent_anomalies/` then crashed every hourly run
/// at start-up, before any new reading was evaluated, until someone removed it by hand.
#[test]
fn spooled_anomaly_with_a_timestamp_past_9999_is_quarantined_not_a_panic() {
    let input: &[u8] = br#"{"sourceType": "log", "description": "Flow exceeded 15.0% (threshold: 10%)", "siteId": 35482,
 "pumpId": 1, "sensorId": 101, "timestamp": "9999-12-31T23:59:59-05:00", "logValue": 575.0,
 "additionalContext": {"event_id": "evt-00112233445566778899aabbccddeeff", "parameter": "flow",
   "status": "Warning", "tolerance_category": "1U",
   "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2},
   "baseline_values": {"flow": 500.0, "head": 150.0, "power": 75.0, "efficiency": 85.5},
   "current_values": {"flow": 575.0, "head": 154.8, "power": 81.375, "efficiency": 84.474}},
 "metadata": {"modelName": "pump-anomaly-detector", "modelVersion": "1.0.0",
   "framework": "smartcore"}}"#;
    let (delivered, quarantined) = deliver_one(input);
    assert_eq!((delivered, quarantined), (0, 1), "the file is quarantined");
}

/// The input libFuzzer saved (fuzz/artifacts/spool/crash-7c08f55c73b2548fc2f745bfc52f617be2ae2236,
/// 391 bytes, from `FUZZ_TARGETS=spool scripts/fuzz.sh 120`): a file edge-infer really spooled,
/// mutated with the dictionary token `"9999-12-31T23:59:59-05:00"` into its timestamp, and
/// otherwise broken JSON. serde reads the timestamp before it reaches the broken part, so the
/// panic comes first.
#[test]
fn libfuzzer_crash_7c08f55c_is_quarantined_not_a_panic() {
    let input: &[u8] = b"{\n\
        \x20\x20\"sourceType\": \"log\",\n\
        \x20\x20\"description\": \"Efficiency fell to -5.37% (threshold: -5%)\",\n\
        \x20\x20\"siteId\": 35482,\n\
        \x20\x20\"pumpId\": 7,\n\
        \x20\x20\"sensorId\": 104,\n\
        \x20\x20\"timestamp\": \"9999-12-31T23:59:59-05:00\"\"2024-01-16\xac\xd12:00:00Z\",\n\
        \x20\x20\"logValue\": 80.53,\n\
        \x20\x20\"additionalContext\": {\n\
        \x20\x20\x20\x20\"event_id\": \"evt-dc32c6e9de6567e2e23b718189bd57bb\",\n\
        \x20\x20\x20\x20\"parameter\": \"efficiency\",\n\
        \x20\x20\x20\x20\"status\": \"Warning\",\n\
        \x20\"c {\n\
        \x20\x20\x20\x20\"event_re\"\n\
        \x20\x20}\n\
        }";
    assert_eq!(input.len(), 391);
    assert_eq!(deliver_one(input), (0, 1));
}

/// The smallest form of the same crash: only the timestamp matters.
#[test]
fn minimal_spool_file_with_an_out_of_range_timestamp_is_quarantined() {
    let input: &[u8] = br#"{"timestamp":"9999-12-31 23:00-01:00"}"#;
    assert_eq!(deliver_one(input), (0, 1));
}

/// A quarantined file lands in `unsent_anomalies/quarantine/`, kept for the operator.
#[test]
fn quarantined_file_is_kept_for_the_operator() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join(SPOOL_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("20240101T000000Z_evt-x.json"), b"{not json").unwrap();
    let spool = Spool::open(state.path(), 10).unwrap();
    let report = spool.deliver(&AcceptAll).unwrap();
    assert_eq!(report.quarantined, vec!["20240101T000000Z_evt-x.json"]);
    assert!(
        dir.join(QUARANTINE_DIR)
            .join("20240101T000000Z_evt-x.json")
            .is_file()
    );
}

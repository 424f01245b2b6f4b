//! The spool reader (SPEC §5): the input is one file in `unsent_anomalies/`, delivered with
//! a submitter that accepts everything. Whatever the file holds, delivery must not panic:
//! a readable anomaly is delivered and removed, an unreadable file is quarantined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_core::AnomalyPayload;
use pump_edge::spool::{DeliveryFailure, SPOOL_DIR, Spool, Submitter};

struct AcceptAll;

impl Submitter for AcceptAll {
    fn submit(&self, payload: &AnomalyPayload) -> Result<(), DeliveryFailure> {
        // What the HTTP client and the spool do with a payload: serialise it (and it must
        // read back the same, or a re-spooled anomaly would change), name its file.
        let bytes = serde_json::to_vec(payload).expect("a payload serialises");
        let back: AnomalyPayload = serde_json::from_slice(&bytes).expect("and reads back");
        assert_eq!(&back, payload, "payload JSON round trip");
        let _ = Spool::file_name(payload);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let state = tempfile::tempdir().expect("temp dir");
    let spool_dir = state.path().join(SPOOL_DIR);
    std::fs::create_dir_all(&spool_dir).expect("spool dir");
    std::fs::write(spool_dir.join("20240101T000000Z_evt-x.json"), data).expect("write input");
    let spool = Spool::open(state.path(), 10).expect("spool opens");
    let report = spool.deliver(&AcceptAll).expect("delivery has no I/O error");
    assert_eq!(
        report.delivered.len() + report.quarantined.len(),
        1,
        "the file is either delivered or quarantined: {report:?}"
    );
    assert!(spool.pending().expect("listing").is_empty(), "nothing left behind");
});

//! The artifact reader (SPEC §4) on arbitrary bytes written as a ZIP file: open and verify
//! must refuse anything malformed with an error, never panic, never allocate without bound;
//! when an artifact does open, its config files are parsed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_artifact::{Artifact, PumpConfig};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("artifact.zip");
    std::fs::write(&path, data).expect("write input");
    if let Ok(artifact) = Artifact::open(&path) {
        let _ = artifact.summary().to_string();
        let _ = PumpConfig::from_artifact(&artifact, &|_| Some("x".into()));
        // Extraction of a verified artifact stays inside the target folder.
        let target = dir.path().join("out");
        if artifact.extract_to(&target).is_ok() {
            let _ = Artifact::open(&target).expect("an extracted artifact opens again");
        }
    }
});

//! The artifact's config files behind a *valid* ZIP: random bytes rarely get past the
//! checksums of `artifact_open`, so this target builds a well-formed artifact from the
//! input (the four config files, split at NUL bytes) with `ArtifactBuilder`, then opens it
//! and parses it with `PumpConfig::from_artifact`, as edge-infer does.
//!
//! Input layout: `baseline.json \0 tolerances.json \0 column_mapping.json \0
//! deployment_config.json`; missing parts are empty files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pump_artifact::{Artifact, ArtifactBuilder, PumpConfig, layout};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let mut builder = ArtifactBuilder::new("Pump 01", "1.0.0", "fuzz").expect("builder");
    for file in layout::REQUIRED_CONFIG {
        let bytes = parts.next().unwrap_or(&[]).to_vec();
        builder.add_file(file, bytes).expect("config file accepted");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("artifact.zip");
    builder.write_zip(&path).expect("builder writes the ZIP");
    let artifact = Artifact::open(&path).expect("a built artifact opens");
    let _ = PumpConfig::from_artifact(&artifact, &|_| Some("x".into()));
});

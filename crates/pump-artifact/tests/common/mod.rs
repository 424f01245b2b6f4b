//! Shared fixtures: a small complete artifact and a ZIP rewriter for hostile variants.
#![allow(dead_code)]

use pump_artifact::ArtifactBuilder;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

pub const BASELINE: &[u8] = br#"{"well_id": "Well 1", "tolerance_category": "1U"}"#;
pub const TOLERANCES: &[u8] = br#"{"categories": {}}"#;
pub const COLUMN_MAPPING: &[u8] = br#"{"flow": "Flow (gpm)"}"#;
pub const DEPLOYMENT: &[u8] = br#"{"api": {"base_url": "https://example.invalid/api/v1"}}"#;
pub const README: &[u8] = b"# Well 1\n\nCopy this folder to the edge box.\n";
pub const DETECTOR: &[u8] = b"\x00\x01detector-bytes\xff";
pub const SCALER: &[u8] = b"scaler-bytes";
pub const METADATA: &[u8] = br#"{"model_type": "random_forest"}"#;
pub const EDGE_BINARY: &[u8] = b"\x7fELF fake edge binary";

/// A tolerance-only artifact: the four config files and a README.
pub fn tolerance_only(version: &str) -> ArtifactBuilder {
    let mut b = ArtifactBuilder::new("Well 1", version, "packager 0.1.0").unwrap();
    b.add_file("config/baseline.json", BASELINE)
        .unwrap()
        .add_file("config/tolerances.json", TOLERANCES)
        .unwrap()
        .add_file("config/column_mapping.json", COLUMN_MAPPING)
        .unwrap()
        .add_file("config/deployment_config.json", DEPLOYMENT)
        .unwrap()
        .add_file("README.md", README)
        .unwrap();
    b
}

/// A full artifact: config, model, edge binary, README.
pub fn full(version: &str) -> ArtifactBuilder {
    let mut b = tolerance_only(version);
    b.add_file("model/anomaly_detector.postcard", DETECTOR)
        .unwrap()
        .add_file("model/scaler.postcard", SCALER)
        .unwrap()
        .add_file("model/model_metadata.json", METADATA)
        .unwrap()
        .add_executable("bin/edge-infer", EDGE_BINARY)
        .unwrap();
    b
}

/// Every file of `full` but the manifest, sorted by path.
pub fn full_files() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("README.md", README),
        ("bin/edge-infer", EDGE_BINARY),
        ("config/baseline.json", BASELINE),
        ("config/column_mapping.json", COLUMN_MAPPING),
        ("config/deployment_config.json", DEPLOYMENT),
        ("config/tolerances.json", TOLERANCES),
        ("model/anomaly_detector.postcard", DETECTOR),
        ("model/model_metadata.json", METADATA),
        ("model/scaler.postcard", SCALER),
    ]
}

/// The entries of a ZIP, in order, as (name, bytes).
pub fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().unwrap().into_owned(), bytes)
        })
        .collect()
}

/// A valid ZIP with `edit` applied to each entry (None drops it) and `extra` appended:
/// a well-formed archive whose contents no longer match its manifest.
pub fn rewrite(
    zip: &[u8],
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    for (name, bytes) in entries(zip) {
        if let Some(bytes) = edit(&name, bytes) {
            out.start_file(name.as_str(), options).unwrap();
            out.write_all(&bytes).unwrap();
        }
    }
    for (name, bytes) in extra {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Writes `bytes` to `name` in `dir` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The error text of opening `path`, which must fail.
pub fn open_error(path: &Path) -> String {
    match pump_artifact::Artifact::open(path) {
        Ok(a) => panic!("{} opened: {:?}", path.display(), a.manifest()),
        Err(e) => e.to_string(),
    }
}

/// Names of the entries of a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

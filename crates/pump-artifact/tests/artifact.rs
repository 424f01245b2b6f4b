//! Writing, opening and extracting well-formed artifacts.

mod common;

use common::*;
use pump_artifact::{
    Artifact, ArtifactBuilder, FORMAT_VERSION, Form, Manifest, Problem, sha256_hex,
};
use std::io::Cursor;
use std::path::Path;

#[test]
fn round_trip_keeps_every_file_and_the_manifest_fields() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("well1_v1.0.0.zip");
    let written = full("1.0.0").write_zip(&zip).unwrap();

    let artifact = Artifact::open(&zip).unwrap();
    assert_eq!(artifact.form(), Form::Zip);
    assert_eq!(artifact.manifest(), &written);
    let m = artifact.manifest();
    assert_eq!(m.format_version, 1);
    assert_eq!(m.pump, "Well 1");
    assert_eq!(m.version, "1.0.0");
    assert_eq!(m.tool, "packager 0.1.0");
    for (path, bytes) in full_files() {
        assert_eq!(artifact.file(path), Some(bytes), "{path}");
        assert_eq!(m.files[path].size, bytes.len() as u64, "{path}");
        assert_eq!(m.files[path].sha256, sha256_hex(bytes), "{path}");
    }
    assert_eq!(
        artifact.list().map(|(p, _)| p).collect::<Vec<_>>(),
        full_files().iter().map(|(p, _)| *p).collect::<Vec<_>>()
    );
    assert_eq!(artifact.file("manifest.json"), Some(m.to_json().as_slice()));
    assert_eq!(artifact.file("config/nothing.json"), None);

    assert!(artifact.has_model());
    let model = artifact.model().unwrap();
    assert_eq!(model.detector_path, "model/anomaly_detector.postcard");
    assert_eq!(model.detector, DETECTOR);
    assert_eq!(model.scaler_path, "model/scaler.postcard");
    assert_eq!(model.scaler, SCALER);
    assert_eq!(model.metadata, METADATA);

    let summary = artifact.summary();
    assert_eq!(summary.pump, "Well 1");
    assert_eq!(summary.version, "1.0.0");
    assert!(summary.has_model);
    assert!(summary.has_edge_binary);
    assert_eq!(summary.files.len(), 9);
    let total: usize = full_files().iter().map(|(_, b)| b.len()).sum();
    assert_eq!(summary.total_size, total as u64);
    let text = summary.to_string();
    assert!(text.starts_with(&format!("artifact {} (zip): verified\n", zip.display())));
    assert!(text.contains("  model:          yes\n"));
    assert!(text.contains(&format!(
        "    {:>10}  {}  config/baseline.json\n",
        BASELINE.len(),
        sha256_hex(BASELINE)
    )));
}

#[test]
fn tolerance_only_artifact_has_no_model() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("well1_v1.0.0.zip");
    tolerance_only("1.0.0").write_zip(&zip).unwrap();
    let artifact = Artifact::open(&zip).unwrap();
    assert!(!artifact.has_model());
    assert_eq!(artifact.model(), None);
    assert!(!artifact.summary().has_edge_binary);
    assert!(
        artifact
            .summary()
            .to_string()
            .contains("  model:          no (tolerance-only)\n")
    );
}

#[test]
fn same_inputs_give_identical_bytes_and_a_new_version_differs() {
    let first = full("1.0.0").to_zip_bytes().unwrap();
    // Added in the opposite order: the ZIP must not depend on it.
    let mut reversed = ArtifactBuilder::new("Well 1", "1.0.0", "packager 0.1.0").unwrap();
    for (path, bytes) in full_files().into_iter().rev() {
        reversed.add_file(path, bytes).unwrap();
    }
    assert_eq!(reversed.to_zip_bytes().unwrap(), first);

    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    full("1.0.0").write_zip(&a).unwrap();
    full("1.0.0").write_zip(&b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), first);
    assert_eq!(std::fs::read(&b).unwrap(), first);

    assert_ne!(full("1.0.1").to_zip_bytes().unwrap(), first);
}

#[test]
fn zip_entries_are_manifest_first_then_sorted_with_fixed_time_and_modes() {
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    let mut expected = vec!["manifest.json".to_string()];
    expected.extend(full_files().iter().map(|(p, _)| p.to_string()));
    assert_eq!(names, expected);
    for i in 0..archive.len() {
        let f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let time = f.last_modified().unwrap();
        assert_eq!(
            (time.year(), time.month(), time.day()),
            (1980, 1, 1),
            "{name}"
        );
        assert_eq!((time.hour(), time.minute(), time.second()), (0, 0, 0));
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
        let mode = if name == "bin/edge-infer" {
            0o100_755
        } else {
            0o100_644
        };
        assert_eq!(f.unix_mode(), Some(mode), "{name}");
    }
}

#[test]
fn write_zip_replaces_atomically_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("well1.zip");
    std::fs::write(&zip, b"old contents").unwrap();
    full("1.0.0").write_zip(&zip).unwrap();
    assert_eq!(listing(dir.path()), ["well1.zip"]);
    assert_eq!(Artifact::open(&zip).unwrap().manifest().version, "1.0.0");

    // A refused build leaves the previous artifact in place and no debris.
    let mut incomplete = ArtifactBuilder::new("Well 1", "2.0.0", "packager 0.1.0").unwrap();
    incomplete
        .add_file("config/baseline.json", BASELINE)
        .unwrap();
    let err = incomplete.write_zip(&zip).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "artifact {}: config/tolerances.json: required file missing",
            zip.display()
        )
    );
    assert_eq!(listing(dir.path()), ["well1.zip"]);
    assert_eq!(Artifact::open(&zip).unwrap().manifest().version, "1.0.0");
}

fn err<T>(result: Result<T, pump_artifact::ArtifactError>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_builder_refuses_bad_input_naming_it() {
    assert_eq!(
        err(ArtifactBuilder::new("Well 1", "1.0", "packager 0.1.0")),
        "artifact Well 1 v1.0: version \"1.0\" is not semver (expected MAJOR.MINOR.PATCH)"
    );
    assert_eq!(
        err(ArtifactBuilder::new("", "1.0.0", "packager 0.1.0")),
        "artifact  v1.0.0: pump \"\" is not valid (blank)"
    );
    let mut b = tolerance_only("1.0.0");
    assert_eq!(
        err(b.add_file("../evil", b"x".to_vec())),
        "artifact Well 1 v1.0.0: ../evil: unsafe path (`..` part)"
    );
    assert_eq!(
        err(b.add_file("/etc/x", b"x".to_vec())),
        "artifact Well 1 v1.0.0: /etc/x: unsafe path (absolute)"
    );
    assert_eq!(
        err(b.add_file("config\\baseline.json", b"x".to_vec())),
        "artifact Well 1 v1.0.0: config\\baseline.json: unsafe path (backslash; use forward slashes)"
    );
    assert!(
        err(b.add_file("notes.txt", b"x".to_vec()))
            .starts_with("artifact Well 1 v1.0.0: notes.txt: not part of the artifact layout (")
    );
    assert_eq!(
        err(b.add_file("config/baseline.json", b"x".to_vec())),
        "artifact Well 1 v1.0.0: config/baseline.json: appears more than once"
    );
    assert_eq!(
        err(b.add_file("manifest.json", b"{}".to_vec())),
        "artifact Well 1 v1.0.0: manifest.json: written by the builder, not added"
    );
    assert_eq!(
        err(b.add_executable("README2.md", b"x".to_vec())),
        "artifact Well 1 v1.0.0: README2.md: not an executable of the layout (only bin/edge-infer is)"
    );
    b.add_file("model/model_metadata.json", METADATA).unwrap();
    assert_eq!(
        err(b.to_zip_bytes()),
        "artifact Well 1 v1.0.0: model files incomplete: model/model_metadata.json present but \
         model/anomaly_detector.* missing (a model needs model/anomaly_detector.*, \
         model/scaler.* and model/model_metadata.json; a tolerance-only artifact has none of them)"
    );
}

#[test]
fn builder_caps_file_and_total_size() {
    let limits = pump_artifact::Limits {
        max_file_bytes: 100,
        max_total_bytes: 150,
        max_entries: 64,
    };
    let mut b = ArtifactBuilder::new("Well 1", "1.0.0", "packager 0.1.0")
        .unwrap()
        .with_limits(limits);
    let e = b
        .add_file("config/baseline.json", vec![b' '; 101])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "artifact Well 1 v1.0.0: config/baseline.json: 101 bytes or more, over the limit of 100 bytes per file"
    );
    b.add_file("config/baseline.json", vec![b' '; 100]).unwrap();
    let e = b
        .add_file("config/tolerances.json", vec![b' '; 51])
        .unwrap_err();
    assert!(matches!(
        e.problem(),
        Problem::TotalTooLarge {
            size: 151,
            limit: 150
        }
    ));
}

/// Opens `dir` and checks it holds what the ZIP `zip` holds.
fn assert_same_contents(zip: &Artifact, dir: &Path) {
    let opened = Artifact::open(dir).unwrap();
    assert_eq!(opened.form(), Form::Directory);
    assert_eq!(opened.manifest(), zip.manifest());
    for (path, _) in zip.list() {
        assert_eq!(opened.file(path), zip.file(path), "{path}");
    }
    assert_eq!(opened.file("manifest.json"), zip.file("manifest.json"));
    let (mut a, mut b) = (opened.summary(), zip.summary());
    assert_eq!((a.form, b.form), (Form::Directory, Form::Zip));
    a.artifact.clear();
    b.artifact.clear();
    a.form = Form::Zip;
    assert_eq!(a, b);
}

#[test]
fn the_extracted_folder_opens_and_verifies_like_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("well1.zip");
    full("1.0.0").write_zip(&zip_path).unwrap();
    let zip = Artifact::open(&zip_path).unwrap();
    let target = dir.path().join("deploy").join("well1");
    zip.extract_to(&target).unwrap();
    assert_eq!(
        listing(&target),
        ["README.md", "bin", "config", "manifest.json", "model"]
    );
    assert_eq!(listing(dir.path()), ["deploy", "well1.zip"]);
    assert_same_contents(&zip, &target);

    // edge-infer keeps its state beside the artifact by default: other top-level files and
    // folders are not part of the artifact and do not stop it opening.
    std::fs::write(target.join("state.json"), b"{}").unwrap();
    std::fs::create_dir(target.join("history")).unwrap();
    std::fs::write(target.join("history/2024.csv"), b"x").unwrap();
    assert_same_contents(&zip, &target);

    // Inside the artifact's own folders nothing extra is allowed.
    std::fs::write(target.join("config/extra.json"), b"{}").unwrap();
    assert!(open_error(&target).starts_with(&format!(
        "artifact {}: config/extra.json: not part of the artifact layout",
        target.display()
    )));
    std::fs::remove_file(target.join("config/extra.json")).unwrap();

    // A changed byte in the folder is caught like one in the ZIP.
    let baseline = target.join("config/baseline.json");
    let mut bytes = std::fs::read(&baseline).unwrap();
    bytes[0] = b'[';
    std::fs::write(&baseline, &bytes).unwrap();
    assert_eq!(
        open_error(&target),
        format!(
            "artifact {}: config/baseline.json: sha256 mismatch (manifest says {}, file has {})",
            target.display(),
            sha256_hex(BASELINE),
            sha256_hex(&bytes)
        )
    );
    std::fs::remove_file(&baseline).unwrap();
    assert_eq!(
        open_error(&target),
        format!(
            "artifact {}: config/baseline.json: listed in manifest.json but missing",
            target.display()
        )
    );
}

#[cfg(unix)]
#[test]
fn extraction_keeps_edge_infer_executable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = write(
        dir.path(),
        "well1.zip",
        &full("1.0.0").to_zip_bytes().unwrap(),
    );
    let target = dir.path().join("well1");
    pump_artifact::extract(&zip_path, &target).unwrap();
    let mode = |p: &str| {
        std::fs::metadata(target.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("bin/edge-infer"), 0o755);
    assert_eq!(mode("config/baseline.json"), 0o644);
    assert_eq!(mode("manifest.json"), 0o644);
    assert_eq!(mode("bin"), 0o755);
    assert_eq!(mode("model"), 0o755);
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o755
    );
}

#[test]
fn extraction_refuses_a_non_empty_target_and_fills_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = write(
        dir.path(),
        "well1.zip",
        &tolerance_only("1.0.0").to_zip_bytes().unwrap(),
    );
    let artifact = Artifact::open(&zip_path).unwrap();

    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), b"mine").unwrap();
    let err = artifact.extract_to(&busy).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "artifact {}: {}: already exists and is not an empty directory; refusing to overwrite",
            zip_path.display(),
            busy.display()
        )
    );
    assert_eq!(listing(&busy), ["keep.txt"]);
    assert_eq!(listing(dir.path()), ["busy", "well1.zip"]);

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    artifact.extract_to(&empty).unwrap();
    assert_eq!(listing(&empty), ["README.md", "config", "manifest.json"]);
    assert_eq!(listing(dir.path()), ["busy", "empty", "well1.zip"]);
}

#[test]
fn a_manifest_of_another_format_version_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let zip = tolerance_only("1.0.0").to_zip_bytes().unwrap();
    let newer = rewrite(
        &zip,
        |name, bytes| {
            if name == "manifest.json" {
                let text = String::from_utf8(bytes).unwrap();
                Some(
                    text.replace("\"format_version\": 1", "\"format_version\": 2")
                        .into_bytes(),
                )
            } else {
                Some(bytes)
            }
        },
        &[],
    );
    let path = write(dir.path(), "well1_v2.zip", &newer);
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: manifest.json: format_version 2 is not supported (this build reads \
             format_version {FORMAT_VERSION}); use a matching edge-infer or packager",
            path.display()
        )
    );
}

/// SPEC §4's original config files, packed and re-opened as they are.
#[test]
fn the_original_systems_config_files_pack_and_reopen() {
    let original = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/original"
    ));
    if !original.is_dir() {
        eprintln!(
            "skipping: the original system's files are not at {}",
            original.display()
        );
        return;
    }
    let read = |name: &str| std::fs::read(original.join(name)).unwrap();
    let config = [
        ("config/baseline.json", read("artifact_baseline.json")),
        (
            "config/column_mapping.json",
            read("artifact_column_mapping.json"),
        ),
        ("config/tolerances.json", read("tolerances.json")),
        (
            "config/deployment_config.json",
            read("deployment_config.json"),
        ),
    ];
    let metadata = read("artifact_model_metadata.json");
    let dir = tempfile::tempdir().unwrap();

    // Tolerance-only: the four config files as they are.
    let mut b = ArtifactBuilder::new("Well 1", "1.0.0", "packager 0.1.0").unwrap();
    for (path, bytes) in &config {
        b.add_file(path, bytes.clone()).unwrap();
    }
    // The metadata alone is not a model: all three model files or none.
    let mut partial = b.clone();
    partial
        .add_file("model/model_metadata.json", metadata.clone())
        .unwrap();
    assert!(matches!(
        partial.to_zip_bytes().unwrap_err().problem(),
        Problem::IncompleteModel { .. }
    ));
    let zip = dir.path().join("well1_v1.0.0.zip");
    b.write_zip(&zip).unwrap();
    let artifact = Artifact::open(&zip).unwrap();
    assert!(!artifact.has_model());
    for (path, bytes) in &config {
        assert_eq!(artifact.file(path), Some(bytes.as_slice()), "{path}");
    }
    let baseline: serde_json::Value =
        serde_json::from_slice(artifact.file("config/baseline.json").unwrap()).unwrap();
    assert_eq!(baseline["well_id"], "Well 1");
    assert_eq!(baseline["tolerance_category"], "1U");
    // And they parse, typed, through pump-core, as they are.
    let typed = pump_artifact::PumpConfig::from_artifact(&artifact, &|_| None).unwrap();
    assert_eq!(typed.baseline.pump_id, "Well 1");
    assert_eq!(typed.baseline.values.flow, Some(252.33));
    assert_eq!(typed.grade.name, "1U");
    assert_eq!(typed.deployment.site.site_id, 35482);
    assert!(
        !typed.deployment.api.bearer_token.is_configured(),
        "the original's placeholder token is not a token"
    );
    assert!(typed.warnings.is_empty(), "{:?}", typed.warnings);

    // With a model: the original metadata beside a detector and a scaler.
    let mut with_model = b.clone();
    with_model
        .add_file("model/anomaly_detector.postcard", DETECTOR)
        .unwrap()
        .add_file("model/scaler.postcard", SCALER)
        .unwrap()
        .add_file("model/model_metadata.json", metadata.clone())
        .unwrap();
    let zip = dir.path().join("well1_v1.0.0-model.zip");
    with_model.write_zip(&zip).unwrap();
    let artifact = Artifact::open(&zip).unwrap();
    assert_eq!(artifact.model().unwrap().metadata, metadata.as_slice());
    let target = dir.path().join("well1");
    artifact.extract_to(&target).unwrap();
    assert_eq!(
        std::fs::read(target.join("config/tolerances.json")).unwrap(),
        config[2].1
    );
    let reopened = Artifact::open(&target).unwrap();
    let manifest: &Manifest = reopened.manifest();
    assert_eq!(manifest, artifact.manifest());
}

/// A config file that pump-core refuses is named in the error.
#[test]
fn a_malformed_config_file_is_named() {
    let mut b = ArtifactBuilder::new("Well 1", "1.0.0", "packager 0.1.0").unwrap();
    b.add_file(
        "config/baseline.json",
        br#"{"well_id": "Well 1", "application": "Fountains", "baseline_flow": 1}"#.to_vec(),
    )
    .unwrap()
    .add_file("config/tolerances.json", TOLERANCES)
    .unwrap()
    .add_file("config/column_mapping.json", COLUMN_MAPPING)
    .unwrap()
    .add_file(
        "config/deployment_config.json",
        br#"{"api": {"base_url": "http://example.com/api/v1", "bearer_token": "t"},
             "site_info": {"site_id": 1, "pump_id": 1}}"#
            .to_vec(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("a.zip");
    b.write_zip(&zip).unwrap();
    let artifact = Artifact::open(&zip).unwrap();
    let err = pump_artifact::PumpConfig::from_artifact(&artifact, &|_| None).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("config/baseline.json: unknown application \"Fountains\""),
        "{err}"
    );
}

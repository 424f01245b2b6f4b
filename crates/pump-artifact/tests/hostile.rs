//! Tampered, truncated, corrupt and hostile artifacts: refused with the file named, never a
//! panic, nothing written outside the target.

mod common;

use common::*;
use proptest::prelude::*;
use pump_artifact::{Artifact, Limits, Problem, sha256_hex};
use std::io::{Cursor, Write};
use std::path::Path;
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

#[test]
fn a_changed_byte_in_a_stored_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let mut changed = BASELINE.to_vec();
    changed[2] = b'W'; // "well_id" → "Well_id": same size, other digest
    let tampered = rewrite(
        &zip,
        |name, bytes| {
            Some(if name == "config/baseline.json" {
                changed.clone()
            } else {
                bytes
            })
        },
        &[],
    );
    let path = write(dir.path(), "well1_v1.0.0.zip", &tampered);
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: config/baseline.json: sha256 mismatch (manifest says {}, file has {})",
            path.display(),
            sha256_hex(BASELINE),
            sha256_hex(&changed)
        )
    );
}

#[test]
fn a_file_of_another_size_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let tampered = rewrite(
        &zip,
        |name, mut bytes| {
            if name == "model/scaler.postcard" {
                bytes.push(b'!');
            }
            Some(bytes)
        },
        &[],
    );
    let path = write(dir.path(), "a.zip", &tampered);
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: model/scaler.postcard: size mismatch (manifest says 12 bytes, file has 13)",
            path.display()
        )
    );
}

#[test]
fn a_missing_listed_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let dropped = rewrite(
        &zip,
        |name, b| (name != "config/tolerances.json").then_some(b),
        &[],
    );
    let path = write(dir.path(), "a.zip", &dropped);
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: config/tolerances.json: listed in manifest.json but missing",
            path.display()
        )
    );
    let no_manifest = rewrite(&zip, |name, b| (name != "manifest.json").then_some(b), &[]);
    let path = write(dir.path(), "b.zip", &no_manifest);
    assert_eq!(
        open_error(&path),
        format!("artifact {}: manifest.json: missing", path.display())
    );
}

#[test]
fn an_unlisted_extra_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    // A layout file the manifest does not list.
    let without_readme = rewrite(&zip, |name, b| (name != "README.md").then_some(b), &[]);
    let listed_without_readme = {
        let mut builder = pump_artifact::ArtifactBuilder::new("Well 1", "1.0.0", "t 1").unwrap();
        for (p, bytes) in [
            ("config/baseline.json", BASELINE),
            ("config/tolerances.json", TOLERANCES),
            ("config/column_mapping.json", COLUMN_MAPPING),
            ("config/deployment_config.json", DEPLOYMENT),
        ] {
            builder.add_file(p, bytes).unwrap();
        }
        builder.to_zip_bytes().unwrap()
    };
    let extra = rewrite(
        &listed_without_readme,
        |_, b| Some(b),
        &[("README.md", b"surprise")],
    );
    let path = write(dir.path(), "a.zip", &extra);
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: README.md: present but not listed in manifest.json",
            path.display()
        )
    );
    // A file outside the layout.
    let outside = rewrite(
        &without_readme,
        |_, b| Some(b),
        &[("payload.sh", b"rm -rf /")],
    );
    let path = write(dir.path(), "b.zip", &outside);
    assert!(open_error(&path).starts_with(&format!(
        "artifact {}: payload.sh: not part of the artifact layout (",
        path.display()
    )));
}

#[test]
fn a_truncated_zip_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    for len in [
        0,
        1,
        21,
        22,
        100,
        zip.len() / 2,
        zip.len() - 22,
        zip.len() - 1,
    ] {
        let path = write(dir.path(), "cut.zip", &zip[..len]);
        let err = open_error(&path);
        assert!(
            err.starts_with(&format!("artifact {}: ", path.display())),
            "{len}: {err}"
        );
    }
    let path = write(dir.path(), "cut.zip", &zip[..zip.len() / 2]);
    assert!(open_error(&path).contains("not a readable ZIP archive"));
}

#[test]
fn every_single_flipped_byte_is_refused_or_changes_no_content() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let path = dir.path().join("flip.zip");
    let mut refused = 0;
    for i in 0..zip.len() {
        let mut bytes = zip.clone();
        bytes[i] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        match Artifact::open(&path) {
            Err(e) => {
                assert!(e.to_string().starts_with("artifact "), "{i}: {e}");
                refused += 1;
            }
            // Some header bytes (a timestamp, a "version made by") carry no content; a flip
            // there may open, but only ever with exactly the packaged files.
            Ok(a) => {
                for (name, content) in full_files() {
                    assert_eq!(a.file(name), Some(content), "byte {i} changed {name}");
                }
                assert_eq!(a.list().count(), full_files().len());
            }
        }
    }
    assert!(refused > zip.len() * 3 / 4, "{refused} of {}", zip.len());
}

#[test]
fn a_flipped_byte_in_stored_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = full("1.0.0").to_zip_bytes().unwrap();
    let mut bytes = zip.clone();
    // The middle of the archive lies in compressed file data.
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0xff;
    let path = write(dir.path(), "flipped.zip", &bytes);
    assert!(open_error(&path).starts_with(&format!("artifact {}: ", path.display())));
}

/// A ZIP with the given raw entries, written without any of the builder's checks.
fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let zip = tolerance_only("1.0.0").to_zip_bytes().unwrap();
    rewrite(&zip, |_, b| Some(b), entries)
}

fn assert_nothing_written_outside(root: &Path, zip_name: &str) {
    assert_eq!(listing(root), [zip_name]);
}

#[test]
fn zip_slip_entries_are_refused_by_open_and_extract() {
    for (evil, reason) in [
        ("../evil", "`..` part"),
        ("config/../../evil", "`..` part"),
        ("/etc/x", "absolute"),
        ("config\\..\\..\\evil", "backslash; use forward slashes"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "slip.zip", &raw_zip(&[(evil, b"owned")]));
        assert_eq!(
            open_error(&path),
            format!(
                "artifact {}: {evil}: unsafe path ({reason})",
                path.display()
            )
        );
        let target = dir.path().join("out");
        let err = pump_artifact::extract(&path, &target).unwrap_err();
        assert!(matches!(err.problem(), Problem::UnsafePath { .. }), "{err}");
        assert_nothing_written_outside(dir.path(), "slip.zip");
        assert!(!Path::new("/etc/x").exists());
    }
}

#[test]
fn a_symlink_entry_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zip = tolerance_only("1.0.0").to_zip_bytes().unwrap();
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries(&zip) {
        if name == "config/baseline.json" {
            out.add_symlink(name.as_str(), "/etc/passwd", SimpleFileOptions::default())
                .unwrap();
        } else {
            out.start_file(name.as_str(), SimpleFileOptions::default())
                .unwrap();
            out.write_all(&bytes).unwrap();
        }
    }
    let path = write(dir.path(), "link.zip", &out.finish().unwrap().into_inner());
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: config/baseline.json: is a symbolic link; artifacts hold regular files only",
            path.display()
        )
    );
    let err = pump_artifact::extract(&path, dir.path().join("out")).unwrap_err();
    assert!(matches!(err.problem(), Problem::Symlink { .. }));
    assert_nothing_written_outside(dir.path(), "link.zip");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_a_folder_artifact_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("well1");
    Artifact::open(write(
        dir.path(),
        "a.zip",
        &tolerance_only("1.0.0").to_zip_bytes().unwrap(),
    ))
    .unwrap()
    .extract_to(&target)
    .unwrap();
    let baseline = target.join("config/baseline.json");
    let real = dir.path().join("real_baseline.json");
    std::fs::write(&real, BASELINE).unwrap();
    std::fs::remove_file(&baseline).unwrap();
    std::os::unix::fs::symlink(&real, &baseline).unwrap();
    assert_eq!(
        open_error(&target),
        format!(
            "artifact {}: config/baseline.json: is a symbolic link; artifacts hold regular files only",
            target.display()
        )
    );
    // A linked folder is refused too.
    std::fs::remove_file(&baseline).unwrap();
    std::fs::rename(target.join("config"), dir.path().join("config")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("config"), target.join("config")).unwrap();
    assert!(
        open_error(&target)
            .ends_with("config: is a symbolic link; artifacts hold regular files only")
    );
}

#[test]
fn duplicate_entry_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = raw_zip(&[("README.mx", b"second")]);
    // Rename the extra entry in its local and central headers so two entries share a name.
    let from = b"README.mx";
    let mut i = 0;
    while i + from.len() <= zip.len() {
        if &zip[i..i + from.len()] == from {
            zip[i + from.len() - 1] = b'd';
        }
        i += 1;
    }
    let path = write(dir.path(), "dup.zip", &zip);
    assert!(open_error(&path).starts_with(&format!("artifact {}: ", path.display())));
    assert_eq!(
        open_error(&path),
        format!(
            "artifact {}: the ZIP lists an entry name more than once",
            path.display()
        )
    );
}

#[test]
fn oversized_entries_are_refused_by_declared_and_by_actual_size() {
    let dir = tempfile::tempdir().unwrap();
    let small = Limits {
        max_file_bytes: 1_000,
        max_total_bytes: 100_000,
        max_entries: 64,
    };
    // A bomb: 1 MB of zeros deflates to about a kilobyte.
    let bomb = vec![0_u8; 1_000_000];
    let path = write(
        dir.path(),
        "bomb.zip",
        &raw_zip(&[("bin/edge-infer", &bomb)]),
    );
    assert!(std::fs::metadata(&path).unwrap().len() < 10_000);
    let err = Artifact::open_with_limits(&path, small).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "artifact {}: bin/edge-infer: 1000000 bytes or more, over the limit of 1000 bytes per file",
            path.display()
        )
    );

    // The same bomb whose headers claim 10 bytes: refused once reading passes the limit or
    // the declared size, whichever the reader meets first.
    let mut lying = std::fs::read(&path).unwrap();
    patch_uncompressed_size(&mut lying, b"bin/edge-infer", 10);
    let path = write(dir.path(), "lying.zip", &lying);
    let err = Artifact::open_with_limits(&path, small).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("artifact {}: bin/edge-infer: ", path.display())),
        "{err}"
    );

    // Many files, each within the per-file limit, over the total.
    let total = Limits {
        max_file_bytes: 10_000,
        max_total_bytes: 1_500,
        max_entries: 64,
    };
    let path = write(
        dir.path(),
        "full.zip",
        &full("1.0.0").to_zip_bytes().unwrap(),
    );
    assert!(matches!(
        Artifact::open_with_limits(&path, total)
            .unwrap_err()
            .problem(),
        Problem::TotalTooLarge { limit: 1_500, .. }
    ));
    let few = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    assert_eq!(
        Artifact::open_with_limits(&path, few)
            .unwrap_err()
            .to_string(),
        format!(
            "artifact {}: 10 entries, over the limit of 5",
            path.display()
        )
    );
}

/// Rewrites the uncompressed-size field of the entry `name` in its local header (offset 22)
/// and its central header (offset 24).
fn patch_uncompressed_size(zip: &mut [u8], name: &[u8], size: u32) {
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let sig = &zip[i..i + 4];
        let (name_at, size_at) = if sig == b"PK\x03\x04" {
            (30, 22)
        } else if sig == b"PK\x01\x02" {
            (46, 24)
        } else {
            continue;
        };
        if zip.get(i + name_at..i + name_at + name.len()) == Some(name) {
            zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2);
}

#[test]
fn an_empty_zip_and_a_non_zip_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = ZipWriter::new(Cursor::new(Vec::new()))
        .finish()
        .unwrap()
        .into_inner();
    let path = write(dir.path(), "empty.zip", &empty);
    assert_eq!(
        open_error(&path),
        format!("artifact {}: manifest.json: missing", path.display())
    );
    let path = write(dir.path(), "text.zip", b"this is not a zip file at all");
    assert!(open_error(&path).starts_with(&format!(
        "artifact {}: not a readable ZIP archive: ",
        path.display()
    )));
    let missing = dir.path().join("absent.zip");
    assert!(
        open_error(&missing).starts_with(&format!("artifact {}: cannot open: ", missing.display()))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "any.zip", &bytes);
        prop_assert!(Artifact::open(&path).is_err());
    }

    #[test]
    fn arbitrary_edits_of_a_real_artifact_never_panic_nor_pass_changed_content(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = full("1.0.0").to_zip_bytes().unwrap();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let path = write(dir.path(), "edited.zip", &bytes);
        if let Ok(a) = Artifact::open(&path) {
            for (name, content) in full_files() {
                prop_assert_eq!(a.file(name), Some(content));
            }
        }
    }
}

//! `manifest.json`: what the artifact is and the sha256 of every other file.

use crate::error::Problem;
use crate::layout;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The manifest format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Longest pump name or tool text accepted.
const MAX_TEXT_LEN: usize = 200;

/// The contents of `manifest.json`.
///
/// Fields are declared in alphabetical order and files are a sorted map, so the pretty JSON
/// has sorted keys and the same manifest always serialises to the same bytes. There is no
/// creation time: it would make every rebuild differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Every file of the artifact except `manifest.json`, by path.
    pub files: BTreeMap<String, FileEntry>,
    /// The manifest format, [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The pump (well id) the artifact is for, e.g. `Well 1`.
    pub pump: String,
    /// What made the artifact, e.g. `packager 0.1.0`.
    pub tool: String,
    /// The artifact's version, semver text, e.g. `1.0.0`.
    pub version: String,
}

/// Size and digest of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl FileEntry {
    /// The entry describing `bytes`.
    pub fn of(bytes: &[u8]) -> FileEntry {
        FileEntry {
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
        }
    }
}

impl Manifest {
    /// The manifest as written into the artifact: pretty JSON, sorted keys, final newline.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings, integers and a string-keyed map cannot fail to serialise.
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses and validates `manifest.json`: a known `format_version`, semver version, valid
    /// pump and tool text, and file paths that are safe and part of the layout (never
    /// `manifest.json` itself), each with a 64-digit lowercase hex sha256.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, Problem> {
        let bad = |reason: String| Problem::BadManifest(reason);
        // The format version is read first and alone, so that a newer manifest is reported
        // as a newer format rather than as whatever field it added.
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        match value.get("format_version") {
            None => return Err(bad("no format_version".to_string())),
            Some(v) => match v.as_u64() {
                Some(found) if found == u64::from(FORMAT_VERSION) => {}
                Some(found) => {
                    return Err(Problem::UnsupportedFormatVersion {
                        found,
                        supported: FORMAT_VERSION,
                    });
                }
                None => return Err(bad(format!("format_version {v} is not a whole number"))),
            },
        }
        let manifest: Manifest = serde_json::from_value(value).map_err(|e| bad(format!("{e}")))?;
        check_version(&manifest.version)?;
        check_text("pump", &manifest.pump)?;
        check_text("tool", &manifest.tool)?;
        for (path, entry) in &manifest.files {
            if path == layout::MANIFEST {
                return Err(bad("lists manifest.json itself".to_string()));
            }
            layout::slot(path).map_err(|p| bad(format!("lists {p}")))?;
            if !is_sha256_hex(&entry.sha256) {
                return Err(bad(format!(
                    "{path}: sha256 {:?} is not 64 lowercase hex digits",
                    entry.sha256
                )));
            }
        }
        Ok(manifest)
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Checks a pump name or tool text: not blank, at most 200 bytes, no control characters.
pub(crate) fn check_text(field: &'static str, value: &str) -> Result<(), Problem> {
    let invalid = |reason| {
        Err(Problem::InvalidField {
            field,
            value: value.to_string(),
            reason,
        })
    };
    if value.trim().is_empty() {
        return invalid("blank");
    }
    if value.len() > MAX_TEXT_LEN {
        return invalid("longer than 200 bytes");
    }
    if value.chars().any(char::is_control) {
        return invalid("control character");
    }
    Ok(())
}

/// Checks semver 2.0.0 text: `MAJOR.MINOR.PATCH`, numbers without leading zeros, optional
/// `-pre.release` and `+build.meta` of ASCII alphanumerics and hyphens.
pub fn check_version(version: &str) -> Result<(), Problem> {
    let invalid = |reason| {
        Err(Problem::InvalidVersion {
            version: version.to_string(),
            reason,
        })
    };
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return invalid("expected MAJOR.MINOR.PATCH");
    }
    for n in numbers {
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return invalid("MAJOR, MINOR and PATCH must be numbers");
        }
        if n.len() > 1 && n.starts_with('0') {
            return invalid("leading zero");
        }
        if n.parse::<u64>().is_err() {
            return invalid("number too large");
        }
    }
    let identifiers_ok = |text: &str, numeric_rule: bool| {
        text.split('.').all(|id| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !(numeric_rule
                    && id.len() > 1
                    && id.starts_with('0')
                    && id.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if pre.is_some_and(|p| !identifiers_ok(p, true)) {
        return invalid("bad pre-release part");
    }
    if build.is_some_and(|b| !identifiers_ok(b, false)) {
        return invalid("bad build part");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_fips_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn semver_accepts_and_refuses() {
        for ok in [
            "1.0.0",
            "0.1.0",
            "10.20.30",
            "1.0.0-rc.1",
            "1.0.0-alpha-1+build.5",
            "1.2.3+20240101",
        ] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        let reason = |v: &str| match check_version(v) {
            Err(Problem::InvalidVersion { reason, .. }) => reason,
            other => panic!("{v}: {other:?}"),
        };
        assert_eq!(reason("1.0"), "expected MAJOR.MINOR.PATCH");
        assert_eq!(reason("v1.0.0"), "MAJOR, MINOR and PATCH must be numbers");
        assert_eq!(reason("01.0.0"), "leading zero");
        assert_eq!(reason("1.0.0-"), "bad pre-release part");
        assert_eq!(reason("1.0.0-01"), "bad pre-release part");
        assert_eq!(reason("1.0.0+"), "bad build part");
        assert_eq!(reason("1.0.0 "), "MAJOR, MINOR and PATCH must be numbers");
        assert_eq!(reason("99999999999999999999.0.0"), "number too large");
    }

    fn manifest() -> Manifest {
        Manifest {
            files: BTreeMap::from([("config/baseline.json".to_string(), FileEntry::of(b"{}"))]),
            format_version: FORMAT_VERSION,
            pump: "Well 1".to_string(),
            tool: "packager 0.1.0".to_string(),
            version: "1.0.0".to_string(),
        }
    }

    #[test]
    fn manifest_json_has_sorted_keys_and_round_trips() {
        let json = String::from_utf8(manifest().to_json()).unwrap();
        assert_eq!(
            json,
            r#"{
  "files": {
    "config/baseline.json": {
      "sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      "size": 2
    }
  },
  "format_version": 1,
  "pump": "Well 1",
  "tool": "packager 0.1.0",
  "version": "1.0.0"
}
"#
        );
        assert_eq!(Manifest::from_json(json.as_bytes()).unwrap(), manifest());
    }

    #[test]
    fn another_format_version_is_a_clear_error() {
        let json = String::from_utf8(manifest().to_json())
            .unwrap()
            .replace("\"format_version\": 1", "\"format_version\": 2");
        assert_eq!(
            Manifest::from_json(json.as_bytes())
                .unwrap_err()
                .to_string(),
            "manifest.json: format_version 2 is not supported (this build reads format_version 1); \
             use a matching edge-infer or packager"
        );
    }

    #[test]
    fn bad_manifests_are_refused() {
        let text = String::from_utf8(manifest().to_json()).unwrap();
        let cases = [
            (
                text.replace("1.0.0", "1.0"),
                "version \"1.0\" is not semver (expected MAJOR.MINOR.PATCH)",
            ),
            (
                text.replace("config/baseline.json", "../x"),
                "manifest.json: lists ../x: unsafe path (`..` part)",
            ),
            (
                text.replace("config/baseline.json", "manifest.json"),
                "manifest.json: lists manifest.json itself",
            ),
            (
                text.replace("44136fa3", "44136FA3"),
                "manifest.json: config/baseline.json: sha256 \"44136FA355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\" is not 64 lowercase hex digits",
            ),
            (
                text.replace("\"pump\": \"Well 1\"", "\"pump\": \" \""),
                "pump \" \" is not valid (blank)",
            ),
            ("[]".to_string(), "manifest.json: no format_version"),
            (
                "{".to_string(),
                "manifest.json: not JSON: EOF while parsing an object at line 1 column 1",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(
                Manifest::from_json(json.as_bytes())
                    .unwrap_err()
                    .to_string(),
                expected
            );
        }
        let extra = text.replacen('{', "{\n  \"created\": \"now\",", 1);
        assert!(
            Manifest::from_json(extra.as_bytes())
                .unwrap_err()
                .to_string()
                .starts_with("manifest.json: unknown field `created`")
        );
    }
}

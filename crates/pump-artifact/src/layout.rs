//! The SPEC §4 layout: which paths an artifact may hold, which it must hold, and their modes.

use crate::error::{EntryName, Problem};

/// The manifest, always the first entry of the ZIP.
pub const MANIFEST: &str = "manifest.json";
/// Deployment instructions for the artifact. Optional: its absence does not stop a pump
/// being monitored.
pub const README: &str = "README.md";
/// Baseline parameters and tolerance category (the original system's keys).
pub const BASELINE: &str = "config/baseline.json";
/// Tolerance grades (SPEC §3.2 format).
pub const TOLERANCES: &str = "config/tolerances.json";
/// CSV column names per parameter.
pub const COLUMN_MAPPING: &str = "config/column_mapping.json";
/// API, site and reporting settings.
pub const DEPLOYMENT_CONFIG: &str = "config/deployment_config.json";
/// Model information and held-out metrics.
pub const MODEL_METADATA: &str = "model/model_metadata.json";
/// The edge binary for the target, optional.
pub const EDGE_BINARY: &str = "bin/edge-infer";

/// Prefix of the trained model's file; the extension names its encoding.
pub const DETECTOR_PREFIX: &str = "model/anomaly_detector.";
/// Prefix of the feature scaler's file; the extension names its encoding.
pub const SCALER_PREFIX: &str = "model/scaler.";

/// The config files every artifact carries, so that what runs at a site is exactly what was
/// packaged and checksummed, never a built-in default of whichever edge-infer is installed.
pub const REQUIRED_CONFIG: [&str; 4] = [BASELINE, TOLERANCES, COLUMN_MAPPING, DEPLOYMENT_CONFIG];

/// The directories of the layout; ZIPs made by other tools may list them as entries.
pub(crate) const DIRECTORIES: [&str; 3] = ["config", "model", "bin"];

/// Longest path accepted; the layout's own paths are far shorter.
const MAX_PATH_LEN: usize = 200;

/// Unix mode of regular files when written or extracted.
pub(crate) const FILE_MODE: u32 = 0o644;
/// Unix mode of executables and directories.
pub(crate) const EXEC_MODE: u32 = 0o755;

/// The place a path takes in the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Manifest,
    Readme,
    Config,
    Detector,
    Scaler,
    ModelMetadata,
    EdgeBinary,
}

impl Slot {
    /// The mode follows from the slot, not from the caller or the ZIP, so that the ZIP bytes
    /// and an extracted folder look the same whoever made them.
    pub(crate) fn mode(self) -> u32 {
        match self {
            Slot::EdgeBinary => EXEC_MODE,
            _ => FILE_MODE,
        }
    }
}

/// Checks that `path` is a safe relative path with forward slashes: not empty, not absolute,
/// no backslash, no `.` or `..` or empty part, no control character, no drive letter.
pub(crate) fn check_safe(path: &str) -> Result<(), Problem> {
    let unsafe_path = |reason| {
        Err(Problem::UnsafePath {
            path: EntryName::from(path),
            reason,
        })
    };
    if path.is_empty() {
        return unsafe_path("empty");
    }
    if path.len() > MAX_PATH_LEN {
        return unsafe_path("longer than 200 bytes");
    }
    if path.starts_with('/') {
        return unsafe_path("absolute");
    }
    if path.contains('\\') {
        return unsafe_path("backslash; use forward slashes");
    }
    if path.contains(':') {
        return unsafe_path("colon, as in a drive letter");
    }
    if path.chars().any(char::is_control) {
        return unsafe_path("control character");
    }
    for part in path.split('/') {
        match part {
            "" => return unsafe_path("empty part"),
            "." => return unsafe_path("`.` part"),
            ".." => return unsafe_path("`..` part"),
            _ => {}
        }
    }
    Ok(())
}

/// The slot of a safe path, or `NotInLayout`.
pub(crate) fn slot(path: &str) -> Result<Slot, Problem> {
    check_safe(path)?;
    let slot = match path {
        MANIFEST => Some(Slot::Manifest),
        README => Some(Slot::Readme),
        BASELINE | TOLERANCES | COLUMN_MAPPING | DEPLOYMENT_CONFIG => Some(Slot::Config),
        MODEL_METADATA => Some(Slot::ModelMetadata),
        EDGE_BINARY => Some(Slot::EdgeBinary),
        _ => {
            if path.strip_prefix(DETECTOR_PREFIX).is_some_and(is_extension) {
                Some(Slot::Detector)
            } else if path.strip_prefix(SCALER_PREFIX).is_some_and(is_extension) {
                Some(Slot::Scaler)
            } else {
                None
            }
        }
    };
    slot.ok_or_else(|| Problem::NotInLayout {
        path: EntryName::from(path),
    })
}

/// A model file's extension: `postcard`, `json`, `tar.gz`, … — short, plain ASCII.
fn is_extension(ext: &str) -> bool {
    !ext.is_empty()
        && ext.len() <= 32
        && !ext.starts_with('.')
        && ext
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// Checks the whole set of paths (sorted, excluding nothing): required config present, at
/// most one file per model slot, model files all present or all absent. Returns whether
/// a model is present.
pub(crate) fn check_complete<'a>(
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<bool, Problem> {
    let mut detector: Option<&str> = None;
    let mut scaler: Option<&str> = None;
    let mut metadata = false;
    let mut config_seen = [false; REQUIRED_CONFIG.len()];
    for path in paths {
        let one_only = |seen: &mut Option<&'a str>| match seen {
            Some(first) => Err(Problem::AmbiguousModel {
                first: first.to_string(),
                second: path.to_string(),
            }),
            None => {
                *seen = Some(path);
                Ok(())
            }
        };
        match slot(path)? {
            Slot::Detector => one_only(&mut detector)?,
            Slot::Scaler => one_only(&mut scaler)?,
            Slot::ModelMetadata => metadata = true,
            Slot::Config => {
                if let Some(i) = REQUIRED_CONFIG.iter().position(|c| *c == path) {
                    config_seen[i] = true;
                }
            }
            Slot::Manifest | Slot::Readme | Slot::EdgeBinary => {}
        }
    }
    if let Some(i) = config_seen.iter().position(|seen| !seen) {
        return Err(Problem::MissingRequired {
            path: REQUIRED_CONFIG[i],
        });
    }
    let model_parts = [
        (detector.map(str::to_string), "model/anomaly_detector.*"),
        (scaler.map(str::to_string), "model/scaler.*"),
        (metadata.then(|| MODEL_METADATA.to_string()), MODEL_METADATA),
    ];
    let present = model_parts.iter().find_map(|(p, _)| p.clone());
    let missing = model_parts
        .iter()
        .find(|(p, _)| p.is_none())
        .map(|(_, name)| *name);
    match (present, missing) {
        (Some(present), Some(missing)) => Err(Problem::IncompleteModel { present, missing }),
        (present, _) => Ok(present.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(path: &str) -> &'static str {
        match check_safe(path) {
            Err(Problem::UnsafePath { reason, .. }) => reason,
            other => panic!("{path:?}: expected UnsafePath, got {other:?}"),
        }
    }

    #[test]
    fn unsafe_paths_are_refused_with_their_rule() {
        assert_eq!(reason(""), "empty");
        assert_eq!(reason("/etc/passwd"), "absolute");
        assert_eq!(reason("../evil"), "`..` part");
        assert_eq!(reason("config/../../evil"), "`..` part");
        assert_eq!(reason("./config/baseline.json"), "`.` part");
        assert_eq!(reason("config//baseline.json"), "empty part");
        assert_eq!(reason("config/"), "empty part");
        assert_eq!(
            reason("config\\baseline.json"),
            "backslash; use forward slashes"
        );
        assert_eq!(reason("C:/x"), "colon, as in a drive letter");
        assert_eq!(reason("config/a\nb"), "control character");
        assert_eq!(reason(&"a".repeat(201)), "longer than 200 bytes");
    }

    #[test]
    fn layout_slots() {
        assert_eq!(slot("manifest.json").unwrap(), Slot::Manifest);
        assert_eq!(slot("config/tolerances.json").unwrap(), Slot::Config);
        assert_eq!(
            slot("model/anomaly_detector.postcard").unwrap(),
            Slot::Detector
        );
        assert_eq!(slot("model/scaler.json").unwrap(), Slot::Scaler);
        assert_eq!(slot("bin/edge-infer").unwrap(), Slot::EdgeBinary);
        assert_eq!(Slot::EdgeBinary.mode(), 0o755);
        assert_eq!(Slot::Config.mode(), 0o644);
        for outside in [
            "config/extra.json",
            "model/anomaly_detector.",
            "model/anomaly_detector..x",
            "model/scaler.a b",
            "bin/other",
            "notes.txt",
            "config",
        ] {
            assert!(
                matches!(slot(outside), Err(Problem::NotInLayout { .. })),
                "{outside}"
            );
        }
    }

    const CONFIG: [&str; 4] = REQUIRED_CONFIG;

    #[test]
    fn tolerance_only_and_full_model_are_complete() {
        assert!(!check_complete(CONFIG).unwrap());
        let with_model = [
            &CONFIG[..],
            &[
                "model/anomaly_detector.postcard",
                "model/scaler.postcard",
                MODEL_METADATA,
            ],
        ]
        .concat();
        assert!(check_complete(with_model).unwrap());
    }

    #[test]
    fn missing_config_names_the_file() {
        let err = check_complete([BASELINE, COLUMN_MAPPING, DEPLOYMENT_CONFIG]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config/tolerances.json: required file missing"
        );
    }

    #[test]
    fn partial_model_is_refused() {
        let paths = [&CONFIG[..], &[MODEL_METADATA]].concat();
        assert_eq!(
            check_complete(paths).unwrap_err().to_string(),
            "model files incomplete: model/model_metadata.json present but \
             model/anomaly_detector.* missing (a model needs model/anomaly_detector.*, \
             model/scaler.* and model/model_metadata.json; a tolerance-only artifact has \
             none of them)"
        );
        let two = [
            &CONFIG[..],
            &["model/anomaly_detector.a", "model/anomaly_detector.b"],
        ]
        .concat();
        assert_eq!(
            check_complete(two).unwrap_err().to_string(),
            "model/anomaly_detector.b: a second file for the slot of model/anomaly_detector.a; keep one"
        );
    }
}

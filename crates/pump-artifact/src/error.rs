//! Errors: one line, naming the artifact and, where there is one, the file inside it.

use std::fmt;

/// Everything that can go wrong writing, opening, verifying or extracting an artifact.
///
/// Displays as one line: `artifact <name>: <file>: <problem>`, for example
/// `artifact well1_v1.0.0.zip: config/baseline.json: sha256 mismatch (manifest says …, file has …)`.
/// The artifact is named as the caller named it (the path given to [`crate::Artifact::open`]
/// or [`crate::ArtifactBuilder::write_zip`], or `<pump> v<version>` while building).
#[derive(Debug, thiserror::Error)]
#[error("artifact {artifact}: {problem}")]
pub struct ArtifactError {
    artifact: String,
    #[source]
    problem: Problem,
}

impl ArtifactError {
    pub(crate) fn new(artifact: impl Into<String>, problem: Problem) -> Self {
        ArtifactError {
            artifact: artifact.into(),
            problem,
        }
    }

    /// The artifact as the caller named it.
    pub fn artifact(&self) -> &str {
        &self.artifact
    }

    /// The problem alone, to name the artifact differently (the builder's label becomes the
    /// destination path).
    pub(crate) fn into_problem(self) -> Problem {
        self.problem
    }

    /// What went wrong, to match on.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

/// A file name as it appeared in a ZIP entry or directory, safe to print: control characters
/// are escaped so that a hostile name cannot rewrite the operator's terminal or log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryName(pub String);

impl EntryName {
    pub(crate) fn lossy(raw: &[u8]) -> Self {
        EntryName(String::from_utf8_lossy(raw).into_owned())
    }
}

impl fmt::Display for EntryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl From<&str> for EntryName {
    fn from(s: &str) -> Self {
        EntryName(s.to_string())
    }
}

/// The kinds of failure. Variants carrying `path` name the file inside the artifact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Reading or writing the artifact (or a file of it) on disk failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the file if there is one.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a ZIP archive that can be read: truncated, corrupt or not a ZIP at all.
    #[error("not a readable ZIP archive: {0}")]
    NotZip(#[source] zip::result::ZipError),
    /// One entry of the ZIP could not be read (bad compressed data, CRC mismatch, …).
    #[error("{path}: corrupt ZIP entry: {source}")]
    CorruptEntry {
        /// The entry.
        path: EntryName,
        /// The ZIP reader's error.
        source: zip::result::ZipError,
    },
    /// The path is not a safe relative path (absolute, `..`, backslash, empty part, …).
    #[error("{path}: unsafe path ({reason})")]
    UnsafePath {
        /// The path as given.
        path: EntryName,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The path is safe but is no file of the SPEC §4 layout.
    #[error(
        "{path}: not part of the artifact layout (manifest.json, README.md, \
         config/{{baseline,tolerances,column_mapping,deployment_config}}.json, \
         model/{{anomaly_detector.*,scaler.*,model_metadata.json}}, bin/edge-infer)"
    )]
    NotInLayout {
        /// The path.
        path: EntryName,
    },
    /// A symbolic link where a file was expected.
    #[error("{path}: is a symbolic link; artifacts hold regular files only")]
    Symlink {
        /// The link.
        path: EntryName,
    },
    /// Something that is neither a regular file nor an allowed directory (device, FIFO, …).
    #[error("{path}: not a regular file")]
    NotRegularFile {
        /// The entry.
        path: EntryName,
    },
    /// An encrypted ZIP entry; artifacts are never encrypted.
    #[error("{path}: encrypted ZIP entry")]
    Encrypted {
        /// The entry.
        path: EntryName,
    },
    /// The same name twice (in the ZIP, or added twice to a builder).
    #[error("{path}: appears more than once")]
    Duplicate {
        /// The name.
        path: EntryName,
    },
    /// The ZIP's central directory names one entry more than once.
    #[error("the ZIP lists an entry name more than once")]
    DuplicateNames,
    /// One file is larger than the per-file limit (declared or actual size).
    #[error("{path}: {size} bytes or more, over the limit of {limit} bytes per file")]
    FileTooLarge {
        /// The file.
        path: EntryName,
        /// Its size as far as it was read or declared.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// All files together are larger than the total limit.
    #[error("contents total {size} bytes or more, over the limit of {limit} bytes")]
    TotalTooLarge {
        /// The total so far.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// More entries than the limit.
    #[error("{count} entries, over the limit of {limit}")]
    TooManyEntries {
        /// Entries found.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// `manifest.json` is absent.
    #[error("manifest.json: missing")]
    MissingManifest,
    /// `manifest.json` is present but not a valid manifest.
    #[error("manifest.json: {0}")]
    BadManifest(String),
    /// The manifest's `format_version` is not one this build reads.
    #[error(
        "manifest.json: format_version {found} is not supported (this build reads format_version {supported}); use a matching edge-infer or packager"
    )]
    UnsupportedFormatVersion {
        /// The version in the manifest.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// A file listed in the manifest is absent.
    #[error("{path}: listed in manifest.json but missing")]
    MissingFile {
        /// The file.
        path: String,
    },
    /// A file is present but not listed in the manifest.
    #[error("{path}: present but not listed in manifest.json")]
    UnlistedFile {
        /// The file.
        path: String,
    },
    /// A file's size differs from the manifest.
    #[error("{path}: size mismatch (manifest says {expected} bytes, file has {actual})")]
    SizeMismatch {
        /// The file.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// Size found.
        actual: u64,
    },
    /// A file's sha256 differs from the manifest: the file was changed after packaging.
    #[error("{path}: sha256 mismatch (manifest says {expected}, file has {actual})")]
    ChecksumMismatch {
        /// The file.
        path: String,
        /// Digest in the manifest.
        expected: String,
        /// Digest of the file.
        actual: String,
    },
    /// A file every artifact must carry is absent.
    #[error("{path}: required file missing")]
    MissingRequired {
        /// The file.
        path: &'static str,
    },
    /// Some model files are present and others are not.
    #[error(
        "model files incomplete: {present} present but {missing} missing (a model needs \
         model/anomaly_detector.*, model/scaler.* and model/model_metadata.json; a \
         tolerance-only artifact has none of them)"
    )]
    IncompleteModel {
        /// One file that is present.
        present: String,
        /// One file that is missing.
        missing: &'static str,
    },
    /// Two files compete for one model slot (`model/anomaly_detector.a` and `.b`).
    #[error("{second}: a second file for the slot of {first}; keep one")]
    AmbiguousModel {
        /// The first file, in sorted order.
        first: String,
        /// The second file.
        second: String,
    },
    /// The version is not semver text (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`).
    #[error("version {version:?} is not semver ({reason})")]
    InvalidVersion {
        /// The text given.
        version: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The pump name or tool text is empty, too long or has control characters.
    #[error("{field} {value:?} is not valid ({reason})")]
    InvalidField {
        /// `pump` or `tool`.
        field: &'static str,
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `add_executable` with a path that is not an executable slot of the layout.
    #[error("{path}: not an executable of the layout (only bin/edge-infer is)")]
    NotExecutable {
        /// The path.
        path: String,
    },
    /// `manifest.json` was added as a file; the builder writes it.
    #[error("manifest.json: written by the builder, not added")]
    ManifestAdded,
    /// The extraction target exists and is not an empty directory.
    #[error("{target}: already exists and is not an empty directory; refusing to overwrite")]
    TargetExists {
        /// The target directory.
        target: String,
    },
    /// The path is neither a file nor a directory.
    #[error("neither a ZIP file nor a directory")]
    NotFileOrDirectory,
}

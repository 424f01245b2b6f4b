//! Reading artifacts: open a ZIP or an extracted folder, verify it whole, extract it safely.

use crate::builder::{parent_dir, set_mode, sync_dir};
use crate::error::{ArtifactError, EntryName, Problem};
use crate::layout::{self, DIRECTORIES, EXEC_MODE};
use crate::manifest::{FileEntry, Manifest, sha256_hex};
use crate::{Limits, io_problem};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use zip::ZipArchive;
use zip::result::ZipError;

/// File-type bits of a Unix mode, and the types an entry may have.
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Room for ZIP headers and the central directory on top of the content limit.
const ZIP_OVERHEAD_BYTES: u64 = 1 << 20;

/// Where an artifact was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// A ZIP file, as the packager writes it.
    Zip,
    /// A folder, as [`Artifact::extract_to`] writes it.
    Directory,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::Zip => "zip",
            Form::Directory => "directory",
        })
    }
}

/// A verified artifact, held in memory.
///
/// Opening reads every file of the layout (bounded by [`Limits`]) and verifies the whole
/// artifact before returning, so every accessor hands out bytes that matched their sha256:
/// nothing is read from disk again, and nothing can change between check and use.
#[derive(Debug, Clone)]
pub struct Artifact {
    source: PathBuf,
    form: Form,
    manifest: Manifest,
    manifest_json: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
    has_model: bool,
}

/// The three files of a model, present together or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFiles<'a> {
    /// Path of `model/anomaly_detector.*`; the extension names the encoding.
    pub detector_path: &'a str,
    /// Bytes of the trained model.
    pub detector: &'a [u8],
    /// Path of `model/scaler.*`.
    pub scaler_path: &'a str,
    /// Bytes of the feature scaler.
    pub scaler: &'a [u8],
    /// Bytes of `model/model_metadata.json`.
    pub metadata: &'a [u8],
}

/// What `packager verify` and `inspect` print: the artifact passed verification and holds this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The artifact as the caller named it.
    pub artifact: String,
    /// ZIP or folder.
    pub form: Form,
    /// The manifest's format version.
    pub format_version: u32,
    /// The pump it is for.
    pub pump: String,
    /// Its version.
    pub version: String,
    /// What made it.
    pub tool: String,
    /// Whether it carries a model (otherwise it is tolerance-only).
    pub has_model: bool,
    /// Whether it carries `bin/edge-infer`.
    pub has_edge_binary: bool,
    /// Every file but `manifest.json`, sorted by path.
    pub files: Vec<SummaryFile>,
    /// Sum of the sizes of `files`.
    pub total_size: u64,
}

/// One file of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryFile {
    /// Path inside the artifact.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex sha256.
    pub sha256: String,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "artifact {} ({}): verified", self.artifact, self.form)?;
        writeln!(f, "  pump:           {}", self.pump)?;
        writeln!(f, "  version:        {}", self.version)?;
        writeln!(f, "  made by:        {}", self.tool)?;
        writeln!(f, "  format version: {}", self.format_version)?;
        let model = if self.has_model {
            "yes"
        } else {
            "no (tolerance-only)"
        };
        writeln!(f, "  model:          {model}")?;
        writeln!(
            f,
            "  edge binary:    {}",
            if self.has_edge_binary { "yes" } else { "no" }
        )?;
        writeln!(
            f,
            "  files:          {} ({} bytes)",
            self.files.len(),
            self.total_size
        )?;
        for file in &self.files {
            writeln!(f, "    {:>10}  {}  {}", file.size, file.sha256, file.path)?;
        }
        Ok(())
    }
}

impl Artifact {
    /// Opens and verifies an artifact: a ZIP file or an extracted folder, with the default
    /// [`Limits`].
    ///
    /// Verification: `manifest.json` present, parseable, `format_version` 1; every listed file
    /// present with its size and sha256; no unlisted file of the layout; the four config files
    /// present; model files all present or all absent; no symlink, no unsafe path, nothing
    /// outside the layout (in a ZIP) or inside `config/`, `model/`, `bin/` (in a folder); sizes
    /// within the limits. A folder may hold other top-level files (edge-infer keeps its state
    /// beside the artifact by default); they are ignored.
    pub fn open(path: impl AsRef<Path>) -> Result<Artifact, ArtifactError> {
        Artifact::open_with_limits(path, Limits::default())
    }

    /// [`Artifact::open`] with other size limits.
    pub fn open_with_limits(
        path: impl AsRef<Path>,
        limits: Limits,
    ) -> Result<Artifact, ArtifactError> {
        let path = path.as_ref();
        let fail = |p| ArtifactError::new(path.display().to_string(), p);
        let meta = fs::metadata(path).map_err(|e| fail(io_problem("cannot open", e)))?;
        let (form, files) = if meta.is_dir() {
            (Form::Directory, read_dir(path, &limits).map_err(fail)?)
        } else if meta.is_file() {
            let limit = limits.max_total_bytes.saturating_add(ZIP_OVERHEAD_BYTES);
            if meta.len() > limit {
                return Err(fail(Problem::TotalTooLarge {
                    size: meta.len(),
                    limit,
                }));
            }
            let file = fs::File::open(path).map_err(|e| fail(io_problem("cannot open", e)))?;
            let zip = read_zip(std::io::BufReader::new(file), &limits).map_err(fail)?;
            (Form::Zip, zip)
        } else {
            return Err(fail(Problem::NotFileOrDirectory));
        };
        let verified = verify(files).map_err(fail)?;
        Ok(Artifact {
            source: path.to_path_buf(),
            form,
            manifest: verified.manifest,
            manifest_json: verified.manifest_json,
            files: verified.files,
            has_model: verified.has_model,
        })
    }

    /// The path the artifact was opened from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// ZIP or folder.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The verified manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The verified bytes of a file, `manifest.json` included; `None` if the artifact has no
    /// such file.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        if path == layout::MANIFEST {
            return Some(&self.manifest_json);
        }
        self.files.get(path).map(Vec::as_slice)
    }

    /// Whether a model is present; `false` means a tolerance-only artifact.
    pub fn has_model(&self) -> bool {
        self.has_model
    }

    /// The model's files, if it has a model.
    pub fn model(&self) -> Option<ModelFiles<'_>> {
        if !self.has_model {
            return None;
        }
        let find = |prefix: &str| {
            self.files
                .iter()
                .find(|(path, _)| path.starts_with(prefix))
                .map(|(path, bytes)| (path.as_str(), bytes.as_slice()))
        };
        let (detector_path, detector) = find(layout::DETECTOR_PREFIX)?;
        let (scaler_path, scaler) = find(layout::SCALER_PREFIX)?;
        Some(ModelFiles {
            detector_path,
            detector,
            scaler_path,
            scaler,
            metadata: self.file(layout::MODEL_METADATA)?,
        })
    }

    /// Every file but `manifest.json`, sorted by path, with size and sha256.
    pub fn list(&self) -> impl Iterator<Item = (&str, &FileEntry)> {
        self.manifest
            .files
            .iter()
            .map(|(path, entry)| (path.as_str(), entry))
    }

    /// The summary `packager verify` prints.
    pub fn summary(&self) -> Summary {
        let files: Vec<SummaryFile> = self
            .list()
            .map(|(path, entry)| SummaryFile {
                path: path.to_string(),
                size: entry.size,
                sha256: entry.sha256.clone(),
            })
            .collect();
        Summary {
            artifact: self.source.display().to_string(),
            form: self.form,
            format_version: self.manifest.format_version,
            pump: self.manifest.pump.clone(),
            version: self.manifest.version.clone(),
            tool: self.manifest.tool.clone(),
            has_model: self.has_model,
            has_edge_binary: self.files.contains_key(layout::EDGE_BINARY),
            total_size: files.iter().map(|f| f.size).sum(),
            files,
        }
    }

    /// Writes the verified files into folder `target`, which must not exist or be empty.
    ///
    /// Files go into a temporary folder beside `target` (modes 0644, `bin/edge-infer` 0755,
    /// folders 0755), are synced, and the folder is renamed to `target`: a crash leaves no half
    /// extraction at `target`. Paths were checked on open, so nothing is written outside.
    pub fn extract_to(&self, target: impl AsRef<Path>) -> Result<(), ArtifactError> {
        let target = target.as_ref();
        let fail = |p| ArtifactError::new(self.source.display().to_string(), p);
        let target_name = target.display().to_string();
        match fs::symlink_metadata(target) {
            Ok(meta) if meta.is_dir() => {
                let mut entries = fs::read_dir(target)
                    .map_err(|e| fail(io_problem(&format!("{target_name}: cannot read"), e)))?;
                if entries.next().is_some() {
                    return Err(fail(Problem::TargetExists {
                        target: target_name,
                    }));
                }
            }
            Ok(_) => {
                return Err(fail(Problem::TargetExists {
                    target: target_name,
                }));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(fail(io_problem(&format!("{target_name}: cannot read"), e)));
            }
        }
        let parent = parent_dir(target);
        fs::create_dir_all(parent).map_err(|e| {
            fail(io_problem(
                &format!("{}: cannot create", parent.display()),
                e,
            ))
        })?;
        let tmp = tempfile::Builder::new()
            .prefix(".artifact-extract-")
            .tempdir_in(parent)
            .map_err(|e| {
                fail(io_problem(
                    "cannot create a temporary folder beside the target",
                    e,
                ))
            })?;
        self.write_tree(tmp.path()).map_err(fail)?;
        // From here the temporary folder is ours to remove if the rename fails.
        let staged = tmp.keep();
        if let Err(e) = fs::rename(&staged, target) {
            let _ = fs::remove_dir_all(&staged);
            return Err(fail(io_problem(
                &format!("{target_name}: cannot rename into place"),
                e,
            )));
        }
        sync_dir(parent).map_err(|e| fail(io_problem("cannot sync the target's parent", e)))
    }

    fn write_tree(&self, root: &Path) -> Result<(), Problem> {
        let set_dir_mode = |dir: &Path| -> Result<(), Problem> {
            let f = fs::File::open(dir).map_err(|e| io_problem("cannot open a folder", e))?;
            set_mode(&f, EXEC_MODE)
                .and_then(|()| f.sync_all())
                .map_err(|e| io_problem("cannot set a folder's mode", e))
        };
        let entries = std::iter::once((layout::MANIFEST, &self.manifest_json))
            .chain(self.files.iter().map(|(p, b)| (p.as_str(), b)));
        let mut dirs = Vec::new();
        for (path, bytes) in entries {
            // Safe by construction: checked on open (no `..`, not absolute, layout only).
            let dest = path
                .split('/')
                .fold(root.to_path_buf(), |p, part| p.join(part));
            let what = |action: &str| format!("{path}: cannot {action}");
            if let Some(dir) = dest.parent().filter(|d| *d != root)
                && !dirs.iter().any(|d: &PathBuf| d == dir)
            {
                fs::create_dir(dir).map_err(|e| io_problem(&what("create its folder"), e))?;
                dirs.push(dir.to_path_buf());
            }
            let mode = layout::slot(path)?.mode();
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&dest)
                .map_err(|e| io_problem(&what("create"), e))?;
            std::io::Write::write_all(&mut file, bytes)
                .map_err(|e| io_problem(&what("write"), e))?;
            set_mode(&file, mode)
                .and_then(|()| file.sync_all())
                .map_err(|e| io_problem(&what("write"), e))?;
        }
        for dir in &dirs {
            set_dir_mode(dir)?;
        }
        set_dir_mode(root)
    }
}

/// Opens, verifies and extracts an artifact (ZIP or folder) into `target` in one step.
/// Nothing is written unless the whole artifact verifies.
pub fn extract(
    artifact: impl AsRef<Path>,
    target: impl AsRef<Path>,
) -> Result<Artifact, ArtifactError> {
    let artifact = Artifact::open(artifact)?;
    artifact.extract_to(target)?;
    Ok(artifact)
}

struct Verified {
    manifest: Manifest,
    manifest_json: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
    has_model: bool,
}

/// The checks common to both forms, on the files as read.
fn verify(mut files: BTreeMap<String, Vec<u8>>) -> Result<Verified, Problem> {
    let manifest_json = files
        .remove(layout::MANIFEST)
        .ok_or(Problem::MissingManifest)?;
    let manifest = Manifest::from_json(&manifest_json)?;
    for (path, entry) in &manifest.files {
        let bytes = files
            .get(path)
            .ok_or_else(|| Problem::MissingFile { path: path.clone() })?;
        let actual = bytes.len() as u64;
        if actual != entry.size {
            return Err(Problem::SizeMismatch {
                path: path.clone(),
                expected: entry.size,
                actual,
            });
        }
        let digest = sha256_hex(bytes);
        if digest != entry.sha256 {
            return Err(Problem::ChecksumMismatch {
                path: path.clone(),
                expected: entry.sha256.clone(),
                actual: digest,
            });
        }
    }
    if let Some(path) = files.keys().find(|p| !manifest.files.contains_key(*p)) {
        return Err(Problem::UnlistedFile { path: path.clone() });
    }
    let has_model = layout::check_complete(manifest.files.keys().map(String::as_str))?;
    Ok(Verified {
        manifest,
        manifest_json,
        files,
        has_model,
    })
}

/// Running totals against the limits, by declared and by actual size.
struct Budget<'l> {
    limits: &'l Limits,
    form: Form,
    total: u64,
    entries: u64,
}

impl Budget<'_> {
    fn entry(&mut self) -> Result<(), Problem> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(Problem::TooManyEntries {
                count: self.entries,
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Checks a size (declared or read) of one file, and the total with it added on top of
    /// the files already read.
    fn check(&self, path: &str, size: u64) -> Result<(), Problem> {
        if size > self.limits.max_file_bytes {
            return Err(Problem::FileTooLarge {
                path: EntryName::from(path),
                size,
                limit: self.limits.max_file_bytes,
            });
        }
        let total = self.total.saturating_add(size);
        if total > self.limits.max_total_bytes {
            return Err(Problem::TotalTooLarge {
                size: total,
                limit: self.limits.max_total_bytes,
            });
        }
        Ok(())
    }

    /// Reads at most one byte past the per-file limit, so a lying size cannot make it read more.
    fn read(&mut self, path: &str, declared: u64, reader: impl Read) -> Result<Vec<u8>, Problem> {
        self.check(path, declared)?;
        let capacity = usize::try_from(declared).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        reader
            .take(self.limits.max_file_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| match self.form {
                Form::Zip => Problem::CorruptEntry {
                    path: EntryName::from(path),
                    source: ZipError::Io(e),
                },
                Form::Directory => io_problem(&format!("{path}: cannot read"), e),
            })?;
        let actual = bytes.len() as u64;
        self.check(path, actual)?;
        self.total += actual;
        Ok(bytes)
    }
}

/// Reads every entry of a ZIP after checking names, types and sizes; never extracts.
fn read_zip<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let mut archive = ZipArchive::new(reader).map_err(Problem::NotZip)?;
    if archive.len() as u64 > limits.max_entries {
        return Err(Problem::TooManyEntries {
            count: archive.len() as u64,
            limit: limits.max_entries,
        });
    }
    if archive.has_duplicate_names() {
        return Err(Problem::DuplicateNames);
    }
    // Local headers that disagree with the central directory, overlapping entries (the
    // "quine" zip bomb) and hidden entries all mean different tools would see different files.
    archive
        .validate_header_consistency()
        .map_err(Problem::NotZip)?;
    let mut budget = Budget {
        limits,
        form: Form::Zip,
        total: 0,
        entries: 0,
    };
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        budget.entry()?;
        let (name, declared) = {
            let entry = archive.by_index_data(index).map_err(Problem::NotZip)?;
            let raw = entry.name_raw();
            let unsafe_path = |reason| Problem::UnsafePath {
                path: EntryName::lossy(raw),
                reason,
            };
            let name = std::str::from_utf8(raw)
                .map_err(|_| unsafe_path("not UTF-8"))?
                .to_string();
            let kind = entry.unix_mode().map_or(0, |mode| mode & S_IFMT);
            if kind == S_IFLNK {
                return Err(Problem::Symlink {
                    path: EntryName::from(name.as_str()),
                });
            }
            if entry.is_dir() {
                if kind != 0 && kind != S_IFDIR {
                    return Err(Problem::NotRegularFile {
                        path: EntryName::from(name.as_str()),
                    });
                }
                let dir = name.trim_end_matches('/');
                layout::check_safe(dir)?;
                if DIRECTORIES.contains(&dir) && entry.size() == 0 {
                    continue;
                }
                return Err(Problem::NotInLayout {
                    path: EntryName::from(name.as_str()),
                });
            }
            layout::slot(&name)?;
            if entry.enclosed_name().is_none() {
                return Err(unsafe_path("escapes the target folder"));
            }
            if kind != 0 && kind != S_IFREG {
                return Err(Problem::NotRegularFile {
                    path: EntryName::from(name.as_str()),
                });
            }
            if entry.encrypted() {
                return Err(Problem::Encrypted {
                    path: EntryName::from(name.as_str()),
                });
            }
            (name, entry.size())
        };
        let corrupt = |source| Problem::CorruptEntry {
            path: EntryName::from(name.as_str()),
            source,
        };
        budget.check(&name, declared)?;
        let file = archive.by_index(index).map_err(corrupt)?;
        let bytes = budget.read(&name, declared, file)?;
        if bytes.len() as u64 != declared {
            return Err(corrupt(ZipError::InvalidArchive(
                "size differs from the size the ZIP declares".into(),
            )));
        }
        files.insert(name, bytes);
    }
    Ok(files)
}

/// Reads the layout's files from a folder. Only `manifest.json`, `README.md` and the
/// `config/`, `model/` and `bin/` folders belong to the artifact; anything else at the top
/// (edge-infer's state, results, lock files) is not looked at.
fn read_dir(root: &Path, limits: &Limits) -> Result<BTreeMap<String, Vec<u8>>, Problem> {
    let mut budget = Budget {
        limits,
        form: Form::Directory,
        total: 0,
        entries: 0,
    };
    let mut files = BTreeMap::new();
    for name in [layout::MANIFEST, layout::README] {
        if let Some(bytes) = read_regular(&root.join(name), name, &mut budget)? {
            files.insert(name.to_string(), bytes);
        }
    }
    for dir in DIRECTORIES {
        let dir_path = root.join(dir);
        match fs::symlink_metadata(&dir_path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Problem::Symlink {
                    path: EntryName::from(dir),
                });
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Problem::NotRegularFile {
                    path: EntryName::from(dir),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_problem(&format!("{dir}: cannot read"), e)),
        }
        let listing =
            fs::read_dir(&dir_path).map_err(|e| io_problem(&format!("{dir}: cannot read"), e))?;
        let mut names = Vec::new();
        for entry in listing {
            let entry = entry.map_err(|e| io_problem(&format!("{dir}: cannot read"), e))?;
            budget.entry()?;
            let file_name = entry.file_name();
            let name = file_name.to_str().ok_or_else(|| Problem::UnsafePath {
                path: EntryName(format!("{dir}/{}", file_name.to_string_lossy())),
                reason: "not UTF-8",
            })?;
            names.push(format!("{dir}/{name}"));
        }
        names.sort();
        for path in names {
            layout::slot(&path)?;
            if let Some(bytes) = read_regular(&root.join(&path), &path, &mut budget)? {
                files.insert(path, bytes);
            }
        }
    }
    Ok(files)
}

/// Reads one file of a folder artifact if it exists; refuses links and anything not a
/// regular file.
fn read_regular(
    fs_path: &Path,
    path: &str,
    budget: &mut Budget<'_>,
) -> Result<Option<Vec<u8>>, Problem> {
    let meta = match fs::symlink_metadata(fs_path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_problem(&format!("{path}: cannot read"), e)),
    };
    if meta.file_type().is_symlink() {
        return Err(Problem::Symlink {
            path: EntryName::from(path),
        });
    }
    if !meta.is_file() {
        return Err(Problem::NotRegularFile {
            path: EntryName::from(path),
        });
    }
    budget.check(path, meta.len())?;
    let file =
        fs::File::open(fs_path).map_err(|e| io_problem(&format!("{path}: cannot read"), e))?;
    budget.read(path, meta.len(), file).map(Some)
}

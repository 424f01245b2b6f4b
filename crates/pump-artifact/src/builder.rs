//! Writing artifacts: a deterministic ZIP, written atomically.

use crate::error::{ArtifactError, EntryName, Problem};
use crate::layout::{self, Slot};
use crate::manifest::{self, FORMAT_VERSION, FileEntry, Manifest};
use crate::{Limits, io_problem};
use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

/// Deflate level of every entry; fixed because the level changes the bytes.
const DEFLATE_LEVEL: i64 = 6;

/// Collects the files of one artifact and writes it as a ZIP.
///
/// Paths are checked as they are added (safe, part of the layout, not twice, within the
/// per-file limit); completeness (required config, model all-or-none) when written.
///
/// ```
/// # fn main() -> Result<(), pump_artifact::ArtifactError> {
/// # let dir = tempfile::tempdir().unwrap();
/// use pump_artifact::{Artifact, ArtifactBuilder};
/// let mut builder = ArtifactBuilder::new("Well 1", "1.0.0", "packager 0.1.0")?;
/// builder
///     .add_file("config/baseline.json", br#"{"well_id": "Well 1"}"#.to_vec())?
///     .add_file("config/tolerances.json", b"{}".to_vec())?
///     .add_file("config/column_mapping.json", b"{}".to_vec())?
///     .add_file("config/deployment_config.json", b"{}".to_vec())?;
/// let zip = dir.path().join("well1_v1.0.0.zip");
/// builder.write_zip(&zip)?;
/// let artifact = Artifact::open(&zip)?;
/// assert_eq!(artifact.manifest().version, "1.0.0");
/// assert!(!artifact.has_model());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ArtifactBuilder {
    pump: String,
    version: String,
    tool: String,
    files: BTreeMap<String, (Slot, Vec<u8>)>,
    limits: Limits,
}

impl ArtifactBuilder {
    /// Starts an artifact for `pump` at `version` (semver text), made by `tool`
    /// (e.g. `packager 0.1.0`).
    pub fn new(pump: &str, version: &str, tool: &str) -> Result<Self, ArtifactError> {
        let label = format!("{pump} v{version}");
        let check = || -> Result<(), Problem> {
            manifest::check_text("pump", pump)?;
            manifest::check_version(version)?;
            manifest::check_text("tool", tool)
        };
        check().map_err(|p| ArtifactError::new(label, p))?;
        Ok(ArtifactBuilder {
            pump: pump.to_string(),
            version: version.to_string(),
            tool: tool.to_string(),
            files: BTreeMap::new(),
            limits: Limits::default(),
        })
    }

    /// Uses other size limits than [`Limits::default`]; the same limits should be used to open.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a file at `path` (relative, forward slashes, part of the SPEC §4 layout).
    /// `bin/edge-infer` is executable whichever method adds it.
    pub fn add_file(
        &mut self,
        path: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<&mut Self, ArtifactError> {
        let bytes = bytes.into();
        let slot = self.check_new(path, &bytes).map_err(|p| self.error(p))?;
        self.files.insert(path.to_string(), (slot, bytes));
        Ok(self)
    }

    /// Adds an executable (mode 0755); only `bin/edge-infer` is one in the layout, so any
    /// other path is refused rather than silently written as an ordinary file.
    pub fn add_executable(
        &mut self,
        path: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Result<&mut Self, ArtifactError> {
        if path != layout::EDGE_BINARY {
            return Err(self.error(Problem::NotExecutable {
                path: path.to_string(),
            }));
        }
        self.add_file(path, bytes)
    }

    /// The manifest the artifact will carry, after checking that the files make a complete
    /// artifact (required config present, model files all present or all absent).
    pub fn manifest(&self) -> Result<Manifest, ArtifactError> {
        layout::check_complete(self.files.keys().map(String::as_str)).map_err(|p| self.error(p))?;
        Ok(Manifest {
            files: self
                .files
                .iter()
                .map(|(path, (_, bytes))| (path.clone(), FileEntry::of(bytes)))
                .collect(),
            format_version: FORMAT_VERSION,
            pump: self.pump.clone(),
            tool: self.tool.clone(),
            version: self.version.clone(),
        })
    }

    /// Writes the ZIP to any seekable writer: `manifest.json` first, then every file in
    /// sorted path order, each with the 1980-01-01 timestamp, a fixed Unix mode, deflate at a
    /// fixed level. The same builder contents always give the same bytes.
    pub fn write_to<W: Write + Seek>(&self, out: W) -> Result<Manifest, ArtifactError> {
        let manifest = self.manifest()?;
        self.write_entries(&manifest, out)
            .map_err(|p| self.error(p))?;
        Ok(manifest)
    }

    /// The ZIP as bytes (see [`ArtifactBuilder::write_to`]).
    pub fn to_zip_bytes(&self) -> Result<Vec<u8>, ArtifactError> {
        let mut out = std::io::Cursor::new(Vec::new());
        self.write_to(&mut out)?;
        Ok(out.into_inner())
    }

    /// Writes the ZIP to `path` atomically: into a temporary file beside it, flushed to disk,
    /// then renamed over `path`, so a crash leaves either the old file or the new one, never
    /// half a ZIP. Returns the manifest written.
    pub fn write_zip(&self, path: impl AsRef<Path>) -> Result<Manifest, ArtifactError> {
        let path = path.as_ref();
        let fail = |p| ArtifactError::new(path.display().to_string(), p);
        let manifest = self.manifest().map_err(|e| fail(e.into_problem()))?;
        let dir = parent_dir(path);
        let mut tmp = tempfile::Builder::new()
            .prefix(".artifact-")
            .suffix(".zip.tmp")
            .tempfile_in(dir)
            .map_err(|e| fail(io_problem("cannot create a temporary file beside it", e)))?;
        self.write_entries(&manifest, std::io::BufWriter::new(tmp.as_file_mut()))
            .map_err(fail)?;
        set_mode(tmp.as_file(), layout::FILE_MODE)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| fail(io_problem("cannot write", e)))?;
        tmp.persist(path)
            .map_err(|e| fail(io_problem("cannot rename into place", e.error)))?;
        sync_dir(dir).map_err(|e| fail(io_problem("cannot sync its directory", e)))?;
        Ok(manifest)
    }

    fn write_entries<W: Write + Seek>(&self, manifest: &Manifest, out: W) -> Result<(), Problem> {
        let zip_error = |path: &str, source| Problem::CorruptEntry {
            path: EntryName::from(path),
            source,
        };
        let mut zip = ZipWriter::new(out);
        let manifest_json = manifest.to_json();
        let entries = std::iter::once((layout::MANIFEST, Slot::Manifest, manifest_json.as_slice()))
            .chain(
                self.files
                    .iter()
                    .map(|(path, (slot, bytes))| (path.as_str(), *slot, bytes.as_slice())),
            );
        for (path, slot, bytes) in entries {
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(DEFLATE_LEVEL))
                .last_modified_time(DateTime::DEFAULT)
                .unix_permissions(slot.mode())
                .system(System::Unix)
                .large_file(false);
            zip.start_file(path, options)
                .map_err(|e| zip_error(path, e))?;
            zip.write_all(bytes)
                .map_err(|e| io_problem(&format!("{path}: cannot write"), e))?;
        }
        let mut out = zip.finish().map_err(|e| zip_error(layout::MANIFEST, e))?;
        out.flush().map_err(|e| io_problem("cannot write", e))
    }

    fn check_new(&self, path: &str, bytes: &[u8]) -> Result<Slot, Problem> {
        let slot = layout::slot(path)?;
        if slot == Slot::Manifest {
            return Err(Problem::ManifestAdded);
        }
        if self.files.contains_key(path) {
            return Err(Problem::Duplicate {
                path: EntryName::from(path),
            });
        }
        let size = bytes.len() as u64;
        if size > self.limits.max_file_bytes {
            return Err(Problem::FileTooLarge {
                path: EntryName::from(path),
                size,
                limit: self.limits.max_file_bytes,
            });
        }
        let total = self
            .files
            .values()
            .map(|(_, b)| b.len() as u64)
            .sum::<u64>()
            + size;
        if total > self.limits.max_total_bytes {
            return Err(Problem::TotalTooLarge {
                size: total,
                limit: self.limits.max_total_bytes,
            });
        }
        Ok(slot)
    }

    fn error(&self, problem: Problem) -> ArtifactError {
        ArtifactError::new(format!("{} v{}", self.pump, self.version), problem)
    }
}

/// The directory holding `path`; `.` for a bare file name.
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename durable: on Unix the directory entry is only on disk once the directory
/// itself is synced.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Sets Unix permission bits; no-op elsewhere.
pub(crate) fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

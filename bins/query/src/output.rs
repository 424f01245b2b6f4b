//! Writing output files atomically: into a temporary file beside the target, synced, then
//! renamed over it, so that a reader (or a crash) never sees half a file.

use crate::error::QueryToolError;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The folder a file will be written in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses an output path whose folder does not exist, before any query is made.
pub fn check_output_path(flag: &str, path: &Path) -> Result<(), QueryToolError> {
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(QueryToolError::BadInput(format!(
            "{flag} {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if path.is_dir() {
        return Err(QueryToolError::BadInput(format!(
            "{flag} {}: that is a folder, not a file name",
            path.display()
        )));
    }
    Ok(())
}

/// Writes `path` atomically with `write`, which gets a buffered writer.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), QueryToolError> {
    let fail = |source| QueryToolError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = tempfile::Builder::new()
        .prefix(".query-")
        .suffix(".tmp")
        .tempfile_in(parent_dir(path))
        .map_err(fail)?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        write(&mut out).map_err(fail)?;
        out.flush().map_err(fail)?;
    }
    set_permissions(tmp.as_file(), path).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The permissions the finished file gets: those of the file it replaces, else
/// `rw-r--r--` on Unix (temporary files are created private, which is wrong for a report).
fn permissions_for(path: &Path) -> Option<std::fs::Permissions> {
    if let Ok(meta) = std::fs::metadata(path) {
        return Some(meta.permissions());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Gives `file` the permissions [`permissions_for`] `path`.
fn set_permissions(file: &std::fs::File, path: &Path) -> std::io::Result<()> {
    match permissions_for(path) {
        Some(p) => file.set_permissions(p),
        None => Ok(()),
    }
}

/// Writes `path` atomically with `draw`, which gets the path of a temporary file (ending in
/// `suffix`) to create.
pub fn draw_file_atomically(
    path: &Path,
    suffix: &str,
    draw: impl FnOnce(&Path) -> Result<(), QueryToolError>,
) -> Result<(), QueryToolError> {
    let fail = |source| QueryToolError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = tempfile::Builder::new()
        .prefix(".query-")
        .suffix(suffix)
        .tempfile_in(parent_dir(path))
        .map_err(fail)?;
    draw(tmp.path())?;
    std::fs::File::open(tmp.path())
        .and_then(|f| {
            set_permissions(&f, path)?;
            f.sync_all()
        })
        .map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        write_file_atomically(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let failed = write_file_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.unwrap_err().to_string().ends_with("disk full"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let fresh = dir.path().join("fresh.csv");
            write_file_atomically(&fresh, |w| w.write_all(b"x")).unwrap();
            let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "readable like any report, not private");
        }
    }

    #[test]
    fn a_missing_folder_is_bad_input() {
        let e = check_output_path("--export", Path::new("/no/such/dir/x.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--export /no/such/dir/x.csv: the folder /no/such/dir does not exist"
        );
        assert_eq!(e.exit_code(), crate::error::EXIT_INPUT);
        assert!(check_output_path("--export", Path::new("x.csv")).is_ok());
    }
}

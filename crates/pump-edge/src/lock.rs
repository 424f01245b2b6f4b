//! One run at a time per state directory.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Name of the lock file in the state directory.
pub const LOCK_FILE: &str = "edge.lock";

/// An exclusive lock on a state directory, held until dropped.
///
/// It is an OS file lock (`flock`), so it is released when the process dies, even by
/// SIGKILL: a killed run never leaves the next one waiting forever.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Waits until no other run holds the state directory, then takes it.
    pub fn acquire(state_dir: &Path) -> io::Result<StateLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(state_dir.join(LOCK_FILE))?;
        if let Err(e) = file.try_lock() {
            match e {
                std::fs::TryLockError::WouldBlock => {
                    tracing::info!("another run holds {}; waiting for it", state_dir.display());
                    file.lock()?;
                }
                std::fs::TryLockError::Error(e) => return Err(e),
            }
        }
        Ok(StateLock { _file: file })
    }
}

//! The local spool of anomalies not yet delivered (`unsent_anomalies/`), and their delivery.
//!
//! One JSON file per anomaly, named `<reading time>_<event id>.json` so that names sort
//! oldest first and the same anomaly always lands in the same file (a repeated run
//! overwrites, never duplicates). A file is removed only after the server acknowledged it.

use crate::fsutil::{TEMP_PREFIX, remove_stale_temp_files, sync_dir, write_atomic};
use pump_core::AnomalyPayload;
use serde::Serialize;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Folder of the spool in the state directory.
pub const SPOOL_DIR: &str = "unsent_anomalies";
/// Sub-folder for anomalies the server refused for good.
pub const REJECTED_DIR: &str = "rejected";
/// Sub-folder for spool files that could not be read.
pub const QUARANTINE_DIR: &str = "quarantine";

/// Why one submission failed.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryFailure {
    /// Worth trying again on a later run: network down, timeouts, 5xx, 408, 429, and 401/403
    /// (a token can be fixed without losing the anomaly).
    RetryLater {
        /// One line for the log, without secrets.
        reason: String,
    },
    /// The server refused this anomaly for good (another 4xx): retrying cannot help.
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's answer.
        body: String,
    },
}

/// Something that delivers one anomaly to the central API (the HTTP client in production;
/// anything in tests).
pub trait Submitter {
    /// Submits one anomaly, with its event id as idempotency key; `Ok` on a 2xx.
    fn submit(&self, payload: &AnomalyPayload) -> Result<(), DeliveryFailure>;
}

/// One file in the spool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpoolEntry {
    /// Its path.
    pub path: PathBuf,
}

impl SpoolEntry {
    /// File name.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// What a delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeliveryReport {
    /// Event ids delivered (acknowledged by the server).
    pub delivered: Vec<String>,
    /// Event ids still in the spool.
    pub still_spooled: Vec<String>,
    /// Event ids refused for good, moved to `rejected/`.
    pub rejected: Vec<String>,
    /// Spool files moved to `quarantine/` because they could not be read.
    pub quarantined: Vec<String>,
    /// Why delivery stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_because: Option<String>,
}

/// The spool folder.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    max_files: usize,
}

/// Filesystem errors of the spool, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("spool {path}: {source}")]
pub struct SpoolError {
    /// File or folder.
    pub path: PathBuf,
    /// Cause.
    pub source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError {
        path: path.to_path_buf(),
        source,
    }
}

impl Spool {
    /// The spool of a state directory, holding at most `max_files` anomalies.
    pub fn open(state_dir: &Path, max_files: usize) -> Result<Spool, SpoolError> {
        let dir = state_dir.join(SPOOL_DIR);
        fs::create_dir_all(&dir).map_err(at(&dir))?;
        remove_stale_temp_files(&dir).map_err(at(&dir))?;
        Ok(Spool {
            dir,
            max_files: max_files.max(1),
        })
    }

    /// The spool folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// File name of an anomaly: reading time (sortable) and event id.
    pub fn file_name(payload: &AnomalyPayload) -> String {
        let t = payload.timestamp.as_offset_date_time();
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z_{}.json",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            sanitize(payload.event_id())
        )
    }

    /// Writes an anomaly to the spool, atomically. The same anomaly overwrites its own file.
    pub fn put(&self, payload: &AnomalyPayload) -> Result<SpoolEntry, SpoolError> {
        let path = self.dir.join(Spool::file_name(payload));
        let bytes = serde_json::to_vec_pretty(payload).map_err(|e| SpoolError {
            path: path.clone(),
            source: io::Error::other(e),
        })?;
        write_atomic(&path, &bytes).map_err(at(&path))?;
        Ok(SpoolEntry { path })
    }

    /// Anomalies waiting, oldest first.
    pub fn pending(&self) -> Result<Vec<SpoolEntry>, SpoolError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(at(&self.dir))? {
            let entry = entry.map_err(at(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
            if is_file && name.ends_with(".json") && !name.starts_with(TEMP_PREFIX) {
                out.push(SpoolEntry { path: entry.path() });
            }
        }
        out.sort();
        Ok(out)
    }

    /// Drops the oldest anomalies beyond the cap; returns the names dropped (each one is
    /// logged as a warning: a drop is a loss the operator must know about).
    pub fn enforce_cap(&self) -> Result<Vec<String>, SpoolError> {
        let pending = self.pending()?;
        let excess = pending.len().saturating_sub(self.max_files);
        let mut dropped = Vec::new();
        for entry in pending.into_iter().take(excess) {
            fs::remove_file(&entry.path).map_err(at(&entry.path))?;
            tracing::warn!(
                "spool full ({} files): dropped the oldest unsent anomaly {}",
                self.max_files,
                entry.name()
            );
            dropped.push(entry.name());
        }
        if !dropped.is_empty() {
            sync_dir(&self.dir).map_err(at(&self.dir))?;
        }
        Ok(dropped)
    }

    /// Delivers every pending anomaly, oldest first. Stops at the first failure worth
    /// retrying (the next would almost surely fail too, each after its own retries); a
    /// rejected anomaly moves to `rejected/` with the server's answer and delivery goes on;
    /// an unreadable file moves to `quarantine/` and delivery goes on.
    pub fn deliver(&self, submitter: &dyn Submitter) -> Result<DeliveryReport, SpoolError> {
        let mut report = DeliveryReport::default();
        let pending = self.pending()?;
        let mut stopped = false;
        for entry in pending {
            let id = event_id_of(&entry);
            if stopped {
                report.still_spooled.push(id);
                continue;
            }
            let payload = match fs::read(&entry.path)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    serde_json::from_slice::<AnomalyPayload>(&b).map_err(|e| e.to_string())
                }) {
                Ok(p) => p,
                Err(reason) => {
                    tracing::warn!(
                        "spool file {} is unreadable ({reason}); quarantined",
                        entry.name()
                    );
                    self.move_to(&entry, QUARANTINE_DIR)?;
                    report.quarantined.push(entry.name());
                    continue;
                }
            };
            match submitter.submit(&payload) {
                Ok(()) => {
                    fs::remove_file(&entry.path).map_err(at(&entry.path))?;
                    report.delivered.push(payload.event_id().to_string());
                }
                Err(DeliveryFailure::Rejected { status, body }) => {
                    tracing::warn!(
                        "anomaly {} rejected by the server ({status}); moved to {}/{REJECTED_DIR}",
                        payload.event_id(),
                        SPOOL_DIR
                    );
                    let moved = self.move_to(&entry, REJECTED_DIR)?;
                    let answer = serde_json::json!({"status": status, "body": body});
                    let answer_path = moved.with_extension("response.json");
                    write_atomic(&answer_path, answer.to_string().as_bytes())
                        .map_err(at(&answer_path))?;
                    report.rejected.push(payload.event_id().to_string());
                }
                Err(DeliveryFailure::RetryLater { reason }) => {
                    tracing::warn!("delivery stopped, anomalies kept in the spool: {reason}");
                    report.still_spooled.push(payload.event_id().to_string());
                    report.stopped_because = Some(reason);
                    stopped = true;
                }
            }
        }
        if !report.delivered.is_empty() {
            sync_dir(&self.dir).map_err(at(&self.dir))?;
        }
        Ok(report)
    }

    fn move_to(&self, entry: &SpoolEntry, sub: &str) -> Result<PathBuf, SpoolError> {
        let dir = self.dir.join(sub);
        fs::create_dir_all(&dir).map_err(at(&dir))?;
        let target = dir.join(entry.name());
        fs::rename(&entry.path, &target).map_err(at(&entry.path))?;
        sync_dir(&dir).map_err(at(&dir))?;
        sync_dir(&self.dir).map_err(at(&self.dir))?;
        Ok(target)
    }
}

/// The event id part of a spool file name (`<time>_<event id>.json`).
fn event_id_of(entry: &SpoolEntry) -> String {
    let name = entry.name();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    stem.split_once('_').map_or(stem, |(_, id)| id).to_string()
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

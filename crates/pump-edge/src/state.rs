//! What an edge run remembers for the next one: where it stopped, the history the model and
//! the sustained rule need, and the debounce timers.

use crate::fsutil::write_atomic;
use pump_core::{Debounce, EvaluatorState, Reading, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Name of the state file in the state directory.
pub const STATE_FILE: &str = "edge_state.json";
/// Version of the state file's format.
pub const STATE_FORMAT: u32 = 1;

/// The state carried between runs. Written atomically after each run's anomalies are safe in
/// the spool, so a crash at any point either repeats a run's work (same event ids: no
/// duplicates) or finds it done — never half of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeState {
    /// Format version of this file.
    pub format: u32,
    /// The pump this state belongs to; a state of another pump is refused.
    pub pump_id: String,
    /// Timestamp of the newest reading processed (evaluated, or seen with the pump off);
    /// the next run evaluates only newer readings.
    pub last_processed: Option<Timestamp>,
    /// The sustained-violation window.
    pub evaluator: EvaluatorState,
    /// Debounce timers.
    pub debounce: Debounce,
    /// Evaluated readings, oldest first, pruned to the retention period.
    pub history: VecDeque<Reading>,
}

impl EdgeState {
    /// The state before the first run.
    pub fn new(pump_id: &str) -> EdgeState {
        EdgeState {
            format: STATE_FORMAT,
            pump_id: pump_id.to_string(),
            last_processed: None,
            evaluator: EvaluatorState::default(),
            debounce: Debounce::default(),
            history: VecDeque::new(),
        }
    }

    /// Drops history older than `retention_days` before `now` (a reading timestamp).
    pub fn prune(&mut self, now: Timestamp, retention_days: u32) {
        let cutoff = now.plus(time::Duration::days(i64::from(retention_days)) * -1);
        while self.history.front().is_some_and(|r| r.timestamp < cutoff) {
            self.history.pop_front();
        }
    }
}

/// The state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a state file of this format.
    #[error("state file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Where the state lives.
#[derive(Debug, Clone)]
pub struct StateStore {
    path: PathBuf,
}

impl StateStore {
    /// The state file of a state directory.
    pub fn new(state_dir: &Path) -> StateStore {
        StateStore {
            path: state_dir.join(STATE_FILE),
        }
    }

    /// Path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads the state, or a fresh one for `pump_id` when there is none yet.
    pub fn load(&self, pump_id: &str) -> Result<EdgeState, StateError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(EdgeState::new(pump_id));
            }
            Err(source) => {
                return Err(StateError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let invalid = |reason: String| StateError::Invalid {
            path: self.path.clone(),
            reason,
        };
        let state: EdgeState =
            serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
        if state.format != STATE_FORMAT {
            return Err(invalid(format!(
                "format {} (this program reads format {STATE_FORMAT})",
                state.format
            )));
        }
        if state.pump_id != pump_id {
            return Err(invalid(format!(
                "belongs to pump {:?}, not {pump_id:?}; use another --state-dir",
                state.pump_id
            )));
        }
        Ok(state)
    }

    /// Saves the state atomically.
    pub fn save(&self, state: &EdgeState) -> Result<(), StateError> {
        let bytes = serde_json::to_vec(state).map_err(|e| StateError::Invalid {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.path, &bytes).map_err(|source| StateError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

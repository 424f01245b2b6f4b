//! Errors of training, and of reading and writing model files.

use std::path::PathBuf;

/// Training could not produce a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The fleet history holds nothing to learn from.
    #[error("no training data: {0}")]
    NoData(String),
    /// The configuration cannot be used.
    #[error("invalid training configuration: {0}")]
    Config(String),
    /// A tree could not be grown.
    #[error("training failed: {0}")]
    Fit(String),
}

/// A model could not be written or read.
///
/// `file` names the model file (`anomaly_detector.bin`, …) so that a message read in a log
/// says which file of an artifact is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file does not start with this format's magic bytes.
    #[error("{file}: not a pump-model file (unexpected magic bytes)")]
    NotAModelFile {
        /// The file.
        file: String,
    },
    /// The file is of a format version this program does not read.
    #[error("{file}: model format version {found}; this program reads version {supported}")]
    UnsupportedVersion {
        /// The file.
        file: String,
        /// Version in the file.
        found: u16,
        /// The version this program reads.
        supported: u16,
    },
    /// The file is shorter than its header says.
    #[error("{file}: truncated ({found} of {expected} bytes)")]
    Truncated {
        /// The file.
        file: String,
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The contents do not match their checksum.
    #[error("{file}: checksum mismatch: the file is corrupt")]
    Corrupt {
        /// The file.
        file: String,
    },
    /// The contents decode but do not make a usable model.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why there is no prediction for a history.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoPrediction {
    /// Too few evaluated readings (SPEC §3.4).
    #[error("Not enough historical data for ML prediction ({have} of {need} readings)")]
    NotEnoughData {
        /// Evaluated readings in the history, the current one included.
        have: usize,
        /// Evaluated readings needed.
        need: usize,
    },
    /// The history is not in time order (the edge program keeps it sorted).
    #[error("history is not in time order at {at}")]
    Unsorted {
        /// The first point out of order (RFC 3339).
        at: String,
    },
}

//! The pump artifact format (SPEC §4): write, read, verify and extract the versioned ZIP that
//! carries one pump's model and configuration from the packager to the edge.
//!
//! An artifact is a ZIP (or the folder it extracts to) holding `manifest.json` — format
//! version, pump, version, tool and the sha256 and size of every other file — the four config
//! files, an optional model (`model/anomaly_detector.*`, `model/scaler.*`,
//! `model/model_metadata.json`, all or none), an optional `bin/edge-infer` and a `README.md`.
//! [`ArtifactBuilder`] writes it deterministically and atomically; [`Artifact::open`] reads
//! either form through the same API; [`Artifact::extract_to`] writes a folder safely.
//! The typed config files are parsed by `pump-core`; here they are named, checksummed bytes.
//!
//! A key design decision of this crate is that **an artifact is verified whole, in memory,
//! before anything can use it**: [`Artifact::open`] reads every file of the layout, checks
//! every size and digest and the layout rules, and only then returns; accessors hand out
//! those verified bytes, and extraction writes them rather than re-reading the ZIP. No code
//! path can see an unverified byte, and nothing can change between check and use. The cost
//! is memory (the whole artifact, bounded by [`Limits`]: 64 MiB per file and 256 MiB in all
//! by default) and reading every file even when a caller needs one — acceptable for
//! artifacts of a few megabytes on the edge box.
#![deny(missing_docs)]

mod artifact;
mod builder;
mod config;
mod error;
pub mod layout;
mod manifest;

pub use artifact::{Artifact, Form, ModelFiles, Summary, SummaryFile, extract};
pub use builder::ArtifactBuilder;
pub use config::{ConfigFileError, PumpConfig};
pub use error::{ArtifactError, EntryName, Problem};
pub use manifest::{FORMAT_VERSION, FileEntry, Manifest, check_version, sha256_hex};

/// Caps on what one artifact may hold, so that a hostile ZIP (a bomb by declared size, by
/// actual size or by entry count) is refused before it can exhaust memory or disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file, in bytes (default 64 MiB).
    pub max_file_bytes: u64,
    /// Largest total of all files, in bytes (default 256 MiB).
    pub max_total_bytes: u64,
    /// Most entries, directories included (default 64; the layout has at most 11 files).
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 << 20,
            max_total_bytes: 256 << 20,
            max_entries: 64,
        }
    }
}

pub(crate) fn io_problem(what: &str, source: std::io::Error) -> Problem {
    Problem::Io {
        what: what.to_string(),
        source,
    }
}

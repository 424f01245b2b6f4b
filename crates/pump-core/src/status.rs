//! The ordered pump status.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Status of one evaluated reading (SPEC §3.3), ordered `Normal < Warning < Critical < Failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Status {
    /// No violation.
    Normal,
    /// Some violation that is neither severe, nor sustained, nor one of several.
    Warning,
    /// One severe violation, three or more violations, or a sustained mandatory violation.
    Critical,
    /// Two or more mandatory parameters violated, or two or more severe violations.
    Failure,
}

impl Status {
    /// Every status, lowest first.
    pub const ALL: [Status; 4] = [
        Status::Normal,
        Status::Warning,
        Status::Critical,
        Status::Failure,
    ];

    /// The name used in files and JSON (`"Warning"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Normal => "Normal",
            Status::Warning => "Warning",
            Status::Critical => "Critical",
            Status::Failure => "Failure",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `Normal`, `Warning`, `Critical`, `Failure`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?} (expected Normal, Warning, Critical or Failure)")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    /// Parses a status name, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

//! Errors of the query tool, each with the exit code a script can act on.

use std::path::PathBuf;

/// Exit code: done.
pub const EXIT_OK: u8 = 0;
/// Exit code: network, server or file-system trouble, anything not listed below.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad command line (unknown flag, missing value, conflicting flags).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: bad input such as an unparsable date, a start after the end, or an output
/// folder that does not exist.
pub const EXIT_INPUT: u8 = 3;
/// Exit code: configuration: no token, a bad or insecure API URL, or a token the server
/// refuses (401/403).
pub const EXIT_CONFIGURATION: u8 = 4;

/// Why a query could not be answered. Messages are one line and never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum QueryToolError {
    /// A date, window or output path that cannot be used.
    #[error("{0}")]
    BadInput(String),
    /// Neither `--token` nor `ANOMALY_API_TOKEN` gave a token.
    #[error("no API token: pass --token or set ANOMALY_API_TOKEN (ask the API's operator for one)")]
    MissingToken,
    /// The API URL or token cannot be used (the client's own check).
    #[error("{0}")]
    Config(#[from] anomaly_client::ConfigError),
    /// The server refused the token.
    #[error(
        "{status} {}: the token is invalid or expired — check --token or ANOMALY_API_TOKEN, or request a new token",
        if *status == 401 { "Unauthorized" } else { "Forbidden" }
    )]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// The query failed for another reason (network, server, answer).
    #[error("{0}")]
    Query(anomaly_client::QueryError),
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file asked for.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw {}: {reason}", path.display())]
    Plot {
        /// The file asked for.
        path: PathBuf,
        /// What the plotting library said.
        reason: String,
    },
}

impl QueryToolError {
    /// The process exit code for this error (see the table in `--help` and docs/QUERY.md).
    pub fn exit_code(&self) -> u8 {
        match self {
            QueryToolError::BadInput(_) => EXIT_INPUT,
            QueryToolError::MissingToken
            | QueryToolError::Config(_)
            | QueryToolError::Unauthorized { .. } => EXIT_CONFIGURATION,
            QueryToolError::Query(_)
            | QueryToolError::Write { .. }
            | QueryToolError::Plot { .. } => EXIT_FAILURE,
        }
    }
}

impl From<anomaly_client::QueryError> for QueryToolError {
    fn from(e: anomaly_client::QueryError) -> Self {
        match e {
            anomaly_client::QueryError::Unauthorized { status, .. } => {
                QueryToolError::Unauthorized { status }
            }
            other => QueryToolError::Query(other),
        }
    }
}

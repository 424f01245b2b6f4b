//! The control room's query tool (SPEC §6 `query`): pulls reported anomalies back from the
//! central API for analysis.
//!
//! [`fetch`] pages through the API with `anomaly-client`, [`row`] flattens each stored
//! anomaly to the columns people read, [`summary`] counts them (by status, pump and
//! parameter) and compares pumps, [`render`] prints tables, JSON and CSV, [`plot`] draws the
//! timeline and per-pump charts, [`output`] writes files atomically, and [`cli`] wires it all
//! to the command line. `main.rs` only parses flags and maps errors to exit codes.
//!
//! A key design decision of this crate is that **everything after the fetch is a pure
//! function of the fetched rows**: summary, comparison, table, CSV, JSON and charts never
//! talk to the network, and the clock comes in through [`cli::Environment`]. So the same
//! rows give the same output, every format is testable without a server, and the export,
//! the table and the charts can never disagree. The cost is memory: a query holds all its
//! rows (about 1 KB each with the server's JSON) until it is done, which is why
//! `--max-results` caps it (10,000 by default).
#![deny(missing_docs)]

pub mod cli;
pub mod error;
pub mod fetch;
pub mod output;
pub mod plot;
pub mod render;
pub mod row;
pub mod summary;
pub mod window;

pub use error::QueryToolError;

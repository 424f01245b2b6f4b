//! Blocking HTTP client of the central anomaly API (SPEC §5): submit anomalies with
//! retries and idempotency, query them back page by page, and typed errors that tell the
//! edge program what to do with an anomaly that did not get through.
//!
//! ```no_run
//! use anomaly_client::{Client, ClientConfig, Disposition, QueryFilter};
//! # fn run(anomaly: pump_core::AnomalyPayload) -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(ClientConfig::new("https://api.example.com/api/v1", "token"))?;
//! match client.submit(&anomaly) {
//!     Ok(stored) => println!("stored as {}", stored.id),
//!     Err(e) if e.disposition() == Disposition::RejectedForGood => { /* move aside */ }
//!     Err(e) => eprintln!("{e}"), // keep it spooled
//! }
//! let filter = QueryFilter { site_id: Some(35482), ..QueryFilter::default() };
//! for anomaly in client.query_all(&filter, Some(500)) {
//!     println!("{:?}", anomaly?.description());
//! }
//! # Ok(()) }
//! ```
//!
//! A key design decision of this crate is that **it is blocking and owns its retry loop**
//! (ureq, no async runtime): the edge program sends a handful of anomalies once an hour and
//! the query tool pages sequentially, so threads cost nothing and the build stays small for
//! a Raspberry-Pi-class device. Retries are exactly SPEC §5 (full-jitter exponential backoff
//! or the server's `Retry-After`), and every wait goes through a [`Clock`] so tests assert
//! the waits without sleeping. The cost: a caller that wants many submissions in flight
//! must use threads (the client is `Clone + Send + Sync`), and one call may block for up to
//! `retry_attempts × timeout` plus the waits.
#![deny(missing_docs)]

mod client;
mod config;
mod error;
mod retry;
mod types;

pub use client::{Client, QueryAll};
pub use config::{ClientConfig, ConfigError};
pub use error::{Disposition, QueryError, SubmitError};
pub use retry::{Clock, RecordingClock, SystemClock};
pub use types::{AnomalyId, Page, QueryFilter, SortDirection, StoredAnomaly};

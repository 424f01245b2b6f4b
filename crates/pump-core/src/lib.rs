//! The pure domain of pump anomaly detection (SPEC §2–§3).
//!
//! Readings from sensor CSVs, pump baselines, deviations, ISO 9906 tolerance grades,
//! violations and status, diagnosis of the failure mode, debounce, and the anomaly payload.
//!
//! A key design decision of this crate is that **it does no I/O of its own**: no network,
//! no clock, no environment and no filesystem. Parsers take any [`std::io::Read`] or `&str`
//! they are handed; rules are functions of their inputs and of explicit, serialisable state.
//! The edge binary, the packager, the model trainer, tests and other projects all reuse it
//! unchanged, and every rule can be tested without a disk or a network. The cost is that
//! callers name files in error messages themselves (errors here say line and field).
#![deny(missing_docs)]

pub mod diagnosis;
pub mod parameter;
pub mod payload;
pub mod status;
pub mod timestamp;

pub use diagnosis::{Diagnosis, FailureMode};
pub use parameter::{Parameter, ParameterValues};
pub use payload::{AdditionalContext, AnomalyKey, AnomalyMetadata, AnomalyPayload, event_id};
pub use status::Status;
pub use timestamp::Timestamp;

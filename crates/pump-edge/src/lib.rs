//! The edge program's runtime: everything `edge-infer` does besides parsing its arguments.
//!
//! [`engine::EdgeEngine::step`] takes one reading through every rule of `pump-core` (and the
//! model, through the [`engine::Predictor`] trait) and updates an explicit [`state::EdgeState`];
//! [`run::run_hourly`] wraps it in the imperative shell — lock, state file, spool, delivery —
//! and [`run::backtest`] replays a whole file through the same step.
//!
//! A key design decision of this crate is that **anomalies reach the spool on disk before
//! the state records their readings as processed**, and every file is written atomically.
//! Any crash therefore either repeats a run's work with the same event ids or finds it done,
//! and the stable Idempotency-Key makes a repeat harmless at the server. The cost is a
//! few fsyncs per run and that every anomaly passes through a file even when the network
//! is up.
#![deny(missing_docs)]

pub mod engine;
pub mod fsutil;
pub mod lock;
pub mod run;
pub mod spool;
pub mod state;

pub use engine::{AnomalyRef, EdgeEngine, Predictor, ReadingResult, StepOutcome};
pub use run::{RunError, RunOptions, RunResults, backtest, run_hourly};
pub use spool::{DeliveryFailure, DeliveryReport, Spool, Submitter};
pub use state::{EdgeState, StateStore};

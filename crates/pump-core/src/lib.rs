//! The pure domain of pump anomaly detection (SPEC §2–§3).
//!
//! Readings from sensor CSVs ([`read_sensor_csv`]), pump baselines ([`read_baseline_csv`],
//! [`Baseline::from_json`]), deviations and ISO 9906 tolerance grades ([`ToleranceTable`]),
//! violations and status ([`Evaluator`]), diagnosis of the failure mode ([`diagnose`]),
//! debounce ([`Debounce`]) and the anomaly payload ([`build_anomaly`]).
//!
//! A key design decision of this crate is that **it does no I/O of its own**: no network,
//! no clock, no environment and no filesystem. Parsers take any [`std::io::Read`] or `&str`
//! they are handed; rules are functions of their inputs and of explicit, serialisable state
//! ([`EvaluatorState`], [`Debounce`]). The edge binary, the packager, the model trainer,
//! tests and other projects all reuse it unchanged, and every rule can be tested without a
//! disk or a network. The cost is that callers name files in error messages themselves
//! (errors here say line and field), and pass in what they read from the environment.
//!
//! The worked example of SPEC §3.3:
//!
//! ```
//! use pump_core::*;
//! let table = ToleranceTable::builtin();
//! let evaluator = Evaluator {
//!     baseline: Baseline::new("Well 1", 500.0, 150.0, 75.0, 85.5),
//!     grade: table.grade("1U").unwrap().clone(),
//!     allowance: ParameterValues::empty(),
//!     running: RunningRule::default_for(None),
//! };
//! let t: Timestamp = "2024-11-18T14:32:00Z".parse().unwrap();
//! let reading = Reading::new(t)
//!     .with(Parameter::Flow, 575.0)
//!     .with(Parameter::Head, 154.8)
//!     .with(Parameter::Power, 81.375)
//!     .with(Parameter::Efficiency, 84.474);
//! let Outcome::Evaluated(e) = evaluator.evaluate(&mut EvaluatorState::default(), &reading)
//!     else { panic!("the pump runs") };
//! assert_eq!(e.status, Status::Warning);
//! assert_eq!(e.violations.len(), 2);
//! assert_eq!(e.violation(Parameter::Flow).unwrap().severity, 1.5);
//! ```
#![deny(missing_docs)]

pub mod baseline;
pub mod config;
pub mod debounce;
pub mod diagnosis;
pub mod evaluation;
pub mod parameter;
pub mod payload;
pub mod prediction;
pub mod reading;
pub mod sensor_csv;
pub mod status;
pub mod timestamp;
pub mod tolerance;

pub use baseline::{Baseline, BaselineError, FailureEvent, read_baseline_csv, read_failure_events};
pub use config::{
    ApiSettings, ConfigError, DeploymentConfig, InferenceSettings, Secret, TOKEN_ENV,
    check_base_url,
};
pub use debounce::{Debounce, LastReport, ReportingRules, candidate_keys};
pub use diagnosis::{Diagnosis, FailureMode, SignalSummary, diagnose};
pub use evaluation::{
    Deviation, Evaluation, Evaluator, EvaluatorState, Outcome, SustainedWindow, ThresholdType,
    Unevaluated, Violation, classify, deviations, violations,
};
pub use parameter::{Parameter, ParameterValues};
pub use payload::{
    AdditionalContext, AnomalyKey, AnomalyMetadata, AnomalyPayload, AnomalySource, ModelInfo,
    SiteInfo, build_anomaly, event_id,
};
pub use prediction::Prediction;
pub use reading::{Reading, RunningRule};
pub use sensor_csv::{
    ColumnMapping, ColumnSource, HeadUnit, MappingError, SensorCsvError, SensorData, SkippedRow,
    UnknownValue, read_sensor_csv,
};
pub use status::Status;
pub use timestamp::Timestamp;
pub use tolerance::{Grade, GradeRule, Limit, ToleranceError, ToleranceTable};

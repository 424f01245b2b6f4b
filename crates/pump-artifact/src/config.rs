//! The artifact's config files, parsed by `pump-core`: what the edge program and
//! `packager inspect` need, from a verified artifact.

use crate::artifact::Artifact;
use crate::layout;
use pump_core::{Baseline, ColumnMapping, DeploymentConfig, Grade, ToleranceTable};

/// The typed configuration of one artifact.
#[derive(Debug, Clone)]
pub struct PumpConfig {
    /// `config/baseline.json`.
    pub baseline: Baseline,
    /// `config/tolerances.json` (on top of the built-in table).
    pub tolerances: ToleranceTable,
    /// The pump's grade: the baseline's `tolerance_category`, else from its application.
    pub grade: Grade,
    /// `config/column_mapping.json`.
    pub column_mapping: ColumnMapping,
    /// `config/deployment_config.json`, with `${VAR}` substituted.
    pub deployment: DeploymentConfig,
    /// Unknown keys and other things worth a warning.
    pub warnings: Vec<String>,
}

/// A config file of the artifact is unusable; the message names the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ConfigFileError {
    /// Path inside the artifact.
    pub file: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn text<'a>(artifact: &'a Artifact, file: &'static str) -> Result<&'a str, ConfigFileError> {
    let bytes = artifact.file(file).ok_or_else(|| ConfigFileError {
        file,
        reason: "missing".into(),
    })?;
    std::str::from_utf8(bytes).map_err(|_| ConfigFileError {
        file,
        reason: "not UTF-8 text".into(),
    })
}

impl PumpConfig {
    /// Parses the four config files of a verified artifact. `env` looks up environment
    /// variables for deployment_config.json (`${NAME}`, `ANOMALY_API_TOKEN`).
    pub fn from_artifact(
        artifact: &Artifact,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PumpConfig, ConfigFileError> {
        let err = |file: &'static str| {
            move |e: &dyn std::fmt::Display| ConfigFileError {
                file,
                reason: e.to_string(),
            }
        };
        let baseline = Baseline::from_json(text(artifact, layout::BASELINE)?)
            .map_err(|e| err(layout::BASELINE)(&e))?;
        let tolerances = ToleranceTable::from_original_json(text(artifact, layout::TOLERANCES)?)
            .map_err(|e| err(layout::TOLERANCES)(&e))?;
        let grade = tolerances
            .grade_for(
                baseline.application.as_deref(),
                baseline.horsepower,
                baseline.tolerance_category.as_deref(),
            )
            .map_err(|e| err(layout::BASELINE)(&e))?
            .clone();
        let (column_mapping, mut warnings) =
            ColumnMapping::from_json(text(artifact, layout::COLUMN_MAPPING)?)
                .map_err(|e| err(layout::COLUMN_MAPPING)(&e))?;
        let (deployment, more) =
            DeploymentConfig::from_json(text(artifact, layout::DEPLOYMENT_CONFIG)?, env)
                .map_err(|e| err(layout::DEPLOYMENT_CONFIG)(&e))?;
        warnings.extend(
            more.into_iter()
                .map(|w| format!("{}: {w}", layout::DEPLOYMENT_CONFIG)),
        );
        if artifact.manifest().pump.trim() != baseline.pump_id.trim() {
            warnings.push(format!(
                "manifest names pump {:?} but {} names {:?}; using the baseline's",
                artifact.manifest().pump,
                layout::BASELINE,
                baseline.pump_id
            ));
        }
        Ok(PumpConfig {
            baseline,
            tolerances,
            grade,
            column_mapping,
            deployment,
            warnings,
        })
    }
}

//! The packager's work, behind its command line: load fleet files, train or load a model,
//! assemble the config files of one pump, write its artifact, and describe artifacts.
//!
//! The one rule that shapes it: **the same inputs give the same bytes**. Nothing here
//! reads the clock or the environment into an artifact (training is seeded; the README and
//! the config files are functions of the inputs), so CI can rebuild an artifact and check
//! that nothing changed.
#![deny(missing_docs)]

mod readme;

use pump_artifact::{Artifact, ArtifactBuilder, Manifest, layout};
use pump_core::{
    Baseline, ColumnMapping, DeploymentConfig, FailureEvent, SensorData, ToleranceTable,
    read_baseline_csv, read_failure_events, read_sensor_csv,
};
use pump_model::{Model, TrainConfig, TrainProgress, TrainingSet};
use std::path::{Path, PathBuf};
use time::UtcOffset;

pub use readme::deployment_readme;

/// Exit code of an input data error (unreadable or malformed file).
pub const EXIT_INPUT: u8 = 3;
/// Exit code of an artifact or configuration error.
pub const EXIT_CONFIG: u8 = 4;
/// Exit code of anything else.
pub const EXIT_OTHER: u8 = 1;

/// Why packaging failed: one line naming the input, and an exit code (SPEC §6).
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// An input file is unreadable or malformed.
    #[error("{path}: {reason}")]
    Input {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The inputs do not make a valid configuration (unknown pump, unknown application, …).
    #[error("{0}")]
    Config(String),
    /// An artifact could not be read or written.
    #[error(transparent)]
    Artifact(#[from] pump_artifact::ArtifactError),
    /// Training failed.
    #[error("training: {0}")]
    Train(String),
}

impl PackError {
    /// The exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            PackError::Input { .. } => EXIT_INPUT,
            PackError::Config(_) | PackError::Artifact(_) => EXIT_CONFIG,
            PackError::Train(_) => EXIT_OTHER,
        }
    }
}

fn input(path: &Path, reason: impl ToString) -> PackError {
    PackError::Input {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn read_text(path: &Path) -> Result<String, PackError> {
    std::fs::read_to_string(path).map_err(|e| input(path, e))
}

/// The fleet files training reads.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Every baseline row.
    pub baselines: Vec<Baseline>,
    /// One per operational file.
    pub sensor_data: Vec<SensorData>,
    /// Failure events.
    pub failures: Vec<FailureEvent>,
}

/// Reads a baseline CSV.
pub fn load_baselines(path: &Path) -> Result<Vec<Baseline>, PackError> {
    let file = std::fs::File::open(path).map_err(|e| input(path, e))?;
    read_baseline_csv(std::io::BufReader::new(file)).map_err(|e| input(path, e))
}

/// Reads the baseline, operational and failure files of a fleet.
pub fn load_fleet(
    baseline: &Path,
    operational: &[PathBuf],
    failures: &Path,
    offset: UtcOffset,
) -> Result<Fleet, PackError> {
    let baselines = load_baselines(baseline)?;
    let mut sensor_data = Vec::with_capacity(operational.len());
    for path in operational {
        let file = std::fs::File::open(path).map_err(|e| input(path, e))?;
        let data = read_sensor_csv(
            std::io::BufReader::new(file),
            &ColumnMapping::default(),
            offset,
        )
        .map_err(|e| input(path, e))?;
        sensor_data.push(data);
    }
    let file = std::fs::File::open(failures).map_err(|e| input(failures, e))?;
    let failures = read_failure_events(std::io::BufReader::new(file), offset)
        .map_err(|e| input(failures, e))?;
    Ok(Fleet {
        baselines,
        sensor_data,
        failures,
    })
}

/// Trains a model on a fleet (every pump with a baseline row and an evaluated reading).
pub fn train_fleet(
    fleet: &Fleet,
    config: &TrainConfig,
    progress: &(dyn Fn(TrainProgress) + Sync),
) -> Result<Model, PackError> {
    let set = TrainingSet::from_fleet(&fleet.baselines, &fleet.sensor_data, &fleet.failures)
        .map_err(|e| PackError::Train(e.to_string()))?;
    pump_model::train(&set, config, progress).map_err(|e| PackError::Train(e.to_string()))
}

/// Where the model of an artifact comes from.
pub enum ModelSource<'a> {
    /// Tolerance-only: no model.
    None,
    /// A model trained earlier (`packager train --out DIR`).
    Dir(&'a Path),
    /// A model trained in this run.
    Trained(Box<Model>),
}

/// What to package.
pub struct PackageRequest<'a> {
    /// Pump id (`Well ID`) in the baseline CSV.
    pub pump: &'a str,
    /// Baseline CSV.
    pub baseline_csv: &'a Path,
    /// Artifact version (semver).
    pub version: &'a str,
    /// Explicit grade, overriding the baseline and the application mapping.
    pub tolerance_category: Option<&'a str>,
    /// tolerances.json in the original format (default: the built-in table).
    pub tolerances: Option<&'a Path>,
    /// column_mapping.json (default: the SPEC's column names).
    pub column_mapping: Option<&'a Path>,
    /// deployment_config.json (default: a template with `${ANOMALY_API_TOKEN}`).
    pub deployment_config: Option<&'a Path>,
    /// An edge-infer binary to embed under bin/.
    pub binary: Option<&'a Path>,
    /// The model.
    pub model: ModelSource<'a>,
    /// Name and version of the tool, recorded in the manifest.
    pub tool: &'a str,
}

/// The deployment_config.json written when none is given: the original system's layout,
/// with the token from the environment.
pub const DEFAULT_DEPLOYMENT_CONFIG: &str = r#"{
  "api": {
    "base_url": "https://sp-api-sink.azurewebsites.net/api/v1",
    "bearer_token": "${ANOMALY_API_TOKEN}",
    "retry_attempts": 3,
    "retry_delay_seconds": 5
  },
  "site_info": {
    "site_id": 0,
    "pump_id": 0,
    "sensor_ids": {"flow": 101, "head": 102, "power": 103, "efficiency": 104}
  },
  "anomaly_reporting": {
    "enabled": true,
    "report_on_status": ["Warning", "Critical", "Failure"],
    "debounce_minutes": 60,
    "include_ml_predictions": true
  },
  "inference_settings": {
    "min_data_points_for_ml": 168,
    "save_results_locally": true,
    "results_retention_days": 30
  }
}
"#;

/// Builds the artifact of one pump. Nothing is written; call `write_zip` on the result.
/// Returns the builder and notes for the operator (e.g. "tolerance-only").
pub fn build_artifact(
    req: &PackageRequest<'_>,
) -> Result<(ArtifactBuilder, Vec<String>), PackError> {
    let mut notes = Vec::new();
    let baselines = load_baselines(req.baseline_csv)?;
    let mut baseline = baselines
        .iter()
        .find(|b| b.pump_id.trim() == req.pump.trim())
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = baselines.iter().map(|b| b.pump_id.as_str()).collect();
            PackError::Config(format!(
                "{}: no pump {:?} (pumps in the file: {})",
                req.baseline_csv.display(),
                req.pump,
                known.join(", ")
            ))
        })?;

    let (tolerances_json, table) = match req.tolerances {
        Some(path) => {
            let text = read_text(path)?;
            let table = ToleranceTable::from_original_json(&text).map_err(|e| input(path, e))?;
            (text, table)
        }
        None => {
            let table = ToleranceTable::builtin();
            (table.to_original_json(), table)
        }
    };
    let explicit = req
        .tolerance_category
        .or(baseline.tolerance_category.as_deref());
    let grade = table
        .grade_for(
            baseline.application.as_deref(),
            baseline.horsepower,
            explicit,
        )
        .map_err(|e| {
            PackError::Config(format!(
                "pump {:?}: {e}{}",
                baseline.pump_id,
                if explicit.is_none() {
                    " (or pass --tolerance-category)"
                } else {
                    ""
                }
            ))
        })?
        .clone();
    baseline.tolerance_category = Some(grade.name.clone());

    let mapping_json = match req.column_mapping {
        Some(path) => {
            let text = read_text(path)?;
            ColumnMapping::from_json(&text).map_err(|e| input(path, e))?;
            text
        }
        None => ColumnMapping::default().to_json(),
    };
    let deployment_json = match req.deployment_config {
        Some(path) => read_text(path)?,
        None => {
            notes.push(
                "no --deployment-config: wrote a template; set site_info before deploying".into(),
            );
            DEFAULT_DEPLOYMENT_CONFIG.to_string()
        }
    };
    // Checked with every variable set, so that `${ANOMALY_API_TOKEN}` passes here and is
    // resolved at the site.
    let placeholder = |_: &str| Some("set-at-the-site".to_string());
    let (deployment, _) =
        DeploymentConfig::from_json(&deployment_json, &placeholder).map_err(|e| {
            match req.deployment_config {
                Some(p) => input(p, e),
                None => PackError::Config(e.to_string()),
            }
        })?;

    let mut builder = ArtifactBuilder::new(&baseline.pump_id, req.version, req.tool)?;
    builder
        .add_file(layout::BASELINE, baseline.to_json().into_bytes())?
        .add_file(layout::TOLERANCES, tolerances_json.into_bytes())?
        .add_file(layout::COLUMN_MAPPING, mapping_json.into_bytes())?
        .add_file(layout::DEPLOYMENT_CONFIG, deployment_json.into_bytes())?;

    let model = match &req.model {
        ModelSource::None => {
            notes.push(
                "no model: this is a tolerance-only artifact (tolerance grades, no ML prediction)"
                    .into(),
            );
            None
        }
        ModelSource::Dir(dir) => Some(Model::load(dir).map_err(|e| input(dir, e))?),
        ModelSource::Trained(m) => Some((**m).clone()),
    };
    if let Some(model) = &model {
        let (detector, scaler, metadata) = model
            .to_bytes()
            .map_err(|e| PackError::Train(e.to_string()))?;
        builder
            .add_file("model/anomaly_detector.bin", detector)?
            .add_file("model/scaler.bin", scaler)?
            .add_file(layout::MODEL_METADATA, metadata.into_bytes())?;
    }
    if let Some(path) = req.binary {
        let bytes = std::fs::read(path).map_err(|e| input(path, e))?;
        builder.add_executable(layout::EDGE_BINARY, bytes)?;
    }
    let readme = deployment_readme(
        &baseline,
        &grade,
        req.version,
        &deployment,
        model.as_ref().map(Model::metadata),
        req.binary.is_some(),
    );
    builder.add_file(layout::README, readme.into_bytes())?;
    Ok((builder, notes))
}

/// Builds and writes the artifact; returns its manifest and the notes.
pub fn package(
    req: &PackageRequest<'_>,
    output: &Path,
) -> Result<(Manifest, Vec<String>), PackError> {
    let (builder, notes) = build_artifact(req)?;
    let manifest = builder.write_zip(output)?;
    Ok((manifest, notes))
}

/// Opens and verifies an artifact, including that its config files parse.
pub fn verify(path: &Path) -> Result<Artifact, PackError> {
    let artifact = Artifact::open(path)?;
    let placeholder = |_: &str| Some("set-at-the-site".to_string());
    pump_artifact::PumpConfig::from_artifact(&artifact, &placeholder)
        .map_err(|e| PackError::Config(format!("artifact {}: {e}", path.display())))?;
    if let Some(files) = artifact.model() {
        Model::from_bytes(
            files.detector,
            files.scaler,
            std::str::from_utf8(files.metadata).unwrap_or(""),
        )
        .map_err(|e| PackError::Config(format!("artifact {}: {e}", path.display())))?;
    }
    Ok(artifact)
}

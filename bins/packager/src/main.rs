//! packager: trains pump failure models and packages artifacts (SPEC §6). Argument parsing,
//! progress and output; the work is in the `packaging` library.

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use packaging::{ModelSource, PackError, PackageRequest};
use pump_model::{TrainConfig, TrainProgress};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

/// Train pump failure models and package verifiable artifacts for the edge.
///
/// Exit codes: 0 done, 2 usage, 3 input data error (unreadable or malformed file),
/// 4 artifact or configuration error (unknown pump or application, bad artifact), 1 other.
#[derive(Parser, Debug)]
// `--version` is the artifact's version (SPEC §6), so clap's own version flag is off.
#[command(
    about,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    package: PackageArgs,
}

#[derive(Args, Debug)]
struct PackageArgs {
    /// Pump id (`Well ID`) in the baseline CSV.
    #[arg(long, required = true)]
    pump: Option<String>,
    /// Baseline CSV (one row per pump).
    #[arg(long, required = true)]
    baseline: Option<PathBuf>,
    /// Artifact ZIP to write.
    #[arg(long, required = true)]
    output: Option<PathBuf>,
    /// Artifact version (semver, e.g. 1.0.0).
    #[arg(long, required = true)]
    version: Option<String>,
    /// Operational CSVs to train on (repeatable; each may name several files).
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    operational: Vec<PathBuf>,
    /// Failure events CSV (training labels).
    #[arg(long)]
    failures: Option<PathBuf>,
    /// A model trained earlier (`packager train --out DIR`).
    #[arg(long, conflicts_with_all = ["operational", "failures"])]
    model: Option<PathBuf>,
    /// Tolerance grade, overriding the baseline and the application mapping.
    #[arg(long)]
    tolerance_category: Option<String>,
    /// tolerances.json in the original format (default: built-in grades).
    #[arg(long)]
    tolerances: Option<PathBuf>,
    /// column_mapping.json (default: the SPEC's column names).
    #[arg(long)]
    column_mapping: Option<PathBuf>,
    /// deployment_config.json (default: a template).
    #[arg(long)]
    deployment_config: Option<PathBuf>,
    /// An edge-infer binary to embed under bin/.
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a model from fleet history and save it to a folder.
    Train {
        /// Baseline CSV.
        #[arg(long)]
        baseline: PathBuf,
        /// Operational CSVs (repeatable; each may name several files).
        #[arg(long, required = true, num_args = 1.., action = clap::ArgAction::Append)]
        operational: Vec<PathBuf>,
        /// Failure events CSV.
        #[arg(long)]
        failures: PathBuf,
        /// Folder to write the model to.
        #[arg(long)]
        out: PathBuf,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check an artifact's checksums and contents, print a summary.
    Verify {
        /// Artifact ZIP or folder.
        artifact: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print an artifact's baseline, grade and model metrics.
    Inspect {
        /// Artifact ZIP or folder.
        artifact: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

const TOOL: &str = concat!("packager ", env!("CARGO_PKG_VERSION"));

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Train {
            baseline,
            operational,
            failures,
            out,
            format,
        }) => train(&baseline, &operational, &failures, &out, format),
        Some(Command::Verify { artifact, format }) => verify(&artifact, format),
        Some(Command::Inspect { artifact, format }) => inspect(&artifact, format),
        None => package(&cli.package),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("packager: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// A progress bar on stderr, one stage at a time.
fn progress_bar() -> impl Fn(TrainProgress) + Sync {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>18} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let stage = Mutex::new("");
    move |p: TrainProgress| {
        if let Ok(mut s) = stage.lock()
            && *s != p.stage
        {
            *s = p.stage;
            bar.reset();
            bar.set_message(p.stage);
        }
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
        if p.done == p.total && p.stage == "evaluation" {
            bar.finish_and_clear();
        }
    }
}

fn train_from(
    baseline: &Path,
    operational: &[PathBuf],
    failures: &Path,
) -> Result<pump_model::Model, PackError> {
    eprintln!("reading {} operational files…", operational.len());
    let fleet = packaging::load_fleet(baseline, operational, failures, time::UtcOffset::UTC)?;
    eprintln!(
        "training on {} baselines, {} failures",
        fleet.baselines.len(),
        fleet.failures.len()
    );
    packaging::train_fleet(&fleet, &TrainConfig::default(), &progress_bar())
}

fn print_metrics(model: &pump_model::Model, format: Format) {
    let meta = model.metadata();
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(meta).unwrap_or_default());
        return;
    }
    println!(
        "model: {} features, RUL cap {} days, trained on {} pumps in {} cross-validation folds",
        meta.feature_names.len(),
        meta.rul_cap_days,
        meta.folds.iter().map(Vec::len).sum::<usize>(),
        meta.folds.len()
    );
    if let Some(h) = &meta.held_out {
        if let Some(e) = &h.rul_capped {
            println!(
                "  cross-fitted RUL (capped): MAE {:.2} d, RMSE {:.2} d",
                e.mae, e.rmse
            );
        }
        if let Some(p) = &h.probability {
            println!(
                "  cross-fitted 7-day probability: Brier {:.3}, ROC AUC {}",
                p.brier,
                p.roc_auc.map_or("n/a".into(), |a| format!("{a:.3}"))
            );
        }
        if let Some(c) = h.interval_coverage {
            println!("  80% interval coverage: {:.0}%", c * 100.0);
        }
    }
}

fn train(
    baseline: &Path,
    operational: &[PathBuf],
    failures: &Path,
    out: &Path,
    format: Format,
) -> Result<(), PackError> {
    let model = train_from(baseline, operational, failures)?;
    model.save(out).map_err(|e| PackError::Input {
        path: out.display().to_string(),
        reason: e.to_string(),
    })?;
    print_metrics(&model, format);
    eprintln!("model written to {}", out.display());
    Ok(())
}

fn package(args: &PackageArgs) -> Result<(), PackError> {
    // clap enforces these four outside subcommands.
    let (Some(pump), Some(baseline), Some(output), Some(version)) =
        (&args.pump, &args.baseline, &args.output, &args.version)
    else {
        return Err(PackError::Config(
            "--pump, --baseline, --output and --version are required".into(),
        ));
    };
    let model = if let Some(dir) = &args.model {
        ModelSource::Dir(dir)
    } else if !args.operational.is_empty() {
        let failures = args.failures.as_deref().ok_or_else(|| {
            PackError::Config(
                "training needs --failures (the failure events CSV) with --operational".into(),
            )
        })?;
        ModelSource::Trained(Box::new(train_from(baseline, &args.operational, failures)?))
    } else if args.failures.is_some() {
        return Err(PackError::Config(
            "--failures needs --operational data to train on".into(),
        ));
    } else {
        ModelSource::None
    };
    let request = PackageRequest {
        pump,
        baseline_csv: baseline,
        version,
        tolerance_category: args.tolerance_category.as_deref(),
        tolerances: args.tolerances.as_deref(),
        column_mapping: args.column_mapping.as_deref(),
        deployment_config: args.deployment_config.as_deref(),
        binary: args.binary.as_deref(),
        model,
        tool: TOOL,
    };
    let (manifest, notes) = packaging::package(&request, output)?;
    for n in &notes {
        eprintln!("packager: note: {n}");
    }
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    if args.format == Format::Json {
        println!(
            "{}",
            serde_json::json!({"artifact": output, "bytes": size, "manifest": manifest, "notes": notes})
        );
    } else {
        println!(
            "wrote {} ({} bytes): pump {:?}, version {}, {} files",
            output.display(),
            size,
            manifest.pump,
            manifest.version,
            manifest.files.len()
        );
    }
    Ok(())
}

fn verify(path: &Path, format: Format) -> Result<(), PackError> {
    let artifact = packaging::verify(path)?;
    let summary = artifact.summary();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        ),
        Format::Text => print!("{summary}"),
    }
    Ok(())
}

fn inspect(path: &Path, format: Format) -> Result<(), PackError> {
    let artifact = packaging::verify(path)?;
    let placeholder = |_: &str| Some("set-at-the-site".to_string());
    let config = pump_artifact::PumpConfig::from_artifact(&artifact, &placeholder)
        .map_err(|e| PackError::Config(e.to_string()))?;
    let model_meta: Option<serde_json::Value> = artifact
        .model()
        .and_then(|m| serde_json::from_slice(m.metadata).ok());
    if format == Format::Json {
        let v = serde_json::json!({
            "pump": config.baseline.pump_id,
            "version": artifact.manifest().version,
            "baseline": serde_json::from_str::<serde_json::Value>(&config.baseline.to_json()).unwrap_or_default(),
            "grade": config.grade,
            "site": config.deployment.site,
            "model": model_meta,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    let b = &config.baseline;
    println!(
        "artifact {} (verified): pump {:?}, version {}",
        path.display(),
        b.pump_id,
        artifact.manifest().version
    );
    println!(
        "  baseline: flow {} gpm, head {}, power {} hp, efficiency {} %{}",
        fmt_opt(b.values.flow),
        fmt_opt(b.values.head),
        fmt_opt(b.values.power),
        fmt_opt(b.values.efficiency),
        b.speed_rpm
            .map_or(String::new(), |s| format!(", speed {s} rpm"))
    );
    println!(
        "  application: {} ({} hp), grade {}",
        b.application.as_deref().unwrap_or("—"),
        fmt_opt(b.horsepower),
        config.grade.name
    );
    for (p, limit) in config.grade.limits.iter() {
        println!(
            "    {p:<10} min {:>12}  max {:>12}  {}",
            limit
                .min
                .map_or("not checked".into(), |v| format!("{v:+}%")),
            limit
                .max
                .map_or("not checked".into(), |v| format!("{v:+}%")),
            if limit.mandatory {
                "mandatory"
            } else {
                "optional"
            }
        );
    }
    println!(
        "  site {}, pump {}, API {}",
        config.deployment.site.site_id,
        config.deployment.site.pump_id,
        config.deployment.api.base_url
    );
    match artifact.model() {
        None => println!("  model: none (tolerance-only)"),
        Some(files) => {
            let model = pump_model::Model::from_bytes(
                files.detector,
                files.scaler,
                std::str::from_utf8(files.metadata).unwrap_or(""),
            )
            .map_err(|e| PackError::Config(e.to_string()))?;
            print_metrics(&model, Format::Text);
        }
    }
    Ok(())
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

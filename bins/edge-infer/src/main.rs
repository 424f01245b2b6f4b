//! edge-infer: the hourly edge program (SPEC §6). Parses arguments, loads the artifact,
//! reads the CSV, hands both to `pump_edge`, writes the results and maps errors to exit
//! codes. Everything else lives in the library crates.

mod wiring;

use anomaly_client::{Client, ClientConfig};
use clap::Parser;
use pump_artifact::{Artifact, PumpConfig};
use pump_core::{ModelInfo, read_sensor_csv};
use pump_edge::{EdgeEngine, Predictor, RunOptions, RunResults, Submitter, backtest, run_hourly};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Exit codes (SPEC §6); 2 (usage) comes from clap.
const EXIT_OTHER: u8 = 1;
const EXIT_INPUT: u8 = 3;
const EXIT_ARTIFACT: u8 = 4;

/// Evaluate a pump's sensor CSV against its artifact, predict, and report anomalies.
///
/// Exit codes: 0 done (whatever the pump's status), 2 usage, 3 input data error,
/// 4 artifact or configuration error, 1 anything else.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
struct Args {
    /// Sensor CSV to evaluate.
    input_csv: PathBuf,
    /// Results file: JSON, or JSON Lines with --backtest. Written atomically.
    output_json: PathBuf,
    /// Artifact to use: a ZIP or an extracted folder.
    #[arg(long, default_value = ".", env = "EDGE_ARTIFACT")]
    artifact: PathBuf,
    /// Where history, debounce state and the spool live (default: the artifact folder, or
    /// the current folder for a ZIP).
    #[arg(long, env = "EDGE_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Evaluate and write results, send nothing (anomalies wait in the spool).
    #[arg(long)]
    no_report: bool,
    /// Replay every reading from an empty state, send nothing, write JSON Lines.
    #[arg(long, conflicts_with = "no_report")]
    backtest: bool,
    /// Only errors on stderr, no summary on stdout.
    #[arg(long, short)]
    quiet: bool,
    /// More detail on stderr (-v, -vv).
    #[arg(long, short, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// A failure with its exit code and one line for the operator.
struct Failure {
    code: u8,
    message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            tracing::error!("{}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_logging(args: &Args) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

fn run(args: &Args) -> Result<(), Failure> {
    let artifact =
        Artifact::open(&args.artifact).map_err(|e| fail(EXIT_ARTIFACT, e.to_string()))?;
    let sends = !(args.backtest || args.no_report);
    // A run that sends nothing needs no token: an unset ANOMALY_API_TOKEN is no error then.
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| (!sends && name == pump_core::TOKEN_ENV).then(String::new))
    };
    let config = PumpConfig::from_artifact(&artifact, &env).map_err(|e| {
        fail(
            EXIT_ARTIFACT,
            format!("artifact {}: {e}", args.artifact.display()),
        )
    })?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let model = match artifact.model() {
        None => None,
        Some(files) => Some(
            pump_model::Model::from_bytes(
                files.detector,
                files.scaler,
                std::str::from_utf8(files.metadata).unwrap_or(""),
            )
            .map_err(|e| {
                fail(
                    EXIT_ARTIFACT,
                    format!("artifact {}: {e}", args.artifact.display()),
                )
            })?,
        ),
    };

    let file = std::fs::File::open(&args.input_csv)
        .map_err(|e| fail(EXIT_INPUT, format!("{}: {e}", args.input_csv.display())))?;
    let data = read_sensor_csv(
        std::io::BufReader::new(file),
        &config.column_mapping,
        config.deployment.inference.timezone_offset,
    )
    .map_err(|e| fail(EXIT_INPUT, format!("{}: {e}", args.input_csv.display())))?;
    for (quantity, column) in &data.missing_columns {
        let mandatory = quantity == "flow" || quantity == "head";
        let what = if mandatory { "mandatory" } else { "optional" };
        tracing::warn!(
            "{}: no column {column:?} for {what} {quantity}; it is not evaluated",
            args.input_csv.display()
        );
    }
    for s in &data.skipped_rows {
        tracing::warn!(
            "{}: line {}: skipped: {}",
            args.input_csv.display(),
            s.line,
            s.reason
        );
    }
    for u in &data.unknown_values {
        tracing::info!(
            "{}: line {}: {} unknown: {}",
            args.input_csv.display(),
            u.line,
            u.column,
            u.reason
        );
    }

    let deployment = &config.deployment;
    let running = deployment.inference.running_rule(config.baseline.speed_rpm);
    let predictor = model.as_ref().map(|m| wiring::ModelPredictor {
        model: m,
        baseline: &config.baseline,
        running,
    });
    let engine = EdgeEngine {
        evaluator: pump_core::Evaluator {
            baseline: config.baseline.clone(),
            grade: config.grade.clone(),
            allowance: deployment.inference.measurement_allowance_pct,
            running,
        },
        site: deployment.site.clone(),
        model_info: ModelInfo {
            name: "pump-anomaly-detector".into(),
            version: artifact.manifest().version.clone(),
        },
        reporting: deployment.reporting.clone(),
        reporting_enabled: deployment.reporting_enabled,
        min_data_points_for_ml: deployment.inference.min_data_points_for_ml,
        retention_days: deployment.inference.results_retention_days,
        predictor: predictor.as_ref().map(|p| p as &dyn Predictor),
    };

    if args.backtest {
        let mut out = Vec::new();
        let (evaluated, anomalies) = backtest(&engine, &data, &mut out)
            .map_err(|e| fail(EXIT_OTHER, format!("backtest: {e}")))?;
        pump_edge::fsutil::write_atomic(&args.output_json, &out)
            .map_err(|e| fail(EXIT_OTHER, format!("{}: {e}", args.output_json.display())))?;
        if !args.quiet {
            println!(
                "{}: backtest of {} readings: {evaluated} evaluated, {anomalies} anomalies would have been reported; wrote {}",
                config.baseline.pump_id,
                data.readings.len(),
                args.output_json.display()
            );
        }
        return Ok(());
    }

    let state_dir = args
        .state_dir
        .clone()
        .unwrap_or_else(|| default_state_dir(&args.artifact));
    let (client, not_sending_because) = if args.no_report {
        (None, "--no-report: nothing sent".to_string())
    } else if !deployment.reporting_enabled {
        (
            None,
            "anomaly_reporting.enabled is false: nothing sent".to_string(),
        )
    } else if !deployment.api.bearer_token.is_configured() {
        let why = format!(
            "API client not configured: set ANOMALY_API_TOKEN (or api.bearer_token); anomalies are kept in {}",
            state_dir.join(pump_edge::spool::SPOOL_DIR).display()
        );
        tracing::warn!("{why}");
        (None, why)
    } else {
        let api = &deployment.api;
        let mut cc = ClientConfig::new(api.base_url.clone(), api.bearer_token.expose());
        cc.retry_attempts = api.retry_attempts;
        cc.retry_delay = Duration::from_secs_f64(api.retry_delay_seconds);
        cc.timeout = Duration::from_secs_f64(api.timeout_seconds);
        let client = Client::new(cc).map_err(|e| fail(EXIT_ARTIFACT, format!("api: {e}")))?;
        (Some(wiring::ApiSubmitter(client)), String::new())
    };
    let results = run_hourly(
        &engine,
        &data,
        &RunOptions {
            state_dir: &state_dir,
            spool_max_files: deployment.spool_max_files,
            submitter: client.as_ref().map(|c| c as &dyn Submitter),
            not_sending_because: &not_sending_because,
        },
    )
    .map_err(|e| fail(EXIT_OTHER, e.to_string()))?;
    let json = serde_json::to_vec_pretty(&results).map_err(|e| fail(EXIT_OTHER, e.to_string()))?;
    pump_edge::fsutil::write_atomic(&args.output_json, &json)
        .map_err(|e| fail(EXIT_OTHER, format!("{}: {e}", args.output_json.display())))?;
    if !args.quiet {
        print_summary(&results, &args.output_json);
    }
    Ok(())
}

/// The artifact folder, or the current folder for a ZIP.
fn default_state_dir(artifact: &Path) -> PathBuf {
    if artifact.is_dir() {
        artifact.to_path_buf()
    } else {
        PathBuf::from(".")
    }
}

fn print_summary(r: &RunResults, output: &Path) {
    let a = &r.anomalies;
    match (r.timestamp, r.status) {
        (Some(t), Some(status)) => {
            let devs: Vec<String> = r
                .deviations
                .iter()
                .map(|(p, d)| format!("{p} {d:+.1}%"))
                .collect();
            println!(
                "{}: {} new readings evaluated; latest {t}: {status} ({})",
                r.pump_id,
                r.evaluated_readings.len(),
                devs.join(", ")
            );
        }
        _ => println!(
            "{}: {}",
            r.pump_id,
            r.note.as_deref().unwrap_or("nothing evaluated")
        ),
    }
    if let Some(d) = &r.diagnosis {
        println!("  diagnosis: {} ({})", d.mode, d.reason);
    }
    match (&r.prediction, &r.prediction_unavailable) {
        (Some(p), _) => println!(
            "  prediction: RUL {:.1} days [{:.1}, {:.1}], 7-day failure probability {:.0}%, confidence {:.2}",
            p.rul_days,
            p.rul_interval_days[0],
            p.rul_interval_days[1],
            p.probability * 100.0,
            p.confidence
        ),
        (None, Some(why)) => println!("  prediction: none. {why}"),
        (None, None) => {}
    }
    println!(
        "  anomalies: {} new, {} sent ({} re-sent), {} waiting in the spool, {} rejected, {} dropped; reported_to_api: {}",
        a.new.len(),
        a.sent.len(),
        a.resent.len(),
        a.spooled.len(),
        a.rejected.len(),
        a.dropped.len(),
        r.reported_to_api
    );
    if !r.skipped_rows.is_empty() || !r.unknown_values.is_empty() {
        println!(
            "  input: {} rows skipped, {} values unknown (details in the results file)",
            r.skipped_rows.len(),
            r.unknown_values.len()
        );
    }
    println!("  results: {}", output.display());
}

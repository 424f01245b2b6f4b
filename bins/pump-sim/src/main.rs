//! `pump-sim`: writes a simulated pump fleet in the SPEC's file formats.

use clap::Parser;
use pump_core::Timestamp;
use pump_sim::{DataFaults, DayRange, FleetConfig, simulate_fleet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Command-line arguments (see `--help`).
#[derive(Debug, Parser)]
#[command(
    name = "pump-sim",
    version,
    about = "Writes a simulated pump fleet: baseline.csv, operational/<pump>.csv, failures.csv \
             and ground_truth.json (docs/SIMULATOR.md). Same arguments, same bytes."
)]
struct Args {
    /// Fleet seed; each pump's readings are derived from it and the pump's position.
    #[arg(long, env = "PUMP_SIM_SEED")]
    seed: u64,
    /// Number of pumps (1–999).
    #[arg(long)]
    pumps: usize,
    /// Length of the window in days.
    #[arg(long)]
    days: u32,
    /// Folder to write the fleet into (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// First reading (RFC 3339 or `YYYY-MM-DD HH:MM:SS`, UTC unless an offset is given).
    #[arg(long, default_value = "2024-01-01T00:00:00Z", value_parser = parse_start)]
    start: Timestamp,
    /// Minutes between readings.
    #[arg(long, default_value_t = FleetConfig::DEFAULT_INTERVAL_MINUTES)]
    interval_minutes: u32,
    /// Share of pumps that stay healthy (0–1).
    #[arg(long, default_value_t = FleetConfig::DEFAULT_HEALTHY_FRACTION)]
    healthy_fraction: f64,
    /// Failure times of degrading pumps as MIN..MAX days after the start
    /// [default: 20..120 scaled by DAYS/90].
    #[arg(long, value_name = "MIN..MAX", value_parser = parse_day_range)]
    failure_days: Option<DayRange>,
    /// Write clean data: no missing rows, empty or garbage cells, or repeated rows.
    #[arg(long)]
    no_faults: bool,
    /// Print nothing when done.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_start(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>().map_err(|e| e.to_string())
}

fn parse_day_range(text: &str) -> Result<DayRange, String> {
    let (min, max) = text
        .split_once("..")
        .ok_or_else(|| format!("expected MIN..MAX, got {text:?}"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .map_err(|_| format!("expected a number of days, got {s:?}"))
    };
    Ok(DayRange {
        min: number(min)?,
        max: number(max)?,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let began = Instant::now();
    let config = FleetConfig {
        start: args.start,
        interval_minutes: args.interval_minutes,
        healthy_fraction: args.healthy_fraction,
        failure_after_days: args.failure_days,
        faults: if args.no_faults {
            DataFaults::NONE
        } else {
            DataFaults::TYPICAL
        },
        ..FleetConfig::new(args.seed, args.pumps, args.days)
    };
    let fleet = match simulate_fleet(&config) {
        Ok(fleet) => fleet,
        Err(e) => {
            eprintln!("pump-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let written = match fleet.write_to(&args.out) {
        Ok(written) => written,
        Err(e) => {
            eprintln!("pump-sim: cannot write the fleet: {e}");
            return ExitCode::FAILURE;
        }
    };
    for stale in &written.stale {
        eprintln!(
            "pump-sim: warning: {} is not part of this fleet (left from an earlier run?)",
            stale.display()
        );
    }
    if !args.quiet {
        let s = fleet.summary();
        eprintln!(
            "pump-sim: {} pumps ({} healthy, {} failed in window, {} degrading but censored), {} rows, {} days from {} (seed {}) in {} [{:.2} s]",
            s.pumps,
            s.healthy,
            s.failed,
            s.degrading_censored,
            s.rows,
            config.days,
            config.start,
            config.seed,
            args.out.display(),
            began.elapsed().as_secs_f64()
        );
    }
    ExitCode::SUCCESS
}

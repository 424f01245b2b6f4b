//! The command line: flags, and [`run`], which wires window, client, fetch, output, export
//! and charts together. `main.rs` only parses, calls [`run`] and maps errors to exit codes.

use crate::error::QueryToolError;
use crate::fetch::{DEFAULT_MAX_RESULTS, DEFAULT_PAGE_SIZE, Fetched, Filters, fetch_all};
use crate::output::{check_output_path, write_file_atomically};
use crate::plot::{comparison_path, draw_comparison, draw_timeline};
use crate::render::{
    Colour, JsonOutput, short_time, write_comparison, write_csv, write_summary, write_table,
};
use crate::summary::{Comparison, Summary};
use crate::window::TimeWindow;
use anomaly_client::{Client, ClientConfig};
use clap::builder::TypedValueParser;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pump_core::Timestamp;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The API URL when neither `--api-url` nor `ANOMALY_API_URL` is given: a local sink.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8080/api/v1";

/// How long a fetch runs before a progress bar appears (on a terminal only).
const PROGRESS_DELAY: Duration = Duration::from_millis(300);

/// The base of the backoff between attempts (3 attempts in all).
const RETRY_DELAY: Duration = Duration::from_secs(1);

const AFTER_HELP: &str = "\
Dates: --start and --end take a date (2024-11-18, or 11/18/2024) or a timestamp
(2024-11-18T14:30:00Z, 2024-11-18 14:30, +02:00 offsets allowed; no offset means UTC).
A date means the whole UTC day: --start 2024-11-18 --end 2024-11-18 is that one day.
A timestamp is an instant: the window starts at it, or ends just before it.
--days N is the last N×24 hours before now.

The newest --max-results anomalies are fetched (all pages) and shown oldest first.

Exit codes:
  0  done (also when nothing matches)
  1  network, server or file-system trouble
  2  usage: unknown flag, missing value, conflicting flags
  3  bad input: unparsable date, empty window, output folder missing
  4  configuration: no token, bad or insecure API URL, token refused (401/403)

The token is never printed. See docs/QUERY.md for output formats, export columns and charts.";

/// Queries reported anomalies from the central API: a table with a summary, JSON or CSV,
/// CSV export, a timeline PNG and a pump-by-pump comparison.
#[derive(Debug, Clone, Parser)]
#[command(name = "query", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Base URL of the API (https, or http to loopback only).
    #[arg(long, env = "ANOMALY_API_URL", default_value = DEFAULT_API_URL, value_name = "URL")]
    pub api_url: String,

    /// Bearer token of the API; better given by ANOMALY_API_TOKEN (never printed).
    #[arg(
        long,
        env = "ANOMALY_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,

    /// Only this site.
    #[arg(long, value_name = "ID")]
    pub site: Option<i64>,

    /// Only this pump.
    #[arg(long, value_name = "ID")]
    pub pump: Option<i64>,

    /// Only this sensor.
    #[arg(long, value_name = "ID")]
    pub sensor: Option<i64>,

    /// Only the last N days (N×24 hours before now).
    #[arg(long, value_name = "N", conflicts_with_all = ["start", "end"])]
    pub days: Option<u32>,

    /// From this date (whole day) or timestamp on.
    #[arg(long, value_name = "DATE")]
    pub start: Option<String>,

    /// Up to this date (the whole day included) or just before this timestamp.
    #[arg(long, value_name = "DATE")]
    pub end: Option<String>,

    /// Fetch at most this many anomalies (the newest).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RESULTS,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000).map(|n| n as usize))]
    pub max_results: usize,

    /// Output on stdout: a table with a summary, or JSON or CSV for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Also write the anomalies to this CSV file (written atomically).
    #[arg(long, value_name = "CSV")]
    pub export: Option<PathBuf>,

    /// Draw a timeline to this PNG file (1200×600); with --compare-pumps also
    /// FILE-compare.png, the anomalies per pump by status.
    #[arg(long, value_name = "PNG")]
    pub visualize: Option<PathBuf>,

    /// Compare pumps: per pump, counts by status, anomalies per day and the most frequent
    /// parameter.
    #[arg(long)]
    pub compare_pumps: bool,

    /// Anomalies per request (1–1000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,
}

/// Output format on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned table, then the summary (and the comparison).
    Table,
    /// One JSON document: filters, counts, summary, comparison, anomalies.
    Json,
    /// The export's columns, header first.
    Csv,
}

/// What the process runs in: the clock and the terminals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Now, for `--days` and rates.
    pub now: Timestamp,
    /// Whether stdout is a terminal (colours).
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal (progress bar).
    pub stderr_is_terminal: bool,
    /// The value of `NO_COLOR`, when set.
    pub no_color: Option<String>,
}

impl Environment {
    /// The real clock, terminals and environment.
    pub fn from_process() -> Environment {
        use std::io::IsTerminal;
        Environment {
            now: Timestamp::from(time::OffsetDateTime::now_utc()),
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            no_color: std::env::var("NO_COLOR").ok(),
        }
    }
}

impl Filters {
    /// One line saying what was queried, for chart subtitles.
    pub fn describe(&self) -> String {
        let id = |name: &str, all: &str, v: Option<i64>| {
            v.map_or_else(|| all.to_string(), |v| format!("{name} {v}"))
        };
        let window = match (self.window.start, self.window.end) {
            (None, None) => "all time".to_string(),
            (Some(s), None) => format!("from {} UTC", short_time(s)),
            (None, Some(e)) => format!("before {} UTC", short_time(e)),
            (Some(s), Some(e)) => format!("{} to {} UTC", short_time(s), short_time(e)),
        };
        [
            id("site", "all sites", self.site),
            id("pump", "all pumps", self.pump),
            id("sensor", "all sensors", self.sensor),
            window,
        ]
        .join(" · ")
    }
}

/// Runs one query as the command line asks: fetch, print to `out`, export, draw. Notes
/// (where files went, a capped result) go to `err`.
///
/// # Errors
/// See [`QueryToolError`]; nothing is written when the query fails.
pub fn run(
    cli: &Cli,
    env: &Environment,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), QueryToolError> {
    let window =
        TimeWindow::from_args(cli.days, cli.start.as_deref(), cli.end.as_deref(), env.now)?;
    if let Some(path) = &cli.export {
        check_output_path("--export", path)?;
    }
    if let Some(path) = &cli.visualize {
        check_output_path("--visualize", path)?;
    }
    let token = cli
        .token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or(QueryToolError::MissingToken)?;
    let client = Client::new(ClientConfig {
        // Someone is waiting at a terminal: retry sooner than the edge program does.
        retry_delay: RETRY_DELAY,
        ..ClientConfig::new(cli.api_url.as_str(), token)
    })?;
    let filters = Filters {
        site: cli.site,
        pump: cli.pump,
        sensor: cli.sensor,
        window,
    };

    let fetched = fetch_with_progress(&client, &filters, cli, env.stderr_is_terminal)?;
    let summary = Summary::of(&fetched.rows, fetched.matched);
    let span = window.span(
        summary.first.as_ref().map(|l| l.timestamp),
        summary.last.as_ref().map(|l| l.timestamp),
        env.now,
    );
    let comparison = cli
        .compare_pumps
        .then(|| Comparison::of(&fetched.rows, span));
    if fetched.truncated() {
        note(
            err,
            &format!(
                "showing the latest {} of {} matching anomalies (raise --max-results for more)",
                fetched.rows.len(),
                fetched.matched
            ),
        );
    }

    let colour = Colour::choose(env.stdout_is_terminal, env.no_color.as_deref());
    let printed = print(
        out,
        cli.format,
        &filters,
        &fetched,
        &summary,
        comparison.as_ref(),
        colour,
    );
    match printed {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.map_err(|source| QueryToolError::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })?,
    }

    if let Some(path) = &cli.export {
        write_file_atomically(path, |w| {
            write_csv(w, &fetched.rows).map_err(io::Error::other)
        })?;
        note(
            err,
            &format!(
                "exported {} anomalies to {}",
                fetched.rows.len(),
                path.display()
            ),
        );
    }
    if let Some(path) = &cli.visualize {
        let mut subtitle = filters.describe();
        if fetched.truncated() {
            subtitle.push_str(&format!(
                " · latest {} of {}",
                fetched.rows.len(),
                fetched.matched
            ));
        }
        draw_timeline(&fetched.rows, span, &subtitle, path)?;
        note(err, &format!("timeline drawn to {}", path.display()));
        if let Some(comparison) = &comparison {
            let bars = comparison_path(path);
            draw_comparison(comparison, &subtitle, &bars)?;
            note(err, &format!("pump comparison drawn to {}", bars.display()));
        }
    }
    Ok(())
}

fn note(err: &mut dyn Write, message: &str) {
    // Notes are best effort: a closed stderr must not fail the query.
    let _ = writeln!(err, "query: {message}");
}

fn print(
    out: &mut dyn Write,
    format: Format,
    filters: &Filters,
    fetched: &Fetched,
    summary: &Summary,
    comparison: Option<&Comparison>,
    colour: Colour,
) -> io::Result<()> {
    match format {
        Format::Table => {
            write_table(out, &fetched.rows, colour)?;
            write_summary(out, summary)?;
            if let Some(c) = comparison {
                write_comparison(out, c, colour)?;
            }
        }
        Format::Json => {
            let doc = JsonOutput::new(filters, fetched, summary, comparison);
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(out, &fetched.rows).map_err(io::Error::other)?,
    }
    out.flush()
}

/// Fetches, with a progress bar on stderr when it is a terminal and the fetch takes more
/// than a moment.
fn fetch_with_progress(
    client: &Client,
    filters: &Filters,
    cli: &Cli,
    stderr_is_terminal: bool,
) -> Result<Fetched, QueryToolError> {
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let mut progress = |fetched: u64, matched: Option<u64>| {
        if !stderr_is_terminal {
            return;
        }
        if bar.is_none() && started.elapsed() >= PROGRESS_DELAY {
            let len = matched.unwrap_or(fetched).min(cli.max_results as u64);
            let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "fetching anomalies {bar:30} {pos}/{len} ({per_sec}, {eta} left)",
            ) {
                b.set_style(style);
            }
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position(fetched);
        }
    };
    let result = fetch_all(
        client,
        filters,
        cli.max_results,
        cli.page_size,
        &mut progress,
    );
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    result
}

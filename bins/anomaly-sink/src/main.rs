//! `anomaly-sink`: the reference central anomaly API as a server process.
//!
//! Wiring only: flags, logging, the tokens file, signals and exit codes. The server is the
//! `anomaly_sink` library.

use anomaly_sink::{DEFAULT_MAX_BODY_BYTES, DEFAULT_THREADS, Sink, SinkConfig, Tokens};
use clap::Parser;
use clap::builder::TypedValueParser;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Reference central anomaly API: stores anomalies from edge devices in SQLite and serves
/// them back (POST and GET /api/v1/edge/anomalies, GET /healthz).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (IP:PORT; port 0 picks a free port).
    #[arg(long, env = "ANOMALY_SINK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// SQLite database file, created on first start.
    #[arg(long, env = "ANOMALY_SINK_DB", default_value = "sink.db")]
    db: PathBuf,

    /// Tokens file: one bearer token a line; blank lines and lines starting with # are ignored.
    #[arg(long, env = "ANOMALY_SINK_TOKENS")]
    tokens: PathBuf,

    /// Larger request bodies are refused with 413.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,

    /// Worker threads (concurrent requests), each with its own database connection.
    #[arg(long, default_value_t = DEFAULT_THREADS,
          value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    threads: usize,
}

const EXIT_FAILURE: u8 = 1;
const EXIT_CONFIGURATION: u8 = 4;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();

    let tokens = match Tokens::from_file(&cli.tokens) {
        Ok(tokens) => tokens,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_CONFIGURATION);
        }
    };
    let config = SinkConfig {
        max_body_bytes: cli.max_body_bytes,
        threads: cli.threads,
        ..SinkConfig::new(cli.listen, &cli.db, tokens)
    };
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    // With the `termination` feature this handles SIGTERM and SIGHUP as well as Ctrl-C.
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    }) {
        tracing::error!("cannot install the signal handler: {e}");
        return ExitCode::from(EXIT_FAILURE);
    }
    let sink = match Sink::start(config) {
        Ok(sink) => sink,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(if e.is_configuration() {
                EXIT_CONFIGURATION
            } else {
                EXIT_FAILURE
            });
        }
    };
    tracing::info!(
        "anomaly-sink listening on {} (database {}, {} worker threads)",
        sink.base_url(),
        cli.db.display(),
        cli.threads
    );
    // A closed channel cannot happen while the handler lives; either way, shut down.
    let _ = stop_rx.recv();
    tracing::info!("shutting down: finishing requests in flight");
    sink.shutdown();
    tracing::info!("stopped; database closed");
    ExitCode::SUCCESS
}

//! `query`: pulls reported anomalies back from the central API (SPEC §6 query).
//!
//! Wiring only: parse the flags, run the `query` library, map errors to exit codes.

use clap::Parser;
use query::cli::{Cli, Environment, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Usage errors exit with 2, --help and --version with 0 (clap's own codes).
    let cli = Cli::parse();
    let env = Environment::from_process();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    match run(&cli, &env, &mut stdout, &mut stderr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("query: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

#!/usr/bin/env bash
# Chaos run (docs/RELIABILITY.md): hourly edge runs over a simulated pump's data against a
# real anomaly-sink, with edge-infer killed by SIGKILL at random moments and the sink
# stopped and started; then every anomaly the backtest says should be reported must be at
# the sink exactly once. Exits non-zero if anything was lost or duplicated.
#
#   scripts/chaos.sh [HOURS (default: all of the pump's data)] [SEED (default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p edge-infer -p anomaly-sink --example chaos
exec target/release/examples/chaos target/release/edge-infer target/release/anomaly-sink "$@"

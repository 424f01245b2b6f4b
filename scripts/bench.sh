#!/usr/bin/env bash
# Reproduces every figure of docs/BENCHMARKS.md, each beside its target, as a Markdown table
# on stdout (progress on stderr). Release builds; whole-process figures from /usr/bin/time -v
# (GNU time: apt-get install time, if missing). About 10 minutes on 2 cores, most of it the
# first release build.
#
#   scripts/bench.sh [RUNS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

say() { echo "bench: $*" >&2; }
say "building release binaries…"
cargo build --release --locked -q -p edge-infer -p packager -p query -p anomaly-sink -p pump-sim-cli >&2
cargo build --release --locked -q -p anomaly-client --example sink_load >&2
cargo build --release --locked -q -p query --example seed_sink >&2
bin=target/release
work="$(mktemp -d "${TMPDIR:-/tmp}/pump-bench.XXXXXX")"
trap 'kill "${sink_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# time_cmd CMD…: runs once, prints "seconds kilobytes": wall time to the microsecond (GNU
# time's own %e has only 10 ms resolution), peak resident memory from GNU time.
time_cmd() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
    cat "$work/stderr.txt" >&2; return 1; }
  end=$(date +%s%N)
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.6f", (b-a)/1e9}') $(tail -1 "$work/time.txt")"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
max() { sort -n | tail -1; }

say "simulating fleets…"
$bin/pump-sim --seed 7 --pumps 40 --days 90 --out "$work/train" -q
$bin/pump-sim --seed 8 --pumps 4 --days 365 --out "$work/year" -q --failure-days 400..500

say "training on 40 pumps x 90 days…"
read -r train_s train_kb < <(time_cmd $bin/packager train --baseline "$work/train/baseline.csv" \
  --operational "$work"/train/operational/*.csv --failures "$work/train/failures.csv" --out "$work/model")
model_kb=$(du -k "$work/model/anomaly_detector.bin" | cut -f1)

cat > "$work/deploy.json" <<JSON
{"api": {"base_url": "https://api.example.invalid/api/v1", "bearer_token": "\${ANOMALY_API_TOKEN}"},
 "site_info": {"site_id": 1, "pump_id": 1, "sensor_ids": {"flow": 1, "head": 2, "power": 3, "efficiency": 4}}}
JSON
pump="Pump 01"
say "packaging…"
read -r pack_s pack_kb < <(time_cmd $bin/packager --pump "$pump" --baseline "$work/year/baseline.csv" \
  --output "$work/with-model.zip" --version 1.0.0 --model "$work/model" --deployment-config "$work/deploy.json")
time_cmd $bin/packager --pump "$pump" --baseline "$work/year/baseline.csv" \
  --output "$work/tolerance-only.zip" --version 1.0.0 --deployment-config "$work/deploy.json" >/dev/null
size_model=$(stat -c %s "$work/with-model.zip")
size_tol=$(stat -c %s "$work/tolerance-only.zip")

year_csv="$work/year/operational/pump_01.csv"
# A week of history then one new reading: the hourly run.
head -n $((1 + 24 * 8)) "$year_csv" > "$work/week.csv"
head -n $((1 + 24 * 8 + 1)) "$year_csv" > "$work/week_plus_one.csv"

hourly() { # ARTIFACT LABEL
  local artifact="$1" walls=() kbs=()
  rm -rf "$work/state-seed"
  $bin/edge-infer --quiet --no-report --artifact "$artifact" --state-dir "$work/state-seed" \
    "$work/week.csv" "$work/seed.json"
  for _ in $(seq "$runs"); do
    rm -rf "$work/state" && cp -r "$work/state-seed" "$work/state"
    read -r s kb < <(time_cmd $bin/edge-infer --quiet --no-report --artifact "$artifact" \
      --state-dir "$work/state" "$work/week_plus_one.csv" "$work/out.json")
    walls+=("$s"); kbs+=("$kb")
  done
  echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${kbs[@]}" | max)"
}
say "hourly runs ($runs each)…"
read -r run_model_s run_model_kb < <(hourly "$work/with-model.zip")
read -r run_tol_s run_tol_kb < <(hourly "$work/tolerance-only.zip")

say "backtest of a year…"
bt=()
for _ in 1 2 3; do
  read -r s kb < <(time_cmd $bin/edge-infer --quiet --backtest --artifact "$work/with-model.zip" \
    "$year_csv" "$work/backtest.jsonl")
  bt+=("$s"); bt_kb="$kb"
done
bt_s=$(printf '%s\n' "${bt[@]}" | median)
bt_lines=$(wc -l < "$work/backtest.jsonl")

say "sink throughput, 8 clients…"
load=$($bin/examples/sink_load --sink-bin $bin/anomaly-sink --clients 8 --requests 4000 2>/dev/null | tail -5)

say "query of 10,000 anomalies with export and plot…"
$bin/examples/seed_sink --db "$work/q.db" --pumps 30 --days 40 --limit 10000 >/dev/null 2>&1
echo "bench-token" > "$work/tokens"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$bin/anomaly-sink --listen "127.0.0.1:$port" --db "$work/q.db" --tokens "$work/tokens" 2>/dev/null &
sink_pid=$!
sleep 1
read -r q_s q_kb < <(ANOMALY_API_URL="http://127.0.0.1:$port/api/v1" ANOMALY_API_TOKEN=bench-token \
  time_cmd $bin/query --max-results 10000 --export "$work/q.csv" --visualize "$work/q.png" --compare-pumps)
kill $sink_pid; wait $sink_pid 2>/dev/null || true

size() { stat -c %s "$1" | awk '{printf "%.1f MB", $1/1048576}'; }
ms() { awk -v s="$1" 'BEGIN {printf "%.1f ms", s*1000}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k/1024}'; }

cat <<TABLE
| figure | measured | target |
|---|---|---|
| hourly run, model, week of history: median wall ($runs runs) | $(ms "$run_model_s") | < 10 ms |
| hourly run, model: peak memory | $(mb "$run_model_kb") | < 15 MB |
| hourly run, tolerance-only: median wall | $(ms "$run_tol_s") | < 10 ms |
| hourly run, tolerance-only: peak memory | $(mb "$run_tol_kb") | < 15 MB |
| backtest of a year ($bt_lines evaluated readings), model: median of 3 | $(ms "$bt_s") | < 1 s |
| backtest of a year: peak memory | $(mb "$bt_kb") | — |
| training, 40 pumps x 90 days | $(awk -v s="$train_s" 'BEGIN {printf "%.1f", s}') s, $(mb "$train_kb") | < 60 s |
| model file (anomaly_detector.bin) | ${model_kb} KB | < 2 MB |
| packaging with a trained model | $(ms "$pack_s") | — |
| artifact, tolerance-only | $size_tol bytes | — |
| artifact, with model | $size_model bytes | — |
| edge-infer binary (stripped) | $(size $bin/edge-infer) | — |
| packager / query / anomaly-sink binaries | $(size $bin/packager) / $(size $bin/query) / $(size $bin/anomaly-sink) | — |
| query of 10,000 anomalies + CSV export + timeline and comparison PNGs | $(awk -v s="$q_s" 'BEGIN {printf "%.2f", s}') s, $(mb "$q_kb") | — |

Sink, 8 concurrent clients on loopback (release, fresh database):

\`\`\`
$load
\`\`\`
TABLE

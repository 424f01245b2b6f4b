#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted bytes on the edge box (docs/FUZZING.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#   FUZZ_TARGETS="sensor_csv spool" scripts/fuzz.sh 30     only some targets
#
# Installs what is missing (a nightly toolchain, cargo-fuzz), seeds each target's corpus
# from real files (fuzz/corpus/<target>/, not committed), runs every target for a bounded
# time and prints, per target, the executions and the crashes (artifacts written to
# fuzz/artifacts/<target>/ during this run). Exits 1 when any target crashed.
#
# Environment: ORIGINAL_DATA_DIR (default /work/shared/data/original) adds the original
# system's files to the seeds when that folder exists; FUZZ_JOBS (default 1) runs that many
# fuzzing processes per target; FUZZ_RSS_LIMIT_MB (default 2048).
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ALL_TARGETS="sensor_csv artifact_open artifact_config deployment_config spool"
TARGETS="${FUZZ_TARGETS:-$ALL_TARGETS}"
ORIGINAL_DATA_DIR="${ORIGINAL_DATA_DIR:-/work/shared/data/original}"
FUZZ_JOBS="${FUZZ_JOBS:-1}"
FUZZ_RSS_LIMIT_MB="${FUZZ_RSS_LIMIT_MB:-2048}"

log() { printf '==> %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "need root or sudo to install $*" >&2; exit 2; }
        sudo=sudo
    fi
    if [ -z "${APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}
# libfuzzer-sys compiles libFuzzer (C++); the seeds are unpacked with unzip.
command -v c++ >/dev/null || apt_install g++
command -v unzip >/dev/null || apt_install unzip
if ! command -v rustup >/dev/null; then
    echo "rustup is needed (https://rustup.rs)" >&2
    exit 2
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    log "installing the nightly toolchain (cargo-fuzz needs it)"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# --- seed corpora ------------------------------------------------------------------------
SEED_TMP="$(mktemp -d)"
trap 'rm -rf "$SEED_TMP"' EXIT
CORPUS="$ROOT/fuzz/corpus"
mkdir -p "$CORPUS"/{sensor_csv,artifact_open,artifact_config,deployment_config,spool}

# First lines of a CSV: seeds stay small, so each execution is fast.
head_csv() { head -n "${2:-25}" "$1"; }

log "seeding sensor_csv"
for f in testdata/fleet-small/operational/*.csv; do
    head_csv "$f" >"$CORPUS/sensor_csv/seed-$(basename "$f")"
done
if [ -d "$ORIGINAL_DATA_DIR" ]; then
    for f in "$ORIGINAL_DATA_DIR"/*.csv; do
        head_csv "$f" >"$CORPUS/sensor_csv/seed-original-$(basename "$f")"
    done
fi
# Every timestamp form of SPEC §2.1, bad values, a BOM, CRLF, a repeated instant.
printf '\xef\xbb\xbftimestamp,Well ID,Flow (gpm),Discharge Pressure (psi),Suction Pressure (psi),Motor Power (hp),Pump Efficiency (%%),Motor Speed (rpm)\r
2024-11-18 14:30:00,Well 1,505,148,25,76,85.2,1760\r
2024-11-18T14:30:00Z,Well 1,NaN,148,25,76,85.2,1760\r
2024-11-18T15:30:00+02:00,Well 1,-5,inf,25,1_000,185.2,\r
5/1/2024 0:00,Well 1,575,165,26,82,80.1,1765\r
06/01/2024 00:00,Well 2,,,,,,\r
not a time,Well 1,1,2,3,4,5,6\r
' >"$CORPUS/sensor_csv/seed-timestamp-forms.csv"
# The edges of the timestamp range (years 0000 and 9999) with offsets on the safe side.
printf 'timestamp,Flow (gpm)\n9999-12-31T23:59:59+01:00,500\n0000-01-01 00:00:00-01:00,501\n12/31/9999 23:00,502\n' \
    >"$CORPUS/sensor_csv/seed-timestamp-range.csv"
# Mapping-prefixed seeds: `column_mapping.json NUL offset-byte csv` (see the target).
mapping_seed() { # name mapping-file csv-file
    { cat "$2"; printf '\0\x12'; head_csv "$3"; } >"$CORPUS/sensor_csv/seed-mapping-$1"
}
cat >"$SEED_TMP/mapping_extended.json" <<'EOF'
{"timestamp": "timestamp", "pump_id": "Well ID", "flow": {"column": "Flow (gpm)", "scale": 1.0},
 "head": {"differential": ["Discharge Pressure (psi)", "Suction Pressure (psi)"], "unit": "ft", "specific_gravity": 1.0},
 "power": "Motor Power (hp)", "efficiency": "Pump Efficiency (%)",
 "speed": {"column": "Motor Speed (rpm)", "scale": 30}, "suction": null}
EOF
mapping_seed extended.csv "$SEED_TMP/mapping_extended.json" testdata/fleet-small/operational/pump_01.csv
if [ -f "$ORIGINAL_DATA_DIR/artifact_column_mapping.json" ]; then
    mapping_seed original.csv "$ORIGINAL_DATA_DIR/artifact_column_mapping.json" \
        "$ORIGINAL_DATA_DIR/well1_operational.csv"
fi

log "building a demo artifact for the artifact seeds (cargo run -p packager)"
# Seeds from the workspace's own binaries are a bonus: when they do not build (e.g. work in
# progress on another crate), fuzzing goes on with the other seeds.
SEED_ZIP="$SEED_TMP/pump01_v1.0.0.zip"
if cargo run --quiet -p packager -- --pump "Pump 01" --baseline testdata/fleet-small/baseline.csv \
    --output "$SEED_ZIP" --version 1.0.0 >/dev/null; then
    cp "$SEED_ZIP" "$CORPUS/artifact_open/seed-tolerance-only.zip"
    mkdir -p "$SEED_TMP/art"
    (cd "$SEED_TMP/art" && unzip -q -o "$SEED_ZIP")
else
    log "WARNING: packager failed; no artifact seeds from it"
fi

log "seeding artifact_config and deployment_config"
config_seed() { # name baseline tolerances mapping deployment
    { cat "$2"; printf '\0'; cat "$3"; printf '\0'; cat "$4"; printf '\0'; cat "$5"; } \
        >"$CORPUS/artifact_config/seed-$1"
}
A="$SEED_TMP/art/config"
if [ -d "$A" ]; then
    config_seed packager "$A/baseline.json" "$A/tolerances.json" "$A/column_mapping.json" \
        "$A/deployment_config.json"
    cp "$A/deployment_config.json" "$CORPUS/deployment_config/seed-packager.json"
fi
if [ -d "$ORIGINAL_DATA_DIR" ]; then
    O="$ORIGINAL_DATA_DIR"
    config_seed original "$O/artifact_baseline.json" "$O/tolerances.json" \
        "$O/artifact_column_mapping.json" "$O/deployment_config.json"
    cp "$O/deployment_config.json" "$CORPUS/deployment_config/seed-original.json"
fi
cat >"$CORPUS/deployment_config/seed-all-keys.json" <<'EOF'
{"api": {"base_url": "http://127.0.0.1:8080/api/v1/", "bearer_token": "${ANOMALY_API_TOKEN}",
         "retry_attempts": 1, "retry_delay_seconds": 0.5, "timeout_seconds": 10},
 "site_info": {"site_id": 1, "pump_id": 2, "sensor_ids": {"flow": 1, "head": 2, "power": 3, "efficiency": 4}},
 "anomaly_reporting": {"enabled": false, "report_on_status": ["Critical", "Failure"],
                       "debounce_minutes": 0, "include_ml_predictions": false, "spool_max_files": 5},
 "inference_settings": {"min_data_points_for_ml": 24, "save_results_locally": false,
                        "results_retention_days": 1, "timezone_offset": "-05:00",
                        "running": {"min_speed_rpm": 300, "min_flow_gpm": 5},
                        "measurement_allowance_pct": {"flow": 1, "head": 2, "power": 3, "efficiency": 4},
                        "colour": "unknown keys only warn"}}
EOF

log "seeding spool: anomalies spooled by edge-infer when the API is unreachable"
# A deployment config pointing at a closed loopback port: every anomaly lands in the spool.
dead_api_config="$SEED_TMP/dead_api.json"
cat >"$dead_api_config" <<'EOF'
{"api": {"base_url": "http://127.0.0.1:9/api/v1", "bearer_token": "t", "retry_attempts": 1,
         "retry_delay_seconds": 0, "timeout_seconds": 1},
 "site_info": {"site_id": 35482, "pump_id": 7, "sensor_ids": {"flow": 101, "head": 102, "power": 103, "efficiency": 104}},
 "anomaly_reporting": {"enabled": true, "debounce_minutes": 60, "include_ml_predictions": true},
 "inference_settings": {"min_data_points_for_ml": 168}}
EOF
SPOOL_ZIP="$SEED_TMP/pump07_dead_api.zip"
mkdir -p "$SEED_TMP/state"
if cargo run --quiet -p packager -- --pump "Pump 07" --baseline testdata/fleet-small/baseline.csv \
    --output "$SPOOL_ZIP" --version 1.0.0 --deployment-config "$dead_api_config" >/dev/null; then
    cargo run --quiet -p edge-infer -- --quiet --artifact "$SPOOL_ZIP" \
        --state-dir "$SEED_TMP/state" testdata/fleet-small/operational/pump_07.csv \
        "$SEED_TMP/results.json" || true
fi
n=0
for f in "$SEED_TMP"/state/unsent_anomalies/*.json; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    [ "$n" -le 20 ] || break
    cp "$f" "$CORPUS/spool/seed-$(basename "$f")"
done
if [ "$n" -eq 0 ]; then
    log "edge-infer spooled nothing; using the SPEC §3.7 example as the spool seed"
fi
cat >"$CORPUS/spool/seed-spec-example.json" <<'EOF'
{"sourceType": "log", "description": "Flow exceeded 15.0% (threshold: 10%)", "siteId": 35482,
 "pumpId": 1, "sensorId": 101, "timestamp": "2024-11-18T14:32:00Z", "logValue": 575.0,
 "additionalContext": {"event_id": "evt-00112233445566778899aabbccddeeff", "parameter": "flow",
   "status": "Warning", "tolerance_category": "1U",
   "all_deviations": {"flow": 15.0, "head": 3.2, "power": 8.5, "efficiency": -1.2},
   "baseline_values": {"flow": 500.0, "head": 150.0, "power": 75.0, "efficiency": 85.5},
   "current_values": {"flow": 575.0, "head": 154.8, "power": 81.375, "efficiency": 84.474},
   "diagnosis": {"mode": "impeller_wear", "reason": "flow -6%"}, "site_note": "kept"},
 "metadata": {"modelName": "pump-anomaly-detector", "modelVersion": "1.0.0", "confidence": 0.87,
   "prediction_rul_days": 12.5, "framework": "smartcore"}}
EOF

# The same anomaly at the last second the product can represent.
sed 's/"timestamp": "2024-11-18T14:32:00Z"/"timestamp": "9999-12-31T23:59:59+00:00"/' \
    "$CORPUS/spool/seed-spec-example.json" >"$CORPUS/spool/seed-last-second.json"

# --- fuzz ----------------------------------------------------------------------------------
log "building the fuzz targets"
cargo +nightly fuzz build

declare -A DICT=(
    [sensor_csv]=fuzz/dict/sensor_csv.dict
    [artifact_open]=""
    [artifact_config]=fuzz/dict/json.dict
    [deployment_config]=fuzz/dict/json.dict
    [spool]=fuzz/dict/json.dict
)
# The spool and artifact targets write and fsync files in temp folders on every execution;
# on tmpfs that costs nothing (tempfile honours TMPDIR).
FUZZ_TMPDIR=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    FUZZ_TMPDIR="$(mktemp -d /dev/shm/pump-fuzz.XXXXXX)"
    trap 'rm -rf "$SEED_TMP" "$FUZZ_TMPDIR"' EXIT
fi
RESULTS="$SEED_TMP/results.tsv"
: >"$RESULTS"
status=0
for target in $TARGETS; do
    mkdir -p "fuzz/artifacts/$target" fuzz/target/logs
    marker="$SEED_TMP/start-$target"
    touch "$marker"
    logfile="fuzz/target/logs/$target.log"
    log "fuzzing $target for ${SECONDS_PER_TARGET}s (log: $logfile)"
    args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$FUZZ_RSS_LIMIT_MB"
          -timeout=10 -max_len=65536 -print_final_stats=1)
    if [ -n "${DICT[$target]:-}" ]; then
        args+=(-dict="${DICT[$target]}")
    fi
    # Fork mode: a crash ends one child, not the run, so each target gets its whole time
    # and can report several different crashes.
    args+=(-fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
    start=$(date +%s)
    if TMPDIR="${FUZZ_TMPDIR:-${TMPDIR:-/tmp}}" \
        cargo +nightly fuzz run "$target" -- "${args[@]}" >"$logfile" 2>&1; then
        outcome=ok
    else
        outcome=crashed
        status=1
    fi
    elapsed=$(($(date +%s) - start))
    # "stat::number_of_executed_units: N" (final stats); fork mode prints "#N: cov: ...".
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$logfile" | tail -1 | grep -o '[0-9]*$' || true)
    if [ -z "$execs" ]; then
        execs=$(grep -oE '^#[0-9]+' "$logfile" | tail -1 | tr -d '#' || true)
    fi
    crashes=$(find "fuzz/artifacts/$target" -type f -newer "$marker" | wc -l)
    corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
    if [ "$crashes" -gt 0 ]; then
        status=1
        outcome=crashed
        find "fuzz/artifacts/$target" -type f -newer "$marker" | sed 's/^/    crash: /' >&2
        grep -m1 -A1 'panicked at' "$logfile" | sed 's/^/    /' >&2 || true
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "${execs:-?}" "$crashes" "${elapsed}s" \
        "$corpus" "$outcome" >>"$RESULTS"
done

echo
echo "fuzz results ($(date -u +%Y-%m-%dT%H:%M:%SZ), ${SECONDS_PER_TARGET}s per target):"
{
    printf 'target\texecutions\tcrashes\tduration\tcorpus\toutcome\n'
    cat "$RESULTS"
} | column -t -s "$(printf '\t')"
if [ "$status" -ne 0 ]; then
    echo
    echo "crashes found: reproduce with"
    echo "  cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<crash-file>"
fi
exit "$status"

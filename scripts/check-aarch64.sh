#!/usr/bin/env bash
# Checks that the aarch64 (Raspberry Pi) edge-infer gives the same results as the x86_64
# one, running it under qemu-user. See docs/RASPBERRY_PI.md.
#
#   scripts/check-aarch64.sh [WORK_DIR]          (default: a temporary folder, removed)
#
# 1. builds edge-infer in release for x86_64 and (scripts/build-aarch64.sh) for aarch64;
# 2. makes two demo artifacts for "Pump 07" of testdata/fleet-small with the packager: a
#    tolerance-only one and one with a model trained on the whole small fleet;
# 3. runs both binaries on testdata/fleet-small/operational/pump_07.csv with each artifact:
#    --backtest (JSON Lines), and a normal --no-report run (each with its own --state-dir);
#    the aarch64 binary runs under `qemu-aarch64 -L /usr/aarch64-linux-gnu`;
# 4. compares the outputs byte for byte; when bytes differ, compares them as JSON with a
#    relative tolerance of 1e-9 on numbers and says which values differ (floating point may
#    legitimately differ in the last bits across architectures: fused multiply-add, libm);
# 5. packages a Pi-ready artifact with `packager --binary <aarch64 edge-infer>` and verifies it.
#
# Exits 1 on a mismatch beyond the tolerance (or on any failure), 0 otherwise.
# Installs what is missing (rustup target, gcc-aarch64-linux-gnu, qemu-user).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET=aarch64-unknown-linux-gnu
PUMP="Pump 07"
CSV="testdata/fleet-small/operational/pump_07.csv"
REL_TOL="${REL_TOL:-1e-9}"

log() { printf '==> %s\n' "$*" >&2; }

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "need root or sudo to install $*" >&2; exit 2; }
        sudo=sudo
    fi
    if [ -z "${APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        export APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

if ! command -v qemu-aarch64 >/dev/null; then
    log "installing qemu-user (qemu-aarch64)"
    apt_install qemu-user
fi
if ! command -v python3 >/dev/null; then
    log "installing python3 (JSON comparison with a tolerance)"
    apt_install python3
fi

if [ -n "${1:-}" ]; then
    WORK="$(mkdir -p "$1" && cd "$1" && pwd)"
else
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
fi

# --- 1. build ----------------------------------------------------------------------------
log "building edge-infer (release, x86_64)"
start=$(date +%s)
cargo build --release --locked -p edge-infer >&2
x86_time=$(($(date +%s) - start))
X86_BIN="$ROOT/target/release/edge-infer"

start=$(date +%s)
ARM_BIN="$("$ROOT/scripts/build-aarch64.sh" | tail -n 1)"
arm_time=$(($(date +%s) - start))
# The linker settings of build-aarch64.sh, for anything else built for aarch64 below.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc

x86_size=$(stat -c %s "$X86_BIN")
arm_size=$(stat -c %s "$ARM_BIN")
QEMU=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
log "aarch64 binary under qemu: $("${QEMU[@]}" "$ARM_BIN" --version)"

# --- 2. demo artifacts -------------------------------------------------------------------
log "packaging demo artifacts for $PUMP"
cargo build --quiet --locked -p packager >&2
PACKAGER="$ROOT/target/debug/packager"
"$PACKAGER" --pump "$PUMP" --baseline testdata/fleet-small/baseline.csv \
    --output "$WORK/pump07-tolerance.zip" --version 1.0.0 >&2
start=$(date +%s)
"$PACKAGER" --pump "$PUMP" --baseline testdata/fleet-small/baseline.csv \
    --operational testdata/fleet-small/operational/*.csv \
    --failures testdata/fleet-small/failures.csv \
    --output "$WORK/pump07-model.zip" --version 1.0.0 >&2
log "model artifact trained and packaged in $(($(date +%s) - start))s"

# --- 3. run both binaries ------------------------------------------------------------------
# The packager's template deployment config takes its token from the environment; nothing
# is sent (--backtest, --no-report), but the config must load.
export ANOMALY_API_TOKEN="${ANOMALY_API_TOKEN:-check-aarch64-not-a-real-token}"

run_both() { # label, edge-infer arguments before INPUT OUTPUT
    local label="$1" ext="$2"
    shift 2
    for arch in x86_64 aarch64; do
        local state="$WORK/state-$label-$arch" out="$WORK/$label-$arch.$ext"
        rm -rf "$state"
        mkdir -p "$state"
        local bin=("$X86_BIN")
        [ "$arch" = aarch64 ] && bin=("${QEMU[@]}" "$ARM_BIN")
        local t0 t1
        t0=$(date +%s.%N)
        "${bin[@]}" --quiet "$@" --state-dir "$state" "$CSV" "$out"
        t1=$(date +%s.%N)
        printf '    %-22s %-8s %6.2fs  %s\n' "$label" "$arch" "$(awk "BEGIN{print $t1 - $t0}")" \
            "$(wc -l <"$out") lines" >&2
    done
}

log "running both binaries on $CSV"
for kind in tolerance model; do
    run_both "$kind-backtest" jsonl --artifact "$WORK/pump07-$kind.zip" --backtest
    run_both "$kind-run" json --artifact "$WORK/pump07-$kind.zip" --no-report
done

# --- 4. compare ------------------------------------------------------------------------------
cat >"$WORK/compare.py" <<'EOF'
"""Compares two edge-infer outputs (JSON or JSON Lines) with a relative tolerance."""
import json, math, sys

a_path, b_path, rel_tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
diffs, max_rel, close = [], 0.0, 0

def load(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)

def walk(a, b, where):
    global max_rel, close
    if isinstance(a, bool) or isinstance(b, bool) or not (
        isinstance(a, (int, float)) and isinstance(b, (int, float))
    ):
        if type(a) != type(b):
            diffs.append(f"{where}: {a!r} != {b!r}")
        elif isinstance(a, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{where}.{k}")
        elif isinstance(a, list):
            if len(a) != len(b):
                diffs.append(f"{where}: length {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}[{i}]")
        elif a != b:
            diffs.append(f"{where}: {a!r} != {b!r}")
        return
    if a == b:
        return
    rel = abs(a - b) / max(abs(a), abs(b))
    max_rel = max(max_rel, rel)
    if not math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12):
        diffs.append(f"{where}: {a!r} != {b!r} (relative {rel:.3g})")
    else:
        close += 1
        if close <= 10:
            print(f"    within tolerance: {where}: {a!r} vs {b!r}")

walk(load(a_path), load(b_path), "$")
print(f"    {close} numbers differ within tolerance; largest relative difference: {max_rel:.3g}")
for d in diffs[:20]:
    print("    DIFF " + d)
sys.exit(1 if diffs else 0)
EOF

log "comparing x86_64 and aarch64 outputs"
mismatch=0
summary=()
for label in tolerance-backtest tolerance-run model-backtest model-run; do
    ext=jsonl
    [[ "$label" == *-run ]] && ext=json
    a="$WORK/$label-x86_64.$ext" b="$WORK/$label-aarch64.$ext"
    if cmp -s "$a" "$b"; then
        summary+=("$(printf '%-20s identical (%s bytes, sha256 %s)' "$label" "$(stat -c %s "$a")" \
            "$(sha256sum "$a" | cut -c1-16)")")
    elif python3 "$WORK/compare.py" "$a" "$b" "$REL_TOL" >&2; then
        summary+=("$(printf '%-20s differ in bytes, equal within relative %s' "$label" "$REL_TOL")")
    else
        summary+=("$(printf '%-20s MISMATCH beyond relative %s' "$label" "$REL_TOL")")
        mismatch=1
    fi
done

# --- 5. a Pi-ready artifact ----------------------------------------------------------------
log "packaging a Pi-ready artifact: packager --binary $ARM_BIN"
"$PACKAGER" --pump "$PUMP" --baseline testdata/fleet-small/baseline.csv \
    --output "$WORK/pump07-pi.zip" --version 1.0.0 --binary "$ARM_BIN" >&2
"$PACKAGER" verify "$WORK/pump07-pi.zip" >&2

echo
echo "edge-infer release builds:"
printf '  x86_64   %9s bytes  built in %ss  %s\n' "$x86_size" "$x86_time" "$X86_BIN"
printf '  aarch64  %9s bytes  built in %ss  %s\n' "$arm_size" "$arm_time" "$ARM_BIN"
echo "outputs, x86_64 vs aarch64 (qemu-aarch64), $PUMP on $CSV:"
for line in "${summary[@]}"; do echo "  $line"; done
echo "Pi-ready artifact (with bin/edge-infer for aarch64): $WORK/pump07-pi.zip ($(stat -c %s "$WORK/pump07-pi.zip") bytes)"
if [ "$mismatch" -ne 0 ]; then
    echo "MISMATCH between x86_64 and aarch64 outputs" >&2
    exit 1
fi
echo "OK: the aarch64 binary gives the same results"

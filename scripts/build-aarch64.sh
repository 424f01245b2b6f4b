#!/usr/bin/env bash
# Cross-builds edge-infer for a Raspberry Pi (64-bit Raspberry Pi OS / any aarch64 Linux
# with glibc) from an x86_64 Debian/Ubuntu machine. See docs/RASPBERRY_PI.md.
#
#   scripts/build-aarch64.sh
#
# Installs what is missing: the rustup target aarch64-unknown-linux-gnu and Debian's
# gcc-aarch64-linux-gnu (the linker, and the C compiler for ring's few C files). The linker
# is set through environment variables here rather than a committed .cargo/config.toml, so
# native builds are untouched. Prints the binary's path, size and build time; the last
# line of stdout is the path alone, for other scripts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET=aarch64-unknown-linux-gnu

log() { printf '==> %s\n' "$*" >&2; }

# Runs apt-get as root, or through sudo when there is one.
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

if ! rustup target list --installed | grep -qx "$TARGET"; then
    log "adding the rustup target $TARGET"
    rustup target add "$TARGET"
fi
if ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    log "installing gcc-aarch64-linux-gnu"
    apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

log "cargo build --release -p edge-infer --target $TARGET"
start=$(date +%s)
cargo build --release --locked -p edge-infer --target "$TARGET" >&2
elapsed=$(($(date +%s) - start))

BIN="$ROOT/target/$TARGET/release/edge-infer"
# The release profile strips already (strip = true); strip again only if that changed.
if command -v file >/dev/null && file "$BIN" | grep -q 'not stripped'; then
    aarch64-linux-gnu-strip "$BIN"
fi
size=$(stat -c %s "$BIN")
if command -v file >/dev/null; then
    file "$BIN" | sed 's/^/    /' >&2
fi
printf 'built in %ss: %s\n' "$elapsed" "$BIN" >&2
printf 'stripped size: %s bytes (%s MiB)\n' "$size" "$(awk "BEGIN{printf \"%.2f\", $size/1048576}")" >&2
echo "$BIN"

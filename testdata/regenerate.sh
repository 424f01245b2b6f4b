#!/usr/bin/env bash
# Regenerates the simulator fixtures in testdata/ (docs/SIMULATOR.md, "Fixtures").
# The pump-sim test `fleet_small_fixture_is_exactly_what_the_simulator_makes` fails until
# this is run after any change to the simulator's output; commit the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out=testdata/fleet-small
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleet-small.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cargo run --quiet --locked -p pump-sim-cli -- --seed 42 --pumps 8 --days 30 --out "$tmp/fleet"
rm -rf "$out"
mv "$tmp/fleet" "$out"
echo "regenerated $out ($(du -sh "$out" | cut -f1))"

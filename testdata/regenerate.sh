#!/usr/bin/env bash
# Regenerates the fixtures in testdata/ from fixed seeds (docs/SIMULATOR.md, "Fixtures"):
#   testdata/fleet-small/   an 8-pump, 30-day simulated fleet (seed 42)
#   testdata/demo/          the demo pump's artifact (fleet-small's Pump 07, a seal leak that
#                           fails on 2024-01-23) with a model trained on a separate simulated
#                           fleet (seed 1, 40 pumps, 90 days), for the README's main command
# The pump-sim test `fleet_small_fixture_is_exactly_what_the_simulator_makes` fails until
# this is run after any change to the simulator's output; commit the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out=testdata/fleet-small
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fleet-small.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

cargo build --quiet --locked -p pump-sim-cli -p packager
bin=target/debug

$bin/pump-sim --seed 42 --pumps 8 --days 30 --out "$tmp/fleet"
rm -rf "$out"
mv "$tmp/fleet" "$out"
echo "regenerated $out ($(du -sh "$out" | cut -f1))"

# The demo artifact: training takes about a minute in a debug build.
$bin/pump-sim --seed 1 --pumps 40 --days 90 --out "$tmp/training" --quiet
$bin/packager train --baseline "$tmp/training/baseline.csv" \
  --operational "$tmp"/training/operational/*.csv --failures "$tmp/training/failures.csv" \
  --out "$tmp/model"
rm -rf testdata/demo && mkdir -p testdata/demo
$bin/packager --pump "Pump 07" --baseline "$out/baseline.csv" --version 1.0.0 \
  --model "$tmp/model" --deployment-config testdata/demo-deployment.json \
  --output testdata/demo/pump-07_v1.0.0.zip
echo "regenerated testdata/demo ($(du -sh testdata/demo | cut -f1))"

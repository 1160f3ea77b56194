#!/usr/bin/env bash
# Runs every test: unit, integration (simulator through the real clients) and end-to-end
# (the real `pulumi` CLI against the simulator). Sets up what is missing first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin_dir="$(bash scripts/setup.sh | tail -n 1)"
export PULUMI_ECS_SPEC_PULUMI_BIN="$bin_dir"
echo "test: pulumi $("$bin_dir/pulumi" version) from $bin_dir"

echo "test: type-checking and compiling the examples"
npx tsc -p examples/tsconfig.json

npx mocha --reporter ./scripts/mocha-reporter.js \
  'dist/test/unit/**/*.test.js' \
  'dist/test/integration/**/*.test.js' \
  'dist/test/e2e/**/*.test.js'

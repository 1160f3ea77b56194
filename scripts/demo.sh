#!/usr/bin/env bash
# The main job: sets up what is missing, then runs the root Pulumi program with `pulumi up`
# against the built-in ECS simulator (see program/run-demo.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PULUMI_ECS_SPEC_PULUMI_BIN="$(bash scripts/setup.sh | tail -n 1)"
exec node dist/program/run-demo.js "$@"

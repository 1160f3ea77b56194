#!/usr/bin/env bash
# Sets up a fresh clone: npm packages, the TypeScript build, and a working `pulumi` CLI
# (built from Go modules when none is on PATH; see scripts/setup-pulumi.sh).
# Prints the folder holding `pulumi` on its last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
# Programs in this repo (the root program, examples/, test projects) use the package by its
# name, as users do: link it into its own node_modules. The serialized provider also resolves
# `pulumi-ecs-spec/runtime` this way from the project folder.
ln -sfn .. node_modules/pulumi-ecs-spec
echo "setup: tsc" >&2
npx tsc -p tsconfig.json >&2
chmod +x dist/simulator/cli.js 2>/dev/null || true
bash scripts/setup-pulumi.sh

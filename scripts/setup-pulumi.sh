#!/usr/bin/env bash
# Makes a working `pulumi` CLI available to the tests and the main job, with no installer and no
# download other than the Go module proxy and the npm registry.
#
# - A `pulumi` already on PATH at version >= PULUMI_MIN_VERSION is used as it is.
# - Otherwise the CLI is built from Go modules at the pinned PULUMI_VERSION into
#   $PULUMI_ECS_SPEC_CACHE/pulumi-<version>/bin (default ~/.cache/pulumi-ecs-spec), outside the
#   work tree, so every clone on the machine shares it. A second run takes well under a second.
# - The `pulumi-resource-pulumi-nodejs` script shipped in the @pulumi/pulumi npm package is put
#   next to it, so the engine never tries to download the dynamic-provider plugin.
# - A minimal Node.js language host (scripts/language-host/: the real one is not served by the Go
#   module proxy) is built next to it, so a plain `pulumi up` works in a JavaScript project.
#
# Prints the bin folder on its last line of stdout; progress goes to stderr.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
PULUMI_MIN_VERSION="${PULUMI_MIN_VERSION:-3.146.0}"
CACHE_ROOT="${PULUMI_ECS_SPEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ecs-spec}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "setup-pulumi: $*" >&2; }

version_ge() { # version_ge A B: A >= B (both x.y.z, leading v allowed)
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n1)" = "${2#v}" ]
}

link_node_plugins() { # link_node_plugins BIN_DIR
  local bin_dir="$1" sdk_dir="$REPO_ROOT/node_modules/@pulumi/pulumi"
  [ -e "$sdk_dir/pulumi-resource-pulumi-nodejs" ] || { log "run 'npm ci' first: $sdk_dir is missing"; exit 1; }
  # The script itself resolves @pulumi/pulumi from the project folder it runs in, so a copy
  # next to the CLI serves every project on the machine.
  cp "$sdk_dir/pulumi-resource-pulumi-nodejs" "$bin_dir/pulumi-resource-pulumi-nodejs"
  chmod +x "$bin_dir/pulumi-resource-pulumi-nodejs"
}

if [ -z "${PULUMI_ECS_SPEC_FORCE_BUILD:-}" ] && existing="$(command -v pulumi 2>/dev/null)"; then
  existing_version="$("$existing" version 2>/dev/null || true)"
  if [ -n "$existing_version" ] && version_ge "$existing_version" "$PULUMI_MIN_VERSION"; then
    log "using $existing ($existing_version)"
    dirname "$existing"
    exit 0
  fi
fi

bin_dir="$CACHE_ROOT/pulumi-$PULUMI_VERSION/bin"
mkdir -p "$bin_dir"

if [ ! -x "$bin_dir/pulumi" ] || [ "$("$bin_dir/pulumi" version 2>/dev/null)" != "$PULUMI_VERSION" ]; then
  build_dir="$CACHE_ROOT/pulumi-$PULUMI_VERSION/build"
  rm -rf "$build_dir" && mkdir -p "$build_dir"
  log "building the pulumi CLI $PULUMI_VERSION from Go modules in $build_dir (first time only: several minutes)"
  started=$SECONDS
  cat > "$build_dir/go.mod" <<MOD
module pulumi-ecs-spec/pulumi-cli-build

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)
MOD
  cat > "$build_dir/tools.go" <<'TOOLS'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
TOOLS
  (
    cd "$build_dir"
    # The CLI's own go.mod files carry non-local replace directives that `go install` refuses;
    # a wrapper module has to repeat them (the local `=> ../sdk` one is served by the require).
    for mod in pkg sdk; do
      go mod download -json "github.com/pulumi/pulumi/$mod/v3@$PULUMI_VERSION" >/dev/null
      gomod="$(go env GOMODCACHE)/cache/download/github.com/pulumi/pulumi/$mod/v3/@v/$PULUMI_VERSION.mod"
      grep -E '^replace [^ ]+ => [^.]' "$gomod" | while read -r _ from _ to ver; do
        go mod edit -replace "$from=$to@$ver"
      done
    done
    go mod tidy >&2
    CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$bin_dir/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
    mv "$bin_dir/pulumi.tmp" "$bin_dir/pulumi"
  )
  log "built pulumi $PULUMI_VERSION in $((SECONDS - started)) s"
fi

# The host is rebuilt when its source changes, not only when it is missing: the bin folder is shared
# by every clone on the machine, so a stamp of the source it was built from is kept next to it.
host_src="$REPO_ROOT/scripts/language-host"
host_stamp="$PULUMI_VERSION $(cat "$host_src/go.mod" "$host_src/go.sum" "$host_src/main.go" \
  "$REPO_ROOT/scripts/build-language-host.sh" | cksum)"
if [ ! -x "$bin_dir/pulumi-language-nodejs" ] \
  || [ "$(cat "$bin_dir/pulumi-language-nodejs.source" 2>/dev/null)" != "$host_stamp" ]; then
  if bash "$REPO_ROOT/scripts/build-language-host.sh" "$PULUMI_VERSION" "$bin_dir" >&2; then
    echo "$host_stamp" > "$bin_dir/pulumi-language-nodejs.source"
  elif [ -x "$bin_dir/pulumi-language-nodejs" ]; then
    log "the Node.js language host could not be rebuilt: keeping the one built from an older source"
  else
    log "the Node.js language host could not be built: only Automation API inline programs will run"
  fi
fi

link_node_plugins "$bin_dir"
echo "$bin_dir"

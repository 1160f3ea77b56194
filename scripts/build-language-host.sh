#!/usr/bin/env bash
# Builds the minimal Node.js language host (scripts/language-host, see its README.md) into
# BIN_DIR/pulumi-language-nodejs. The real pulumi-language-nodejs module is not served by the Go
# module proxy here; this one only needs github.com/pulumi/pulumi/sdk/v3, which is.
#
# usage: build-language-host.sh <PULUMI_VERSION> <BIN_DIR>
#   PULUMI_VERSION  e.g. v3.274.1: the sdk/v3 version to build against and the version the host reports
#   BIN_DIR         where to put pulumi-language-nodejs (normally next to the `pulumi` binary)
#
# Called by scripts/setup-pulumi.sh. Builds in a temporary copy of the source, so the work tree is
# never modified. Progress and errors go to stderr; exits non-zero on failure.
set -euo pipefail

log() { echo "build-language-host: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || { echo "usage: $0 <PULUMI_VERSION> <BIN_DIR>" >&2; exit 2; }
version="$1"
bin_dir="$2"
case "$version" in v*) ;; *) version="v$version" ;; esac

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/language-host" && pwd)" \
  || die "source folder scripts/language-host is missing"
[ -f "$src_dir/go.mod" ] && [ -f "$src_dir/main.go" ] || die "$src_dir has no go.mod/main.go"
command -v go >/dev/null 2>&1 || die "the go toolchain is not on PATH"
mkdir -p "$bin_dir" || die "cannot create $bin_dir"
bin_dir="$(cd "$bin_dir" && pwd)"

build_dir="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-language-host-build.XXXXXX")"
trap 'rm -rf "$build_dir"' EXIT
cp "$src_dir/go.mod" "$src_dir/main.go" "$build_dir/"
[ -f "$src_dir/go.sum" ] && cp "$src_dir/go.sum" "$build_dir/"

started=$SECONDS
(
  cd "$build_dir"
  pinned="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3 2>/dev/null || true)"
  if [ "$pinned" != "$version" ]; then
    # Another version was asked for: retarget the module and repeat that version's replace directives.
    log "retargeting from sdk/v3 ${pinned:-?} to $version"
    go mod edit -require "github.com/pulumi/pulumi/sdk/v3@$version"
    go mod download -json "github.com/pulumi/pulumi/sdk/v3@$version" >/dev/null \
      || die "the Go module proxy does not serve github.com/pulumi/pulumi/sdk/v3@$version"
    gomod="$(go env GOMODCACHE)/cache/download/github.com/pulumi/pulumi/sdk/v3/@v/$version.mod"
    grep -E '^replace [^ ]+ => [^.]' "$gomod" | while read -r _ from _ to ver; do
      go mod edit -replace "$from=$to@$ver"
    done
    go mod tidy >&2 || die "go mod tidy failed for sdk/v3 $version"
  fi
  log "building pulumi-language-nodejs $version against sdk/v3 $version"
  CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$bin_dir/pulumi-language-nodejs.tmp" . >&2 \
    || die "go build failed (see the compiler output above)"
) || { rm -f "$bin_dir/pulumi-language-nodejs.tmp"; exit 1; }

# Smoke test: the binary must start and print its port on stdout, as the engine expects.
tmp_bin="$bin_dir/pulumi-language-nodejs.tmp"
"$tmp_bin" >"$build_dir/port" 2>"$build_dir/stderr" &
pid=$!
for _ in $(seq 100); do
  [ -s "$build_dir/port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
port_line="$(head -n1 "$build_dir/port")"
case "$port_line" in
  ''|*[!0-9]*) rm -f "$tmp_bin"
               cat "$build_dir/stderr" >&2
               die "the built binary did not print a port on startup (got '${port_line}')" ;;
esac
mv -f "$tmp_bin" "$bin_dir/pulumi-language-nodejs"
log "built $bin_dir/pulumi-language-nodejs in $((SECONDS - started)) s"

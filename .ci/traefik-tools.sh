#!/usr/bin/env bash
# Build Traefik, the Gateway API and Ingress controller that the opt-in test
# e2e/node TestRoutesThroughTraefik routes through, into the cache outside the
# clone. Idempotent: a built binary is reused, so a rerun takes a second.
#
#   bash .ci/traefik-tools.sh                # build (cold ≈8 min on 2 cores) or reuse
#   SYNCTL_TOOLS_DIR=/some/dir bash .ci/traefik-tools.sh
#
# What it builds, under ${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}:
#   traefik-TRAEFIK_VERSION/traefik   from the Go module github.com/traefik/traefik/v3;
#   traefik-TRAEFIK_VERSION/kubernetes-crd-definition-v1.yml   Traefik's CRDs
#       (Middleware among them), from the same module, which the test installs.
#
# `go install m@v` cannot build it: Traefik needs its own replace directives,
# which `go install` ignores. So the build uses a throwaway wrapper module in a
# temporary directory outside the repo: it requires Traefik, copies Traefik's
# two replaces and its go.sum, imports cmd/traefik from a tools.go, and builds
# that package. (v3.7.x does not build from the proxy: a local replace
# directory it needs is not in the module zip.)
set -euo pipefail
TRAEFIK_VERSION=v3.6.25

tools="${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}"
dir="$tools/traefik-$TRAEFIK_VERSION"
crd=docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml
# GOFLAGS is set here, so a caller's -mod setting cannot refuse the
# wrapper's tidy; GOWORK so that no workspace takes the wrapper in.
export GOFLAGS=-mod=mod GOWORK=off

# The module's directory in the module cache, downloaded if need be.
traefik_src() {
  local src
  src="$(cd "${TMPDIR:-/tmp}" && go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$src" ] || [ ! -f "$src/go.sum" ] || [ ! -f "$src/$crd" ]; then
    echo "traefik-tools: cannot find Traefik $TRAEFIK_VERSION's go.sum and $crd in the module cache (got '$src')" >&2
    exit 2
  fi
  echo "$src"
}

if [ -x "$dir/traefik" ] && [ -f "$dir/$(basename "$crd")" ]; then
  echo "traefik $TRAEFIK_VERSION: $dir/traefik (cached)"
  exit 0
fi
if [ -x "$dir/traefik" ]; then
  src="$(traefik_src)"
  cp "$src/$crd" "$dir/.crd.tmp" && mv -f "$dir/.crd.tmp" "$dir/$(basename "$crd")"
  echo "traefik $TRAEFIK_VERSION: $dir/traefik (cached), CRDs copied"
  exit 0
fi

start=$(date +%s)
echo "traefik $TRAEFIK_VERSION: building into $dir (cold: ~8 min on 2 cores)"
mkdir -p "$dir"
# Built under a temporary name and renamed, so an interrupted build never
# leaves a file that the check above takes for a finished one.
tmp="$(mktemp -d "$dir/.build.XXXXXX")"
wrap="$(mktemp -d "${TMPDIR:-/tmp}/synctl-traefik.XXXXXX")"
trap 'rm -rf "$tmp" "$wrap"' EXIT

cat >"$wrap/go.mod" <<MOD
module synctl.local/traefik-build

go 1.24

require github.com/traefik/traefik/v3 $TRAEFIK_VERSION

replace (
	github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e
	github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
)
MOD
cat >"$wrap/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
GO
src="$(traefik_src)"
(
  cd "$wrap"
  cp "$src/go.sum" go.sum
  chmod u+w go.sum
  go mod tidy
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$tmp/traefik" github.com/traefik/traefik/v3/cmd/traefik
)
cp "$src/$crd" "$tmp/$(basename "$crd")"
mv -f "$tmp/$(basename "$crd")" "$dir/$(basename "$crd")"
mv -f "$tmp/traefik" "$dir/traefik"
echo "traefik $TRAEFIK_VERSION: built in $(( $(date +%s) - start )) s"

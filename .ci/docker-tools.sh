#!/usr/bin/env bash
# Build Docker Compose v2 from its Go module (tools/compose) and install it as
# a docker CLI plugin, for the real-engine tests in e2e/docker.
#
# Debian has only Compose v1, which rejects the files synctl renders, and no
# registry is reachable, so the plugin is compiled here. The binary is cached
# outside the clone, keyed by version, so a rerun takes seconds:
#
#   ${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}/compose-v2.40.3/docker-compose
#
# and installed as $DOCKER_CONFIG/cli-plugins/docker-compose, where DOCKER_CONFIG
# defaults to the directory .ci/dockerd.sh prints. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_VERSION=v2.40.3
tools_dir="${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}"
state_dir="${SYNCTL_DOCKER_STATE:-$HOME/.cache/synctl/docker}"
docker_config="${DOCKER_CONFIG:-$state_dir/config}"
bin="$tools_dir/compose-$COMPOSE_VERSION/docker-compose"

# The version the tools module pins must be the one this script names, or the
# cache key would lie about what it holds.
if ! grep -q "github.com/docker/compose/v2 $COMPOSE_VERSION\$" tools/compose/go.mod; then
  echo "docker-tools.sh: tools/compose/go.mod does not require compose $COMPOSE_VERSION" >&2
  exit 1
fi

start=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - start) / 1000000 )); }
# One line per run, read back by internal/dockertest into the test log.
timings="$(dirname "$bin")/timings.log"
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "docker-tools.sh: compose $COMPOSE_VERSION cached at $bin"
  echo "$(date -u +%FT%TZ) compose $COMPOSE_VERSION cached: $(ms) ms" >>"$timings"
else
  echo "docker-tools.sh: building compose $COMPOSE_VERSION (cold: about 8-9 min on 2 cores)"
  mkdir -p "$(dirname "$bin")"
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  # internal.Version is what `docker compose version` prints; compose's own
  # Makefile sets it the same way. -mod=mod: the tools module has no vendor
  # directory and its go.sum is committed.
  (cd tools/compose && CGO_ENABLED=0 go build -mod=mod -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
    -o "$tmp" github.com/docker/compose/v2/cmd)
  mv -f "$tmp" "$bin"
  trap - EXIT
  echo "docker-tools.sh: built $bin in $(ms) ms"
  echo "$(date -u +%FT%TZ) compose $COMPOSE_VERSION cold build: $(ms) ms" >>"$timings"
fi

plugin="$docker_config/cli-plugins/docker-compose"
if ! cmp -s "$bin" "$plugin" 2>/dev/null; then
  install -D -m 0755 "$bin" "$plugin"
fi
echo "docker-tools.sh: installed $plugin ($(ms) ms)"
echo "export DOCKER_CONFIG=$docker_config"

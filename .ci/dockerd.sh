#!/usr/bin/env bash
# Start or stop a private Docker Engine for the real-engine tests (e2e/docker).
#
#   bash .ci/dockerd.sh start   # prints the export lines to use
#   bash .ci/dockerd.sh stop
#   bash .ci/dockerd.sh env     # prints the export lines again
#
# The engine keeps everything under a state directory outside the clone
# (${SYNCTL_DOCKER_STATE:-$HOME/.cache/synctl/docker}): data-root, exec-root,
# its own unix socket, pid file and log, so it never meets a system dockerd.
# --iptables=false --ip-forward=false keep every container's traffic on this
# host: nothing is NATed out, and published ports are served by docker-proxy
# on the host. Images persist in the data-root between runs, which is what
# makes the tests' image cache work.
set -euo pipefail

state="${SYNCTL_DOCKER_STATE:-$HOME/.cache/synctl/docker}"
sock="$state/docker.sock"
pidfile="$state/dockerd.pid"
log="$state/dockerd.log"
dockerd="${DOCKERD:-/usr/sbin/dockerd}"

print_env() {
  echo "export DOCKER_HOST=unix://$sock"
  echo "export DOCKER_CONFIG=${DOCKER_CONFIG:-$state/config}"
}

running() {
  [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
  if running; then
    echo "dockerd.sh: already running (pid $(cat "$pidfile"))" >&2
    print_env
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "dockerd.sh: dockerd needs root" >&2
    exit 1
  fi
  # A second engine (Debian's docker.io starts one on install) would manage
  # the same docker0 bridge; refuse rather than fight over it.
  local other
  other=$(pgrep -x dockerd || true)
  if [ -n "$other" ]; then
    echo "dockerd.sh: another dockerd is running (pid $(echo $other)); stop it first (service docker stop)" >&2
    exit 1
  fi
  mkdir -p "$state/data" "$state/exec" "${DOCKER_CONFIG:-$state/config}"
  rm -f "$sock" "$pidfile"
  local t0
  t0=$(date +%s%N)
  # setsid: the engine outlives this script and the shell that ran it, and
  # gets no signals meant for the caller's process group.
  setsid "$dockerd" \
    --data-root "$state/data" \
    --exec-root "$state/exec" \
    --host "unix://$sock" \
    --pidfile "$pidfile" \
    --storage-driver overlay2 \
    --iptables=false \
    --ip-forward=false \
    </dev/null >>"$log" 2>&1 &
  local pid=$!
  # Ready when the API answers through the private socket.
  for _ in $(seq 1 300); do
    if DOCKER_HOST="unix://$sock" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
      echo "dockerd.sh: engine $(DOCKER_HOST="unix://$sock" docker version --format '{{.Server.Version}}') ready in $ms ms (pid $pid, log $log)" >&2
      # Read back by internal/dockertest into the test log.
      echo "$(date -u +%FT%TZ) dockerd ready: $ms ms" >>"$state/timings.log"
      print_env
      return
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "dockerd.sh: dockerd exited; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "dockerd.sh: dockerd did not answer within 30 s; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

stop() {
  if ! running; then
    echo "dockerd.sh: not running" >&2
    rm -f "$pidfile"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  # dockerd stops its containers (10 s grace each, in parallel) and its
  # containerd before it exits.
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || { echo "dockerd.sh: stopped (pid $pid)" >&2; rm -f "$pidfile"; return; }
    sleep 0.1
  done
  echo "dockerd.sh: dockerd (pid $pid) still running after 60 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# bench/run.sh: time synctl as a whole process, side by side with kompose,
# print one markdown table of medians and peak memory, then check the
# performance goals, each as a ratio measured in the same run (synctl and
# its reference alternated, GOAL_RUNS runs each): exit status 1 when a
# goal is missed by more than the run's own spread (the interquartile
# range of the pair-by-pair ratios, or of the times).
#
#   bash bench/run.sh            # from a clean checkout; needs Go
#   GOALS_ONLY=1 bash bench/run.sh   # the goals alone (about 3 minutes)
#
# Environment:
#   RUNS=20          timed runs per small workload (5 for the 1000-service app)
#   SIZES="10 100 1000"   generated app sizes
#   BENCH_TMP=DIR    where bundles are written (default /dev/shm when present,
#                    so the numbers are synctl's and not the disk's)
#   KOMPOSE=PATH     use this kompose binary instead of building v1.38.0
#   GOAL_RUNS=10     alternated runs of each command per goal (at least 10)
#   BENCH_NO_HYPERFINE=1  time with the script's own loop even if hyperfine is there
#
# Wall times come from hyperfine (installed with apt-get when running as root
# and missing) or, failing that, from a loop around `date +%s%N`; peak memory
# (max RSS) from GNU time. kompose v1.38.0 is built once from a throwaway
# module outside the repository (its go.mod is not synctl's) and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/synctl-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-20}
SIZES=${SIZES:-10 100 1000}
KOMPOSE_VERSION=v1.38.0
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/synctl-bench
KOMPOSE_TIMEOUT=${KOMPOSE_TIMEOUT:-120}

log() { printf '%s\n' "$*" >&2; }

tmpbase=${BENCH_TMP:-}
if [ -z "$tmpbase" ]; then
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmpbase=/dev/shm; else tmpbase=${TMPDIR:-/tmp}; fi
fi
WORK=$(mktemp -d "$tmpbase/synctl-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- tools -----------------------------------------------------------------
apt_install() { # package: install when root with apt-get, quietly
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  log "installing $1 with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; }
}
HYPERFINE=
if [ -z "${BENCH_NO_HYPERFINE:-}" ]; then
  command -v hyperfine >/dev/null || apt_install hyperfine || true
  HYPERFINE=$(command -v hyperfine || true)
fi
[ -x /usr/bin/time ] || apt_install time || true
GNUTIME=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then GNUTIME=/usr/bin/time; fi

# --- build -------------------------------------------------------------------
BIN=$WORK/bin
mkdir -p "$BIN"
log "building synctl, synctl-validate and genapp"
go build -o "$BIN/synctl" ./cmd/synctl
go build -o "$BIN/synctl-validate" ./cmd/synctl-validate # synctl validate runs it from beside synctl
go build -o "$BIN/genapp" ./bench/genapp
go build -o "$BIN/floor" ./bench/floor # start-up floor: synctl's type packages alone
# The floor with the built-in app's finished bundle built in (bench/floor/
# write.go): the least a program of synctl's types takes to write what
# `synctl render --target all --out` writes. The bundle is laid over
# bench/floor/bundle with -overlay, so the checkout is left as it is.
"$BIN/synctl" render --target all --out "$WORK/floorbundle" 2>/dev/null
(cd "$WORK/floorbundle" && find . -type f | sort) | {
  sep=""
  printf '{"Replace": {'
  while IFS= read -r f; do
    f=${f#./}
    printf '%s"%s": "%s"' "$sep" "$ROOT/bench/floor/bundle/$f" "$WORK/floorbundle/$f"
    sep=", "
  done
  printf '}}\n'
} >"$WORK/floor-overlay.json"
go build -tags floorwrite -overlay "$WORK/floor-overlay.json" -o "$BIN/floorwrite" ./bench/floor
"$BIN/floorwrite" --write "$WORK/floorcheck" >/dev/null
diff -r "$WORK/floorbundle" "$WORK/floorcheck" >/dev/null || { log "floorwrite wrote another bundle than synctl"; exit 1; }
go build -o "$BIN/pair" ./bench/pair   # alternated timing of two commands
SYNCTL=$BIN/synctl

KOMPOSE=${KOMPOSE:-}
KOMPOSE_WHY=""
build_kompose() {
  local out=$CACHE/kompose-$KOMPOSE_VERSION
  if [ -x "$out" ]; then KOMPOSE=$out; return 0; fi
  mkdir -p "$CACHE"
  local mod
  mod=$(mktemp -d "${TMPDIR:-/tmp}/benchkompose.XXXXXX")
  log "building kompose $KOMPOSE_VERSION in $mod (once; cached in $CACHE)"
  cat >"$mod/main.go" <<'EOF'
// Throwaway module for synctl's bench/run.sh: kompose's own main.
package main

import (
	"fmt"
	"os"

	"github.com/kubernetes/kompose/cmd"
)

func main() {
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
  if (
    cd "$mod" &&
      export GOWORK=off GOFLAGS=-mod=mod &&
      go mod init benchkompose &&
      # kompose's go.mod replaces openshift/api; replaces do not carry over
      # to a module that requires it, so repeat it here.
      go mod edit -replace 'github.com/openshift/api@v3.9.0+incompatible=github.com/openshift/api@v0.0.0-20230704153349-abb98ff04d03' &&
      go get "github.com/kubernetes/kompose@$KOMPOSE_VERSION" &&
      go build -o "$out.tmp" . &&
      mv "$out.tmp" "$out"
  ) >"$mod/build.log" 2>&1; then
    KOMPOSE=$out
    rm -rf "$mod"
  else
    KOMPOSE_WHY="building kompose $KOMPOSE_VERSION failed: $(tail -n 3 "$mod/build.log" | tr '\n' ' ')"
    rm -rf "$mod"
    return 1
  fi
}
if [ -z "$KOMPOSE" ]; then build_kompose || log "$KOMPOSE_WHY"; fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- inputs ------------------------------------------------------------------
"$SYNCTL" render --target all --out "$WORK/default" 2>/dev/null
for n in $SIZES; do
  "$BIN/genapp" -n "$n" >"$WORK/app$n.yaml"
  # kompose's input: the same app as the compose file of the docker-network
  # target (services on one network, public ones publishing their ports).
  "$SYNCTL" render -f "$WORK/app$n.yaml" --target docker-network --out "$WORK/compose$n" 2>/dev/null
done

# --- measuring ---------------------------------------------------------------
# measure RUNS PREPARE CMD...: sets MED_MS (median wall, ms) and RSS_MB
# (median peak RSS, MB). PREPARE runs before every run, untimed. Exit status
# 1 (diff found a difference) counts as success.
MED_MS="" RSS_MB=""
measure() {
  local runs=$1 prepare=$2
  shift 2
  local cmd="$*"
  if [ -n "$HYPERFINE" ]; then
    local json=$WORK/hf.json
    "$HYPERFINE" -N -i --style none --warmup 2 --runs "$runs" --prepare "$prepare" \
      --export-json "$json" "$cmd" >/dev/null 2>&1
    MED_MS=$(sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$json" | head -n 1 | awk '{printf "%.1f", $1 * 1000}')
  else
    local i t0 t1 times=()
    for ((i = 0; i < runs + 1; i++)); do
      sh -c "$prepare"
      t0=$(date +%s%N)
      "$@" >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      [ "$i" -gt 0 ] && times+=($(((t1 - t0) / 1000))) # first run is a warm-up
    done
    MED_MS=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}')
  fi
  RSS_MB="n/a"
  if [ -n "$GNUTIME" ]; then
    local rss=()
    for i in 1 2 3; do
      sh -c "$prepare"
      "$GNUTIME" -f %M -o "$WORK/rss" "$@" >/dev/null 2>&1 || true
      rss+=("$(tail -n 1 "$WORK/rss")")
    done
    RSS_MB=$(printf '%s\n' "${rss[@]}" | sort -n | sed -n 2p | awk '{printf "%.0f", $1 / 1024}')
  fi
}

OUT=$WORK/out
clean="rm -rf $OUT"
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# kompose_run COMPOSE RUNS: sets K_MS (median ms, empty when not measured)
# and K_TIME, K_RSS for the table.
kompose_run() {
  K_MS="" K_TIME="-" K_RSS="-"
  [ -n "$KOMPOSE" ] || return 0
  rm -rf "$OUT"
  if ! timeout "$KOMPOSE_TIMEOUT" "$KOMPOSE" convert --suppress-warnings -f "$1" -o "$OUT/" >/dev/null 2>&1; then
    K_TIME="failed or > $KOMPOSE_TIMEOUT s"
    return 0
  fi
  measure "$2" "$clean" "$KOMPOSE" convert --suppress-warnings -f "$1" -o "$OUT/"
  K_MS=$MED_MS K_TIME="$MED_MS ms" K_RSS="$RSS_MB MB"
}

if [ -z "${GOALS_ONLY:-}" ]; then
log "timing (median of $RUNS runs each; hyperfine: ${HYPERFINE:-no, own loop}; peak RSS: ${GNUTIME:-unavailable})"

measure "$RUNS" "$clean" "$SYNCTL" render --target all --out "$OUT"
S_DEFAULT=$MED_MS S_RSS=$RSS_MB
kompose_run "$WORK/default/docker-network/compose.yaml" "$RUNS"
K_DEFAULT=$K_MS
row "render --target all, SynergyChat (3 services)" "$S_DEFAULT ms" "$S_RSS MB" "" "$K_TIME" "$K_RSS" "$(ratio "$S_DEFAULT" "$K_MS")"

measure "$RUNS" "true" "$SYNCTL" render --target minikube
row "render --target minikube (one Kubernetes target), SynergyChat" "$MED_MS ms" "$RSS_MB MB" "" "$K_TIME" "$K_RSS" "$(ratio "$MED_MS" "$K_MS")"

# One bundle per target, whatever the registry holds.
bundles=("$WORK"/default/*)
NTARGETS=${#bundles[@]}
measure "$RUNS" "true" "$SYNCTL" validate --skip-nginx "${bundles[@]}"
row "validate --skip-nginx, all $NTARGETS SynergyChat bundles" "$MED_MS ms" "$RSS_MB MB" "" "" "" ""
if command -v nginx >/dev/null && [ "$(id -u)" = 0 ]; then
  measure "$RUNS" "true" "$SYNCTL" validate "${bundles[@]}"
  row "validate with nginx -t, all $NTARGETS SynergyChat bundles" "$MED_MS ms" "$RSS_MB MB" "" "" "" ""
fi

measure "$RUNS" "true" "$SYNCTL" diff --from minikube --to gke
row "diff --from minikube --to gke" "$MED_MS ms" "$RSS_MB MB" "" "" "" ""

declare -A S_N K_N R_N
for n in $SIZES; do
  runs=$RUNS
  [ "$n" -ge 1000 ] && runs=$(( RUNS < 5 ? RUNS : 5 ))
  measure "$runs" "$clean" "$SYNCTL" render -f "$WORK/app$n.yaml" --target all --out "$OUT"
  S_N[$n]=$MED_MS R_N[$n]=$RSS_MB
  per=$(awk -v t="${S_N[$n]}" -v n="$n" 'BEGIN { printf "%.3f ms", t / n }')
  kompose_run "$WORK/compose$n/compose.yaml" "$runs"
  K_N[$n]=$K_MS
  row "render --target all, generated app of $n services" "${S_N[$n]} ms" "${R_N[$n]} MB" "$per" "$K_TIME" "$K_RSS" "$(ratio "${S_N[$n]}" "$K_MS")"
done

# --- report ------------------------------------------------------------------
echo
echo "| workload | synctl median | synctl peak RSS | per service | kompose $KOMPOSE_VERSION median | kompose peak RSS | synctl / kompose |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
timer="a date +%s%N loop" rss="nothing (install the time package)"
[ -n "$HYPERFINE" ] && timer=$("$HYPERFINE" --version)
[ -n "$GNUTIME" ] && rss="GNU time"
echo "$(go env GOVERSION), $(nproc) cores, $(uname -m); medians of $RUNS runs (1000-service app: at most 5)," \
  "wall time by $timer, peak RSS (median of 3) by $rss; bundles written to $tmpbase."
echo "kompose converts the app's docker-network compose.yaml to Kubernetes manifests (one target);" \
  "synctl renders all $NTARGETS targets from the model, so the ratio favours kompose."
[ -n "$KOMPOSE_WHY" ] && echo "kompose not measured: $KOMPOSE_WHY"

if [ -n "${S_N[10]:-}" ] && [ -n "${S_N[100]:-}" ] && [ -n "${S_N[1000]:-}" ]; then
  # Per added service, which leaves out the fixed start-up cost.
  a=$(awk -v x="${S_N[10]}" -v y="${S_N[100]}" 'BEGIN { printf "%.3f", (y - x) / 90 }')
  b=$(awk -v x="${S_N[100]}" -v y="${S_N[1000]}" 'BEGIN { printf "%.3f", (y - x) / 900 }')
  echo
  echo "Time per added service: $a ms from 10 to 100 services, $b ms from 100 to 1000."
fi
fi # GOALS_ONLY

# --- goals ----------------------------------------------------------
# Each goal is measured by bench/pair: the two commands in turn, GOAL_RUNS
# timed runs each after a warm-up, medians and the quartiles of the
# pair-by-pair ratio. A goal fails when the median misses it by more than
# the interquartile range: the run's own spread.
GOAL_RUNS=${GOAL_RUNS:-10}
[ "$GOAL_RUNS" -ge 10 ] || { log "GOAL_RUNS must be at least 10"; exit 2; }
[ -f "$WORK/app1000.yaml" ] || "$BIN/genapp" -n 1000 >"$WORK/app1000.yaml"
[ -d "$WORK/compose1000" ] || "$SYNCTL" render -f "$WORK/app1000.yaml" --target docker-network --out "$WORK/compose1000" 2>/dev/null
missed=0
goal_rows=()
# check NAME VALUE GOAL SPREAD UNIT: records a row; counts a miss beyond the spread.
check() {
  local verdict
  verdict=$(awk -v v="$2" -v g="$3" -v s="$4" 'BEGIN { if (v <= g) print "met"; else if (v - g <= s) print "within spread"; else print "MISSED" }')
  [ "$verdict" = MISSED ] && missed=$((missed + 1))
  goal_rows+=("| $1 | $2$5 | <= $3$5 | $4$5 | $verdict |")
}
# field NAME LINE: the value of NAME=... in pair's output line.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
pair() { "$BIN/pair" -n "$GOAL_RUNS" "$@"; }

log "goals: $GOAL_RUNS alternated runs each"
line=$(pair -a "$SYNCTL --version" -b "$BIN/floor")
check "start-up: synctl --version / a binary of its type packages alone ($(field a_ms "$line") ms / $(field b_ms "$line") ms)" \
  "$(field ratio "$line")" 1.1 "$(awk -v a="$(field ratio_q3 "$line")" -v b="$(field ratio_q1 "$line")" 'BEGIN { printf "%.3f", a - b }')" ""
if [ -n "$KOMPOSE" ]; then
  line=$(pair -prepare "rm -rf $OUT $OUT.k" -a "$SYNCTL render --target all --out $OUT" \
    -b "$KOMPOSE convert --suppress-warnings -f $WORK/default/docker-network/compose.yaml -o $OUT.k/")
  check "built-in app, render --target all --out / kompose on its 3 services ($(field a_ms "$line") ms / $(field b_ms "$line") ms)" \
    "$(field ratio "$line")" 0.4 "$(awk -v a="$(field ratio_q3 "$line")" -v b="$(field ratio_q1 "$line")" 'BEGIN { printf "%.3f", a - b }')" ""
  line=$(pair -prepare "rm -rf $OUT $OUT.k" -a "$BIN/floorwrite --write $OUT" \
    -b "$KOMPOSE convert --suppress-warnings -f $WORK/default/docker-network/compose.yaml -o $OUT.k/")
  goal_rows+=("| the bound for the row above, not a goal: the floor writing the same files, finished, from memory / kompose ($(field a_ms "$line") ms / $(field b_ms "$line") ms) | $(field ratio "$line") | | $(awk -v a="$(field ratio_q3 "$line")" -v b="$(field ratio_q1 "$line")" 'BEGIN { printf "%.3f", a - b }') | reference |")
  line=$(pair -a "$SYNCTL render -f $WORK/app1000.yaml --target gke" \
    -b "$KOMPOSE convert --suppress-warnings -f $WORK/compose1000/compose.yaml --stdout")
  check "1000 services, gke to stdout / kompose on the same 1000 to stdout ($(field a_ms "$line") ms / $(field b_ms "$line") ms)" \
    "$(field ratio "$line")" 0.3 "$(awk -v a="$(field ratio_q3 "$line")" -v b="$(field ratio_q1 "$line")" 'BEGIN { printf "%.3f", a - b }')" ""
else
  goal_rows+=("| the kompose ratios | not measured: ${KOMPOSE_WHY:-no kompose} | | | MISSED |")
  missed=$((missed + 1))
fi
line=$(pair -prepare "rm -rf $OUT" -a "$SYNCTL render -f $WORK/app1000.yaml --target all --out $OUT")
check "1000 services, all six targets to files, median wall time" "$(field a_ms "$line")" 1000 \
  "$(awk -v a="$(field a_ms_q3 "$line")" -v b="$(field a_ms_q1 "$line")" 'BEGIN { printf "%.0f", a - b }')" " ms"
check "1000 services, all six targets to files, median peak RSS" "$(field a_mb "$line")" 150 \
  "$(awk -v a="$(field a_mb_max "$line")" -v b="$(field a_mb "$line")" 'BEGIN { printf "%.0f", a - b }')" " MB"

echo
echo "Performance goals ($GOAL_RUNS alternated runs each; load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| goal | median | goal | spread | verdict |"
echo "| --- | ---: | ---: | ---: | --- |"
printf '%s\n' "${goal_rows[@]}"
if [ "$missed" -gt 0 ]; then
  echo
  echo "$missed goal(s) missed by more than the run's spread."
  exit 1
fi

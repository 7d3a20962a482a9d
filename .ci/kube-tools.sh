#!/usr/bin/env bash
# Build the kube-apiserver that internal/kubetest runs, into a cache outside
# the clone, and check that etcd and kubectl are there. Idempotent: when the
# binary already exists nothing is built, so a rerun takes a moment.
#
#   bash .ci/kube-tools.sh            # build (≈10 min cold on 2 cores) or reuse
#   bash .ci/kube-tools.sh --build-only   # the same, without checking etcd and kubectl
#   SYNCTL_TOOLS_DIR=/some/dir bash .ci/kube-tools.sh
#
# The version comes from tools/kube/go.mod (k8s.io/kubernetes). A cold build
# needs about 2 GB of memory and the Go module proxy.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
mod="$repo/tools/kube"

version="$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
case "$version" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "kube-tools: cannot read the k8s.io/kubernetes version from $mod/go.mod (got '$version')" >&2; exit 2 ;;
esac
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"

tools="${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}"
dir="$tools/kube-apiserver-$version"
bin="$dir/kube-apiserver"

if [ -x "$bin" ]; then
  echo "kube-apiserver $version: $bin (cached)"
else
  echo "kube-apiserver $version: building into $bin (cold: ~10 min, ~2 GB RAM)"
  mkdir -p "$dir"
  # Without these the server reports v0.0.0-master, which kubectl cannot parse.
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  done
  # Build to a temporary name and rename, so an interrupted build never
  # leaves a binary that the check above would take for a finished one.
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv -f "$tmp" "$bin"
  trap - EXIT
  echo "kube-apiserver $version: built"
fi
"$bin" --version
[ "${1:-}" = --build-only ] && exit 0

missing=0
if command -v etcd >/dev/null; then
  echo "etcd: $(command -v etcd) ($(etcd --version 2>/dev/null | head -n1))"
else
  echo "etcd: not found on PATH; install it with: apt-get install -y etcd-server" >&2
  missing=1
fi
if command -v kubectl >/dev/null; then
  echo "kubectl: $(command -v kubectl) ($(kubectl version --client 2>/dev/null | head -n1))"
else
  echo "kubectl: not found on PATH; install a kubectl binary (https://kubernetes.io/docs/tasks/tools/)" >&2
  missing=1
fi
exit "$missing"

#!/usr/bin/env bash
# Build the parts of the single-node cluster that internal/nodetest runs, into
# the cache outside the clone, and check the Debian parts. Idempotent: what is
# already built is reused, so a rerun takes seconds.
#
#   bash .ci/node-tools.sh                # build (cold ≈10 min on 2 cores) or reuse, then check
#   bash .ci/node-tools.sh --build-only   # the same, without checking the Debian parts
#   SYNCTL_TOOLS_DIR=/some/dir bash .ci/node-tools.sh
#
# What it builds, under ${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}:
#   node-VERSION/{kubelet,kube-controller-manager,kube-scheduler,kube-proxy}
#       from tools/kube (the module kube-apiserver is built from, so a warm
#       cache from .ci/kube-tools.sh shortens this one), VERSION = its
#       k8s.io/kubernetes;
#   coredns-COREDNS_VERSION/coredns   from the Go module github.com/coredns/coredns;
#   pause-HASH/pause                  from internal/nodetest/pause, HASH its source's.
# The Debian parts it checks: containerd, ctr, runc, the CNI plugins
# (containernetworking-plugins), nft (nftables), etcd (etcd-server), and
# kubectl.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
mod="$repo/tools/kube"
COREDNS_VERSION=v1.15.0

version="$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
case "$version" in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "node-tools: cannot read the k8s.io/kubernetes version from $mod/go.mod (got '$version')" >&2; exit 2 ;;
esac
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"

tools="${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}"
mkdir -p "$tools"
start=$(date +%s)
secs() { echo $(( $(date +%s) - $1 )); }

# Every binary is built under a temporary name and renamed, so an
# interrupted build never leaves a file that the checks take for a finished one.
tmpdirs=()
cleanup() { for d in "${tmpdirs[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

# Kubernetes node components: one `go build` for the four, so the packages
# they share compile once.
kdir="$tools/node-$version"
cmds=(kubelet kube-controller-manager kube-scheduler kube-proxy)
need=()
for c in "${cmds[@]}"; do [ -x "$kdir/$c" ] || need+=("$c"); done
if [ ${#need[@]} -eq 0 ]; then
  echo "node $version: ${cmds[*]} in $kdir (cached)"
else
  t0=$(date +%s)
  echo "node $version: building ${need[*]} into $kdir (cold: ~8 min after kube-apiserver's build)"
  mkdir -p "$kdir"
  tmp="$(mktemp -d "$kdir/.build.XXXXXX")"; tmpdirs+=("$tmp")
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  done
  pkgs=()
  for c in "${need[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
  for c in "${need[@]}"; do mv -f "$tmp/$c" "$kdir/$c"; done
  echo "node $version: built ${need[*]} in $(secs "$t0") s"
fi

# CoreDNS, the cluster DNS that resolves Service names inside pods.
cdir="$tools/coredns-$COREDNS_VERSION"
if [ -x "$cdir/coredns" ]; then
  echo "coredns $COREDNS_VERSION: $cdir/coredns (cached)"
else
  t0=$(date +%s)
  echo "coredns $COREDNS_VERSION: building into $cdir (cold: ~3 min)"
  mkdir -p "$cdir"
  tmp="$(mktemp -d "$cdir/.build.XXXXXX")"; tmpdirs+=("$tmp")
  # `go install m@v` honours no replace directives, and coredns has none it
  # needs; GOFLAGS is cleared so a caller's -mod setting cannot refuse it.
  GOFLAGS= CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  mv -f "$tmp/coredns" "$cdir/coredns"
  echo "coredns $COREDNS_VERSION: built in $(secs "$t0") s"
fi

# pause, the sandbox process: keyed by its source, since it has no version.
hash="$(sha256sum "$repo/internal/nodetest/pause/main.go" | cut -c1-12)"
pdir="$tools/pause-$hash"
if [ -x "$pdir/pause" ]; then
  echo "pause: $pdir/pause (cached)"
else
  mkdir -p "$pdir"
  tmp="$(mktemp -d "$pdir/.build.XXXXXX")"; tmpdirs+=("$tmp")
  (cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pause" ./internal/nodetest/pause)
  mv -f "$tmp/pause" "$pdir/pause"
  echo "pause: built $pdir/pause"
fi
echo "node-tools: done in $(secs "$start") s"
[ "${1:-}" = --build-only ] && exit 0

missing=0
for b in containerd ctr runc nft etcd kubectl; do
  if command -v "$b" >/dev/null; then
    echo "$b: $(command -v "$b")"
  else
    case "$b" in
      containerd|ctr) pkg=containerd ;; runc) pkg=runc ;; nft) pkg=nftables ;; etcd) pkg=etcd-server ;;
      kubectl) pkg="" ;;
    esac
    if [ -n "$pkg" ]; then
      echo "$b: not found on PATH; install it with: apt-get install -y $pkg" >&2
    else
      echo "$b: not found on PATH; install a kubectl binary" >&2
    fi
    missing=1
  fi
done
for p in bridge host-local loopback; do
  if [ -x "/usr/lib/cni/$p" ] || [ -x "/opt/cni/bin/$p" ]; then
    :
  else
    echo "CNI plugin $p: not in /usr/lib/cni or /opt/cni/bin; install it with: apt-get install -y containernetworking-plugins" >&2
    missing=1
  fi
done
exit "$missing"

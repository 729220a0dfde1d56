#!/usr/bin/env bash
# Builds the real-cluster tier's binaries from Go modules: kube-apiserver and kube-controller-manager v1.32.10,
# OpenKruise v1.9.0's manager, a single-member etcd, the node agent (kubelet + kruise-daemon stand-in) and krew. Each
# group is keyed by a hash of what goes into it (go version, go.mod, go.sum, our Go sources, this script), so an
# unchanged tree reuses the binaries and any change rebuilds. A cold build takes many minutes: it prints a line every
# minute so CI never looks hung.
#
# Usage: test/realcluster/build.sh [--print-dir]     (REALCLUSTER_BIN overrides the output folder)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${REALCLUSTER_BIN:-$repo/.cache/realcluster/bin}"
jobs="${REALCLUSTER_BUILD_JOBS:-2}"

if ! command -v go >/dev/null 2>&1; then
  echo "error: go not found on PATH: the real-cluster tier builds kube-apiserver and Kruise from source (Go 1.24+)" >&2
  exit 3
fi
mkdir -p "$out"
# Go's build cache lives beside the binaries, in the git-ignored .cache/, so a CI cache of that one folder (or a second
# run on the same clone) makes the build warm; REALCLUSTER_GOCACHE points it elsewhere (for example at ~/.cache/go-build).
export GOCACHE="${REALCLUSTER_GOCACHE:-$repo/.cache/go-build}"
mkdir -p "$GOCACHE"

# kruise-manager reads the server's /version at every in-place update and refuses a version it cannot parse: the
# apiserver must report the release it was built from, not the v0.0.0-master default of a module build.
# kube-controller-manager gets the same stamp, so both report the one release they are.
kube_version="-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=32"
kube_version+=" -X k8s.io/component-base/version.gitVersion=v1.32.10 -X k8s.io/component-base/version.gitTreeState=clean"
kube_version+=" -X k8s.io/component-base/version.buildDate=2025-11-11T00:00:00Z"

key_of() { # files... -> one hash, including the toolchain and this script
  # Paths relative to the module, so every checkout of the same tree (a worktree, a CI clone) computes the same key.
  { go version; cat "$here/build.sh"; for f in "$@"; do echo "== ${f#"$here"/}"; cat "$f"; done; } | sha256sum | cut -c1-16
}

heartbeat() { # label -> prints elapsed time every minute until killed
  local start=$SECONDS
  while sleep 60; do echo "realcluster: still building $1 ($((SECONDS - start))s)" >&2; done
}

build_group() { # name key-file-list... -- go build args...
  local name="$1"; shift
  local files=()
  while [ "$1" != "--" ]; do files+=("$1"); shift; done
  shift
  local key stamp="$out/.key-$name"
  key="$(key_of "${files[@]}")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    return 0
  fi
  rm -f "$stamp"
  echo "realcluster: building $name (a cold build takes about 45 minutes on 2 cores; later builds reuse the Go cache)" >&2
  heartbeat "$name" &
  local beat=$! start=$SECONDS rc=0
  "$@" || rc=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "error: building $name failed (exit $rc)" >&2
    return "$rc"
  fi
  echo "$key" >"$stamp"
  echo "realcluster: built $name in $((SECONDS - start))s" >&2
}

cd "$here"
mapfile -t sources < <(find "$here/cmd" -name '*.go' | LC_ALL=C sort)
agent=()
if compgen -G "$here/cmd/node-agent/*.go" >/dev/null; then agent=(./cmd/node-agent); fi

build_group control-plane "$here/go.mod" "$here/go.sum" "${sources[@]}" -- \
  go build -p "$jobs" -o "$out/" "-ldflags=k8s.io/kubernetes/cmd/kube-apiserver=$kube_version" \
  github.com/openkruise/kruise k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd "${agent[@]}"
# The module root of github.com/openkruise/kruise is its manager's package main, so the binary comes out as "kruise".
if [ -f "$out/kruise" ]; then mv -f "$out/kruise" "$out/kruise-manager"; fi

# A group of its own: a change to our Go sources (the node agent) does not relink it. It shares the apiserver's module
# set (one go.mod, one version of every staging module), so most of its packages are already in the Go cache.
build_group controller-manager "$here/go.mod" "$here/go.sum" -- \
  go build -p "$jobs" -o "$out/" "-ldflags=$kube_version" k8s.io/kubernetes/cmd/kube-controller-manager

# krew is its own module: its client-go/apimachinery versions (v0.2x) clash with the v0.32 control plane.
(cd "$here/krew" && build_group krew "$here/krew/go.mod" "$here/krew/go.sum" -- \
  go build -p "$jobs" -o "$out/krew" -ldflags "-X sigs.k8s.io/krew/internal/version.gitTag=v0.4.4" sigs.k8s.io/krew/cmd/krew)

for bin in kube-apiserver kube-controller-manager kruise-manager etcd krew; do
  [ -x "$out/$bin" ] || { echo "error: $out/$bin missing after the build" >&2; exit 1; }
done
if [ "${1:-}" = "--print-dir" ]; then echo "$out"; fi

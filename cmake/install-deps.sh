#!/usr/bin/env bash
# Installs every Debian package Keelson needs to build, test and demo.
# Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config ccache clang-format
  # libraries
  prometheus-cpp-dev librdkafka-dev libboost-dev libboost-system-dev libfmt-dev
  libyaml-cpp-dev nlohmann-json3-dev libssl-dev libgtest-dev libgmock-dev zlib1g-dev libre2-dev
  libmimalloc-dev
  # real peers and the tools tests use to check them (tests/peers/)
  prometheus nginx-light kcat openssl maven default-jre-headless curl ca-certificates procps iproute2
  python3 python3-yaml util-linux jq
  # the node peer (tests/peers/node) and the image builds (tests/peers/images)
  containerd runc containernetworking-plugins busybox-static iptables buildah debootstrap libc6-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Go builds the kube-apiserver and etcd for the tests (tests/peers/kube); it is not a Debian
# package recent enough, so it must already be on PATH (it is on the project's machines).
command -v go >/dev/null || echo "install-deps: warning: 'go' not found; the kube peer cannot be built" >&2

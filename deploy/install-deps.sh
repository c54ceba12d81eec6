#!/usr/bin/env bash
# Installs the Debian packages the gateway needs to build, test and run.
# Idempotent: installs only what is missing, and runs `apt-get update` only when it
# has something to install. Works with no terminal (CI) and as root or through sudo.
set -euo pipefail

packages=(
  # build (Bazel 4.2.3 and the compiler)
  bazel-bootstrap g++
  # libraries and code generators
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-dev libssl-dev zlib1g-dev prometheus-cpp-dev libyaml-cpp-dev
  # tests (openssl makes the TLS test certificates; libbenchmark-dev runs tests/bench)
  openssl libbenchmark-dev
  # promtool checks and unit-tests the alert rules; tests/e2e runs a real Prometheus
  prometheus
  libgtest-dev libgmock-dev
  # the Databricks emulator (tests/emulator)
  libsqlite3-dev
  # global rate limits: the Redis client library, and the server the tests start
  libhiredis-dev redis-server
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the Debian packages the gateway needs to build, test and run.
# Idempotent: installs only what is missing, and runs `apt-get update` only when it
# has something to install. Works with no terminal (CI) and as root or through sudo.
# `--build-only`: only what building //server:gateway needs (deploy/Containerfile).
# `--bench`: besides, what `make bench`, `make soak`, `make fuzz` and
# `make test-sanitizers` need. `--quality`: besides, what `make coverage`, `make lint` and
# `make format-check` need.
set -euo pipefail

# What building the gateway needs (deploy/Containerfile installs only these: --build-only).
build_packages=(
  # Bazel 4.2.3 and the compiler
  bazel-bootstrap g++
  # libraries and code generators
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-dev libssl-dev zlib1g-dev prometheus-cpp-dev libyaml-cpp-dev
  libhiredis-dev
  # the Databricks emulator (tests/emulator) is in the same build graph
  libsqlite3-dev
  # TLS to Databricks verifies against the system's CAs
  ca-certificates
)
# What the tests, `make run` and the offline image build need besides.
test_packages=(
  # the TLS test certificates; tests/bench
  openssl libbenchmark-dev
  libgtest-dev libgmock-dev
  # promtool checks and unit-tests the alert rules; tests/e2e runs a real Prometheus
  prometheus
  # global rate limits: the server the tests start
  redis-server
  # tests/deploy validates the manifests and the dashboard with npm packages (below)
  nodejs
  # the offline image build and its test (deploy/image)
  buildah jq
  # tests/client runs dbgw in a terminal and reads the screen
  tmux
)

# What the benchmarks, the soak, the sanitizers and the fuzzers need besides.
bench_packages=(
  # the reverse proxy the gateway is compared with (tests/bench)
  nginx
  # the plots of docs/performance.md
  gnuplot-nox
  # libFuzzer and the sanitizer runtimes (tests/fuzz); llvm-symbolizer for their reports
  clang libclang-rt-14-dev llvm
)

# What the quality gates need besides (docs/testing.md).
quality_packages=(
  # make format-check
  clang-format
  # make lint; jq turns Bazel's compile actions into compile_commands.json
  clang-tidy cppcheck jq
  # make coverage: gcov's data as a summary and an HTML report
  gcovr
)

build_only=false
bench=false
quality=false
for arg in "$@"; do
  case "$arg" in
    --build-only) build_only=true ;;
    --bench) bench=true ;;
    --quality) quality=true ;;
    *) echo "usage: install-deps.sh [--build-only | --bench | --quality]" >&2; exit 2 ;;
  esac
done
packages=("${build_packages[@]}")
$bench && packages+=("${bench_packages[@]}")
$quality && packages+=("${quality_packages[@]}")
if ! $build_only; then
  packages+=("${test_packages[@]}")
  # kubectl renders the kustomize overlays: the one on PATH, else Debian's 1.20, whose
  # kustomize v2 renders them too (k8s/base/kustomization.yaml).
  command -v kubectl >/dev/null || packages+=(kubernetes-client)
  # Node.js from Debian comes without npm when another build of Node provides it.
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

# The npm packages of tests/deploy/package.json, in the user's cache (never in the clone),
# installed again when that file changes.
install_npm_packages() {
  local cache=$HOME/.cache/databricks-gateway/node
  local manifest=tests/deploy/package.json
  if [[ -d "$cache/node_modules" ]] && cmp -s "$manifest" "$cache/package.json"; then
    return
  fi
  echo "install-deps: installing the npm packages of $manifest into $cache" >&2
  mkdir -p "$cache"
  cp "$manifest" "$cache/package.json"
  (cd "$cache" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
}

cd "$(dirname "$0")/.."
if ((${#missing[@]} == 0)); then
  $build_only || install_npm_packages
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
$build_only || install_npm_packages

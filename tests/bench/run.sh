#!/usr/bin/env bash
# Runs a benchmark binary built with `bazel build -c opt //tests/bench/...` outside of
# `bazel test`: it finds the gateway and the emulator through its runfiles, and keeps its
# logs in a scratch directory that is removed when it succeeds (kept, and named, when not).
#   tests/bench/run.sh TARGET [ARGS...]     e.g. tests/bench/run.sh side_by_side_bench --quick
set -uo pipefail
cd "$(dirname "$0")/../.."
name=$1
shift
binary=bazel-bin/tests/bench/$name
if [[ ! -x $binary ]]; then
  echo "run.sh: $binary is not built (bazel build -c opt //tests/bench/...)" >&2
  exit 2
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dbgw-bench.XXXXXX")
# Debian installs nginx in /usr/sbin, which is not on every user's PATH.
PATH=$PATH:/usr/sbin TEST_SRCDIR=$PWD/$binary.runfiles TEST_WORKSPACE=databricks_gateway \
  TEST_TMPDIR=$scratch "$binary" "$@"
status=$?
if ((status == 0)); then
  rm -rf "$scratch"
else
  echo "run.sh: $name failed (exit $status); its logs are in $scratch" >&2
fi
exit $status

#!/usr/bin/env bash
# Checks alerts.yaml with promtool and runs its unit tests (alerts_test.yaml). Writes a
# JUnit report with one case per check, so `make test` counts them.
set -uo pipefail
if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root=$TEST_SRCDIR/$TEST_WORKSPACE
else
  root=$(cd "$(dirname "$0")/../.." && pwd)
fi
source "$root/tests/harness/junit.sh"
cd "$root/deploy/prometheus"

if ! command -v promtool >/dev/null; then
  echo "promtool is not on PATH (make deps installs Debian's prometheus)" >&2
  exit 1
fi
run_case check_rules promtool check rules alerts.yaml
run_case test_rules promtool test rules alerts_test.yaml
junit_finish alert_rules

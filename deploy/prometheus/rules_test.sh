#!/usr/bin/env bash
# Checks alerts.yaml with promtool and runs its unit tests (alerts_test.yaml). Writes a
# JUnit report with one case per check, so `make test` counts them.
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v promtool >/dev/null; then
  echo "promtool is not on PATH (make deps installs Debian's prometheus)" >&2
  exit 1
fi

failures=0
cases=""
run_case() {
  local name=$1
  shift
  local output
  if output=$("$@" 2>&1); then
    cases+="<testcase name=\"$name\"/>"
  else
    failures=$((failures + 1))
    cases+="<testcase name=\"$name\"><failure message=\"$name failed\"/></testcase>"
  fi
  echo "$output"
}
run_case check_rules promtool check rules alerts.yaml
run_case test_rules promtool test rules alerts_test.yaml

if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="2" failures="%d" errors="0"><testsuite name="alert_rules" tests="2" failures="%d" errors="0">%s</testsuite></testsuites>\n' \
    "$failures" "$failures" "$cases" >"$XML_OUTPUT_FILE"
fi
((failures == 0))

# Sourced by the shell tests: run named checks, print each one's output, and write the
# JUnit report tests/run-tests.sh counts.
#   run_case NAME COMMAND [ARGS...]   # one test case: passes when COMMAND exits 0
#   junit_finish SUITE                # writes $XML_OUTPUT_FILE; returns non-zero on a failure
junit_count=0
junit_failures=0
junit_cases=""

run_case() {
  local name=$1
  shift
  local output status=0
  output=$("$@" 2>&1) || status=$?
  junit_count=$((junit_count + 1))
  echo "== $name: $([[ $status == 0 ]] && echo ok || echo FAILED)"
  echo "$output"
  if ((status == 0)); then
    junit_cases+="<testcase name=\"$name\"/>"
  else
    junit_failures=$((junit_failures + 1))
    local escaped
    escaped=$(printf '%s' "$output" | tail -c 2000 |
      sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')
    junit_cases+="<testcase name=\"$name\"><failure message=\"$name failed\">$escaped</failure></testcase>"
  fi
}

junit_finish() {
  local suite=$1
  if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="%d" failures="%d" errors="0"><testsuite name="%s" tests="%d" failures="%d" errors="0">%s</testsuite></testsuites>\n' \
      "$junit_count" "$junit_failures" "$suite" "$junit_count" "$junit_failures" "$junit_cases" \
      >"$XML_OUTPUT_FILE"
  fi
  ((junit_failures == 0))
}

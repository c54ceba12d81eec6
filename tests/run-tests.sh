#!/usr/bin/env bash
# Runs every test (`bazel test //...`) and ends with "N passed, N failed", counting test
# cases from the JUnit XML Bazel writes under bazel-testlogs/. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

# Every run executes every test: results are never taken from a cache.
bazel test --nocache_test_results //... "$@"
bazel_status=$?

passed=0
failed=0
while read -r label; do
  [[ -n "$label" ]] || continue
  path=${label#//}
  xml="bazel-testlogs/${path/://}/test.xml"
  if [[ ! -f "$xml" ]]; then
    echo "no test results for $label (it did not build or run)" >&2
    failed=$((failed + 1))
    continue
  fi
  # The first element carrying counts is the whole-file summary (<testsuites> for
  # GoogleTest; <testsuite> for Bazel's own XML of a test that crashed).
  read -r tests failures errors < <(
    grep -m1 -oE '<testsuites?[^>]*>' "$xml" | awk '{
      t = f = e = 0
      if (match($0, / tests="[0-9]+"/)) t = substr($0, RSTART + 8, RLENGTH - 9)
      if (match($0, / failures="[0-9]+"/)) f = substr($0, RSTART + 11, RLENGTH - 12)
      if (match($0, / errors="[0-9]+"/)) e = substr($0, RSTART + 9, RLENGTH - 10)
      print t, f, e
    }')
  bad=$((failures + errors))
  if ((tests == 0 && bazel_status != 0)) && grep -q 'FAILED\|failed' "bazel-testlogs/${path/://}/test.log" 2>/dev/null; then
    bad=1
    tests=1
  fi
  passed=$((passed + tests - bad))
  failed=$((failed + bad))
done < <(bazel query 'tests(//...)' 2>/dev/null)

if ((bazel_status != 0 && failed == 0)); then
  echo "bazel test exited with status $bazel_status" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
((failed == 0))

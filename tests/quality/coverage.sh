#!/usr/bin/env bash
# make coverage: runs every test with gcov counters compiled in (--config=coverage), then
# reports the line coverage of server/ and of client/ with gcovr. Writes an HTML report to
# bazel-coverage/index.html. Exits 1 if a test fails or if server/ is below the gate.
# `coverage.sh TARGET...` runs only those test targets (the gate still applies).
set -uo pipefail
cd "$(dirname "$0")/../.."

readonly server_gate=80  # percent of server/'s lines, tests excluded
if ! command -v gcovr >/dev/null; then
  echo "coverage: gcovr is not installed (deploy/install-deps.sh --quality)" >&2
  exit 2
fi
targets=("$@")
((${#targets[@]} > 0)) || targets=(//...)

# Counters left from an earlier run would add to this one's.
bindir=$(bazel info --config=coverage bazel-bin 2>/dev/null)
execroot=$(bazel info execution_root 2>/dev/null)
[[ -d "$bindir" ]] && find "$bindir/" -name '*.gcda' -delete

# gcc names each counter file after its object as the compiler saw it: Bazel compiles with
# PWD=/proc/self/cwd, so that is /proc/self/cwd/bazel-out/.../x.pic.gcda, which would land in
# whatever directory the test (or a gateway it starts) runs in. GCOV_PREFIX_STRIP drops those
# three components and GCOV_PREFIX puts the file beside its object (and its .gcno) instead.
# Processes that write the same file at once are merged under a file lock by gcov itself.
bazel test --config=coverage --nocache_test_results \
  --test_env=GCOV_PREFIX="$execroot" --test_env=GCOV_PREFIX_STRIP=3 "${targets[@]}"
tests_status=$?

# The .gcno files name their sources /proc/self/cwd/server/..., which gcov resolves from the
# directory gcovr runs it in: the project root. One pass of gcov writes a JSON tracefile; the
# summaries and the HTML report are drawn from it.
out=bazel-coverage
rm -rf "$out" && mkdir -p "$out"
tracefile=$out/coverage.json
gcovr --root . --json "$tracefile" --filter 'server/' --filter 'client/' \
  --exclude '.*_test\.cc$' --gcov-ignore-parse-errors -j "$(nproc)" "$bindir" || exit 1

# Never give gcovr /dev/null as an output: gcovr 5.2 tries each output path by creating it
# and deleting it, so /dev/null became a regular file for the whole machine when this did.
summary() {  # summary DIR: DIR's line coverage, in percent
  gcovr --add-tracefile "$tracefile" --root . --filter "$1/" --print-summary |
    sed -n "s/^lines: \([0-9.]*\)%.*/\1/p"
}
server=$(summary server)
client=$(summary client)
gcovr --add-tracefile "$tracefile" --root . --html-details "$out/index.html" \
  --html-title "Databricks gateway: line coverage" || exit 1
gcovr --add-tracefile "$tracefile" --root . --txt "$out/summary.txt" || exit 1

echo "coverage: server/ ${server}% of lines, client/ ${client}% of lines (report: $out/index.html)"
status=0
if ((tests_status != 0)); then
  echo "coverage: some tests failed (above); the figures count what ran" >&2
  status=1
fi
if [[ -z "$server" ]] || awk -v have="$server" -v want="$server_gate" 'BEGIN { exit !(have < want) }'; then
  echo "coverage: server/ is below the ${server_gate}% gate" >&2
  status=1
fi
exit $status

#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target for SECONDS (default 60) from a copy of its seed
# corpus (tests/fuzz/corpus/NAME; the copy grows, the repo's does not), then writes a table
# of executions, coverage, corpus growth and findings into docs/reliability.md's "fuzz"
# section. A finding (crash, leak, timeout or failed property) is kept, with the input that
# caused it, in the scratch directory named at the end, and the script exits 1.
#   tests/fuzz/run.sh BIN_DIR [SECONDS]   (BIN_DIR: bazel-bin of the --config=fuzz build)
set -uo pipefail
cd "$(dirname "$0")/../.."
bin_dir=$1
seconds=${2:-60}
targets=(config_fuzz mappers_fuzz sql_fuzz sql_refs_fuzz emulator_fuzz)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dbgw-fuzz.XXXXXX")
rows=""
failed=0
for name in "${targets[@]}"; do
  binary=$bin_dir/tests/fuzz/$name
  if [[ ! -x $binary ]]; then
    echo "run.sh: $binary is not built" >&2
    exit 2
  fi
  corpus=$scratch/$name/corpus
  mkdir -p "$corpus" "$scratch/$name/findings"
  cp tests/fuzz/corpus/$name/* "$corpus/"
  seeds=$(ls "$corpus" | wc -l)
  echo "== $name: $seconds s from $seeds seeds"
  "$binary" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$scratch/$name/findings/" "$corpus" > "$scratch/$name/log" 2>&1
  status=$?
  runs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$scratch/$name/log")
  cov=$(grep -oE 'cov: [0-9]+' "$scratch/$name/log" | tail -1 | awk '{print $2}')
  corpus_size=$(ls "$corpus" | wc -l)
  findings=$(ls "$scratch/$name/findings" | wc -l)
  if ((status != 0 || findings != 0)); then
    failed=1
    result="**$findings finding(s)**, exit $status: $(ls "$scratch/$name/findings" | tr '\n' ' ')"
    tail -30 "$scratch/$name/log" >&2
  else
    result="none"
  fi
  echo "   $runs runs, coverage $cov, corpus $seeds -> $corpus_size, findings: $result"
  rows+="| \`$name\` | $seconds | ${runs:-?} | ${cov:-?} | $seeds → $corpus_size | $result |"$'\n'
done

section="Run $(date -u +%Y-%m-%d) on $(nproc) cores with \`make fuzz\` (\`tests/fuzz/run.sh\`, clang 14, libFuzzer with ASan and UBSan), $seconds s per target.

| target | seconds | inputs run | coverage (edges) | corpus (seeds → end) | findings |
|---|---|---|---|---|---|
$rows"
doc=docs/reliability.md
if grep -q '<!-- begin fuzz -->' "$doc"; then
  awk -v section="$section" '
    /<!-- begin fuzz -->/ {print; print section; skip = 1; next}
    /<!-- end fuzz -->/ {skip = 0}
    !skip {print}' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "wrote the fuzz section of $doc"
else
  echo "run.sh: $doc has no <!-- begin fuzz --> section; the table is above" >&2
fi
if ((failed)); then
  echo "run.sh: findings; inputs and logs are in $scratch" >&2
  exit 1
fi
rm -rf "$scratch"

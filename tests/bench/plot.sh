#!/usr/bin/env bash
# Draws the side-by-side tables of docs/performance.md as PNG pictures in docs/img/.
# It reads the generated section (between "<!-- begin side-by-side -->" and its end), so
# the pictures always show the tables beside them. `make bench` runs it after the
# benchmarks; it needs gnuplot (installed by deploy/install-deps.sh --bench).
#   tests/bench/plot.sh [DOC] [IMAGE_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
doc=${1:-docs/performance.md}
out=${2:-docs/img}
if ! command -v gnuplot > /dev/null; then
  echo "plot.sh: gnuplot is not installed (deploy/install-deps.sh --bench installs it)" >&2
  exit 2
fi
mkdir -p "$out"
data=$(mktemp -d "${TMPDIR:-/tmp}/dbgw-plot.XXXXXX")
trap 'rm -rf "$data"' EXIT

# The generated section only, one table row per line: "| key | path | v1 | v2 | ...".
sed -n '/<!-- begin side-by-side -->/,/<!-- end side-by-side -->/p' "$doc" > "$data/section"
if ! grep -q '^| [0-9]*/s | gateway' "$data/section"; then
  echo "plot.sh: $doc has no side-by-side table to draw" >&2
  exit 1
fi

# pivot KEY_PATTERN COLUMN: one line per key ("500/s", "c=4"), the value of COLUMN (the
# table's column number, 1 = key) for rest, gateway, nginx and echo in that order.
pivot() {
  awk -F'|' -v pattern="$1" -v column="$2" '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    {
      key = trim($2); path = trim($3)
      if (key !~ pattern) next
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      value[key, path] = trim($(column + 1))
    }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]
        printf "\"%s\"", k
        split("rest gateway nginx echo", paths, " ")
        for (p = 1; p <= 4; p++) {
          v = value[k, paths[p]]
          gsub(/[()]/, "", v)
          printf " %s", (v == "" || v == "–") ? "NaN" : v
        }
        printf "\n"
      }
    }' "$data/section"
}

pivot '^[0-9]+/s$' 3 > "$data/p50"       # open loop: p50 µs
pivot '^[0-9]+/s$' 5 > "$data/p99"       # open loop: p99 µs
pivot '^[0-9]+/s$' 9 > "$data/cpu"       # open loop: CPU µs/call of the middle process
pivot '^c=[0-9]+$' 3 > "$data/throughput" # closed loop: calls/s

common='
set terminal pngcairo size 900,520 font "DejaVu Sans,11"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside right top
set yrange [0:*]
'

gnuplot <<EOF
$common
set output "$out/latency-by-rate.png"
set multiplot layout 1,2 title "GetRun latency at fixed rates (open loop), lower is better"
# Two panels side by side: the key goes underneath, so that each panel keeps its width.
set key outside bottom center horizontal
set title "p50"
set ylabel "µs"
plot "$data/p50" using 2:xtic(1) title "rest (floor)", '' using 3 title "gateway", \
     '' using 4 title "nginx", '' using 5 title "gRPC echo"
set title "p99"
plot "$data/p99" using 2:xtic(1) title "rest (floor)", '' using 3 title "gateway", \
     '' using 4 title "nginx", '' using 5 title "gRPC echo"
unset multiplot

set key outside right top
set output "$out/cpu-per-call.png"
set title "CPU per call of the process in the middle, at fixed rates (lower is better)"
set ylabel "µs of CPU per call"
plot "$data/cpu" using 2:xtic(1) title "emulator (rest)", '' using 3 title "gateway", \
     '' using 4 title "nginx", '' using 5 title "gRPC echo"

set output "$out/throughput-by-callers.png"
set title "GetRun throughput at fixed concurrency (closed loop), higher is better"
set ylabel "calls/s"
set xlabel "callers"
plot "$data/throughput" using 2:xtic(1) title "rest (floor)", '' using 3 title "gateway", \
     '' using 4 title "nginx", '' using 5 title "gRPC echo"
EOF
echo "plot.sh: wrote $out/latency-by-rate.png, $out/cpu-per-call.png, $out/throughput-by-callers.png"

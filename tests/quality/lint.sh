#!/usr/bin/env bash
# make lint: clang-tidy (the checks of .clang-tidy) over every C++ source of server/, client/
# and tests/, with the headers they include, then cppcheck over the same sources. Exits 1 on
# any finding. clang-tidy reads the compile commands Bazel would run, so the build must have
# generated the Protobuf headers first; this script builds //... for that.
# `lint.sh FILE...` checks only those sources (paths from the project root). `lint.sh --fix
# [FILE...]` also applies the fixes clang-tidy proposes (clang-apply-replacements merges them,
# so a header that several sources include is changed once), then lays the files out again;
# review the diff: a proposed fix can be wrong.
# Run no other Bazel command in this workspace meanwhile: it rebuilds the execution root's
# symlinks that clang-tidy reads the sources through.
set -euo pipefail
cd "$(dirname "$0")/../.."

fix=false
if [[ "${1:-}" == "--fix" ]]; then
  fix=true
  shift
fi

clang_tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [[ -z "$clang_tidy" ]] || ! command -v cppcheck >/dev/null || ! command -v jq >/dev/null; then
  echo "lint: needs clang-tidy, cppcheck and jq (deploy/install-deps.sh --quality)" >&2
  exit 2
fi

bazel build //... >&2

# compile_commands.json (git-ignored) from the compile actions Bazel plans for our code. The
# three gcc-only flags are dropped: clang would warn that it does not know them.
scope='mnemonic("CppCompile", //server/... + //client/... + //tests/...)'
execroot=$(bazel info execution_root 2>/dev/null)
bazel aquery --output=jsonproto "$scope" 2>/dev/null | jq --arg root "$execroot" '
  [.actions[] | .arguments as $a | ($a | index("-c")) as $i
   | {directory: $root, file: $a[$i + 1],
      arguments: [$a[] | select(. != "-fno-canonical-system-headers"
                                and . != "-Wunused-but-set-parameter"
                                and . != "-Wno-free-nonheap-object")]}]
  | unique_by(.file)' > compile_commands.json

if (($# > 0)); then
  sources=("$@")
else
  mapfile -t sources < <(jq -r '.[].file' compile_commands.json | grep -E '^(server|client|tests)/')
fi

# One clang-tidy per source, as many at once as there are cores. Each prints its findings;
# the notes that follow a finding stay with it.
report=$(mktemp)
fixes_dir=$(mktemp -d)
trap 'rm -rf "$report" "$fixes_dir"' EXIT
tidy_one() {  # tidy_one SOURCE: its findings; with --fix, its fixes as YAML in $fixes_dir
  local export=()
  $fix && export=(--export-fixes="$fixes_dir/${1//\//_}.yaml")
  "$clang_tidy" -p . --config-file="$PWD/.clang-tidy" --quiet "${export[@]}" "$1" 2>/dev/null
}
export -f tidy_one
export clang_tidy fix fixes_dir
echo "lint: clang-tidy over ${#sources[@]} sources" >&2
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} bash -c 'tidy_one "$1"' _ {} \
  >"$report" || true
tidy_findings=$(grep -cE ': (warning|error): ' "$report" || true)
# Paths read better from the project root than from Bazel's execution root.
sed "s|$execroot/||" "$report"

# cppcheck: its own checks (moved-from use, bounds, constructors, copies). System headers are
# not read: googletest.cfg and tests/quality/abseil.cfg tell it what those macros mean. A
# false positive is suppressed where it occurs, with a comment saying why.
echo "lint: cppcheck over ${#sources[@]} sources" >&2
cppcheck_status=0
cppcheck --quiet --std=c++17 --language=c++ --enable=warning,performance,portability \
  --library=googletest --library=tests/quality/abseil.cfg --inline-suppr --error-exitcode=1 \
  -j "$(nproc)" -I . "${sources[@]}" || cppcheck_status=$?

if $fix && ((tidy_findings > 0)); then
  apply=$(command -v clang-apply-replacements-14 || command -v clang-apply-replacements)
  (cd "$execroot" && "$apply" "$fixes_dir")
  tests/quality/format-check.sh --fix >/dev/null
  echo "lint: fixes applied; run lint.sh again for what is left" >&2
fi

if ((tidy_findings > 0 || cppcheck_status != 0)); then
  echo "lint: $tidy_findings clang-tidy findings; cppcheck $( ((cppcheck_status == 0)) && echo clean || echo 'found problems (above)')" >&2
  exit 1
fi
echo "lint: clang-tidy and cppcheck clean over ${#sources[@]} sources" >&2

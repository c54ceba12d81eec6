#!/usr/bin/env bash
# make format-check: every C++ and Protobuf file of the project is as .clang-format lays it
# out. Prints each file that is not, with the diff clang-format would apply, and exits 1.
# `--fix` rewrites those files instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$clang_format" ]]; then
  echo "format-check: clang-format is not installed (deploy/install-deps.sh --quality)" >&2
  exit 2
fi

fix=false
case "${1:-}" in
  --fix) fix=true ;;
  "") ;;
  *) echo "usage: format-check.sh [--fix]" >&2; exit 2 ;;
esac

# third_party/ holds Bazel's own rules, kept as they come.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h' '*.proto' | grep -v '^third_party/')
unformatted=0
for file in "${files[@]}"; do
  if "$clang_format" --dry-run --Werror "$file" >/dev/null 2>&1; then
    continue
  fi
  unformatted=$((unformatted + 1))
  if $fix; then
    "$clang_format" -i "$file"
    echo "formatted $file"
  else
    echo "not formatted: $file"
    "$clang_format" "$file" | diff -u --label "$file" --label "$file (clang-format)" "$file" - || true
  fi
done

if $fix; then
  echo "format-check: ${#files[@]} files checked, $unformatted reformatted" >&2
  exit 0
fi
if ((unformatted == 0)); then
  echo "format-check: ${#files[@]} files checked, all formatted" >&2
  exit 0
fi
echo "format-check: $unformatted of ${#files[@]} files are not formatted; run tests/quality/format-check.sh --fix" >&2
exit 1

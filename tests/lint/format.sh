#!/usr/bin/env bash
# Formatting matches the checked-in .clang-format, over every tracked C++ file (*.cpp, *.h; new
# files not yet added but not ignored count too).
#   tests/lint/format.sh          check: list the files clang-format would change, exit 1 if any
#   tests/lint/format.sh --fix    rewrite those files in place (clang-format -i)
# The reference is Debian bookworm's clang-format (14, cmake/install-deps.sh); another version may
# format some constructs differently.
set -euo pipefail
cd "$(dirname "$0")/../.."

fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac
command -v clang-format >/dev/null || { echo "format.sh: clang-format not found (cmake/install-deps.sh installs it)" >&2; exit 2; }
git rev-parse --git-dir >/dev/null 2>&1 || { echo "format.sh: $PWD is not a git checkout (the file list comes from git)" >&2; exit 2; }

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' |
                     while read -r f; do [[ -f $f ]] && echo "$f"; done)
# One clang-format per batch of files (one per file costs ~20 s on a loaded 2-core machine); each
# violation is reported as "FILE:LINE:COL: error: code should be clang-formatted".
status=0
report=$(printf '%s\0' "${files[@]}" | xargs -0 -r -n 64 clang-format --dry-run --Werror 2>&1 >/dev/null) ||
  status=$?
mapfile -t off < <(sed -nE 's/^(.+):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' \
                   <<<"$report" | sort -u)
if ((status != 0 && ${#off[@]} == 0)); then
  echo "$report" >&2
  echo "format.sh: clang-format failed (exit $status)" >&2
  exit 2
fi

if ((fix)); then
  ((${#off[@]})) && clang-format -i "${off[@]}"
  echo "format.sh: reformatted ${#off[@]} of ${#files[@]} files"
  exit 0
fi
if ((${#off[@]})); then
  printf '%s\n' "${off[@]}"
  echo "format.sh: ${#off[@]} of ${#files[@]} C++ files differ from .clang-format" \
       "($(clang-format --version | head -1)); run tests/lint/format.sh --fix" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} C++ files match .clang-format"

#!/usr/bin/env bash
# Formats the C sources of the repository with clang-format 14 (see .clang-format).
#
# usage: scripts/format.sh           rewrite the files in place
#        scripts/format.sh --check   report unformatted files and exit non-zero (CI)
# CLANG_FORMAT overrides the binary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=fix
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

clang_format=${CLANG_FORMAT:-}
if [[ -z $clang_format ]]; then
  for candidate in clang-format-14 clang-format; do
    if command -v "$candidate" >/dev/null; then
      clang_format=$candidate
      break
    fi
  done
fi
if [[ -z $clang_format ]]; then
  echo "format: clang-format 14 not found (scripts/deps.sh installs it)" >&2
  exit 1
fi
version=$("$clang_format" --version)
if [[ ! $version =~ version\ 14\. ]]; then
  echo "format: need clang-format 14, found: $version" >&2
  exit 1
fi

# Tracked files plus new ones not ignored, that exist in the working tree.
files=()
while IFS= read -r -d '' file; do
  [[ -f $file ]] && files+=("$file")
done < <(git ls-files -z --cached --others --exclude-standard -- '*.c' '*.h')
if [[ ${#files[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $mode == check ]]; then
  if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
    echo "format: files above need formatting; run scripts/format.sh" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files ok"
else
  "$clang_format" -i "${files[@]}"
fi

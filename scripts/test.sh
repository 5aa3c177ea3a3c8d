#!/usr/bin/env bash
# Builds and tests every preset (warnings are errors), then checks the formatting.
#
# usage: scripts/test.sh [preset...]   presets: release asan tsan (default: all three)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_presets=(release asan tsan)
presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then
  presets=("${all_presets[@]}")
fi
for preset in "${presets[@]}"; do
  if [[ ! " ${all_presets[*]} " == *" $preset "* ]]; then
    echo "usage: $0 [preset...]   presets: ${all_presets[*]}" >&2
    exit 2
  fi
done

scripts/deps.sh || exit 1

failed=0
summary=()
for preset in "${presets[@]}"; do
  echo "=== $preset"
  log=build/$preset/ctest.log
  if ! cmake --preset "$preset" -DART_WERROR=ON; then
    summary+=("$preset: configure FAILED")
    failed=1
    continue
  fi
  if ! cmake --build --preset "$preset"; then
    summary+=("$preset: build FAILED")
    failed=1
    continue
  fi
  ctest --preset "$preset" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 12"
  result=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [[ $result =~ ^([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+)$ ]]; then
    total=${BASH_REMATCH[2]}
    passed=$((total - BASH_REMATCH[1]))
    counts="$passed/$total passed"
  else
    counts="no test results"
  fi
  if [[ $status -ne 0 ]]; then
    summary+=("$preset: $counts FAILED")
    failed=1
  else
    summary+=("$preset: $counts")
  fi
done

echo "=== format"
if scripts/format.sh --check; then
  summary+=("format: ok")
else
  summary+=("format: FAILED")
  failed=1
fi

summary_line=$(printf '%s; ' "${summary[@]}")
echo "summary: ${summary_line%; }"
exit "$failed"

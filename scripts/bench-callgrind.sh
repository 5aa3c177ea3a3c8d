#!/usr/bin/env bash
# A deterministic performance regression check: instructions per operation of the single-worker
# benchmarks (PingPong, Counting, ThreadRing with --workers 1), counted by callgrind, compared
# with bench/callgrind-baseline.txt. Fails if any is more than 10% above its baseline.
#
# Each benchmark runs twice under callgrind, with n and 2n (each time one warm-up and one run),
# and the figure is the difference of the two totals divided by the 2n extra operations, so
# that start-up and shutdown cancel out. Wall-clock figures drift on shared machines;
# instruction counts do not (the little that does, an idle worker spinning before it parks,
# is far below the threshold). Too slow for the CI test command (a minute or two); run it by
# hand before and after a change to the runtime's hot paths.
#
# usage: scripts/bench-callgrind.sh [--update]
#   --update   write the figures measured now as the new baseline
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

baseline=bench/callgrind-baseline.txt
threshold_percent=10
update=0
case ${1-} in
"") ;;
--update) update=1 ;;
*)
  echo "usage: $0 [--update]" >&2
  exit 2
  ;;
esac

if ! command -v valgrind >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind \
      >/dev/null || exit 1
  else
    echo "bench-callgrind: valgrind is missing (apt-get install valgrind)" >&2
    exit 1
  fi
fi

cmake --preset release >/dev/null || exit 1
cmake --build --preset release >/dev/null || exit 1

# name | n | operation
benchmarks=(
  "pingpong|20000|roundtrip"
  "counting|50000|msg"
  "threadring|50000|hop"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# instructions NAME N: the total instruction count of one callgrind run.
instructions() {
  local out=$work/$1.$2.out
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
    build/release/bench/"$1" --workers 1 --runs 1 --n "$2" >/dev/null 2>"$work/$1.$2.log"; then
    echo "bench-callgrind: $1 --n $2 failed under callgrind:" >&2
    tail -n 20 "$work/$1.$2.log" >&2
    return 1
  fi
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

declare -A measured
for entry in "${benchmarks[@]}"; do
  IFS='|' read -r name n operation <<<"$entry"
  small=$(instructions "$name" "$n") || exit 1
  large=$(instructions "$name" $((2 * n))) || exit 1
  # Warm-up plus one run: 2n operations in the first, 4n in the second.
  measured[$name]=$(awk -v a="$small" -v b="$large" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / (2 * n) }')
  echo "bench-callgrind: $name: ${measured[$name]} instructions/$operation"
done

if [[ $update -eq 1 ]]; then
  {
    echo "# Instructions per operation of the single-worker benchmarks under callgrind."
    echo "# Written by scripts/bench-callgrind.sh --update; $(valgrind --version), $(gcc --version | head -n 1),"
    echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    for entry in "${benchmarks[@]}"; do
      IFS='|' read -r name n operation <<<"$entry"
      echo "$name ${measured[$name]} instructions/$operation"
    done
  } >"$baseline"
  echo "bench-callgrind: baseline written to $baseline"
  exit 0
fi

if [[ ! -f $baseline ]]; then
  echo "bench-callgrind: no $baseline; create it with --update" >&2
  exit 1
fi

failed=0
printf '%-12s %12s %12s %8s\n' benchmark baseline now change
for entry in "${benchmarks[@]}"; do
  IFS='|' read -r name n operation <<<"$entry"
  base=$(awk -v name="$name" '$1 == name { print $2 }' "$baseline")
  if [[ -z $base ]]; then
    echo "bench-callgrind: $name has no baseline in $baseline (--update adds it)" >&2
    failed=1
    continue
  fi
  now=${measured[$name]}
  change=$(awk -v b="$base" -v c="$now" 'BEGIN { printf "%+.1f%%", (c - b) / b * 100 }')
  verdict=ok
  if awk -v b="$base" -v c="$now" -v t="$threshold_percent" 'BEGIN { exit !(c > b * (1 + t / 100)) }'; then
    verdict="WORSE than ${threshold_percent}%"
    failed=1
  fi
  printf '%-12s %12s %12s %8s  %s\n' "$name" "$base" "$now" "$change" "$verdict"
done
exit "$failed"

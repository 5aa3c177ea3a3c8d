#!/usr/bin/env bash
# Runs the benchmark suite of shared/BENCH.md side by side with its peers, CAF 0.17 and
# Erlang/OTP 25, and prints one table with ratios (also written to bench/results/latest.md).
#
# Installs the peers if they are missing (libcaf-dev, erlang-nox), builds ours (release preset)
# and the peers (build/peers/), then runs every row: ours, CAF, Erlang one after the other, each
# with one warm-up and 5 measured runs (median and min), with the same worker count. Every
# program prints one result line in the same format (bench/harness.h); the per-run figures and
# start-up times go to build/peers/logs/.
#
# usage: scripts/bench.sh [--quick] [--only ROW]...
#   --quick      1 run after the warm-up and a tenth of each count: a smoke test of the suite,
#                not a measurement
#   --only ROW   run only ROW (and its 1-worker variant), e.g. --only pingpong; may be repeated.
#                Rows: pingpong counting threadring big forkjoin skynet idle spawn sendhandle
#                sup_restart sup_scale fanout
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
  sed -n '/^# usage:/,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

quick=0
only=()
while [[ $# -gt 0 ]]; do
  case $1 in
  --quick) quick=1 ;;
  --only)
    [[ $# -ge 2 ]] || usage
    only+=("$2")
    shift
    ;;
  *) usage ;;
  esac
  shift
done

# ---- the rows ---------------------------------------------------------------------------------
# id | label | workers | n | unit shown | scale (figure x scale = shown) | target | peers | erl flags
# The targets are shared/BENCH.md's; "-" means none (the 1-worker variants separate placement
# from per-message cost, BENCH.md sets no target for them). peers: which peers have the row.
rows=(
  "pingpong|PingPong|2|1000000|ns/round trip|1|250|caf erlang|"
  "counting|Counting|2|10000000|ns/msg|1|30|caf erlang|"
  "threadring|ThreadRing|2|10000000|ns/hop|1|100|caf erlang|"
  "big|Big|2|10000000|ns/msg|1|80|caf erlang|"
  "forkjoin|Fork-join create|2|1000000|ns/actor|1|300|caf erlang|+P 2000000"
  "skynet|Skynet|2|1000000|s|0.000000001|0.45|caf erlang|+P 2000000"
  "idle|Idle memory|2|1000000|bytes/actor|1|256|caf erlang|+P 2000000"
  "pingpong-1w|PingPong, 1 worker|1|1000000|ns/round trip|1|-|caf erlang|"
  "counting-1w|Counting, 1 worker|1|10000000|ns/msg|1|-|caf erlang|"
  "threadring-1w|ThreadRing, 1 worker|1|10000000|ns/hop|1|-|caf erlang|"
  "spawn|Spawn (struct only), 1 worker|1|1000000|ns/spawn|1|100||"
  "sendhandle|Send+handle, 1 worker|1|10000000|ns/msg|1|15||"
  "sup_restart|Restart latency|2|100000|µs/restart|0.001|5|erlang|"
  "sup_scale|Supervisor scale: start|2|100000|ns/child|1|1000|erlang|"
  "fanout|Broker fan-out|2|10000|ns/delivery|1|20|erlang|"
)

selected() {
  local id=$1
  [[ ${#only[@]} -eq 0 ]] && return 0
  for want in "${only[@]}"; do
    [[ $id == "$want" || $id == "$want-1w" ]] && return 0
  done
  return 1
}

any=0
for row in "${rows[@]}"; do
  selected "${row%%|*}" && any=1
done
if [[ $any -eq 0 ]]; then
  echo "bench: no row matches --only ${only[*]}" >&2
  usage
fi

runs=5
if [[ $quick -eq 1 ]]; then
  runs=1
fi

# ---- dependencies and builds ------------------------------------------------------------------
scripts/deps.sh || exit 1

peer_packages=(libcaf-dev erlang-nox)
missing=()
for package in "${peer_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo -n)
  else
    echo "bench: missing ${missing[*]}; run this script as root or install sudo" >&2
    exit 1
  fi
  echo "bench: installing ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
fi

echo "bench: building ours (release preset)"
cmake --preset release >/dev/null || exit 1
cmake --build --preset release >/dev/null || exit 1

peers_dir=build/peers
logs=$peers_dir/logs
mkdir -p "$peers_dir/caf" "$peers_dir/erlang" "$logs"
rm -f "$logs"/*.log

CXX=${CXX:-g++}
caf_flags=(-std=c++17 -O2 -DNDEBUG -pthread)
echo "bench: building the CAF peers ($CXX ${caf_flags[*]})"
caf_pids=()
for source in bench/peers/caf/*.cpp; do
  name=$(basename "$source" .cpp)
  binary=$peers_dir/caf/$name
  if [[ ! -x $binary || $source -nt $binary || bench/peers/caf/harness.hpp -nt $binary ]]; then
    "$CXX" "${caf_flags[@]}" -o "$binary" "$source" -lcaf_core &
    caf_pids+=($!)
    # Two at a time: a CAF translation unit takes a core and about a gigabyte.
    if [[ ${#caf_pids[@]} -ge 2 ]]; then
      wait "${caf_pids[0]}" || exit 1
      caf_pids=("${caf_pids[@]:1}")
    fi
  fi
done
for pid in "${caf_pids[@]}"; do
  wait "$pid" || exit 1
done

echo "bench: building the Erlang peers (erlc)"
erlc -o "$peers_dir/erlang" bench/peers/erlang/*.erl || exit 1

# ---- running ----------------------------------------------------------------------------------
declare -A result # "<id>|<impl>" -> the result line, or FAIL
failed=0

# run ID IMPL PROGRAM WORKERS N ERL_FLAGS
run_one() {
  local id=$1 impl=$2 program=$3 workers=$4 n=$5 erl_flags=$6
  local cmd
  case $impl in
  ours) cmd=(build/release/bench/"$program") ;;
  caf) cmd=("$peers_dir/caf/$program") ;;
  erlang)
    # shellcheck disable=SC2206 # the flags are words
    cmd=(erl -noshell +S "$workers:$workers" $erl_flags -pa "$peers_dir/erlang" -run "$program" main
      -extra)
    ;;
  esac
  cmd+=(--workers "$workers" --runs "$runs" --n "$n")
  local log=$logs/$id.$impl.log
  printf 'bench: %-14s %-7s ' "$id" "$impl"
  local start=$SECONDS line
  line=$(timeout 900 "${cmd[@]}" 2>"$log" </dev/null | grep -E "^$program workers=" | tail -n 1)
  local status=${PIPESTATUS[0]}
  if [[ $status -ne 0 || -z $line ]]; then
    echo "FAILED (status $status, see $log)"
    result["$id|$impl"]=FAIL
    failed=1
    return
  fi
  echo "$line  ($((SECONDS - start)) s)"
  result["$id|$impl"]=$line
}

# Timings need a quiet machine: say how busy it was, before and after.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "bench: warning: load average $load_start before the run; other work skews the timings" >&2
fi
suite_start=$SECONDS
for row in "${rows[@]}"; do
  IFS='|' read -r id label workers n unit scale target peers erl_flags <<<"$row"
  selected "$id" || continue
  program=${id%-1w}
  if [[ $quick -eq 1 ]]; then
    n=$((n / 10))
  fi
  run_one "$id" ours "$program" "$workers" "$n" ""
  for peer in $peers; do
    run_one "$id" "$peer" "$program" "$workers" "$n" "$erl_flags"
  done
done
elapsed=$((SECONDS - suite_start))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table --------------------------------------------------------------------------------
# field LINE KEY: the value of KEY=... in a result line.
field() {
  local word
  for word in $1; do
    if [[ $word == "$2="* ]]; then
      echo "${word#*=}"
      return
    fi
  done
}

# shown LINE KEY SCALE: the figure as the table shows it.
shown() {
  local value
  value=$(field "$1" "$2")
  [[ -n $value ]] || return
  awk -v v="$value" -v s="$3" 'BEGIN {
    x = v * s
    if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'
}

cell() { # cell ID IMPL KEY SCALE
  local line=${result["$1|$2"]-}
  if [[ -z $line ]]; then
    echo "-"
  elif [[ $line == FAIL ]]; then
    echo "FAIL"
  else
    shown "$line" "$3" "$4"
  fi
}

is_number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# table_row ID LABEL UNIT KEY SCALE TARGET: one line of the table, from field KEY of the result
# lines of row ID.
table_row() {
  local id=$1 label=$2 unit=$3 key=$4 scale=$5 target=$6
  local ours caf erlang best="-" best_value="" value ratio="-" met="-" shown_target
  ours=$(cell "$id" ours "$key" "$scale")
  caf=$(cell "$id" caf "$key" "$scale")
  erlang=$(cell "$id" erlang "$key" "$scale")
  for peer in caf erlang; do
    value=$([[ $peer == caf ]] && echo "$caf" || echo "$erlang")
    if is_number "$value" && { [[ -z $best_value ]] || awk -v a="$value" -v b="$best_value" 'BEGIN { exit !(a < b) }'; }; then
      best_value=$value
      best=$([[ $peer == caf ]] && echo CAF || echo Erlang)
    fi
  done
  if is_number "$ours" && [[ -n $best_value ]]; then
    ratio=$(awk -v a="$ours" -v b="$best_value" 'BEGIN { printf "%.2f", a / b }')
  fi
  if [[ $target != "-" ]] && is_number "$ours"; then
    met=$(awk -v a="$ours" -v t="$target" 'BEGIN { print (a <= t) ? "yes" : "no" }')
  fi
  shown_target=$([[ $target == "-" ]] && echo "-" || echo "≤ $target")
  echo "| $label | $unit | $ours | $caf | $erlang | $best | $ratio | $shown_target | $met |"
}

table=$(
  echo "| row | unit | ours | CAF | Erlang | best peer | ours / best | target | met |"
  echo "|---|---|---:|---:|---:|---|---:|---:|---|"
  for row in "${rows[@]}"; do
    IFS='|' read -r id label workers n unit scale target peers erl_flags <<<"$row"
    selected "$id" || continue
    table_row "$id" "$label" "$unit" median_ns "$scale" "$target"
    if [[ $id == forkjoin || $id == skynet ]]; then
      # Peak RSS of the whole program (all runs), for the spawn-heavy rows: no target.
      echo "| ${label}: peak RSS | MiB | $(cell "$id" ours peak_rss_kb 0.0009765625) |" \
        "$(cell "$id" caf peak_rss_kb 0.0009765625) | $(cell "$id" erlang peak_rss_kb 0.0009765625) | | | - | - |"
    fi
    if [[ $id == sup_scale ]]; then
      # The same runs stop the supervisor, then start and stop a simple_one_for_one one: their
      # figures are in fields of their own.
      table_row "$id" "Supervisor scale: stop" "$unit" stop_median_ns "$scale" "$target"
      table_row "$id" "Supervisor scale, simple_one_for_one: start" "$unit" \
        simple_start_median_ns "$scale" "$target"
      table_row "$id" "Supervisor scale, simple_one_for_one: stop" "$unit" \
        simple_stop_median_ns "$scale" "$target"
    fi
  done
)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (with uncommitted changes)")
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
cc_version=$(gcc --version | head -n 1)
cxx_version=$("$CXX" --version | head -n 1)
c_flags=$(grep -E '^CMAKE_C_FLAGS_RELWITHDEBINFO:' build/release/CMakeCache.txt | sed 's/.*=//')
otp=$(erl -noshell -eval 'io:format("OTP ~s, ERTS ~s, ~s", [erlang:system_info(otp_release), erlang:system_info(version), case erlang:system_info(emu_flavor) of jit -> "JIT"; F -> F end]), halt().' 2>/dev/null)
caf_version=$(dpkg-query -W -f='${Version}' libcaf-dev 2>/dev/null)

report=$(
  echo "## Benchmark results$([[ $quick -eq 1 ]] && echo " (--quick: a smoke test, not a measurement)")"
  echo
  echo "Medians of $runs runs after one warm-up; lower is better; \"ours / best\" below 1 means"
  echo "ours is faster than the best peer. Same worker count for all three (2, or 1 where the row"
  echo "says so). Skynet is seconds per tree; Idle memory is resident bytes per idle actor."
  echo
  echo "$table"
  echo
  echo "- machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- ours: $cc_version, release preset ($c_flags), commit $commit$dirty"
  echo "- CAF: libcaf-dev $caf_version, $cxx_version, ${caf_flags[*]}, scheduler.max-threads = workers"
  echo "- Erlang: $otp, erl +S W:W (+P 2000000 for Fork-join, Skynet, Idle memory)"
  echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), suite ran in $((elapsed / 60)) min $((elapsed % 60)) s;" \
    "load average $load_start before, $load_end after (the suite itself keeps up to 2 cores busy)"
  echo
  echo "Result lines (median_ns/min_ns carry the figure in the line's unit):"
  echo
  echo '```'
  for row in "${rows[@]}"; do
    IFS='|' read -r id _ <<<"$row"
    selected "$id" || continue
    for impl in ours caf erlang; do
      line=${result["$id|$impl"]-}
      [[ -n $line ]] && printf '%-7s %s\n' "$impl" "$line"
    done
  done
  echo '```'
)

echo
echo "$report"
mkdir -p bench/results
if [[ $quick -eq 1 || ${#only[@]} -gt 0 ]]; then
  out=bench/results/partial.md
else
  out=bench/results/latest.md
fi
echo "$report" >"$out"
echo
echo "bench: written to $out"
exit "$failed"

#!/usr/bin/env bash
# Installs a build tree into a temporary prefix, then builds and runs tests/install/consumer.c
# against it with CMake (find_package, shared and static) and with pkg-config.
#
# usage: run_install_test.sh CMAKE BUILD_DIR C_COMPILER "C_FLAGS" VERSION
set -euo pipefail

cmake_bin=$1
build_dir=$2
cc=$3
read -r -a cflags <<<"$4"
version=$5
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d "${build_dir}/install-test.XXXXXX")
# Kept on failure, for a look at what was installed.
trap 'status=$?; if [[ $status -eq 0 ]]; then rm -rf "$work"; else echo "install test: left $work" >&2; fi' EXIT
prefix=$work/prefix

unset DESTDIR
"$cmake_bin" --install "$build_dir" --prefix "$prefix"

generator=()
if command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi

echo "== find_package(airssys-rt)"
"$cmake_bin" -S "$here" -B "$work/cmake-build" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${cflags[*]}" \
  -DCMAKE_FIND_PACKAGE_NO_SYSTEM_PACKAGE_REGISTRY=ON -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
"$cmake_bin" --build "$work/cmake-build"
"$work/cmake-build/consumer" | grep -Fx "airssys-rt $version: reply pong"
"$work/cmake-build/consumer_static" | grep -Fx "airssys-rt $version: reply pong"

echo "== pkg-config airssys-rt"
pc_file=$(find "$prefix" -name airssys-rt.pc -print -quit)
[[ -n $pc_file ]] || { echo "install test: airssys-rt.pc was not installed" >&2; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc_file")
[[ $(pkg-config --modversion airssys-rt) == "$version" ]]
libdir=$(pkg-config --variable=libdir airssys-rt)
read -r -a pc_flags <<<"$(pkg-config --cflags --libs airssys-rt)"
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -o "$work/consumer_pc" \
  "$here/consumer.c" "${pc_flags[@]}" -Wl,-rpath,"$libdir"
"$work/consumer_pc" | grep -Fx "airssys-rt $version: reply pong"

echo "install test: ok"

#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the format check need. Quiet and
# quick when everything is there; runs apt-get update once otherwise. Root or sudo required
# only when something is missing.
set -euo pipefail

packages=(
  build-essential # gcc 12 and its sanitizer runtimes (libasan, libubsan, libtsan)
  cmake
  ninja-build
  pkg-config
  libcmocka-dev
  libmicrohttpd-dev # the demo's metrics endpoint
  libjansson-dev # tests only: parses the monitor's JSON output (the library does not use it)
  clang-format   # 14 on Debian 12
  git            # scripts/format.sh lists files with git
)
# Wanted but not required: the tests that use them skip, saying so, when they are missing.
optional=(
  prometheus # tests only: promtool checks the Prometheus text (a server package; its
             # post-install may fail where no init system runs)
)

missing_optional=()
for package in "${optional[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing_optional+=("$package")
  fi
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 && ${#missing_optional[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo -n)
else
  echo "deps: missing ${missing[*]}; run this script as root or install sudo" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps: installing ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ ${#missing_optional[@]} -gt 0 ]]; then
  echo "deps: installing ${missing_optional[*]} (optional)"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null ||
    echo "deps: could not install ${missing_optional[*]}: the tests that need it will skip" >&2
fi

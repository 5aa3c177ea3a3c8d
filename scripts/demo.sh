#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs the demo (a supervised job
# pipeline that injects failures and survives them; about 20 seconds). Arguments are passed
# to the demo: scripts/demo.sh --help lists them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/demo/airssys-demo "$@"

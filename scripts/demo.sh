#!/usr/bin/env bash
# Builds the release preset and runs the demo; arguments are passed to the demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/examples/demo "$@"

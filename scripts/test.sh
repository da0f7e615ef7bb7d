#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is missing, builds Debug with library assertions, runs every test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build/debug"

"$ROOT/scripts/install_deps.sh"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" -j2
cd "$BUILD"
ctest --output-on-failure -j2 "$@"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages embzip builds, tests and runs with. Idempotent and quiet when
# everything is present; uses sudo when not root. Usage: scripts/install_deps.sh [extra-pkg ...]
set -euo pipefail

PACKAGES=(
    g++ make cmake pkg-config git ca-certificates
    libboost-program-options-dev catch2 nlohmann-json3-dev libbenchmark-dev
    libsystemc-dev verilator yosys libzstd-dev zlib1g-dev
    python3 python3-numpy python3-matplotlib
    slurm-wlm munge
    "$@"
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install_deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
echo "install_deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

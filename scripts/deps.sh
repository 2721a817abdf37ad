#!/usr/bin/env bash
# Installs what slipway needs to build and test, from Debian's packages. Idempotent and quick
# when everything is already there.
set -euo pipefail

packages=(build-essential cmake pkg-config clang libclang-rt-dev
          libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libssl-dev
          libboost-program-options-dev libboost-dev libgtest-dev googletest
          python3 procps sqlite3 slurm-wlm munge libopenmpi-dev openmpi-bin
          libhwloc-dev hwloc python3-torch libhdf5-dev hdf5-tools libopenblas-dev
          curl python3-requests python3-yaml graphviz chromium chromium-driver python3-selenium libjs-chart.js libjs-bootstrap5)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

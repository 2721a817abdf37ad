#!/usr/bin/env bash
# Installs what slipway needs to build and test, from Debian's packages. Idempotent and quick
# when everything is already there.
set -euo pipefail

packages=(build-essential cmake pkg-config clang libclang-rt-dev libomp-dev clang-format git
          libyaml-cpp-dev nlohmann-json3-dev libsqlite3-dev sqlite3 libssl-dev
          libboost-program-options-dev libboost-dev libgtest-dev googletest
          python3 python3-venv python-is-python3 jq procps slurm-wlm munge libopenmpi-dev openmpi-bin
          libhwloc-dev hwloc libxml2-dev libprotobuf-dev protobuf-compiler libxgboost-dev python3-torch libhdf5-dev hdf5-tools libopenblas-dev libnlopt-dev
          curl openssl kubernetes-client python3-requests python3-yaml graphviz chromium chromium-driver python3-selenium libjs-chart.js libjs-bootstrap5)

# jq and python-is-python3 (`python`): commands the KFP corpus pipelines' containers call, as
# their images provide them, when the corpus tests run those steps on this machine.
# A package whose command is already on PATH from elsewhere (kubectl from Kubernetes' own apt
# repository, say) counts as present: installing Debian's would clash with that file.
declare -A provided_by_command=([kubernetes-client]=kubectl)

missing=()
for p in "${packages[@]}"; do
  if [ -n "${provided_by_command[$p]:-}" ] && command -v "${provided_by_command[$p]}" > /dev/null; then
    continue
  fi
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

#!/usr/bin/env bash
# Installs everything Mirage needs and builds it, on Debian bookworm:
#   - Debian packages: LLVM/MLIR 22 (Debian's llvm-22-dev, libmlir-22-dev,
#     mlir-22-tools), CMake, Ninja, g++, GoogleTest, Python's venv module;
#   - Python packages from requirements.txt into .venv (Debian's python3);
#   - the project, with CMake and Ninja, into build/ (with the Python
#     extension);
#   - the `mirage` Python package into .venv (`pip install .`, reusing build/).
# Idempotent: what is already there is skipped, so a second run only rebuilds
# what changed. Set MIRAGE_BUILD_DIR to build elsewhere.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MIRAGE_BUILD_DIR:-$root/build}"
venv="$root/.venv"

log() { printf '==> %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------
# python3-dev: headers for the Python extension; graphviz: `dot`, which
# KernelGraph.visualize renders with.
packages=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools cmake ninja-build g++
          libgtest-dev python3 python3-venv python3-dev graphviz)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Python virtual environment ----------------------------------------------
# Debian's own python3, chosen deliberately: it comes from the same package
# archive as everything else, whatever other Pythons the machine has.
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating $venv"
  /usr/bin/python3 -m venv "$venv"
fi
stamp="$venv/.requirements.stamp"
if [[ ! -f "$stamp" || "$root/requirements.txt" -nt "$stamp" ]]; then
  log "installing Python packages from requirements.txt"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/requirements.txt"
  touch "$stamp"
fi

# --- Build -------------------------------------------------------------------
# A build directory configured before the Python extension existed is
# configured again with it.
if [[ ! -f "$build/build.ninja" ]] ||
   ! grep -q '^MIRAGE_ENABLE_PYTHON:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  log "configuring $build"
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMIRAGE_PYTHON="$venv/bin/python" \
    -DMIRAGE_ENABLE_PYTHON=ON \
    -DPython_EXECUTABLE="$venv/bin/python"
fi
log "building"
ninja -C "$build" ${MIRAGE_NINJA_FLAGS:-}

# --- The Python package ------------------------------------------------------
# `pip install .` with scikit-build-core, pointed at the build directory
# above: it reconfigures it, finds the extension built and only links and
# packages it. --no-build-isolation uses nanobind and scikit-build-core from
# .venv (requirements.txt), whose paths stay valid for later ninja runs.
# Skipped when nothing it installs changed since the last install.
stamp="$venv/.mirage-package.stamp"
extension=("$build"/python/mirage/_mirage*.so)
if [[ ! -f "$stamp" || "${extension[0]}" -nt "$stamp" || "$root/pyproject.toml" -nt "$stamp" ||
      -n "$(find "$root/python/mirage" -newer "$stamp" -print -quit)" ]]; then
  log "installing the mirage Python package into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
    --no-build-isolation --config-settings=build-dir="$build" "$root"
  touch "$stamp"
fi

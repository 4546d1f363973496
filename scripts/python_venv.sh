#!/usr/bin/env bash
# Makes the Python environment of gtrain's Python package and its tests:
#   bash scripts/python_venv.sh [DIR] [pip install options...]
# creates the venv DIR [build/pyvenv] (python3 -m venv; Debian: python3-venv),
# installs numpy, matplotlib and tensorboard from PyPI and then the package
# from this tree (pip install ./src/python, which builds the C library with
# the project's CMake). Extra options go to that pip install, e.g.
#   bash scripts/python_venv.sh build/pyvenv --config-settings=cmake.define.GTRAIN_CUDA=OFF
# (CI builds without the CUDA backend there to save time). Run it again after
# changing the package or the library: ctest's python tests refuse an
# installed package that is not this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/pyvenv}
shift || true
if [ ! -x "$dir/bin/python" ]; then
  python3 -m venv "$dir"
fi
"$dir/bin/python" -m pip install --quiet --upgrade pip
"$dir/bin/python" -m pip install --quiet numpy matplotlib tensorboard
"$dir/bin/python" -m pip install --quiet "$@" ./src/python
"$dir/bin/python" -c 'import gtrain; print("gtrain", gtrain.__version__, "installed in", gtrain.__file__)'

#!/usr/bin/env bash
# The GPU machine's build environment, simulated on this machine: a CUDA
# toolkit without cuDNN, cuBLAS with versioned names only, cuDNN and cuBLAS in
# wheel folders (nvidia/cudnn, nvidia/cu13) found through Python's `nvidia`
# package, no OpenBLAS/oneDNN/HDF5, staged cJSON, Ninja, -Wconversion on.
# `gpu_check.sh simulate` must configure, build and link there, and the
# binaries must load cuDNN and cuBLAS from the wheel folders with no
# LD_LIBRARY_PATH (see the script for each check).
set -u
source "$GTRAIN_SOURCE_DIR/tests/gpu_check_env.sh"
if ! bash "$script" simulate --out "$tmp/sim" >"$tmp/sim.log" 2>&1; then
  echo "FAIL: gpu_check.sh simulate"
  cat "$tmp/sim.log"
  cat "$tmp/sim/report.md" 2>/dev/null
  exit 1
fi
grep -E "^gtrain: cu(DNN|BLAS)" "$tmp/sim/environment.txt"
grep -E "lib(cudnn|cublas).*=>" "$tmp/sim/environment.txt"
echo "the GPU machine's layout configures, builds and links"

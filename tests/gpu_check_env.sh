# Sourced by the tests of scripts/gpu_check.sh: skips (exit 77, one line why)
# where the script cannot build, else stages into a temporary folder.
# Sets $root, $script, $tmp (removed on exit) and GTRAIN_GPU_STAGE.
root="${GTRAIN_SOURCE_DIR:?}"
script="$root/scripts/gpu_check.sh"
command -v nvcc >/dev/null 2>&1 || { echo "SKIPPED: nvcc not found (gpu_check.sh builds with CUDA)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIPPED: python3 not found (wheels are found through it)"; exit 77; }
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
  { echo "SKIPPED: Fashion-MNIST not found (apt-get install dataset-fashion-mnist)"; exit 77; }
[ -f "$root/../shared/anchors/torch_gpu_bench.py" ] ||
  { echo "SKIPPED: ../shared/anchors/torch_gpu_bench.py not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GTRAIN_GPU_STAGE="$tmp/stage"
bash "$script" stage >"$tmp/stage.log" 2>&1 || { echo "FAIL: gpu_check.sh stage"; cat "$tmp/stage.log"; exit 1; }

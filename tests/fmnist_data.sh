# Sourced by the shell tests that train on Fashion-MNIST: sets $dir to the
# data directory, or exits 77 (skipped) with one line saying why.
dir="${GTRAIN_DATA_DIR:-/usr/share/datasets/fashion-mnist}"
if [ ! -e "$dir/train-images-idx3-ubyte.gz" ] && [ ! -e "$dir/train-images-idx3-ubyte" ]; then
  echo "SKIPPED: Fashion-MNIST not found in $dir (apt-get install dataset-fashion-mnist)"
  exit 77
fi

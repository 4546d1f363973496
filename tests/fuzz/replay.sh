#!/usr/bin/env bash
# replay.sh TARGET DIR: runs a fuzz target once over every seed in DIR (a
# libFuzzer binary with -runs=0, a replay build with the files as arguments).
set -u
target=$1 dir=$2
shopt -s nullglob
files=("$dir"/*)
if [ ${#files[@]} -eq 0 ]; then
  echo "SKIPPED: no seeds in $dir (HDF5 seeds need python3-h5py and an HDF5 build)"
  exit 77
fi
if "$target" -help=1 2>&1 | grep -q "libFuzzer"; then
  exec "$target" -runs=0 "$dir"
fi
exec "$target" "${files[@]}"

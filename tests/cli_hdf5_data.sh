#!/usr/bin/env bash
# HDF5 datasets: keys found or given, float images that are 0..255 integers,
# and a clear error naming the file and dataset for every kind of bad file.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" keras-full w.h5 1 && "$py" "$kf" data good.h5 20 8 8 1 5 1 \
  && "$py" "$kf" data float.h5 20 8 8 1 5 1 --float || { echo "FAIL: building the files"; exit 1; }
"$py" - <<'PY' || { echo "FAIL: building the bad files"; exit 1; }
import h5py, numpy as np
x = np.zeros((20, 8, 8, 1), np.uint8); y = np.arange(20) % 5
def make(name, **sets):
    with h5py.File(name, "w") as f:
        for k, v in sets.items(): f.create_dataset(k, data=v)
make("two.h5", train_set_x=x, train_set_y=y, test_set_x=x, test_set_y=y)
make("rank.h5", a_x=x.reshape(20, 64), a_y=y)
make("ftype.h5", a_x=x, a_y=y.astype(np.float32))
make("count.h5", a_x=x, a_y=y[:15])
make("range.h5", a_x=x, a_y=y, list_classes=np.arange(4))
make("unit.h5", a_x=np.random.RandomState(0).randint(1, 255, x.shape).astype(np.float32) / 255, a_y=y)
make("names.h5", a_x=x, a_y=y, list_classes=np.array([b"a", b"b", b"c", b"d", b"e"]))
open("text.h5", "w").write("not hdf5\n" * 100)
data = open("good.h5", "rb").read(); open("cut.h5", "wb").write(data[: len(data) // 2])
PY
run() { "$gtrain" evaluate --weights w.h5 --device cpu --data "$@" >"$tmp/out" 2>"$tmp/err"; }
expect_error() { # expect_error NEEDLE -- data args...
  local needle=$1; shift 2
  run "$@"
  local code=$?
  if [ $code -eq 0 ] || ! grep -qF -- "$needle" "$tmp/err"; then
    echo "FAIL: '$*': exit $code, expected an error with '$needle'"; cat "$tmp/err"; fail=1
  fi
}
check "uint8 file, keys found" -- run hdf5:good.h5
check "float images of 0..255 integers" -- run hdf5:float.h5
check "keys given" -- run hdf5:two.h5 --x-key test_set_x --y-key test_set_y
check "x key alone implies y" -- run hdf5:two.h5 --x-key train_set_x
check "string list_classes" -- "$gtrain" predict --weights w.h5 --device cpu --data hdf5:names.h5 --index 2
grep -q "true label: c" "$tmp/out" || { echo "FAIL: class names from list_classes"; cat "$tmp/out"; fail=1; }
check "--class-names" -- "$gtrain" predict --weights w.h5 --device cpu --data hdf5:good.h5 --index 0 --class-names v,w,x,y,z
grep -Eq "true label: [v-z]" "$tmp/out" || { echo "FAIL: --class-names"; cat "$tmp/out"; fail=1; }
expect_error "text.h5: not an HDF5 file" -- hdf5:text.h5
expect_error "missing.h5: No such file" -- hdf5:missing.h5
expect_error "cut.h5: cannot open the HDF5 file: truncated or corrupt" -- hdf5:cut.h5
expect_error "2 image/label pairs found" -- hdf5:two.h5
expect_error "good.h5: no dataset 'nope_x' (the images)" -- hdf5:good.h5 --x-key nope_x --y-key train_set_y
expect_error "rank.h5: dataset 'a_x' has rank 2" -- hdf5:rank.h5
expect_error "ftype.h5: dataset 'a_y' (the labels) has type float32; expected an integer type" -- hdf5:ftype.h5
expect_error "count.h5: dataset 'a_x' has 20 images but 'a_y' has 15 labels" -- hdf5:count.h5
expect_error "range.h5: dataset 'a_y': label 4 at index 4 is out of range for the 4 classes" -- hdf5:range.h5
expect_error "not an integer in 0..255: gtrain datasets are uint8" -- hdf5:unit.h5
[ $fail -eq 0 ] && echo "hdf5 data: ok"
exit $fail

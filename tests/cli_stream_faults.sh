#!/usr/bin/env bash
# Faults while streaming: a truncated copy, a corrupt compressed chunk, a
# disk read error and a file that shrinks in the middle of an epoch (the
# last two from tests/fault/fault_inject.c, at an exact byte). Each is a
# clear error naming the file and the examples, exit 1 within the time
# limit (the prefetch thread never hangs the run), and the last checkpoint
# stays intact: resumed once the file is whole again, it ends where the
# uninterrupted run ends.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
lib="${GTRAIN_FAULT_LIB:-}"
[ -f "$lib" ] || { echo "SKIPPED: GTRAIN_FAULT_LIB (the fault injection library) not built"; exit 77; }
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
cd "$tmp"
mkdir data
"$py" "$kf" data data/train.h5 1000 8 8 1 5 3 && "$py" "$kf" data data/zip.h5 1000 8 8 1 5 3 --chunks 16 \
  && "$py" "$kf" model-json m.json || { echo "FAIL: building the data"; exit 1; }
# the same examples as raw IDX files (an IDX dataset is named: 10 classes)
"$py" - <<'PY' || { echo "FAIL: building the IDX files"; exit 1; }
import json, struct, h5py, numpy as np
with h5py.File("data/train.h5") as f:
    x, y = f["train_set_x"][:, :, :, 0], f["train_set_y"][:]
for split, a, b in (("train", 0, 1000), ("t10k", 900, 1000)):
    with open("data/%s-images-idx3-ubyte" % split, "wb") as o:
        o.write(struct.pack(">IIII", 0x803, b - a, 8, 8) + x[a:b].tobytes())
    with open("data/%s-labels-idx1-ubyte" % split, "wb") as o:
        o.write(struct.pack(">II", 0x801, b - a) + y[a:b].astype(np.uint8).tobytes())
m = json.load(open("m.json"))
m["config"]["layers"][-1]["config"]["units"] = 10
json.dump(m, open("m10.json", "w"))
PY
# epochs of 50 steps in file order: examples 0..399; the training fingerprint
# of a streamed run reads 32 runs of 8 examples (0..7, 31..38, ..., 281..288,
# 312..319, 343..350, ...), so the faults below land in training, not there
small=(--data-memory 16K --device cpu --threads 1 --batch-size 8 --no-shuffle --seed 2
       --steps-per-epoch 50)
h5=(--model m.json --data hdf5:data/train.h5 --validation none "${small[@]}")
idx=(--model m10.json --data mnist --data-dir data --validation none "${small[@]}")
limit=120
run() { # run NAME: the command after it, under the time limit; out/err in NAME.out/.err
  local name=$1; shift
  timeout $limit "$@" >"$name.out" 2>"$name.err"
  code=$?
  [ $code -eq 124 ] && { echo "FAIL: $name: no end within $limit s (a hang)"; fail=1; }
  return 0
}
expect_error() { # expect_error NAME NEEDLE...: exit 1 and every NEEDLE in NAME.err
  local name=$1; shift
  [ $code -eq 1 ] || { echo "FAIL: $name: exit $code, expected 1"; cat "$name.err"; fail=1; return; }
  for needle in "$@"; do
    grep -qF -- "$needle" "$name.err" || { echo "FAIL: $name: no '$needle' in:"; cat "$name.err"; fail=1; }
  done
}
example_byte() { # example_byte FILE EXAMPLE: where the example's pixels start
  echo $(( $("$py" "$kf" offset "$1" train_set_x) + $2 * 64 ))
}

check "the uninterrupted run (HDF5)" -- "$gtrain" fit "${h5[@]}" --epochs 1 --save ref.h5
check "the uninterrupted run (IDX)" -- "$gtrain" fit "${idx[@]}" --epochs 1 --save ref10.h5

# ---- a read error at example 300 (step 38) ----
at=$(example_byte data/train.h5 300)
GTRAIN_FAULT=eio_at:$at GTRAIN_FAULT_DIR="$tmp/data" LD_PRELOAD="$lib" \
  run eio "$gtrain" fit "${h5[@]}" --epochs 1 --save c.h5 --save-every 5
expect_error eio "data/train.h5: dataset 'train_set_x': examples 296..303 cannot be read" \
  "Input/output error" "position 296 of the epoch's order"
[ "$("$py" "$kf" state c.h5 steps_done)" = 35 ] || { echo "FAIL: c.h5 is not the step-35 save"; fail=1; }
check "resume after the read error" -- "$gtrain" fit --resume c.h5 --epochs 1 --data-memory 16K --device cpu --threads 1
check "read error + resume == uninterrupted" -- "$py" "$kf" same-weights ref.h5 c.h5

GTRAIN_FAULT=eio_at:$((16 + 300 * 64)) GTRAIN_FAULT_DIR="$tmp/data" LD_PRELOAD="$lib" \
  run eio_idx "$gtrain" fit "${idx[@]}" --epochs 1 --save d.h5 --save-every 5
expect_error eio_idx "cannot read data/train-images-idx3-ubyte at example 296 (examples 296..303" \
  "Input/output error"
check "resume after the IDX read error" -- "$gtrain" fit --resume d.h5 --epochs 1 --data-memory 16K --device cpu --threads 1
check "IDX read error + resume == uninterrupted" -- "$py" "$kf" same-weights ref10.h5 d.h5

# ---- the file shrinks mid-epoch: cut after example 250 when example 300 is read ----
cp data/train.h5 whole.h5
GTRAIN_FAULT=shrink_at:$at:$(example_byte data/train.h5 250) GTRAIN_FAULT_DIR="$tmp/data" LD_PRELOAD="$lib" \
  run shrink "$gtrain" fit "${h5[@]}" --epochs 1 --save e.h5 --save-every 5
expect_error shrink "data/train.h5 shrank while it was being read" "examples 296..303"
cp whole.h5 data/train.h5
check "resume after the shrink" -- "$gtrain" fit --resume e.h5 --epochs 1 --data-memory 16K --device cpu --threads 1
check "shrink + resume == uninterrupted" -- "$py" "$kf" same-weights ref.h5 e.h5

cp data/train-images-idx3-ubyte whole.idx
GTRAIN_FAULT=shrink_at:$((16 + 300 * 64)):$((16 + 250 * 64)) GTRAIN_FAULT_DIR="$tmp/data" LD_PRELOAD="$lib" \
  run shrink_idx "$gtrain" fit "${idx[@]}" --epochs 1 --save f.h5 --save-every 5
expect_error shrink_idx "train-images-idx3-ubyte shrank while it was being read" "example 296 needs bytes"
cp whole.idx data/train-images-idx3-ubyte

# ---- a corrupt compressed chunk: chunk 20 holds examples 320..335 ----
read -r off size < <("$py" "$kf" offset data/zip.h5 train_set_x 20)
printf 'gtrain corrupt chunk bytes......' | dd of=data/zip.h5 bs=1 seek=$((off + size / 2)) conv=notrunc status=none
run chunk "$gtrain" fit --model m.json --data hdf5:data/zip.h5 --validation none "${small[@]}" --epochs 1 --save g.h5 --save-every 5
expect_error chunk "data/zip.h5: dataset 'train_set_x': examples 320..327 cannot be read"
[ "$("$py" "$kf" state g.h5 steps_done)" = 40 ] || { echo "FAIL: g.h5 is not the step-40 save"; fail=1; }

# ---- truncated copies: refused before training ----
head -c 30000 whole.h5 >data/cut.h5
run cut "$gtrain" fit --model m.json --data hdf5:data/cut.h5 --validation none "${small[@]}" --epochs 1
expect_error cut "data/cut.h5" "truncated"
head -c 30000 whole.idx >data/train-images-idx3-ubyte
run cut_idx "$gtrain" fit "${idx[@]}" --epochs 1
expect_error cut_idx "train-images-idx3-ubyte: file is truncated: expected 64000 bytes of pixels, found 29984"
for f in eio shrink chunk; do echo "--- $f:"; tail -1 $f.err; done
[ $fail -eq 0 ] && echo "stream faults: ok"
exit $fail

#!/usr/bin/env bash
# Fault tests: what a disk, an operator or the kernel can do to a training
# run. A full disk and a read-only directory are real filesystems (a small
# tmpfs in a private mount namespace) where this machine allows mounting,
# else the same errors from tests/fault/fault_inject.c (LD_PRELOAD); signals
# and SIGKILL arrive in the middle of a save through that library, so the
# point where they land is exact and no test hook lives in gtrain.
#  - a full disk: exit 1, "No space left on device", the previous
#    checkpoint unchanged, no .tmp left (fit and convert)
#  - a read-only directory, a missing directory, /dev/full: refused before
#    the first epoch trains
#  - SIGINT / SIGTERM mid-epoch: exit 130 / 143, a mid-epoch checkpoint, the
#    resume command printed; resuming gives the uninterrupted run bit for bit
#  - a second signal: exits at once; the previous checkpoint stays loadable
#    and the next save removes the stale .tmp
#  - SIGKILL during a save: the previous checkpoint is loadable and resumes
#    to the uninterrupted run
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
lib="${GTRAIN_FAULT_LIB:-}"
[ -f "$lib" ] || { echo "SKIPPED: GTRAIN_FAULT_LIB (the fault injection library) not built"; exit 77; }
# the library is not sanitized; a sanitized gtrain must accept it in front
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
cd "$tmp"
"$py" "$kf" data train.h5 150 8 8 1 5 1 && "$py" "$kf" data test.h5 40 8 8 1 5 2 --prefix test_set \
  && "$py" "$kf" model-json m.json || { echo "FAIL: building the data"; exit 1; }
common=(--model m.json --data hdf5:train.h5 --test-data hdf5:test.h5 --validation last:30
        --batch-size 8 --device cpu --threads 1 --seed 7)
resume=(--epochs 2 --device cpu --threads 1)
expect() { # expect CODE FILE TEXT: the last command exited CODE and FILE holds TEXT
  local code=$1 got=$2 file=$3 text=$4
  if [ "$got" -ne "$code" ] || ! grep -qF -- "$text" "$file"; then
    echo "FAIL: expected exit $code and '$text', got exit $got:"; cat "$file"; fail=1
  fi
}
state() { "$py" "$kf" state "$1" "$2"; }

check "the uninterrupted run" -- "$gtrain" fit "${common[@]}" --epochs 2 --save ref.h5
check "a previous checkpoint" -- "$gtrain" fit "${common[@]}" --epochs 1 --save prev.h5

# ---- a full disk and a read-only directory ----
can_mount=0
mkdir -p mnt
if [ -z "${GTRAIN_FAULT_NO_MOUNT:-}" ] && unshare -m sh -c "mount -t tmpfs -o size=16k tmpfs '$tmp/mnt'" 2>/dev/null; then can_mount=1; fi
size=$(stat -c %s prev.h5)
pages=$(( (size + 4095) / 4096 ))
if [ $can_mount -eq 1 ]; then
  echo "full disk: a tmpfs with room for the previous checkpoint and 2 pages more"
  run_full() { # run_full COMMAND...: in a tmpfs at mnt/ holding a copy of prev.h5
    unshare -m bash -c 'mount -t tmpfs -o size=$1 tmpfs mnt && cp prev.h5 mnt/x.h5 && shift &&
      "$@"; code=$?; cmp -s prev.h5 mnt/x.h5 || echo "x.h5 changed" >&2
      ls mnt | grep -q tmp && echo "a .tmp is left" >&2; exit $code' \
      _ $(( (pages + 2) * 4096 )) "$@"
  }
  run_ro() {
    unshare -m bash -c 'mount -t tmpfs -o ro tmpfs mnt && "$@"' _ "$@"
  }
else
  echo "full disk: no mounting here; ENOSPC and EROFS come from $lib"
  run_full() {
    cp prev.h5 mnt/x.h5
    GTRAIN_FAULT=enospc GTRAIN_FAULT_DIR="$tmp/mnt" LD_PRELOAD="$lib" "$@"
    local code=$?
    cmp -s prev.h5 mnt/x.h5 || echo "x.h5 changed" >&2
    ls mnt | grep -q tmp && echo "a .tmp is left" >&2
    return $code
  }
  run_ro() { GTRAIN_FAULT=erofs GTRAIN_FAULT_DIR="$tmp/mnt" LD_PRELOAD="$lib" "$@"; }
fi
run_full "$gtrain" fit "${common[@]}" --epochs 1 --save mnt/x.h5 >out 2>err; code=$?
expect 1 $code err "No space left on device"
grep -q "changed\|is left\|Segmentation\|core dumped" err && { echo "FAIL: full disk (fit)"; cat err; fail=1; }
grep -q "the previous mnt/x.h5 is kept" err || { echo "FAIL: full disk message"; cat err; fail=1; }
run_full "$gtrain" convert --weights prev.h5 --save mnt/x.h5 >out 2>err; code=$?
expect 1 $code err "No space left on device"
grep -q "changed\|is left\|Segmentation\|core dumped" err && { echo "FAIL: full disk (convert)"; cat err; fail=1; }

run_ro "$gtrain" fit "${common[@]}" --epochs 1 --save mnt/x.h5 >out 2>err; code=$?
expect 1 $code err "cannot save to mnt/x.h5: cannot create mnt/x.h5.tmp: Read-only file system"
grep -q "^Epoch" out && { echo "FAIL: trained before refusing a read-only --save"; fail=1; }
run_ro "$gtrain" fit "${common[@]}" --epochs 1 --history mnt/h.csv >out 2>err; code=$?
expect 1 $code err "Read-only file system"
grep -q "^Epoch" out && { echo "FAIL: trained before refusing a read-only --history"; fail=1; }
"$gtrain" fit "${common[@]}" --epochs 1 --save missing/x.h5 >out 2>err; code=$?
expect 1 $code err "directory missing: does not exist"
grep -q "^Epoch" out && { echo "FAIL: trained before refusing a missing directory"; fail=1; }
"$gtrain" fit "${common[@]}" --epochs 1 --save /dev/full >out 2>err; code=$?
expect 1 $code err "/dev/full: it is a character device"
[ -c /dev/full ] || { echo "FAIL: /dev/full was replaced"; fail=1; }
mkdir adir
"$gtrain" convert --weights prev.h5 --save adir >out 2>err; code=$?
expect 1 $code err "adir: it is a directory"

# ---- signals mid-epoch ----
# 15 steps per epoch, --save-every 5: save 2 is step 10 of epoch 1, save 5 step 5 of epoch 2
for sig in INT TERM; do
  want=130; [ $sig = TERM ] && want=143
  GTRAIN_FAULT=signal:2:$sig LD_PRELOAD="$lib" "$gtrain" fit "${common[@]}" --epochs 2 \
    --save s$sig.h5 --save-every 5 >out 2>err; code=$?
  expect $want $code err "stopped by SIG$sig at epoch 1 step 10; saved to s$sig.h5"
  grep -qF "resume with: gtrain fit --resume s$sig.h5 --epochs 2 --device cpu --threads 1" err \
    || { echo "FAIL: no resume command"; cat err; fail=1; }
  [ "$(state s$sig.h5 steps_done)" = 10 ] && [ "$(state s$sig.h5 epochs_done)" = 0 ] \
    || { echo "FAIL: s$sig.h5 is not the mid-epoch state"; fail=1; }
  check "resume after SIG$sig" -- "$gtrain" fit --resume s$sig.h5 "${resume[@]}"
  check "SIG$sig + resume == uninterrupted" -- "$py" "$kf" same-weights ref.h5 s$sig.h5
done
# the second signal ends the process inside save 5; save 4 (the end of epoch 1) survives
GTRAIN_FAULT=signal:5:INT:2 LD_PRELOAD="$lib" "$gtrain" fit "${common[@]}" --epochs 2 \
  --save d.h5 --save-every 5 >out 2>err; code=$?
[ $code -eq 130 ] || { echo "FAIL: a second SIGINT exits 130 at once, got $code"; cat err; fail=1; }
[ -e d.h5.tmp ] || { echo "FAIL: the interrupted save left no d.h5.tmp"; fail=1; }
[ "$(state d.h5 optimizer_step)" = 15 ] || { echo "FAIL: d.h5 is not save 4"; fail=1; }
check "resume after two signals" -- "$gtrain" fit --resume d.h5 "${resume[@]}"
[ -e d.h5.tmp ] && { echo "FAIL: the next save left the stale d.h5.tmp"; fail=1; }
check "two signals + resume == uninterrupted" -- "$py" "$kf" same-weights ref.h5 d.h5

# ---- SIGKILL during a save (saves 1..6: steps 5, 10, 15, the end of epoch 1, 20, 25) ----
GTRAIN_FAULT=kill:6 LD_PRELOAD="$lib" "$gtrain" fit "${common[@]}" --epochs 2 --save c.h5 \
  --save-every 5 >out 2>err; code=$?
[ $code -eq 137 ] || { echo "FAIL: the saving process was not killed (exit $code)"; cat err; fail=1; }
[ -s c.h5.tmp ] || { echo "FAIL: no half-written c.h5.tmp"; fail=1; }
[ "$(state c.h5 optimizer_step)" = 20 ] && [ "$(state c.h5 steps_done)" = 5 ] \
  || { echo "FAIL: c.h5 is not the step-20 checkpoint"; fail=1; }
check "evaluate the surviving checkpoint" -- "$gtrain" evaluate --weights c.h5 --device cpu
check "resume after SIGKILL" -- "$gtrain" fit --resume c.h5 "${resume[@]}"
grep -q "at epoch 2 step 5 (mid-epoch)" "$tmp/err" || { echo "FAIL: no mid-epoch notice"; cat "$tmp/err"; fail=1; }
check "SIGKILL + resume == uninterrupted" -- "$py" "$kf" same-weights ref.h5 c.h5
[ $fail -eq 0 ] && echo "faults: ok"
exit $fail

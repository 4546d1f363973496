#!/usr/bin/env bash
# Checkpoints do not depend on the rank count: a checkpoint written by a
# 2-rank run resumes in one process, one written by one process resumes over
# 3 ranks, and both end with the weights of the straight one-process run
# (within dist_parity.sh's bound, for the same reason: only the order of the
# float32 gradient sums differs). And a rank that dies ends the others: with
# 3 ranks, rank 0 is killed (SIGKILL, from tests/fault) in the middle of a
# --save-every checkpoint and rank 2 by kill -9 while training; the others
# exit non-zero within the test's timeout (no hang), the message names the
# dead rank, and the last checkpoint is intact and resumes in one process.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/mpi_env.sh"
cd "$tmp"
"$py" "$kf" data d.h5 163 8 8 1 5 11 && df model cnn-dropout cnn.json \
  || { echo "FAIL: building the files"; exit 1; }
bound=1e-5
common=(--model cnn.json --data hdf5:d.h5 --validation last:20 --batch-size 10 --device cpu
        --threads 1 --seed 4)
check "one process, 2 epochs" -- "$gtrain" fit "${common[@]}" --epochs 2 --save ref.h5

check "2 ranks, epoch 1" -- ranks 2 fit "${common[@]}" --epochs 1 --save two.h5
check "resume the 2-rank checkpoint in one process" -- \
  "$gtrain" fit --resume two.h5 --epochs 2 --device cpu --threads 1
check "2 ranks + 1 process == 1 process" -- df close ref.h5 two.h5 "$bound"

check "one process, epoch 1" -- "$gtrain" fit "${common[@]}" --epochs 1 --save one.h5
check "resume the 1-process checkpoint over 3 ranks" -- \
  ranks 3 fit --resume one.h5 --epochs 2 --device cpu --threads 1
grep -q "resuming one.h5 after epoch 1" "$tmp/err" \
  || { echo "FAIL: no resume notice"; cat "$tmp/err"; fail=1; }
check "1 process + 3 ranks == 1 process" -- df close ref.h5 one.h5 "$bound"

# rank 0 killed in its 2nd save (epoch 1, step 10 of 15): kill.h5 keeps step 5
if [ -f "${GTRAIN_FAULT_LIB:-}" ]; then
  timeout 120 "$mpiexec" "${mpi_flags[@]}" -x LD_PRELOAD="$GTRAIN_FAULT_LIB" -x GTRAIN_FAULT=kill:2 \
    -np 3 "$gtrain" fit "${common[@]}" --epochs 2 --save kill.h5 --save-every 5 >k.out 2>k.err
  code=$?
  if [ $code -eq 0 ] || [ $code -eq 124 ]; then
    echo "FAIL: killing rank 0 gave exit $code (0: not noticed, 124: a hang)"; cat k.err; fail=1
  fi
  grep -qE "rank 0 .*(signal 9|Killed)|process rank 0" k.err \
    || { echo "FAIL: the failure does not name rank 0"; cat k.err; fail=1; }
  [ "$("$py" "$kf" state kill.h5 steps_done)" = 5 ] \
    || { echo "FAIL: kill.h5 is not the step-5 checkpoint"; fail=1; }
  check "resume the survivor in one process" -- \
    "$gtrain" fit --resume kill.h5 --epochs 2 --device cpu --threads 1
  grep -q "at epoch 1 step 5 (mid-epoch)" "$tmp/err" || { echo "FAIL: not a mid-epoch resume"; fail=1; }
  check "killed 3-rank run + 1 process == 1 process" -- df close ref.h5 kill.h5 "$bound"
fi

# rank 2 killed while training (a long run, so that it is still training)
cat >victim.sh <<'VICTIM'
#!/usr/bin/env bash
if [ "${OMPI_COMM_WORLD_RANK:-}" = 2 ]; then (sleep 3; kill -9 $$) & fi
exec "$@"
VICTIM
chmod +x victim.sh
timeout 120 "$mpiexec" "${mpi_flags[@]}" -np 3 ./victim.sh "$gtrain" fit "${common[@]}" --epochs 100000 \
  >v.out 2>v.err
code=$?
if [ $code -eq 0 ] || [ $code -eq 124 ]; then
  echo "FAIL: killing rank 2 gave exit $code (0: not noticed, 124: a hang)"; cat v.err; fail=1
fi
grep -qE "process rank 2|rank 2 " v.err || { echo "FAIL: the failure does not name rank 2"; cat v.err; fail=1; }

[ $fail -eq 0 ] && echo "PASS: checkpoints resume across rank counts; a dead rank ends the run"
exit $fail

#!/usr/bin/env bash
# --deterministic on the CPU: the gradient of each batch is summed in fixed
# chunks of 8 examples in chunk order, whichever rank computed each chunk,
# so 1, 2 and 3 ranks (one thread each) train to bit-identical weights: an
# MLP and a CNN with dropout, batch 20 (chunks 8+8+4; the partial last batch
# of 13: 8+5) and batch 16 (2 chunks: with 3 ranks one takes none), 2 epochs
# with validation. And a checkpoint of a 3-rank run resumed in one process
# gives the same bits as the straight run.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/mpi_env.sh"
cd "$tmp"
"$py" "$kf" data d.h5 203 8 8 1 5 5 && df model mlp mlp.json && df model cnn-dropout cnn.json \
  || { echo "FAIL: building the files"; exit 1; }
for model in mlp cnn; do
  for batch in 20 16; do
    opts=(fit --model "$model.json" --data hdf5:d.h5 --validation last:30 --batch-size "$batch"
          --epochs 2 --device cpu --threads 1 --seed 9 --deterministic)
    check "$model batch $batch: one process" -- "$gtrain" "${opts[@]}" --save "$model-$batch-1.h5"
    for n in 2 3; do
      check "$model batch $batch: $n ranks" -- ranks "$n" "${opts[@]}" --save "$model-$batch-$n.h5"
      check "$model batch $batch: $n ranks bit-identical to one process" -- \
        df same "$model-$batch-1.h5" "$model-$batch-$n.h5"
    done
  done
done
opts=(--model cnn.json --data hdf5:d.h5 --validation last:30 --batch-size 20 --device cpu
      --threads 1 --seed 9 --deterministic)
check "3 ranks, epoch 1" -- ranks 3 fit "${opts[@]}" --epochs 1 --save r.h5
check "resumed in one process" -- "$gtrain" fit --resume r.h5 --epochs 2 --device cpu --threads 1 \
  --deterministic
check "3 ranks + 1 process bit-identical to one process" -- df same cnn-20-1.h5 r.h5
[ $fail -eq 0 ] && echo "PASS: --deterministic gives the same bits for 1, 2 and 3 ranks"
exit $fail

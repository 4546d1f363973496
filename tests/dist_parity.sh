#!/usr/bin/env bash
# Data-parallel training computes the single-process training: under mpirun
# with 2 and 3 CPU ranks and the same global --batch-size, the weights after
# a few steps and after 2 epochs (validation included) equal the one-process
# run's, for an MLP, a CNN with dropout (masks drawn by global example
# position) and batches that do not divide by the rank count (16 and 7 over
# 3 ranks, the partial last batch, and batches 2 and 4 over 3 ranks, where
# ranks take nothing), and BatchNormalization with the whole batch's
# statistics shared by the ranks.
#
# The bound, 1e-5 absolute on every weight: the ranks compute the same
# products and differ from one process only in the order the float32
# gradient sums are added (each rank's share summed in its GEMM, then the
# shares summed by MPI_Allreduce). Reordering a sum of k terms changes it by
# at most about k * 2^-24 of the sum of magnitudes, ~1e-6 relative for the
# batches here; an Adam step moves a weight by at most lr = 1e-3, and such a
# relative change of the gradient changes m / sqrt(v) by about as much, so
# the runs below (at most ~60 steps) stay within 60 * 1e-3 * 1e-6 ~ 1e-7,
# well inside 1e-5, while a wrong share, scale or mask changes weights by
# 1e-3 or more in the first step. (Observed: at most 6e-8.) Long runs at
# tiny batches drift further (Adam amplifies gradients near zero and a ReLU
# may switch on a rounding): the batch-2 case runs 20 steps.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/mpi_env.sh"
cd "$tmp"
"$py" "$kf" data d.h5 203 8 8 1 5 7 && df model mlp mlp.json && df model cnn-dropout cnn.json \
  || { echo "FAIL: building the files"; exit 1; }
bound=1e-5

# case NAME MODEL BATCH EPOCHS STEPS_PER_EPOCH(0: all)
case_() {
  local name=$1 model=$2 batch=$3 epochs=$4 steps=$5
  local opts=(fit --model "$model" --data hdf5:d.h5 --validation last:30 --batch-size "$batch"
              --epochs "$epochs" --device cpu --threads 1 --seed 3)
  [ "$steps" -gt 0 ] && opts+=(--steps-per-epoch "$steps")
  check "$name: one process" -- "$gtrain" "${opts[@]}" --save "$name-1.h5" --history "$name-1.csv"
  for n in 2 3; do
    check "$name: $n ranks" -- ranks "$n" "${opts[@]}" --save "$name-$n.h5" --history "$name-$n.csv"
    # rank 0 alone printed the progress and wrote the history: one row per
    # epoch, with the validation of all 30 examples (accuracy counts agree)
    [ "$(grep -c '^Epoch ' "$tmp/out")" = "$epochs" ] \
      || { echo "FAIL: $name: $n ranks printed $(grep -c '^Epoch ' "$tmp/out") epoch lines"; fail=1; }
    check "$name: $n ranks give the one-process weights" -- df close "$name-1.h5" "$name-$n.h5" "$bound"
    [ "$(cut -d, -f1,5 "$name-1.csv")" = "$(cut -d, -f1,5 "$name-$n.csv")" ] \
      || { echo "FAIL: $name: validation accuracy differs"; cat "$name-1.csv" "$name-$n.csv"; fail=1; }
  done
}
case_ mlp-steps mlp.json 16 1 4
case_ mlp mlp.json 16 2 0
case_ cnn-dropout-steps cnn.json 16 1 3
case_ cnn-dropout cnn.json 16 2 0
case_ mlp-batch7 mlp.json 7 1 12
case_ cnn-batch2 cnn.json 2 1 20
# batch 4 over 3 ranks: shares 2,1,1 and, in each epoch's last batch of 1,
# 1,0,0; ranks 1 and 2 skip that batch but must still advance the dropout
# counter, or their masks of epoch 2 would be another run's
case_ cnn-batch4 cnn.json 4 2 0

# evaluate sharded over 3 ranks: the loss and accuracy one process prints
check "evaluate, one process" -- "$gtrain" evaluate --weights mlp-1.h5 --data hdf5:d.h5 --split train \
  --batch-size 16 --device cpu --threads 1
one=$(grep -o "loss: .*" "$tmp/out")
check "evaluate, 3 ranks" -- ranks 3 evaluate --weights mlp-1.h5 --data hdf5:d.h5 --split train \
  --batch-size 16 --device cpu --threads 1
[ -n "$one" ] && [ "$(grep -o "loss: .*" "$tmp/out")" = "$one" ] \
  || { echo "FAIL: evaluate over 3 ranks printed '$(grep -o "loss: .*" "$tmp/out")', one process '$one'"; fail=1; }

# streamed data (the budget holds only the streaming buffers): every rank
# reads each whole batch and gathers its share from it
check "cnn-dropout streamed over 3 ranks" -- ranks 3 fit --model cnn.json --data hdf5:d.h5 \
  --validation last:30 --batch-size 16 --epochs 2 --device cpu --threads 1 --seed 3 \
  --data-memory 12000 --save stream-3.h5
grep -q "train streamed" "$tmp/err" || { echo "FAIL: the data was not streamed"; cat "$tmp/err"; fail=1; }
check "streamed over 3 ranks gives the one-process weights" -- \
  df close cnn-dropout-1.h5 stream-3.h5 "$bound"

# the dropout masks matter: without dropout (rate 0 is a different model)
# the weights differ, so the CNN cases above compare masks, not no-ops
sed 's/"rate": 0.3/"rate": 0.0/g' cnn.json >cnn0.json
check "cnn without dropout" -- "$gtrain" fit --model cnn0.json --data hdf5:d.h5 --validation last:30 \
  --batch-size 16 --epochs 1 --steps-per-epoch 3 --device cpu --threads 1 --seed 3 --save nodrop.h5
df close cnn-dropout-steps-1.h5 nodrop.h5 1e-4 >/dev/null \
  && { echo "FAIL: dropout changed nothing in 3 steps"; fail=1; }

# BatchNormalization over the ranks: the batch statistics are the whole
# batch's (each rank's sums added over the ranks before normalizing, and
# the backward's sums of dy and dy * xhat likewise), so N ranks train what
# one process trains: after a dense layer and after convolutions (rows of
# every pixel), with batches that leave ranks without examples (4 over 3:
# in the last batch of 1, ranks 1 and 2 add zeros and still update the
# moving statistics, which the checkpoint holds)
df model bn bn.json && df model cnn-bn cnn-bn.json || { echo "FAIL: building the BN models"; fail=1; }
case_ bn bn.json 16 2 0
case_ cnn-bn cnn-bn.json 16 2 0
case_ cnn-bn-batch4 cnn-bn.json 4 1 0
# --deterministic's fixed chunks would cut the batch statistics: refused over
# ranks before the first step; one process trains with its plain step
ranks 2 fit --model bn.json --data hdf5:d.h5 --validation none --batch-size 16 --epochs 1 \
  --device cpu --threads 1 --deterministic >"$tmp/out" 2>"$tmp/err"
code=$?
{ [ $code -ne 0 ] && [ $code -ne 124 ] && grep -q "with --deterministic over 2 ranks" "$tmp/err" &&
  ! grep -q "^Epoch " "$tmp/out"; } ||
  { echo "FAIL: BatchNormalization with --deterministic over 2 ranks: exit $code:"; cat "$tmp/err"; fail=1; }
check "BatchNormalization with --deterministic in one process" -- "$gtrain" fit --model bn.json \
  --data hdf5:d.h5 --validation none --batch-size 16 --epochs 1 --steps-per-epoch 2 --device cpu \
  --threads 1 --deterministic

[ $fail -eq 0 ] && echo "PASS: 2 and 3 ranks train as one process (within $bound)"
exit $fail

#!/usr/bin/env bash
# The gradient sums overlapped with backward (--bucket-size) compute what
# one sum after backward computes. Small buckets (64 bytes) cut the MLP's and the
# CNN's gradients into several, each launched (MPI_Iallreduce) right after
# the backward of the layer that completes it while the layers below run:
#   - 2 ranks: the weights are bit-identical to --bucket-size 0 (one
#     MPI_Allreduce after backward): every element is one addition of two
#     shares, the same bits in any order, so any difference is a bucket
#     summed before its gradient was final, summed twice or not at all;
#   - 3 ranks: within the one-process bound of dist_parity.sh (1e-5: MPI
#     may add three shares in another order per message size);
#   - the same for a graph model (merge layers, fan-outs) and for a CNN with
#     BatchNormalization, whose blocking sums of the batch statistics run
#     while earlier buckets are still in flight;
#   - the startup line names the bucket count, so the cases above really
#     cut the gradients (and the default, 25M, takes these small models'
#     gradients in one bucket).
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/mpi_env.sh"
cd "$tmp"
"$py" "$kf" data d.h5 203 8 8 1 5 7 && df model mlp mlp.json && df model cnn-dropout cnn.json \
  && df model cnn-bn cnn-bn.json \
  && "$py" "$kf" data g.h5 203 8 8 2 4 7 \
  && cp "$GTRAIN_SOURCE_DIR/tests/data/keras3_functional_merge.json" graph.json \
  || { echo "FAIL: building the files"; exit 1; }

# graph: a Functional model with every merge layer (its backward is the
# graph plan's, trainer_graph.c, with the fan-outs' gradients summed)
for model in mlp cnn cnn-bn graph; do
  data=d.h5
  [ "$model" = graph ] && data=g.h5
  opts=(fit --model "$model.json" --data "hdf5:$data" --validation last:30 --batch-size 16
        --epochs 2 --device cpu --threads 1 --seed 3)
  check "$model: one process" -- "$gtrain" "${opts[@]}" --save "$model-1.h5"
  check "$model: 2 ranks, one sum" -- ranks 2 "${opts[@]}" --bucket-size 0 --save "$model-2-whole.h5"
  grep -q "over 2 ranks," "$tmp/err" \
    || { echo "FAIL: $model: --bucket-size 0 should print no buckets:"; cat "$tmp/err"; fail=1; }
  check "$model: 2 ranks, default buckets" -- ranks 2 "${opts[@]}" --save "$model-2-default.h5"
  grep -q "summed in 1 bucket)" "$tmp/err" \
    || { echo "FAIL: $model: the default should take one bucket:"; cat "$tmp/err"; fail=1; }
  check "$model: 2 ranks, 64-byte buckets" -- ranks 2 "${opts[@]}" --bucket-size 64 --save "$model-2-64.h5"
  buckets=$(grep -o "summed in [0-9]* buckets" "$tmp/err" | grep -o "[0-9][0-9]*")
  [ "${buckets:-0}" -ge 2 ] \
    || { echo "FAIL: $model: 64-byte buckets gave '${buckets:-none}' buckets:"; cat "$tmp/err"; fail=1; }
  check "$model: 64-byte buckets over 2 ranks give the one-sum bits" -- \
    df same "$model-2-whole.h5" "$model-2-64.h5"
  check "$model: the default bucket gives the one-sum bits" -- \
    df same "$model-2-whole.h5" "$model-2-default.h5"
  check "$model: 2 ranks with buckets give the one-process weights" -- \
    df close "$model-1.h5" "$model-2-64.h5" 1e-5
  check "$model: 3 ranks, 64-byte buckets" -- ranks 3 "${opts[@]}" --bucket-size 64 --save "$model-3-64.h5"
  check "$model: 3 ranks with buckets give the one-process weights" -- \
    df close "$model-1.h5" "$model-3-64.h5" 1e-5
done

# a bad size is a usage error naming the option
"$gtrain" fit --model mlp.json --data hdf5:d.h5 --bucket-size 12Q >"$tmp/out" 2>"$tmp/err"
code=$?
{ [ $code -eq 2 ] && grep -q -- "--bucket-size" "$tmp/err"; } \
  || { echo "FAIL: --bucket-size 12Q: exit $code:"; cat "$tmp/err"; fail=1; }

[ $fail -eq 0 ] && echo "PASS: bucketed sums during backward give the one-sum weights"
exit $fail

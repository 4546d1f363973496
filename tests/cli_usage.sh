#!/usr/bin/env bash
# The gtrain command's contract: --help everywhere (exit 0), usage errors exit
# 2 with "gtrain: error:" on stderr, summary prints Keras' parameter totals.
set -u
gtrain="$1"
fail=0
expect() { # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >/tmp/gtrain_cli_out.$$ 2>/tmp/gtrain_cli_err.$$
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; cat /tmp/gtrain_cli_err.$$; fail=1
  fi
}
expect_err() { # expect_err NEEDLE: the last stderr contains NEEDLE
  if ! grep -qF -- "$1" /tmp/gtrain_cli_err.$$; then
    echo "FAIL: stderr lacks '$1':"; cat /tmp/gtrain_cli_err.$$; fail=1
  fi
}
expect_out() {
  if ! grep -qF -- "$1" /tmp/gtrain_cli_out.$$; then
    echo "FAIL: stdout lacks '$1':"; cat /tmp/gtrain_cli_out.$$; fail=1
  fi
}

expect 0 "gtrain --help" -- "$gtrain" --help
expect_out "usage: gtrain"
for cmd in summary fit bench evaluate predict convert activations; do
  expect 0 "$cmd --help" -- "$gtrain" "$cmd" --help
  expect_out "usage: gtrain $cmd"
done
expect 2 "no command" -- "$gtrain"
expect 2 "unknown command" -- "$gtrain" frobnicate
expect_err "gtrain: error: unknown command 'frobnicate'"
expect 2 "summary without --model" -- "$gtrain" summary
expect_err "gtrain: error:"
expect 2 "unknown zoo model" -- "$gtrain" summary --model vgg17
expect_err "vgg17"
expect 1 "missing JSON file" -- "$gtrain" summary --model /nonexistent/model.json
expect_err "/nonexistent/model.json"
expect 2 "bad epochs" -- "$gtrain" fit --model cnn-fmnist --epochs zero
expect_err "--epochs"
expect 2 "bad batch sizes" -- "$gtrain" bench --model mlp-128 --batch-sizes 1,x
expect_err "--batch-sizes"
expect 2 "bad device" -- "$gtrain" fit --model cnn-fmnist --device tpu
expect_err "--device"
expect 2 "bad validation" -- "$gtrain" fit --model cnn-fmnist --validation middle:5
expect_err "--validation"
expect 2 "bad loss log epsilon" -- "$gtrain" fit --model softmax-mnist --loss-log-epsilon 2
expect_err "--loss-log-epsilon expects a number in [0, 0.5]"
expect 0 "fit --help" -- "$gtrain" fit --help
expect_out "--no-shuffle      batches in the file's order every epoch"
# MNIST with nowhere to look: every place is named, before any training
expect 1 "MNIST nowhere" -- env -u GTRAIN_TEST_DATA -u GTRAIN_DATA_DIR "$gtrain" fit --model softmax-mnist --device cpu
expect_err "--data-dir was not given and neither GTRAIN_DATA_DIR nor GTRAIN_TEST_DATA is set"
expect 1 "MNIST not in GTRAIN_TEST_DATA" -- env -u GTRAIN_DATA_DIR GTRAIN_TEST_DATA=/nonexistent "$gtrain" fit --model softmax-mnist --device cpu
expect_err "not found in /nonexistent/mnist (GTRAIN_TEST_DATA/mnist; neither --data-dir nor GTRAIN_DATA_DIR given)"

expect 0 "summary vgg16" -- "$gtrain" summary --model vgg16
expect_out "Total params: 33,638,218"
expect_out "Trainable params: 33,638,218"
expect_out "Non-trainable params: 0"
expect 0 "summary cnn-fmnist" -- "$gtrain" summary --model cnn-fmnist
expect_out "Total params: 113,386"
expect 0 "summary softmax-mnist" -- "$gtrain" summary --model softmax-mnist
expect_out "Total params: 7,850"
expect_out "  shuffle:       no: batches in file order every epoch (--no-shuffle)"
expect_out "  optimizer:     sgd, learning rate 0.25"
expect 0 "summary from JSON" -- "$gtrain" summary --model "$GTRAIN_SOURCE_DIR/tests/models/cnn-fmnist-64.json"
expect_out "Total params:"

expect 0 "bench on the CPU" -- "$gtrain" bench --model mlp-128 --batch-sizes 1,8 --steps 2 --warmup 1 --device cpu
expect_out "median ms"

# --threads beyond the cores this process may run on (as under mpirun's
# default binding) is said, with the way out; within them it is not
if command -v taskset >/dev/null; then
  expect 0 "bench with 2 threads on 1 core" -- taskset -c 0 "$gtrain" bench --model mlp-128 \
    --batch-sizes 2 --steps 1 --warmup 0 --device cpu --threads 2
  expect_err "--threads 2, but this process may run on 1 core"
  expect_err "--map-by slot:PE=2"
  expect 0 "bench with 1 thread on 1 core" -- taskset -c 0 "$gtrain" bench --model mlp-128 \
    --batch-sizes 2 --steps 1 --warmup 0 --device cpu --threads 1
  if grep -q "may run on" /tmp/gtrain_cli_err.$$; then
    echo "FAIL: 1 thread on 1 core was warned about"; fail=1
  fi
else
  echo "note: no taskset; the --threads binding check is not run"
fi

rm -f /tmp/gtrain_cli_out.$$ /tmp/gtrain_cli_err.$$
[ $fail -eq 0 ] && echo "all CLI checks passed"
exit $fail

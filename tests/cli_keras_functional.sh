#!/usr/bin/env bash
# Notebook 000's two models as Keras 3 builds and saves them (VGG-16 from
# keras.applications, a Functional model; the MLP on InputLayer(784)), taken
# by every gtrain command that takes a model, and gtrain's checkpoints of
# them read back by Keras (tests/keras_notebook000.py):
# - summary --model FILE.h5 prints Keras' parameter totals;
# - fit --model FILE.h5 starts from the file's weights and saves a
#   checkpoint that evaluate and predict read, whose model_config Keras'
#   load_model reads (a Functional model for VGG-16) and whose weights
#   load_weights reads into a freshly built model; Keras predicts what
#   gtrain predicts from it;
# - the MLP trains on 28x28x1 images fed as its (None, 784) input, said in
#   the run's header line; VGG-16 on 28x28x1 data stays an error;
# - activations --model FILE.h5 draws the file's own weights;
# - gtrain's checkpoint of resnet-fmnist (merge layers, fan-outs) loads in
#   Keras as a Functional model and predicts what gtrain predicts.
# Needs Keras and TensorFlow: $GTRAIN_KERAS_PYTHON names a Python that has
# them (configure with -DGTRAIN_KERAS_PYTHON=...); skipped without it.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
source "$GTRAIN_SOURCE_DIR/tests/fmnist_data.sh"
kpy="${GTRAIN_KERAS_PYTHON:-}"
if [ -z "$kpy" ] || ! "$kpy" -c 'import keras, tensorflow, h5py' 2>/dev/null; then
  echo "SKIPPED: no Python with Keras 3 and TensorFlow (set GTRAIN_KERAS_PYTHON)"
  exit 77
fi
kn="$GTRAIN_SOURCE_DIR/tests/keras_notebook000.py"
cd "$tmp"
images="$dir/train-images-idx3-ubyte.gz"
[ -e "$images" ] || images="$dir/train-images-idx3-ubyte"
check "Keras builds and saves the notebook's models" -- "$kpy" "$kn" build .
check "32x32x3 data as the notebook prepares it" -- "$kpy" "$kn" data fm32.h5 "$images" 200 32
check "28x28x1 data" -- "$kpy" "$kn" data fm28.h5 "$images" 200 28
[ $fail -eq 0 ] || exit 1

expect_in() { # expect_in DESCRIPTION FILE TEXT
  grep -qF -- "$3" "$2" || { echo "FAIL: $1: '$3' not in:"; cat "$2"; fail=1; }
}
"$gtrain" summary --model vgg16.h5 >sum_vgg 2>&1
expect_in "summary of vgg16.h5" sum_vgg "Total params: 33,638,218"
expect_in "summary of vgg16.h5" sum_vgg " input_layer (InputLayer)    (None, 32, 32, 3)         0"
"$gtrain" summary --model mlp.h5 >sum_mlp 2>&1
expect_in "summary of mlp.h5" sum_mlp "Total params: 7,735,322"

# the notebook's recipe (adam, batch 100) for one epoch of 200 images
for kind in vgg16 mlp; do
  data=fm32.h5
  [ $kind = mlp ] && data=fm28.h5
  "$gtrain" fit --model $kind.h5 --data hdf5:$data --validation none --epochs 1 --batch-size 100 \
    --optimizer adam --save ${kind}_gt.h5 --device cpu >fit_$kind 2>&1 ||
    { echo "FAIL: fit --model $kind.h5"; cat fit_$kind; fail=1; continue; }
  expect_in "fit --model $kind.h5" fit_$kind "starting from the weights of $kind.h5"
  check "evaluate gtrain's $kind checkpoint" -- \
    "$gtrain" evaluate --weights ${kind}_gt.h5 --data hdf5:$data --batch-size 100 --device cpu
  expect_in "evaluate $kind" "$tmp/out" "2/2 ["
  check "predict from gtrain's $kind checkpoint" -- \
    "$gtrain" predict --weights ${kind}_gt.h5 --data hdf5:$data --output ${kind}_pred.csv --device cpu
  "$kpy" "$kn" check ${kind}_gt.h5 $kind $data ${kind}_pred.csv >keras_$kind 2>&1 ||
    { echo "FAIL: Keras reads gtrain's $kind checkpoint"; cat keras_$kind; fail=1; }
  grep -E "^(load_|keras )" keras_$kind
done
expect_in "Keras loads the VGG-16 checkpoint as a Functional model" keras_vgg16 \
  "load_model: Functional 'vgg16'"
expect_in "the reshape in the header line" fit_mlp \
  "28x28x1 images fed as the input (None, 784) (reshaped, 784 values each)"

# a graph with merge layers: gtrain's checkpoint of the zoo's resnet-fmnist
# (Add, fan-outs, BatchNormalization) is a Functional model Keras loads
check "fit resnet-fmnist" -- "$gtrain" fit --model resnet-fmnist --data hdf5:fm28.h5 \
  --validation none --epochs 1 --steps-per-epoch 2 --save resnet_gt.h5 --device cpu
check "predict from gtrain's resnet-fmnist checkpoint" -- \
  "$gtrain" predict --weights resnet_gt.h5 --data hdf5:fm28.h5 --output resnet_pred.csv --device cpu
"$kpy" "$kn" check resnet_gt.h5 resnet-fmnist fm28.h5 resnet_pred.csv >keras_resnet 2>&1 ||
  { echo "FAIL: Keras reads gtrain's resnet-fmnist checkpoint"; cat keras_resnet; fail=1; }
grep -E "^(load_|keras )" keras_resnet
expect_in "Keras loads resnet-fmnist as a Functional model" keras_resnet \
  "load_model: Functional 'resnet-fmnist'"

# a true mismatch stays an error, with today's message
if "$gtrain" fit --model vgg16.h5 --data hdf5:fm28.h5 --epochs 1 --device cpu >mismatch 2>&1; then
  echo "FAIL: VGG-16 trained on 28x28x1 data"; fail=1
fi
expect_in "VGG-16 on 28x28x1" mismatch \
  "model 'vgg16' expects input shape (None, 32, 32, 3), found shape (200, 28, 28, 1)"

check "activations --model vgg16_gt.h5" -- "$gtrain" activations --model vgg16_gt.h5 \
  --data hdf5:fm32.h5 --index 0 --out act --device cpu
expect_in "activations draws the file's weights" "$tmp/out" "weights: vgg16_gt.h5"
[ -s act/00_block1_conv1.png ] || { echo "FAIL: act/00_block1_conv1.png missing"; fail=1; }
[ $fail -eq 0 ] && echo "notebook 000's Keras models: summary, fit, predict, activations; Keras reads the checkpoints"
exit $fail

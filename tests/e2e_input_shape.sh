#!/usr/bin/env bash
# Feeding 28x28x1 images to VGG-16 without its resizing fails before training
# with both shapes in the message, as Keras does.
set -u
gtrain="$1"
. "$(dirname "$0")/fmnist_data.sh"
"$gtrain" fit --model vgg16 --preprocess none --data-dir "$dir" --epochs 1 --device cpu \
  >/tmp/gtrain_shape_out.$$ 2>/tmp/gtrain_shape_err.$$
code=$?
cat /tmp/gtrain_shape_err.$$
grep -qF 'expects input shape (None, 32, 32, 3), found shape (60000, 28, 28, 1)' /tmp/gtrain_shape_err.$$
found=$?
grep -q 'Epoch 1/' /tmp/gtrain_shape_out.$$ && { echo "FAIL: training started"; exit 1; }
rm -f /tmp/gtrain_shape_out.$$ /tmp/gtrain_shape_err.$$
[ $code -eq 1 ] || { echo "FAIL: exit $code, expected 1"; exit 1; }
[ $found -eq 0 ] || { echo "FAIL: message lacks both shapes"; exit 1; }
echo "refused as expected"

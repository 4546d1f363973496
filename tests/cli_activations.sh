#!/usr/bin/env bash
# gtrain activations on Fashion-MNIST with cnn-fmnist's initial weights: the
# input and every Conv2D/MaxPooling2D layer become PNGs of the expected grid
# sizes (tiles upscaled to >= 64 px, 1-px separators), --layers picks layers
# by name or index, and layers that are not images are refused (exit 2).
set -u
gtrain="$1"
source "$GTRAIN_SOURCE_DIR/tests/fmnist_data.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { # run WANT_EXIT DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}
# png FILE WIDTH HEIGHT COLOUR_TYPE: the PNG signature and IHDR fields
png() {
  local bytes
  bytes=$(od -An -tu1 -N26 "$1" 2>/dev/null | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
  set -- "$1" "$2" "$3" "$4" $bytes
  local file=$1 w=$2 h=$3 colour=$4; shift 4
  if [ $# -ne 26 ] || [ "$1 $2 $3 $4 $5 $6 $7 $8" != "137 80 78 71 13 10 26 10" ] \
     || [ "${13} ${14} ${15} ${16}" != "73 72 68 82" ]; then
    echo "FAIL: $file is not a PNG"; fail=1; return
  fi
  local gw=$(( ${17} << 24 | ${18} << 16 | ${19} << 8 | ${20} ))
  local gh=$(( ${21} << 24 | ${22} << 16 | ${23} << 8 | ${24} ))
  if [ "$gw $gh ${25} ${26}" != "$w $h 8 $colour" ]; then
    echo "FAIL: $file is ${gw}x${gh} depth ${25} colour ${26}, expected ${w}x${h} depth 8 colour $colour"
    fail=1
  fi
}
common=(--model cnn-fmnist --data-dir "$dir" --index 0 --device cpu --threads 1)

run 0 "default layers" -- "$gtrain" activations "${common[@]}" --out "$tmp/a"
grep -q "initial, untrained" "$tmp/out" || { echo "FAIL: no untrained notice"; cat "$tmp/out"; fail=1; }
grep -q "label 9 (Ankle boot)" "$tmp/out" || { echo "FAIL: test image 0's label"; cat "$tmp/out"; fail=1; }
grep -q "^$tmp/a/01_conv2d.png: layer 1 conv2d (Conv2D), 26x26x32, grid 8x4" "$tmp/out" \
  || { echo "FAIL: conv2d line"; cat "$tmp/out"; fail=1; }
[ "$(grep -c '\.png: ' "$tmp/out")" = 5 ] || { echo "FAIL: expected 5 files"; cat "$tmp/out"; fail=1; }
# 28 px x3 = 84; 26x26x32: 78-px tiles, 8x4 -> 8*78+7 x 4*78+3; 13: 65 px; 11: 66 px; 5: 65 px
png "$tmp/a/input.png" 84 84 0
png "$tmp/a/01_conv2d.png" 631 315 0
png "$tmp/a/02_max_pooling2d.png" 527 263 0
png "$tmp/a/03_conv2d_1.png" 535 267 0
png "$tmp/a/04_max_pooling2d_1.png" 527 263 0
[ -z "$(ls "$tmp/a" | grep -v '\.png$')" ] || { echo "FAIL: stray files"; ls "$tmp/a"; fail=1; }

run 0 "--layers by name and index" -- "$gtrain" activations "${common[@]}" --out "$tmp/b" --layers conv2d_1,2
[ "$(ls "$tmp/b" | tr '\n' ' ')" = "02_max_pooling2d.png 03_conv2d_1.png input.png " ] \
  || { echo "FAIL: --layers files"; ls "$tmp/b"; fail=1; }

run 2 "--layers flatten" -- "$gtrain" activations "${common[@]}" --out "$tmp/c" --layers conv2d,flatten
grep -q "layer 5 'flatten' (Flatten) outputs a vector of 800 values, not an image" "$tmp/err" \
  || { echo "FAIL: flatten message"; cat "$tmp/err"; fail=1; }
run 2 "--layers dense" -- "$gtrain" activations "${common[@]}" --out "$tmp/c" --layers dense
run 2 "--layers unknown" -- "$gtrain" activations "${common[@]}" --out "$tmp/c" --layers nope
grep -q "no layer 'nope'" "$tmp/err" || { echo "FAIL: unknown layer message"; cat "$tmp/err"; fail=1; }
[ ! -e "$tmp/c" ] || { echo "FAIL: a refused run created its output directory"; fail=1; }
run 2 "no --out" -- "$gtrain" activations --model cnn-fmnist --index 0
run 2 "no --index" -- "$gtrain" activations --model cnn-fmnist --out "$tmp/d"
run 2 "index out of range" -- "$gtrain" activations --model cnn-fmnist --data-dir "$dir" --device cpu \
  --index 10000 --out "$tmp/d"
grep -q "index 10000 is outside" "$tmp/err" || { echo "FAIL: index message"; cat "$tmp/err"; fail=1; }
[ $fail -eq 0 ] && echo "activations: ok"
exit $fail

# Sourced by the shell tests that train on the full MNIST: exits 77 (skipped)
# with one line when $GTRAIN_TEST_DATA/mnist lacks the four IDX files;
# otherwise unsets GTRAIN_DATA_DIR, so that `--data mnist` finds them the way
# a user's run does, through GTRAIN_TEST_DATA alone.
mnist="${GTRAIN_TEST_DATA:-}/mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [ -z "${GTRAIN_TEST_DATA:-}" ] || { [ ! -e "$mnist/$f.gz" ] && [ ! -e "$mnist/$f" ]; }; then
    echo "SKIPPED: MNIST ($f) not found in ${GTRAIN_TEST_DATA:+$mnist}${GTRAIN_TEST_DATA:-GTRAIN_TEST_DATA (not set)}"
    exit 77
  fi
done
unset GTRAIN_DATA_DIR

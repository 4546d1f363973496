#!/usr/bin/env bash
# Runs one Python test (tests/python/test_*.py) under ctest with the Python
# of the venv that has the gtrain package installed (scripts/python_venv.sh,
# which CI runs): $GTRAIN_PYTHON, else $GTRAIN_PYTHON_ENV/bin/python. Without
# such a Python the test reports itself skipped (exit 77) saying how to make
# one. The installed package must be this tree's: an older install fails
# with the command that updates it. $1: the gtrain command, $2: the test.
set -u
gtrain=$1 test=$2
py=${GTRAIN_PYTHON:-${GTRAIN_PYTHON_ENV:-}/bin/python}
how="bash scripts/python_venv.sh ${GTRAIN_PYTHON_ENV:-build/pyvenv}"
if [ ! -x "$py" ]; then
  echo "SKIPPED: no Python environment with the gtrain package at ${GTRAIN_PYTHON_ENV:-(none)} ($how)"
  exit 77
fi
if ! where=$("$py" -c 'import gtrain, os; print(os.path.dirname(gtrain.__file__))' 2>&1); then
  echo "SKIPPED: $py cannot import gtrain: $(echo "$where" | tail -1) ($how)"
  exit 77
fi
src="$GTRAIN_SOURCE_DIR/src/python/gtrain"
for f in "$src"/*.py; do
  if ! cmp -s "$f" "$where/$(basename "$f")"; then
    echo "FAIL: the installed package ($where) is not this tree's: $(basename "$f") differs; update it: $how"
    exit 1
  fi
done
export GTRAIN_CLI="$gtrain" PYTHONPATH="$GTRAIN_SOURCE_DIR/tests/python"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
"$py" "$test"

# Sourced by the shell tests that build HDF5 files with h5py: exits 77
# (skipped) with one line when gtrain was built without HDF5 or no python3
# with h5py and numpy is at hand; otherwise sets $py, $kf (keras_files.py)
# and $tmp (removed on exit).
if "$gtrain" evaluate --weights /nonexistent.h5 2>&1 | grep -q "built without HDF5"; then
  echo "SKIPPED: gtrain was built without HDF5"
  exit 77
fi
py=""
for candidate in ${GTRAIN_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import h5py, numpy' 2>/dev/null; then
    py="$candidate"
    break
  fi
done
if [ -z "$py" ]; then
  echo "SKIPPED: no python3 with h5py and numpy (apt-get install python3-h5py)"
  exit 77
fi
kf="$GTRAIN_SOURCE_DIR/tests/keras_files.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check DESCRIPTION -- command...: the command must succeed
  local what=$1; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local code=$?
  if [ $code -ne 0 ]; then
    echo "FAIL: $what (exit $code)"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}

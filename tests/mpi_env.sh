# Sourced by the data-parallel tests (tests/dist_*.sh) after setting
# $gtrain: exits 77 (skipped) with one line when there is no mpirun or gtrain
# was built without MPI; then hdf5_env.sh (h5py, $tmp, check) and
#   ranks N ARGS...  gtrain ARGS under mpirun with N ranks, one thread each,
#                    bounded by a timeout so that a hang fails instead
#   df               tests/dist_files.py (models, weight comparisons)
mpiexec="${GTRAIN_MPIEXEC:-}"
case "$mpiexec" in *NOTFOUND*) mpiexec="" ;; esac
[ -n "$mpiexec" ] || mpiexec="$(command -v mpirun || true)"
if [ -z "$mpiexec" ] || [ ! -x "$mpiexec" ]; then
  echo "SKIPPED: no mpirun (apt-get install openmpi-bin libopenmpi-dev)"
  exit 77
fi
if ! "$gtrain" --version | grep -q "data-parallel over MPI: yes"; then
  echo "SKIPPED: gtrain was built without MPI (GTRAIN_MPI=OFF or no libopenmpi-dev)"
  exit 77
fi
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
mpi_flags=(--oversubscribe -x OMP_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && mpi_flags+=(--allow-run-as-root)
# Open MPI's own allocations at exit are not gtrain's leaks; the fault
# library (not sanitized) may be preloaded in front of a sanitized gtrain
[ -n "${ASAN_OPTIONS:-}" ] &&
  mpi_flags+=(-x "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0:verify_asan_link_order=0")
ranks() {
  local n=$1; shift
  timeout 120 "$mpiexec" "${mpi_flags[@]}" -np "$n" "$gtrain" "$@"
}
df() { "$py" "$GTRAIN_SOURCE_DIR/tests/dist_files.py" "$@"; }

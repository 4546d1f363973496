#!/usr/bin/env bash
# scripts/gpu_check.sh keeps what it measured when things go wrong, as it must
# on a GPU machine lent for minutes:
# - fail fast: a build broken by a deliberately bad compiler flag stops the
#   run at once (no test or benchmark part runs), exit 1, and the bundle still
#   holds the report, which names the failed part and quotes its log;
# - the trap: SIGTERM in the middle of a run ends it with exit 143 and still
#   writes the report (saying it was interrupted) and the bundle.
# Needs nvcc (the run builds the CUDA backend) and what `stage` copies.
set -u
source "$GTRAIN_SOURCE_DIR/tests/gpu_check_env.sh"
fail=0

# ---- fail fast on a broken build ----
# The flag is only in the Release flags, so configure (whose compiler checks
# do not use them) passes and the first compiled file fails.
start=$SECONDS
bash "$script" run --dry-run --out "$tmp/ff" --bundle "$tmp/ff.tar.gz" --build-dir "$tmp/build-ff" \
  --cmake-arg "-DCMAKE_C_FLAGS_RELEASE=-include/nonexistent/gtrain_broken.h" >"$tmp/ff.log" 2>&1
code=$?
took=$((SECONDS - start))
[ $code = 1 ] || { echo "FAIL: a broken build exited $code, expected 1"; fail=1; }
report="$tmp/ff/report.md"
grep -q "Stopped: build failed" "$report" 2>/dev/null ||
  { echo "FAIL: the report does not say the build failed"; cat "$report" 2>/dev/null; fail=1; }
grep -q "| build | FAILED" "$report" 2>/dev/null || { echo "FAIL: no failed build row"; fail=1; }
grep -q "gtrain_broken.h" "$report" 2>/dev/null ||
  { echo "FAIL: the report does not quote the build log"; fail=1; }
if grep -qE "\| (ctest|fit|bench)" "$report" 2>/dev/null; then
  echo "FAIL: parts ran after the failed build"; fail=1
fi
[ -f "$tmp/report.md" ] || { echo "FAIL: report.md not copied beside the bundle"; fail=1; }
tar tzf "$tmp/ff.tar.gz" 2>/dev/null | grep -q "ff/logs/01_build.log" ||
  { echo "FAIL: the bundle lacks the build log"; tar tzf "$tmp/ff.tar.gz"; fail=1; }
echo "fail fast: exit $code after ${took}s"

# ---- SIGTERM during a run: the trap writes the report and the bundle ----
rm -f "$tmp/report.md"
bash "$script" run --dry-run --out "$tmp/int" --bundle "$tmp/int.tar.gz" --build-dir "$tmp/build-int" \
  >"$tmp/int.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do # until the build has started (at most 60 s)
  grep -q "^== build" "$tmp/int.log" 2>/dev/null && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill -TERM $pid 2>/dev/null
for _ in $(seq 1 300); do # it must be gone within 30 s
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
if kill -0 $pid 2>/dev/null; then
  echo "FAIL: still running 30 s after SIGTERM"; kill -KILL $pid; fail=1
fi
wait $pid
code=$?
[ $code = 143 ] || { echo "FAIL: SIGTERM gave exit $code, expected 143"; tail -5 "$tmp/int.log"; fail=1; }
grep -q "Interrupted by SIGTERM" "$tmp/int/report.md" 2>/dev/null ||
  { echo "FAIL: the report does not say it was interrupted"; cat "$tmp/int/report.md" 2>/dev/null; fail=1; }
tar tzf "$tmp/int.tar.gz" 2>/dev/null | grep -q "int/report.md" ||
  { echo "FAIL: no bundle after SIGTERM"; fail=1; }
pgrep -f "$tmp/build-int" >/dev/null && { echo "FAIL: a part kept running after the script ended"; fail=1; }
echo "SIGTERM: exit $code"

[ $fail = 0 ] && echo "gpu_check.sh fails fast and keeps its report"
exit $fail

#!/usr/bin/env bash
# gpu_check.sh: the one command to run whenever a GPU is at hand.
#
#   scripts/gpu_check.sh stage                       (development machine)
#   scripts/gpu_check.sh run --out DIR --bundle F    (GPU machine, ~5 minutes)
#   scripts/gpu_check.sh run --dry-run --out DIR     (any machine: proves the script)
#   scripts/gpu_check.sh simulate --out DIR          (any machine with nvcc: builds in
#                                                      the GPU machine's library layout)
#
# The GPU machine is lent rarely and briefly (15 minutes of device time in all,
# its start included; 10 minutes per command; 8 files back). So `run`:
# - builds where nothing is known: no -Werror, Ninja when present, cuDNN and
#   cuBLAS from the toolkit or NVIDIA's wheels (CMakeLists.txt), their folders
#   on every binary's run path, and `ldd` of every binary before anything runs;
# - fails fast: a failed configure, build or ldd check stops the run at once,
#   with its log in the bundle;
# - keeps what it measured: every part has its own time limit inside one
#   overall budget (--budget, 300 s by default, so a second run fits in the
#   same 15 minutes), CSV rows are flushed as they are measured, and a trap
#   writes report.md and the bundle on any exit (also on SIGTERM/SIGINT);
# - runs the parts by value: build, ctest -L gpu, VGG-16 fit (notebook
#   recipe), a short step-time sweep, the PyTorch eager anchor, per-op times,
#   then torch.compile and the full batch-size sweep only if time is left.
# The report format is described in README.md ("GPU check").
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAGE="${GTRAIN_GPU_STAGE:-$ROOT/.gpu_stage}"
# zoo model -> torch_gpu_bench.py model key (models without one are gtrain-only)
declare -A TORCH_KEY=([vgg16]=A [mlp-fmnist]=B [cnn-fmnist]=C [cnn-signs]=D [cnn-mnist]=E)
SHORT_MODELS=(vgg16 cnn-fmnist)
FULL_BATCHES=1,16,32,64,100,128,256,512
RESERVE=12 # seconds kept for the report and the bundle

usage() {
    cat <<'EOF'
usage: scripts/gpu_check.sh stage
       scripts/gpu_check.sh run --out DIR [--bundle FILE.tar.gz] [--budget SECONDS]
                                [--fit-epochs N] [--dry-run] [--build-dir DIR]
                                [--cmake-arg ARG]...
       scripts/gpu_check.sh simulate --out DIR [--build-dir DIR] [--cmake-arg ARG]...
       scripts/gpu_check.sh --help

stage      (development machine) copy into .gpu_stage/ (or $GTRAIN_GPU_STAGE):
           Fashion-MNIST's four .gz files, ../shared/anchors/torch_gpu_bench.py,
           cJSON's header and library, pkg-config (pkgconf) and zlib's headers
           and library, and the commit id of the working tree.
run        (GPU machine) fresh Release build into build-gpu-check/, then, in
           this order, each part under its own time limit: ldd of every
           binary; ctest -L gpu (per-test timeout); on a machine with several
           GPUs, mpirun over all of them (one process vs N ranks, bench);
           gtrain fit VGG-16 on
           Fashion-MNIST (notebook recipe); gtrain bench of vgg16 and
           cnn-fmnist in fp32 and tf32, eager and --cuda-graph, at batch 32
           and 100; torch_gpu_bench.py eager at 32/100; bench_ops per-op
           times of VGG-16 at batch 100; then, if time is left,
           torch.compile for VGG-16 and the full sweep (every zoo model,
           tf32, batch 1..512). Writes DIR/report.md, CSVs and logs/.
simulate   (any machine with nvcc) builds a copy of the GPU machine's library
           layout under DIR/sim (a CUDA toolkit without cuDNN, cuBLAS with
           versioned names only, cuDNN, cuBLAS and NCCL in wheel folders
           nvidia/cudnn, nvidia/cu13 and nvidia/nccl, no OpenBLAS/oneDNN/HDF5, staged
           cJSON, a newer compiler's warning turned on), then configures,
           builds and ldd-checks exactly as `run` does and checks that the
           binaries load cuDNN and cuBLAS from the wheel folders.
  --out DIR        where report.md, CSVs and logs/ go (created)
  --bundle FILE    also pack DIR into FILE (.tar.gz) and copy report.md beside
                   it; on the device machine: --bundle $OUT/gpu_check.tar.gz
  --budget S       seconds for the whole run [300; dry run 3000]
  --fit-epochs N   epochs of the VGG-16 fit [10, the notebook's]; a fit cut by
                   its time limit keeps the epochs it finished (history CSV)
  --dry-run        no GPU needed: the same parts on --device cpu with tiny
                   settings (gpu tests skip, graphs are skipped) and
                   torch_gpu_bench.py --dry-run; a failed part fails the run
  --build-dir DIR  where to build [build-gpu-check/; simulate: DIR/build]; removed first
  --cmake-arg ARG  one more argument for the configure step (repeatable)
Exit status: 0 when every part ran (on a GPU machine a failed test part is
reported, not fatal); 1 when configure, build or ldd failed, or a dry-run
part failed; 2 for usage errors; 130/143 when interrupted (bundle written).
EOF
}

die() {
    echo "gpu_check.sh: error: $*" >&2
    exit 2
}

# ---------------------------------------------------------------- stage ----

copy_lib() { # copy a shared library and its versioned names, dereferenced
    local pattern=$1 dest=$2 found=0 f
    for f in $pattern; do
        [ -e "$f" ] || continue
        cp -L "$f" "$dest/"
        found=1
    done
    [ $found = 1 ] || die "no file matches $pattern"
}

stage() {
    local fm=/usr/share/datasets/fashion-mnist
    local anchor="$ROOT/../shared/anchors/torch_gpu_bench.py"
    local multiarch f
    multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    local libdir=/usr/lib/$multiarch
    mkdir -p "$STAGE/fashion-mnist" "$STAGE/cjson/include/cjson" "$STAGE/cjson/lib" \
        "$STAGE/zlib/include" "$STAGE/zlib/lib" "$STAGE/pkgconf/bin" "$STAGE/pkgconf/lib" ||
        die "cannot create $STAGE"

    for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
        t10k-labels-idx1-ubyte.gz; do
        [ -f "$fm/$f" ] || die "$fm/$f is missing (install the dataset-fashion-mnist package)"
        cp "$fm/$f" "$STAGE/fashion-mnist/"
    done
    [ -f "$anchor" ] || die "$anchor is missing"
    cp "$anchor" "$STAGE/torch_gpu_bench.py"

    # cJSON: CMake takes -DCJSON_ROOT=<prefix> with include/cjson/cJSON.h and lib/libcjson.so*.
    [ -f /usr/include/cjson/cJSON.h ] || die "cJSON's header is missing (apt-get install libcjson-dev)"
    cp /usr/include/cjson/cJSON.h "$STAGE/cjson/include/cjson/"
    copy_lib "$libdir/libcjson.so*" "$STAGE/cjson/lib"
    # zlib (find_package(ZLIB REQUIRED)): headers and library, used only when
    # the GPU machine has no zlib.h of its own.
    cp /usr/include/zlib.h /usr/include/zconf.h "$STAGE/zlib/include/" 2>/dev/null ||
        cp /usr/include/zlib.h "/usr/include/$multiarch/zconf.h" "$STAGE/zlib/include/"
    copy_lib "$libdir/libz.so*" "$STAGE/zlib/lib"
    # pkg-config (find_package(PkgConfig REQUIRED)): pkgconf and its library,
    # called through a wrapper that finds the library.
    cp -L "$(command -v pkg-config)" "$STAGE/pkgconf/bin/pkgconf.bin"
    copy_lib "$libdir/libpkgconf.so*" "$STAGE/pkgconf/lib"
    cat >"$STAGE/pkgconf/bin/pkg-config" <<'EOF'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$here/../lib" exec "$here/pkgconf.bin" "$@"
EOF
    chmod +x "$STAGE/pkgconf/bin/pkg-config"

    # The device copy of the tree has no .git: record what is being tested.
    {
        git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown
        if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then echo "(plus uncommitted changes)"; fi
    } >"$STAGE/COMMIT"
    echo "staged into $STAGE ($(du -sh "$STAGE" | cut -f1)):"
    (cd "$STAGE" && find . -type f | sort | sed 's/^/  /')
}

# ------------------------------------------------------------- parts -------

START=$(date +%s)
BUDGET=300
OUT="" LOGS="" BUNDLE="" MODE=run DRY=0
CHILD="" CURRENT_PART="" FINISHED=0 INTERRUPTED="" FATAL=""
declare -a PART_NAMES=() PART_RESULTS=() PART_SECS=() PART_LOGS=() FAILED_PARTS=()

elapsed() { echo $(($(date +%s) - START)); }
left() { echo $((BUDGET - $(elapsed) - RESERVE)); }

# One line of the parts table; `log` is kept for the failure excerpt.
record() { # record NAME RESULT SECONDS LOG
    PART_NAMES+=("$1")
    PART_RESULTS+=("$2")
    PART_SECS+=("$3")
    PART_LOGS+=("$4")
}

slug() { echo "$1" | tr -c 'A-Za-z0-9.\n-' '_' | tr -s '_'; }

# part NAME LIMIT -- COMMAND...: runs COMMAND under `timeout` with LIMIT cut to
# what is left of the budget, its output in logs/NN_NAME.log. Returns the
# command's status (124 = timed out); never exits the script. The command
# runs in the background and the script waits for it, so a signal reaches the
# trap at once instead of after the part.
part() {
    local name=$1 want=$2
    shift 3
    local n=${#PART_NAMES[@]}
    local log
    log="$LOGS/$(printf '%02d' "$n")_$(slug "$name").log"
    local secs
    secs=$(left)
    [ "$secs" -gt "$want" ] && secs=$want
    if [ "$secs" -lt 3 ]; then
        record "$name" "skipped: out of time" 0 ""
        echo "== $name: skipped, out of time"
        return 125
    fi
    echo "== $name (limit ${secs}s, log logs/$(basename "$log"))"
    echo "\$ $*" >"$log"
    # `timeout` runs programs: a function of this script runs in a child bash
    if declare -F "$1" >/dev/null; then
        # shellcheck disable=SC2163 # (exports the function named by $1)
        export -f "$1"
        set -- bash -c '"$@"' _ "$@"
    fi
    local t0=$SECONDS rc=0
    CURRENT_PART="$name|$log|$t0"
    timeout --kill-after=5 "$secs" "$@" >>"$log" 2>&1 </dev/null &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD="" CURRENT_PART=""
    local took=$((SECONDS - t0)) result
    case $rc in
    0) result=ok ;;
    124 | 137) result="TIMED OUT after ${secs}s" ;;
    77) result="skipped (exit 77)" ;;
    *) result="FAILED (exit $rc)" ;;
    esac
    record "$name" "$result" "$took" "$log"
    echo "   $result in ${took}s"
    case $rc in 0 | 77) ;; *) FAILED_PARTS+=("$name") ;; esac
    return $rc
}

skip() { # skip NAME REASON
    record "$1" "skipped: $2" 0 ""
    echo "== $1: skipped, $2"
}

# A part that the rest depends on: on failure the run stops here.
fatal_part() {
    local name=$1
    part "$@" && return 0
    FATAL="$name"
    echo "gpu_check.sh: $name failed: stopping (log in the bundle)" >&2
    exit 1
}

csv_to_md() { # csv_to_md FILE: a CSV as a markdown table (raw when python fails)
    timeout 20 python3 - "$1" <<'EOF' 2>/dev/null || { echo '```'; cat "$1"; echo '```'; }
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
if not rows: sys.exit(0)
print("| " + " | ".join(rows[0]) + " |")
print("|" + "---|" * len(rows[0]))
for r in rows[1:]: print("| " + " | ".join(r) + " |")
EOF
}

write_report() {
    local f i
    {
        echo "# gtrain GPU check$([ "$DRY" = 1 ] && echo ' (DRY RUN: no GPU, CLI parts on the CPU with tiny settings)')"
        echo
        if [ -n "$INTERRUPTED" ]; then echo "**Interrupted by $INTERRUPTED after $(elapsed) s.**"; echo; fi
        if [ -n "$FATAL" ]; then echo "**Stopped: $FATAL failed.**"; echo; fi
        echo '```'
        cat "$OUT/environment.txt" 2>/dev/null
        echo "total seconds: $(elapsed) (budget $BUDGET)"
        echo '```'
        echo
        echo "## Parts"
        echo
        echo "| # | part | result | seconds |"
        echo "|---|---|---|---|"
        for i in "${!PART_NAMES[@]}"; do
            echo "| $i | ${PART_NAMES[$i]} | ${PART_RESULTS[$i]} | ${PART_SECS[$i]} |"
        done
        # the last lines of every part that did not end ok
        for i in "${!PART_NAMES[@]}"; do
            case ${PART_RESULTS[$i]} in ok | skipped*) continue ;; esac
            [ -n "${PART_LOGS[$i]}" ] && [ -f "${PART_LOGS[$i]}" ] || continue
            echo
            echo "### ${PART_NAMES[$i]}: ${PART_RESULTS[$i]} (last lines of logs/$(basename "${PART_LOGS[$i]}"))"
            echo
            echo '```'
            tail -n 25 "${PART_LOGS[$i]}" | tr '\r' '\n' | tail -n 25
            echo '```'
        done
        echo
        echo "## Tests (ctest -L gpu)"
        echo
        echo '```'
        f=$(ls "$LOGS"/*_ctest* 2>/dev/null | head -1)
        if [ -n "$f" ]; then
            grep -E "tests passed|tests failed|Test +#|\(Failed\)|\(Timeout\)|Skipped|\*\*\*" "$f" | tail -30
        else echo "not run"; fi
        echo '```'
        echo
        echo "## Fit: $([ "$DRY" = 1 ] && echo 'cnn-fmnist, 2 steps' || echo "VGG-16 on Fashion-MNIST, notebook recipe, $FIT_EPOCHS epochs asked") (gtrain fit, history)"
        echo
        if [ -s "$OUT/fit_history.csv" ]; then csv_to_md "$OUT/fit_history.csv"; else echo "no history written"; fi
        f=$(ls "$LOGS"/*_fit_* 2>/dev/null | head -1)
        if [ -n "$f" ]; then
            echo
            echo '```'
            tr '\r' '\n' <"$f" | grep -v '^\s*$' | tail -n 4
            echo '```'
        fi
        echo
        echo "## Step time vs batch size (gtrain bench)"
        echo
        echo "One row per model, backend, precision, graph and batch size; median, min and max"
        echo "ms of full training steps on synthetic data, warm-up excluded."
        echo
        if [ -s "$OUT/bench_all.csv" ]; then csv_to_md "$OUT/bench_all.csv"; else echo "no bench results"; fi
        echo
        echo "## PyTorch anchor (torch_gpu_bench.py)"
        echo
        for f in "$OUT"/torch_gpu*.md; do [ -s "$f" ] && cat "$f" && echo; done
        ls "$OUT"/torch_gpu*.md >/dev/null 2>&1 || echo "not run"
        echo
        echo "## Per-op times (bench_ops)"
        echo
        echo "Median and min ms of each backend op on the model's layer shapes, GFLOP/s (conv,"
        echo "GEMM) or GB/s; each op first checked against cpu-reference (column check)."
        for f in "$OUT"/bench_ops_*.csv; do
            [ -s "$f" ] || continue
            echo
            echo "### $(basename "$f" .csv)"
            echo
            csv_to_md "$f"
        done
        ls "$OUT"/bench_ops_*.csv >/dev/null 2>&1 || echo "not run"
    } >"$OUT/report.md" 2>/dev/null
}

# The combined bench CSV: the per-run files with a config column in front.
merge_bench() {
    local first=1 f cfg
    for f in "$OUT"/bench/*.csv; do
        [ -s "$f" ] || continue
        cfg=$(basename "$f" .csv)
        cfg=${cfg#bench_}
        if [ $first = 1 ]; then
            echo "config,$(head -1 "$f")"
            first=0
        fi
        tail -n +2 "$f" | sed "s/^/$cfg,/"
    done >"$OUT/bench_all.csv" 2>/dev/null
}

# Runs on every exit: stops a running part, writes the report and the bundle.
finish() {
    local rc=$1
    [ "$FINISHED" = 1 ] && return
    FINISHED=1
    if [ -n "$CHILD" ]; then
        kill -TERM "$CHILD" 2>/dev/null
        wait "$CHILD" 2>/dev/null
        # timeout leads a process group of its own and signalled all of it, but
        # waited for its command only: the command's children (a compiler under
        # ninja) may still be exiting. None outlives the script: up to 5 s, then KILL.
        local tenths=0
        while kill -0 -- -"$CHILD" 2>/dev/null && [ "$tenths" -lt 50 ]; do
            sleep 0.1
            tenths=$((tenths + 1))
        done
        kill -KILL -- -"$CHILD" 2>/dev/null
    fi
    if [ -n "$CURRENT_PART" ]; then # the part a signal cut short
        local name=${CURRENT_PART%%|*} rest=${CURRENT_PART#*|}
        record "$name" "INTERRUPTED (${INTERRUPTED:-signal})" $((SECONDS - ${rest#*|})) "${rest%|*}"
    fi
    [ -n "${TORCH_VERSION_PID:-}" ] && kill "$TORCH_VERSION_PID" 2>/dev/null
    [ -n "$OUT" ] || exit "$rc"
    merge_bench
    write_report
    if [ -n "$BUNDLE" ]; then
        mkdir -p "$(dirname "$BUNDLE")"
        tar czf "$BUNDLE" -C "$(dirname "$OUT")" "$(basename "$OUT")" 2>/dev/null &&
            echo "bundled into $BUNDLE ($(du -h "$BUNDLE" | cut -f1))"
        [ "$(cd "$(dirname "$BUNDLE")" && pwd)" = "$OUT" ] || cp "$OUT/report.md" "$(dirname "$BUNDLE")/report.md"
    fi
    echo "report: $OUT/report.md (total $(elapsed)s, exit $rc)"
    exit "$rc"
}

on_signal() { # the EXIT trap writes the report
    INTERRUPTED=$1
    echo "gpu_check.sh: interrupted by $1" >&2
    [ "$1" = SIGINT ] && exit 130
    exit 143
}

parse_run_options() {
    CMAKE_EXTRA=()
    FIT_EPOCHS=10
    local budget_given=""
    while [ $# -gt 0 ]; do
        case $1 in
        --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
        --bundle) [ $# -ge 2 ] || die "--bundle needs a file"; BUNDLE=$2; shift 2 ;;
        --budget)
            [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || die "--budget needs seconds"
            budget_given=$2; shift 2 ;;
        --fit-epochs)
            [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--fit-epochs needs a positive count"
            FIT_EPOCHS=$2; shift 2 ;;
        --dry-run) DRY=1; shift ;;
        --cmake-arg) [ $# -ge 2 ] || die "--cmake-arg needs an argument"; CMAKE_EXTRA+=("$2"); shift 2 ;;
        --build-dir) [ $# -ge 2 ] || die "--build-dir needs a directory"; BUILD=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
        esac
    done
    [ -n "$OUT" ] || die "$MODE needs --out DIR"
    [ $DRY = 1 ] && BUDGET=3000 # CI compiles on 2 cores; the 300 s are the GPU's
    [ "$MODE" = simulate ] && BUDGET=3000
    [ -n "$budget_given" ] && BUDGET=$budget_given
    case $BUILD in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
    if [ -n "$BUNDLE" ]; then
        case $BUNDLE in /*) ;; *) BUNDLE="$PWD/$BUNDLE" ;; esac
    fi
    mkdir -p "$OUT/logs" "$OUT/bench" || die "cannot create $OUT"
    OUT=$(cd "$OUT" && pwd)
    LOGS="$OUT/logs"
    [ -d "$STAGE/cjson" ] || die "$STAGE is missing: run 'scripts/gpu_check.sh stage' first"
    trap 'finish $?' EXIT
    trap 'on_signal SIGTERM' TERM
    trap 'on_signal SIGINT' INT
}

# ------------------------------------------------------------- build -------

BUILD="$ROOT/build-gpu-check"

# configure + build + ldd, as on the GPU machine; extra cmake arguments in
# CMAKE_EXTRA. Any failure stops the run (fatal_part).
build_all() {
    local cmake_args=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGTRAIN_CUDA=ON
        -DCJSON_ROOT="$STAGE/cjson")
    # CI keeps warnings as errors; an unknown compiler on the GPU machine must not.
    [ $DRY = 1 ] && cmake_args+=(-DGTRAIN_WERROR=ON) || cmake_args+=(-DGTRAIN_WERROR=OFF)
    command -v ninja >/dev/null 2>&1 && cmake_args+=(-G Ninja)
    [ -f /usr/include/zlib.h ] || cmake_args+=(-DZLIB_ROOT="$STAGE/zlib")
    command -v pkg-config >/dev/null 2>&1 || cmake_args+=(-DPKG_CONFIG_EXECUTABLE="$STAGE/pkgconf/bin/pkg-config")
    # Compile the kernels for this GPU only (half the nvcc time of 80;90).
    if [ $DRY = 0 ] && [ -n "${GPU_ARCH:-}" ]; then cmake_args+=(-DCMAKE_CUDA_ARCHITECTURES="$GPU_ARCH"); fi
    cmake_args+=("${CMAKE_EXTRA[@]}")
    rm -rf "$BUILD"
    fatal_part "configure" 90 -- cmake "${cmake_args[@]}"
    {
        grep -E "gtrain: " "$LOGS"/*_configure.log | sed 's/^.*-- //'
        local inc
        inc=$(grep -E '^CUDNN_INCLUDE_DIR:' "$BUILD/CMakeCache.txt" 2>/dev/null | cut -d= -f2)
        [ -n "$inc" ] && grep -E "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) " "$inc/cudnn_version.h" 2>/dev/null |
            awk '{printf "%s%s", (NR>1?".":"cudnn (build headers): "), $3} END {print ""}'
    } >>"$OUT/environment.txt"
    local build_secs=300
    [ $DRY = 1 ] && build_secs=1800
    fatal_part "build" $build_secs -- cmake --build "$BUILD" -j "$(nproc)"
    fatal_part "ldd" 30 -- check_libraries "$BUILD"
    sed -n "/^gtrain's libraries:/,\$p" "$LOGS"/*_ldd.log >>"$OUT/environment.txt"
}

# Every ELF executable of the build resolves all its libraries; lists where
# the CUDA libraries of gtrain come from.
check_libraries() {
    local dir=$1 f missing=0 count=0
    while IFS= read -r f; do
        head -c 4 "$f" 2>/dev/null | grep -q 'ELF' || continue
        count=$((count + 1))
        if ldd "$f" 2>&1 | grep -q "not found"; then
            echo "$f:"
            ldd "$f" 2>&1 | grep "not found"
            missing=1
        fi
    done < <(find "$dir" -type f -perm -u+x ! -name '*.so*' ! -path '*/CMakeFiles/*')
    echo "checked $count executables"
    echo "gtrain's libraries:"
    ldd "$dir/gtrain" 2>&1 | grep -E "cudnn|cublas|nccl|mpi|cjson|libz|openblas|dnnl|hdf5|gomp" | sed 's/^\s*/  /'
    readelf -d "$dir/gtrain" 2>/dev/null | grep -E "RUNPATH|RPATH" | sed 's/^.*\[/  run path: [/'
    [ $count -gt 0 ] || { echo "no executables found under $dir"; return 1; }
    return $missing
}

environment() {
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || tr '\n' ' ' <"$STAGE/COMMIT" 2>/dev/null || echo unknown)"
        echo "host: $(uname -n) $(uname -r), $(nproc) cores"
        if command -v nvidia-smi >/dev/null 2>&1; then
            timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap \
                --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
        else
            echo "gpu: nvidia-smi not found"
        fi
        echo "nvcc: $(timeout 20 nvcc --version 2>/dev/null | grep -o 'release [0-9.]*, V[0-9.]*' || echo 'not found')"
        echo "cmake: $(cmake --version 2>/dev/null | head -1)"
        echo "c compiler: $(cc --version 2>/dev/null | head -1)"
        echo "ninja: $(ninja --version 2>/dev/null || echo 'not found')"
    } >"$OUT/environment.txt"
    cat "$OUT/environment.txt"
    GPU_ARCH=""
    if [ $DRY = 0 ] && command -v nvidia-smi >/dev/null 2>&1; then
        GPU_ARCH=$(timeout 20 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
            head -1 | tr -d ' .')
        [[ $GPU_ARCH =~ ^[0-9]+$ ]] || GPU_ARCH=""
    fi
}

# torch's versions, asked in the background while the build runs (the import
# alone can take tens of seconds on a cold machine).
torch_versions_start() {
    (
        rc=0
        timeout 60 python3 -c 'import torch; print("torch:", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "gpu", torch.cuda.is_available())' \
            >"$OUT/torch_version.txt" 2>&1 || rc=$?
        if [ $rc = 124 ]; then
            echo "torch: import timed out after 60 s" >>"$OUT/torch_version.txt"
        elif [ $rc != 0 ]; then
            echo "torch: not importable: $(grep -v '^\s*$' "$OUT/torch_version.txt" | tail -1)" >>"$OUT/torch_version.txt"
        fi
    ) &
    TORCH_VERSION_PID=$!
}
torch_versions_join() {
    wait "$TORCH_VERSION_PID" 2>/dev/null
    grep -E "^torch" "$OUT/torch_version.txt" | tail -1 >>"$OUT/environment.txt"
}

# ------------------------------------------------------------------ run ----

# Data-parallel training over N ranks, one per GPU (NCCL) or on the CPU in
# a dry run: the same fit of cnn-fmnist-bn (fp32, small gradient buckets so
# that several sums overlap backward, BatchNormalization's statistics summed
# over the ranks) in one process and over N ranks gives the same test loss
# within 1e-3 relative (the sums add the shares in another order), then
# bench under mpirun prints per-rank and global throughput at N times the
# given per-rank batches. Needs mpirun and a gtrain built with MPI.
multi_rank() { # multi_rank GTRAIN DEVICE N DATA_DIR CSV BENCH_MODEL BATCH...
    local gt=$1 device=$2 n=$3 data=$4 csv=$5 bench_model=$6 flags=(--oversubscribe) out a b
    shift 6
    local rank_batches=() x
    for x in "$@"; do rank_batches+=("$((x * n))"); done
    [ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
    # fit ends with the test set's loss (evaluated over the ranks, printed by rank 0)
    local fit=(fit --model cnn-fmnist-bn --device "$device" --precision fp32 --data-dir "$data"
        --epochs 1 --steps-per-epoch 20 --batch-size 64 --validation none --seed 5)
    out=$("$gt" "${fit[@]}") || return 1
    a=$(echo "$out" | grep -o "test: loss: [0-9.]*" | tail -1 | cut -d' ' -f3)
    out=$(mpirun "${flags[@]}" -np "$n" "$gt" "${fit[@]}" --bucket-size 4K) || return 1
    b=$(echo "$out" | grep -o "test: loss: [0-9.]*" | tail -1 | cut -d' ' -f3)
    echo "test loss: one process $a, $n ranks $b"
    awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
        exit !(a != "" && b != "" && d <= 1e-3 * (m > 1 ? m : 1)) }' ||
        { echo "FAIL: $n ranks trained other weights than one process"; return 1; }
    mpirun "${flags[@]}" -np "$n" "$gt" bench --model "$bench_model" --device "$device" \
        --batch-sizes "$(IFS=,; echo "${rank_batches[*]}")" --steps 5 --warmup 1 --csv "$csv" || return 1
}

run() {
    MODE=run
    parse_run_options "$@"
    [ -d "$STAGE/fashion-mnist" ] || die "$STAGE/fashion-mnist is missing: run 'scripts/gpu_check.sh stage' first"
    # Staged Debian libraries are a last resort, after whatever the machine has.
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$STAGE/cjson/lib:$STAGE/zlib/lib"
    export PYTHONUNBUFFERED=1

    environment
    torch_versions_start
    build_all
    torch_versions_join
    local gt="$BUILD/gtrain"
    "$gt" bench --help >/dev/null 2>&1 || { FATAL="gtrain does not start"; exit 1; }

    local device=cuda
    [ $DRY = 1 ] && device=cpu
    # on the GPU machine a skipped gpu test means a broken setup: make it fail
    local require_gpu=1
    [ $DRY = 1 ] && require_gpu=0
    part "ctest -L gpu" 150 -- env GTRAIN_REQUIRE_GPU=$require_gpu \
        ctest --test-dir "$BUILD" -L gpu --output-on-failure --timeout 100

    # every GPU of the machine over mpirun (one rank per GPU, NCCL); one GPU:
    # its one-rank NCCL path is gpu_nccl in ctest -L gpu above
    local gpus=1 mpi=1
    [ $DRY = 1 ] || gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
    [ $DRY = 1 ] && gpus=2 # the same commands over 2 CPU ranks prove the part
    command -v mpirun >/dev/null || mpi=0
    "$gt" --version 2>/dev/null | grep -q "data-parallel over MPI: yes" || mpi=0
    if [ "$gpus" -lt 2 ]; then
        skip "mpirun over the GPUs" "one GPU on this machine"
    elif [ $mpi = 0 ]; then
        skip "mpirun over the GPUs" "no mpirun, or gtrain built without MPI"
    else
        local secs=120 bench=(vgg16 32 100)
        [ $DRY = 1 ] && secs=600 bench=(cnn-fmnist 2)
        part "mpirun $gpus ranks ($device)" $secs -- multi_rank "$gt" "$device" "$gpus" \
            "$STAGE/fashion-mnist" "$OUT/bench_${gpus}ranks.csv" "${bench[@]}"
    fi

    # VGG-16, the notebook's recipe (batch 100, validation on the test set)
    if [ $DRY = 1 ]; then
        # two steps of the small CNN on the CPU prove the command line and the data path
        part "fit cnn-fmnist" 600 -- "$gt" fit --model cnn-fmnist --device cpu \
            --data-dir "$STAGE/fashion-mnist" --history "$OUT/fit_history.csv" --epochs 1 \
            --steps-per-epoch 2 --validation none
    else
        part "fit vgg16 ($FIT_EPOCHS epochs)" 150 -- "$gt" fit --model vgg16 --device cuda \
            --data-dir "$STAGE/fashion-mnist" --epochs "$FIT_EPOCHS" --history "$OUT/fit_history.csv"
    fi
    local done_epochs
    done_epochs=$(($(wc -l <"$OUT/fit_history.csv" 2>/dev/null || echo 1) - 1))
    [ "$done_epochs" -lt 0 ] && done_epochs=0
    echo "fit: $done_epochs epoch(s) in the history" >>"$OUT/environment.txt"

    # the short sweep: fp32/tf32, eager and graph, at the notebooks' batch sizes
    local m p g batches=32,100 steps=(--steps 10 --warmup 2)
    [ $DRY = 1 ] && batches=1,2 steps=(--steps 1 --warmup 0)
    for m in "${SHORT_MODELS[@]}"; do
        for p in fp32 tf32; do
            for g in eager graph; do
                local name="bench $m $p $g" extra=(--precision "$p")
                if [ $DRY = 1 ]; then
                    [ "$p" = tf32 ] && { skip "$name" "dry run (tf32 needs a GPU)"; continue; }
                    [ "$g" = graph ] && { skip "$name" "dry run (CUDA graphs need a GPU)"; continue; }
                fi
                [ "$g" = graph ] && extra+=(--cuda-graph)
                local secs=15
                [ "$m" = vgg16 ] && secs=30
                [ $DRY = 1 ] && secs=120
                part "$name" $secs -- "$gt" bench --model "$m" --device "$device" "${extra[@]}" \
                    --batch-sizes "$batches" "${steps[@]}" --csv "$OUT/bench/bench_${m}_${p}_${g}.csv"
            done
        done
    done

    # the PyTorch anchor, eager, at the same batch sizes
    local keys=() k
    for m in $("$gt" summary --list); do
        k=${TORCH_KEY[$m]:-}
        [ -n "$k" ] && keys+=("$k")
    done
    if [ $DRY = 1 ]; then
        if timeout 60 python3 -c 'import torch' 2>/dev/null; then
            part "torch eager" 300 -- python3 "$STAGE/torch_gpu_bench.py" --dry-run --models C \
                --modes fp32 --out "$OUT/torch_gpu.md" --json "$OUT/torch_gpu.json"
        else
            skip "torch eager" "torch not importable (dry run)"
        fi
    else
        part "torch eager" 90 -- python3 "$STAGE/torch_gpu_bench.py" --models "${keys[@]}" \
            --modes fp32 tf32 --batches 32 100 --min-steps 5 --max-steps 30 --target-s 0.3 \
            --out "$OUT/torch_gpu.md" --json "$OUT/torch_gpu.json"
    fi

    # per-op times on VGG-16's layer shapes, each op checked against cpu-reference
    local bops="$BUILD/bench/bench_ops"
    for p in fp32 tf32; do
        if [ $DRY = 1 ]; then
            [ "$p" = tf32 ] && { skip "bench_ops $p" "dry run (tf32 needs a GPU)"; continue; }
            part "bench_ops cnn-fmnist $p" 300 -- "$bops" --model cnn-fmnist --batch 4 --reps 1 \
                --backend cpu --csv "$OUT/bench_ops_cnn-fmnist_$p.csv"
        else
            part "bench_ops vgg16 $p" 40 -- "$bops" --model vgg16 --batch 100 --backend cuda \
                --precision "$p" --csv "$OUT/bench_ops_vgg16_$p.csv"
        fi
    done

    # only if time is left: torch.compile, then the full sweep
    if [ $DRY = 1 ]; then
        skip "torch compile" "dry run"
        skip "full sweep" "dry run"
    else
        part "torch compile vgg16" 120 -- python3 "$STAGE/torch_gpu_bench.py" --models A \
            --modes compile --batches 100 --min-steps 5 --max-steps 30 --target-s 0.3 \
            --out "$OUT/torch_gpu_compile.md" --json "$OUT/torch_gpu_compile.json"
        for m in $("$gt" summary --list); do
            part "full sweep $m tf32" 30 -- "$gt" bench --model "$m" --device cuda --precision tf32 \
                --batch-sizes "$FULL_BATCHES" --steps 10 --warmup 2 \
                --csv "$OUT/bench/bench_${m}_tf32_sweep.csv"
        done
    fi

    # gtrain's own description of the device (driver, runtime, cuDNN, cuBLAS)
    grep -h -o "cuda: [^|]*precision [a-z0-9]*" "$LOGS"/*.log 2>/dev/null | head -1 |
        sed 's/^/gtrain backend: /' >>"$OUT/environment.txt"
    # On a GPU machine every part is reported and the report still matters; a dry
    # run exists to prove the script, so there a failed part fails the run.
    if [ $DRY = 1 ] && [ ${#FAILED_PARTS[@]} -gt 0 ]; then
        echo "gpu_check.sh: dry run: failed parts: ${FAILED_PARTS[*]}" >&2
        exit 1
    fi
    exit 0
}

# ------------------------------------------------------------- simulate ----

# A copy of the GPU machine's layout from this machine's toolkit: symlinks,
# except nvcc and its profile, which are copied so that nvcc takes the copy's
# folder as the toolkit's root.
make_sim_layout() {
    local sim=$1 cuda
    cuda=$(cd "$(dirname "$(readlink -f "$(command -v nvcc)")")/.." && pwd)
    rm -rf "$sim"
    local tk="$sim/cuda" wheels="$sim/site/nvidia"
    mkdir -p "$tk/bin" "$tk/include" "$tk/lib" "$wheels/cudnn/include" "$wheels/cudnn/lib" \
        "$wheels/cu13/include" "$wheels/cu13/lib" "$wheels/nccl/include" "$wheels/nccl/lib" || return 1
    local f base
    for f in "$cuda"/bin/*; do
        base=$(basename "$f")
        case $base in nvcc | nvcc.profile) cp "$f" "$tk/bin/" ;; *) ln -s "$f" "$tk/bin/$base" ;; esac
    done
    [ -d "$cuda/nvvm" ] && ln -s "$cuda/nvvm" "$tk/nvvm"
    local incdir="$cuda/include" libdir="$cuda/lib64"
    [ -d "$cuda/targets/x86_64-linux/include" ] && incdir=$(readlink -f "$cuda/targets/x86_64-linux/include")
    [ -d "$cuda/targets/x86_64-linux/lib" ] && libdir=$(readlink -f "$cuda/targets/x86_64-linux/lib")
    [ -d "$libdir" ] || libdir="$cuda/lib"
    # toolkit: everything but cuDNN, cuBLAS and NCCL
    for f in "$incdir"/*; do
        base=$(basename "$f")
        case $base in
        cudnn*) ;;
        cublas* | nvblas*) ln -s "$f" "$wheels/cu13/include/$base" ;;
        nccl*) ln -s "$f" "$wheels/nccl/include/$base" ;; # nvidia-nccl-cu13
        *) ln -s "$f" "$tk/include/$base" ;;
        esac
    done
    for f in "$libdir"/*; do
        base=$(basename "$f")
        case $base in
        libcudnn*.so.[0-9]*) ln -s "$(readlink -f "$f")" "$wheels/cudnn/lib/$base" ;;
        libcublas*.so.[0-9]*) ln -s "$(readlink -f "$f")" "$wheels/cu13/lib/$base" ;;
        libnccl.so.[0-9]*) ln -s "$(readlink -f "$f")" "$wheels/nccl/lib/$base" ;;
        libcudnn* | libcublas* | libnccl* | libnvblas*) ;; # wheels ship versioned names only
        *) ln -s "$f" "$tk/lib/$base" ;;
        esac
    done
    for f in "$incdir"/cudnn*; do ln -s "$f" "$wheels/cudnn/include/$(basename "$f")"; done
    mkdir -p "$tk/targets/x86_64-linux"
    ln -s ../../include "$tk/targets/x86_64-linux/include"
    ln -s ../../lib "$tk/targets/x86_64-linux/lib"
    ln -s lib "$tk/lib64"
    ls "$wheels/cudnn/lib"/libcudnn.so.* >/dev/null 2>&1 || { echo "no libcudnn.so.N in $libdir"; return 1; }
    ls "$wheels/cu13/lib"/libcublas.so.* >/dev/null 2>&1 || { echo "no libcublas.so.N in $libdir"; return 1; }
    ls "$wheels/nccl/lib"/libnccl.so.* >/dev/null 2>&1 || { echo "no libnccl.so.N in $libdir"; return 1; }
    echo "toolkit copy $tk (from $cuda), wheels $sim/site/nvidia:"
    find "$sim/site" -name '*.so.*' | sort | sed 's/^/  /'
}

# The binaries resolve cuDNN, cuBLAS and NCCL inside the wheel folders, with
# no LD_LIBRARY_PATH, and start.
check_sim_libraries() {
    local sim=$1 gt="$2/gtrain" lib
    for lib in libcudnn libcublas libnccl; do
        local where
        where=$(env -u LD_LIBRARY_PATH ldd "$gt" | awk -v l="$lib" '$1 ~ "^"l"\\.so" {print $3}')
        echo "$lib -> ${where:-not linked}"
        case $where in "$sim"/site/nvidia/*) ;; *) echo "expected $lib from $sim/site/nvidia"; return 1 ;; esac
    done
    env -u LD_LIBRARY_PATH "$gt" bench --model cnn-fmnist --device cpu --batch-sizes 2 --steps 1 --warmup 0 ||
        return 1
    # the CUDA backend is linked in: without a GPU it says so and exits 1
    local rc=0
    env -u LD_LIBRARY_PATH "$gt" bench --model cnn-fmnist --device cuda --batch-sizes 2 --steps 1 \
        --warmup 0 || rc=$?
    echo "--device cuda exited $rc"
    [ $rc = 0 ] || [ $rc = 1 ]
}

simulate() {
    MODE=simulate
    parse_run_options "$@"
    command -v nvcc >/dev/null 2>&1 || die "simulate needs nvcc on PATH"
    local sim="$OUT/sim"
    environment
    fatal_part "sim layout" 120 -- make_sim_layout "$sim"
    # The GPU machine: the toolkit without cuDNN/cuBLAS, wheels found through
    # python's `nvidia` package, none of the optional CPU libraries, a newer
    # compiler's warnings (not errors: -Wconversion warns all over).
    # /usr/local is ignored: development machines link their toolkit's
    # libraries into /usr/local/lib64, where find_library would find cuBLAS.
    CMAKE_EXTRA=(-DCMAKE_CUDA_COMPILER="$sim/cuda/bin/nvcc" -DCUDAToolkit_ROOT="$sim/cuda"
        -DCMAKE_IGNORE_PREFIX_PATH=/usr/local
        -DGTRAIN_OPENBLAS=OFF -DGTRAIN_DNNL=OFF -DGTRAIN_HDF5=OFF -DGTRAIN_BUILD_TESTS=ON
        "-DCMAKE_C_FLAGS=-Wconversion" "-DCMAKE_CUDA_FLAGS=-Xcompiler=-Wconversion" "${CMAKE_EXTRA[@]}")
    [ "$BUILD" = "$ROOT/build-gpu-check" ] && BUILD="$OUT/build"
    export PYTHONPATH="$sim/site${PYTHONPATH:+:$PYTHONPATH}"
    DRY=0 # build as on the GPU machine (no -Werror); there is no GPU to pick an arch from
    build_all
    grep -q "warning:" "$LOGS"/*_build.log ||
        { echo "gpu_check.sh: simulate: the build showed no warning; -Wconversion was not on" >&2; FATAL="warnings check"; exit 1; }
    fatal_part "sim libraries" 120 -- check_sim_libraries "$sim" "$BUILD"
    exit 0
}

case ${1:-} in
stage) stage ;;
run) shift; run "$@" ;;
simulate) shift; simulate "$@" ;;
-h | --help | help) usage ;;
"") usage >&2; exit 2 ;;
*) die "unknown command '$1' (stage, run, simulate or --help)" ;;
esac

#!/usr/bin/env bash
# gpu_check.sh: the one command to run whenever a GPU is at hand.
#
#   scripts/gpu_check.sh stage                  (development machine)
#   scripts/gpu_check.sh run --out DIR          (GPU machine, one 10-minute command)
#   scripts/gpu_check.sh run --dry-run --out DIR (any machine: proves the script)
#
# `stage` copies into .gpu_stage/ (git-ignored, travels with the working tree)
# what the GPU machine cannot fetch: Fashion-MNIST, the PyTorch anchor
# benchmark, cJSON, pkg-config and zlib headers, and the commit being tested.
# `run` builds from scratch with CUDA, runs the gpu-labelled tests, the
# step-time sweep of every zoo model in fp32 and tf32, the per-op times of
# VGG-16 (bench/bench_ops, each op checked against cpu-reference), trains VGG-16 on
# Fashion-MNIST with the notebook's recipe, runs the PyTorch anchor for the
# same models, and writes DIR/report.md plus CSVs. Every part runs under
# `timeout` inside a 9.5-minute budget; a part that fails or times out is
# reported, never fatal.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAGE="$ROOT/.gpu_stage"
ZOO=(vgg16 mlp-fmnist cnn-signs mlp-128 cnn-fmnist mlp-300-100 softmax-mnist cnn-mnist)
# zoo model -> torch_gpu_bench.py model key (models without one are gtrain-only)
declare -A TORCH_KEY=([vgg16]=A [mlp-fmnist]=B [cnn-fmnist]=C [cnn-signs]=D [cnn-mnist]=E)
BATCHES=1,16,32,64,100,128,256,512
TOTAL_BUDGET=570 # seconds: 9.5 minutes
FAILED_PARTS=()

usage() {
    cat <<'EOF'
usage: scripts/gpu_check.sh stage
       scripts/gpu_check.sh run --out DIR [--dry-run] [--bundle FILE.tar.gz]
       scripts/gpu_check.sh --help

stage      (development machine) copy into .gpu_stage/: Fashion-MNIST's four
           .gz files, ../shared/anchors/torch_gpu_bench.py, cJSON's header and
           library, pkg-config (pkgconf) and zlib's headers and library, and
           the commit id of the working tree.
run        (GPU machine) fresh Release build with -DGTRAIN_CUDA=ON
           -DGTRAIN_WERROR=ON into build-gpu-check/, then: GPU, driver, CUDA
           and cuDNN versions; ctest -L gpu; gtrain bench for every zoo model
           in fp32 and tf32 over batch sizes 1..512; bench_ops (per-op
           times, checked against cpu-reference) for VGG-16 at batch 100
           in fp32 and tf32; gtrain fit VGG-16 on
           Fashion-MNIST (notebook recipe); torch_gpu_bench.py for the same
           models; DIR/report.md with the tables, CSVs beside it. Finishes
           within 9.5 minutes; parts that time out are reported as such.
  --out DIR        where the report, CSVs and logs go (created)
  --dry-run        no GPU needed: builds with CUDA, runs the gpu tests (they
                   skip), runs the CLI parts on --device cpu with tiny
                   settings and torch_gpu_bench.py --dry-run, and writes a
                   report that says it was a dry run
  --bundle FILE    also pack DIR into FILE (.tar.gz); the device tool returns
                   at most 8 files, so use e.g. --out /tmp/gpu --bundle
                   $OUT/gpu_check.tar.gz and copy report.md to $OUT as well
EOF
}

die() {
    echo "gpu_check.sh: error: $*" >&2
    exit 2
}

# ---------------------------------------------------------------- stage ----

copy_lib() { # copy a shared library and its versioned names, dereferenced
    local pattern=$1 dest=$2 found=0
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
    local multiarch
    multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
    local libdir=/usr/lib/$multiarch
    mkdir -p "$STAGE/fashion-mnist" "$STAGE/cjson/include/cjson" "$STAGE/cjson/lib" \
        "$STAGE/zlib/include" "$STAGE/zlib/lib" "$STAGE/pkgconf/bin" "$STAGE/pkgconf/lib"

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
LD_LIBRARY_PATH="$here/../lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/pkgconf.bin" "$@"
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

# ------------------------------------------------------------------ run ----

START=$(date +%s)
elapsed() { echo $(($(date +%s) - START)); }
# Seconds for a part: its own budget, cut to what is left of the total.
budget() {
    local want=$1 left=$((TOTAL_BUDGET - $(elapsed)))
    [ "$left" -lt "$want" ] && want=$left
    [ "$want" -lt 1 ] && want=1
    echo "$want"
}

declare -a PART_LINES=()
# part NAME SECONDS LOG -- COMMAND...: runs under timeout, never fails the script.
part() {
    local name=$1 secs=$2 log=$3
    shift 4
    local t0=$SECONDS rc=0
    secs=$(budget "$secs")
    if [ $((TOTAL_BUDGET - $(elapsed))) -le 1 ]; then
        PART_LINES+=("| $name | skipped: out of time | 0 |")
        echo "== $name: skipped, out of time" | tee -a "$log"
        return 0
    fi
    echo "== $name (limit ${secs}s)"
    timeout --kill-after=10 "$secs" "$@" >>"$log" 2>&1 || rc=$?
    local took=$((SECONDS - t0)) result
    case $rc in
    0) result=ok ;;
    124 | 137) result="TIMED OUT after ${secs}s" ;;
    77) result="skipped" ;;
    *) result="FAILED (exit $rc)" ;;
    esac
    PART_LINES+=("| $name | $result | $took |")
    echo "   $result in ${took}s (log: $(basename "$log"))"
    case $rc in 0 | 77) ;; *) FAILED_PARTS+=("$name") ;; esac
    return 0
}

find_cudnn_lib_dir() { # the nvidia-cudnn wheel's lib dir, if any
    python3 - <<'EOF' 2>/dev/null || true
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
for r in roots:
    for p in glob.glob(os.path.join(r, "nvidia", "**", "libcudnn.so.*"), recursive=True):
        print(os.path.dirname(p)); sys.exit(0)
EOF
}

csv_to_md() { # csv_to_md FILE: a CSV as a markdown table
    python3 - "$1" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
if not rows: sys.exit(0)
print("| " + " | ".join(rows[0]) + " |")
print("|" + "---|" * len(rows[0]))
for r in rows[1:]: print("| " + " | ".join(r) + " |")
EOF
}

run() {
    local out="" dry=0 bundle=""
    while [ $# -gt 0 ]; do
        case $1 in
        --out) out=${2:-}; shift 2 || die "--out needs a directory" ;;
        --dry-run) dry=1; shift ;;
        --bundle) bundle=${2:-}; shift 2 || die "--bundle needs a file" ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
        esac
    done
    [ -n "$out" ] || die "run needs --out DIR"
    mkdir -p "$out" "$out/logs"
    out=$(cd "$out" && pwd)
    [ -d "$STAGE/fashion-mnist" ] || die "$STAGE is missing: run 'scripts/gpu_check.sh stage' first"

    local build="$ROOT/build-gpu-check" logs="$out/logs"
    local device=cuda precisions=(fp32 tf32) batches=$BATCHES steps=(--steps 10 --warmup 2)
    local build_secs=130
    if [ $dry = 1 ]; then
        device=cpu precisions=(fp32) batches=1,2 steps=(--steps 1 --warmup 0)
        # CI machines compile on few cores; the 9.5-minute budget is the GPU's.
        TOTAL_BUDGET=3000 build_secs=1800
    fi

    # Libraries found at run time: staged cJSON/zlib, the cuDNN wheel.
    local cudnn_lib
    cudnn_lib=$(find_cudnn_lib_dir)
    export LD_LIBRARY_PATH="$STAGE/cjson/lib:$STAGE/zlib/lib${cudnn_lib:+:$cudnn_lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

    # ---- environment ----
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
        echo "commit: $(git -C "$ROOT" rev-parse HEAD 2>/dev/null || cat "$STAGE/COMMIT" 2>/dev/null || echo unknown)"
        echo "host: $(uname -n) $(uname -r)"
        if command -v nvidia-smi >/dev/null 2>&1; then
            nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 |
                sed 's/^/gpu: /' || true
        else
            echo "gpu: nvidia-smi not found"
        fi
        echo "nvcc: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*, V[0-9.]*' || echo 'not found')"
        echo "cmake: $(cmake --version | head -1)"
        echo "cudnn wheel lib: ${cudnn_lib:-none}"
        python3 -c 'import torch; print("torch:", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "gpu", torch.cuda.is_available())' 2>/dev/null || echo "torch: not importable"
    } | tee "$out/environment.txt"

    # ---- build ----
    local cmake_args=(-S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTRAIN_CUDA=ON
        -DGTRAIN_WERROR=ON -DCJSON_ROOT="$STAGE/cjson")
    [ -f /usr/include/zlib.h ] || cmake_args+=(-DZLIB_ROOT="$STAGE/zlib")
    command -v pkg-config >/dev/null 2>&1 || cmake_args+=(-DPKG_CONFIG_EXECUTABLE="$STAGE/pkgconf/bin/pkg-config")
    [ -n "$cudnn_lib" ] && cmake_args+=(-DCUDNN_ROOT="$(dirname "$cudnn_lib")")
    rm -rf "$build"
    part "configure" 40 "$logs/build.log" -- cmake "${cmake_args[@]}"
    part "build" "$build_secs" "$logs/build.log" -- cmake --build "$build" -j "$(nproc)"
    local gt="$build/gtrain"
    if [ ! -x "$gt" ]; then
        echo "build failed; see $logs/build.log" >&2
        tail -40 "$logs/build.log" >&2 || true
    fi
    {
        grep -E "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL)" \
            "$(grep -E '^CUDNN_INCLUDE_DIR:' "$build/CMakeCache.txt" 2>/dev/null | cut -d= -f2)/cudnn_version.h" 2>/dev/null |
            awk '{printf "%s%s", (NR>1?".":"cudnn (build headers): "), $3} END {print ""}'
        grep -E '^CUDNN_LIBRARY:' "$build/CMakeCache.txt" 2>/dev/null | sed 's/^CUDNN_LIBRARY:[A-Z]*=/cudnn library: /'
    } | tee -a "$out/environment.txt" || true

    # ---- tests ----
    # on the GPU machine a skipped gpu test means a broken setup: make it fail
    local require_gpu=1
    [ $dry = 1 ] && require_gpu=0
    part "ctest -L gpu" 90 "$logs/ctest_gpu.log" -- env GTRAIN_REQUIRE_GPU=$require_gpu ctest --test-dir "$build" -L gpu --output-on-failure

    # ---- step time vs batch size ----
    mkdir -p "$out/bench"
    local m p
    for p in "${precisions[@]}"; do
        for m in "${ZOO[@]}"; do
            local secs=5 # per run; the whole sweep stays under ~110 s
            [ "$m" = vgg16 ] && secs=18
            [ $dry = 1 ] && secs=40
            local prec=(--precision "$p")
            [ $dry = 1 ] && prec=()
            part "bench $m $p" $secs "$logs/bench.log" -- "$gt" bench --model "$m" --device "$device" \
                "${prec[@]}" --batch-sizes "$batches" "${steps[@]}" --csv "$out/bench/bench_${m}_${p}.csv"
        done
    done
    # the same steps captured as CUDA graphs (--cuda-graph), at the notebook batch sizes
    if [ $dry = 0 ]; then
        for m in "${ZOO[@]}"; do
            part "bench $m tf32 graph" 6 "$logs/bench.log" -- "$gt" bench --model "$m" --device cuda \
                --precision tf32 --cuda-graph --batch-sizes 32,100 "${steps[@]}" \
                --csv "$out/bench/bench_${m}_tf32graph.csv"
        done
    fi
    # one combined CSV (precision added as a column)
    {
        local first=1 f
        for f in "$out"/bench/bench_*_*.csv; do
            [ -f "$f" ] || continue
            local prec_of=${f##*_}
            prec_of=${prec_of%.csv}
            if [ $first = 1 ]; then
                echo "precision,$(head -1 "$f")"
                first=0
            fi
            tail -n +2 "$f" | sed "s/^/$prec_of,/"
        done
    } >"$out/bench_all.csv"

    # ---- per-op times on VGG-16's layer shapes, each op checked against cpu-reference ----
    # ~20 s each: the timing is well under a second on a GPU; the validation
    # at batch 2 on the plain-loop reference takes most of it.
    local bops="$build/bench/bench_ops"
    for p in "${precisions[@]}"; do
        local bops_model=vgg16 bops_args=(--batch 100 --backend cuda --precision "$p")
        [ $dry = 1 ] && bops_model=cnn-fmnist bops_args=(--batch 4 --reps 1 --backend cpu)
        part "bench_ops $bops_model $p" 20 "$logs/bench_ops.log" -- "$bops" --model "$bops_model" \
            "${bops_args[@]}" --csv "$out/bench_ops_${bops_model}_$p.csv"
    done

    # ---- VGG-16 on Fashion-MNIST, the notebook's recipe ----
    local fit_args=(fit --model vgg16 --device "$device" --data-dir "$STAGE/fashion-mnist"
        --history "$out/vgg16_history.csv")
    if [ $dry = 1 ]; then
        # Tiny: two steps of the small CNN on the CPU prove the command line and the
        # data path (VGG-16's full test-set evaluation takes a minute on a CPU).
        fit_args=(fit --model cnn-fmnist --device "$device" --data-dir "$STAGE/fashion-mnist"
            --history "$out/vgg16_history.csv" --epochs 1 --steps-per-epoch 2 --validation none)
    fi
    part "fit ${fit_args[2]}" 120 "$logs/fit_vgg16.log" -- "$gt" "${fit_args[@]}"

    # ---- PyTorch anchor for the same models ----
    local keys=()
    for m in "${ZOO[@]}"; do [ -n "${TORCH_KEY[$m]:-}" ] && keys+=("${TORCH_KEY[$m]}"); done
    # eager PyTorch at the batch sizes the targets name (32, 100), then
    # torch.compile for VGG-16 at batch 100 (the issue's "no slower than
    # torch.compile" target; compiling is slow, so only that row)
    local torch_args=(--models "${keys[@]}" --modes fp32 tf32 --batches 32 100
        --min-steps 5 --max-steps 30 --target-s 0.3 --out "$out/torch_gpu.md" --json "$out/torch_gpu.json")
    local torch_compile_args=(--models A --modes compile --batches 100
        --min-steps 5 --max-steps 30 --target-s 0.3 --out "$out/torch_gpu_compile.md" --json "$out/torch_gpu_compile.json")
    [ $dry = 1 ] && torch_args=(--dry-run --models C --modes fp32 --out "$out/torch_gpu.md" --json "$out/torch_gpu.json")
    if [ $dry = 1 ] && ! python3 -c 'import torch' 2>/dev/null; then
        PART_LINES+=("| torch_gpu_bench.py | skipped: torch not importable (dry run) | 0 |")
        echo "== torch_gpu_bench.py: skipped, torch not importable (dry run)"
    else
        part "torch_gpu_bench.py" 44 "$logs/torch_gpu_bench.log" -- python3 "$STAGE/torch_gpu_bench.py" "${torch_args[@]}"
        [ $dry = 1 ] || part "torch_gpu_bench.py compile" 60 "$logs/torch_gpu_compile.log" -- \
            python3 "$STAGE/torch_gpu_bench.py" "${torch_compile_args[@]}"
    fi

    # gtrain's own description of the device (driver, runtime, cuDNN, cuBLAS)
    grep -h -o "cuda: [^|]*precision [a-z0-9]*" "$logs"/*.log 2>/dev/null | head -1 |
        sed 's/^/gtrain backend: /' | tee -a "$out/environment.txt" || true
    echo "total seconds: $(elapsed)" >>"$out/environment.txt"
    write_report "$out" $dry
    if [ -n "$bundle" ]; then
        tar czf "$bundle" -C "$(dirname "$out")" "$(basename "$out")"
        echo "bundled into $bundle"
    fi
    echo "report: $out/report.md (total $(elapsed)s)"
    # On a GPU machine every part is reported and the report still matters; a dry
    # run exists to prove the script, so there a failed part fails the run.
    if [ $dry = 1 ] && [ ${#FAILED_PARTS[@]} -gt 0 ]; then
        echo "gpu_check.sh: dry run: failed parts: ${FAILED_PARTS[*]}" >&2
        exit 1
    fi
}

write_report() {
    local out=$1 dry=$2 f
    {
        echo "# gtrain GPU check$([ "$dry" = 1 ] && echo ' (DRY RUN: no GPU, CLI parts on the CPU with tiny settings)')"
        echo
        echo '```'
        cat "$out/environment.txt"
        echo '```'
        echo
        echo "## Parts"
        echo
        echo "| part | result | seconds |"
        echo "|---|---|---|"
        printf '%s\n' "${PART_LINES[@]}"
        echo
        echo "## Tests (ctest -L gpu)"
        echo
        echo '```'
        grep -E "tests passed|tests failed|Skipped|Failed|Passed|\*\*\*|SKIPPED" "$out/logs/ctest_gpu.log" 2>/dev/null | tail -20 || echo "no ctest log"
        echo '```'
        echo
        echo "## Step time vs batch size (gtrain bench)"
        echo
        if [ -s "$out/bench_all.csv" ]; then csv_to_md "$out/bench_all.csv"; else echo "no bench results"; fi
        echo
        echo "## Per-op times, VGG-16 at batch 100 (bench_ops)"
        echo
        echo "Median and min ms of each backend op on VGG-16's layer shapes, GFLOP/s (conv,"
        echo "GEMM) or GB/s, each op first checked against cpu-reference at batch 2; the"
        echo "total rows sum the medians per op kind (compare with the step time above)."
        for f in "$out"/bench_ops_*.csv; do
            [ -s "$f" ] || continue
            echo
            echo "### $(basename "$f" .csv)"
            echo
            csv_to_md "$f"
        done
        ls "$out"/bench_ops_*.csv >/dev/null 2>&1 || echo "no bench_ops results"
        echo
        echo "## VGG-16 on Fashion-MNIST (gtrain fit, history)"
        echo
        if [ -s "$out/vgg16_history.csv" ]; then csv_to_md "$out/vgg16_history.csv"; else echo "no history written"; fi
        echo
        echo "Last lines of the fit log:"
        echo '```'
        tail -5 "$out/logs/fit_vgg16.log" 2>/dev/null | tr '\r' '\n' | tail -5 || true
        echo '```'
        echo
        echo "## PyTorch anchor (torch_gpu_bench.py)"
        echo
        if [ -s "$out/torch_gpu_compile.md" ]; then cat "$out/torch_gpu_compile.md"; echo; fi
        if [ -s "$out/torch_gpu.md" ]; then cat "$out/torch_gpu.md"; else
            echo '```'
            tail -15 "$out/logs/torch_gpu_bench.log" 2>/dev/null || echo "no torch log"
            echo '```'
        fi
    } >"$out/report.md"
}

case ${1:-} in
stage) stage ;;
run) shift; run "$@" ;;
-h | --help | help) usage ;;
"") usage >&2; exit 2 ;;
*) die "unknown command '$1' (stage, run or --help)" ;;
esac

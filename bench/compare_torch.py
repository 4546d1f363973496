#!/usr/bin/env python3
"""gtrain vs PyTorch on the CPU, same machine, same invocation.

Runs `gtrain bench` and ../shared/anchors/torch_cpu_bench.py (Debian's
python3-torch with Debian's OpenBLAS, --openblas-only) for the rows of the
CPU performance issue, then prints one markdown table of ms/step (median) and
the ratio gtrain/PyTorch, with the machine and the gtrain commit.

Usage (from the repository root, after building into build/):
  python3 bench/compare_torch.py [--gtrain build/gtrain] [--threads 2]
      [--anchor ../shared/anchors/torch_cpu_bench.py] [--out bench/results/FILE.md]
      [--rows A32,C100,...] [--gtrain-precision bf16]

--gtrain-precision bf16 runs the gtrain rows with `--precision bf16` (bf16
GEMM/conv inputs, fp32 accumulation; CPUs with AVX512_BF16) while PyTorch
stays fp32, the baseline the ratios are quoted against.
"""
import argparse
import csv
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile

# key -> (gtrain model, anchor model letter, batches)
ROWS = [
    ('A', 'vgg16', 32), ('A', 'vgg16', 100),
    ('B', 'mlp-fmnist', 32), ('B', 'mlp-fmnist', 100),
    ('C', 'cnn-fmnist', 32), ('C', 'cnn-fmnist', 100),
    ('D', 'cnn-signs', 1), ('D', 'cnn-signs', 32), ('D', 'cnn-signs', 100),
    ('E', 'cnn-mnist', 32), ('E', 'cnn-mnist', 50), ('E', 'cnn-mnist', 100),
]


def run(cmd, **kw):
    print('+ ' + ' '.join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def gtrain_rows(gtrain, threads, rows, steps, precision):
    out = {}
    by_model = {}
    for key, model, batch in rows:
        by_model.setdefault(model, []).append(batch)
    for model, batches in by_model.items():
        with tempfile.NamedTemporaryFile(suffix='.csv', delete=False) as tf:
            path = tf.name
        run([gtrain, 'bench', '--model', model, '--device', 'cpu', '--threads', str(threads),
             '--batch-sizes', ','.join(map(str, batches)), '--steps', str(steps),
             '--warmup', '3', '--precision', precision, '--csv', path], stdout=sys.stderr)
        with open(path) as f:
            for r in csv.DictReader(f):
                out[(model, int(r['batch']))] = r
        os.unlink(path)
    return out


def torch_rows(anchor, threads, rows):
    out = {}
    by_key = {}
    for key, model, batch in rows:
        by_key.setdefault(key, []).append(batch)
    for key, batches in by_key.items():
        with tempfile.NamedTemporaryFile(suffix='.md', delete=False) as tf:
            path = tf.name
        run(['/usr/bin/python3', anchor, '--models', key, '--batches', *map(str, batches),
             '--threads', str(threads), '--openblas-only', '--out', path],
            stdout=subprocess.DEVNULL)
        with open(path) as f:
            for line in f:
                m = re.match(r'\|\s*([A-E]) [^|]*\|\s*(\d+)\s*\|[^|]*\|[^|]*\|\s*([\d.]+)\s*\|'
                             r'\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|', line)
                if m and m.group(1) == key:
                    out[(key, int(m.group(2)))] = dict(median_ms=float(m.group(3)),
                                                        min_ms=float(m.group(4)),
                                                        max_ms=float(m.group(5)))
        os.unlink(path)
    return out


def gtrain_backend(gtrain, threads, precision):
    """The backend line of `gtrain bench` (threads and GEMM library)."""
    out = subprocess.run([gtrain, 'bench', '--model', 'cnn-fmnist', '--device', 'cpu',
                          '--threads', str(threads), '--batch-sizes', '1', '--steps', '1',
                          '--warmup', '0', '--precision', precision],
                         capture_output=True, text=True).stdout
    m = re.search(r'backend (cpu: [^,]*, .*?) \(fast ops\)', out)
    return m.group(1) if m else 'unknown'


def cpu_name():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--gtrain', default='build/gtrain')
    ap.add_argument('--anchor', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'anchors',
        'torch_cpu_bench.py'))
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--rows', help='subset, e.g. A32,C100')
    ap.add_argument('--out', help='also write the markdown here')
    ap.add_argument('--gtrain-precision', default='fp32', choices=['fp32', 'bf16'],
                    help='precision of the gtrain rows (PyTorch always runs fp32)')
    args = ap.parse_args()
    rows = ROWS
    if args.rows:
        want = set(args.rows.split(','))
        rows = [r for r in ROWS if '%s%d' % (r[0], r[2]) in want]

    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True,
                            text=True).stdout.strip() or 'unknown'
    dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                           capture_output=True, text=True).stdout.strip()
    # Other processes on the same cores skew both columns: the load average
    # before and after goes into the report so a reader can judge the run.
    load_before = os.getloadavg()
    g, t = {}, {}
    # Model by model, gtrain then PyTorch back to back, so that both columns
    # of a row see the same background load (jobs on shared cores come and go
    # within the minutes a whole column takes).
    for key in dict.fromkeys(r[0] for r in rows):
        subset = [r for r in rows if r[0] == key]
        g.update(gtrain_rows(args.gtrain, args.threads, subset, args.steps,
                             args.gtrain_precision))
        t.update(torch_rows(args.anchor, args.threads, subset))
    load_after = os.getloadavg()

    title = '# gtrain vs PyTorch, CPU training step (forward, loss, backward, Adam)'
    if args.gtrain_precision != 'fp32':
        title += '; gtrain %s, PyTorch fp32' % args.gtrain_precision
    lines = [title, '',
             '- date: %s' % datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
             '- machine: %s, %d logical CPUs; %d threads for both' % (
                 cpu_name(), os.cpu_count(), args.threads),
             '- gtrain commit %s%s, `gtrain bench --device cpu --precision %s --steps %d '
             '--warmup 3`' % (commit, ' (with uncommitted changes)' if dirty else '',
                              args.gtrain_precision, args.steps),
             '- PyTorch: Debian python3-torch with Debian OpenBLAS, `%s --openblas-only '
             '--threads %d`' % (os.path.relpath(args.anchor), args.threads),
             '- command: `python3 bench/compare_torch.py %s`' % ' '.join(sys.argv[1:]),
             '- load average (1, 5, 15 min) before: %.2f %.2f %.2f; after: %.2f %.2f %.2f' % (
                 load_before + load_after),
             '- gtrain CPU backend: %s' % gtrain_backend(args.gtrain, args.threads,
                                                         args.gtrain_precision), '',
             '| model | batch | gtrain ms/step | (min-max) | PyTorch ms/step | (min-max) | '
             'gtrain/PyTorch |',
             '|---|---:|---:|---:|---:|---:|---:|']
    for key, model, batch in rows:
        gr, tr = g.get((model, batch)), t.get((key, batch))
        gm = float(gr['median_ms']) if gr else float('nan')
        tm = tr['median_ms'] if tr else float('nan')
        lines.append('| %s %s | %d | %.2f | %.2f-%.2f | %.2f | %.2f-%.2f | %.2f |' % (
            key, model, batch, gm, float(gr['min_ms']) if gr else float('nan'),
            float(gr['max_ms']) if gr else float('nan'), tm,
            tr['min_ms'] if tr else float('nan'), tr['max_ms'] if tr else float('nan'),
            gm / tm if tr and gr else float('nan')))
    md = '\n'.join(lines) + '\n'
    print(md)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(md)


if __name__ == '__main__':
    main()

"""Keras' progress output on sys.stdout (what a notebook shows), with the
lines the C library formats (gtrain/report.h), so Python and `gtrain fit`
print the same thing: verbose=1 redraws the bar in place ('\\r') in a
terminal or a Jupyter notebook at most every 0.1 s and ends each epoch with
its final line; verbose=2 prints one line per epoch; verbose=0 nothing."""
import ctypes
import math
import sys
import time

from ._lib import lib

INTERVAL = 0.1  # seconds between redraws, as gtrain fit (GT_PROGRESS_INTERVAL)


def metrics_text(pairs):
    buf = ctypes.create_string_buffer(1024)
    for name, value in pairs:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        lib.gt_format_metric(buf, len(buf), name.encode(), float(value))
    return buf.value.decode()


def _line(verbose, step, total, elapsed, per_step, final, metrics):
    buf = ctypes.create_string_buffer(2048)
    lib.gt_format_progress(buf, len(buf), verbose, step, total, elapsed, per_step, int(final),
                           metrics.encode())
    return buf.value.decode()


def interactive(stream):
    """A terminal or a Jupyter/IPython kernel: in-place redraws make sense."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progbar:
    """One epoch's progress (or one evaluation's final line)."""

    def __init__(self, total, verbose, stream=None):
        self.total = total
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.live = verbose == 1 and interactive(self.stream)
        self.start = time.monotonic()
        self.first_step_done = None
        self.last_draw = None
        self.width = 0

    def _per_step(self, step, elapsed):
        # Keras leaves the first step (compilation, autotuning) out of the average
        if self.first_step_done is not None and step > 1:
            return (elapsed - self.first_step_done) / (step - 1)
        return elapsed / step if step > 0 else 0.0

    def update(self, step, metrics):
        elapsed = time.monotonic() - self.start
        if step == 1:
            self.first_step_done = elapsed
        if not self.live or step >= self.total:
            return
        if self.last_draw is not None and elapsed - self.last_draw < INTERVAL:
            return
        line = _line(1, step, self.total, elapsed, self._per_step(step, elapsed), False, metrics)
        self.stream.write("\r" + line + " " * max(0, self.width - len(line)))
        self.stream.flush()
        self.width = len(line)
        self.last_draw = elapsed

    def end(self, steps, metrics, seconds=None):
        if self.verbose == 0:
            return
        elapsed = time.monotonic() - self.start if seconds is None else seconds
        line = _line(self.verbose, steps, self.total, elapsed, self._per_step(steps, elapsed),
                     True, metrics)
        prefix = "\r" if self.live else ""
        self.stream.write(prefix + line + " " * max(0, self.width - len(line)) + "\n")
        self.stream.flush()
        self.width = 0

    def interrupt(self):
        """Ends a half-drawn line so that what follows starts on its own."""
        if self.width:
            self.stream.write("\n")
            self.stream.flush()
            self.width = 0

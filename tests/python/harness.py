"""A small harness for the Python tests (no pytest needed): each test is a
function; run() prints one line per test (PASS, FAIL with the reason, or
SKIPPED) and a summary, and exits 1 on a failure, 77 when everything was
skipped, else 0, as ctest expects."""
import os
import sys
import traceback

import numpy as np

SKIP = 77
_results = []


class Skip(Exception):
    pass


def require(module, why):
    try:
        return __import__(module)
    except ImportError:
        raise Skip(f"no {module} in this environment ({why})")


def fashion_mnist_dir():
    d = os.environ.get("GTRAIN_DATA_DIR", "/usr/share/datasets/fashion-mnist")
    if not any(os.path.exists(os.path.join(d, f)) for f in ("train-images-idx3-ubyte.gz",
                                                             "train-images-idx3-ubyte")):
        raise Skip(f"Fashion-MNIST not found in {d} (apt-get install dataset-fashion-mnist)")
    return d


def synthetic(n, shape=(8, 8), classes=3, seed=0):
    """uint8 images with a class-dependent bright band, and their labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.integers(0, 100, size=(n, *shape), dtype=np.uint8)
    for k in range(classes):
        x[y == k, k::classes] += 120
    return x, y


def run(tests):
    names = [t.__name__ for t in tests]
    for t in tests:
        try:
            t()
            _results.append((t.__name__, "PASS", ""))
        except Skip as e:
            _results.append((t.__name__, "SKIPPED", str(e)))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            _results.append((t.__name__, "FAIL", f"{type(e).__name__}: {e}"))
            traceback.print_exc()
    width = max(len(n) for n in names)
    for name, result, why in _results:
        print(f"{result:7s} {name:{width}s} {why}")
    failed = sum(r == "FAIL" for _, r, _ in _results)
    skipped = sum(r == "SKIPPED" for _, r, _ in _results)
    print(f"{len(_results) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    if failed:
        sys.exit(1)
    if skipped == len(_results):
        print("SKIPPED: every test skipped")
        sys.exit(SKIP)
    sys.exit(0)

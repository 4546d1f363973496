"""Each plot renders (python3 -m gtrain.plot history|bench|predictions and the
functions behind them): from the recorded runs in bench/results/ (a history
CSV, gtrain bench CSVs with PyTorch's rows, a gtrain predict CSV), and from
arrays as a notebook has them. A PNG must come out, of the size asked for."""
import os
import subprocess
import sys

import numpy as np

from harness import Skip, fashion_mnist_dir, require, run

SRC = os.environ["GTRAIN_SOURCE_DIR"]
RECORDED = os.path.join(SRC, "bench", "results", "python_plots_2026-12-01")


def png_size(path):
    """(width, height) from the PNG header, after checking the signature."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def plot_cli(*args):
    require("matplotlib", "pip install matplotlib")
    done = subprocess.run([sys.executable, "-m", "gtrain.plot", *args], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_history():
    out = plot_cli("history", os.path.join(SRC, "bench", "results", "reproduce_2026-11-25",
                                           "mlp-300-100.csv"), "-o", "h.png")
    assert out == "h.png" and png_size("h.png") == (1100, 400)
    import gtrain.plot
    gtrain.plot.history({"loss": [1.0, 0.5], "accuracy": [0.5, 0.8]}, "h2.png")
    assert png_size("h2.png") == (1100, 400)
    hist = gtrain.plot.read_history(os.path.join(SRC, "bench", "results", "reproduce_2026-11-25",
                                                 "mlp-128.csv"))
    assert hist["val_accuracy"][-1] == 0.8705 and len(hist["loss"]) == 5


def test_bench():
    csvs = [os.path.join(RECORDED, f"bench_{m}.csv") for m in ("cnn-fmnist", "mlp-fmnist")]
    plot_cli("bench", *csvs, "--torch", os.path.join(RECORDED, "torch_cpu_2026-11-25b.csv"),
             "-o", "b.png")
    assert png_size("b.png") == (800, 550)
    import gtrain.plot
    lines = gtrain.plot.read_bench(csvs)
    assert sorted(lines) == [("cnn-fmnist", "cpu"), ("mlp-fmnist", "cpu")]
    assert [b for b, _ in lines[("cnn-fmnist", "cpu")]] == [1, 16, 32, 64, 100, 128, 256]


def test_predictions():
    require("matplotlib", "pip install matplotlib")
    import gtrain.plot
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (10, 28, 28), dtype=np.uint8)
    probs = rng.dirichlet(np.ones(10), size=10).astype(np.float32)
    gtrain.plot.predictions(images, probs, np.arange(10), None, "p.png")
    assert png_size("p.png") == (2000, 460)
    rgb = rng.integers(0, 255, (4, 64, 64, 3), dtype=np.uint8)
    gtrain.plot.predictions(rgb, probs[:4, :6] / probs[:4, :6].sum(1, keepdims=True),
                            np.eye(6)[[0, 1, 2, 3]], [str(k) for k in range(6)], "p2.png",
                            rows=1, cols=4)
    assert png_size("p2.png") == (1600, 230)
    # from a recorded `gtrain predict --output` and the images of its dataset
    try:
        fashion_mnist_dir()
    except Skip as e:
        print(f"note: the CSV form was not exercised: {e}")
        return
    plot_cli("predictions", "--predictions",
             os.path.join(RECORDED, "predictions_cnn-fmnist_first10.csv"), "--indices",
             "0,1,2,3,4,5,6,7,8,9", "-o", "p3.png")
    assert png_size("p3.png") == (2000, 460)


if __name__ == "__main__":
    run([test_history, test_bench, test_predictions])

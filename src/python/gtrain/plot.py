"""The notebooks' figures with matplotlib, from gtrain's files or in a notebook:

    python3 -m gtrain.plot history FILE.csv [-o curves.png]
        accuracy and loss per epoch, train against validation, from a
        `gtrain fit --history` CSV (or, in Python, history(hist.history))
    python3 -m gtrain.plot bench FILE.csv [FILE.csv ...] [--torch TORCH.csv] [-o steps.png]
        ms per step against batch size, log-log, one line per model and
        device, from `gtrain bench --csv` files; PyTorch's rows (columns
        model, batch, median_ms[, backend]) as dashed lines
    python3 -m gtrain.plot predictions --predictions P.csv [--data fashion-mnist]
                                       [--indices 0,1,...] [-o grid.png]
        notebook 000's grid: each image with its predicted class and
        percentage (blue when right, red when wrong) and the true class, and
        its class probabilities as bars (red: predicted, blue: true), from a
        `gtrain predict --output` CSV and the images of its dataset

Each figure goes to the PNG named by -o (default: the command's name .png).
"""
import argparse
import csv
import math
import os
import sys

import numpy as np


def _plt():
    import matplotlib
    if not os.environ.get("DISPLAY") and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")  # files only, no window needed
    import matplotlib.pyplot as plt
    return plt


def read_history(path):
    """A `gtrain fit --history` CSV (or Keras' CSVLogger's) as Keras' history dict."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no epochs recorded")
    hist = {}
    for key in rows[0]:
        if key in ("epoch", "seconds"):
            continue
        values = [float(r[key]) if r[key] not in ("", None) else float("nan") for r in rows]
        if not all(math.isnan(v) for v in values):
            hist[key] = values
    hist["_epochs"] = [int(r["epoch"]) for r in rows] if "epoch" in rows[0] else None
    return hist


def history(hist, output=None, title=None):
    """Notebook 000's two figures side by side: accuracy, then loss, per
    epoch, train (red) against validation (blue). hist: History.history, a
    dict, or a History. Returns the figure (saved to output when given)."""
    if hasattr(hist, "history"):
        hist = hist.history
    epochs = hist.get("_epochs") or list(range(1, len(hist["loss"]) + 1))
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric, label in ((axes[0], "accuracy", "Accuracy"), (axes[1], "loss", "Loss")):
        if metric in hist:
            ax.plot(epochs, hist[metric], "red", marker="o", label=f"train {metric}")
        if f"val_{metric}" in hist:
            ax.plot(epochs, hist[f"val_{metric}"], "blue", marker="o",
                    label=f"validation {metric}")
        ax.set_title(f"{label}: train and validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        ax.legend()
        if len(epochs) < 15:
            ax.set_xticks(epochs)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if output:
        fig.savefig(output, dpi=100)
    return fig


def read_bench(paths, device=None):
    """{(model, device): [(batch, median_ms)]} from gtrain bench CSVs."""
    lines = {}
    for path in paths:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                key = (r["model"], device or r.get("backend", "?"))
                lines.setdefault(key, []).append((int(r["batch"]), float(r["median_ms"])))
    return {k: sorted(v) for k, v in lines.items()}


def bench(gtrain_csvs, torch_csv=None, output=None, title=None):
    """ms per step against batch size, log-log; PyTorch dashed when given."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    series = [(k, v, False) for k, v in read_bench(gtrain_csvs).items()]
    if torch_csv:
        series += [(k, v, True) for k, v in read_bench([torch_csv]).items()]
    colors = {}
    for (model, device), points, is_torch in series:
        color = colors.setdefault(model, f"C{len(colors) % 10}")
        b, ms = zip(*points)
        name = f"PyTorch {model} ({device})" if is_torch else f"gtrain {model} ({device})"
        ax.plot(b, ms, linestyle="--" if is_torch else "-", marker="s" if is_torch else "o",
                color=color, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size")
    ax.set_ylabel("ms per training step (median)")
    ax.set_title(title or "Training step time against batch size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    if output:
        fig.savefig(output, dpi=100)
    return fig


def predictions(images, probs, labels, class_names=None, output=None, rows=2, cols=5,
                title=None):
    """Notebook 000's grid for the first rows * cols examples: the image,
    "predicted NN%" over "(true)" in blue when right and red when wrong, and
    the probabilities as bars (red: predicted class, blue: true class)."""
    images = np.asarray(images)
    probs = np.asarray(probs)
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    n = min(rows * cols, len(images))
    classes = probs.shape[1]
    names = class_names or [str(k) for k in range(classes)]
    plt = _plt()
    fig = plt.figure(figsize=(2 * 2 * cols, 2.3 * rows))
    for i in range(n):
        predicted, true = int(np.argmax(probs[i])), int(labels[i])
        color = "blue" if predicted == true else "red"
        ax = fig.add_subplot(rows, 2 * cols, 2 * i + 1)
        img = images[i]
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{names[predicted]} {100 * probs[i, predicted]:2.0f}%\n({names[true]})",
                      color=color, fontsize=8)
        ax = fig.add_subplot(rows, 2 * cols, 2 * i + 2)
        bars = ax.bar(range(classes), probs[i], color="#cccccc")
        bars[predicted].set_color("red")
        bars[true].set_color("blue")
        ax.set_ylim([0, 1])
        ax.set_xticks(range(classes))
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.subplots_adjust(hspace=0.6, wspace=0.3)
    if output:
        fig.savefig(output, dpi=100)
    return fig


def read_predictions(path):
    """(indices, labels, probabilities) from a `gtrain predict --output` CSV."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no predictions")
    pcols = sorted((k for k in rows[0] if k.startswith("p") and k[1:].isdigit()),
                   key=lambda k: int(k[1:]))
    indices = np.array([int(r["index"]) for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    probs = np.array([[float(r[k]) for k in pcols] for r in rows], np.float32)
    return indices, labels, probs


def _images_for(data, data_dir, split):
    from . import datasets
    if data.startswith("hdf5:"):
        images, _, names = datasets.load_hdf5(data[5:])
        return images, names
    loader = {"fashion-mnist": datasets.fashion_mnist, "mnist": datasets.mnist}.get(data)
    if loader is None:
        raise ValueError(f"--data expects fashion-mnist, mnist or hdf5:FILE.h5, found {data!r}")
    (xtr, _), (xte, _) = loader.load_data(data_dir)
    return (xte if split == "test" else xtr), loader.class_names(data_dir)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m gtrain.plot",
                                 description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    sub = ap.add_subparsers(dest="command", required=True)
    h = sub.add_parser("history", help="accuracy and loss per epoch from a history CSV")
    h.add_argument("csv")
    b = sub.add_parser("bench", help="ms/step against batch size from gtrain bench CSVs")
    b.add_argument("csv", nargs="+")
    b.add_argument("--torch", help="PyTorch's rows: model,batch,median_ms[,backend]")
    p = sub.add_parser("predictions", help="notebook 000's image and probability grid")
    p.add_argument("--predictions", required=True, help="a gtrain predict --output CSV")
    p.add_argument("--data", default="fashion-mnist",
                   help="fashion-mnist, mnist or hdf5:FILE.h5 [fashion-mnist]")
    p.add_argument("--data-dir", help="the IDX files' directory (as gtrain's --data-dir)")
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--indices", help="examples to show, comma separated [the CSV's first]")
    p.add_argument("--rows", type=int, default=2)
    p.add_argument("--cols", type=int, default=5)
    for s in (h, b, p):
        s.add_argument("-o", "--output", help="the PNG to write [<command>.png]")
        s.add_argument("--title")
    args = ap.parse_args(argv)
    out = args.output or f"{args.command}.png"
    if args.command == "history":
        history(read_history(args.csv), out, args.title)
    elif args.command == "bench":
        bench(args.csv, args.torch, out, args.title)
    else:
        indices, labels, probs = read_predictions(args.predictions)
        if args.indices:
            want = [int(i) for i in args.indices.split(",")]
            where = {int(k): j for j, k in enumerate(indices)}
            missing = [i for i in want if i not in where]
            if missing:
                ap.error(f"indices {missing} are not in {args.predictions}")
            rows = [where[i] for i in want]
        else:
            rows = list(range(min(len(indices), args.rows * args.cols)))
        images, names = _images_for(args.data, args.data_dir, args.split)
        predictions(images[indices[rows]], probs[rows], labels[rows], names, out, args.rows,
                    args.cols, args.title)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

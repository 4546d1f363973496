"""TensorBoard event files, read back with TensorBoard's own reader (the
tensorboard package's EventAccumulator): laid out as Keras' TensorBoard
callback writes them (train/ and validation/ runs; epoch_loss,
epoch_accuracy, epoch_learning_rate at step epoch - 1; batch_loss and
batch_accuracy every N optimizer steps; evaluation_*_vs_iterations), with
the values of the history CSV (`gtrain fit --tensorboard`) and of History
(fit(tensorboard=...)), and still readable when the last record is cut off
as a crash would leave it."""
import csv
import glob
import gzip
import os
import shutil
import struct
import subprocess
import time

import numpy as np

import gtrain
from harness import Skip, require, run, synthetic

SRC = os.environ["GTRAIN_SOURCE_DIR"]


def accumulator(run_dir):
    require("tensorboard", "pip install tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*.v2"))
    assert len(files) == 1, (run_dir, files)
    acc = EventAccumulator(run_dir, size_guidance={"scalars": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value, e.wall_time) for e in acc.Scalars(tag)]


def close(a, b):
    # TensorBoard keeps float32; the CSV 9 significant digits
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def check_runs(log_dir, epochs, steps_per_epoch, every, loss, acc, val_loss, val_acc, lr):
    train = accumulator(os.path.join(log_dir, "train"))
    val = accumulator(os.path.join(log_dir, "validation"))
    tags = set(train.Tags()["scalars"])
    want = {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss",
            "batch_accuracy"}
    assert want <= tags, tags
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy",
                                          "evaluation_loss_vs_iterations",
                                          "evaluation_accuracy_vs_iterations"}, val.Tags()
    for tag, acc_, want_values in (("epoch_loss", train, loss), ("epoch_accuracy", train, acc),
                                   ("epoch_learning_rate", train, lr),
                                   ("epoch_loss", val, val_loss),
                                   ("epoch_accuracy", val, val_acc)):
        got = scalars(acc_, tag)
        assert [s for s, _, _ in got] == list(range(epochs)), (tag, got)
        for (step, value, _), expect in zip(got, want_values):
            assert close(value, expect), (tag, step, value, expect)
    iters = scalars(val, "evaluation_loss_vs_iterations")
    assert [s for s, _, _ in iters] == [steps_per_epoch * (e + 1) for e in range(epochs)], iters
    assert all(close(v, w) for (_, v, _), w in zip(iters, val_loss))
    batch = scalars(train, "batch_loss")
    total = epochs * steps_per_epoch
    assert [s for s, _, _ in batch] == list(range(every, total + 1, every)), batch
    # a step's running mean: the last step of each epoch is the epoch's loss
    for (step, value, _) in batch:
        if step % steps_per_epoch == 0:
            assert close(value, loss[step // steps_per_epoch - 1]), (step, value)
    walls = [w for _, _, w in scalars(train, "epoch_loss")]
    assert walls == sorted(walls) and abs(walls[-1] - time.time()) < 3600, walls


def test_python_fit():
    x, y = synthetic(80, seed=5)
    xv, yv = synthetic(20, seed=6)
    m = gtrain.Model("{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
                     "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\", "
                     "\"batch_input_shape\": [null, 8, 8]}},"
                     "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 3, "
                     "\"activation\": \"softmax\"}}]}}", device="cpu", threads=1)
    m.compile(optimizer=gtrain.optimizers.SGD(
        learning_rate=gtrain.optimizers.schedules.PiecewiseConstantDecay([8, 16], [0.1, 0.05, 0.01])))
    tb = gtrain.callbacks.TensorBoard("logs", update_freq=3)
    h = m.fit(x, y, epochs=4, batch_size=10, validation_data=(xv, yv), callbacks=[tb], verbose=0)
    # Keras' optimizer.learning_rate at each epoch's end (8, 16, 24, 32 steps done)
    lr = [0.1, 0.05, 0.01, 0.01]
    hh = h.history
    check_runs("logs", 4, 8, 3, hh["loss"], hh["accuracy"], hh["val_loss"], hh["val_accuracy"],
               lr)
    # fit(tensorboard=DIR) is the same callback
    m.fit(x, y, epochs=1, batch_size=10, validation_data=(xv, yv), tensorboard="logs2", verbose=0)
    assert accumulator("logs2/train").Tags()["scalars"]


def write_idx(path, array):
    """An IDX file (as MNIST's) of uint8 images (N, 28, 28) or labels (N,)."""
    header = struct.pack(">I", 0x803 if array.ndim == 3 else 0x801)
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_cli_fit():
    cli = os.environ.get("GTRAIN_CLI")
    if not cli or not os.path.exists(cli):
        raise Skip("no gtrain command (GTRAIN_CLI)")
    os.makedirs("data", exist_ok=True)
    x, y = synthetic(300, shape=(28, 28), classes=10, seed=7)
    xt, yt = synthetic(100, shape=(28, 28), classes=10, seed=8)
    write_idx("data/train-images-idx3-ubyte.gz", x)
    write_idx("data/train-labels-idx1-ubyte.gz", y)
    write_idx("data/t10k-images-idx3-ubyte.gz", xt)
    write_idx("data/t10k-labels-idx1-ubyte.gz", yt)
    cmd = [cli, "fit", "--model", os.path.join(SRC, "tests", "models", "mlp-128.json"),
           "--data", "mnist", "--data-dir", "data", "--epochs", "3", "--batch-size", "20",
           "--device", "cpu", "--threads", "1", "--validation", "test", "--history", "h.csv",
           "--tensorboard", "tb", "--tensorboard-update-freq", "4", "--optimizer", "sgd",
           "--lr", "0.05", "--lr-schedule", "exponential:decay_steps=15,decay_rate=0.5"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open("h.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    col = lambda k: [float(r[k]) for r in rows]  # noqa: E731
    lr = [0.05 * 0.5 ** (15 * (e + 1) / 15) for e in range(3)]
    check_runs("tb", 3, 15, 4, col("loss"), col("accuracy"), col("val_loss"),
               col("val_accuracy"), lr)
    # a crash mid-write leaves the records before it readable
    src = glob.glob("tb/train/events.out.tfevents.*")[0]
    os.makedirs("cut", exist_ok=True)
    dst = os.path.join("cut", os.path.basename(src))
    shutil.copy(src, dst)
    size = os.path.getsize(dst)
    with open(dst, "r+b") as f:
        f.truncate(size - 7)
    got = scalars(accumulator("cut"), "epoch_loss")
    assert [s for s, _, _ in got] == [0, 1, 2], got  # only the last record (lr) was cut


if __name__ == "__main__":
    run([test_python_fit, test_cli_fit])

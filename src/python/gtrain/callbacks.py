"""Keras' callbacks.

EarlyStopping, ReduceLROnPlateau, ModelCheckpoint and TensorBoard run inside
the C library's fit (the same code `gtrain fit` runs, with Keras 3's
arguments, defaults and semantics; see include/gtrain/callbacks.h); they take
Keras' keyword arguments and refuse, naming it, one gtrain does not know.
After fit their attributes hold what Keras' would (wait, best,
stopped_epoch, best_epoch, 0-based epochs as in Keras).

Callback, LambdaCallback and LearningRateScheduler run in Python between the
library's epochs and steps: on_train_begin/end, on_epoch_begin/end(epoch,
logs) and on_train_batch_end(batch, logs), with Keras' logs dicts.
"""


class Callback:
    """Base class of Python callbacks, as keras.callbacks.Callback."""

    def __init__(self):
        self.model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass


class LambdaCallback(Callback):
    """Callback from functions, as keras.callbacks.LambdaCallback."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_end=None):
        super().__init__()
        noop = lambda *a, **k: None  # noqa: E731
        self.on_epoch_begin = on_epoch_begin or noop
        self.on_epoch_end = on_epoch_end or noop
        self.on_train_begin = on_train_begin or noop
        self.on_train_end = on_train_end or noop
        self.on_train_batch_end = on_train_batch_end or noop


class LearningRateScheduler(Callback):
    """keras.callbacks.LearningRateScheduler: before each epoch the learning
    rate becomes schedule(epoch, lr) (or schedule(epoch)), epoch from 0."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model._learning_rate()
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # the old one-argument form, as Keras accepts it
            lr = self.schedule(epoch)
        lr = float(lr)
        self.model._set_learning_rate(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.model._learning_rate()


class CoreCallback(Callback):
    """A callback the C library runs; its Keras arguments go to it as given."""
    class_name = None

    def __init__(self, **config):
        super().__init__()
        self.config = config
        self.verbose = config.get("verbose", 0)

    def serialize(self):
        return {"class_name": self.class_name, "config": dict(self.config)}

    def _take_state(self, item):
        """Keras' attributes from the library's state of this callback."""
        state = item.get("state", {})
        first = state.get("first_epoch", 1)
        self.wait = state.get("wait", 0)
        best = state.get("best")
        self.best = float("nan") if best == "nan" else best
        stopped = state.get("stopped_epoch", 0)
        self.stopped_epoch = stopped - first if stopped else 0
        best_epoch = state.get("best_epoch", 0)
        self.best_epoch = best_epoch - first if best_epoch else 0

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})"


class EarlyStopping(CoreCallback):
    """keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=0,
    verbose=0, mode="auto", baseline=None, restore_best_weights=False,
    start_from_epoch=0)."""
    class_name = "EarlyStopping"


class ReduceLROnPlateau(CoreCallback):
    """keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1,
    patience=10, verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0)."""
    class_name = "ReduceLROnPlateau"


class ModelCheckpoint(CoreCallback):
    """keras.callbacks.ModelCheckpoint(filepath, monitor="val_loss", verbose=0,
    save_best_only=False, mode="auto", initial_value_threshold=None): writes
    Keras' HDF5 model files (.h5, which keras.models.load_model and
    load_weights read); {epoch:02d} and {val_loss:.2f} in filepath are filled in."""
    class_name = "ModelCheckpoint"

    def __init__(self, filepath, **config):
        super().__init__(filepath=str(filepath), **config)


class TensorBoard(CoreCallback):
    """keras.callbacks.TensorBoard(log_dir="logs", update_freq="epoch"): event
    files in log_dir/train and log_dir/validation as Keras writes them."""
    class_name = "TensorBoard"

    def __init__(self, log_dir=None, **config):
        if log_dir is not None:
            config["log_dir"] = str(log_dir)
        super().__init__(**config)


class History(Callback):
    """What fit returns: history (Keras' keys: loss, accuracy, val_loss,
    val_accuracy, and learning_rate where a callback adds it), epoch (0-based)
    and params."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        self.params = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

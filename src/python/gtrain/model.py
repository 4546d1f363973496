"""gtrain.Model: a Keras-shaped model over the C library's model and trainer.

    model = gtrain.Model("cnn-fmnist")        # zoo name, Keras JSON (file, text,
                                              # dict), a keras.Model, or a .h5 file
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])        # optional: else the model's recipe
    hist = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))
    model.evaluate(x_test, y_test); model.predict(x_test[:1]); model.save("m.h5")

The weights live in the C trainer (on the GPU with device="cuda"); fit keeps
training the same weights and optimizer state from call to call, as Keras
does. Ctrl-C during fit stops after the current step and raises
KeyboardInterrupt with the weights kept.
"""
import ctypes
import json
import math
import os
import signal
import sys
import threading
import time

import numpy as np

from . import _lib
from ._data import Dataset
from ._data import validation_split as _split_validation
from ._lib import check, enc, lib, take_string
from ._progress import Progbar, metrics_text
from .callbacks import Callback, CoreCallback, History, LearningRateScheduler, ReduceLROnPlateau
from .callbacks import TensorBoard as _TensorBoard
from .optimizers import serialize as _serialize_optimizer

_LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy")
_PRECISIONS = {"fp32": 0, "tf32": 1, "bf16": 2}


def zoo_names():
    names, p = [], lib.gt_zoo_names()
    while p[len(names)]:
        names.append(p[len(names)].decode())
    return names


def _model_from(source):
    """(gt_model handle, weights file or None) from what Model() accepts."""
    handle = ctypes.c_void_p()
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if hasattr(source, "to_json") and not isinstance(source, str):
        source = source.to_json()  # keras.Model, gtrain.Sequential
    if isinstance(source, dict):
        source = json.dumps(source)
    if not isinstance(source, str):
        raise TypeError(f"gtrain.Model({source!r}): expected a zoo name, a Keras model JSON "
                        "(path, text or dict), a .h5 file or a keras.Model")
    if source.lstrip().startswith("{"):
        check(lib.gt_model_from_json_text(source.encode(), b"<model JSON>", ctypes.byref(handle)))
        return handle, None
    if source.endswith((".h5", ".hdf5")):
        check(lib.gt_checkpoint_load_model(enc(source), ctypes.byref(handle)))
        return handle, source
    if source.endswith(".keras"):
        raise _lib.GtrainUnsupportedError(
            f"{source}: gtrain reads Keras' HDF5 files (.h5), not the .keras zip format: save "
            "with model.save('m.h5') in Keras", "GT_ERR_UNSUPPORTED")
    if os.path.exists(source) or source.endswith(".json"):
        check(lib.gt_model_from_json_file(enc(source), ctypes.byref(handle)))
        return handle, None
    status = lib.gt_model_from_zoo(source.encode(), ctypes.byref(handle))
    if status != _lib.GT_OK:
        raise _lib.GtrainValueError(f"'{source}' is neither a file nor a zoo model ({', '.join(zoo_names())})",
                                    "GT_ERR_INVALID_ARGUMENT")
    return handle, None


class _SigintGuard:
    """Turns Ctrl-C during fit into a stop request the trainer polls before
    every step (only the main thread can install the handler)."""

    def __init__(self):
        self.count = 0
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.count += 1

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class Layer:
    """One layer as the model reports it: name, Keras class name, output shape."""

    def __init__(self, name, kind, output_shape):
        self.name, self.kind, self.output_shape = name, kind, output_shape

    def __repr__(self):
        return f"<{self.kind} {self.name} {self.output_shape}>"


class Model:
    """A gtrain model with Keras' fit/evaluate/predict/save."""

    def __init__(self, source=None, *, preprocess="auto", seed=1, device="auto", threads=0,
                 precision="auto"):
        self._handle = None
        self._trainer = None
        self._backend = None
        self._device = None
        self._weights = None
        self._seed = int(seed)
        self._want_device = (device, int(threads), precision)
        self._compiled = {}
        self._key = None
        self.history = None
        self.stop_training = False
        if preprocess not in ("auto", "none"):
            raise ValueError(f"preprocess must be 'auto' or 'none', found {preprocess!r}")
        self._preprocess = preprocess
        if source is not None:
            self._set_model(*_model_from(source))

    # ---- the model ----

    def _set_model(self, handle, weights):
        self._handle = handle
        self._weights = weights
        if self._preprocess == "none":
            check(lib.gt_model_strip_preprocessing(handle))

    def _built(self):
        if self._handle is None:
            raise ValueError("this model has no layers yet (give it an input shape, or call fit)")
        return self._handle

    @property
    def name(self):
        return lib.gt_model_name(self._built()).decode()

    @property
    def input_shape(self):
        s = lib.gt_model_input_shape(self._built())
        return (None, s.h, s.w, s.c)

    @property
    def num_classes(self):
        return lib.gt_model_num_classes(self._built())

    @property
    def layers(self):
        h = self._built()
        out = []
        for i in range(lib.gt_model_layer_count(h)):
            s = lib.gt_model_layer_output_shape(h, i)
            shape = (None, s.c) if (s.h, s.w) == (1, 1) else (None, s.h, s.w, s.c)
            out.append(Layer(lib.gt_model_layer_name(h, i).decode(),
                             lib.gt_model_layer_kind(h, i).decode(), shape))
        return out

    def count_params(self):
        return lib.gt_model_param_count(self._built())

    def to_json(self):
        ptr = ctypes.c_void_p()
        check(lib.gt_model_to_json(self._built(), ctypes.byref(ptr)))
        return take_string(ptr)

    def summary(self, print_fn=None):
        """Keras' model.summary() table and parameter totals."""
        text = _lib.captured(lib.gt_model_summary, self._built())
        (print_fn or (lambda s: print(s, end="")))(text)

    def recipe(self):
        """The training recipe the model carries (gtrain fit's defaults)."""
        return _lib.captured(lib.gt_model_recipe_summary, self._built())

    # ---- compile ----

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **unsupported):
        """Keras' compile: the optimizer (a name, gtrain.optimizers or a Keras
        optimizer object), loss (sparse_)categorical_crossentropy, metrics
        ["accuracy"]. Without compile, fit uses the model's recipe."""
        if unsupported:
            raise _lib.GtrainUnsupportedError(
                f"compile({', '.join(unsupported)}=...) is not supported by gtrain",
                "GT_ERR_UNSUPPORTED")
        name = loss if isinstance(loss, str) or loss is None else \
            getattr(loss, "name", type(loss).__name__)
        if name is not None:
            key = name.lower().replace("-", "_")
            known = {"sparsecategoricalcrossentropy": _LOSSES[0],
                     "categoricalcrossentropy": _LOSSES[1]}
            key = known.get(key.replace("_", ""), key)
            if key not in _LOSSES:
                raise _lib.GtrainUnsupportedError(
                    f"loss {name!r} is not supported: gtrain trains classifiers with "
                    "sparse_categorical_crossentropy or categorical_crossentropy",
                    "GT_ERR_UNSUPPORTED")
            if getattr(loss, "from_logits", False):
                raise _lib.GtrainUnsupportedError(
                    "from_logits=True: gtrain fuses the model's softmax output with the loss; "
                    "end the model with Dense(..., activation='softmax')", "GT_ERR_UNSUPPORTED")
        for m in metrics or []:
            mname = m if isinstance(m, str) else getattr(m, "name", type(m).__name__)
            if mname not in ("accuracy", "acc", "sparse_categorical_accuracy",
                             "categorical_accuracy"):
                raise _lib.GtrainUnsupportedError(
                    f"metric {mname!r} is not supported: gtrain reports loss and accuracy",
                    "GT_ERR_UNSUPPORTED")
        self._compiled = {"optimizer": _serialize_optimizer(optimizer)}
        return None

    @property
    def optimizer(self):
        """The optimizer as Keras' serialized form (the trainer's once there is one)."""
        if self._trainer:
            return self._config()["optimizer"]
        return self._compiled.get("optimizer")

    # ---- backend and trainer ----

    def _open_backend(self, device, threads, precision):
        """(handle, name) for device auto|cpu|cuda; auto falls back to the CPU
        with one notice line, as gtrain fit does."""
        handle = ctypes.c_void_p()
        names = ["cuda", "cpu"] if device == "auto" else [device]
        if device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', found {device!r}")
        for name in names:
            prec = precision
            if prec == "auto":
                prec = "tf32" if name == "cuda" else "fp32"
            if prec not in _PRECISIONS:
                raise ValueError(f"precision must be auto, fp32, tf32 or bf16, found {precision!r}")
            status = lib.gt_backend_create(name.encode(), threads, _PRECISIONS[prec],
                                           ctypes.byref(handle))
            if status == _lib.GT_OK:
                return handle, name
            if device == "auto" and status in (_lib.GT_ERR_NO_DEVICE, _lib.GT_ERR_UNSUPPORTED):
                why = (lib.gt_last_error() or b"").decode()
                print(f"gtrain: {why}; running on the CPU", file=sys.stderr)
                continue
            check(status)
        raise _lib.GtrainDeviceError("no backend could be opened", "GT_ERR_NO_DEVICE")

    def _config(self):
        ptr = ctypes.c_void_p()
        check(lib.gt_trainer_config_json(self._trainer, ctypes.byref(ptr)))
        return json.loads(take_string(ptr))

    def _snapshot(self):
        """Parameters, optimizer moments and run state of the current trainer."""
        t = self._trainer
        n = lib.gt_model_param_count(self._handle)
        params = np.empty(n, np.float32)
        check(lib.gt_trainer_get_params(t, params.ctypes.data, n))
        m = lib.gt_trainer_optimizer_state_count(t)
        moments = np.empty(m, np.float32)
        check(lib.gt_trainer_get_optimizer_state(t, moments.ctypes.data, m))
        state = _lib.TrainState()
        check(lib.gt_trainer_get_state(t, ctypes.byref(state)))
        return params, moments, state, self._config()["optimizer"]

    def _free_trainer(self):
        if self._trainer:
            lib.gt_trainer_destroy(self._trainer)
            self._trainer = None

    def _trainer_for(self, options, device=None, threads=None):
        """A trainer with these options (JSON-able dict) on the wanted device:
        the current one, or a new one carrying over the weights (and, when the
        optimizer is the same, its moments and the run state)."""
        want = list(self._want_device)
        if device is not None:
            want[0] = device
        if threads is not None:
            want[1] = int(threads)
        want = tuple(want)
        key = (json.dumps(options, sort_keys=True), want)
        if self._trainer and key == self._key:
            return self._trainer
        carried = self._snapshot() if self._trainer else None
        self._free_trainer()
        if self._backend is None or want != self._device:
            if self._backend:
                lib.gt_backend_destroy(self._backend)
                self._backend = None
            self._backend, self._backend_name = self._open_backend(*want)
            self._device = want
        handle = ctypes.c_void_p()
        check(lib.gt_trainer_create_json(self._built(), self._backend,
                                         json.dumps(options).encode(), ctypes.byref(handle)))
        self._trainer = handle
        self._key = key
        if carried:
            params, moments, state, optimizer = carried
            check(lib.gt_trainer_set_params(handle, params.ctypes.data, len(params)))
            if optimizer == self._config()["optimizer"]:
                check(lib.gt_trainer_set_optimizer_state(handle, moments.ctypes.data,
                                                         len(moments)))
                check(lib.gt_trainer_set_state(handle, ctypes.byref(state)))
        elif self._weights:
            check(lib.gt_checkpoint_restore(handle, enc(self._weights), 0))
        return handle

    def _options(self, batch_size=None, shuffle=True, steps_per_epoch=None):
        options = {"seed": self._seed, "shuffle": bool(shuffle)}
        if batch_size is not None:
            options["batch_size"] = int(batch_size)
        if steps_per_epoch:
            options["steps_per_epoch"] = int(steps_per_epoch)
        if self._compiled.get("optimizer") is not None:
            options["optimizer"] = self._compiled["optimizer"]
        return options

    def _inference_trainer(self, batch_size, device):
        """The current trainer (any batch size gives the same results), else one
        with Keras' default batch of 32 or the one asked for."""
        if self._trainer and batch_size is None and device is None:
            return self._trainer
        if batch_size is None:
            batch_size = self._config()["batch_size"] if self._trainer else 32
        return self._trainer_for(self._options(batch_size), device)

    def _learning_rate(self):
        return float(lib.gt_trainer_learning_rate(self._trainer))

    def _set_learning_rate(self, lr):
        check(lib.gt_trainer_set_learning_rate(self._trainer, lr))

    def _dataset(self, x, y):
        s = lib.gt_model_input_shape(self._built())
        ds = Dataset(x, y, (s.h, s.w, s.c), self.num_classes)
        return ds

    def _build_from(self, x):
        """Hook for models that take their input shape from the first data (Sequential)."""

    # ---- fit ----

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0,
            steps_per_epoch=None, device=None, threads=None, tensorboard=None):
        """Keras' fit. Returns a History whose history holds Keras' keys.

        device: auto (the GPU when there is one), cpu or cuda. tensorboard=DIR
        adds TensorBoard(log_dir=DIR)."""
        verbose = 1 if verbose == "auto" else int(verbose)
        if x is None or y is None:
            raise ValueError("fit needs x and y (numpy arrays)")
        self._build_from(x)
        x = np.asarray(x)
        y = np.asarray(y)
        val = None
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be (x_val, y_val)")
            val = validation_data
        elif validation_split:
            (x, y), val = _split_validation(x, y, float(validation_split))
        callbacks = list(callbacks or [])
        if tensorboard is not None:
            callbacks.append(_TensorBoard(log_dir=tensorboard))
        core = [c for c in callbacks if isinstance(c, CoreCallback)]
        python = [c for c in callbacks if not isinstance(c, CoreCallback)]
        for c in python:
            if not isinstance(c, Callback):
                raise TypeError(f"callback {c!r} is not a gtrain.callbacks.Callback")
        trainer = self._trainer_for(self._options(batch_size, shuffle, steps_per_epoch),
                                    device, threads)
        train_ds = self._dataset(x, y)
        val_ds = self._dataset(*val) if val is not None else None
        try:
            return self._run_fit(trainer, train_ds, val_ds, epochs - int(initial_epoch), verbose,
                                 core, python)
        finally:
            for ds in (train_ds, val_ds):
                if ds:
                    ds.used_by(trainer)
                    ds.close()

    def _run_fit(self, trainer, train_ds, val_ds, epochs, verbose, core, python):
        state = _lib.TrainState()
        check(lib.gt_trainer_get_state(trainer, ctypes.byref(state)))
        if state.steps_done:  # a fit interrupted mid-epoch: the next starts a new epoch
            state.steps_done = state.data_cursor = 0
            state.epoch_loss_sum = state.epoch_correct = state.epoch_examples = 0.0
            state.epoch_seconds = 0.0
            check(lib.gt_trainer_set_state(trainer, ctypes.byref(state)))
        base = state.epochs_done
        check(lib.gt_trainer_set_callbacks(trainer, json.dumps([c.serialize() for c in core])
                                           .encode()))
        check(lib.gt_trainer_check_callbacks(trainer, int(val_ds is not None)))
        history = History()
        everyone = python + [history]
        for c in everyone:
            c.set_model(self)
        for c in core:
            c.set_model(self)
        batch_hooks = [c for c in python
                       if type(c).on_train_batch_end is not Callback.on_train_batch_end]
        lr_in_logs = any(isinstance(c, (ReduceLROnPlateau, LearningRateScheduler))
                         for c in core + python)
        self.stop_training = False
        run = {"bar": None, "error": None, "steps": 0}

        def guarded(fn, *args):
            if run["error"] is not None:
                return None
            try:
                return fn(*args)
            except BaseException as e:  # kept and raised once the library returns
                run["error"] = e
                return None

        def on_epoch_begin(user, epoch, total, steps):
            run["steps"] = steps
            if verbose:
                print(f"Epoch {epoch - base}/{total - base}", flush=True)
            run["bar"] = Progbar(steps, verbose)
            for c in python:
                guarded(c.on_epoch_begin, epoch - base - 1, {})

        def on_step(user, epoch, step, steps, loss, acc):
            bar = run["bar"]
            if bar is not None:
                guarded(bar.update, step, metrics_text([("loss", loss), ("accuracy", acc)]))
            for c in batch_hooks:
                guarded(c.on_train_batch_end, step - 1, {"loss": loss, "accuracy": acc})
            return int(run["error"] is not None or self.stop_training)

        def on_epoch_end(user, tr, logs_p):
            lg = logs_p.contents
            logs = {"loss": lg.loss, "accuracy": lg.accuracy}
            if val_ds is not None:
                logs["val_loss"] = lg.val_loss
                logs["val_accuracy"] = lg.val_accuracy
            if lr_in_logs:
                logs["learning_rate"] = lg.learning_rate
            bar = run["bar"]
            if bar is not None:
                guarded(bar.end, lg.steps, metrics_text(logs.items()), lg.seconds)
                run["bar"] = None
            guarded(self._report_callbacks, core, lg)
            for c in everyone:
                guarded(c.on_epoch_end, lg.epoch - base - 1, logs)
            return _lib.GT_ERR_INTERNAL if run["error"] is not None else _lib.GT_OK

        sigint = _SigintGuard()

        def stop_requested(user):
            return int(sigint.count > 0 or self.stop_training or run["error"] is not None)

        cbs = _lib.FitCallbacks(None, _lib.ON_EPOCH_BEGIN(on_epoch_begin), _lib.ON_STEP(on_step),
                                _lib.ON_STEP_END(0), _lib.ON_EPOCH_END(on_epoch_end), 0,
                                _lib.STOP_REQUESTED(stop_requested))
        for c in everyone:
            c.on_train_begin({})
        train_ds.used_by(trainer)
        if val_ds:
            val_ds.used_by(trainer)
        with sigint:
            status = lib.gt_trainer_fit(trainer, train_ds.handle,
                                        val_ds.handle if val_ds else None, base + epochs,
                                        ctypes.byref(cbs))
        if run["bar"] is not None:
            run["bar"].interrupt()
        if run["error"] is not None:
            raise run["error"]
        check(status)
        self._take_callback_state(core)
        history.params = {"verbose": verbose, "epochs": epochs, "steps": run["steps"]}
        self.history = history
        if sigint.count:
            check(lib.gt_trainer_get_state(trainer, ctypes.byref(state)))
            where = (f"in epoch {state.epochs_done - base + 1} after step {state.steps_done}"
                     if state.steps_done else f"after epoch {state.epochs_done - base}")
            raise KeyboardInterrupt(f"gtrain: training stopped by Ctrl-C {where}; the model "
                                    "keeps the weights it had then")
        report = _lib.CallbacksReport()
        lib.gt_trainer_callbacks_report(trainer, ctypes.byref(report))
        for c in core:
            if c.class_name == "EarlyStopping" and c.verbose:
                if report.stopped_epoch:
                    print(f"Epoch {report.stopped_epoch - base}: early stopping")
                if report.weights_restored:
                    print("Restoring model weights from the end of the best epoch: "
                          f"{report.best_epoch - base}.")
        for c in everyone:
            c.on_train_end({})
        return history

    def _report_callbacks(self, core, lg):
        """Keras' verbose=1 messages of the callbacks the library ran."""
        for c in core:
            if not c.verbose:
                continue
            if c.class_name == "ReduceLROnPlateau" and lg.lr_reduced_to > 0:
                print(f"\nEpoch {lg.epoch}: ReduceLROnPlateau reducing learning rate to "
                      f"{lg.lr_reduced_to}.")
            if c.class_name == "ModelCheckpoint" and lg.checkpoint_saved:
                print(f"\nEpoch {lg.epoch}: saving model to {c.config.get('filepath')}")

    def _take_callback_state(self, core):
        if not core:
            return
        ptr = ctypes.c_void_p()
        check(lib.gt_trainer_callbacks_json(self._trainer, 1, ctypes.byref(ptr)))
        items = json.loads(take_string(ptr))
        for c, item in zip(core, items):
            c._take_state(item)

    # ---- evaluate, predict ----

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False,
                 device=None):
        """Keras' evaluate: [loss, accuracy] (or a dict) over x, y."""
        verbose = 1 if verbose == "auto" else int(verbose)
        trainer = self._inference_trainer(batch_size, device)
        batch = self._config()["batch_size"]
        start = time.monotonic()
        with self._dataset(x, y) as ds:
            ds.used_by(trainer)
            loss, acc = ctypes.c_double(), ctypes.c_double()
            check(lib.gt_trainer_evaluate(trainer, ds.handle, ctypes.byref(loss),
                                          ctypes.byref(acc)))
            steps = math.ceil(ds.count / batch)
        result = {"loss": loss.value, "accuracy": acc.value}
        if verbose:
            Progbar(steps, verbose).end(steps, metrics_text(result.items()),
                                        time.monotonic() - start)
        return result if return_dict else [loss.value, acc.value]

    def predict(self, x, batch_size=None, verbose="auto", device=None):
        """Class probabilities (N, classes) as float32, as Keras' predict of a
        softmax classifier."""
        verbose = 1 if verbose == "auto" else int(verbose)
        trainer = self._inference_trainer(batch_size, device)
        batch = self._config()["batch_size"]
        start = time.monotonic()
        with self._dataset(x, None) as ds:
            ds.used_by(trainer)
            probs = np.empty((ds.count, self.num_classes), np.float32)
            check(lib.gt_trainer_predict(trainer, ds.handle, 0, ds.count, probs.ctypes.data))
            steps = math.ceil(ds.count / batch)
        if verbose:
            Progbar(steps, verbose).end(steps, "", time.monotonic() - start)
        return probs

    # ---- files ----

    def _any_trainer(self):
        return self._trainer or self._inference_trainer(None, None)

    def save(self, filepath):
        """Keras 2's HDF5 model file (model_config, model_weights) with
        gtrain's run state beside it: keras load_model/load_weights read it."""
        filepath = os.fspath(filepath)
        if not filepath.endswith((".h5", ".hdf5")):
            raise _lib.GtrainValueError(
                f"{filepath}: gtrain writes Keras' HDF5 format: give a .h5 path",
                "GT_ERR_INVALID_ARGUMENT")
        check(lib.gt_checkpoint_save(self._any_trainer(), enc(filepath), None))

    def load_weights(self, filepath):
        """Weights from a Keras .h5 file (model.save or save_weights) or a checkpoint."""
        filepath = os.fspath(filepath)
        if self._trainer:
            check(lib.gt_checkpoint_restore(self._trainer, enc(filepath), 0))
        else:
            self._weights = filepath

    # ---- cleanup ----

    def close(self):
        """Frees the C model, trainer and backend now (else when collected)."""
        self._free_trainer()
        if self._backend:
            lib.gt_backend_destroy(self._backend)
            self._backend = None
        if self._handle:
            lib.gt_model_free(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def load_model(filepath, **kwargs):
    """A model and its weights from a Keras .h5 file or a gtrain checkpoint."""
    return Model(filepath, **kwargs)

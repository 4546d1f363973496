"""numpy arrays as the notebooks hold them, turned into gtrain datasets.

Images: (N, H, W) or (N, H, W, C); uint8 stays uint8 (the dataset the C
trainer gathers from), any other dtype becomes a float32 dataset (Keras casts
to float32 too), values as given: a model's Rescaling applies to them as it
would in Keras. Labels: integers (N,) or (N, 1), or one-hot rows (N, classes)
as keras.utils.to_categorical makes them.
"""
import ctypes

import numpy as np

from . import _lib
from ._lib import lib


def images_array(x, input_shape):
    """x as a C-contiguous (N, H, W, C) uint8 or float32 array."""
    x = np.asarray(x)
    h, w, c = input_shape
    if x.ndim == 3:
        x = x[..., np.newaxis]
    elif x.ndim == 2 and (h, w) == (1, 1) and x.shape[1] == c:
        x = x.reshape(len(x), 1, 1, c)  # flat features for a model whose input is a vector
    if x.ndim != 4:
        raise _lib.GtrainValueError(
            f"images must be (N, height, width) or (N, height, width, channels); found shape "
            f"{x.shape}", "GT_ERR_SHAPE")
    if x.dtype != np.uint8:
        if x.dtype == np.bool_ or not (np.issubdtype(x.dtype, np.number)):
            raise _lib.GtrainValueError(f"images of dtype {x.dtype} are not supported (uint8 or "
                                        "a float or integer type)", "GT_ERR_INVALID_ARGUMENT")
        x = x.astype(np.float32)
    return np.ascontiguousarray(x)


def labels_array(y, count, classes):
    """y as int32 class indices; one-hot rows must hold exactly one 1."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        if y.shape[1] != classes:
            raise _lib.GtrainValueError(
                f"one-hot labels have {y.shape[1]} columns, the model {classes} classes",
                "GT_ERR_SHAPE")
        ones = (y == 1).sum(axis=1)
        if not (np.all(ones == 1) and np.all((y == 0) | (y == 1))):
            bad = int(np.argmax((ones != 1) | np.any((y != 0) & (y != 1), axis=1)))
            raise _lib.GtrainValueError(
                f"label row {bad} is {y[bad].tolist()}: one-hot rows need exactly one 1 and "
                "zeros (gtrain's cross-entropy takes hard labels)", "GT_ERR_INVALID_ARGUMENT")
        y = np.argmax(y, axis=1)
    if y.ndim != 1:
        raise _lib.GtrainValueError(f"labels must be (N,), (N, 1) or one-hot (N, classes); "
                                    f"found shape {y.shape}", "GT_ERR_SHAPE")
    if len(y) != count:
        raise _lib.GtrainValueError(f"{count} images but {len(y)} labels", "GT_ERR_SHAPE")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise _lib.GtrainValueError("labels must be whole numbers (class indices)",
                                        "GT_ERR_INVALID_ARGUMENT")
    return np.ascontiguousarray(y.astype(np.int32))


class Dataset:
    """A gtrain dataset copied from numpy arrays; freed with close(), after
    the trainers that used it have been told (gt_trainer_release_dataset)."""

    def __init__(self, x, y, input_shape, classes):
        images = images_array(x, input_shape)
        labels = labels_array(y, len(images), classes) if y is not None else \
            np.zeros(len(images), np.int32)
        self.count = len(images)
        self.is_float = images.dtype == np.float32
        shape = _lib.Shape3(*images.shape[1:])
        handle = ctypes.c_void_p()
        make = lib.gt_dataset_from_memory_f32 if self.is_float else lib.gt_dataset_from_memory
        _lib.check(make(images.ctypes.data, labels.ctypes.data, self.count, shape, classes,
                        ctypes.byref(handle)))
        self.handle = handle
        self._trainers = []

    def used_by(self, trainer_handle):
        if trainer_handle not in self._trainers:
            self._trainers.append(trainer_handle)

    def close(self):
        if self.handle:
            for t in self._trainers:
                lib.gt_trainer_release_dataset(t, self.handle)
            lib.gt_dataset_free(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def validation_split(x, y, fraction):
    """Keras' train_validation_split: the last `fraction` of the arrays, cut
    before any shuffling, at floor(N * (1 - fraction))."""
    import math
    n = len(x)
    split_at = int(math.floor(n * (1.0 - fraction)))
    if split_at == 0 or split_at == n:
        raise _lib.GtrainValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={fraction}`",
            "GT_ERR_INVALID_ARGUMENT")
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])

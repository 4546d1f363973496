"""The datasets the notebooks load, as Keras' loaders return them:

    (x_train, y_train), (x_test, y_test) = gtrain.datasets.fashion_mnist.load_data()

uint8 images (N, 28, 28) and uint8 labels, read by gtrain's own loader from
the IDX files (Fashion-MNIST: Debian's dataset-fashion-mnist; MNIST:
$GTRAIN_TEST_DATA/mnist), found as `gtrain fit` finds them: `path`, then
$GTRAIN_DATA_DIR, then the dataset's default. Nothing is downloaded.
load_hdf5 reads an HDF5 image dataset such as SIGNS.
"""
import ctypes

import numpy as np

from ._lib import check, enc, lib


def _arrays(handle):
    """(images, labels, class names) copied out of a C dataset, which is freed."""
    try:
        n = lib.gt_dataset_count(handle)
        s = lib.gt_dataset_shape(handle)
        size = n * s.h * s.w * s.c
        images = np.frombuffer(ctypes.string_at(lib.gt_dataset_images(handle), size),
                               np.uint8).reshape(n, s.h, s.w, s.c)
        labels = np.frombuffer(ctypes.string_at(lib.gt_dataset_labels(handle), 4 * n),
                               np.int32).copy()
        names = []
        for k in range(lib.gt_dataset_num_classes(handle)):
            name = lib.gt_dataset_class_name(handle, k)
            names.append(name.decode() if name else str(k))
        return images.copy(), labels, names
    finally:
        lib.gt_dataset_free(handle)


def _named(name, path, split):
    handle = ctypes.c_void_p()
    check(lib.gt_dataset_load_named(name.encode(), enc(path), split.encode(), ctypes.byref(handle)))
    images, labels, names = _arrays(handle)
    return images[..., 0], labels.astype(np.uint8), names


class _Named:
    def __init__(self, name):
        self.name = name

    def load_data(self, path=None):
        """((x_train, y_train), (x_test, y_test)) as uint8 arrays, as Keras' load_data."""
        x_train, y_train, _ = _named(self.name, path, "train")
        x_test, y_test, _ = _named(self.name, path, "test")
        return (x_train, y_train), (x_test, y_test)

    def class_names(self, path=None):
        """The class names gtrain knows for this dataset."""
        return _named(self.name, path, "test")[2]


fashion_mnist = _Named("fashion-mnist")
mnist = _Named("mnist")


def load_hdf5(path, x_key=None, y_key=None):
    """(images (N, H, W, C) uint8, labels int32, class names) from an HDF5 file
    (SIGNS: train_signs.h5), keys found as `gtrain fit --data hdf5:` finds them."""
    handle = ctypes.c_void_p()
    check(lib.gt_dataset_load_hdf5(enc(path), enc(x_key), enc(y_key), ctypes.byref(handle)))
    return _arrays(handle)

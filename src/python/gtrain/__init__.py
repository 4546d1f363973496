"""gtrain for Keras users: a Keras-shaped front end of gtrain's C training
engine. See gtrain.Model, gtrain.Sequential and gtrain.layers, gtrain.callbacks,
gtrain.optimizers, gtrain.datasets and `python3 -m gtrain.plot`."""
from . import callbacks, datasets, optimizers
from . import sequential as layers
from ._lib import (GtrainDeviceError, GtrainError, GtrainFileError, GtrainMemoryError,
                   GtrainNonFiniteError, GtrainUnsupportedError, GtrainValueError)
from .model import Model, load_model, zoo_names
from .sequential import Input, Sequential

__version__ = "0.1.0"

__all__ = ["Model", "Sequential", "Input", "load_model", "zoo_names", "layers", "callbacks",
           "optimizers", "datasets", "GtrainError", "GtrainValueError", "GtrainFileError",
           "GtrainMemoryError", "GtrainNonFiniteError", "GtrainUnsupportedError",
           "GtrainDeviceError"]

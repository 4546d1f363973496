"""Keras' Sequential API for the layers gtrain trains, so a notebook cell's
model definition carries over as it is:

    model = gtrain.Sequential([
        gtrain.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        gtrain.layers.MaxPooling2D(2, 2),
        gtrain.layers.Flatten(),
        gtrain.layers.Dense(128, activation="relu"),
        gtrain.layers.Dense(10, activation="softmax")])

Each layer is its Keras config (Keras 2's model.to_json() form); the model is
built by the C library from that JSON, from the first layer's input_shape or,
as Keras does, from the data of the first fit. add() appends a layer.
"""
from .model import Model


def _pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(a) for a in v]


def _activation(a):
    if a is None:
        return "linear"
    return a if isinstance(a, str) else getattr(a, "__name__", str(a))


class Layer:
    class_name = None
    prefix = None

    def __init__(self, name=None, input_shape=None, **config):
        self.name = name
        self.input_shape = tuple(input_shape) if input_shape is not None else None
        self.config = config

    def to_config(self, name):
        cfg = {"name": self.name or name, **self.config}
        if self.input_shape is not None:
            cfg["batch_input_shape"] = [None, *self.input_shape]
        return {"class_name": self.class_name, "config": cfg}


class Dense(Layer):
    class_name, prefix = "Dense", "dense"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kw):
        super().__init__(units=int(units), activation=_activation(activation), use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         **kw)


class Conv2D(Layer):
    class_name, prefix = "Conv2D", "conv2d"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kw):
        super().__init__(filters=int(filters), kernel_size=_pair(kernel_size),
                         strides=_pair(strides), padding=padding,
                         activation=_activation(activation), use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         **kw)


class MaxPooling2D(Layer):
    class_name, prefix = "MaxPooling2D", "max_pooling2d"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kw):
        super().__init__(pool_size=_pair(pool_size),
                         strides=_pair(strides) if strides is not None else None,
                         padding=padding, **kw)


MaxPool2D = MaxPooling2D


class Flatten(Layer):
    class_name, prefix = "Flatten", "flatten"


class Dropout(Layer):
    class_name, prefix = "Dropout", "dropout"

    def __init__(self, rate, **kw):
        super().__init__(rate=float(rate), **kw)


class Activation(Layer):
    class_name, prefix = "Activation", "activation"

    def __init__(self, activation, **kw):
        super().__init__(activation=_activation(activation), **kw)


class Rescaling(Layer):
    class_name, prefix = "Rescaling", "rescaling"

    def __init__(self, scale, offset=0.0, **kw):
        super().__init__(scale=float(scale), offset=float(offset), **kw)


class InputLayer(Layer):
    class_name, prefix = "InputLayer", "input"

    def __init__(self, shape=None, input_shape=None, **kw):
        super().__init__(input_shape=shape if shape is not None else input_shape, **kw)


def Input(shape, name=None):  # noqa: N802 - Keras' name
    return InputLayer(shape=shape, name=name)


class Sequential(Model):
    """keras.Sequential for gtrain's layers (gtrain.layers)."""

    def __init__(self, layers=None, name="sequential", **model_kw):
        super().__init__(None, **model_kw)
        self._layers = list(layers or [])
        self._seq_name = name

    def add(self, layer):
        if self._handle is not None:
            raise ValueError("the model is built (it has trained or been summarized): add "
                             "layers before that")
        self._layers.append(layer)

    def _spec(self, input_shape=None):
        counts, layers = {}, []
        for i, layer in enumerate(self._layers):
            n = counts.get(layer.prefix, 0)
            counts[layer.prefix] = n + 1
            cfg = layer.to_config(layer.prefix if n == 0 else f"{layer.prefix}_{n}")
            if i == 0 and input_shape is not None and "batch_input_shape" not in cfg["config"]:
                cfg["config"]["batch_input_shape"] = [None, *input_shape]
            layers.append(cfg)
        return {"class_name": "Sequential", "config": {"name": self._seq_name, "layers": layers}}

    def to_json(self):
        import json
        return json.dumps(self._spec()) if self._handle is None else super().to_json()

    def _build(self, input_shape=None):
        if self._handle is None:
            from .model import _model_from
            self._set_model(*_model_from(self._spec(input_shape)))
        return self._handle

    def _built(self):
        return self._build()

    def _build_from(self, x):
        if self._handle is None:
            import numpy as np
            self._build(tuple(np.shape(x)[1:]))

"""Keras' optimizers and learning-rate schedules, by name and arguments.

Each object is Keras' serialized form ({"class_name": ..., "config": {...}},
what keras.optimizers.serialize gives), which the C library reads with
Keras 3's defaults for what is left out and refuses, naming the argument,
what gtrain does not implement. So

    gtrain.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, momentum=0.0,
                              epsilon=1e-7, centered=False)
    gtrain.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.004)
    gtrain.optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1000, 0.96))

mean what they mean in Keras. compile() also takes the names ("adam") and a
Keras optimizer object (anything with get_config()).
"""


class _Serialized:
    class_name = None

    def __init__(self, **config):
        self._config = {k: v for k, v in config.items() if v is not None}

    def get_config(self):
        return {k: (v.serialize() if hasattr(v, "serialize") else v)
                for k, v in self._config.items()}

    def serialize(self):
        return {"class_name": self.class_name, "config": self.get_config()}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"{type(self).__name__}({args})"


class Optimizer(_Serialized):
    """Base of the optimizers: the Keras arguments given (the rest Keras' defaults)."""

    def __init__(self, learning_rate=None, **config):
        super().__init__(learning_rate=learning_rate, **config)

    @property
    def learning_rate(self):
        return self._config.get("learning_rate")


class Adam(Optimizer):
    """Keras Adam: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7."""
    class_name = "Adam"


class AdamW(Optimizer):
    """Keras AdamW: Adam's arguments and weight_decay 0.004 (decoupled, applied
    to every weight before Adam's step, as Keras 3 does)."""
    class_name = "AdamW"


class SGD(Optimizer):
    """Keras SGD: learning_rate 0.01, momentum 0.0, nesterov False."""
    class_name = "SGD"


class RMSprop(Optimizer):
    """Keras RMSprop: learning_rate 0.001, rho 0.9, momentum 0.0, epsilon 1e-7,
    centered False (epsilon inside the square root, as Keras 3)."""
    class_name = "RMSprop"


def serialize(optimizer):
    """A name, a gtrain optimizer or a Keras optimizer object, as Keras' serialized form."""
    if optimizer is None or isinstance(optimizer, str):
        return optimizer
    if hasattr(optimizer, "serialize"):
        return optimizer.serialize()
    if hasattr(optimizer, "get_config"):  # a keras.optimizers.Optimizer
        return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
    raise TypeError(f"optimizer {optimizer!r}: expected a name, a gtrain.optimizers object or a "
                    "Keras optimizer")


class schedules:  # noqa: N801 - Keras' module name, keras.optimizers.schedules
    """Keras' learning-rate schedules, evaluated by gtrain at every optimizer step."""

    class LearningRateSchedule(_Serialized):
        pass

    class ExponentialDecay(LearningRateSchedule):
        """lr0 * decay_rate ** (step / decay_steps), the exponent floored when staircase."""
        class_name = "ExponentialDecay"

        def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
            super().__init__(initial_learning_rate=initial_learning_rate,
                             decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase)

    class CosineDecay(LearningRateSchedule):
        """Keras CosineDecay: to alpha * lr0 over decay_steps, after an optional
        linear warmup to warmup_target over warmup_steps."""
        class_name = "CosineDecay"

        def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
                     warmup_steps=0):
            super().__init__(initial_learning_rate=initial_learning_rate,
                             decay_steps=decay_steps, alpha=alpha, warmup_target=warmup_target,
                             warmup_steps=warmup_steps)

    class PiecewiseConstantDecay(LearningRateSchedule):
        """values[i] between boundaries (steps), as Keras' PiecewiseConstantDecay."""
        class_name = "PiecewiseConstantDecay"

        def __init__(self, boundaries, values):
            super().__init__(boundaries=list(boundaries), values=list(values))

"""The C library, loaded with ctypes: prototypes of the public functions the
package calls (include/gtrain/*.h), the few structs it shares with them, and
errors raised as Python exceptions carrying gtrain's own message.

ctypes rather than a C extension: the package then needs no Python headers
and no build per Python version, it loads the same libgtrain.so C programs
link, and every call releases the GIL while it runs. The structs mirrored
here are checked against the library's sizes when the module loads, so a
library of another layout is refused instead of misread.
"""
import ctypes
import ctypes.util
import os

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_int = ctypes.c_int
c_size_t = ctypes.c_size_t
c_double = ctypes.c_double
c_float = ctypes.c_float
P = ctypes.POINTER


class Shape3(ctypes.Structure):
    _fields_ = [("h", c_int), ("w", c_int), ("c", c_int)]


class EpochLogs(ctypes.Structure):
    """gt_epoch_logs (include/gtrain/train.h)."""
    _fields_ = [("epoch", c_int), ("steps", c_int), ("loss", c_double),
                ("accuracy", c_double), ("val_loss", c_double), ("val_accuracy", c_double),
                ("seconds", c_double), ("learning_rate", c_double),
                ("early_stopped", c_int), ("lr_reduced_to", c_double),
                ("checkpoint_saved", c_int), ("checkpoint_best", c_double)]


class TrainState(ctypes.Structure):
    """gt_train_state (include/gtrain/train.h)."""
    _fields_ = [("seed", ctypes.c_uint64), ("optimizer_step", ctypes.c_int64),
                ("epochs_done", c_int), ("steps_done", c_int),
                ("dropout_counter", ctypes.c_uint64), ("epoch_loss_sum", c_double),
                ("epoch_correct", c_double), ("epoch_examples", c_double),
                ("epoch_seconds", c_double), ("learning_rate", c_double),
                ("data_cursor", ctypes.c_int64)]


class CallbacksReport(ctypes.Structure):
    """gt_callbacks_report (include/gtrain/callbacks.h)."""
    _fields_ = [("stopped_epoch", c_int), ("best_epoch", c_int), ("weights_restored", c_int)]


ON_EPOCH_BEGIN = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_int, c_int)
ON_STEP = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int, c_int, c_double, c_double)
ON_STEP_END = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_int, c_int)
ON_EPOCH_END = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, P(EpochLogs))
STOP_REQUESTED = ctypes.CFUNCTYPE(c_int, c_void_p)


class FitCallbacks(ctypes.Structure):
    """gt_fit_callbacks (include/gtrain/train.h)."""
    _fields_ = [("user", c_void_p), ("on_epoch_begin", ON_EPOCH_BEGIN), ("on_step", ON_STEP),
                ("on_step_end", ON_STEP_END), ("on_epoch_end", ON_EPOCH_END),
                ("step_end_every", c_int), ("stop_requested", STOP_REQUESTED)]


# gt_status (include/gtrain/status.h)
GT_OK = 0
GT_ERR_INVALID_ARGUMENT = 1
GT_ERR_IO = 2
GT_ERR_FORMAT = 3
GT_ERR_SHAPE = 4
GT_ERR_OUT_OF_MEMORY = 5
GT_ERR_UNSUPPORTED = 6
GT_ERR_NONFINITE = 7
GT_ERR_DEVICE = 8
GT_ERR_NO_DEVICE = 9
GT_ERR_INTERNAL = 10


class GtrainError(RuntimeError):
    """A failure gtrain reported; str() is its message, .status its gt_status name."""

    def __init__(self, message, status="GT_ERR_INTERNAL"):
        super().__init__(message)
        self.status = status


class GtrainValueError(GtrainError, ValueError):
    """A bad argument or data of the wrong shape (GT_ERR_INVALID_ARGUMENT, GT_ERR_SHAPE)."""


class GtrainFileError(GtrainError, OSError):
    """A file that cannot be read or written, or holds what gtrain cannot use."""


class GtrainMemoryError(GtrainError, MemoryError):
    """Out of host or device memory (the message says whether a smaller batch helps)."""


class GtrainNonFiniteError(GtrainError, ArithmeticError):
    """The loss became nan or inf (the message names the epoch and step)."""


class GtrainUnsupportedError(GtrainError, NotImplementedError):
    """A valid request this build, backend or gtrain does not do."""


class GtrainDeviceError(GtrainError):
    """CUDA, cuDNN or cuBLAS failed, or no usable GPU."""


_ERRORS = {GT_ERR_INVALID_ARGUMENT: GtrainValueError, GT_ERR_SHAPE: GtrainValueError,
           GT_ERR_IO: GtrainFileError, GT_ERR_FORMAT: GtrainFileError,
           GT_ERR_OUT_OF_MEMORY: GtrainMemoryError, GT_ERR_NONFINITE: GtrainNonFiniteError,
           GT_ERR_UNSUPPORTED: GtrainUnsupportedError, GT_ERR_DEVICE: GtrainDeviceError,
           GT_ERR_NO_DEVICE: GtrainDeviceError}


def library_path():
    """$GTRAIN_LIBRARY, else the libgtrain.so installed beside this module."""
    return os.environ.get("GTRAIN_LIBRARY") or os.path.join(os.path.dirname(__file__),
                                                            "libgtrain.so")


def _declare(lib):
    def f(name, restype, *argtypes):
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = list(argtypes)

    pp = P(c_void_p)
    f("gt_status_name", c_char_p, c_int)
    f("gt_last_error", c_char_p)
    f("gt_clear_error", None)
    f("gt_struct_size", c_size_t, c_char_p)
    f("gt_format_progress", c_int, c_char_p, c_size_t, c_int, ctypes.c_long, ctypes.c_long,
      c_double, c_double, c_int, c_char_p)
    f("gt_format_metric", c_int, c_char_p, c_size_t, c_char_p, c_double)
    # models
    f("gt_zoo_names", P(c_char_p))
    f("gt_model_from_zoo", c_int, c_char_p, pp)
    f("gt_model_from_json_text", c_int, c_char_p, c_char_p, pp)
    f("gt_model_from_json_file", c_int, c_char_p, pp)
    f("gt_model_to_json", c_int, c_void_p, pp)
    f("gt_model_free", None, c_void_p)
    f("gt_model_name", c_char_p, c_void_p)
    f("gt_model_param_count", c_size_t, c_void_p)
    f("gt_model_trainable_param_count", c_size_t, c_void_p)
    f("gt_model_input_shape", Shape3, c_void_p)
    f("gt_model_num_classes", c_int, c_void_p)
    f("gt_model_layer_count", c_int, c_void_p)
    f("gt_model_layer_name", c_char_p, c_void_p, c_int)
    f("gt_model_layer_kind", c_char_p, c_void_p, c_int)
    f("gt_model_layer_output_shape", Shape3, c_void_p, c_int)
    f("gt_model_strip_preprocessing", c_int, c_void_p)
    f("gt_model_summary", c_int, c_void_p, c_void_p)
    f("gt_model_recipe_summary", c_int, c_void_p, c_void_p)
    # backends
    f("gt_backend_create", c_int, c_char_p, c_int, c_int, pp)
    f("gt_backend_destroy", None, c_void_p)
    f("gt_backend_cuda_compiled", c_int)
    # datasets
    f("gt_dataset_from_memory", c_int, c_void_p, c_void_p, c_size_t, Shape3, c_int, pp)
    f("gt_dataset_from_memory_f32", c_int, c_void_p, c_void_p, c_size_t, Shape3, c_int, pp)
    f("gt_dataset_load_named", c_int, c_char_p, c_char_p, c_char_p, pp)
    f("gt_dataset_load_hdf5", c_int, c_char_p, c_char_p, c_char_p, pp)
    f("gt_dataset_free", None, c_void_p)
    f("gt_dataset_count", c_size_t, c_void_p)
    f("gt_dataset_shape", Shape3, c_void_p)
    f("gt_dataset_num_classes", c_int, c_void_p)
    f("gt_dataset_images", c_void_p, c_void_p)
    f("gt_dataset_labels", c_void_p, c_void_p)
    f("gt_dataset_class_name", c_char_p, c_void_p, c_int)
    # trainers
    f("gt_trainer_create_json", c_int, c_void_p, c_void_p, c_char_p, pp)
    f("gt_trainer_destroy", None, c_void_p)
    f("gt_trainer_config_json", c_int, c_void_p, pp)
    f("gt_trainer_check_data", c_int, c_void_p, c_void_p)
    f("gt_trainer_release_dataset", None, c_void_p, c_void_p)
    f("gt_trainer_fit", c_int, c_void_p, c_void_p, c_void_p, c_int, P(FitCallbacks))
    f("gt_trainer_evaluate", c_int, c_void_p, c_void_p, P(c_double), P(c_double))
    f("gt_trainer_predict", c_int, c_void_p, c_void_p, c_size_t, c_size_t, c_void_p)
    f("gt_trainer_get_params", c_int, c_void_p, c_void_p, c_size_t)
    f("gt_trainer_set_params", c_int, c_void_p, c_void_p, c_size_t)
    f("gt_trainer_get_state", c_int, c_void_p, P(TrainState))
    f("gt_trainer_set_state", c_int, c_void_p, P(TrainState))
    f("gt_trainer_optimizer_state_count", c_size_t, c_void_p)
    f("gt_trainer_get_optimizer_state", c_int, c_void_p, c_void_p, c_size_t)
    f("gt_trainer_set_optimizer_state", c_int, c_void_p, c_void_p, c_size_t)
    f("gt_trainer_learning_rate", c_double, c_void_p)
    f("gt_trainer_set_learning_rate", c_int, c_void_p, c_double)
    f("gt_trainer_set_callbacks", c_int, c_void_p, c_char_p)
    f("gt_trainer_callbacks_json", c_int, c_void_p, c_int, pp)
    f("gt_trainer_check_callbacks", c_int, c_void_p, c_int)
    f("gt_trainer_callbacks_report", None, c_void_p, P(CallbacksReport))
    f("gt_checkpoint_save", c_int, c_void_p, c_char_p, c_char_p)
    f("gt_checkpoint_restore", c_int, c_void_p, c_char_p, c_int)
    f("gt_checkpoint_load_model", c_int, c_char_p, pp)


def _load():
    path = library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"gtrain: cannot load the C library {path}: {e} (reinstall with "
                          "'pip install ./src/python', or set GTRAIN_LIBRARY)") from e
    _declare(lib)
    for struct, name in ((Shape3, "gt_shape3"), (EpochLogs, "gt_epoch_logs"),
                         (TrainState, "gt_train_state"), (FitCallbacks, "gt_fit_callbacks"),
                         (CallbacksReport, "gt_callbacks_report")):
        want = lib.gt_struct_size(name.encode())
        if want != ctypes.sizeof(struct):
            raise ImportError(f"gtrain: {path} has {name} of {want} bytes, this package expects "
                              f"{ctypes.sizeof(struct)}: the library and the package do not match")
    return lib


lib = _load()
_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_libc.free.argtypes = [c_void_p]
_libc.free.restype = None
_libc.open_memstream.argtypes = [P(c_void_p), P(c_size_t)]
_libc.open_memstream.restype = c_void_p
_libc.fclose.argtypes = [c_void_p]
_libc.fclose.restype = c_int


def check(status):
    """Raises the exception for a failed call, with gtrain's message."""
    if status == GT_OK:
        return
    message = (lib.gt_last_error() or b"").decode("utf-8", "replace")
    name = (lib.gt_status_name(status) or b"").decode()
    raise _ERRORS.get(status, GtrainError)(message or name, name)


def take_string(ptr):
    """A malloc'd char* from the library as str, freed."""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8") if ptr.value else ""
    finally:
        _libc.free(ptr)


def captured(fn, *args):
    """What fn(*args, FILE*) writes, as str (the library's FILE* printers)."""
    buf, size = c_void_p(), c_size_t()
    stream = _libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        raise MemoryError("open_memstream failed")
    status = fn(*args, stream)
    _libc.fclose(stream)
    text = ctypes.string_at(buf.value, size.value).decode("utf-8") if buf.value else ""
    _libc.free(buf)
    check(status)
    return text


def enc(s):
    return None if s is None else os.fsencode(s) if isinstance(s, os.PathLike) else s.encode()

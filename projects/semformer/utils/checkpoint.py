"""Loading mmengine checkpoints under torch >= 2.6 (``weights_only=True``).

mmengine 0.10.7 stores its message hub (``HistoryBuffer`` objects holding numpy
arrays) in every checkpoint, which the safe unpickler of torch >= 2.6 refuses. We
allow exactly those classes instead of switching ``weights_only`` off.

``HistoryBuffer.__getstate__`` also pickles its statistics functions (``min``,
``max``, ``current``, ``mean``), which pickle protocol 2 writes as calls of
``builtins.getattr``. Allowing ``getattr`` would open the unpickler up again, so
buffers are written without those four defaults: mmengine's ``__setstate__`` sets
them again on load, and custom statistics are still saved.
"""
import numpy as np
import torch


def _numpy_globals():
    """The numpy callables and types that pickled arrays and scalars reference."""
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    dtypes = [type(np.dtype(t)) for t in (np.float64, np.float32, np.float16,
                                          np.int64, np.int32, np.int16, np.int8,
                                          np.uint8, np.bool_)]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtypes


def _history_buffer_state(self):
    """``HistoryBuffer.__getstate__`` without the built-in statistics functions."""
    state = dict(self.__dict__)
    defaults = {name: getattr(type(self), name)
                for name in ('min', 'max', 'current', 'mean')}
    state['statistics_methods'] = {
        k: v for k, v in self._statistics_methods.items() if defaults.get(k) is not v
    }
    return state


def register_safe_globals():
    """Allow the classes of mmengine checkpoints in ``torch.load(weights_only=True)``
    and write ``HistoryBuffer`` without its built-in statistics functions.

    Idempotent; the allow-list step is skipped on torch without ``add_safe_globals``.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_state
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals([HistoryBuffer] + _numpy_globals())

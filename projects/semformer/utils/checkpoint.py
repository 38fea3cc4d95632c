"""Loading mmengine checkpoints under torch >= 2.6 (``weights_only=True``).

mmengine 0.10.7 stores its message hub (``HistoryBuffer`` objects holding numpy
arrays) in every checkpoint, which the safe unpickler of torch >= 2.6 refuses. We
allow exactly those classes instead of switching ``weights_only`` off.
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


def register_safe_globals():
    """Allow the classes of mmengine checkpoints in ``torch.load(weights_only=True)``.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals([HistoryBuffer] + _numpy_globals())

"""Write evaluation metrics as a JSON file (``tools/test.py --metrics-json``)."""
import json
import math
import numbers
from typing import Any, Mapping

import numpy as np
from .atomic import write_text_atomic


def to_builtin(value: Any) -> Any:
    """``value`` with numbers as plain floats and arrays/tensors as lists.

    Mappings keep their keys (as ``str``), sequences become lists, strings,
    booleans and None stay; NaN and infinities become None so that the file is
    strict JSON.

    Args:
        value (Any): a metric value: number, numpy scalar or array, torch tensor,
            mapping, sequence or string.

    Returns:
        Any: a JSON-serialisable equivalent.

    Raises:
        TypeError: a value of another type.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if hasattr(value, 'detach') and hasattr(value, 'cpu'):  # torch.Tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist()) if value.ndim else to_builtin(value.item())
    if isinstance(value, numbers.Number):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_builtin(v) for v in value]
    raise TypeError(f'cannot write a {type(value).__name__} metric value as JSON: '
                    f'{value!r}')


def write_metrics_json(metrics: Mapping[str, Any], path: str) -> dict:
    """Write ``metrics`` as a JSON object to ``path``, atomically.

    The folders of ``path`` are created; the JSON goes to a temporary file in the
    same folder that then replaces ``path``, so a reader never sees half a file.

    Args:
        metrics (Mapping[str, Any]): e.g. the dict returned by ``runner.test()``.
        path (str): the output file.

    Returns:
        dict: what was written (see :func:`to_builtin`).
    """
    if not isinstance(metrics, Mapping):
        raise TypeError(f'metrics must be a mapping, not {type(metrics).__name__}')
    content = to_builtin(metrics)
    write_text_atomic(path, json.dumps(content, indent=2, sort_keys=True,
                                       allow_nan=False) + '\n')
    return content

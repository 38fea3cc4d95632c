from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmseg.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Mixed precision on the CPU: forward passes run under
    ``torch.autocast('cpu', dtype)`` (bfloat16 by default); parameters, gradients
    and optimizer state stay float32 and no loss scaling is needed. mmengine's
    ``AmpOptimWrapper`` is for GPUs only. ``tools/train.py --amp`` picks this
    wrapper on a machine without CUDA.

    Args:
        dtype (str | torch.dtype): ``'bfloat16'`` (default) or ``'float16'``.
    """

    def __init__(self, *args, dtype='bfloat16', **kwargs):
        super().__init__(*args, **kwargs)
        self.cast_dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS


def min_max_norm(x, eps=1e-5):
    """(x - min) / (max - min + eps) over the last dimension."""
    low = x.amin(-1, keepdim=True)
    return (x - low) / (x.amax(-1, keepdim=True) - low + eps)


@MODELS.register_module()
class ClassRelativeAttention(BaseModule):
    """Class-relative attention (CRA) fusion.

    ``A' = min_max_norm(sum of the last U blocks' class-to-patch attention)`` per
    class over the patches; the fused map is ``ReLU(logits) * A'``.

    Args:
        num_layers (int): U, the number of last blocks whose attention is used.
    """

    def __init__(self, num_layers=4, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers (U) must be >= 1, not {num_layers}')
        self.num_layers = num_layers

    def forward(self, logits, attns):
        """logits (B, K, h, w) and a list of >= U attentions (B, K, hw) -> (B, K, h, w)."""
        if len(attns) < self.num_layers:
            raise ValueError(f'CRA needs the attention of {self.num_layers} blocks, '
                             f'got {len(attns)}')
        attn = min_max_norm(torch.stack(attns[-self.num_layers:]).sum(0))
        return F.relu(logits) * attn.view_as(logits).to(logits.dtype)

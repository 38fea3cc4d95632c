import math
from typing import Dict, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class AffinityFromAttentionHead(BaseModule):
    """The AFA module (Ru et al., CVPR 2022): semantic affinity predicted from
    multi-head self-attention.

    The attention logits ``q . k`` (unscaled, before the softmax, as in the
    authors' code) of the last U blocks are stacked as U x heads channels,
    symmetrised (``S + S^T``) and mapped by a 1 x 1 convolution to one channel:
    ``A = sigmoid(conv(S + S^T))`` (B, N, N), supervised by :class:`AffinityLoss`.

    Args:
        in_channels (int): U x heads (MiT-B1, last 2 blocks: 2 x 8 = 16).
        loss_aff (dict): Defaults to ``AffinityLoss`` with weight 1.0 (AFA: 0.1).
        init_cfg (dict | None): Defaults to None: the authors' init, Kaiming
            normal (a = sqrt(5), fan out) weight and PyTorch's default bias.
    """

    def __init__(self, in_channels: int,
                 loss_aff: dict = dict(type='AffinityLoss', loss_weight=1.0),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.attn_proj = nn.Conv2d(in_channels, 1, 1, bias=True)
        nn.init.kaiming_normal_(self.attn_proj.weight, a=math.sqrt(5), mode='fan_out')
        self.loss_aff = MODELS.build(loss_aff)

    def forward(self, attns: Sequence[Tensor]) -> Tensor:
        """attns: U tensors (B, heads, N, N) -> affinity (B, N, N) in (0, 1)."""
        x = torch.cat(list(attns), dim=1)
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{type(self).__name__} expects {self.in_channels} attention '
                             f'channels (layers x heads), got {x.shape[1]}')
        x = x + x.transpose(-2, -1)
        return torch.sigmoid(self.attn_proj(x))[:, 0]

    def loss(self, aff_pred: Tensor, aff_label: Tensor) -> Dict[str, Tensor]:
        """aff_pred (B, N, N), aff_label (B, N, N) with 1/0/ignore."""
        return {self.loss_aff.loss_name: self.loss_aff(aff_pred, aff_label)}

from typing import Dict

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class GMPCAMHead(BaseModule):
    """The classification branch of AFA and ToCo: global max pooling of a feature
    map and a bias-free 1 x 1 classifier over the K - 1 foreground classes; the
    same classifier applied at every position gives the CAM.

    Args:
        in_channels (int): C.
        num_classes (int): K, background included.
        loss_cls (dict): The image-level loss. Defaults to
            ``MultiLabelSoftMarginLoss`` with weight 1.0.
        init_cfg (dict | None): Defaults to None (PyTorch's conv init, as the
            authors').
    """

    def __init__(self, in_channels: int, num_classes: int,
                 loss_cls: dict = dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.classifier = nn.Conv2d(in_channels, num_classes - 1, 1, bias=False)
        self.loss_cls = MODELS.build(loss_cls)

    def forward(self, feat: Tensor) -> Tensor:
        """(B, C, h, w) -> image logits (B, K - 1)."""
        return self.classifier(F.adaptive_max_pool2d(feat, 1)).flatten(1)

    def cams(self, feat: Tensor) -> Tensor:
        """(B, C, h, w) -> raw CAMs (B, K - 1, h, w)."""
        return self.classifier(feat)

    def loss(self, logits: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """logits (B, K - 1), labels (B, K) multi-hot with background 0."""
        return {self.loss_cls.loss_name: self.loss_cls(logits, labels[:, 1:])}

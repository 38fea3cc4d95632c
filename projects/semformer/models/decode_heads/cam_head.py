import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS


@MODELS.register_module()
class CAMHead(BaseModule):
    """The plain CAM baseline's head: one linear classifier for the K - 1
    foreground classes, trained on one cls token (``pool='cls_token'``) or on the
    average of the patch tokens (``pool='avg'``, Zhou et al.'s CAM), and applied
    to every patch token for the maps.

    ``forward(patches (B, hw, C), class_tokens (B, 1, C), (h, w))`` returns maps
    (B, K, h, w) (background channel 0 all zeros) and the image logits (B, K - 1).

    Args:
        in_channels (int): C.
        num_classes (int): K, background included.
        pool (str): ``'cls_token'`` or ``'avg'``.
    """

    def __init__(self, in_channels, num_classes, pool='cls_token',
                 init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        if pool not in ('cls_token', 'avg'):
            raise ValueError(f"pool must be 'cls_token' or 'avg', not {pool!r}")
        self.num_classes = num_classes
        self.num_class_tokens = 1 if pool == 'cls_token' else 0
        self.pool = pool
        self.classifier = nn.Linear(in_channels, num_classes - 1)

    def forward(self, patches, class_tokens, hw):
        B = patches.shape[0]
        maps = self.classifier(patches).transpose(1, 2).reshape(B, -1, *hw)
        if self.pool == 'cls_token':
            logits = self.classifier(class_tokens[:, 0])
        else:
            logits = maps.mean((2, 3))
        return F.pad(maps, (0, 0, 0, 0, 1, 0)), logits

    def loss_by_feat(self, maps, logits, labels):
        """Multi-label soft-margin loss on the foreground logits; labels (B, K)."""
        return dict(loss_cls=F.binary_cross_entropy_with_logits(logits, labels[:, 1:]))

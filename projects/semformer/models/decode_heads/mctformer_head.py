import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS


@MODELS.register_module()
class MCTformerHead(BaseModule):
    """MCTformer's head (Xu et al., CVPR 2022) on K - 1 foreground class tokens.

    - V1 (``patch_cam=False``): class-token logits, each token's mean over its
      channels: (B, K - 1, C) -> (B, K - 1).
    - V2 (``patch_cam=True``): also a 3x3 conv on the patch-token map, (B, C, h, w)
      -> patch CAM (B, K - 1, h, w), whose spatial average gives a second set of
      logits.

    ``forward(patches (B, hw, C), class_tokens (B, K - 1, C), (h, w))`` returns
    the patch CAM (B, K, h, w) with an all-zero background channel 0 (None for
    V1) and the class-token logits (B, K - 1). The loss is the multi-label
    soft-margin loss of each set of logits.

    Args:
        in_channels (int): C.
        num_classes (int): K, background included.
        patch_cam (bool): V2 (True) or V1 (False).
        loss_token_weight (float): weight of the class-token loss.
        loss_patch_weight (float): weight of the patch-CAM loss (V2).
    """

    def __init__(self, in_channels, num_classes, patch_cam=True, loss_token_weight=1.0,
                 loss_patch_weight=1.0, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_class_tokens = num_classes - 1
        self.loss_token_weight = loss_token_weight
        self.loss_patch_weight = loss_patch_weight
        self.conv = (nn.Conv2d(in_channels, num_classes - 1, 3, padding=1)
                     if patch_cam else None)

    def forward(self, patches, class_tokens, hw):
        logits = class_tokens.mean(-1)
        if self.conv is None:
            return None, logits
        x = patches.transpose(1, 2).reshape(patches.shape[0], -1, *hw)
        return F.pad(self.conv(x), (0, 0, 0, 0, 1, 0)), logits

    def loss_by_feat(self, maps, logits, labels):
        """Labels (B, K); the background channel and label are not used."""
        target = labels[:, 1:]
        losses = dict(loss_token=self.loss_token_weight *
                      F.binary_cross_entropy_with_logits(logits, target))
        if maps is not None:
            losses['loss_patch'] = self.loss_patch_weight * F.binary_cross_entropy_with_logits(
                maps[:, 1:].mean((2, 3)), target)
        return losses

"""Losses of AFA (Ru et al., "Learning Affinity from Attention", CVPR 2022).

``L_cls`` (multi-label soft margin) and the background/foreground balanced
segmentation cross-entropy are shared with ToCo, which keeps them.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class MultiLabelSoftMarginLoss(nn.Module):
    """``L_cls``: the multi-label soft-margin loss on image-level logits.

    ``mean_{b, c}[-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z))]``, PyTorch's
    ``multilabel_soft_margin_loss`` (mean over classes, then images).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name in the loss dict. Defaults to ``'loss_cls'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_cls') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: Tensor, label: Tensor, **kwargs) -> Tensor:
        """cls_score (B, C) logits, label (B, C) multi-hot -> scalar."""
        return self.loss_weight * F.multilabel_soft_margin_loss(
            cls_score.float(), label.to(torch.float32))

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class AffinityLoss(nn.Module):
    """``L_aff`` of AFA: the predicted affinity pulled to 1 on positive pairs and
    to 0 on negative pairs, each set averaged on its own:

    ``0.5 * sum_pos(1 - A) / (n_pos + 1) + 0.5 * sum_neg(A) / (n_neg + 1)``

    over the whole batch (the +1 as in the authors' code keeps an empty set at 0).

    Args:
        ignore_index (int): Label of pairs left out. Defaults to 255.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name in the loss dict. Defaults to ``'loss_aff'``.
    """

    def __init__(self, ignore_index: int = 255, loss_weight: float = 1.0,
                 loss_name: str = 'loss_aff') -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, aff_pred: Tensor, aff_label: Tensor, **kwargs) -> Tensor:
        """aff_pred (B, N, N) in [0, 1]; aff_label (B, N, N): 1 positive, 0
        negative, ``ignore_index`` left out -> scalar."""
        aff_pred = aff_pred.float()
        pos = (aff_label == 1).to(aff_pred.dtype)
        neg = (aff_label == 0).to(aff_pred.dtype)
        pos_loss = (pos * (1 - aff_pred)).sum() / (pos.sum() + 1)
        neg_loss = (neg * aff_pred).sum() / (neg.sum() + 1)
        return self.loss_weight * 0.5 * (pos_loss + neg_loss)

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class BgFgBalancedCrossEntropyLoss(nn.Module):
    """``L_seg`` of AFA and ToCo: pixel cross-entropy with the online pseudo
    labels, averaged separately over background (label 0) and foreground
    (labels > 0) pixels: ``0.5 * (CE_bg + CE_fg)``.

    Unlike the authors' code, a set without pixels adds 0 instead of NaN (a
    crop whose pseudo label has no foreground made their ``seg_loss`` NaN).
    The signature is mmseg's, so it serves as a decode head's ``loss_decode``.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name in the loss dict. Defaults to ``'loss_seg'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_seg') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                ignore_index: int = 255, **kwargs) -> Tensor:
        """cls_score (B, K, H, W) logits, label (B, H, W) long -> scalar."""
        ce = F.cross_entropy(cls_score.float(), label.long(), reduction='none',
                             ignore_index=ignore_index)
        valid = label != ignore_index
        terms = []
        for part in (valid & (label == 0), valid & (label != 0)):
            n = part.sum()
            terms.append((ce * part).sum() / n.clamp(min=1))
        return self.loss_weight * 0.5 * (terms[0] + terms[1])

    @property
    def loss_name(self) -> str:
        return self._loss_name

"""SemFormer's losses as registered modules (mmseg style: ``loss_weight`` and
``loss_name``; a weight of 0 switches a loss off in the models that own it)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from .functional import (activation_complementation_loss, activation_suppression_loss,
                         class_contrast_loss, semantic_similarity_loss)


def with_defaults(cfg: Optional[dict], default: dict) -> dict:
    """A loss config completed by its default: ``dict(loss_weight=0)`` (e.g. from
    ``--cfg-options ...loss_cf.loss_weight=0``) keeps the default type."""
    cfg = dict(cfg or {})
    if 'type' not in cfg or cfg['type'] == default['type']:
        cfg = {**default, **cfg}
    return cfg


class _WeightedLoss(nn.Module):

    def __init__(self, loss_weight: float, loss_name: str):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """The key under which the loss is logged."""
        return self._loss_name

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, loss_name={self.loss_name!r}'


@MODELS.register_module()
class SemanticSimilarityLoss(_WeightedLoss):
    """L_SS (CAAE) and L'_SS (stage 2): ``BCE(cos(E_c, S_c), y_c)`` averaged over
    images and the K classes, background (always present) included.

    Args:
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_ss'``.
        eps (float): cosines are clamped to [eps, 1 - eps]. Defaults to 1e-4.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_ss',
                 eps: float = 1e-4):
        super().__init__(loss_weight, loss_name)
        self.eps = eps

    def forward(self, similarity: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """similarity (B, K) in [0, 1], labels (B, K) multi-hot -> scalar."""
        return self.loss_weight * semantic_similarity_loss(similarity, labels, self.eps)


@MODELS.register_module()
class ClassForegroundLoss(_WeightedLoss):
    """L_CF: on the class-foreground image ``M_c * I`` of every present (image,
    class c) pair, pull the frozen CAAE's embedding towards S_c and push it away
    from the S of the image's other present classes:
    ``((1 - mean cos over pull) + mean cos over push) / 2``; an empty set adds 0.

    Args:
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_cf'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_cf'):
        super().__init__(loss_weight, loss_name)

    def forward(self, cos: torch.Tensor, own: torch.Tensor,
                others: torch.Tensor) -> torch.Tensor:
        """cos (S, K): cosines of the S pair images' embeddings with every S_k;
        own (S, K): the pair's class; others (S, K): the other present classes."""
        return self.loss_weight * class_contrast_loss(cos, own, others)


@MODELS.register_module()
class ClassBackgroundLoss(_WeightedLoss):
    """L_CB: on the class-background image ``(1 - M_c) * I`` the roles of L_CF
    swap: push the embedding away from S_c (the class should be gone) and pull it
    towards the S of the image's other present classes.

    Args:
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_cb'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_cb'):
        super().__init__(loss_weight, loss_name)

    def forward(self, cos: torch.Tensor, own: torch.Tensor,
                others: torch.Tensor) -> torch.Tensor:
        """As :class:`ClassForegroundLoss`, on the class-background images."""
        return self.loss_weight * class_contrast_loss(cos, others, own)


@MODELS.register_module()
class ActivationSuppressionLoss(_WeightedLoss):
    """L_AS on the activation maps M (B, K, H, W), background channel 0.

    Args:
        form (str): ``'public'`` (the authors' code): ``mean(M[:, 1:]) + 1 -
            mean(M[:, 0])``, suppressing the object channels and raising the
            background; ``'paper'``: ``mean(M)``. Defaults to ``'public'``.
        loss_weight (float): sigma. Defaults to 0.075 (paper Table 17).
        loss_name (str): Defaults to ``'loss_as'``.
    """
    FORMS = ('public', 'paper')

    def __init__(self, form: str = 'public', loss_weight: float = 0.075,
                 loss_name: str = 'loss_as'):
        super().__init__(loss_weight, loss_name)
        if form not in self.FORMS:
            raise ValueError(f'activation suppression form must be one of {self.FORMS}, '
                             f'not {form!r}')
        self.form = form

    def forward(self, masks: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * activation_suppression_loss(masks, self.form)


@MODELS.register_module()
class ActivationComplementationLoss(_WeightedLoss):
    """L_AC: mean over the counted pixels of ``(M_c + max_{c' != c present} M_c' -
    1)^2``, for every present class c (background included) of an image with
    another present class, inside the un-padded crop.

    Args:
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_ac'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_ac'):
        super().__init__(loss_weight, loss_name)

    def forward(self, masks: torch.Tensor, labels: torch.Tensor,
                valid: Optional[torch.Tensor] = None) -> torch.Tensor:
        """masks (B, K, H, W) in [0, 1], labels (B, K), valid (B, 1, H, W) or None."""
        return self.loss_weight * activation_complementation_loss(masks, labels, valid)


@MODELS.register_module()
class ReconstructionLoss(_WeightedLoss):
    """The CAAE's L_recon: mean squared error between the reconstructed and the
    input image (both normalised), computed in float32.

    Args:
        loss_weight (float): Defaults to 1.0.
        loss_name (str): Defaults to ``'loss_recon'``.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_recon'):
        super().__init__(loss_weight, loss_name)

    def forward(self, recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """recon, target (B, 3, H, W) -> scalar."""
        return self.loss_weight * F.mse_loss(recon.float(), target.float())

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.registry import MODELS
from torch import Tensor

from ..losses import pair_cosine, with_defaults

LOSS_KEYS = ('loss_cf', 'loss_cb', 'loss_as', 'loss_ac', 'loss_ss')
DEFAULT_LOSSES = dict(
    loss_cf=dict(type='ClassForegroundLoss', loss_weight=1.0),
    loss_cb=dict(type='ClassBackgroundLoss', loss_weight=1.0),
    loss_as=dict(type='ActivationSuppressionLoss', form='public', loss_weight=0.075),
    loss_ac=dict(type='ActivationComplementationLoss', loss_weight=1.0),
    loss_ss=dict(type='SemanticSimilarityLoss', loss_weight=1.0))


@MODELS.register_module()
class SemFormerHead(BaseModule):
    """SemFormer head: activation maps from patch tokens, class-token embeddings,
    and the five stage-2 losses.

    - logits: ``Dropout(whole tokens) -> Linear(C, K)`` on the patch tokens
      (B, hw, C) -> (B, K, h, w); activation maps ``M = sigmoid(logits)``.
    - class-token embeddings ``E'_c = ReLU(t_c W_c + b_c)``, one linear layer per
      class token: (B, K, C) -> (B, K, D).

    Args:
        in_channels (int): C, the backbone width.
        num_classes (int): K, background included.
        class_dim (int): D, as the CAAE's. Defaults to 256.
        dropout_ratio (float): probability of dropping a whole patch token.
            Defaults to 0.5.
        loss_cf (dict, optional): L_CF. Defaults to ``ClassForegroundLoss``,
            weight 1.
        loss_cb (dict, optional): L_CB. Defaults to ``ClassBackgroundLoss``,
            weight 1.
        loss_as (dict, optional): L_AS. Defaults to ``ActivationSuppressionLoss``,
            the authors' form, weight 0.075.
        loss_ac (dict, optional): L_AC. Defaults to
            ``ActivationComplementationLoss``, weight 1.
        loss_ss (dict, optional): L'_SS. Defaults to ``SemanticSimilarityLoss``,
            weight 1.
        A dict without ``type`` (or of the default type) updates the default.

    A loss whose ``loss_weight`` is 0 is switched off: neither computed nor
    logged. Without L'_SS the class-embedding layers are not built (nothing would
    train them, and DDP refuses parameters without gradients); without L_CF and
    L_CB the frozen CAAE is never run.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 class_dim: int = 256,
                 dropout_ratio: float = 0.5,
                 loss_cf: Optional[dict] = None,
                 loss_cb: Optional[dict] = None,
                 loss_as: Optional[dict] = None,
                 loss_ac: Optional[dict] = None,
                 loss_ss: Optional[dict] = None,
                 init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.class_dim = class_dim
        self.losses = nn.ModuleDict()
        for key, cfg in zip(LOSS_KEYS, (loss_cf, loss_cb, loss_as, loss_ac, loss_ss)):
            loss = MODELS.build(with_defaults(cfg, DEFAULT_LOSSES[key]))
            if loss.loss_name != key:
                raise ValueError(f'{key} must log as {key!r}, not {loss.loss_name!r}')
            if loss.loss_weight:
                self.losses[key] = loss
        # (B, hw, C): Dropout1d reads hw as channels and so drops whole tokens
        self.dropout = nn.Dropout1d(dropout_ratio)
        self.classifier = nn.Linear(in_channels, num_classes)
        if 'loss_ss' in self.losses:
            self.class_embed_weight = nn.Parameter(
                torch.empty(num_classes, in_channels, class_dim))
            self.class_embed_bias = nn.Parameter(torch.zeros(num_classes, class_dim))
        else:
            self.class_embed_weight = self.class_embed_bias = None

    def init_weights(self):
        super().init_weights()
        if self.class_embed_weight is not None:
            trunc_normal_(self.class_embed_weight, std=0.02)
            nn.init.zeros_(self.class_embed_bias)

    @property
    def uses_caae(self) -> bool:
        """Whether the class-foreground/background losses are on."""
        return 'loss_cf' in self.losses or 'loss_cb' in self.losses

    def forward(self, patch_tokens: Tensor, class_tokens: Tensor,
                hw: Sequence[int]) -> Tuple[Tensor, Optional[Tensor]]:
        """(B, hw, C), (B, K, C) -> logits (B, K, h, w), class embeddings (B, K, D)."""
        logits = self.classifier(self.dropout(patch_tokens))
        logits = logits.transpose(1, 2).reshape(logits.shape[0], -1, *hw)
        return logits, self.class_embeddings(class_tokens)

    def class_embeddings(self, class_tokens: Tensor) -> Optional[Tensor]:
        """E' = ReLU(t_c W_c + b_c): (B, K, C) -> (B, K, D); None without L'_SS."""
        if self.class_embed_weight is None:
            return None
        emb = torch.einsum('bkc,kcd->bkd', class_tokens, self.class_embed_weight)
        return F.relu(emb + self.class_embed_bias)

    def loss_by_feat(self,
                     class_emb: Optional[Tensor],
                     semantics: Tensor,
                     labels: Tensor,
                     masks: Tensor,
                     valid: Optional[Tensor] = None,
                     pairs: Optional[dict] = None) -> Dict[str, Tensor]:
        """The weighted stage-2 losses, keyed by their ``loss_name``.

        Args:
            class_emb (Tensor | None): E' (B, K, D).
            semantics (Tensor): the frozen CAAE's S (K, D).
            labels (Tensor): (B, K) multi-hot, background = 1.
            masks (Tensor): (B, K, H, W) activation maps at the CAAE input size,
                already zero outside the valid crop.
            valid (Tensor | None): (B, 1, H, W) valid-crop mask. Defaults to None.
            pairs (dict | None): for L_CF / L_CB, the S present (image, class)
                pairs: ``fg_cos``, ``bg_cos`` (S, K) cosines with S of the CAAE
                embeddings of the class-foreground and class-background images,
                ``own`` and ``others`` (S, K) bool (the pair's class, the other
                classes present in its image). Defaults to None.
        """
        losses = {}
        for key, loss in self.losses.items():
            if key == 'loss_cf':
                losses[key] = loss(pairs['fg_cos'], pairs['own'], pairs['others'])
            elif key == 'loss_cb':
                losses[key] = loss(pairs['bg_cos'], pairs['own'], pairs['others'])
            elif key == 'loss_as':
                losses[key] = loss(masks)
            elif key == 'loss_ac':
                losses[key] = loss(masks, labels, valid)
            else:
                losses[key] = loss(pair_cosine(class_emb, semantics), labels)
        return losses

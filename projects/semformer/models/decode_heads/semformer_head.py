import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmseg.registry import MODELS

from ..losses import (activation_complementation_loss, activation_suppression_loss,
                      class_contrast_loss, pair_cosine, semantic_similarity_loss)


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
        class_dim (int): D, as the CAAE's.
        dropout_ratio (float): probability of dropping a whole patch token.
        act_supp_form (str): ``'public'`` (default) or ``'paper'`` L_AS.
        loss_cf_weight, loss_cb_weight, loss_as_weight, loss_ac_weight,
        loss_ss_weight (float): weights of L_CF, L_CB, L_AS, L_AC, L'_SS; 0 turns a
            loss off (it is then neither computed nor logged).
    """

    def __init__(self,
                 in_channels,
                 num_classes,
                 class_dim=256,
                 dropout_ratio=0.5,
                 act_supp_form='public',
                 loss_cf_weight=1.0,
                 loss_cb_weight=1.0,
                 loss_as_weight=0.075,
                 loss_ac_weight=1.0,
                 loss_ss_weight=1.0,
                 init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        if act_supp_form not in ('public', 'paper'):
            raise ValueError(f"act_supp_form must be 'public' or 'paper', not {act_supp_form!r}")
        self.num_classes = num_classes
        self.class_dim = class_dim
        self.act_supp_form = act_supp_form
        self.loss_weights = dict(
            cf=loss_cf_weight, cb=loss_cb_weight, act_supp=loss_as_weight,
            act_cplt=loss_ac_weight, ss=loss_ss_weight)
        # (B, hw, C): Dropout1d reads hw as channels and so drops whole tokens
        self.dropout = nn.Dropout1d(dropout_ratio)
        self.classifier = nn.Linear(in_channels, num_classes)
        self.class_embed_weight = nn.Parameter(torch.empty(num_classes, in_channels, class_dim))
        self.class_embed_bias = nn.Parameter(torch.zeros(num_classes, class_dim))

    def init_weights(self):
        super().init_weights()
        trunc_normal_(self.class_embed_weight, std=0.02)
        nn.init.zeros_(self.class_embed_bias)

    @property
    def uses_caae(self):
        """Whether the class-foreground/background losses are on."""
        return bool(self.loss_weights['cf'] or self.loss_weights['cb'])

    def forward(self, patch_tokens, class_tokens, hw):
        """(B, hw, C), (B, K, C) -> logits (B, K, h, w), class embeddings (B, K, D)."""
        logits = self.classifier(self.dropout(patch_tokens))
        logits = logits.transpose(1, 2).reshape(logits.shape[0], -1, *hw)
        return logits, self.class_embeddings(class_tokens)

    def class_embeddings(self, class_tokens):
        """E' = ReLU(t_c W_c + b_c): (B, K, C) -> (B, K, D)."""
        emb = torch.einsum('bkc,kcd->bkd', class_tokens, self.class_embed_weight)
        return F.relu(emb + self.class_embed_bias)

    def loss_by_feat(self, class_emb, semantics, labels, masks, valid=None,
                     pair_cos=None, pull=None, push=None):
        """The weighted stage-2 losses.

        Args:
            class_emb (Tensor): E' (B, K, D).
            semantics (Tensor): the frozen CAAE's S (K, D).
            labels (Tensor): (B, K) multi-hot, background = 1.
            masks (Tensor): (B, K, H, W) activation maps at the CAAE input size,
                already zero outside the valid crop.
            valid (Tensor | None): (B, 1, H, W) valid-crop mask.
            pair_cos (tuple | None): cosines with S (S, K) of the CAAE embeddings of
                the class-foreground and class-background images of the S present
                (image, class) pairs; needed when L_CF or L_CB is on.
            pull, push (Tensor | None): (S, K) bool: the pair's class / the other
                classes present in its image.
        """
        w = self.loss_weights
        losses = {}
        if w['cf']:
            losses['loss_cf'] = w['cf'] * class_contrast_loss(pair_cos[0], pull, push)
        if w['cb']:
            losses['loss_cb'] = w['cb'] * class_contrast_loss(pair_cos[1], push, pull)
        if w['act_supp']:
            losses['loss_as'] = w['act_supp'] * activation_suppression_loss(
                masks, self.act_supp_form)
        if w['act_cplt']:
            losses['loss_ac'] = w['act_cplt'] * activation_complementation_loss(
                masks, labels, valid)
        if w['ss']:
            sim = pair_cosine(class_emb, semantics)
            losses['loss_ss'] = w['ss'] * semantic_similarity_loss(sim, labels)
        return losses

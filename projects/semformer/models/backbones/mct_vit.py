import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed
from mmseg.registry import MODELS


def token_attention(attn, x, num_queries):
    """Post-softmax attention of the first ``num_queries`` tokens over all tokens.

    Args:
        attn: an mmpretrain ``MultiheadAttention`` (its ``qkv`` projection is used).
        x (Tensor): (B, N, C) the block's normalised input tokens.
        num_queries (int): Q, the query rows (the first Q tokens; N for all).

    Returns:
        Tensor: (B, Q, N), averaged over heads, in float32. Only Q query rows are
        formed (Q x N, not N x N).
    """
    B, N, _ = x.shape
    C, H = attn.embed_dims, attn.num_heads
    weight, bias = attn.qkv.weight, attn.qkv.bias
    q = F.linear(x[:, :num_queries], weight[:C], None if bias is None else bias[:C])
    k = F.linear(x, weight[C:2 * C], None if bias is None else bias[C:2 * C])
    q = q.view(B, num_queries, H, -1).transpose(1, 2).float()
    k = k.view(B, N, H, -1).transpose(1, 2).float()
    logits = q @ k.transpose(-2, -1) * attn.head_dims**-0.5
    return logits.softmax(-1).mean(1)


def class_token_attention(attn, x, num_queries):
    """(B, K, N - K): the rows of the K class tokens over the patch tokens."""
    return token_attention(attn, x, num_queries)[..., num_queries:]


@MODELS.register_module()
class MultiClassTokenViT(VisionTransformer):
    """A ViT/DeiT with K class tokens prepended to the patch tokens (K may be 0).

    Built on mmpretrain's ``VisionTransformer`` and loads its checkpoints (DeiT,
    DeiT distilled, ViT): the checkpoint's cls/dist tokens are dropped; with K > 0
    every class token and its position embedding start as copies of the
    checkpoint's cls token and cls position embedding, as in the authors' code.
    Grid position embeddings are resized to the input grid, so any input whose
    sides are multiples of the patch size works.

    Args:
        num_class_tokens (int): K. 0 gives a patch-token-only encoder (the CAAE).
        out_type (str): ``'featmap'`` (B, C, h, w) patch-token maps, usable as a
            plain backbone for mmseg decode heads, or ``'raw'`` (B, K + hw, C).
        stem_out_indices (sequence[int]): with a ``ConvStem`` (or ``DeepConvStem``)
            patch projection, the outputs of these layers of its ``layers``, in
            layer order, come first in ``forward``'s tuple. With ``c`` convs per
            resolution, resolution ``i`` (stride ``2^(i+1)``) ends at layer
            ``3c(i + 1) - 1`` (``ConvStem``: 2, 5, ...; ``DeepConvStem``: 5, 11, ...),
            before the ``out_indices`` maps: the high-resolution features
            a DeepLabV3+ decoder takes as its low-level input. Defaults to ().
        **kwargs: the arguments of mmpretrain's ``VisionTransformer``
            (``arch``, ``img_size``, ``patch_size``, ``out_indices``, ``init_cfg``...).
    """
    OUT_TYPES = {'raw', 'featmap'}

    def __init__(self, num_class_tokens=0, out_type='featmap', stem_out_indices=(),
                 **kwargs):
        super().__init__(with_cls_token=False, out_type=out_type, **kwargs)
        self.num_class_tokens = num_class_tokens
        self.stem_out_indices = tuple(stem_out_indices)
        if self.stem_out_indices:
            stem = getattr(self.patch_embed.projection, 'layers', None)
            if stem is None:
                raise ValueError('stem_out_indices needs patch_cfg=dict(conv_type='
                                 "'ConvStem') or 'DeepConvStem'")
            for i in self.stem_out_indices:
                if not -len(stem) <= i < len(stem):
                    raise ValueError(f'stem_out_indices: {i} is not a layer of the '
                                     f'stem ({len(stem)} layers)')
        if num_class_tokens:
            self.class_tokens = nn.Parameter(
                torch.zeros(1, num_class_tokens, self.embed_dims))
            self.class_pos_embed = nn.Parameter(
                torch.zeros(1, num_class_tokens, self.embed_dims))

    def init_weights(self):
        super().init_weights()
        pretrained = (isinstance(self.init_cfg, dict)
                      and self.init_cfg.get('type') == 'Pretrained')
        if self.num_class_tokens and not pretrained:
            trunc_normal_(self.class_tokens, std=0.02)
            trunc_normal_(self.class_pos_embed, std=0.02)

    def _prepare_pos_embed(self, state_dict, prefix, *args, **kwargs):
        """Map a checkpoint's cls/dist tokens onto our tokens before loading."""
        name = prefix + 'pos_embed'
        if name in state_dict:
            pos = state_dict[name]
            extra = pos.shape[1] - math.isqrt(pos.shape[1])**2
            cls_token = state_dict.pop(prefix + 'cls_token', None)
            state_dict.pop(prefix + 'dist_token', None)
            K = self.num_class_tokens
            if K and prefix + 'class_tokens' not in state_dict and extra:
                if cls_token is None:
                    raise KeyError(f'{prefix}cls_token is missing: class tokens '
                                   'cannot be initialised from this checkpoint')
                state_dict[prefix + 'class_tokens'] = cls_token.expand(1, K, -1).clone()
                state_dict[prefix + 'class_pos_embed'] = pos[:, :1].expand(1, K, -1).clone()
            state_dict[name] = pos[:, extra:]
        super()._prepare_pos_embed(state_dict, prefix, *args, **kwargs)

    def embed(self, x):
        """(B, 3, H, W) -> tokens (B, K + hw, C) and the patch grid (h, w)."""
        x, hw = self.patch_embed(x)
        x = x + resize_pos_embed(self.pos_embed, self.patch_resolution, hw,
                                 mode=self.interpolate_mode, num_extra_tokens=0)
        if self.num_class_tokens:
            cls = (self.class_tokens + self.class_pos_embed).expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1)
        return self.pre_norm(self.drop_after_pos(x)), hw

    def forward_tokens(self, x, attn_layers=0, all_rows=False):
        """Final-norm tokens: patch tokens (B, hw, C), class tokens (B, K, C), (h, w).

        With ``attn_layers = U > 0`` also returns the attention of the last U
        blocks, a list of U tensors averaged over heads: the class-to-patch rows
        (B, K, hw), or with ``all_rows`` the full maps (B, K + hw, K + hw). Only
        those rows are computed, the blocks themselves still run through
        ``scaled_dot_product_attention``.
        """
        x, hw = self.embed(x)
        K = self.num_class_tokens
        if attn_layers and not K and not all_rows:
            raise ValueError('class-to-patch attention needs class tokens')
        first = len(self.layers) - attn_layers
        attns = []
        for i, layer in enumerate(self.layers):
            if i < first:
                x = layer(x)
                continue
            # TransformerEncoderLayer.forward, with the class rows read in between
            normed = layer.ln1(x)
            attns.append(token_attention(layer.attn, normed, normed.shape[1]) if all_rows
                         else class_token_attention(layer.attn, normed, K))
            x = x + layer.attn(normed)
            x = layer.ffn(layer.ln2(x), identity=x)
        if self.final_norm:
            x = self.ln1(x)
        if attn_layers:
            return x[:, K:], x[:, :K], hw, attns
        return x[:, K:], x[:, :K], hw

    def embed_with_stem(self, x):
        """:meth:`embed`, also returning the outputs of the stem layers of
        ``stem_out_indices`` (a list of (B, C_i, H_i, W_i), empty without)."""
        stem_outs = []
        if not self.stem_out_indices:
            return (*self.embed(x), stem_outs)
        stem = self.patch_embed.projection.layers
        hooks = [stem[i].register_forward_hook(
            lambda mod, args, out: stem_outs.append(out.clone()))
            for i in self.stem_out_indices]
        try:
            x, hw = self.embed(x)
        finally:
            for h in hooks:
                h.remove()
        return x, hw, stem_outs

    def forward(self, x):
        x, hw, stem_outs = self.embed_with_stem(x)
        outs = stem_outs
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, hw))
        return tuple(outs)

    def _format_output(self, x, hw):
        if self.out_type == 'raw':
            return x
        patches = x[:, self.num_class_tokens:]
        return patches.reshape(x.shape[0], *hw, -1).permute(0, 3, 1, 2)

from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.backbones import MixVisionTransformer
from mmseg.models.utils import nlc_to_nchw
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_pretrained
from .single_stage_wsss import (PAR_CFG, SingleStageWSSSegmentor, image_labels,
                                label_relation, par_pseudo_labels, radius_mask,
                                valid_masks)


def attention_logits(attn, x: Tensor) -> Tensor:
    """Per-head attention logits ``q . k`` (unscaled, before the softmax, as AFA's
    code takes them) of one attention module on its normalised input x (B, N, C):
    (B, heads, N, N). Supports mmseg's MiT ``EfficientMultiheadAttention`` (with
    ``sr_ratio`` 1) and mmpretrain's ``MultiheadAttention``."""
    if hasattr(attn, 'qkv'):  # mmpretrain
        heads, dims = attn.num_heads, attn.embed_dims
        weight, bias = attn.qkv.weight, attn.qkv.bias
    else:  # mmseg MiT: nn.MultiheadAttention inside
        if getattr(attn, 'sr_ratio', 1) != 1:
            raise ValueError('AFA reads attention of blocks without spatial reduction '
                             '(sr_ratio 1: the last MiT stage)')
        heads, dims = attn.attn.num_heads, attn.attn.embed_dim
        weight, bias = attn.attn.in_proj_weight, attn.attn.in_proj_bias
    B, N, _ = x.shape
    q = F.linear(x, weight[:dims], None if bias is None else bias[:dims])
    k = F.linear(x, weight[dims:2 * dims], None if bias is None else bias[dims:2 * dims])
    q = q.view(B, N, heads, -1).transpose(1, 2)
    k = k.view(B, N, heads, -1).transpose(1, 2)
    return q @ k.transpose(-2, -1)


def mit_forward(backbone: MixVisionTransformer, x: Tensor, attn_layers: int
                ) -> Tuple[List[Tensor], List[Tensor]]:
    """mmseg MiT forward that also returns the attention logits of the last
    ``attn_layers`` blocks of the last stage: (outs, [(B, heads, N, N)])."""
    outs, attns = [], []
    last = len(backbone.layers) - 1
    for i, layer in enumerate(backbone.layers):
        x, hw = layer[0](x)
        blocks = layer[1]
        for j, block in enumerate(blocks):
            if attn_layers and i == last and j >= len(blocks) - attn_layers:
                attns.append(attention_logits(block.attn, block.norm1(x)))
            x = block(x, hw)
        x = nlc_to_nchw(layer[2](x), hw)
        if i in backbone.out_indices:
            outs.append(x)
    return outs, attns


def vit_forward(backbone, x: Tensor, attn_layers: int) -> Tuple[List[Tensor], List[Tensor]]:
    """``MultiClassTokenViT`` forward: the maps of its conv stem's
    ``stem_out_indices`` (if any; higher resolutions, as MiT's early stages), then
    patch-token maps (B, C, h, w) at its ``out_indices`` (final norm on the last
    block if ``final_norm``), and the attention logits among patch tokens of its
    last ``attn_layers`` blocks."""
    x, hw, outs = backbone.embed_with_stem(x)
    K = backbone.num_class_tokens
    L = len(backbone.layers)
    attns = []
    for i, layer in enumerate(backbone.layers):
        if attn_layers and i >= L - attn_layers:
            attns.append(attention_logits(layer.attn, layer.ln1(x)[:, K:]))
        x = layer(x)
        if i == L - 1 and backbone.final_norm:
            x = backbone.ln1(x)
        if i in backbone.out_indices:
            outs.append(x[:, K:].reshape(x.shape[0], *hw, -1).permute(0, 3, 1, 2))
    return outs, attns


@MODELS.register_module()
class AFA(SingleStageWSSSegmentor):
    """AFA (Ru et al., "Learning Affinity from Attention: End-to-End Weakly-
    Supervised Semantic Segmentation with Transformers", CVPR 2022).

    One training step (``loss``), as the authors' ``dist_train_voc.py``:

    1. backbone -> multi-level features and the attention logits of its last
       ``attn_layers`` blocks; ``cls_head`` (GMP + 1 x 1 classifier): ``L_cls``;
       ``aff_head`` (:class:`AffinityFromAttentionHead`): affinity A (B, n, n);
       ``decode_head`` (SegFormer head): segmentation logits.
    2. without gradients, the online CAMs (``cam_scales`` + flips) and the
       PAR-refined pseudo label (background scores ``high_thre`` / ``low_thre``,
       between them ignored); its pairwise relation on A's grid within
       ``radius`` is the affinity label: ``L_aff``.
    3. the segmentation label: that pseudo label until ``aff_label_iter``, then
       the CAMs propagated by a random walk with the learned affinity of the
       largest CAM scale (``T = A^2`` within ``radius``, columns normalised with
       +0.1, one step, for each background score), refined by PAR:
       ``L_seg`` (the decode head's ``loss_decode``).
    4. ``L_seg`` and ``L_aff`` are multiplied by 0 for iterations <=
       ``warmup_iters`` (the authors' ``cam_iters``).

    Runs on mmseg's ``MixVisionTransformer`` (the paper's MiT-B1; attention of
    its last stage, whose ``sr_ratio`` must be 1) or on ``MultiClassTokenViT``
    (attention among patch tokens).

    Args:
        backbone (dict): ``MixVisionTransformer`` (``strides=(4, 2, 2, 1)`` in
            the paper: stride 16 at the last stage) or ``MultiClassTokenViT``
            (``out_type='featmap'``).
        decode_head (dict): e.g. mmseg's ``SegformerHead`` with
            ``BgFgBalancedCrossEntropyLoss`` (weight 0.1).
        cls_head (dict): :class:`GMPCAMHead` on the last feature map.
        aff_head (dict): :class:`AffinityFromAttentionHead` with
            ``in_channels = attn_layers x heads``.
        attn_layers (int): Last blocks whose attention feeds the affinity.
            Defaults to 2.
        par (dict): Defaults to the authors' PAR (10 iterations).
        train_cfg (dict | None): ``cam_scales`` (1.0, 0.5, 1.5), ``high_thre``
            0.55, ``low_thre`` 0.35, ``radius`` 8, ``warmup_iters`` 2000,
            ``aff_label_iter`` 6000, ``aff_label_source`` ``'cam'``,
            ``ignore_index`` 255 (the defaults are the authors' VOC settings).
            The segmentation labels are the PAR-refined CAM labels up to
            ``aff_label_iter``, the affinity-propagated ones after it; the
            affinity labels come from the PAR-refined CAM labels throughout
            (``'cam'``, the authors' VOC script) or from the segmentation
            labels (``'seg'``, their COCO script).
        test_cfg (dict | None): See :class:`SingleStageWSSSegmentor`.
    """
    DEFAULT_TRAIN_CFG = dict(
        cam_scales=(1.0, 0.5, 1.5), high_thre=0.55, low_thre=0.35, radius=8,
        warmup_iters=2000, aff_label_iter=6000, aff_label_source='cam', ignore_index=255)

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 cls_head: dict,
                 aff_head: dict,
                 attn_layers: int = 2,
                 par: dict = PAR_CFG,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None) -> None:
        check_pretrained(pretrained, 'AFA')
        super().__init__(backbone, decode_head, cls_head, par, train_cfg, test_cfg,
                         data_preprocessor, init_cfg)
        if self.train_cfg['aff_label_source'] not in ('cam', 'seg'):
            raise ValueError("train_cfg.aff_label_source must be 'cam' or 'seg', not "
                             f"{self.train_cfg['aff_label_source']!r}")
        self.aff_head = MODELS.build(aff_head)
        self.attn_layers = attn_layers
        if isinstance(self.backbone, MixVisionTransformer):
            self._forward_backbone = mit_forward
            depth = len(self.backbone.layers[-1][1])
        elif hasattr(self.backbone, 'embed') and hasattr(self.backbone, 'layers'):
            self._forward_backbone = vit_forward
            depth = len(self.backbone.layers)
        else:
            raise TypeError('AFA needs mmseg MixVisionTransformer or MultiClassTokenViT, '
                            f'not {type(self.backbone).__name__}')
        if not 1 <= attn_layers <= depth:
            raise ValueError(f'attn_layers must be in 1..{depth}, not {attn_layers}')

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        return self._forward_backbone(self.backbone, inputs, 0)[0]

    def extract_feat_attn(self, inputs: Tensor) -> Tuple[List[Tensor], List[Tensor]]:
        """Features and the attention logits of the last ``attn_layers`` blocks."""
        return self._forward_backbone(self.backbone, inputs, self.attn_layers)

    def forward_cams(self, x: Tensor, with_extra: bool = False) -> Dict[str, Tensor]:
        if with_extra:
            feats, attns = self.extract_feat_attn(x)
            return dict(cam=self.cls_head.cams(feats[-1]), aff=self.aff_head(attns))
        return dict(cam=self.cls_head.cams(self.extract_feat(x)[-1]))

    def propagate(self, cams: Tensor, aff: Tensor, labels: Tensor,
                  bkg_score: float) -> Tensor:
        """The authors' ``propagte_aff_cam_with_bkg``: one random-walk step with
        the learned affinity.

        Args:
            cams (Tensor): (B, K - 1, h, w) foreground CAMs on the affinity grid.
            aff (Tensor): (B, hw, hw) predicted affinity.
            labels (Tensor): (B, K).
            bkg_score (float): The constant background score.

        Returns:
            Tensor: (B, K, h, w): for the image's classes the softmax over them
            (background first) times ``T``, ``T = A'^2 / (column sums + 0.1)``
            with A' the affinity zeroed beyond ``radius``; 0 for absent classes.
        """
        B, _, h, w = cams.shape
        mask = radius_mask(h, w, self.train_cfg['radius'], cams.device)
        T = aff.float().masked_fill(~mask, 0)**2
        T = T / (T.sum(1, keepdim=True) + 0.1)
        scores = torch.cat([cams.new_full((B, 1, h, w), bkg_score), cams], 1).flatten(2)
        out = torch.zeros_like(scores)
        for b in range(B):
            keys = labels[b].nonzero()[:, 0]
            out[b, keys] = scores[b, keys].softmax(0) @ T[b]
        return out.view(B, -1, h, w)

    def affinity_pseudo_labels(self, images: Tensor, cams: Tensor, aff: Tensor,
                               grid: Tuple[int, int], labels: Tensor,
                               valid: Tensor) -> Tensor:
        """Segmentation labels from the affinity-propagated CAMs (after
        ``aff_label_iter``): propagated with each background score, resized to
        the crop, refined by PAR on the image region (image at half size; the
        maps resized to it with ``align_corners=True`` as the authors' PAR does),
        then combined as in :func:`par_pseudo_labels`.

        Args:
            images (Tensor): (B, 3, H, W) RGB.
            cams (Tensor): (B, K - 1, H, W) normalised CAMs.
            aff (Tensor): (B, hw, hw) affinity of the largest CAM scale.
            grid (tuple): its (h, w).
            labels (Tensor): (B, K).
            valid (Tensor): (B, H, W) bool.
        """
        cfg = self.train_cfg
        ignore = cfg['ignore_index']
        B, _, H, W = images.shape
        assert grid[0] * grid[1] == aff.shape[-1]
        small = F.interpolate(cams * labels[:, 1:, None, None], grid, mode='bilinear',
                              align_corners=False)
        result = []
        for t in (cfg['low_thre'], cfg['high_thre']):
            prop = F.interpolate(self.propagate(small, aff, labels, t), (H, W),
                                 mode='bilinear', align_corners=False)
            label = torch.zeros(B, H, W, dtype=torch.long, device=images.device)
            for b in range(B):
                h, w = (int(valid[b].any(1).sum()), int(valid[b].any(0).sum()))
                keys = labels[b].nonzero()[:, 0]
                size = (max(h // 2, 1), max(w // 2, 1))
                img = F.interpolate(images[b:b + 1, :, :h, :w].float(), size,
                                    mode='bilinear', align_corners=False)[0]
                s = F.interpolate(prop[b:b + 1, keys, :h, :w], size, mode='bilinear',
                                  align_corners=True)[0]
                refined = F.interpolate(self.par(img, s)[None], (h, w), mode='bilinear',
                                        align_corners=False)[0]
                label[b, :h, :w] = keys[refined.argmax(0)]
            result.append(label)
        label_l, label_h = result
        label = label_h.clone()
        label[label_h == 0] = ignore
        label[(label_h == 0) & (label_l == 0)] = 0
        label[~valid] = ignore
        return label

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        cfg = self.train_cfg
        ignore = cfg['ignore_index']
        it = self.train_iter()
        labels = image_labels(data_samples, inputs.device)
        valid = valid_masks(data_samples, inputs.shape[-2:], inputs.device)
        images = self.rgb_images(inputs)

        feats, attns = self.extract_feat_attn(inputs)
        losses = self.cls_head.loss(self.cls_head(feats[-1]), labels)
        aff_pred = self.aff_head(attns)
        seg_logits = self.decode_head(feats)
        grid = tuple(feats[-1].shape[-2:])  # the attention grid

        with torch.no_grad():
            use_aff = it > cfg['aff_label_iter']
            cams, extra = self.multi_scale_cams(inputs, cfg['cam_scales'],
                                                with_extra=use_aff)
            cams = cams['cam']
            pseudo = par_pseudo_labels(self.par, images, cams, labels, valid,
                                       cfg['high_thre'], cfg['low_thre'], ignore)
            if use_aff:
                B = inputs.shape[0]  # the largest scale's un-flipped half
                seg_label = self.affinity_pseudo_labels(
                    images, cams, extra['aff'][:B], tuple(extra['cam'].shape[-2:]), labels,
                    valid)
            else:
                seg_label = pseudo
            source = {'cam': pseudo, 'seg': seg_label}[cfg['aff_label_source']]
            small = F.interpolate(source[:, None].float(), grid, mode='nearest')
            small = small[:, 0].long()
            aff_label = label_relation(small, ignore,
                                       radius_mask(*grid, cfg['radius'], inputs.device))
        losses.update(self.aff_head.loss(aff_pred, aff_label))
        losses.update(self.seg_loss(seg_logits, seg_label))
        if it <= cfg['warmup_iters']:
            for name in (self.aff_head.loss_aff.loss_name, *self.seg_loss_names()):
                losses[name] = losses[name] * 0.0
        return losses

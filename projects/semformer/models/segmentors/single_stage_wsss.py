"""Shared machinery of the single-stage WSSS segmentors (AFA, ToCo): online CAMs,
PAR-refined pseudo labels, token relations, and the segmentation-head inference.

Nothing here is registered: :class:`SingleStageWSSSegmentor` is the base of the
registered ``AFA`` and ``ToCo``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import Tensor

from ..utils import check_pretrained

DEFAULT_TEST_CFG = dict(
    scales=(1.0, ), flip=True, flip_merge='mean', merge='max', with_cams=False,
    cam_scales=(1.0, 0.5, 1.5), restrict_to_labels=True)


def image_labels(data_samples: Sequence[SegDataSample], device) -> Tensor:
    """(B, K) multi-hot image labels (background index 0 = 1)."""
    return torch.stack([s.gt_image_labels for s in data_samples]).to(device).float()


def valid_masks(data_samples: Sequence[SegDataSample], shape: Tuple[int, int],
                device) -> Tensor:
    """(B, H, W) bool: True inside each image, False on the padding that
    ``SegDataPreProcessor`` adds at the bottom and right (``img_shape``)."""
    H, W = shape
    valid = torch.zeros(len(data_samples), H, W, dtype=torch.bool, device=device)
    for i, s in enumerate(data_samples):
        h, w = s.metainfo.get('img_shape', (H, W))[:2]
        valid[i, :h, :w] = True
    return valid


def cams_to_label(cams: Tensor, valid: Tensor, high: float, low: float,
                  ignore_index: int = 255) -> Tensor:
    """The authors' ``cam_to_label(ignore_mid=True)``.

    Args:
        cams (Tensor): (B, K - 1, H, W) normalised foreground CAMs, absent
            classes zeroed.
        valid (Tensor): (B, H, W) bool; outside is ``ignore_index``.

    Returns:
        Tensor: (B, H, W) long: class c + 1 where its CAM is the largest and >
        ``high``, 0 where the largest is <= ``low``, ``ignore_index`` between.
    """
    value, index = cams.max(1)
    label = index + 1
    label[value <= high] = ignore_index
    label[value <= low] = 0
    label[~valid] = ignore_index
    return label


def radius_mask(h: int, w: int, radius: int, device=None) -> Tensor:
    """(hw, hw) bool: pairs of grid positions at most ``radius`` apart along
    each axis (the authors' ``get_mask_by_radius``)."""
    ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device),
                            indexing='ij')
    ys, xs = ys.flatten(), xs.flatten()
    return (((ys[:, None] - ys[None]).abs() <= radius)
            & ((xs[:, None] - xs[None]).abs() <= radius))


def label_relation(label: Tensor, ignore_index: int = 255, mask: Optional[Tensor] = None,
                   ignore_self: bool = False) -> Tensor:
    """Pairwise relation of a (B, h, w) label grid: (B, hw, hw) long, 1 same label,
    0 different, ``ignore_index`` where either is ignored, where ``mask`` (hw, hw)
    is False, and on the diagonal with ``ignore_self``."""
    flat = label.flatten(1)
    rel = (flat[:, :, None] == flat[:, None, :]).long()
    ignored = (flat == ignore_index)
    rel[ignored[:, :, None] | ignored[:, None, :]] = ignore_index
    if mask is not None:
        rel[:, ~mask] = ignore_index
    if ignore_self:
        rel.diagonal(dim1=1, dim2=2).fill_(ignore_index)
    return rel


def par_pseudo_labels(par, images: Tensor, cams: Tensor, labels: Tensor, valid: Tensor,
                      high: float, low: float, ignore_index: int = 255,
                      down_scale: int = 2) -> Tensor:
    """PAR-refined pseudo labels, the authors' ``refine_cams_with_bkg_v2``.

    For each background score t in (high, low): a constant background map t is
    put before the CAMs, the maps are taken at 1 / ``down_scale`` of the crop, the
    softmax over the image's classes (background included) is refined by PAR with
    the image at that size, brought back to the crop and arg-maxed. A pixel gets
    the ``high`` label if it is foreground, 0 if both are background, and
    ``ignore_index`` otherwise and outside ``valid``.

    Args:
        par (nn.Module): :class:`PAR`, ``par(image (3, h, w), scores (k, h, w))``.
        images (Tensor): (B, 3, H, W) RGB.
        cams (Tensor): (B, K - 1, H, W) normalised foreground CAMs.
        labels (Tensor): (B, K) multi-hot, background = 1.
        valid (Tensor): (B, H, W) bool.

    Returns:
        Tensor: (B, H, W) long.
    """
    B, _, H, W = images.shape
    size = (H // down_scale, W // down_scale)
    small = F.interpolate(images.float(), size, mode='bilinear', align_corners=False)
    out = []
    for b in range(B):
        keys = labels[b].nonzero()[:, 0]
        result = []
        for t in (high, low):
            scores = torch.cat([cams.new_full((1, H, W), t), cams[b]])
            scores = F.interpolate(scores[None].float(), size, mode='bilinear',
                                   align_corners=False)[0, keys].softmax(0)
            refined = par(small[b], scores)
            refined = F.interpolate(refined[None], (H, W), mode='bilinear',
                                    align_corners=False)[0]
            result.append(keys[refined.argmax(0)])
        label_h, label_l = result
        label = label_h.clone()
        label[label_h == 0] = ignore_index
        label[(label_h == 0) & (label_l == 0)] = 0
        label[~valid[b]] = ignore_index
        out.append(label)
    return torch.stack(out)

# AFA's and ToCo's PAR (6 dilations, 10 iterations); configs may override it
PAR_CFG = dict(type='PAR', dilations=(1, 2, 4, 8, 12, 24), iterations=10)


class SingleStageWSSSegmentor(BaseSegmentor):
    """Base of the single-stage WSSS segmentors: a backbone, a segmentation head
    (an mmseg decode head, trained on online pseudo labels), a CAM classifier
    (:class:`GMPCAMHead`) and PAR, trained together from image-level labels
    (``data_samples[i].gt_image_labels`` (K,), background = 1).

    Subclasses implement ``extract_feat``, ``forward_cams`` and ``loss``.

    Prediction (``test_cfg``): the segmentation head's logits at each of
    ``scales`` (with the horizontal flip averaged in when ``flip``, or their
    element-wise max with ``flip_merge='max'``, ToCo's COCO script), resized to
    the image and merged by their element-wise max (``merge='max'``, both authors'
    VOC test scripts) or mean (ToCo's COCO script sums them), resized to
    ``ori_shape``: ``seg_logits`` and
    ``pred_sem_seg``. With ``with_cams`` also ``pred_cams`` (K, H, W): the
    authors' CAMs at ``cam_scales`` (flip max, ReLU, summed, per-class min-max
    normalisation), background channel 0 set to 0 and, with
    ``restrict_to_labels``, classes outside the image label zeroed, for
    ``CAMMetric``. Dense CRF post-processing is not part of it.

    Args:
        backbone (dict): The backbone.
        decode_head (dict): The segmentation head (mmseg decode head) with its
            ``loss_decode``.
        cls_head (dict): A :class:`GMPCAMHead`.
        par (dict): The CAM refiner. Defaults to ``PAR`` with the authors'
            dilations (1, 2, 4, 8, 12, 24) and 10 iterations.
        train_cfg (dict | None): Method-specific; see the subclass.
        test_cfg (dict | None): See above; missing keys take
            ``DEFAULT_TEST_CFG``.
        data_preprocessor (dict | None): ``SegDataPreProcessor`` (mean, std
            needed to recover the RGB image for PAR).
        init_cfg (dict | None): Defaults to None.
        pretrained (str | None): must be None (mmseg's ``init_model`` sets it);
            the backbone loads through its ``init_cfg``. Defaults to None.
    """
    DEFAULT_TRAIN_CFG: dict = {}

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 cls_head: dict,
                 par: dict = PAR_CFG,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None) -> None:
        check_pretrained(pretrained, 'SingleStageWSSSegmentor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        self.cls_head = MODELS.build(cls_head)
        self.par = MODELS.build(par)
        self.num_classes = self.decode_head.num_classes
        self.align_corners = self.decode_head.align_corners
        if self.cls_head.num_classes != self.num_classes:
            raise ValueError(f'cls_head has {self.cls_head.num_classes} classes, the '
                             f'decode head {self.num_classes}')
        self.train_cfg = {**self.DEFAULT_TRAIN_CFG, **(train_cfg or {})}
        self.test_cfg = {**DEFAULT_TEST_CFG, **(test_cfg or {})}
        for key in ('merge', 'flip_merge'):
            if self.test_cfg[key] not in ('max', 'mean'):
                raise ValueError(f"test_cfg.{key} must be 'max' or 'mean', not "
                                 f"{self.test_cfg[key]!r}")
        self._local_iter = 0

    # ------------------------------------------------------------------ helpers
    def train_iter(self) -> int:
        """The runner's 0-based iteration (``MessageHub`` 'iter', set before every
        training step); without a runner, the number of earlier ``loss`` calls."""
        it = MessageHub.get_current_instance().get_info('iter')
        if it is None:
            it = self._local_iter
        self._local_iter += 1
        return int(it)

    def rgb_images(self, inputs: Tensor) -> Tensor:
        """Normalised inputs -> RGB in [0, 255] (the preprocessor's mean / std)."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            return inputs * pre.std + pre.mean
        return inputs

    def normalise_images(self, images: Tensor) -> Tensor:
        """RGB in [0, 255] -> the network's input normalisation."""
        pre = self.data_preprocessor
        if getattr(pre, '_enable_normalize', False):
            return (images - pre.mean) / pre.std
        return images

    def forward_cams(self, x: Tensor, with_extra: bool = False) -> Dict[str, Tensor]:
        """One forward for the online CAMs: name -> raw maps (B, K - 1, h, w);
        ``with_extra`` at the largest scale (AFA adds its affinity there)."""
        raise NotImplementedError

    def multi_scale_cams(self, inputs: Tensor, scales: Sequence[float],
                         keys: Sequence[str] = ('cam', ), with_extra: bool = False
                         ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """The authors' ``multi_scale_cam``, without gradients: at each scale
        (sides ``int(s * H)``) the maps of the image and its flip, resized to
        (H, W), their element-wise max, ReLU, summed over scales, then per class
        ``(cam - min) / (max(cam - min) + 1e-5)``.

        Returns:
            tuple: name -> (B, K - 1, H, W) for ``keys``, and the raw outputs of
            the largest scale (image then flipped image along the batch), with
            the subclass's extra outputs if ``with_extra``.
        """
        B, _, H, W = inputs.shape
        sums: Dict[str, Tensor] = {}
        largest = max(scales)
        extra = {}
        with torch.no_grad():
            for s in scales:
                x = inputs if s == 1 else F.interpolate(
                    inputs, (int(s * H), int(s * W)), mode='bilinear', align_corners=False)
                out = self.forward_cams(torch.cat([x, x.flip(-1)]),
                                       with_extra=with_extra and s == largest)
                if s == largest:
                    extra = out
                for k in keys:
                    m = F.interpolate(out[k].float(), (H, W), mode='bilinear',
                                      align_corners=False)
                    m = torch.max(m[:B], m[B:].flip(-1)).relu()
                    sums[k] = sums[k] + m if k in sums else m
            for k in keys:
                cam = sums[k] - sums[k].amin((2, 3), keepdim=True)
                sums[k] = cam / (cam.amax((2, 3), keepdim=True) + 1e-5)
        return sums, extra

    def seg_loss_names(self) -> List[str]:
        """Names of the decode head's losses."""
        loss = self.decode_head.loss_decode
        losses = loss if isinstance(loss, torch.nn.ModuleList) else [loss]
        return [m.loss_name for m in losses]

    def seg_loss(self, seg_logits: Tensor, seg_label: Tensor) -> Dict[str, Tensor]:
        """The decode head's loss (its ``loss_decode``) on pseudo labels (B, H, W)."""
        samples = [SegDataSample(gt_sem_seg=PixelData(data=lab[None])) for lab in seg_label]
        return self.decode_head.loss_by_feat(seg_logits, samples)

    # ---------------------------------------------------------------- inference
    def _forward(self, inputs: Tensor, data_samples=None) -> Tensor:
        """Segmentation logits (B, K, h, w) at the head's resolution."""
        return self.decode_head(self.extract_feat(inputs))

    def encode_decode(self, inputs: Tensor, batch_img_metas: Optional[List[dict]] = None
                      ) -> Tensor:
        """Segmentation logits resized to the input (B, K, H, W)."""
        return F.interpolate(self._forward(inputs), inputs.shape[-2:], mode='bilinear',
                             align_corners=self.align_corners)

    def multi_scale_seg(self, x: Tensor) -> Tensor:
        """Test-time logits (B, K, H, W): ``scales`` x flip, merged."""
        cfg = self.test_cfg
        B, _, H, W = x.shape
        outs = []
        for s in cfg['scales']:
            xs = x if s == 1 else F.interpolate(x, (int(s * H), int(s * W)),
                                                mode='bilinear', align_corners=False)
            if cfg['flip']:
                xs = torch.cat([xs, xs.flip(-1)])
            logits = F.interpolate(self._forward(xs).float(), (H, W), mode='bilinear',
                                   align_corners=self.align_corners)
            if cfg['flip']:
                flipped = logits[B:].flip(-1)
                logits = (torch.maximum(logits[:B], flipped) if cfg['flip_merge'] == 'max'
                          else (logits[:B] + flipped) / 2)
            outs.append(logits)
        stacked = torch.stack(outs)
        return stacked.amax(0) if cfg['merge'] == 'max' else stacked.mean(0)

    def predict(self, inputs: Tensor, data_samples: Optional[List[SegDataSample]] = None
                ) -> List[SegDataSample]:
        if data_samples is None:
            data_samples = [SegDataSample() for _ in range(inputs.shape[0])]
        cfg = self.test_cfg
        results = []
        for i, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[-2:])[:2]
            x = inputs[i:i + 1, :, :h, :w]
            ori = tuple(sample.metainfo.get('ori_shape', (h, w))[:2])
            logits = self.multi_scale_seg(x)
            if tuple(logits.shape[-2:]) != ori:
                logits = F.interpolate(logits, ori, mode='bilinear',
                                       align_corners=self.align_corners)
            sample.set_field(PixelData(data=logits[0]), 'seg_logits')
            sample.set_field(PixelData(data=logits[0].argmax(0, keepdim=True)),
                             'pred_sem_seg')
            if cfg['with_cams']:
                cams, _ = self.multi_scale_cams(x, cfg['cam_scales'])
                cams = F.pad(cams['cam'], (0, 0, 0, 0, 1, 0))  # background channel 0
                if cfg['restrict_to_labels'] and 'gt_image_labels' in sample:
                    cams = cams * (sample.gt_image_labels.to(cams.device)[None, :, None,
                                                                          None] > 0)
                    cams[:, 0] = 0
                if tuple(cams.shape[-2:]) != ori:
                    cams = F.interpolate(cams, ori, mode='bilinear', align_corners=False)
                sample.set_field(PixelData(data=cams[0]), 'pred_cams')
            results.append(sample)
        return results

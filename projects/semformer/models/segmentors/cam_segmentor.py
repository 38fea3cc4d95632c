from contextlib import nullcontext

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ..utils import check_pretrained

DEFAULT_TEST_CFG = dict(
    scales=(0.5, 1.0, 1.5, 2.0), flip=True, keep_plain=False, bg_threshold=0.2,
    restrict_to_labels=True, autocast_dtype=None, normalise='max', image_scores=True,
    grid_shifts=1)
NORMALISATIONS = ('max', 'minmax')


@MODELS.register_module()
class CAMSegmentor(BaseSegmentor):
    """Class activation maps from image-level labels: a ViT with class tokens and
    a head that maps its tokens to per-class maps. The plain CAM baseline as it
    is; SemFormer and MCTformer subclass it for their training and their refined
    maps.

    The head is called as ``head(patches (B, hw, C), class_tokens (B, K', C),
    (h, w))`` and returns ``(maps (B, K, h, w), aux)`` with K classes, background
    channel 0 included; training calls ``head.loss_by_feat(maps, aux, labels)``
    with labels (B, K).

    Prediction (``test_cfg``): per image, maps at every scale (sides rounded to a
    multiple of the patch size) and its flip, resized to the image and summed; the
    background channel set to 0, each class divided by its max (+1e-5; SemFormer's
    authors) or, with ``normalise='minmax'``, mapped to [0, 1] by its minimum and
    maximum over the image (+1e-8; MCTformer's authors), classes outside the
    image-level label zeroed. Sets ``pred_cams`` (K, H, W) from the
    refined maps if the method has them (else the plain ``ReLU(maps)``),
    ``pred_sem_seg`` (background where every class is <= ``bg_threshold``) and,
    with ``keep_plain``, the maps before refinement as ``pred_cams_plain``.
    ``autocast_dtype='bfloat16'`` (or ``'float16'``) runs the network under
    autocast; the maps, resizing, sums and the normalisation stay float32.
    ``grid_shifts=s`` (default 1: off) runs every scale and flip s x s times, the
    image moved against the patch grid by sub-patch offsets, and interleaves the
    maps into a grid s times finer (shift-and-stitch; :meth:`shifted_maps`): the
    maps of a 64 px image on an 8 x 8 token grid become 16 x 16 with s = 2, at
    s x s times the cost.
    With ``image_scores`` (default) one more forward of the image at its own size
    gives the image-level class scores ``pred_image_scores`` (K,) in [0, 1],
    background 1 (:meth:`image_scores`), for ``ImageLabelMetric``.

    Args:
        backbone (dict): a ``MultiClassTokenViT``.
        decode_head (dict): e.g. a ``CAMHead``.
        test_cfg (dict): see above; missing keys take ``DEFAULT_TEST_CFG``.
    """

    def __init__(self,
                 backbone,
                 decode_head,
                 train_cfg=None,
                 test_cfg=None,
                 data_preprocessor=None,
                 init_cfg=None,
                 pretrained=None):
        check_pretrained(pretrained, 'CAMSegmentor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.decode_head = MODELS.build(decode_head)
        expected = getattr(self.decode_head, 'num_class_tokens',
                           self.decode_head.num_classes)
        if self.backbone.num_class_tokens != expected:
            raise ValueError(f'backbone has {self.backbone.num_class_tokens} class tokens '
                             f'but {type(self.decode_head).__name__} with '
                             f'{self.decode_head.num_classes} classes needs {expected}')
        self.patch_size = self.backbone.patch_embed.projection.kernel_size[0]
        self.train_cfg = train_cfg
        self.test_cfg = {**DEFAULT_TEST_CFG, **(test_cfg or {})}
        if self.test_cfg['normalise'] not in NORMALISATIONS:
            raise ValueError(f'test_cfg.normalise must be one of {NORMALISATIONS}, not '
                             f'{self.test_cfg["normalise"]!r}')
        self._check_grid_shifts(self.test_cfg['grid_shifts'])

    def _check_grid_shifts(self, shifts):
        P = self.patch_size
        if (not isinstance(shifts, int) or shifts < 1 or P % shifts
                or (P - P // shifts) % 2):
            raise ValueError(f'grid_shifts must divide the patch size {P} into cells of '
                             f'P / s pixels with even (P - P / s), not {shifts!r}')

    def extract_feat(self, inputs, attn_layers=0, all_rows=False):
        """Patch tokens (B, hw, C), class tokens (B, K', C), (h, w)[, attentions]."""
        return self.backbone.forward_tokens(inputs, attn_layers, all_rows)

    def loss(self, inputs, data_samples):
        labels = torch.stack([s.gt_image_labels for s in data_samples]).to(inputs)
        maps, aux = self.decode_head(*self.extract_feat(inputs))
        with torch.autocast(inputs.device.type, enabled=False):  # losses in float32
            return self.decode_head.loss_by_feat(
                None if maps is None else maps.float(), aux.float(), labels)

    # --------------------------------------------------------------- inference
    def encode_decode(self, inputs, batch_img_metas=None):
        """The un-normalised maps (refined if the method refines) (B, K, H, W)."""
        maps = self.forward_maps(inputs)
        return F.interpolate(maps.get('refined', maps['plain']), inputs.shape[-2:],
                             mode='bilinear', align_corners=False)

    def _forward(self, inputs, data_samples=None):
        return self.decode_head(*self.extract_feat(inputs))[0]

    def autocast(self, inputs):
        """The context the network runs in at test time (``autocast_dtype``)."""
        dtype = self.test_cfg.get('autocast_dtype')
        return (torch.autocast(inputs.device.type, dtype=getattr(torch, dtype))
                if dtype else nullcontext())

    def forward_maps(self, inputs):
        """One forward: {'plain': (B, K, h, w)[, 'refined': (B, K, h, w)]}, float32."""
        with self.autocast(inputs):
            maps, _ = self.decode_head(*self.extract_feat(inputs))
        return dict(plain=F.relu(maps.float()))

    def multi_scale_cams(self, inputs):
        """Summed, un-normalised maps over scales and flips: name -> (B, K, H, W)."""
        cfg = self.test_cfg
        B, _, H, W = inputs.shape
        P = self.patch_size
        sums = {}
        for scale in cfg['scales']:
            size = (max(P, round(H * scale / P) * P), max(P, round(W * scale / P) * P))
            x = inputs if size == (H, W) else F.interpolate(
                inputs, size, mode='bilinear', align_corners=False)
            if cfg['flip']:
                x = torch.cat([x, x.flip(-1)])
            for name, maps in self.shifted_maps(x, cfg['grid_shifts']).items():
                maps = F.interpolate(maps, (H, W), mode='bilinear', align_corners=False)
                if cfg['flip']:
                    maps = maps[:B] + maps[B:].flip(-1)
                sums[name] = sums[name] + maps if name in sums else maps
        return sums

    def shifted_maps(self, inputs, shifts=1):
        """:meth:`forward_maps` on a grid ``shifts`` times finer (shift-and-stitch).

        For offsets ``d_a = round(P * ((a + 0.5) / shifts - 0.5))``, a < ``shifts``
        (P the patch size; -2 and 2 for P = 8, ``shifts=2``), the image is moved by
        (d_a, d_b) (border pixels repeated), so that token (i, j) covers pixels
        ``P * i + d_a`` to ``P * i + d_a + P``; its value goes to cell
        ``(shifts * i + a, shifts * j + b)``, whose centre on the image is then
        the token's. All ``shifts ** 2`` moved images run as one batch: the
        network's cost grows ``shifts ** 2`` times.

        Args:
            inputs (Tensor): (B, 3, H, W) images, H and W multiples of P.
            shifts (int): offsets per axis, P / s pixels apart, with P - P / s
                even (2 and 4 for P = 8); 1 is one plain forward. Default: 1.

        Returns:
            dict[str, Tensor]: name -> (B, K, shifts * h, shifts * w) maps.
        """
        if shifts == 1:
            return self.forward_maps(inputs)
        self._check_grid_shifts(shifts)
        B, _, H, W = inputs.shape
        P = self.patch_size
        offsets = [round(P * ((a + 0.5) / shifts - 0.5)) for a in range(shifts)]
        rows = [(torch.arange(H, device=inputs.device) + d).clamp(0, H - 1) for d in offsets]
        cols = [(torch.arange(W, device=inputs.device) + d).clamp(0, W - 1) for d in offsets]
        moved = torch.cat([inputs[:, :, r][:, :, :, c] for r in rows for c in cols])
        stitched = {}
        for name, maps in self.forward_maps(moved).items():
            _, K, h, w = maps.shape
            maps = maps.view(shifts, shifts, B, K, h, w)
            # (a, b, B, K, i, j) -> (B, K, i, a, j, b) -> (B, K, shifts * h, shifts * w)
            stitched[name] = maps.permute(2, 3, 4, 0, 5, 1).reshape(
                B, K, shifts * h, shifts * w)
        return stitched

    def normalise_cams(self, cams, labels=None):
        """(B, K, H, W) summed maps -> per-class normalised (``test_cfg.normalise``),
        background channel 0 set to 0, classes with ``labels == 0`` zeroed when
        labels (B, K) are given."""
        cams = cams.clone()
        cams[:, 0] = 0
        if self.test_cfg['normalise'] == 'minmax':
            low = cams.amin((2, 3), keepdim=True)
            cams = (cams - low) / (cams.amax((2, 3), keepdim=True) - low + 1e-8)
            cams[:, 0] = 0
        else:
            cams = cams / (cams.amax((2, 3), keepdim=True) + 1e-5)
        if labels is not None:
            cams = cams * (labels[..., None, None] > 0)
        return cams

    def predict(self, inputs, data_samples=None):
        if data_samples is None:
            data_samples = [None] * inputs.shape[0]
        cfg = self.test_cfg
        shapes = [s.img_shape if s is not None else inputs.shape[-2:] for s in data_samples]
        if all(tuple(s) == tuple(inputs.shape[-2:]) for s in shapes):
            groups = [(list(range(len(shapes))), inputs)]
        else:  # padded batch: every image at its own size
            groups = [([i], inputs[i:i + 1, :, :h, :w]) for i, (h, w) in enumerate(shapes)]
        results = []  # groups are in sample order
        for indices, x in groups:
            samples = [data_samples[i] for i in indices]
            labels = None
            if cfg['restrict_to_labels'] and all(
                    s is not None and 'gt_image_labels' in s for s in samples):
                labels = torch.stack([s.gt_image_labels for s in samples]).to(x.device)
            sums = self.multi_scale_cams(x)
            scores = self.image_scores(x) if cfg['image_scores'] else None
            for j, sample in enumerate(samples):
                sample = self._pack(sample, sums, j, labels)
                if scores is not None:
                    sample.pred_image_scores = scores[j]
                results.append(sample)
        return results

    def image_scores(self, inputs):
        """Image-level class scores (B, K) in [0, 1] (background 1) of images
        (B, 3, H, W): the sigmoid of the head's foreground logits (its second
        output, (B, K - 1)); None when the head has no such logits."""
        with self.autocast(inputs):
            _, logits = self.decode_head(*self.extract_feat(inputs))
        if not torch.is_tensor(logits) or logits.dim() != 2:
            return None
        scores = logits.float().sigmoid()
        return F.pad(scores, (1, 0), value=1.0)

    def _pack(self, sample, sums, j, labels):
        sample = sample if sample is not None else SegDataSample()
        ori_shape = sample.metainfo.get('ori_shape')
        main = 'refined' if 'refined' in sums else 'plain'
        names = [(main, 'pred_cams')]
        if main == 'refined' and self.test_cfg['keep_plain']:
            names.append(('plain', 'pred_cams_plain'))
        for name, field in names:
            cams = self.normalise_cams(sums[name][j:j + 1],
                                       None if labels is None else labels[j:j + 1])
            if ori_shape is not None and tuple(cams.shape[-2:]) != tuple(ori_shape):
                cams = F.interpolate(cams, ori_shape, mode='bilinear', align_corners=False)
            sample.set_field(PixelData(data=cams[0]), field)
        cams = sample.pred_cams.data
        fg_max, fg_arg = cams[1:].max(0)
        seg = torch.where(fg_max > self.test_cfg['bg_threshold'], fg_arg + 1, 0)
        sample.set_field(PixelData(data=seg[None]), 'pred_sem_seg')
        return sample

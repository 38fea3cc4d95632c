import math
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from mmseg.registry import MODELS
from torch import Tensor

from ..utils import check_pretrained
from .single_stage_wsss import (PAR_CFG, SingleStageWSSSegmentor, cams_to_label,
                                image_labels, label_relation, par_pseudo_labels,
                                valid_masks)

# the data-sample fields of ``PackToCoInputs`` (datasets/transforms/toco_views.py)
VIEW_KEYS = ('toco_global_view', 'toco_local_view')


def photometric(img: Tensor, jitter: Sequence[float], jitter_prob: float,
                gray_prob: float, blur_prob: float, solarize_prob: float = 0.0) -> Tensor:
    """DINO's photometric view augmentation on one RGB image (3, h, w) in [0, 1]:
    colour jitter (brightness, contrast, saturation, hue, in random order) with
    ``jitter_prob``, grayscale with ``gray_prob``, Gaussian blur (sigma uniform
    in [0.1, 2], PIL's radius) with ``blur_prob``, solarisation (values >= 128 / 255
    inverted, as PIL's ``ImageOps.solarize``) with ``solarize_prob``. The on-batch
    counterpart of :class:`ToCoViews`'s PIL operations."""
    rand = lambda: float(torch.rand(()))  # noqa: E731
    if rand() < jitter_prob:
        b, c, s, h = jitter
        ops = [(TF.adjust_brightness, 1 + b * (2 * rand() - 1)),
               (TF.adjust_contrast, 1 + c * (2 * rand() - 1)),
               (TF.adjust_saturation, 1 + s * (2 * rand() - 1)),
               (TF.adjust_hue, h * (2 * rand() - 1))]
        for k in torch.randperm(4).tolist():
            fn, factor = ops[k]
            img = fn(img, factor)
    if rand() < gray_prob:
        img = TF.rgb_to_grayscale(img, num_output_channels=3)
    if rand() < blur_prob:
        sigma = 0.1 + 1.9 * rand()
        k = 2 * math.ceil(3 * sigma) + 1
        img = TF.gaussian_blur(img, [k, k], [sigma, sigma])
    if rand() < solarize_prob:
        img = torch.where(img >= 128 / 255, 1 - img, img)
    return img.clamp(0, 1)


def random_resized_crop(img: Tensor, size: Tuple[int, int], scale: Sequence[float],
                        ratio: Sequence[float] = (3 / 4, 4 / 3)) -> Tensor:
    """torchvision's RandomResizedCrop (area ``scale``, aspect ``ratio``, bicubic)
    on one image (3, h, w) -> (3, *size)."""
    h, w = img.shape[-2:]
    area = h * w
    for _ in range(10):
        target = area * float(torch.empty(()).uniform_(*scale))
        aspect = math.exp(float(torch.empty(()).uniform_(math.log(ratio[0]),
                                                         math.log(ratio[1]))))
        cw = int(round(math.sqrt(target * aspect)))
        ch = int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            y = int(torch.randint(0, h - ch + 1, ()))
            x = int(torch.randint(0, w - cw + 1, ()))
            break
    else:  # central crop
        ch, cw, y, x = h, w, 0, 0
    crop = img[None, :, y:y + ch, x:x + cw]
    return F.interpolate(crop, size, mode='bicubic', align_corners=False)[0]


def roi_mask(cams: Tensor, high: float, low: float) -> Tensor:
    """The authors' ``cam_to_roi_mask2``: (B, K - 1, H, W) label-masked CAMs ->
    (B, H, W): 0 where the largest is <= ``low``, 2 where >= ``high``, 1 (the
    uncertain region) between."""
    value = cams.max(1)[0]
    roi = torch.ones_like(value, dtype=torch.long)
    roi[value <= low] = 0
    roi[value >= high] = 2
    return roi


def local_crops(image: Tensor, roi: Tensor, valid: Tensor, num_crops: int, size: int,
                neg_ratio: float) -> Tuple[Tensor, Tensor]:
    """The authors' ``crop_from_roi_neg``: ``num_crops`` crops of side ``size``
    per image, centred on random positions (at least size / 2 from the border)
    whose ROI value is <= 1 (background or uncertain; any position if there are
    too few); a crop is negative (flag 0) when the sum of its ROI values over
    size^2 is <= ``neg_ratio``. Unlike the authors', centres are also kept inside
    ``valid`` (theirs may fall on the crop's zero padding) and too few candidates
    repeat positions (theirs fail).

    Args:
        image (Tensor): (B, 3, H, W) the view to crop.
        roi (Tensor): (B, H, W) from :func:`roi_mask`.
        valid (Tensor): (B, H, W) bool.

    Returns:
        tuple: crops (B, num_crops, 3, size, size) and flags (B, 2 + num_crops),
        the first two (the global views) 1.
    """
    B, C, H, W = image.shape
    m = size // 2
    if H - 2 * m < 1 or W - 2 * m < 1:
        raise ValueError(f'local crops of {size} need images larger than {size}')
    crops = image.new_zeros(B, num_crops, C, size, size)
    flags = torch.ones(B, num_crops + 2, device=image.device)
    for b in range(B):
        region = roi[b, m:H - m, m:W - m]
        cand = ((region <= 1) & valid[b, m:H - m, m:W - m]).nonzero()
        if cand.shape[0] < num_crops:
            cand = (region >= 0).nonzero()
        if cand.shape[0] >= num_crops:
            pick = torch.randperm(cand.shape[0], device=cand.device)[:num_crops]
        else:
            pick = torch.randint(0, cand.shape[0], (num_crops, ), device=cand.device)
        for k, (y, x) in enumerate(cand[pick].tolist()):
            crops[b, k] = image[b, :, y:y + size, x:x + size]
            if roi[b, y:y + size, x:x + size].sum() / size**2 <= neg_ratio:
                flags[b, k + 2] = 0
    return crops, flags


@MODELS.register_module()
class ToCo(SingleStageWSSSegmentor):
    """ToCo (Ru et al., "Token Contrast for Weakly-Supervised Semantic
    Segmentation", CVPR 2023) on a ViT with one class token.

    One training step (``loss``), as the authors' ``dist_train_voc_seg_neg.py``:

    1. without gradients, the online CAMs of the final patch tokens and of the
       intermediate block ``aux_layer`` (``cam_scales`` + flips);
    2. the ViT: final patch tokens (after the final norm), the raw tokens of
       block ``aux_layer`` and the class token. ``cls_head`` and ``aux_cls_head``
       (GMP + 1 x 1 classifier each): ``L_cls`` + ``L_cls_aux``;
    3. PTC: the intermediate CAM on the token grid gives pseudo token labels
       (``high_thre`` / ``low_thre``, uncertain ignored), their pairwise relation
       (self pairs ignored) supervises the final tokens' |cosine|: ``L_ptc``;
    4. CTC: local crops (``num_local_crops`` of ``local_crop_size``) from the
       local view, centred in the intermediate CAM's background/uncertain region
       (:func:`local_crops`, the authors' ``crop_from_roi_neg``), flagged negative
       when mostly certain background; the second global view; class tokens of
       both global views (teacher: :class:`CTCProjectionHead`'s EMA copy,
       detached) against those of all views (student): ``L_ctc``;
    5. the segmentation head (LargeFOV) on the final tokens, trained on the
       PAR-refined final-layer CAMs (the intermediate CAMs for iterations <=
       ``aux_label_iters``): ``L_seg`` and the dense-energy ``L_reg``,
       multiplied by 0 for iterations <= ``warmup_iters`` (``L_ptc`` and
       ``L_ctc`` for iterations <= ``contrast_warmup_iters``).

    The views, as the authors' ``VOC12ClsDataset`` makes them, come from the data
    pipeline (``KeepRawImage`` ... ``ToCoViews``, ``PackToCoInputs``; see
    :class:`ToCoViews`): the network input and the local view are two
    augmentations of the same scaled, flipped crop (DINO's flip, colour jitter
    0.4/0.4/0.2/0.1 p 0.8, grayscale p 0.2; blur p 1.0 for the input, 0.5 for the
    local view), the second global view a random resized crop (area 0.4-1,
    bicubic) of the whole loaded image with flip, jitter, grayscale, blur p 0.1
    and solarisation p 0.2. As the authors', the local view is flipped
    independently of the input, so half the time its local crops sit at the
    mirror image of the CAM positions that chose them
    (``ToCoViews(local_flip_independent=False)`` gives the local view the input's
    flip). Remaining differences: the crop is not zero-padded to the crop size
    before the views (the authors' padding, black at a random offset, is jittered
    and blurred with the image, and their valid box is not mirrored with the
    input's flip); here the preprocessor pads the input and the local view at the
    bottom and right with its ``pad_val`` after normalisation, outside ``valid``;
    and local crop centres stay inside ``valid``.

    Fallback (documented, not the authors'): a sample without packed views (a
    pipeline without ``ToCoViews``) gets views made on the batch by
    :meth:`make_views` from its augmented network input: the global view a random
    resized crop of the input's valid region rather than of the whole image, the
    local view the input re-augmented (jitter on jitter), with the same
    probabilities.

    Args:
        backbone (dict): ``MultiClassTokenViT`` with ``num_class_tokens=1`` and
            ``final_norm=True``.
        decode_head (dict): mmseg decode head on the final patch-token map, e.g.
            ``FCNHead`` as LargeFOV, with ``BgFgBalancedCrossEntropyLoss``.
        cls_head, aux_cls_head (dict): :class:`GMPCAMHead` each.
        ctc_head (dict): :class:`CTCProjectionHead`.
        loss_ptc (dict): :class:`PatchTokenContrastLoss` (ToCo: weight 0.2).
        loss_ctc (dict): :class:`ClassTokenContrastLoss` (ToCo: weight 0.5,
            temperature 0.5).
        loss_reg (dict | None): :class:`DenseEnergyLoss` (ToCo: weight 0.05);
            None leaves it out.
        aux_layer (int): Block whose tokens give the intermediate CAM; negative
            counts from the end. Defaults to -3.
        freeze_pos_embed (bool): Position embeddings not trained, as in the
            authors' ViT. Defaults to True.
        par (dict): Defaults to the authors' PAR (10 iterations).
        train_cfg (dict | None): ``cam_scales`` (1.0, 0.5, 1.5), ``high_thre``
            0.7, ``low_thre`` 0.25, ``warmup_iters`` 2000 (``L_seg`` and
            ``L_reg`` x 0 up to it), ``contrast_warmup_iters`` -1 (``L_ptc`` and
            ``L_ctc`` x 0 up to it), ``aux_label_iters`` -1 (the segmentation
            labels come from the intermediate CAM up to it, from the final CAM
            after), ``num_local_crops`` 8, ``local_crop_size`` 96,
            ``neg_crop_ratio`` 0.2, ``ignore_index`` 255; for the fallback views
            ``global_crop_scale`` (0.4, 1.0), ``jitter`` (0.4, 0.4, 0.2, 0.1),
            ``local_flip_independent`` True. The defaults are the authors' VOC
            script; their COCO script trains the classifiers alone for 8000
            iterations, then adds ``L_seg`` and ``L_reg`` on labels of the
            intermediate CAM, and after 12000 ``L_ptc``, ``L_ctc`` and labels of
            the final CAM (``warmup_iters`` 8000, ``contrast_warmup_iters``
            12000, ``aux_label_iters`` 12000; 0-based iterations compared with
            ``<=``, as the authors' ``n_iter``).
        test_cfg (dict | None): See :class:`SingleStageWSSSegmentor`.
    """
    DEFAULT_TRAIN_CFG = dict(
        cam_scales=(1.0, 0.5, 1.5), high_thre=0.7, low_thre=0.25, warmup_iters=2000,
        contrast_warmup_iters=-1, aux_label_iters=-1, num_local_crops=8,
        local_crop_size=96, neg_crop_ratio=0.2,
        global_crop_scale=(0.4, 1.0), jitter=(0.4, 0.4, 0.2, 0.1),
        local_flip_independent=True, ignore_index=255)

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 cls_head: dict,
                 aux_cls_head: dict,
                 ctc_head: dict,
                 loss_ptc: dict = dict(type='PatchTokenContrastLoss', loss_weight=0.2),
                 loss_ctc: dict = dict(type='ClassTokenContrastLoss', temperature=0.5,
                                       loss_weight=0.5),
                 loss_reg: Optional[dict] = dict(type='DenseEnergyLoss', loss_weight=0.05),
                 aux_layer: int = -3,
                 freeze_pos_embed: bool = True,
                 par: dict = PAR_CFG,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None) -> None:
        check_pretrained(pretrained, 'ToCo')
        super().__init__(backbone, decode_head, cls_head, par, train_cfg, test_cfg,
                         data_preprocessor, init_cfg)
        if getattr(self.backbone, 'num_class_tokens', 0) != 1:
            raise ValueError('ToCo needs a MultiClassTokenViT with num_class_tokens=1')
        self.aux_cls_head = MODELS.build(aux_cls_head)
        self.ctc_head = MODELS.build(ctc_head)
        self.loss_ptc = MODELS.build(loss_ptc)
        self.loss_ctc = MODELS.build(loss_ctc)
        self.loss_reg = MODELS.build(loss_reg) if loss_reg is not None else None
        depth = len(self.backbone.layers)
        if not -depth <= aux_layer < depth:
            raise ValueError(f'aux_layer must be in -{depth}..{depth - 1}, not {aux_layer}')
        self.aux_layer = aux_layer % depth
        if freeze_pos_embed:
            self.backbone.pos_embed.requires_grad_(False)
            self.backbone.class_pos_embed.requires_grad_(False)

    # ---------------------------------------------------------------- features
    def extract_tokens(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """(B, 3, H, W) -> final patch-token map (B, C, h, w), the raw token map of
        block ``aux_layer`` (B, C, h, w) and the final class token (B, C)."""
        bb = self.backbone
        t, (h, w) = bb.embed(x)
        last = len(bb.layers) - 1
        aux = None
        for i, layer in enumerate(bb.layers):
            t = layer(t)
            if i == last and bb.final_norm:
                t = bb.ln1(t)
            if i == self.aux_layer:
                aux = t
        def to_map(z):
            return z[:, 1:].reshape(z.shape[0], h, w, -1).permute(0, 3, 1, 2)

        return to_map(t), to_map(aux), t[:, 0]

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        return (self.extract_tokens(inputs)[0], )

    def forward_cams(self, x: Tensor, with_extra: bool = False) -> Dict[str, Tensor]:
        patches, aux, _ = self.extract_tokens(x)
        return dict(cam=self.cls_head.cams(patches), aux=self.aux_cls_head.cams(aux))

    # ------------------------------------------------------------------- views
    def make_views(self, images: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
        """The fallback views, made on the batch: RGB crops (B, 3, H, W) in
        [0, 255] (the augmented network input) -> the second global view and the
        local view, both RGB in [0, 255] (B, 3, H, W). The global view is a random
        resized crop of the valid region, the local view the input itself, each
        with the authors' flip and photometric augmentation; the local view's flip
        (inside the valid region) is drawn independently of the input's
        orientation unless ``local_flip_independent`` is False."""
        cfg = self.train_cfg
        H, W = images.shape[-2:]
        globals_, locals_ = [], []
        for b in range(images.shape[0]):
            h, w = int(valid[b].any(1).sum()), int(valid[b].any(0).sum())
            img = images[b] / 255
            g = random_resized_crop(img[:, :h, :w], (H, W), cfg['global_crop_scale'])
            if float(torch.rand(())) < 0.5:
                g = g.flip(-1)
            globals_.append(photometric(g, cfg['jitter'], 0.8, 0.2, 0.1, 0.2))
            if cfg['local_flip_independent'] and float(torch.rand(())) < 0.5:
                img = img.clone()
                img[:, :h, :w] = img[:, :h, :w].flip(-1)
            locals_.append(photometric(img, cfg['jitter'], 0.8, 0.2, 0.5))
        return torch.stack(globals_) * 255, torch.stack(locals_) * 255

    def preprocess_view(self, view: Tensor) -> Tensor:
        """A packed view (3, h, w), 0-255 in the loaded channel order -> the
        network's input: the preprocessor's channel conversion and normalisation."""
        pre = self.data_preprocessor
        view = view.float()
        if getattr(pre, 'channel_conversion', False) and view.shape[0] == 3:
            view = view[[2, 1, 0]]
        return self.normalise_images(view)

    def training_views(self, data_samples, images: Tensor, valid: Tensor
                       ) -> Tuple[Tensor, Tensor]:
        """The second global view and the local view, as network inputs.

        A sample with both of :class:`PackToCoInputs`'s fields
        (``toco_global_view``, ``toco_local_view``, from :class:`ToCoViews`)
        uses them: the local view is padded at the bottom and right like the input
        (the preprocessor's ``pad_val``), the global view resized to (H, W) if its
        size differs. The others fall back to :meth:`make_views`.

        Args:
            data_samples (list): The batch's data samples.
            images (Tensor): (B, 3, H, W) RGB 0-255, the network input.
            valid (Tensor): (B, H, W) bool.

        Returns:
            tuple: (B, 3, H, W) each, normalised.
        """
        B, _, H, W = images.shape
        packed = [all(k in s for k in VIEW_KEYS) for s in data_samples]
        if not all(packed):
            fallback = [self.normalise_images(v) for v in self.make_views(images, valid)]
        pad_val = getattr(self.data_preprocessor, 'pad_val', 0)
        globals_, locals_ = [], []
        for b, sample in enumerate(data_samples):
            if not packed[b]:
                globals_.append(fallback[0][b])
                locals_.append(fallback[1][b])
                continue
            g = self.preprocess_view(sample.toco_global_view.to(images.device))
            if tuple(g.shape[-2:]) != (H, W):
                g = F.interpolate(g[None], (H, W), mode='bilinear', align_corners=False)[0]
            loc = self.preprocess_view(sample.toco_local_view.to(images.device))
            h, w = loc.shape[-2:]
            img_shape = tuple(sample.metainfo.get('img_shape', (h, w))[:2])
            if (h, w) != img_shape or h > H or w > W:
                raise ValueError(f'{sample.metainfo.get("img_path", "an image")}: the '
                                 f'packed local view is {h} x {w}, the image '
                                 f'{img_shape} (batch {H} x {W}): ToCoViews must come '
                                 'after the last geometric transform')
            locals_.append(F.pad(loc, (0, W - w, 0, H - h), value=pad_val))
            globals_.append(g)
        return torch.stack(globals_), torch.stack(locals_)

    # ------------------------------------------------------------------ losses
    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        cfg = self.train_cfg
        ignore = cfg['ignore_index']
        it = self.train_iter()
        B = inputs.shape[0]
        labels = image_labels(data_samples, inputs.device)
        fg = labels[:, 1:, None, None]
        valid = valid_masks(data_samples, inputs.shape[-2:], inputs.device)
        images = self.rgb_images(inputs)

        with torch.no_grad():
            cams, _ = self.multi_scale_cams(inputs, cfg['cam_scales'], keys=('cam', 'aux'))
            roi = roi_mask(cams['aux'] * fg, cfg['high_thre'], cfg['low_thre'])
            global_view, local_view = self.training_views(data_samples, images, valid)
            crops, flags = local_crops(local_view, roi, valid, cfg['num_local_crops'],
                                       cfg['local_crop_size'], cfg['neg_crop_ratio'])

        patches, aux, cls_token = self.extract_tokens(inputs)
        losses = self.cls_head.loss(self.cls_head(patches), labels)
        aux_loss = self.aux_cls_head.loss(self.aux_cls_head(aux), labels)
        losses.update({k + '_aux': v for k, v in aux_loss.items()})

        # CTC: teacher on the global views, student on global and local views
        self.ctc_head.update_teacher()
        _, _, cls_global = self.extract_tokens(global_view)
        _, _, cls_local = self.extract_tokens(crops.flatten(0, 1))
        globals_ = torch.stack([cls_token, cls_global], 1)  # (B, 2, C)
        teacher = self.ctc_head.forward_teacher(globals_.detach())
        student = self.ctc_head(
            torch.cat([globals_, cls_local.view(B, -1, cls_local.shape[-1])], 1))
        losses[self.loss_ctc.loss_name] = self.loss_ctc(student, teacher, flags)

        # PTC: pseudo token relations from the intermediate CAM
        grid = tuple(patches.shape[-2:])
        with torch.no_grad():
            aux_small = F.interpolate(cams['aux'], grid, mode='bilinear',
                                      align_corners=False)
            valid_small = F.interpolate(valid[:, None].float(), grid, mode='nearest')
            valid_small = valid_small[:, 0] > 0
            token_label = cams_to_label(aux_small * fg, valid_small, cfg['high_thre'],
                                        cfg['low_thre'], ignore)
            relation = label_relation(token_label, ignore, ignore_self=True)
        losses[self.loss_ptc.loss_name] = self.loss_ptc(patches, relation)

        # segmentation on PAR-refined pseudo labels (of the intermediate CAM up to
        # aux_label_iters)
        seg_logits = self.decode_head((patches, ))
        with torch.no_grad():
            source = cams['aux'] if it <= cfg['aux_label_iters'] else cams['cam']
            pseudo = par_pseudo_labels(self.par, images, source * fg, labels, valid,
                                       cfg['high_thre'], cfg['low_thre'], ignore)
        losses.update(self.seg_loss(seg_logits, pseudo))
        names = self.seg_loss_names()
        if self.loss_reg is not None:
            up = F.interpolate(seg_logits, pseudo.shape[-2:], mode='bilinear',
                               align_corners=False)
            losses[self.loss_reg.loss_name] = self.loss_reg(images, up, pseudo, valid)
            names.append(self.loss_reg.loss_name)
        if it <= cfg['warmup_iters']:
            for name in names:
                losses[name] = losses[name] * 0.0
        if it <= cfg['contrast_warmup_iters']:
            for name in (self.loss_ptc.loss_name, self.loss_ctc.loss_name):
                losses[name] = losses[name] * 0.0
        return losses

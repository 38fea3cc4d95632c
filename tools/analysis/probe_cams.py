"""Linear-probe CAMs of a frozen backbone, layer by layer.

How well does a pretrained backbone localise the classes of a WSSS dataset before
any WSSS training? For every block of the backbone this fits a linear multi-label
classifier on pooled patch tokens of the train images (average or max pooling,
bias-free in the maps, as the methods' classifiers), then applies it to every patch
token of the val images: the CAM of Zhou et al. (``--pool avg``) or of AFA / ToCo's
GMP classifier (``--pool max``). CAMs of the classes present in each image are
ReLU'd, scaled to a maximum of 1, upsampled to the mask size and scored with
:class:`semformer.evaluation.CAMMetric` (background threshold swept). Also
reported: image-level mAP on val and the mean cosine similarity between the patch
tokens of an image (1.0: every token the same, no localisation left). Blocks give
their raw residual tokens; a last row (``6+norm`` for 6 blocks) gives the last
block's tokens after the backbone's final norm, which is what the methods read.

The backbone is ``model.backbone`` of CONFIG (its ``init_cfg`` loads the pretrained
weights) or, with ``--checkpoint``, the ``backbone.*`` weights of a checkpoint.
Data: a VOC-layout root (``ImageSets/Segmentation/{train,val}.txt``, ``JPEGImages``,
``SegmentationClass``), images resized to ``--size``.

Example (the shipped synthetic backbone on the synthetic world):
    python tools/analysis/probe_cams.py configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py \
        --data-root data/synthetic/VOC2012 --pool max --out work_dirs/probe/max.json
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmpretrain.evaluation import AveragePrecision
from PIL import Image, ImageOps

import semformer  # noqa: F401  (registers the project's modules)
from semformer.datasets.image_label_folder import image_suffix
from semformer.evaluation.metrics.cam_metric import CAMMetric

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def read_split(root: str, split: str, size: int, num_classes: int,
               max_images: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images (N, 3, size, size) float RGB 0..255 and masks (N, size, size) long
    (nearest resize; 255 kept as ignore) of a VOC-layout split. Images are turned
    by their EXIF orientation, as mmcv's loader does; masks are read as stored."""
    list_file = osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt')
    if not osp.isfile(list_file):
        raise FileNotFoundError(f'{list_file} not found: --data-root must be a VOC-layout '
                                'root (ImageSets/Segmentation, JPEGImages, SegmentationClass)')
    with open(list_file) as f:
        ids = f.read().split()[:max_images]
    if not ids:
        raise ValueError(f'{list_file} lists no images')
    suffix = image_suffix(root, [list_file])
    images, masks = [], []
    for i in ids:
        img_path = osp.join(root, 'JPEGImages', i + suffix)
        mask_path = osp.join(root, 'SegmentationClass', f'{i}.png')
        for path in (img_path, mask_path):
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path} (listed in {list_file}) not found')
        with Image.open(img_path) as raw:
            img = ImageOps.exif_transpose(raw).convert('RGB')
        img = img.resize((size, size), Image.BILINEAR)
        mask = np.array(Image.open(mask_path).resize((size, size), Image.NEAREST))
        bad = (mask != 255) & (mask >= num_classes)
        if bad.any():
            raise ValueError(f'{mask_path} has class {int(mask[bad].max())}, but there are '
                             f'{num_classes} classes (--num-classes)')
        images.append(torch.from_numpy(np.array(img)).permute(2, 0, 1).float())
        masks.append(torch.from_numpy(mask.astype(np.int64)))
    return torch.stack(images), torch.stack(masks)


def image_labels(masks: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, H, W) masks -> (N, K - 1) multi-hot foreground labels."""
    return torch.stack([(masks == k).flatten(1).any(1) for k in range(1, num_classes)],
                       1).float()


def fit_probe(pooled: torch.Tensor, labels: torch.Tensor, iters: int = 1000,
              lr: float = 1e-2) -> Tuple[torch.Tensor, torch.Tensor]:
    """Logistic regression (full batch, Adam) of (N, K - 1) labels on (N, C) pooled
    features: weight (K - 1, C) and bias (K - 1)."""
    weight = torch.zeros(labels.shape[1], pooled.shape[1], requires_grad=True)
    bias = torch.zeros(labels.shape[1], requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    for _ in range(iters):
        loss = F.binary_cross_entropy_with_logits(pooled @ weight.t() + bias, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return weight.detach(), bias.detach()


def probe_cams(feats: torch.Tensor, weight: torch.Tensor, labels: torch.Tensor,
               size: Tuple[int, int]) -> torch.Tensor:
    """(N, C, h, w) token maps -> (N, K, H, W) CAMs: channel 0 zero,
    class c the ReLU'd map ``weight_c . token`` scaled to max 1, zero for classes
    absent from the image."""
    cams = torch.einsum('kc,nchw->nkhw', weight, feats).relu()
    cams = F.interpolate(cams, size=size, mode='bilinear', align_corners=False)
    cams = cams / cams.flatten(2).amax(2).clamp_min(1e-5)[..., None, None]
    cams = cams * labels[..., None, None]
    return torch.cat([torch.zeros_like(cams[:, :1]), cams], 1)


def token_cosine(feats: torch.Tensor) -> float:
    """Mean cosine similarity between the distinct patch tokens of each image of
    (N, C, h, w) maps (each token with itself left out)."""
    f = F.normalize(feats.flatten(2), dim=1)
    n = f.shape[-1]
    if n < 2:
        raise ValueError('token_cosine needs at least 2 tokens per image')
    sim = (f.transpose(1, 2) @ f).sum((1, 2)) - (f * f).sum((1, 2))
    return float((sim / (n * (n - 1))).mean())


def probe_layer(train_feats: torch.Tensor, val_feats: torch.Tensor, train_labels: torch.Tensor,
                val_labels: torch.Tensor, val_masks: torch.Tensor, pool: str = 'avg',
                iters: int = 1000, thresholds: Optional[Sequence[float]] = None) -> Dict:
    """One layer's probe: mAP, CAM mIoU at the best threshold, per-class IoU, FP,
    FN (%) and the token cosine (val)."""
    if pool not in ('avg', 'max'):
        raise ValueError(f"pool must be 'avg' or 'max', not {pool!r}")

    def pooled(x: torch.Tensor) -> torch.Tensor:
        return x.mean((2, 3)) if pool == 'avg' else x.amax((2, 3))

    weight, bias = fit_probe(pooled(train_feats), train_labels, iters)
    logits = pooled(val_feats) @ weight.t() + bias
    metric = CAMMetric(thresholds=thresholds)
    conf = 0
    for i in range(0, len(val_feats), 50):
        cams = probe_cams(val_feats[i:i + 50], weight, val_labels[i:i + 50],
                          val_masks.shape[-2:])
        for cam, gt in zip(cams, val_masks[i:i + 50]):
            conf = conf + metric.confusion(cam, gt)
    summary = CAMMetric.summarise(conf)
    mAP = AveragePrecision.calculate(logits, val_labels, average='macro')
    return dict(mAP=round(float(mAP), 1), cam_mIoU=summary['mIoU'],
                threshold=round(float(metric.thresholds[summary['best']]), 2),
                FP=summary['FP'], FN=summary['FN'], IoU=summary['IoU'],
                token_cosine=round(token_cosine(val_feats), 3))


def build_backbone(cfg: Config, checkpoint: Optional[str] = None) -> nn.Module:
    """The config's ``model.backbone`` (no class tokens, no stem maps) returning the
    raw patch-token map of every block; its final norm is applied by
    :func:`extract`. Weights: ``checkpoint``'s ``backbone.*`` tensors, else those of
    the backbone's ``Pretrained`` init_cfg. Every backbone tensor must be in the
    checkpoint and fit (extra tensors, e.g. a cls token, are ignored)."""
    from mmseg.registry import MODELS
    bcfg = dict(cfg.model.backbone)
    bcfg.update(out_type='featmap', out_indices=-1)
    for key, off in (('num_class_tokens', 0), ('stem_out_indices', ())):
        if key in bcfg:
            bcfg[key] = off
    init_cfg = bcfg.pop('init_cfg', None) or {}
    source, prefix = checkpoint, 'backbone.'
    if not checkpoint and init_cfg.get('type') == 'Pretrained':
        checkpoint, prefix = init_cfg['checkpoint'], init_cfg.get('prefix', '')
        source = f"{checkpoint} (model.backbone.init_cfg of {cfg.filename})"
    backbone = MODELS.build(bcfg)
    if checkpoint:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {source} not found')
        ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
        state = ckpt.get('state_dict', ckpt)
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        try:  # the backbone's load hooks run (e.g. mmpretrain's pos_embed resizing)
            result = backbone.load_state_dict(state, strict=False)
        except RuntimeError as e:  # tensors of another shape
            raise ValueError(f'{source} does not fit the backbone of the config: {e}')
        if result.missing_keys:
            raise ValueError(f'{source}: {len(result.missing_keys)} backbone tensors are '
                             f'not in it under the prefix {prefix!r} (first: '
                             f'{result.missing_keys[0]}); does the config match it?')
        own = backbone.state_dict()
        print(f'loaded {len(own)} backbone tensors from {source}', flush=True)
    else:
        print('no checkpoint: probing a randomly initialised backbone', flush=True)
    backbone.out_indices = list(range(len(backbone.layers)))
    backbone.final_norm = False  # built with its final norm (loaded), applied in extract
    backbone.eval()
    return backbone


@torch.no_grad()
def extract(backbone: nn.Module, images: torch.Tensor, mean: Sequence[float],
            std: Sequence[float], batch: int = 100) -> List[torch.Tensor]:
    """(N, 3, H, W) RGB 0..255 -> per block the raw (N, C, h, w) patch-token maps,
    then the last block's after the backbone's final norm (``ln1``) when it has one."""
    mean = torch.tensor(mean).view(1, 3, 1, 1)
    std = torch.tensor(std).view(1, 3, 1, 1)
    outs = [list(backbone((images[i:i + batch] - mean) / std))
            for i in range(0, len(images), batch)]
    norm = getattr(backbone, 'ln1', None)
    if isinstance(norm, nn.LayerNorm):
        for o in outs:
            o.append(norm(o[-1].permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
    return [torch.cat([o[layer] for o in outs]) for layer in range(len(outs[0]))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a model config; its model.backbone is probed')
    parser.add_argument('--checkpoint', help='backbone.* weights to load instead of '
                        "the backbone's init_cfg")
    parser.add_argument('--data-root', default='data/synthetic/VOC2012')
    parser.add_argument('--num-classes', type=int, default=None,
                        help="K with background; default: the config's decode head's")
    parser.add_argument('--pool', choices=('avg', 'max'), default='avg')
    parser.add_argument('--size', type=int, default=None,
                        help="image side; default: the backbone's img_size")
    parser.add_argument('--iters', type=int, default=1000, help='probe fitting steps')
    parser.add_argument('--max-images', type=int, default=None, help='per split')
    parser.add_argument('--out', default=None, help='write the results as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. '
                        'model.backbone.patch_cfg.conv_type=ConvStem')
    args = parser.parse_args()

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    num_classes = args.num_classes or cfg.model.get('decode_head', {}).get('num_classes')
    if not num_classes:
        parser.error('--num-classes is needed: the config has no decode_head.num_classes')
    size = args.size or cfg.model.backbone.get('img_size', 224)
    pre = cfg.model.get('data_preprocessor', {})
    mean, std = pre.get('mean', IMAGENET_MEAN), pre.get('std', IMAGENET_STD)
    backbone = build_backbone(cfg, args.checkpoint)
    print(f'reading {args.data_root} at {size} px', flush=True)
    train_x, train_m = read_split(args.data_root, 'train', size, num_classes, args.max_images)
    val_x, val_m = read_split(args.data_root, 'val', size, num_classes, args.max_images)
    train_f, val_f = extract(backbone, train_x, mean, std), extract(backbone, val_x, mean, std)
    train_l, val_l = image_labels(train_m, num_classes), image_labels(val_m, num_classes)
    results = []
    print(f'{"block":>8} {"mAP":>6} {"CAM mIoU":>9} {"thr":>5} {"FP":>6} {"FN":>6} '
          f'{"token cos":>9}')
    num_blocks = len(backbone.layers)
    for layer in range(len(train_f)):
        r = probe_layer(train_f[layer], val_f[layer], train_l, val_l, val_m, args.pool,
                        args.iters)
        r['block'] = str(layer + 1) if layer < num_blocks else f'{num_blocks}+norm'
        results.append(r)
        print(f'{r["block"]:>8} {r["mAP"]:>6.1f} {r["cam_mIoU"]:>9.1f} {r["threshold"]:>5.2f} '
              f'{r["FP"]:>6.1f} {r["FN"]:>6.1f} {r["token_cosine"]:>9.3f}', flush=True)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           data_root=args.data_root, pool=args.pool, size=size,
                           layers=results), f, indent=1)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()

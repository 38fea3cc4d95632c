"""What a single-stage WSSS model (AFA, ToCo) teaches its segmentation head.

AFA and ToCo train their segmentation head on online pseudo labels: the model's
multi-scale CAMs of the image's classes, refined by PAR, with a background score
``high_thre`` / ``low_thre`` (foreground, background, ignored between; the methods'
``par_pseudo_labels``). This tool rebuilds those labels with a trained checkpoint on
images that have ground-truth masks (by default the train split, no augmentation)
and prints two tables:

1. ground truth -> pseudo label, % of each ground-truth class's pixels (with the
   ignored share), and the labels' per-class IoU on the pixels they label;
2. pseudo label -> the head's prediction, % of each label's pixels, with the pixel
   count of each label: where the head follows its labels and where it does not.

What differs from training: AFA's affinity-propagated labels (its head's labels
after ``aff_label_iter``) are not rebuilt, table 1 shows the PAR labels both methods
start from (AFA with ``model.train_cfg.aff_label_iter`` above its schedule trains on
these only); the model runs in eval mode (BN running statistics, no drop path) on
unaugmented images. Labels and predictions are made at the pipeline's image size and
resized (nearest) to the ground truth's.

The data are the config's ``val_dataloader`` with its split list replaced
(``--split``); the dataset must have ground-truth masks for that split.

Example (AFA on the synthetic world):
    python tools/analysis/online_labels.py configs/afa/afa_vit-t8_1xb16-500_synthetic-64x64.py \
        work_dirs/afa/iter_500.pth --num-images 200 --out work_dirs/afa/online_labels.json
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmseg.registry import MODELS

import semformer  # noqa: F401  (registers the project's modules)
from semformer.models.segmentors.single_stage_wsss import (SingleStageWSSSegmentor,
                                                           image_labels,
                                                           par_pseudo_labels, valid_masks)


def confusion(gt: np.ndarray, pred: np.ndarray, num_classes: int,
              ignore_index: int = 255) -> np.ndarray:
    """Pixel counts (K, K + 1) [gt, pred]; column K counts ``pred == ignore_index``.
    Pixels whose ground truth is ``ignore_index`` (or >= K) are left out.

    Args:
        gt (np.ndarray): (N,) or any shape, ground-truth class indices.
        pred (np.ndarray): the same shape, predicted indices or ``ignore_index``.
        num_classes (int): K, background included.
        ignore_index (int): Defaults to 255.
    """
    gt, pred = np.asarray(gt).ravel().astype(np.int64), np.asarray(pred).ravel().astype(np.int64)
    keep = gt < num_classes
    gt, pred = gt[keep], pred[keep]
    bad = (pred != ignore_index) & ((pred < 0) | (pred >= num_classes))
    if bad.any():
        raise ValueError(f'predictions outside 0..{num_classes - 1} and {ignore_index}')
    pred = np.where(pred == ignore_index, num_classes, pred)
    return np.bincount((num_classes + 1) * gt + pred,
                       minlength=num_classes * (num_classes + 1)).reshape(
                           num_classes, num_classes + 1)


def summarise(conf: np.ndarray) -> Dict[str, object]:
    """Rows in % of each row's pixels, the share of labelled pixels, and the IoU
    per class over labelled pixels (the last column of ``conf`` is 'ignored')."""
    K = conf.shape[0]
    lab = conf[:, :K].astype(np.float64)
    inter = np.diag(lab)
    union = lab.sum(0) + lab.sum(1) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
    rows = 100 * conf / np.maximum(conf.sum(1, keepdims=True), 1)
    return dict(rows=rows.tolist(), labelled=float(100 * lab.sum() / max(conf.sum(), 1)),
                IoU=(100 * iou).tolist(), mIoU=float(100 * np.nanmean(iou)))


def table(rows: Sequence[Sequence[float]], row_names: Sequence[str],
          col_names: Sequence[str], corner: str, extra: Optional[Sequence] = None,
          extra_name: str = '') -> str:
    """A markdown table of percentages."""
    head = [corner, *col_names] + ([extra_name] if extra is not None else [])
    lines = ['| ' + ' | '.join(head) + ' |', '|---' + '|---:' * (len(head) - 1) + '|']
    for i, (name, row) in enumerate(zip(row_names, rows)):
        cells = [f'{v:.1f}' for v in row] + ([str(extra[i])] if extra is not None else [])
        lines.append('| ' + ' | '.join([name, *cells]) + ' |')
    return '\n'.join(lines)


def build_model(cfg: Config, checkpoint: str) -> SingleStageWSSSegmentor:
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    if not isinstance(model, SingleStageWSSSegmentor):
        raise TypeError(f'{type(model).__name__} has no online pseudo labels: the tool '
                        'reads single-stage models (AFA, ToCo)')
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return model.eval()


def build_loader(cfg: Config, split: str, batch_size: int):
    loader = cfg.val_dataloader.copy()
    dataset = loader.dataset.copy()
    root = dataset.get('data_root', '')
    ann = osp.join('ImageSets', 'Segmentation', f'{split}.txt')
    if not osp.isfile(osp.join(root, ann)):
        raise FileNotFoundError(f'{osp.join(root, ann)} not found (--split {split})')
    dataset.ann_file = ann
    loader.update(dataset=dataset, batch_size=batch_size, num_workers=0,
                  persistent_workers=False)
    return Runner.build_dataloader(loader, seed=0)


@torch.no_grad()
def pseudo_labels(model: SingleStageWSSSegmentor, inputs: torch.Tensor, samples,
                  train_cfg: Optional[dict] = None) -> torch.Tensor:
    """(B, H, W) the PAR-refined online labels of a preprocessed batch, as the
    methods' ``loss`` makes them (``ignore_index`` where neither)."""
    cfg = dict(model.train_cfg, **(train_cfg or {}))
    labels = image_labels(samples, inputs.device)
    valid = valid_masks(samples, inputs.shape[-2:], inputs.device)
    cams, _ = model.multi_scale_cams(inputs, cfg['cam_scales'])
    return par_pseudo_labels(model.par, model.rgb_images(inputs),
                             cams['cam'] * labels[:, 1:, None, None], labels, valid,
                             cfg['high_thre'], cfg['low_thre'], cfg.get('ignore_index', 255))


def to_gt(x: torch.Tensor, sample) -> np.ndarray:
    """(H, W) map of a padded batch -> the image's part, resized (nearest) to the
    ground truth's size."""
    h, w = sample.img_shape[:2]
    x = x[:h, :w]
    gt_shape = tuple(sample.gt_sem_seg.data.shape[-2:])
    if tuple(x.shape) != gt_shape:
        x = F.interpolate(x[None, None].float(), gt_shape, mode='nearest')[0, 0].long()
    return x.numpy()


@torch.no_grad()
def analyse(model: SingleStageWSSSegmentor, loader, num_images: int,
            train_cfg: Optional[dict] = None) -> Dict[str, np.ndarray]:
    """Accumulate the two confusions over up to ``num_images`` images."""
    cfg = dict(model.train_cfg, **(train_cfg or {}))
    K = model.num_classes
    ignore = cfg.get('ignore_index', 255)
    label_conf = np.zeros((K, K + 1), np.int64)
    head_conf = np.zeros((K, K + 1), np.int64)
    seen = 0
    for data in loader:
        data = model.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        if not all('gt_sem_seg' in s for s in samples):
            raise ValueError('the split has no ground-truth masks (gt_sem_seg)')
        pseudo = pseudo_labels(model, inputs, samples, cfg)
        pred = model.encode_decode(inputs, [s.metainfo for s in samples]).argmax(1)
        for b, s in enumerate(samples):
            if seen == num_images:
                break
            gt = s.gt_sem_seg.data[0].numpy()
            lab = to_gt(pseudo[b], s)
            label_conf += confusion(gt, lab, K, ignore)
            head_conf += confusion(lab, to_gt(pred[b], s), K, ignore)
            seen += 1
        if seen == num_images:
            break
    return dict(labels=label_conf, head=head_conf, images=seen)


def report(result: Dict[str, np.ndarray], classes: List[str]) -> str:
    K = len(classes)
    lab = summarise(result['labels'])
    head = result['head'][:, :K]
    head_rows = 100 * head / np.maximum(head.sum(1, keepdims=True), 1)
    iou = ', '.join(f'{c} {v:.1f}' for c, v in zip(classes, lab['IoU']))
    return '\n\n'.join([
        'PAR labels as the methods make them online (not AFA\'s affinity-propagated '
        'ones), model in eval mode, images not augmented.',
        f'{result["images"]} images; pseudo labels cover {lab["labelled"]:.1f} % of the '
        f'pixels; their IoU on those pixels: mean {lab["mIoU"]:.1f} ({iou})',
        'Ground truth -> pseudo label, % of each ground-truth class\'s pixels:\n\n'
        + table(lab['rows'], classes, [*classes, 'ignored'], 'ground truth \\ label'),
        'Pseudo label -> the head\'s prediction, % of each label\'s pixels:\n\n'
        + table(head_rows, classes, classes, 'label \\ head',
                extra=head.sum(1).tolist(), extra_name='pixels'),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='an AFA or ToCo config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='train', help='a split with ground-truth masks')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--batch-size', type=int, default=1,
                        help='above 1 only for images of one size (e.g. the synthetic world)')
    parser.add_argument('--out', help='write the confusions as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.train_cfg.high_thre=0.7')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg, args.checkpoint)
    loader = build_loader(cfg, args.split, args.batch_size)
    result = analyse(model, loader, args.num_images)
    classes = list(loader.dataset.metainfo['classes'])
    print(report(result, classes))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint, split=args.split,
                           images=result['images'], classes=classes,
                           labels=result['labels'].tolist(), head=result['head'].tolist(),
                           summary=summarise(result['labels'])), f, indent=1)


if __name__ == '__main__':
    main()

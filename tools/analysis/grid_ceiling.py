"""How much mIoU a map on a patch grid can reach: the ground-truth masks as the
best possible maps on the grid of a ViT, upsampled as the CAMs are.

Each val mask becomes a one-hot map (B = 1, K, H, W), is area-resized to the
size the small chain works at (a long side of ``--work-size``, sides rounded to
a multiple of the patch as ``CAMSegmentor`` rounds them), averaged over every
patch of the grid (patch ``--patch``, with ``--shifts s`` the s x s finer grid
of shift-and-stitch, ``CAMSegmentor``'s ``grid_shifts``), resized back
bilinearly and arg-maxed. Maps of one scale on that grid cannot beat this
(several scales average several grids); a refinement working at pixel level
(CRF, PAR, the random walk) can.

    python tools/analysis/grid_ceiling.py data/synthetic/VOC2012
    python tools/analysis/grid_ceiling.py data/my_set/VOC2012 --split train --shifts 1 2
"""
import argparse
import os.path as osp
from typing import Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmseg.evaluation import IoUMetric

from semformer.datasets.image_label_folder import read_split_ids, split_file_path
from semformer.utils.result_files import load_label_png


def grid_map(mask: np.ndarray, num_classes: int, patch: int = 8, shifts: int = 1,
             work_size: int = 64) -> np.ndarray:
    """The label map (H, W) that the grid's best map gives for a mask (H, W).

    Args:
        mask (np.ndarray): (H, W) labels in [0, num_classes) (255 is counted as
            background).
        num_classes (int): K, background included.
        patch (int): the patch size P in pixels of the work size. Default: 8.
        shifts (int): s; cells of P pixels every P / s pixels. Default: 1.
        work_size (int): the long side the maps are computed at. Default: 64.

    Returns:
        np.ndarray: (H, W) arg-max labels.
    """
    if patch % shifts or (patch - patch // shifts) % 2:
        raise ValueError(f'shifts={shifts} does not fit patch {patch}')
    H, W = mask.shape
    w, h = (max(patch, round(v / patch) * patch)
            for v in mmcv.rescale_size((W, H), (work_size, work_size)))
    labels = torch.from_numpy(np.where(mask == 255, 0, mask).astype(np.int64))
    onehot = F.one_hot(labels, num_classes).permute(2, 0, 1)[None].float()
    onehot = F.interpolate(onehot, (h, w), mode='area')
    pad = (patch - patch // shifts) // 2
    if pad:
        onehot = F.pad(onehot, (pad, ) * 4, mode='replicate')
    cells = F.avg_pool2d(onehot, patch, patch // shifts)
    up = F.interpolate(cells, (H, W), mode='bilinear', align_corners=False)
    return up[0].argmax(0).numpy()


def ceiling(masks: Sequence[np.ndarray], num_classes: int,
            **kwargs) -> Tuple[float, np.ndarray]:
    """mIoU (%) and per-class IoU (K, ) of :func:`grid_map` over the masks, as
    mmseg's ``IoUMetric`` scores them (pixels labelled 255 ignored; classes absent
    from masks and maps are NaN and left out of the mean)."""
    areas = [IoUMetric.intersect_and_union(
        torch.from_numpy(grid_map(mask, num_classes, **kwargs)),
        torch.from_numpy(mask.astype(np.int64)), num_classes, 255) for mask in masks]
    inter, union = (sum(a[i] for a in areas).numpy() for i in (0, 1))
    iou = 100 * inter / union
    return float(np.nanmean(iou)), iou


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='a VOC-layout folder (SegmentationClass)')
    parser.add_argument('--split', default='val')
    parser.add_argument('--patch', type=int, default=8)
    parser.add_argument('--shifts', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--work-size', type=int, default=64)
    args = parser.parse_args(argv)
    split = split_file_path(args.data_root, args.split)
    if not osp.isfile(split):
        raise SystemExit(f'error: no split file {split}')
    names = read_split_ids(split)
    if not names:
        raise SystemExit(f'error: {split} lists no image')
    try:
        masks = [load_label_png(osp.join(args.data_root, 'SegmentationClass', f'{name}.png'))
                 for name in names]
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e} (a mask listed in {split})')
    num_classes = int(max(m[m != 255].max(initial=0) for m in masks)) + 1
    classes_txt = osp.join(args.data_root, 'classes.txt')
    names = [str(c) for c in range(num_classes)]
    if osp.isfile(classes_txt):
        with open(classes_txt) as f:
            listed = [line.strip() for line in f if line.strip()]
        names[:len(listed)] = listed[:num_classes]
    print(f'{len(masks)} masks of {split}, {num_classes} classes, long side '
          f'{args.work_size} px, patch {args.patch}')
    for s in args.shifts:
        miou, iou = ceiling(masks, num_classes, patch=args.patch, shifts=s,
                            work_size=args.work_size)
        side = args.work_size // args.patch * s
        print(f'cells every {args.patch / s:g} px ({side} x {side} on a square image, '
              f'shifts {s}): mIoU {miou:.1f}; '
              + ', '.join(f'{n} {v:.1f}' for n, v in zip(names, iou)))


if __name__ == '__main__':
    main()

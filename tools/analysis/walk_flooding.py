"""How much of the random walk's loss comes from images it floods.

An image is flooded when its walk labels give more than ``--flood`` (default half)
of its ground-truth background pixels to an object class. The tool counts those
images, scores the pseudo-label folders as the chain does (``PseudoLabelMetric``'s
counts, summed over the split), and scores the walk + CRF labels once more with the
flooded images' labels taken from a second refinement (e.g. the dense CRF): the
figure the walk would reach if it left those images as that refinement does.

    python tools/analysis/walk_flooding.py data/synthetic/VOC2012 \\
        --walk work_dirs/pipeline/rw_crf/partial --final work_dirs/pipeline/rw_crf/out \\
        --other work_dirs/pipeline/crf/out
"""
import argparse
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
import torch

from semformer.datasets.image_label_folder import read_split_ids, split_file_path
from semformer.evaluation.metrics.cam_metric import CAMMetric
from semformer.evaluation.metrics.pseudo_label_metric import label_confusion
from semformer.utils.result_files import load_label_png


def flooded(gt: np.ndarray, walk: np.ndarray, flood: float = 0.5) -> bool:
    """Whether the walk labels give more than ``flood`` of the image's background
    pixels (ground truth 0) to an object class (label not 0 and not 255)."""
    if gt.shape != walk.shape:
        raise ValueError(f'labels of shape {walk.shape} for a mask of {gt.shape}')
    bg = gt == 0
    if not bg.any():
        return False
    taken = (walk[bg] != 0) & (walk[bg] != 255)
    return bool(taken.mean() > flood)


def miou(pairs: Sequence[tuple], num_classes: int) -> float:
    """mIoU (%) of (prediction, ground truth) label maps summed over the set, as
    ``PseudoLabelMetric`` (255 unlabelled or ignored)."""
    conf = sum(label_confusion(torch.from_numpy(gt.astype(np.int64)),
                               torch.from_numpy(pred.astype(np.int64)), num_classes)[0]
               for pred, gt in pairs)
    return CAMMetric.summarise(conf[None])['mIoU']


def analyse(gts: List[np.ndarray], walk: List[np.ndarray], final: List[np.ndarray],
            other: List[np.ndarray], num_classes: int, flood: float = 0.5) -> Dict:
    """The flooded images' indices and the mIoU of ``walk``, ``final``, ``other``
    and of ``final`` with the flooded images' labels from ``other``."""
    hit = [i for i, (g, w) in enumerate(zip(gts, walk)) if flooded(g, w, flood)]
    hit_set = set(hit)
    mixed = [o if i in hit_set else f for i, (f, o) in enumerate(zip(final, other))]
    score = {name: miou(list(zip(labels, gts)), num_classes)
             for name, labels in (('walk', walk), ('final', final), ('other', other),
                                  ('final_unflooded', mixed))}
    return dict(flooded=hit, **score)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='a VOC-layout folder (SegmentationClass)')
    parser.add_argument('--walk', required=True, help='the random walk labels (PNG)')
    parser.add_argument('--final', required=True, help='the walk + CRF labels')
    parser.add_argument('--other', required=True, help='labels for the flooded images')
    parser.add_argument('--split', default='train')
    parser.add_argument('--flood', type=float, default=0.5)
    args = parser.parse_args(argv)
    split = split_file_path(args.data_root, args.split)
    try:
        names = read_split_ids(split)
        if not names:
            raise ValueError(f'{split} lists no image')
        gts = [load_label_png(osp.join(args.data_root, 'SegmentationClass', f'{n}.png'))
               for n in names]
        sets = [[load_label_png(osp.join(d, f'{n}.png')) for n in names]
                for d in (args.walk, args.final, args.other)]
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    num_classes = int(max(int(g[g != 255].max(initial=0)) for g in gts)) + 1
    res = analyse(gts, *sets, num_classes=num_classes, flood=args.flood)
    n = len(res['flooded'])
    print(f'{len(names)} images of {args.split}; flooded (walk labels on more than '
          f'{100 * args.flood:g} % of the background): {n} ({100 * n / len(names):.1f} %), '
          f'e.g. {", ".join(names[i] for i in res["flooded"][:5])}')
    print(f'mIoU: walk {res["walk"]:.1f}, walk + CRF {res["final"]:.1f}, other '
          f'{res["other"]:.1f}; walk + CRF with the flooded images from other '
          f'{res["final_unflooded"]:.1f}')


if __name__ == '__main__':
    main()

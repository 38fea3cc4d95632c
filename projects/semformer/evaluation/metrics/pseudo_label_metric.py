from collections import OrderedDict
from typing import Tuple

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable

from .cam_metric import CAMMetric


def label_confusion(gt: torch.Tensor, pred: torch.Tensor, num_classes: int,
                    ignore_index: int = 255) -> Tuple[torch.Tensor, int]:
    """A label map against its ground truth, as :class:`PseudoLabelMetric` counts it.

    Args:
        gt (Tensor): (H, W) ground-truth classes.
        pred (Tensor): (H, W) predicted classes, ``ignore_index`` for unlabelled.
        num_classes (int): K.
        ignore_index (int): Defaults to 255.

    Returns:
        tuple: the (K, K) counts [ground truth, prediction] of the pixels labelled
        in both, and the number of scored (not ignored) ground-truth pixels.
    """
    gt, pred = gt.long(), pred.long()
    scored = gt != ignore_index
    keep = scored & (pred != ignore_index)
    if keep.any() and int(pred[keep].max()) >= num_classes:
        raise ValueError(f'a label map holds class {int(pred[keep].max())}; the '
                         f'dataset has {num_classes} classes')
    conf = torch.bincount(gt[keep] * num_classes + pred[keep],
                          minlength=num_classes * num_classes)
    return conf.view(num_classes, num_classes), int(scored.sum())


@METRICS.register_module()
class PseudoLabelMetric(BaseMetric):
    """Label maps (``pred_sem_seg``, e.g. pseudo labels) against pixel ground truth.

    Pixels labelled ``ignore_index`` in the prediction are left out and reported
    as coverage: ``labelled`` = % of scored ground-truth pixels that carry a label.
    Reports mIoU, FP and FN (class means of ``(P - TP) / union`` and ``(T - TP) /
    union``, as :class:`CAMMetric`) and the per-class IoU, in %. Samples that also
    hold ``pred_sem_seg_partial`` (``PseudoLabelGenerator``'s ``partial_refiners``)
    have those labels scored as well, under ``partial/`` (e.g. ``pseudo/partial/mIoU``).
    """
    default_prefix = 'pseudo'

    def __init__(self, ignore_index=255, collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples):
        K = len(self.dataset_meta['classes'])
        for sample in data_samples:
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu()
            result = {}
            for field, key in (('pred_sem_seg', ''), ('pred_sem_seg_partial', 'partial/')):
                if field in sample:
                    pred = sample[field]['data'].squeeze(0).cpu()
                    result[key] = label_confusion(gt, pred, K, self.ignore_index)
            self.results.append(result)

    def compute_metrics(self, results):
        metrics = OrderedDict()
        for key, what in (('', 'label maps'), ('partial/', 'partial label maps')):
            if any(key in r for r in results):
                if not all(key in r for r in results):
                    raise ValueError(f'some samples hold {what}, others do not')
                metrics.update(self._summarise([r[key] for r in results], key, what))
        return metrics

    def _summarise(self, results, key, what):
        conf = torch.stack([c for c, _ in results]).sum(0)
        scored = sum(n for _, n in results)
        summary = CAMMetric.summarise(conf[None])
        metrics = OrderedDict(mIoU=summary['mIoU'], FP=summary['FP'], FN=summary['FN'],
                              labelled=100 * float(conf.sum()) / max(scored, 1))
        table = PrettyTable(['class', 'IoU', 'FP', 'FN'])
        for name, iou, fp, fn in zip(self.dataset_meta['classes'], summary['IoU'],
                                     summary['FP_class'], summary['FN_class']):
            table.add_row([name, f'{iou:.2f}', f'{fp:.2f}', f'{fn:.2f}'])
            metrics[f'IoU.{name}'] = iou
        print_log(f'{what} ({metrics["labelled"]:.1f} % of pixels labelled):\n'
                  + table.get_string(), logger='current')
        return OrderedDict((key + k, v) for k, v in metrics.items())

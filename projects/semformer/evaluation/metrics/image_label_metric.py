import logging
from typing import Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.evaluation import AveragePrecision, MultiLabelMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class ImageLabelMetric(BaseMetric):
    """Image-level multi-label scores: mAP and precision/recall/F1 at ``thr``.

    Reads ``pred_image_scores`` (K,) in [0, 1] and ``gt_image_labels`` (K,) of every
    data sample; the background (index 0) is excluded. Macro averages, in %, over
    the classes with at least one positive sample (a class absent from the split
    has no average precision; counting it as 0 would cap the mAP), with a warning
    that names the classes left out; their false positives then count in no
    average.
    Samples without ``pred_image_scores`` (a model that predicts no image scores,
    e.g. SemFormer without its CAAE, or result files written without them) are
    left out with a warning that counts them; with none at all the metric reports
    nothing instead of failing the evaluation.

    Args:
        thr (float): Score threshold for precision/recall/F1. Defaults to 0.5.
    """
    default_prefix = 'cls'

    def __init__(self, thr=0.5, **kwargs):
        super().__init__(**kwargs)
        self.thr = thr

    def process(self, data_batch, data_samples: Sequence[dict]):
        for sample in data_samples:
            if sample.get('pred_image_scores') is None:
                self.results.append(None)  # counted in compute_metrics
                continue
            self.results.append((sample['pred_image_scores'][1:].float().cpu(),
                                 sample['gt_image_labels'][1:].float().cpu()))

    def compute_metrics(self, results):
        missing = sum(r is None for r in results)
        results = [r for r in results if r is not None]
        if results and missing:
            print_log(f'ImageLabelMetric: {missing} of {missing + len(results)} data '
                      'samples have no pred_image_scores (e.g. result files written '
                      f'without image scores); cls/ metrics cover the other '
                      f'{len(results)}.', logger='current', level=logging.WARNING)
        if not results:
            print_log('ImageLabelMetric: no data sample has pred_image_scores '
                      '(the model predicts no image-level scores); no cls/ metrics.',
                      logger='current', level=logging.WARNING)
            return {}
        pred = torch.stack([r[0] for r in results])
        gt = torch.stack([r[1] for r in results])
        present = gt.sum(0) > 0
        if not present.all():
            names = (self.dataset_meta or {}).get('classes')
            absent = [names[i + 1] if names else str(i + 1)
                      for i in torch.nonzero(~present).flatten().tolist()]
            print_log(f'ImageLabelMetric: class(es) {absent} have no positive sample '
                      f'among the {len(results)} evaluated; the cls/ metrics average '
                      f'over the other {int(present.sum())}.', logger='current',
                      level=logging.WARNING)
            if not present.any():
                return {}
            pred, gt = pred[:, present], gt[:, present]
        precision, recall, f1, _ = MultiLabelMetric.calculate(
            pred, gt, average='macro', thr=self.thr)
        return dict(
            mAP=float(AveragePrecision.calculate(pred, gt, average='macro')),
            precision=float(precision),
            recall=float(recall),
            F1=float(f1))

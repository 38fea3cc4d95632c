from collections import OrderedDict

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.registry import METRICS
from prettytable import PrettyTable


@METRICS.register_module()
class CAMMetric(BaseMetric):
    """Class activation maps scored against pixel ground truth over a sweep of
    background thresholds.

    For a threshold t a pixel is background when every class map is <= t, else the
    arg-max class. Reports the best t, its mIoU, and the FP and FN rates there, the
    class means of ``(P - TP) / union`` and ``(T - TP) / union`` (so IoU + FP + FN
    = 1 per class), plus the per-class IoU. Un-eroded masks; ``ignore_index`` pixels
    are skipped. One confusion matrix per threshold is accumulated per image in
    O(pixels) memory.

    Reads ``pred_cams`` (K, H, W) (channel 0 unused) and, when present,
    ``pred_cams_plain``, reported with the prefix ``plain_``.

    Args:
        thresholds (sequence | None): default 0.00, 0.01, ..., 0.95 (VOC's best
            lies in 0.05..0.6; maps without CRA can need higher ones).
        ignore_index (int): ground-truth value to skip.
    """
    default_prefix = 'cam'
    FIELDS = (('pred_cams', ''), ('pred_cams_plain', 'plain_'))

    def __init__(self, thresholds=None, ignore_index=255, collect_device='cpu',
                 prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if thresholds is None:
            thresholds = np.round(np.arange(0, 0.955, 0.01), 2)
        self.thresholds = torch.as_tensor(sorted(thresholds), dtype=torch.float32)
        self.ignore_index = ignore_index

    def confusion(self, cams, gt):
        """(K, H, W) maps, (H, W) labels -> (T, K, K) counts [gt, pred] per threshold."""
        K, T = cams.shape[0], len(self.thresholds)
        fg_max, fg_arg = cams[1:].float().max(0)
        keep = gt != self.ignore_index
        gt, fg_max, fg_arg = gt[keep].long(), fg_max[keep], fg_arg[keep] + 1
        if gt.numel() and int(gt.max()) >= K:
            raise ValueError(f'ground truth has class {int(gt.max())} but the maps have '
                             f'{K} channels')
        # j = number of thresholds below the pixel's score: foreground for t_i, i < j
        j = torch.searchsorted(self.thresholds, fg_max.contiguous(), right=False)
        hist = torch.bincount((gt * K + fg_arg) * (T + 1) + j,
                              minlength=K * K * (T + 1)).view(K, K, T + 1)
        fg = hist.flip(-1).cumsum(-1).flip(-1)[..., 1:]  # (K, K, T): j > i
        bg = hist.sum(1).cumsum(-1)[:, :T]  # (K, T): j <= i
        conf = fg.permute(2, 0, 1).clone()
        conf[:, :, 0] = bg.t()
        return conf

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu()
            result = {}
            for field, _ in self.FIELDS:
                if field in sample:
                    result[field] = self.confusion(sample[field]['data'].cpu(), gt)
            if not result:
                raise KeyError('CAMMetric needs `pred_cams` in the predictions: '
                               'evaluate a SemFormer-style model')
            self.results.append(result)

    def compute_metrics(self, results):
        classes = self.dataset_meta['classes'] if self.dataset_meta else None
        metrics = OrderedDict()
        for field, prefix in self.FIELDS:
            confs = [r[field] for r in results if field in r]
            if not confs:
                continue
            summary = self.summarise(torch.stack(confs).sum(0))
            best = summary['best']
            metrics[prefix + 'mIoU'] = summary['mIoU']
            metrics[prefix + 'threshold'] = round(float(self.thresholds[best]), 6)
            metrics[prefix + 'FP'] = summary['FP']
            metrics[prefix + 'FN'] = summary['FN']
            names = classes or [str(i) for i in range(len(summary['IoU']))]
            table = PrettyTable(['class', 'IoU', 'FP', 'FN'])
            for name, iou, fp, fn in zip(names, summary['IoU'], summary['FP_class'],
                                         summary['FN_class']):
                table.add_row([name, f'{iou:.2f}', f'{fp:.2f}', f'{fn:.2f}'])
                metrics[f'{prefix}IoU.{name}'] = iou
            print_log(f'CAMs {field} at the best background threshold '
                      f'{metrics[prefix + "threshold"]:.2f}:\n' + table.get_string(),
                      logger='current')
        return metrics

    @staticmethod
    def summarise(conf):
        """(T, K, K) counts -> per-threshold mIoU, the best index and its rates (%)."""
        conf = conf.double()
        tp = conf.diagonal(dim1=1, dim2=2)
        gt, pred = conf.sum(2), conf.sum(1)
        union = gt + pred - tp
        present = union > 0
        iou = torch.where(present, tp / union.clamp(min=1), torch.nan)
        miou = iou.nanmean(1)
        best = int(torch.nan_to_num(miou, nan=-1).argmax())
        fp = torch.where(present, (pred - tp) / union.clamp(min=1), torch.nan)[best]
        fn = torch.where(present, (gt - tp) / union.clamp(min=1), torch.nan)[best]
        return dict(best=best, mIoU=100 * float(miou[best]), FP=100 * float(fp.nanmean()),
                    FN=100 * float(fn.nanmean()), IoU=(100 * iou[best]).tolist(),
                    FP_class=(100 * fp).tolist(), FN_class=(100 * fn).tolist(),
                    mIoU_per_threshold=(100 * miou).tolist())

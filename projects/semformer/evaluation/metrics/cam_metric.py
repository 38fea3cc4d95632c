from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import get_dist_info
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
    = 1 per class), plus the per-class IoU. ``ignore_index`` pixels are skipped.
    The log also shows where each class's pixels go at that threshold (the confusion
    as % of each ground-truth class's pixels): a class whose map lies off its
    objects shows up as a row whose pixels go to background while its column
    takes background pixels.

    Memory: each process keeps one running (thresholds x K x K) sum per field
    (plus the confusion of its last image, held back until the end: the one image
    a distributed sampler may repeat to even out the processes), and only those
    sums are gathered, whatever the number of images.

    Reads ``pred_cams`` (K, H, W) (channel 0 unused) and, when present,
    ``pred_cams_plain``, reported with the prefix ``plain_``.

    Args:
        thresholds (sequence | None): Background thresholds. Defaults to None:
            0.00, 0.01, ..., 0.95 (VOC's best lies in 0.05..0.6; maps without CRA
            can need higher ones).
        ignore_index (int): Ground-truth value to skip. Defaults to 255.
        erode (int): Side of the square kernel with which every predicted region
            is eroded before scoring, pixels left uncovered becoming background
            (SemFormer's official evaluation: 7, with thresholds 0.10..0.39 on VOC
            ``train``). Image borders do not erode. Defaults to 0 (the standard,
            un-eroded metric).
    """
    default_prefix = 'cam'
    FIELDS = (('pred_cams', ''), ('pred_cams_plain', 'plain_'))

    def __init__(self, thresholds=None, ignore_index=255, erode: int = 0,
                 collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if thresholds is None:
            thresholds = np.round(np.arange(0, 0.955, 0.01), 2)
        self.thresholds = torch.as_tensor(sorted(thresholds), dtype=torch.float32)
        self.ignore_index = ignore_index
        if erode < 0 or (erode and erode % 2 == 0):
            raise ValueError(f'erode must be 0 or an odd kernel side, not {erode}')
        self.erode = erode
        self._held = None  # the last image's confusions, not yet in the sums
        self._count = 0  # images seen by this process

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

    def eroded_confusion(self, cams, gt):
        """As :meth:`confusion`, with every predicted region eroded by ``erode``."""
        K = cams.shape[0]
        fg_max, fg_arg = cams[1:].float().max(0)
        keep = gt != self.ignore_index
        if keep.any() and int(gt[keep].max()) >= K:
            raise ValueError(f'ground truth has class {int(gt[keep].max())} but the maps '
                             f'have {K} channels')
        confs = []
        for t in self.thresholds:
            pred = torch.where(fg_max > t, fg_arg + 1, 0).float()[None, None]
            pad = self.erode // 2
            # a pixel keeps its class only if its whole window (inside the image) has it
            hi = F.max_pool2d(pred, self.erode, 1, pad)
            lo = -F.max_pool2d(-pred, self.erode, 1, pad)
            pred = torch.where(hi == lo, pred, 0)[0, 0].long()
            confs.append(torch.bincount(gt[keep].long() * K + pred[keep],
                                        minlength=K * K).view(K, K))
        return torch.stack(confs)

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            gt = sample['gt_sem_seg']['data'].squeeze(0).cpu()
            result = {}
            for field, _ in self.FIELDS:
                if field in sample:
                    cams = sample[field]['data'].cpu()
                    result[field] = (self.eroded_confusion(cams, gt) if self.erode
                                     else self.confusion(cams, gt))
            if not result:
                raise KeyError('CAMMetric needs `pred_cams` in the predictions: '
                               'evaluate a SemFormer-style model')
            self._add(self._held)
            self._held = result
            self._count += 1

    def _add(self, result):
        if result is None:
            return
        if not self.results:
            self.results.append({})
        sums = self.results[0]
        for field, conf in result.items():
            sums[field] = sums[field] + conf if field in sums else conf.clone()

    def evaluate(self, size):
        """Fold the held-back image into the sums unless it is a sampler repeat
        (mmengine's samplers deal image i to process i mod world size and pad
        the last round with repeats), then gather one sum per process."""
        rank, world = get_dist_info()
        if self._held is not None and (self._count - 1) * world + rank < size:
            self._add(self._held)
        self._held, self._count = None, 0
        return super().evaluate(size)

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
            confusion = PrettyTable(['ground truth \\ predicted', *names])
            for name, row in zip(names, summary['confusion']):
                confusion.add_row([name, *(f'{v:.1f}' for v in row)])
            print_log(f'CAMs {field} at the best background threshold '
                      f'{metrics[prefix + "threshold"]:.2f}:\n' + table.get_string() +
                      '\n% of each ground-truth class\'s pixels:\n' + confusion.get_string(),
                      logger='current')
        return metrics

    @staticmethod
    def summarise(conf):
        """(T, K, K) counts -> per-threshold mIoU, the best index, its rates (%) and
        its confusion as % of each ground-truth class's pixels (K, K) [gt, pred]
        (rows of absent classes are 0)."""
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
                    confusion=(100 * conf[best] / gt[best, :, None].clamp(min=1)).tolist(),
                    mIoU_per_threshold=(100 * miou).tolist())

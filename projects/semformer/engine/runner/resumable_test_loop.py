"""A test loop that writes one result file per image: resumable, exactly once."""
import glob
import os
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, barrier, broadcast_object_list, get_dist_info
from mmengine.logging import print_log
from mmengine.runner import TestLoop
from mmengine.runner.amp import autocast
from mmengine.structures import PixelData
from mmseg.registry import LOOPS
from tqdm import tqdm

from ...utils.result_files import (image_id, load_cams, load_image_scores, load_label_png,
                                   quantise, save_cams, save_label_png)


@LOOPS.register_module()
class ResumableTestLoop(TestLoop):
    """``TestLoop`` that saves one file per image to ``out_dir`` and can resume.

    An image whose file exists is not run through the model: its stored result is
    read back and scored, so the metrics of an interrupted and resumed run equal an
    uninterrupted one (new results are scored as stored, e.g. quantised). Files are
    written atomically (temporary file, then rename). With N processes, the image at
    dataset index i belongs to rank ``i % N`` (mmengine's ``DefaultSampler`` order)
    and only that rank writes it, so padding duplicates are never written twice.

    Args:
        out_dir (str): output folder, created if missing.
        save (str): ``'cams'``: ``<id>.npz`` with the image-level classes' maps (see
            :func:`save_cams`; ``pred_cams`` and, if present, ``pred_cams_plain``);
            ``'labels'``: ``<id>.png``, ``pred_sem_seg`` as a palette PNG.
        partial_out_dir (str, optional): with ``save='labels'``, the folder for
            ``pred_sem_seg_partial`` (``PseudoLabelGenerator``'s
            ``partial_refiners``), written the same way; an image is done when
            both of its files exist. Defaults to None.
    """

    SUFFIX = dict(cams='.npz', labels='.png')

    def __init__(self, runner, dataloader, evaluator, out_dir, save='cams', fp16=False,
                 partial_out_dir=None):
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        if save not in self.SUFFIX:
            raise ValueError(f'save must be one of {list(self.SUFFIX)}, got {save!r}')
        if partial_out_dir is not None and save != 'labels':
            raise ValueError("partial_out_dir goes with save='labels'")
        if partial_out_dir is not None and osp.abspath(partial_out_dir) == osp.abspath(out_dir):
            raise ValueError(f'partial_out_dir and out_dir are the same folder, {out_dir}')
        self.out_dir, self.save = out_dir, save
        self.partial_out_dir = partial_out_dir
        self.palette = self.dataloader.dataset.metainfo.get('palette') or []
        self.num_classes = len(self.dataloader.dataset.metainfo['classes'])

    def path(self, img_path: str, out_dir: Optional[str] = None) -> str:
        """The result file of an image in ``out_dir`` (default: ``self.out_dir``)."""
        return osp.join(out_dir or self.out_dir, image_id(img_path) + self.SUFFIX[self.save])

    def out_dirs(self) -> List[str]:
        """The folders every image is written to."""
        return [d for d in (self.out_dir, self.partial_out_dir) if d is not None]

    def run(self):
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        rank, world = get_dist_info()
        dataset = self.dataloader.dataset
        if rank == 0:
            listings = []
            for out_dir in self.out_dirs():
                os.makedirs(out_dir, exist_ok=True)
                for tmp in glob.glob(osp.join(out_dir, '*.tmp*')):
                    os.remove(tmp)  # left by a killed run
                listings.append(set(os.listdir(out_dir)))
            done = set.intersection(*listings)  # done: written to every folder
        else:
            done = None
        # every rank decides from the same listing, taken before anyone writes
        done = [done]
        broadcast_object_list(done)
        self.done = done[0]
        self.owner = {dataset.get_data_info(i)['img_path']: i % world
                      for i in range(len(dataset))}
        self.rank, self.counts = rank, dict(written=0, reused=0)
        todo = sum(1 for path, owner in self.owner.items()
                   if owner == rank and not self.is_done(path))
        self.bar = tqdm(total=todo, unit='img',
                        desc=f'{self.save} -> {" + ".join(self.out_dirs())}',
                        disable=rank != 0, dynamic_ncols=True, mininterval=2)
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        self.bar.close()
        counts = all_gather_object(self.counts)
        print_log(f'{self.save}: {sum(c["written"] for c in counts)} files written '
                  f'({" + ".join(str(c["written"]) for c in counts)} by rank), '
                  f'{sum(c["reused"] for c in counts)} found done, in '
                  f'{" and ".join(self.out_dirs())}',
                  logger='current')
        barrier()
        metrics = self.evaluator.evaluate(len(dataset))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    def is_done(self, img_path):
        return osp.basename(self.path(img_path)) in self.done

    @torch.no_grad()
    def run_iter(self, idx, data_batch):
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        samples = data_batch['data_samples']
        todo = [i for i, s in enumerate(samples)
                if not self.is_done(s.metainfo['img_path'])]
        outputs = list(samples)
        if todo:
            sub = {k: [v[i] for i in todo] for k, v in data_batch.items()}
            with autocast(enabled=self.fp16):
                preds = self.runner.model.test_step(sub)
            for i, pred in zip(todo, preds):
                outputs[i] = self.store(pred)
        for i, sample in enumerate(samples):
            if i not in todo:
                outputs[i] = self.restore(sample)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch,
                              outputs=outputs)

    def store(self, pred):
        """Write ``pred`` (if this rank owns it) and return it as stored."""
        owned = self.owner.get(pred.metainfo['img_path']) == self.rank
        if self.save == 'cams':
            fields = {name[5:]: pred.get(name).data.float().cpu().numpy()
                      for name in ('pred_cams', 'pred_cams_plain') if name in pred}
            if 'gt_image_labels' in pred:
                keys = np.flatnonzero(pred.gt_image_labels.cpu().numpy()[1:] > 0) + 1
            else:
                keys = np.flatnonzero(fields['cams'][1:].max((1, 2)) > 0) + 1
            scores = pred.get('pred_image_scores')
            if owned:
                save_cams(self.path(pred.metainfo['img_path']), fields, keys,
                          None if scores is None else scores.float().cpu().numpy())
            for name, maps in fields.items():
                stored = np.zeros_like(maps)
                stored[keys] = quantise(maps[keys]).astype(np.float32) / 255
                pred.set_field(PixelData(data=torch.from_numpy(stored)), 'pred_' + name)
        elif 'pred_sem_seg_partial' in pred and self.partial_out_dir is None:
            # restored images would lack them: scored on part of the split
            raise ValueError('the model gives partial labels (PseudoLabelGenerator\'s '
                             'partial_refiners): set test_cfg.partial_out_dir to keep them')
        elif owned:
            if self.partial_out_dir is not None:
                if 'pred_sem_seg_partial' not in pred:
                    raise KeyError('partial_out_dir is set, but the model gives no '
                                   'pred_sem_seg_partial (set PseudoLabelGenerator\'s '
                                   'partial_refiners)')
                save_label_png(self.path(pred.metainfo['img_path'], self.partial_out_dir),
                               pred.pred_sem_seg_partial.data[0].cpu().numpy(),
                               self.palette)
            label = pred.pred_sem_seg.data[0].cpu().numpy()
            save_label_png(self.path(pred.metainfo['img_path']), label, self.palette)
        if owned:
            self.counts['written'] += 1
            self.bar.update()
        return pred

    def restore(self, sample):
        """Read the stored result of ``sample`` into it."""
        path = self.path(sample.metainfo['img_path'])
        if self.save == 'cams':
            _, fields = load_cams(path, self.num_classes)
            for name, maps in fields.items():
                sample.set_field(PixelData(data=torch.from_numpy(maps)), 'pred_' + name)
            scores = load_image_scores(path)
            if scores is not None:
                sample.pred_image_scores = torch.from_numpy(scores)
        else:
            fields = [('pred_sem_seg', path)]
            if self.partial_out_dir is not None:
                fields.append(('pred_sem_seg_partial',
                               self.path(sample.metainfo['img_path'], self.partial_out_dir)))
            for name, file in fields:
                label = load_label_png(file).astype(np.int64)
                sample.set_field(PixelData(data=torch.from_numpy(label)[None]), name)
        if self.owner.get(sample.metainfo['img_path']) == self.rank:
            self.counts['reused'] += 1
        return sample

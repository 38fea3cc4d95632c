import os
import os.path as osp

from mmengine.hooks import Hook
from mmseg.registry import HOOKS
from PIL import Image

from ...visualization import cam_row, stack_rows


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Save CAM overlays of the first ``num_images`` validation / test images.

    One row per image: image | ground truth | one heat map per class in its
    image-level label | prediction at the model's background threshold, to
    ``{work_dir}/cams/iter_{N}.png`` after validation and ``cams/test.png`` after
    testing. Rows with ``pred_cams_plain`` get a second row without CRA.
    """

    def __init__(self, num_images=6):
        self.num_images = num_images
        self._rows, self._meta = [], None

    def before_val_epoch(self, runner):
        self._rows, self._meta = [], runner.val_dataloader.dataset.metainfo

    def before_test_epoch(self, runner):
        self._rows, self._meta = [], runner.test_dataloader.dataset.metainfo

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.rank != 0 or len(self._rows) >= self.num_images:
            return
        meta = self._meta
        for image, sample in zip(data_batch['inputs'], outputs):
            if len(self._rows) >= self.num_images or 'pred_cams' not in sample:
                break
            rgb = image.permute(1, 2, 0).cpu().numpy()[..., ::-1]  # loaded as BGR
            h, w = sample.pred_cams.shape
            rgb = rgb[:h, :w]
            gt = sample.gt_sem_seg.data[0].cpu().numpy() if 'gt_sem_seg' in sample else None
            pred = (sample.pred_sem_seg.data[0].cpu().numpy()
                    if 'pred_sem_seg' in sample else None)  # not stored by CAM runs
            plain = 'pred_cams_plain' in sample
            rows = [cam_row(rgb, sample.pred_cams.data.cpu().numpy(), meta['classes'],
                            meta['palette'], gt, pred, title='CRA' if plain else None)]
            if plain:
                rows.append(cam_row(rgb, sample.pred_cams_plain.data.cpu().numpy(),
                                    meta['classes'], meta['palette'], title='no CRA'))
            self._rows.append(stack_rows(rows))

    after_test_iter = after_val_iter

    def _save(self, runner, name):
        if runner.rank != 0 or not self._rows:
            return
        out_dir = osp.join(runner.work_dir, 'cams')
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, name)
        Image.fromarray(stack_rows(self._rows)).save(path)
        runner.logger.info(f'CAM overlays saved to {path}')

    def after_val_epoch(self, runner, metrics=None):
        self._save(runner, f'iter_{runner.iter}.png')

    def after_test_epoch(self, runner, metrics=None):
        self._save(runner, 'test.png')

from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...visualization import add_image_to_backends, cam_row, stack_rows


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Draw CAM overlays of the first ``num_images`` validation / test images
    with the runner's visualizer.

    One row per image: image | ground truth | one heat map per class in its
    image-level label | prediction at the model's background threshold; images
    with ``pred_cams_plain`` get a second row without CRA. The rows, stacked into
    one (sum H, max W, 3) RGB image, go to ``runner.visualizer.add_image`` after
    each validation (name ``'val_cams'``, step ``runner.iter``) and after testing
    (``'test_cams'``), hence to every vis backend of the config, as mmseg's
    ``SegVisualizationHook`` does: ``LocalVisBackend`` writes
    ``{work_dir}/{timestamp}/vis_data/vis_image/val_cams_{iter}.png`` (under
    ``--show-dir`` of ``tools/test.py`` if given), TensorBoard and W&B backends
    log the image. Main process only.

    Args:
        num_images (int): how many images to draw. Defaults to 6.
    """

    def __init__(self, num_images: int = 6):
        self.num_images = num_images
        self._rows, self._meta = [], None

    def before_val_epoch(self, runner) -> None:
        self._rows, self._meta = [], runner.val_dataloader.dataset.metainfo

    def before_test_epoch(self, runner) -> None:
        self._rows, self._meta = [], runner.test_dataloader.dataset.metainfo

    def after_val_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence] = None) -> None:
        """Keep the rows of this batch's images until ``num_images`` are kept.

        ``data_batch['inputs']`` holds the (3, H, W) BGR images as loaded;
        ``outputs`` the predicted samples with ``pred_cams`` (K, h, w) in [0, 1]
        at each image's own size (the input is resized to it when the pipeline
        resized the image).
        """
        if runner.rank != 0 or len(self._rows) >= self.num_images:
            return
        meta = self._meta
        for image, sample in zip(data_batch['inputs'], outputs):
            if len(self._rows) >= self.num_images or 'pred_cams' not in sample:
                break
            rgb = image.permute(1, 2, 0).cpu().numpy()[..., ::-1]  # loaded as BGR
            ih, iw = sample.metainfo.get('img_shape', rgb.shape[:2])[:2]
            rgb = np.ascontiguousarray(rgb[:ih, :iw])
            h, w = sample.pred_cams.shape
            if (ih, iw) != (h, w):  # resized by the pipeline, maps at the own size
                rgb = mmcv.imresize(rgb, (w, h))
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

    def _draw(self, runner, name: str, step: int) -> None:
        if runner.rank != 0 or not self._rows:
            return
        where = add_image_to_backends(runner.visualizer, name, stack_rows(self._rows),
                                      step)
        runner.logger.info(f'CAM overlays of {len(self._rows)} images: {where}')
        self._rows = []

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        self._draw(runner, 'val_cams', runner.iter)

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        # step 0: reading runner.iter in a test run would build the training loop
        # (and its dataset)
        self._draw(runner, 'test_cams', 0)

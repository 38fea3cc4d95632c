from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from torch import Tensor

from ...visualization import add_image_to_backends


@HOOKS.register_module()
class CAAEReconstructionHook(Hook):
    """After each validation, draw input / reconstruction pairs of the CAAE with
    the runner's visualizer.

    The first ``num_images`` validation images of the first one's size (among the
    first ``4 * num_images``; a dataset may mix sizes) (top row) and their
    reconstructions (bottom row), one (2 H, n W, 3) RGB image, go to
    ``runner.visualizer.add_image('val_reconstructions', image, runner.iter)``,
    hence to every vis backend of the config (``LocalVisBackend``:
    ``{work_dir}/{timestamp}/vis_data/vis_image/val_reconstructions_{iter}.png``).
    Nothing is drawn for a CAAE without decoder. Main process only.

    Args:
        num_images (int): how many validation images to draw. Defaults to 8.
    """

    def __init__(self, num_images: int = 8):
        self.num_images = num_images

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if runner.rank != 0 or not getattr(model, 'with_decoder', False):
            return
        dataset = runner.val_dataloader.dataset
        samples = []  # one batch: images of one size (a dataset may mix sizes)
        for i in range(min(4 * self.num_images, len(dataset))):
            sample = dataset[i]
            if not samples or sample['inputs'].shape == samples[0]['inputs'].shape:
                samples.append(sample)
            if len(samples) == self.num_images:
                break
        batch = pseudo_collate(samples)
        with torch.no_grad():
            inputs = model.data_preprocessor(batch, False)['inputs']
            tokens, hw = model.primary_tokens(inputs)
            recon = model.reconstruct(tokens, hw)
        prep = model.data_preprocessor
        rows = [self._to_uint8(x, prep.mean, prep.std) for x in (inputs, recon)]
        grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
        where = add_image_to_backends(runner.visualizer, 'val_reconstructions', grid,
                                      runner.iter)
        runner.logger.info(f'CAAE input/reconstruction pairs: {where}')

    @staticmethod
    def _to_uint8(images: Tensor, mean: Tensor, std: Tensor) -> np.ndarray:
        """Normalised (B, 3, H, W) -> (B, H, W, 3) uint8 in the model's channel
        order (RGB after a ``bgr_to_rgb`` data preprocessor)."""
        images = images.float() * std + mean
        return images.clamp(0, 255).byte().permute(0, 2, 3, 1).cpu().numpy()

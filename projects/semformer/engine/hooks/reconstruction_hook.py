import os
import os.path as osp

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS
from PIL import Image


@HOOKS.register_module()
class CAAEReconstructionHook(Hook):
    """After each validation, save input / reconstruction pairs of the CAAE.

    The first ``num_images`` validation images (top row) and their
    reconstructions (bottom row) go to ``{work_dir}/reconstructions/iter_{N}.png``.
    """

    def __init__(self, num_images=8):
        self.num_images = num_images

    def after_val_epoch(self, runner, metrics=None):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if runner.rank != 0 or not getattr(model, 'with_decoder', False):
            return
        dataset = runner.val_dataloader.dataset
        batch = pseudo_collate(
            [dataset[i] for i in range(min(self.num_images, len(dataset)))])
        with torch.no_grad():
            inputs = model.data_preprocessor(batch, False)['inputs']
            tokens, hw = model.primary_tokens(inputs)
            recon = model.reconstruct(tokens, hw)
        prep = model.data_preprocessor
        rows = [self._to_uint8(x, prep.mean, prep.std) for x in (inputs, recon)]
        grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
        out_dir = osp.join(runner.work_dir, 'reconstructions')
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f'iter_{runner.iter}.png')
        Image.fromarray(grid).save(path)
        runner.logger.info(f'CAAE input/reconstruction pairs saved to {path}')

    @staticmethod
    def _to_uint8(images, mean, std):
        """Normalised (B, 3, H, W) -> (B, H, W, 3) uint8 in the model's channel order."""
        images = images.float() * std + mean
        return images.clamp(0, 255).byte().permute(0, 2, 3, 1).cpu().numpy()

import os.path as osp
from typing import List

import numpy as np
from mmengine.visualization import LocalVisBackend, Visualizer


def add_image_to_backends(visualizer: Visualizer, name: str, image: np.ndarray,
                          step: int) -> str:
    """Give an image to every backend of ``visualizer`` and describe where it went.

    ``visualizer.add_image`` (main process only) passes it to each vis backend:
    ``LocalVisBackend`` writes ``{save_dir}/vis_image/{name}_{step}.png``,
    ``TensorboardVisBackend`` / ``WandbVisBackend`` log it under ``name``.

    Args:
        visualizer (Visualizer): e.g. ``runner.visualizer``.
        name (str): the image's name (no ``/``: it is part of a file name).
        image (np.ndarray): (H, W, 3) uint8 RGB.
        step (int): e.g. ``runner.iter``.

    Returns:
        str: for the log, e.g. ``"'val_cams' (step 500) -> LocalVisBackend:
        work_dirs/x/20240101_000000/vis_data/vis_image/val_cams_500.png"``.
    """
    visualizer.add_image(name, image, step=step)
    return f'{name!r} (step {step}) -> ' + ', '.join(backend_targets(visualizer, name, step))


def backend_targets(visualizer: Visualizer, name: str, step: int) -> List[str]:
    """The backends of ``visualizer`` by class name; local ones with the file that
    ``LocalVisBackend.add_image`` writes. ``['no vis backend']`` if none."""
    backends = getattr(visualizer, '_vis_backends', {}) or {}
    targets = []
    for backend in backends.values():
        kind = type(backend).__name__
        save_dir = getattr(backend, '_img_save_dir', None)
        if isinstance(backend, LocalVisBackend) and save_dir is not None:
            kind += ': ' + osp.join(save_dir, f'{name}_{step}.png')
        targets.append(kind)
    return targets or ['no vis backend']

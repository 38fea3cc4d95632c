import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ...utils import load_cams


@TRANSFORMS.register_module()
class LoadCAMs(BaseTransform):
    """Load the saved maps of an image (``ResumableTestLoop(save='cams')``).

    Adds ``cams`` (k, H, W) float32 in [0, 1] and ``cam_keys`` (k,) int64, the
    class ids of the maps (background excluded), from ``<cam_dir>/<id>.npz``.

    Args:
        cam_dir (str): the folder of the ``.npz`` files.
        field (str): ``'cams'`` (with CRA) or ``'cams_plain'``.
    """

    def __init__(self, cam_dir, field='cams'):
        self.cam_dir, self.field = cam_dir, field

    def transform(self, results):
        stem = osp.splitext(osp.basename(results['img_path']))[0]
        path = osp.join(self.cam_dir, stem + '.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(f'no CAMs for image {stem}: {path} is missing; '
                                    'generate the CAMs of this split first')
        keys, fields = load_cams(path)
        if self.field not in fields:
            raise KeyError(f'{path} holds {sorted(fields)}, not {self.field!r}')
        cams = fields[self.field]
        if cams.shape[1:] != tuple(results['ori_shape']):
            raise ValueError(f'{path}: maps of size {cams.shape[1:]} for an image of '
                             f'size {tuple(results["ori_shape"])}; were they made for '
                             'another dataset?')
        results['cams'], results['cam_keys'] = cams, keys.astype(np.int64)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(cam_dir={self.cam_dir!r}, field={self.field!r})'

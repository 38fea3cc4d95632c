from typing import Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale the image (and its segmentation maps) by a factor drawn uniformly
    from ``ratio_range``, keeping the aspect ratio: SemFormer's ``RandomExpand``,
    an upscale of 1-3x before the CAAE's random resized crop. mmcv's
    ``RandomResize`` draws around a fixed target scale instead of the image's own.

    Required keys: ``img``; modified: ``img``, ``img_shape``, ``scale_factor``
    and every key in ``seg_fields``.

    Args:
        ratio_range (sequence[float]): (low, high) of the factor. Defaults to
            (1.0, 3.0).
        interpolation (str): for the image; maps use nearest. Defaults to
            ``'bilinear'``.
    """

    def __init__(self, ratio_range: Sequence[float] = (1.0, 3.0),
                 interpolation: str = 'bilinear'):
        low, high = ratio_range
        if not 0 < low <= high:
            raise ValueError(f'ratio_range must be 0 < low <= high, got {ratio_range}')
        self.ratio_range, self.interpolation = (low, high), interpolation

    def transform(self, results: dict) -> dict:
        factor = np.random.uniform(*self.ratio_range)
        h, w = results['img'].shape[:2]
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        results['img'] = mmcv.imresize(results['img'], size,
                                       interpolation=self.interpolation)
        for key in results.get('seg_fields', []):
            results[key] = mmcv.imresize(results[key], size, interpolation='nearest')
        results['img_shape'] = results['img'].shape[:2]
        sw, sh = results.get('scale_factor', (1.0, 1.0))
        results['scale_factor'] = (sw * size[0] / w, sh * size[1] / h)
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(ratio_range={self.ratio_range}, '
                f'interpolation={self.interpolation!r})')

from typing import Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image

Range = Union[float, Tuple[float, float]]


@TRANSFORMS.register_module()
class TorchvisionColorJitter(BaseTransform):
    """torchvision's ``ColorJitter`` on the BGR uint8 image, as SemFormer's authors
    apply it (brightness, contrast, saturation and hue in random order).

    mmcv's ``adjust_hue`` (behind mmpretrain's ``ColorJitter``) overflows under
    numpy 2 for negative hue shifts; torchvision's works on the PIL image.

    Required keys: ``img`` (H, W, 3) uint8 BGR; modified: ``img``.

    Args:
        brightness (float | tuple): Defaults to 0.3.
        contrast (float | tuple): Defaults to 0.3.
        saturation (float | tuple): Defaults to 0.3.
        hue (float | tuple): Defaults to 0.1.
    """

    def __init__(self, brightness: Range = 0.3, contrast: Range = 0.3,
                 saturation: Range = 0.3, hue: Range = 0.1):
        from torchvision.transforms import ColorJitter
        self.jitter = ColorJitter(brightness, contrast, saturation, hue)

    def transform(self, results: dict) -> dict:
        rgb = Image.fromarray(np.ascontiguousarray(results['img'][..., ::-1]))
        results['img'] = np.ascontiguousarray(np.asarray(self.jitter(rgb))[..., ::-1])
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}({self.jitter!r})'

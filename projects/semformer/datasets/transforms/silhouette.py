from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SilhouetteBlend(BaseTransform):
    """Blend the image towards a black-and-white rendering of its objects.

    A pretraining curriculum for the synthetic worlds: shape classes drawn with
    random colours and textures leave a network trained from scratch on a long
    plateau near chance, while the same shapes drawn as plain silhouettes are
    learned within a few hundred iterations, and the features carry over to the
    coloured images as the blend weight goes down (see ``docs/en/synthetic_world.md``).
    The silhouette is an image style, like a grayscale view: the mask only says
    where to draw, no pixel label is a target.

    The silhouette is white objects on a black background or the inverse (random
    polarity); pixels whose ``gt_seg_map`` is 0 or ``ignore_index`` are background.
    The image becomes ``alpha * silhouette + (1 - alpha) * image``.

    Required keys: ``img`` (H, W, 3) uint8, ``gt_seg_map`` (H, W) — so
    ``LoadAnnotations`` comes before; modified: ``img``.

    Args:
        alpha (float | tuple[float, float]): The blend weight, or the range it is
            drawn from uniformly per image. Defaults to (0.0, 1.0).
        prob (float): Probability of blending an image at all. Defaults to 1.0.
        ignore_index (int): Mask value treated as background. Defaults to 255.
    """

    def __init__(self, alpha: Union[float, Tuple[float, float]] = (0.0, 1.0),
                 prob: float = 1.0, ignore_index: int = 255) -> None:
        lo, hi = (alpha, alpha) if np.isscalar(alpha) else tuple(alpha)
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f'alpha must lie in [0, 1], got {alpha}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must lie in [0, 1], got {prob}')
        self.alpha = (float(lo), float(hi))
        self.prob = prob
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> Optional[dict]:
        if 'gt_seg_map' not in results:
            raise KeyError('SilhouetteBlend needs gt_seg_map: put LoadAnnotations '
                           f'before it ({results.get("img_path", "image")})')
        if np.random.rand() >= self.prob:
            return results
        alpha = np.random.uniform(*self.alpha)
        seg = results['gt_seg_map']
        fg = (seg != 0) & (seg != self.ignore_index)
        if np.random.rand() < 0.5:
            fg = ~fg
        sil = np.where(fg, 255.0, 0.0)[..., None]
        img = results['img'].astype(np.float32)
        out = alpha * sil + (1 - alpha) * img
        results['img'] = np.clip(np.round(out), 0, 255).astype(results['img'].dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(alpha={self.alpha}, prob={self.prob}, '
                f'ignore_index={self.ignore_index})')

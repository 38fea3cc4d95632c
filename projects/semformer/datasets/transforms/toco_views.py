"""ToCo's training views made in the data pipeline, as the authors' loader makes them
(rulixiang/ToCo ``datasets/voc.py``, ``VOC12ClsDataset`` with ``aug=True``).

``KeepRawImage`` right after loading keeps the image before any augmentation;
``ToCoViews`` after the last geometric transform (the scaled, flipped crop) makes
from that crop the local view and the network input, and from the kept image the
second global view; ``PackToCoInputs`` packs the two views into the data sample,
where :class:`ToCo` reads them.
"""
from typing import Sequence, Union

import numpy as np
import torch
import torchvision.transforms.functional as TF
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image, ImageFilter, ImageOps
from torchvision.transforms import ColorJitter, InterpolationMode, RandomResizedCrop

from .formatting import PackImageLabelInputs

# the data-sample fields that ToCo reads
TOCO_VIEW_KEYS = ('toco_global_view', 'toco_local_view')


@TRANSFORMS.register_module()
class KeepRawImage(BaseTransform):
    """Keep a copy of the loaded image for views made from the whole image (ToCo's
    second global view).

    Required keys: ``img``; added: ``key``.

    Args:
        key (str): Where the copy goes. Defaults to ``'raw_img'``.
    """

    def __init__(self, key: str = 'raw_img'):
        self.key = key

    def transform(self, results: dict) -> dict:
        results[self.key] = results['img'].copy()
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(key={self.key!r})'


@TRANSFORMS.register_module()
class ToCoViews(BaseTransform):
    """The authors' three ToCo views, DINO's augmentations on PIL images:
    ``flip_and_color_jitter`` = horizontal flip (``flip_prob``), colour jitter
    (``jitter``: brightness, contrast, saturation, hue in random order, torchvision's
    ``ColorJitter``) with ``jitter_prob``, grayscale with ``gray_prob``; Gaussian
    blur = PIL's ``GaussianBlur`` with radius (its sigma) uniform in
    ``blur_sigma``; solarisation = PIL's ``ImageOps.solarize`` (values >= 128
    inverted).

    - the network input (``global_view1``): the crop, flip_and_color_jitter, blur
      with ``main_blur_prob`` (1.0). Its flip also flips the maps in
      ``seg_fields``;
    - the local view (``local_view``): the same crop *before* that input's
      jitter, flip_and_color_jitter, blur with ``local_blur_prob`` (0.5). Its flip
      is drawn independently of the input's (``local_flip_independent``), as the
      authors': half the time it is the input's mirror image, while the local
      crops are centred by the input's CAM. With ``local_flip_independent=False``
      it takes the input's flip;
    - the second global view (``global_view2``): a random resized crop (area
      ``global_crop_scale`` of the image kept by :class:`KeepRawImage`, aspect
      3/4-4/3, bicubic) to ``crop_size``, flip_and_color_jitter, blur with
      ``global_blur_prob`` (0.1), solarisation with ``solarize_prob`` (0.2).

    Required keys: ``img`` (the crop, BGR uint8) and ``raw_key``; modified:
    ``img`` and every key in ``seg_fields``, ``flip``, ``flip_direction``; added:
    ``toco_local_view`` (the size of ``img``) and ``toco_global_view``
    (``crop_size``), BGR uint8; removed: ``raw_key``.

    Args:
        crop_size (int | tuple): (h, w) of the second global view (the
            authors' ``crop_size``, the network's input size).
        global_crop_scale (tuple): Defaults to (0.4, 1.0).
        jitter (tuple): brightness, contrast, saturation, hue. Defaults to
            (0.4, 0.4, 0.2, 0.1).
        jitter_prob (float): Defaults to 0.8.
        gray_prob (float): Defaults to 0.2.
        flip_prob (float): Defaults to 0.5.
        blur_sigma (tuple): Defaults to (0.1, 2.0).
        main_blur_prob (float): Defaults to 1.0.
        local_blur_prob (float): Defaults to 0.5.
        global_blur_prob (float): Defaults to 0.1.
        solarize_prob (float): Defaults to 0.2.
        local_flip_independent (bool): Defaults to True (the authors').
        raw_key (str): Defaults to ``'raw_img'``.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 global_crop_scale: Sequence[float] = (0.4, 1.0),
                 jitter: Sequence[float] = (0.4, 0.4, 0.2, 0.1),
                 jitter_prob: float = 0.8,
                 gray_prob: float = 0.2,
                 flip_prob: float = 0.5,
                 blur_sigma: Sequence[float] = (0.1, 2.0),
                 main_blur_prob: float = 1.0,
                 local_blur_prob: float = 0.5,
                 global_blur_prob: float = 0.1,
                 solarize_prob: float = 0.2,
                 local_flip_independent: bool = True,
                 raw_key: str = 'raw_img'):
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_size = tuple(crop_size)
        self.global_crop_scale = tuple(global_crop_scale)
        self.jitter = ColorJitter(*jitter)
        self.jitter_prob, self.gray_prob, self.flip_prob = jitter_prob, gray_prob, flip_prob
        self.blur_sigma = tuple(blur_sigma)
        self.main_blur_prob = main_blur_prob
        self.local_blur_prob = local_blur_prob
        self.global_blur_prob = global_blur_prob
        self.solarize_prob = solarize_prob
        self.local_flip_independent = local_flip_independent
        self.raw_key = raw_key

    # ------------------------------------------------------------------ steps
    @staticmethod
    def _draw(p: float) -> bool:
        return p > 0 and np.random.rand() < p

    def _jitter_gray_blur(self, img: Image.Image, blur_prob: float) -> Image.Image:
        if self._draw(self.jitter_prob):
            img = self.jitter(img)
        if self._draw(self.gray_prob):
            img = TF.rgb_to_grayscale(img, num_output_channels=3)
        if self._draw(blur_prob):
            img = img.filter(ImageFilter.GaussianBlur(
                radius=float(np.random.uniform(*self.blur_sigma))))
        return img

    @staticmethod
    def _to_pil(bgr: np.ndarray) -> Image.Image:
        return Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))

    @staticmethod
    def _to_bgr(img: Image.Image) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(img.convert('RGB'))[..., ::-1])

    def _global_view(self, raw: np.ndarray) -> Image.Image:
        img = self._to_pil(raw)
        i, j, h, w = RandomResizedCrop.get_params(img, self.global_crop_scale,
                                                  (3 / 4, 4 / 3))
        img = TF.resized_crop(img, i, j, h, w, list(self.crop_size),
                              InterpolationMode.BICUBIC)
        if self._draw(self.flip_prob):
            img = TF.hflip(img)
        img = self._jitter_gray_blur(img, self.global_blur_prob)
        if self._draw(self.solarize_prob):
            img = ImageOps.solarize(img)
        return img

    def transform(self, results: dict) -> dict:
        if self.raw_key not in results:
            raise KeyError(f'ToCoViews needs {self.raw_key!r}: put KeepRawImage after '
                           'the loading transform')
        crop = results['img']
        main_flip = self._draw(self.flip_prob)
        local_flip = self._draw(self.flip_prob) if self.local_flip_independent \
            else main_flip

        local = self._to_pil(crop[:, ::-1] if local_flip else crop)
        local = self._jitter_gray_blur(local, self.local_blur_prob)
        results['toco_local_view'] = self._to_bgr(local)

        main = self._to_pil(crop[:, ::-1] if main_flip else crop)
        results['img'] = self._to_bgr(self._jitter_gray_blur(main, self.main_blur_prob))
        if main_flip:
            for key in results.get('seg_fields', []):
                results[key] = np.ascontiguousarray(results[key][:, ::-1])
            flipped = not results.get('flip', False)
            results['flip'] = flipped
            results['flip_direction'] = 'horizontal' if flipped else None

        raw = results.pop(self.raw_key)
        results['toco_global_view'] = self._to_bgr(self._global_view(raw))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'global_crop_scale={self.global_crop_scale}, jitter={self.jitter!r}, '
                f'jitter_prob={self.jitter_prob}, gray_prob={self.gray_prob}, '
                f'flip_prob={self.flip_prob}, blur_sigma={self.blur_sigma}, '
                f'main_blur_prob={self.main_blur_prob}, '
                f'local_blur_prob={self.local_blur_prob}, '
                f'global_blur_prob={self.global_blur_prob}, '
                f'solarize_prob={self.solarize_prob}, '
                f'local_flip_independent={self.local_flip_independent})')


@TRANSFORMS.register_module()
class PackToCoInputs(PackImageLabelInputs):
    """:class:`PackImageLabelInputs` that also packs :class:`ToCoViews`'s views:
    the data sample gets ``toco_global_view`` and ``toco_local_view``, uint8
    tensors (3, h, w) in the channel order of ``inputs`` (the preprocessor's
    channel conversion, normalisation and padding are left to the model, which
    applies the preprocessor's to them)."""

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        for key in TOCO_VIEW_KEYS:
            if key in results:
                view = np.ascontiguousarray(results[key].transpose(2, 0, 1))
                packed['data_samples'].set_field(torch.from_numpy(view), key)
        return packed

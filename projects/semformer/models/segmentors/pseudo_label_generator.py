from typing import List, Optional, Tuple

import mmcv
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS


@MODELS.register_module()
class PseudoLabelGenerator(BaseSegmentor):
    """Pseudo labels from saved CAMs: a background score, refinements, arg-max.

    Per image (``cams`` (k, H, W) and ``cam_keys`` (k,) from ``LoadCAMs``): scores
    (1 + k, H, W) = [``bg_threshold``, cams], each refiner in order (``forward(
    image, scores) -> scores``, image (3, H, W) RGB in [0, 255]), arg-max, mapped
    to class ids. With ``confident_bg_threshold`` the labelling is repeated with
    that background score and the two are combined (``combine``). A refiner may
    replace the background channel: ``RandomWalk`` with ``bg_power`` set (PSA's
    default) computes its own from the CAMs, so ``bg_threshold`` and
    ``confident_bg_threshold`` no longer change its output. Combining:

    - ``'agree'``: pixels where the two labellings disagree get ``ignore_index``
      (the strictest seeds);
    - ``'foreground'`` (IRN's ``cam_to_ir_label`` and SemFormer's
      ``make_affinity_labels.py``): the first labelling's foreground is kept
      everywhere; where it says background, the pixel is background if the second
      labelling agrees, else ignored.

    With ``work_size`` the refiners run at the scale the models learned: the
    image and the maps are resized (bilinear) to a long side of ``work_size``
    pixels, refined, and the scores resized back to (H, W) before the arg-max, so
    the refiners' pixel kernels (CRF, PAR, the random walk's radius) mean the same
    on larger or smaller images.

    With ``partial_refiners`` = n, the labels after the first n refiners are
    given as well (``pred_sem_seg_partial``), so one run writes two labellings that
    share their first refiners (e.g. n = 1 in the random walk + CRF configs: the
    random walk's labels beside the final ones, one walk for both).

    Sets ``pred_sem_seg`` (1, H, W) and, with ``partial_refiners``,
    ``pred_sem_seg_partial`` (1, H, W).

    Nothing is trained: the inputs must be un-normalised RGB (data preprocessor
    with mean 0, std 1, ``bgr_to_rgb=True``).

    Args:
        refiners (list[dict]): e.g. ``DenseCRF``, ``PAR``, ``RandomWalk``.
        bg_threshold (float): background score of the labelling.
        confident_bg_threshold (float | None): see above. Defaults to None.
        combine (str): ``'agree'`` or ``'foreground'``, see above. Defaults to
            ``'agree'``.
        work_size (int, optional): long side in pixels at which the refiners
            run; None runs them at each image's own size. Defaults to None.
        partial_refiners (int, optional): also label the scores after this many
            refiners (0 < n < ``len(refiners)``). Defaults to None.
    """
    COMBINE = ('agree', 'foreground')

    def __init__(self, refiners=(), bg_threshold=0.2, confident_bg_threshold=None,
                 combine='agree', ignore_index=255, work_size: Optional[int] = None,
                 partial_refiners: Optional[int] = None, data_preprocessor=None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if combine not in self.COMBINE:
            raise ValueError(f'combine must be one of {self.COMBINE}, not {combine!r}')
        self.combine = combine
        self.refiners = torch.nn.ModuleList(MODELS.build(r) for r in refiners)
        self.bg_threshold = bg_threshold
        self.confident_bg_threshold = confident_bg_threshold
        if work_size is not None and work_size < 1:
            raise ValueError(f'work_size must be a positive pixel count, not {work_size}')
        self.work_size = work_size
        if partial_refiners is not None and not 0 < partial_refiners < len(self.refiners):
            raise ValueError(f'partial_refiners must be between 1 and the number of '
                             f'refiners - 1 ({len(self.refiners) - 1}), not '
                             f'{partial_refiners}')
        self.partial_refiners = partial_refiners
        self.ignore_index = ignore_index

    def work_shape(self, height: int, width: int) -> Tuple[int, int]:
        """The (h, w) the refiners run at for an image of (height, width): the
        size mmcv's ``Resize(scale=(work_size, work_size), keep_ratio=True)``
        gives, as the synthetic test pipelines resize for the networks."""
        if self.work_size is None:
            return height, width
        w, h = mmcv.rescale_size((width, height), (self.work_size, self.work_size))
        return h, w

    def scores_to_index(self, image, cams, bg, out_shape=None) -> List[torch.Tensor]:
        """(3, h, w), (k, h, w), background score -> channel indices, (h, w) or
        ``out_shape`` (the refined scores resized bilinearly before the arg-max):
        with ``partial_refiners``, the index after those refiners, then after all
        of them; else the latter only."""
        scores = torch.cat([cams.new_full((1, ) + cams.shape[1:], bg), cams])
        indices = []
        for i, refiner in enumerate(self.refiners):
            if i == self.partial_refiners:
                indices.append(self._index(scores, out_shape))
            scores = refiner(image, scores)
        return indices + [self._index(scores, out_shape)]

    @staticmethod
    def _index(scores, out_shape):
        """(C, h, w) scores -> (h, w) arg-max, after resizing them to ``out_shape``."""
        if out_shape is not None and tuple(scores.shape[-2:]) != tuple(out_shape):
            scores = F.interpolate(scores[None], out_shape, mode='bilinear',
                                   align_corners=False)[0]
        return scores.argmax(0)

    def labels(self, image, cams, keys) -> List[torch.Tensor]:
        """(3, H, W) RGB, (k, H, W) maps, (k,) class ids -> (H, W) int64 labels:
        with ``partial_refiners`` the partial ones, then the final ones; else the
        final ones only. Background everywhere (nothing refined) when k = 0."""
        shape = tuple(cams.shape[-2:])
        if cams.shape[0] == 0:  # an image without object classes
            count = 2 if self.partial_refiners else 1
            return [torch.zeros(shape, dtype=torch.long, device=cams.device)] * count
        work = self.work_shape(*shape)
        if work != shape:
            image = F.interpolate(image[None], work, mode='bilinear',
                                  align_corners=False)[0]
            cams = F.interpolate(cams[None], work, mode='bilinear', align_corners=False)[0]
        indices = self.scores_to_index(image, cams, self.bg_threshold, shape)
        if self.confident_bg_threshold is not None:
            others = self.scores_to_index(image, cams, self.confident_bg_threshold, shape)
            indices = [self._combine(i, o) for i, o in zip(indices, others)]
        keys = torch.cat([keys.new_zeros(1), keys.to(indices[0].device)])
        return [torch.where(i >= 0, keys[i.clamp(min=0)],
                            torch.full_like(i, self.ignore_index)) for i in indices]

    def label(self, image, cams, keys) -> torch.Tensor:
        """The final labels of :meth:`labels`, (H, W) int64."""
        return self.labels(image, cams, keys)[-1]

    def _combine(self, index, other):
        """Two labellings' channel indices -> one, -1 where ignored."""
        if self.combine == 'agree':
            return torch.where(index == other, index, -1)
        # foreground of the first kept; its background only if both agree
        return torch.where((index > 0) | (other == 0), index, -1)

    def predict(self, inputs, data_samples):
        for image, sample in zip(inputs, data_samples):
            if 'cams' not in sample:
                raise KeyError('PseudoLabelGenerator needs `cams`: add LoadCAMs to '
                               'the test pipeline')
            H, W = sample.cams.shape[-2:]
            labels = self.labels(image[:, :H, :W].float(), sample.cams.float(),
                                 sample.cam_keys)
            if self.partial_refiners:
                sample.set_field(PixelData(data=labels[0][None]), 'pred_sem_seg_partial')
            sample.set_field(PixelData(data=labels[-1][None]), 'pred_sem_seg')
        return data_samples

    def loss(self, inputs, data_samples):
        raise RuntimeError('PseudoLabelGenerator has nothing to train; run it with '
                           'tools/test.py')

    def _forward(self, inputs, data_samples=None):
        return self.predict(inputs, data_samples)

    def extract_feat(self, inputs):
        return inputs

    def encode_decode(self, inputs, batch_img_metas):
        raise RuntimeError('PseudoLabelGenerator labels from saved CAMs only')

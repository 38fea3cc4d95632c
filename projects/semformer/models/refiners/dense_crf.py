import numpy as np
import torch
import torch.nn as nn
from mmseg.registry import MODELS


@MODELS.register_module()
class DenseCRF(nn.Module):
    """Fully connected CRF (Kraehenbuehl and Koltun) over the image, via
    ``pydensecrf`` (PyPI: ``pydensecrf2``).

    ``forward(image, scores)``: image (3, H, W) RGB in [0, 255], scores (C, H, W)
    with channel 0 the background -> the CRF marginals (C, H, W). The unary is
    the arg-max label with confidence ``gt_prob`` (IRN), or with ``gt_prob=None``
    ``-log`` of the scores normalised to sum 1 per pixel (PSA).

    Args:
        iterations (int): mean-field steps.
        gaussian_sxy, gaussian_compat: smoothness kernel (pixels, weight).
        bilateral_sxy, bilateral_srgb, bilateral_compat: appearance kernel.
        gt_prob (float | None): see above.
    """

    def __init__(self, iterations=10, gaussian_sxy=3, gaussian_compat=3,
                 bilateral_sxy=50, bilateral_srgb=5, bilateral_compat=10, gt_prob=0.7):
        super().__init__()
        try:
            import pydensecrf.densecrf  # noqa: F401
        except ImportError as e:
            raise ImportError('DenseCRF needs pydensecrf: pip install pydensecrf2') from e
        self.iterations = iterations
        self.gaussian = dict(sxy=gaussian_sxy, compat=gaussian_compat)
        self.bilateral = dict(sxy=bilateral_sxy, srgb=bilateral_srgb,
                              compat=bilateral_compat)
        self.gt_prob = gt_prob

    def forward(self, image, scores):
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_labels, unary_from_softmax
        C, H, W = scores.shape
        if C == 1:
            return scores
        rgb = np.ascontiguousarray(
            image.permute(1, 2, 0).round().clamp(0, 255).byte().cpu().numpy())
        s = scores.float().cpu().numpy()
        if self.gt_prob is None:
            unary = unary_from_softmax(s / np.maximum(s.sum(0, keepdims=True), 1e-8))
        else:
            unary = unary_from_labels(s.argmax(0), C, gt_prob=self.gt_prob,
                                      zero_unsure=False)
        crf = dcrf.DenseCRF2D(W, H, C)
        crf.setUnaryEnergy(np.ascontiguousarray(unary))
        crf.addPairwiseGaussian(**self.gaussian)
        crf.addPairwiseBilateral(rgbim=rgb, **self.bilateral)
        q = np.asarray(crf.inference(self.iterations), np.float32).reshape(C, H, W)
        return torch.from_numpy(q).to(scores.device)

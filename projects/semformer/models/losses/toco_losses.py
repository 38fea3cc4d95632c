"""Losses of ToCo (Ru et al., "Token Contrast for Weakly-Supervised Semantic
Segmentation", CVPR 2023): the patch-token contrast ``L_ptc``, the class-token
contrast ``L_ctc`` and the dense-energy regulariser ``L_reg``, in PyTorch only
(the authors' ``L_reg`` needs rloss's compiled bilateral-filter extension; here its
kernel is exact and scaled to the extension's, see :class:`DenseEnergyLoss`).
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class PatchTokenContrastLoss(nn.Module):
    """``L_ptc``: the final patch tokens' pairwise |cosine| pulled to 1 for token
    pairs of the same pseudo class and to 0 for pairs of different classes:

    ``0.5 * (1 - sum_pos|cos| / (n_pos + 1)) + 0.5 * sum_neg|cos| / (n_neg + 1)``

    over the batch (the authors' form, +1 included).

    Args:
        ignore_index (int): Relation label of pairs left out. Defaults to 255.
        loss_weight (float): Weight of the loss. Defaults to 1.0 (ToCo: 0.2).
        loss_name (str): Name in the loss dict. Defaults to ``'loss_ptc'``.
    """

    def __init__(self, ignore_index: int = 255, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ptc') -> None:
        super().__init__()
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, tokens: Tensor, relation: Tensor, **kwargs) -> Tensor:
        """tokens (B, C, h, w); relation (B, hw, hw): 1 same class, 0 different,
        ``ignore_index`` left out -> scalar."""
        x = F.normalize(tokens.float().flatten(2), p=2, dim=1, eps=1e-8)
        cos = (x.transpose(1, 2) @ x).abs()
        pos = (relation == 1).to(cos.dtype)
        neg = (relation == 0).to(cos.dtype)
        loss = 0.5 * (1 - (pos * cos).sum() / (pos.sum() + 1)) \
            + 0.5 * (neg * cos).sum() / (neg.sum() + 1)
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        return self._loss_name


@MODELS.register_module()
class ClassTokenContrastLoss(nn.Module):
    """``L_ctc``: an InfoNCE between the projected class tokens of the T global
    views (teacher) and of the V student views (the global views and the local
    crops). With ``e_tj = exp(t_t . s_j / temperature)``, ``N_t`` the sum of
    ``e_tj`` over the negative views (flag 0) and P the positive views (flag 1,
    the global views always), per image:

    ``[sum_t sum_{j in P} -log(e_tj / (e_tj + N_t + 1e-4))
       + sum_t log(1 + N_t + 1e-4)] / (T (|P| + 1e-4))``

    averaged over images: the authors' loss, computed in log space so that large
    dot products do not overflow ``exp``.

    Args:
        temperature (float): Defaults to 0.5 (ToCo's ``temp``).
        loss_weight (float): Weight of the loss. Defaults to 1.0 (ToCo: 0.5).
        loss_name (str): Name in the loss dict. Defaults to ``'loss_ctc'``.
    """

    def __init__(self, temperature: float = 0.5, loss_weight: float = 1.0,
                 loss_name: str = 'loss_ctc') -> None:
        super().__init__()
        self.temperature = temperature
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, student: Tensor, teacher: Tensor, flags: Tensor,
                **kwargs) -> Tensor:
        """student (B, V, D), teacher (B, T, D), flags (B, V) 1 = positive view,
        0 = negative -> scalar."""
        logits = teacher.float() @ student.float().transpose(1, 2) / self.temperature
        pos = flags > 0  # (B, V)
        neg_logits = logits.masked_fill(pos[:, None], float('-inf'))
        lse_neg = torch.logsumexp(neg_logits, dim=-1, keepdim=True)  # log N_t
        # log(N_t + 1e-4): the denominator's terms other than e_tj
        rest = torch.logaddexp(lse_neg, torch.full_like(lse_neg, math.log(1e-4)))
        nll = torch.logaddexp(logits, rest) - logits  # -log(e / (e + N + eps))
        pos_terms = (nll * pos[:, None]).sum((1, 2))
        extra = F.softplus(rest).sum((1, 2))  # sum_t log(1 + N_t + 1e-4)
        T = teacher.shape[1]
        per_image = (pos_terms + extra) / T / (pos.sum(1) + 1e-4)
        return self.loss_weight * per_image.mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name


def bilateral_filter(values: Tensor, image: Tensor, sigma_rgb: float, sigma_xy: float,
                     chunk_size: int = 4096) -> Tensor:
    """Dense Gaussian bilateral filter, all pixel pairs, the self pair included:
    ``out_i = sum_j exp(-|p_i - p_j|^2 / 2 sigma_xy^2 - |I_i - I_j|^2 / 2 sigma_rgb^2)
    values_j``, the kernel that rloss's permutohedral lattice approximates.

    Args:
        values (Tensor): (K, H, W).
        image (Tensor): (3, H, W) intensities (0-255 for ``sigma_rgb`` = 15).
        sigma_rgb (float): Colour bandwidth.
        sigma_xy (float): Spatial bandwidth in pixels.
        chunk_size (int): Rows of the (HW, HW) kernel formed at a time (memory
            ``chunk_size x HW`` floats). Defaults to 4096.

    Returns:
        Tensor: (K, H, W).
    """
    K, H, W = values.shape
    ys, xs = torch.meshgrid(torch.arange(H, device=values.device, dtype=torch.float32),
                            torch.arange(W, device=values.device, dtype=torch.float32),
                            indexing='ij')
    feats = torch.cat([torch.stack([ys, xs]) / sigma_xy, image.float() / sigma_rgb])
    feats = feats.flatten(1).t()  # (n, 5)
    sq = (feats**2).sum(1)
    v = values.float().flatten(1).t()  # (n, K)
    out = []
    for start in range(0, feats.shape[0], chunk_size):
        f = feats[start:start + chunk_size]
        d2 = sq[start:start + chunk_size, None] + sq[None] - 2 * f @ feats.t()
        d2 = d2.clamp(min=0)
        out.append(torch.exp(-0.5 * d2) @ v)
    return torch.cat(out).t().reshape(K, H, W)


class _DenseEnergy(torch.autograd.Function):
    """Value ``-sum(S * gate * (W S)) / B``; gradient ``-2 gate (W S) roi / B``
    with respect to S, as rloss's extension returns it (the gate taken as fixed,
    W as symmetric)."""

    @staticmethod
    def forward(ctx, probs, images, gate, roi, sigma_rgb, sigma_xy, chunk_size):
        seg = probs * roi[:, None]
        filtered = torch.stack([
            bilateral_filter(seg[b], images[b], sigma_rgb, sigma_xy, chunk_size)
            for b in range(seg.shape[0])
        ]) * gate[:, None]
        ctx.save_for_backward(filtered, roi)
        return -(seg * filtered).sum() / seg.shape[0]

    @staticmethod
    def backward(ctx, grad_output):
        filtered, roi = ctx.saved_tensors
        grad = -2 * grad_output * filtered * roi[:, None] / filtered.shape[0]
        return grad, None, None, None, None, None, None


@MODELS.register_module()
class DenseEnergyLoss(nn.Module):
    """``L_reg`` of ToCo: the dense CRF energy of the segmentation (Tang et al.'s
    regularised loss), with the gate of the authors' code, in PyTorch.

    As the authors' ``DenseEnergyLoss`` (ToCo ``model/losses.py``): the image
    (RGB 0-255), the probabilities and the valid-crop mask are taken at
    ``scale_factor`` of the crop (image, mask and pseudo label nearest,
    probabilities bilinear), the spatial bandwidth becomes ``sigma_xy *
    scale_factor``. With S the softmax of the logits inside the valid crop and the
    gate ``max(0, 1 - max_k S_k)`` on pseudo-labelled pixels, 1 on pixels with
    ``ignore_index``:

    ``loss_weight * energy_weight * (-sum_i gate_i S_i . (W S)_i) / B``

    (rloss's ``weight`` 1e-7, ToCo's ``w_reg`` 0.05, B the batch size), with
    ``W = kernel_gain * G`` and G the dense Gaussian bilateral kernel (unit weight
    on the pixel itself, :func:`bilateral_filter`).

    rloss computes ``W S`` with a permutohedral lattice (its compiled
    ``bilateralfilter_batch``), whose kernel has the Gaussian's bandwidths but not
    its height: checked against rloss's ``permutohedral.cpp`` built from source,
    its ``W S`` (and the energy) is 0.60 x the exact Gaussian's on a 224 x 224
    photograph with ``sigma_xy`` 50 (ToCo's 448 crops at 0.5), 0.55-0.61 at 32-160
    px (mean 0.57 on the synthetic world's 32 px maps), 0.37-0.6 on extreme
    inputs (colour noise, flat blocks). ``kernel_gain`` 0.6 brings the exact
    kernel to the authors' scale; 1.0 is the plain Gaussian. G is formed exactly
    in row chunks, O((HW)^2) time: 224 x 224 pixels is about 65 GFLOP per image.

    Args:
        sigma_rgb (float): Defaults to 15.
        sigma_xy (float): Defaults to 100 (pixels at full scale).
        scale_factor (float): Defaults to 0.5.
        energy_weight (float): rloss's ``weight``. Defaults to 1e-7.
        kernel_gain (float): Height of W relative to the Gaussian. Defaults to 0.6
            (rloss's lattice, see above).
        ignore_index (int): Defaults to 255.
        chunk_size (int): See :func:`bilateral_filter`. Defaults to 4096.
        loss_weight (float): Weight of the loss. Defaults to 1.0 (ToCo: 0.05).
        loss_name (str): Name in the loss dict. Defaults to ``'loss_reg'``.
    """

    def __init__(self, sigma_rgb: float = 15.0, sigma_xy: float = 100.0,
                 scale_factor: float = 0.5, energy_weight: float = 1e-7,
                 kernel_gain: float = 0.6, ignore_index: int = 255, chunk_size: int = 4096,
                 loss_weight: float = 1.0, loss_name: str = 'loss_reg') -> None:
        super().__init__()
        self.sigma_rgb, self.sigma_xy = sigma_rgb, sigma_xy
        self.scale_factor = scale_factor
        self.energy_weight = energy_weight
        self.kernel_gain = kernel_gain
        self.ignore_index = ignore_index
        self.chunk_size = chunk_size
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, images: Tensor, seg_logits: Tensor, label: Tensor,
                valid: Optional[Tensor] = None, **kwargs) -> Tensor:
        """images (B, 3, H, W) RGB 0-255, seg_logits (B, K, H, W), label (B, H, W)
        pseudo labels, valid (B, H, W) the crop without padding (default all)."""
        s = self.scale_factor
        probs = F.softmax(seg_logits.float(), dim=1)
        if valid is None:
            valid = torch.ones_like(label, dtype=torch.bool)
        if s != 1:
            kw = dict(scale_factor=s, recompute_scale_factor=True)
            images = F.interpolate(images.float(), **kw)
            probs = F.interpolate(probs, mode='bilinear', align_corners=False, **kw)
            valid = F.interpolate(valid[:, None].float(), **kw)[:, 0]
            label = F.interpolate(label[:, None].float(), **kw)[:, 0]
        roi = valid.float()
        with torch.no_grad():
            gate = roi - probs.max(1)[0]
            gate[label.long() == self.ignore_index] = 1
            gate = gate.clamp(min=0)
        energy = _DenseEnergy.apply(probs, images.float(), gate, roi, self.sigma_rgb,
                                    self.sigma_xy * s, self.chunk_size)
        return self.loss_weight * self.energy_weight * self.kernel_gain * energy

    @property
    def loss_name(self) -> str:
        return self._loss_name

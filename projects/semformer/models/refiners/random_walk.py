import os.path as osp
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from ..segmentors.affinity_net import half_disc_offsets


@MODELS.register_module()
class RandomWalk(nn.Module):
    """Random-walk propagation of the scores with a trained :class:`AffinityNet`
    (PSA).

    With f the AffinityNet features (D, h, w) of the image: ``A_ij = a_ij^beta``
    for pixels closer than ``radius`` (A_ii = 1), T = A with columns normalised to
    sum 1, and the scores resized to (h, w), as (C, hw) rows, multiplied by T^t,
    ``t = 2^log_steps`` (by squaring). Resized back to (H, W). Both resizes are
    bilinear (PSA average-pools the CAMs by the feature stride).

    The background: with ``bg_power`` = alpha (PSA's ``infer_aff.py``), channel 0
    is replaced by ``(1 - max_c cam_c)^alpha`` before the walk, every channel is
    walked and nothing is rescaled, so the arg-max compares walked background and
    walked classes on one scale. With ``bg_power=None``, channel 0 is used as
    given (e.g. the labeller's constant threshold, which the walk keeps
    constant) and the foreground channels, which the walk averages down, are
    rescaled to the input's maximum (IRN's normalisation); where the affinities
    do not stop at the object, a class's walked map then reaches that maximum
    over the whole region it diffused into.

    ``forward(image, scores)``: image (3, H, W) RGB in [0, 255], scores (C, H, W)
    -> (C, H, W). Memory is O((hw)^2): use a feature stride of 8 on VOC.

    Args:
        affinity_net (dict): the AffinityNet config.
        checkpoint (str): its trained weights.
        beta (float): affinity power. Defaults to 8.
        log_steps (int): log2 of the number of steps. Defaults to 8.
        radius (int, optional): pair radius; None -> the net's. Defaults to None.
        bg_power (float, optional): PSA's alpha (16 in its ``infer_aff.py``);
            needs class maps in [0, 1]. Defaults to 16; None for the
            labeller's background with IRN's rescaling (see above).
    """

    def __init__(self, affinity_net: dict, checkpoint: str, beta: float = 8.0,
                 log_steps: int = 8, radius: Optional[int] = None,
                 bg_power: Optional[float] = 16.0):
        super().__init__()
        self.net = MODELS.build(affinity_net)
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'AffinityNet checkpoint {checkpoint} does not '
                                    'exist; train the AffinityNet first')
        load_checkpoint(self.net, checkpoint, map_location='cpu', strict=True)
        self.net.eval().requires_grad_(False)
        self.beta, self.log_steps = beta, log_steps
        self.radius = radius or self.net.radius
        self.bg_power = bg_power

    def transition(self, f):
        """(D, h, w) features -> (hw, hw) column-stochastic transition matrix."""
        D, h, w = f.shape
        idx = torch.arange(h * w, device=f.device).view(h, w)
        A = torch.eye(h * w, device=f.device)
        for dy, dx in half_disc_offsets(self.radius):
            f0, f1 = (t[None] for t in (f[:, :h - dy, max(0, -dx):w - max(0, dx)],
                                        f[:, dy:, max(0, dx):w - max(0, -dx)]))
            i = idx[:h - dy, max(0, -dx):w - max(0, dx)].flatten()
            j = idx[dy:, max(0, dx):w - max(0, -dx)].flatten()
            a = self.net.affinity(f0, f1).flatten().pow(self.beta)
            A[i, j] = a
            A[j, i] = a
        return A / A.sum(0, keepdim=True)

    @torch.no_grad()
    def forward(self, image, scores):
        pre = self.net.data_preprocessor
        x = (image[None].float() - pre.mean) / pre.std
        f = self.net.features(x)[0].float()
        h, w = f.shape[-2:]
        T = torch.linalg.matrix_power(self.transition(f), 2**self.log_steps)
        scores = scores.float()
        if self.bg_power is not None:
            scores = scores.clone()
            fg_max = scores[1:].amax(0) if scores.shape[0] > 1 else torch.zeros_like(scores[0])
            scores[0] = (1 - fg_max).clamp(min=0).pow(self.bg_power)
        s = F.interpolate(scores[None], (h, w), mode='bilinear',
                          align_corners=False)[0]
        rw = (s.flatten(1) @ T).view(-1, h, w)
        rw = F.interpolate(rw[None], scores.shape[-2:], mode='bilinear',
                           align_corners=False)[0]
        if self.bg_power is None and rw.shape[0] > 1 and rw[1:].max() > 0:
            rw[1:] = rw[1:] * (scores[1:].max() / rw[1:].max())
        return rw

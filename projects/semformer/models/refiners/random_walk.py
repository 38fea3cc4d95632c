import os.path as osp

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
    ``t = 2^log_steps`` (by squaring). Resized back to (H, W); the foreground
    channels are rescaled to the input's maximum (the walk averages them down),
    the background channel is kept as propagated.

    ``forward(image, scores)``: image (3, H, W) RGB in [0, 255], scores (C, H, W)
    -> (C, H, W). Memory is O((hw)^2): use a feature stride of 8 on VOC.

    Args:
        affinity_net (dict): the AffinityNet config.
        checkpoint (str): its trained weights.
        beta (float), log_steps (int), radius (int | None): None -> the net's.
    """

    def __init__(self, affinity_net, checkpoint, beta=8.0, log_steps=8, radius=None):
        super().__init__()
        self.net = MODELS.build(affinity_net)
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'AffinityNet checkpoint {checkpoint} does not '
                                    'exist; train the AffinityNet first')
        load_checkpoint(self.net, checkpoint, map_location='cpu', strict=True)
        self.net.eval().requires_grad_(False)
        self.beta, self.log_steps = beta, log_steps
        self.radius = radius or self.net.radius

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
        s = F.interpolate(scores[None].float(), (h, w), mode='bilinear',
                          align_corners=False)[0]
        rw = (s.flatten(1) @ T).view(-1, h, w)
        rw = F.interpolate(rw[None], scores.shape[-2:], mode='bilinear',
                           align_corners=False)[0]
        if rw.shape[0] > 1 and rw[1:].max() > 0:
            rw[1:] = rw[1:] * (scores[1:].max() / rw[1:].max())
        return rw

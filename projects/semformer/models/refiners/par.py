import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

OFFSETS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@MODELS.register_module()
class PAR(nn.Module):
    """Pixel-adaptive refinement (AFA, Ru et al. 2022); no parameters to train.

    Each pixel looks at the 8 neighbours of a 3 x 3 grid at every dilation
    (replicate padding). Affinity to neighbour j: ``softmax_j(-mean_rgb(|I_i - I_j|
    / (std_j(I) w_rgb))^2) + w_pos softmax_j(-(d_j / (std(d) w_rgb))^2)`` with
    ``d_j`` the distance to j, normalised to sum 1; the scores are then averaged
    over the neighbours with these weights ``iterations`` times.

    ``forward(image, scores)``: image (3, H, W) RGB, scores (C, H, W) -> (C, H, W).
    """

    def __init__(self, dilations=(1, 2, 4, 8, 12, 24), iterations=10, w_rgb=0.3,
                 w_pos=0.01):
        super().__init__()
        self.dilations, self.iterations = tuple(dilations), iterations
        self.w_rgb, self.w_pos = w_rgb, w_pos
        dist = torch.tensor([d * math.hypot(dy, dx) for d in self.dilations
                             for dy, dx in OFFSETS])
        pos = -(dist / (dist.std() + 1e-8) / w_rgb)**2
        self.register_buffer('pos_weight', F.softmax(pos, 0), persistent=False)

    def neighbours(self, x):
        """(B, C, H, W) -> (B, C, P, H, W), P = 8 x number of dilations."""
        H, W = x.shape[-2:]
        out = []
        for d in self.dilations:
            xp = F.pad(x, [d] * 4, mode='replicate')
            out += [xp[..., d + dy * d:d + dy * d + H, d + dx * d:d + dx * d + W]
                    for dy, dx in OFFSETS]
        return torch.stack(out, 2)

    def forward(self, image, scores):
        img = image[None].float()
        nb = self.neighbours(img)
        diff = (nb - img[:, :, None]).abs() / (nb.std(2, keepdim=True) + 1e-8)
        aff = F.softmax(-(diff / self.w_rgb).pow(2).mean(1), 1)  # (1, P, H, W)
        aff = (aff + self.w_pos * self.pos_weight[:, None, None]) / (1 + self.w_pos)
        x = scores[None].float()
        for _ in range(self.iterations):
            x = (self.neighbours(x) * aff[:, None]).sum(2)
        return x[0]

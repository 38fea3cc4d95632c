import os.path as osp
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from ..segmentors.affinity_net import half_disc_offsets
from ..segmentors.boundary_affinity_net import path_max


@MODELS.register_module()
class BoundaryRandomWalk(nn.Module):
    """Random walk of the foreground maps with the affinities of a trained
    :class:`BoundaryAffinityNet`, as SemFormer's authors run it (IRN's
    ``propagate_to_edge``).

    With the boundary map ``e`` (h, w) of the image (logits of the image and its
    mirror averaged): ``A_ij = (1 - max_{q on i..j} e_q)^beta`` for pixels closer
    than ``radius`` (``A_ii = 1``), T = A with columns normalised to sum 1,
    ``T^(2^exp_times)`` by squaring. The foreground maps, resized to (h, w) and
    multiplied by ``1 - e``, are walked (as rows times T), resized back to (H, W)
    and divided by their global maximum (over all classes and pixels). The
    background channel is not walked: it is returned as given, so the labeller's
    background score (0.25 in the authors' ``make_pseudo_labels.py``) competes
    with the walked maps.

    ``forward(image, scores)``: image (3, H, W) RGB in [0, 255], scores (1 + k, H, W)
    with channel 0 the background -> (1 + k, H, W). Memory is O((hw)^2).

    Args:
        affinity_net (dict): the ``BoundaryAffinityNet`` config.
        checkpoint (str): its trained weights.
        beta (float): affinity power. Defaults to 10.
        exp_times (int): log2 of the number of steps. Defaults to 8.
        radius (int, optional): pair radius at inference. Defaults to 5 (the
            authors' ``inference_rw.py``; training uses 10).
    """

    def __init__(self, affinity_net: dict, checkpoint: str, beta: float = 10.0,
                 exp_times: int = 8, radius: Optional[int] = 5):
        super().__init__()
        self.net = MODELS.build(affinity_net)
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'AffinityNet checkpoint {checkpoint} does not '
                                    'exist; train the AffinityNet first')
        load_checkpoint(self.net, checkpoint, map_location='cpu', strict=True,
                        logger='silent')
        self.net.eval().requires_grad_(False)
        self.beta, self.exp_times = beta, exp_times
        self.radius = radius or self.net.radius

    def transition(self, edge: torch.Tensor) -> torch.Tensor:
        """(h, w) boundary map -> (hw, hw) column-stochastic transition matrix."""
        h, w = edge.shape
        idx = torch.arange(h * w, device=edge.device).view(h, w)
        A = torch.eye(h * w, device=edge.device)
        for dy, dx in half_disc_offsets(self.radius):
            x0 = max(0, -dx)
            a = (1 - path_max(edge, dy, dx)).clamp(min=0).pow(self.beta).flatten()
            i = idx[:h - dy, x0:x0 + w - abs(dx)].flatten()
            j = idx[dy:, x0 + dx:x0 + dx + w - abs(dx)].flatten()
            A[i, j] = a
            A[j, i] = a
        return A / A.sum(0, keepdim=True)

    @torch.no_grad()
    def forward(self, image: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        pre = self.net.data_preprocessor
        x = (image[None].float() - pre.mean) / pre.std
        edge = self.net.edge(x)[0].float()
        h, w = edge.shape
        T = self.transition(edge)
        for _ in range(self.exp_times):
            T = T @ T
        cams = F.interpolate(scores[None, 1:].float(), (h, w), mode='bilinear',
                             align_corners=False)[0]
        cams = cams * (1 - edge)
        rw = (cams.flatten(1) @ T).view(-1, h, w)
        rw = F.interpolate(rw[None], scores.shape[-2:], mode='bilinear',
                           align_corners=False)[0]
        rw = rw / rw.max().clamp(min=1e-8)
        return torch.cat([scores[:1].float(), rw])

from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.registry import MODELS

from .affinity_net import pair_affinity_loss


def path_points(dy: int, dx: int) -> List[Tuple[int, int]]:
    """The grid points on the way from (0, 0) to (dy, dx), both ends included:
    every point (y, x) of the bounding box whose distance to the segment's line is
    below 1, ``(dy x - dx y)^2 < dy^2 + dx^2`` (IRN's path), ordered from the
    start. Symmetric: the path of (-dy, -dx) is this one negated."""
    pts = []
    for y in range(0, dy + 1) if dy >= 0 else range(0, dy - 1, -1):
        for x in range(0, dx + 1) if dx >= 0 else range(0, dx - 1, -1):
            if (dy * x - dx * y)**2 < dy * dy + dx * dx:
                pts.append((y, x))
    return sorted(pts, key=lambda p: abs(p[0]) + abs(p[1]))


def path_max(edge: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """(B, h, w) boundary map -> (B, h - dy, w - |dx|): for every pixel pair
    (i, i + (dy, dx)) inside the image, the largest boundary value on the path
    between them (dy >= 0)."""
    h, w = edge.shape[-2:]
    x0 = max(0, -dx)
    out = None
    for qy, qx in path_points(dy, dx):
        view = edge[..., qy:qy + h - dy, x0 + qx:x0 + qx + w - abs(dx)]
        out = view if out is None else torch.maximum(out, view)
    return out


@MODELS.register_module()
class BoundaryAffinityNet(BaseModel):
    """Inter-pixel affinities from a class-boundary map (IRN's edge branch, Ahn
    et al. 2019), the AffinityNet of SemFormer's authors.

    A frozen backbone (eval mode, so fixed BatchNorm; no gradients) gives
    multi-stage features; each stage ``in_index[i]`` -> 1 x 1 conv (``channels``,
    no bias), GroupNorm(4), bilinear resize to the first stage's grid (stride 4
    on VOC), ReLU; concatenated, a 1 x 1 conv gives the boundary logits (B, 1, h,
    w). Affinity of pixels i, j closer than ``radius``: ``a_ij = 1 - max_{q on the
    segment i..j} sigmoid(edge_q)``.

    Training (``gt_sem_seg``: confident labels with ``ignore_index``,
    nearest-resized to (h, w)): pairs of one class pull a_ij to 1 (``-log(a +
    1e-5)``, averaged separately over background and foreground pairs), pairs of
    two classes push it to 0 (``-log(1 + 1e-5 - a)``); pairs with an ignored pixel
    are skipped. Loss = (bg / 2 + fg / 2 + neg) / 2, logged as ``loss_aff_bg`` (bg
    / 4), ``loss_aff_fg`` (fg / 4), ``loss_aff_neg`` (neg / 2).

    Args:
        backbone (dict): any backbone with multi-stage outputs; frozen.
        in_channels (sequence[int]): channels of the stages used.
        in_index (sequence[int]): which backbone outputs; the first sets the grid.
        channels (int): width of each stage branch. Defaults to 32.
        radius (int): pair radius in grid pixels for training. Defaults to 10.
        ignore_index (int): label to skip. Defaults to 255.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: Sequence[int],
                 in_index: Sequence[int],
                 channels: int = 32,
                 radius: int = 10,
                 ignore_index: int = 255,
                 data_preprocessor=None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        # frozen from the start: DDP wraps the model before init_weights runs
        self.backbone.requires_grad_(False)
        self.in_index = tuple(in_index)
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, channels, 1, bias=False), nn.GroupNorm(4, channels))
            for c in in_channels)
        self.edge_out = nn.Conv2d(channels * len(in_channels), 1, 1, bias=True)
        self.radius, self.ignore_index = radius, ignore_index

    def init_weights(self):
        super().init_weights()
        self.backbone.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        self.backbone.eval()  # fixed BatchNorm statistics, no dropout
        return self

    def edge_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> boundary logits (B, 1, h, w)."""
        with torch.no_grad():
            feats = self.backbone(inputs)
        feats = [feats[i].detach() for i in self.in_index]
        size = feats[0].shape[-2:]
        outs = []
        for branch, f in zip(self.branches, feats):
            f = branch(f)
            if f.shape[-2:] != size:
                f = F.interpolate(f, size, mode='bilinear', align_corners=True)
            outs.append(F.relu(f))
        return self.edge_out(torch.cat(outs, 1))

    def edge(self, inputs: torch.Tensor, flip: bool = True) -> torch.Tensor:
        """Boundary probabilities (B, h, w); with ``flip`` the logits of the image
        and of its mirror are averaged first (the authors' inference)."""
        logits = self.edge_logits(inputs)
        if flip:
            logits = (logits + self.edge_logits(inputs.flip(-1)).flip(-1)) / 2
        return torch.sigmoid(logits[:, 0])

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.edge(inputs)
        raise ValueError(f'BoundaryAffinityNet supports mode loss and tensor, not {mode!r}')

    def loss(self, inputs, data_samples):
        edge = torch.sigmoid(self.edge_logits(inputs)[:, 0])
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).float()
        labels = F.interpolate(labels, edge.shape[-2:], mode='nearest')[:, 0].long()
        return pair_affinity_loss(lambda dy, dx: 1 - path_max(edge, dy, dx), labels,
                                  self.radius, self.ignore_index, mean='eps')

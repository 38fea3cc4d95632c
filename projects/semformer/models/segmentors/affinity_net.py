import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.registry import MODELS


def half_disc_offsets(radius):
    """Offsets (dy, dx) with 0 < |d| < radius covering each unordered pair once."""
    return [(dy, dx) for dy in range(0, radius) for dx in range(-radius + 1, radius)
            if (dy > 0 or dx > 0) and dy * dy + dx * dx < radius * radius]


def shifted_pairs(x, dy, dx):
    """(B, C, h, w) -> the two (B, C, h', w') views of pixel pairs (i, i + (dy, dx))."""
    h, w = x.shape[-2:]
    x0 = x[..., :h - dy, max(0, -dx):w - max(0, dx)]
    x1 = x[..., dy:, max(0, dx):w - max(0, -dx)]
    return x0, x1


def pair_affinity_loss(affinity_of, labels, radius, ignore_index=255, mean='clamp'):
    """The affinity loss over every pixel pair closer than ``radius``.

    Pairs of one class pull the affinity to 1 (``-log(a + 1e-5)``, averaged
    separately over background and foreground pairs), pairs of two classes push
    it to 0 (``-log(1 + 1e-5 - a)``), pairs with an ignored pixel are skipped.

    Args:
        affinity_of (callable): ``(dy, dx) -> (B, h - dy, w - |dx|)`` affinities of
            the pairs ``(i, i + (dy, dx))``, aligned as :func:`shifted_pairs`.
        labels (Tensor): (B, h, w) int64 labels.
        radius (int): pair radius.
        ignore_index (int): label to skip. Defaults to 255.
        mean (str): ``'clamp'`` divides each sum by ``max(count, 1)`` (PSA),
            ``'eps'`` by ``count + 1e-5`` (IRN). Defaults to ``'clamp'``.

    Returns:
        dict: ``loss_aff_bg`` (bg / 4), ``loss_aff_fg`` (fg / 4), ``loss_aff_neg``
        (neg / 2), i.e. (bg / 2 + fg / 2 + neg) / 2 in total.
    """
    sums, counts = dict(bg=0, fg=0, neg=0), dict(bg=0, fg=0, neg=0)
    for dy, dx in half_disc_offsets(radius):
        a = affinity_of(dy, dx)
        l0, l1 = shifted_pairs(labels, dy, dx)
        valid = (l0 != ignore_index) & (l1 != ignore_index)
        same = valid & (l0 == l1)
        for name, mask, term in (
                ('bg', same & (l0 == 0), lambda a: -torch.log(a + 1e-5)),
                ('fg', same & (l0 > 0), lambda a: -torch.log(a + 1e-5)),
                ('neg', valid & (l0 != l1), lambda a: -torch.log(1 + 1e-5 - a))):
            sums[name] = sums[name] + term(a[mask]).sum()
            counts[name] += int(mask.sum())
    means = {k: sums[k] / (max(counts[k], 1) if mean == 'clamp' else counts[k] + 1e-5)
             for k in sums}
    return dict(loss_aff_bg=means['bg'] / 4, loss_aff_fg=means['fg'] / 4,
                loss_aff_neg=means['neg'] / 2)


@MODELS.register_module()
class AffinityNet(BaseModel):
    """Pixel affinities from an image (PSA, Ahn and Kwak 2018), trained on
    confident CAM regions.

    Backbone stages ``in_index`` -> 1 x 1 conv + ReLU each (``channels``), resized
    to the first one's stride, concatenated, 1 x 1 conv -> features f (B, D, h, w).
    Affinity of pixels i, j closer than ``radius``: ``a_ij = exp(-mean_d |f_i -
    f_j|)``.

    Training (``gt_sem_seg``: seed labels with ``ignore_index``, nearest-resized to
    (h, w)): pairs of one class pull a_ij to 1 (``-log a``, averaged separately
    over background and foreground pairs), pairs of two classes push it to 0
    (``-log(1 - a)``), pairs with an ignored pixel are skipped; loss =
    bg / 4 + fg / 4 + neg / 2 (logged as ``loss_aff_bg/fg/neg``).

    Args:
        backbone (dict): any mmseg/mmpretrain backbone with multi-stage outputs.
        in_channels (sequence[int]), in_index (sequence[int]): the stages used.
        channels (int): width of each stage projection.
        out_channels (int): D.
        radius (int): pair radius in feature pixels.
    """

    def __init__(self, backbone, in_channels, in_index, channels=64, out_channels=128,
                 radius=5, ignore_index=255, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.in_index = tuple(in_index)
        self.projections = nn.ModuleList(
            nn.Sequential(nn.Conv2d(c, channels, 1, bias=False), nn.GroupNorm(4, channels),
                          nn.ReLU(inplace=True)) for c in in_channels)
        self.fuse = nn.Conv2d(channels * len(in_channels), out_channels, 1)
        self.radius, self.ignore_index = radius, ignore_index

    def features(self, inputs):
        """(B, 3, H, W) normalised images -> f (B, D, h, w)."""
        feats = self.backbone(inputs)
        feats = [proj(feats[i]) for proj, i in zip(self.projections, self.in_index)]
        size = feats[0].shape[-2:]
        feats = [f if f.shape[-2:] == size else
                 F.interpolate(f, size, mode='bilinear', align_corners=False) for f in feats]
        return self.fuse(torch.cat(feats, 1))

    @staticmethod
    def affinity(f0, f1):
        return torch.exp(-(f0 - f1).abs().mean(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.features(inputs)
        raise ValueError(f'AffinityNet supports mode loss and tensor, not {mode!r}')

    def loss(self, inputs, data_samples):
        f = self.features(inputs)
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).float()
        labels = F.interpolate(labels, f.shape[-2:], mode='nearest')[:, 0].long()

        def affinity_of(dy, dx):
            return self.affinity(*shifted_pairs(f, dy, dx))

        return pair_affinity_loss(affinity_of, labels, self.radius, self.ignore_index)

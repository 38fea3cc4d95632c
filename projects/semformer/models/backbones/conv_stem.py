import math

import torch.nn as nn
from mmengine.registry import MODELS


@MODELS.register_module()
class ConvStem(nn.Module):
    """A convolutional stem in place of a ViT's patch projection.

    ``log2(P)`` blocks, each of ``convs_per_stage`` (3x3 conv, BN, ReLU), the
    first conv of stride 2, halve the resolution and double the width up to
    ``out_channels``, then a 1x1 conv: (B, 3, H, W) ->
    (B, out_channels, H/P, W/P). Small ViTs trained from scratch learn much faster
    with it (Xiao et al., "Early Convolutions Help Transformers See Better").
    Registered in mmengine's root registry so that mmcv's ``PatchEmbed`` builds it
    from ``patch_cfg=dict(conv_type='ConvStem')``; the signature is a conv layer's,
    with ``kernel_size = stride = P``, a power of two.

    Args:
        in_channels (int): input channels.
        out_channels (int): the ViT's width.
        kernel_size, stride (int | tuple): the patch size P, twice.
        padding, dilation: accepted for ``PatchEmbed``'s call, unused.
        bias (bool): bias of the final 1x1 conv. Defaults to True.
        convs_per_stage (int): 3x3 convs (with BN and ReLU) per resolution, the
            first of stride 2, the others of stride 1. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride,
                 padding=0, dilation=1, bias: bool = True, convs_per_stage: int = 1):
        super().__init__()
        size = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
        n = int(math.log2(size))
        if 2**n != size or stride not in (size, (size, size)):
            raise ValueError('ConvStem needs kernel_size = stride = a power of 2, '
                             f'got {kernel_size} and {stride}')
        self.kernel_size = self.stride = (size, size)
        layers, width = [], in_channels
        for i in range(n):
            out = out_channels // 2**(n - 1 - i)
            for j in range(convs_per_stage):
                layers += [nn.Conv2d(width, out, 3, 2 if j == 0 else 1, 1, bias=False),
                           nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                width = out
        layers.append(nn.Conv2d(width, out_channels, 1, bias=bias))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


@MODELS.register_module()
class DeepConvStem(ConvStem):
    """:class:`ConvStem` with two 3x3 convs per resolution (stride 2, then 1):
    a deeper early-convolution stem, ``patch_cfg=dict(conv_type='DeepConvStem')``.
    The outputs of resolution ``i`` (1/2, 1/4, ...) are layer ``6 * i + 5``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault('convs_per_stage', 2)
        super().__init__(*args, **kwargs)

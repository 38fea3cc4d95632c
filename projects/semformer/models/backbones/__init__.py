from .conv_stem import ConvStem, DeepConvStem
from .mct_vit import MultiClassTokenViT

__all__ = ['ConvStem', 'DeepConvStem', 'MultiClassTokenViT']

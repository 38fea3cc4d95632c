from .conv_stem import ConvStem
from .mct_vit import MultiClassTokenViT

__all__ = ['ConvStem', 'MultiClassTokenViT']

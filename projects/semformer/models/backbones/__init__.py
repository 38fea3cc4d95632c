from .mct_vit import MultiClassTokenViT

__all__ = ['MultiClassTokenViT']

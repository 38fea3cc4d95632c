from .backbones import MultiClassTokenViT
from .caae import ClassAwareAutoEncoder
from .classifiers import ImageLabelClassifier
from .losses import semantic_similarity_loss

__all__ = [
    'MultiClassTokenViT', 'ClassAwareAutoEncoder', 'ImageLabelClassifier',
    'semantic_similarity_loss'
]

from .backbones import ConvStem, MultiClassTokenViT
from .caae import ClassAwareAutoEncoder
from .classifiers import ImageLabelClassifier
from .losses import semantic_similarity_loss

__all__ = [
    'ConvStem', 'MultiClassTokenViT', 'ClassAwareAutoEncoder', 'ImageLabelClassifier',
    'semantic_similarity_loss'
]

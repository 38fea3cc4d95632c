from .backbones import ConvStem, MultiClassTokenViT
from .caae import ClassAwareAutoEncoder
from .classifiers import ImageLabelClassifier
from .cra import ClassRelativeAttention
from .decode_heads import CAMHead, MCTformerHead, SemFormerHead
from .losses import (activation_complementation_loss, activation_suppression_loss,
                     class_contrast_loss, pair_cosine, present_pairs,
                     semantic_similarity_loss)
from .refiners import PAR, DenseCRF, RandomWalk
from .segmentors import (AffinityNet, CAMSegmentor, MCTformer, PseudoLabelGenerator,
                         SemFormer)

__all__ = [
    'ConvStem', 'MultiClassTokenViT', 'ClassAwareAutoEncoder', 'ImageLabelClassifier',
    'ClassRelativeAttention', 'SemFormerHead', 'SemFormer', 'AffinityNet', 'CAMHead',
    'MCTformerHead', 'CAMSegmentor', 'MCTformer',
    'PseudoLabelGenerator', 'DenseCRF', 'PAR', 'RandomWalk',
    'activation_complementation_loss', 'activation_suppression_loss',
    'class_contrast_loss', 'pair_cosine', 'present_pairs', 'semantic_similarity_loss'
]

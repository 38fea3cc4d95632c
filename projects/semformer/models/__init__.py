from .backbones import ConvStem, MultiClassTokenViT
from .caae import ClassAwareAutoEncoder
from .classifiers import ImageLabelClassifier
from .cra import ClassRelativeAttention
from .decode_heads import (AffinityFromAttentionHead, CAMHead, CTCProjectionHead,
                           GMPCAMHead, MCTformerHead, SemFormerHead)
from .losses import *  # noqa: F401,F403
from .losses import __all__ as _losses
from .refiners import PAR, BoundaryRandomWalk, DenseCRF, RandomWalk
from .segmentors import (AFA, AffinityNet, BoundaryAffinityNet, CAMSegmentor, MCTformer,
                         PseudoLabelGenerator, SemFormer, ToCo)

__all__ = [
    'ConvStem', 'MultiClassTokenViT', 'ClassAwareAutoEncoder', 'ImageLabelClassifier',
    'ClassRelativeAttention', 'SemFormerHead', 'CAMHead', 'MCTformerHead', 'GMPCAMHead',
    'AffinityFromAttentionHead', 'CTCProjectionHead', 'SemFormer', 'CAMSegmentor',
    'MCTformer', 'AFA', 'ToCo', 'AffinityNet', 'BoundaryAffinityNet',
    'PseudoLabelGenerator', 'DenseCRF', 'PAR', 'RandomWalk', 'BoundaryRandomWalk'
] + list(_losses)

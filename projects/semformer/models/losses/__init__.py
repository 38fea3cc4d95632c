from .afa_losses import AffinityLoss, BgFgBalancedCrossEntropyLoss, MultiLabelSoftMarginLoss
from .functional import (activation_complementation_loss, activation_suppression_loss,
                         class_contrast_loss, pair_cosine, present_pairs,
                         semantic_similarity_loss)
from .semformer_losses import (ActivationComplementationLoss, ActivationSuppressionLoss,
                               ClassBackgroundLoss, ClassForegroundLoss,
                               ReconstructionLoss, SemanticSimilarityLoss, with_defaults)
from .toco_losses import ClassTokenContrastLoss, DenseEnergyLoss, PatchTokenContrastLoss

__all__ = [
    'SemanticSimilarityLoss', 'ClassForegroundLoss', 'ClassBackgroundLoss',
    'ActivationSuppressionLoss', 'ActivationComplementationLoss', 'ReconstructionLoss',
    'MultiLabelSoftMarginLoss', 'AffinityLoss', 'BgFgBalancedCrossEntropyLoss',
    'PatchTokenContrastLoss', 'ClassTokenContrastLoss', 'DenseEnergyLoss', 'with_defaults',
    'activation_complementation_loss', 'activation_suppression_loss',
    'class_contrast_loss', 'pair_cosine', 'present_pairs', 'semantic_similarity_loss'
]

from .affinity_net import AffinityNet
from .cam_segmentor import CAMSegmentor
from .mctformer import MCTformer
from .pseudo_label_generator import PseudoLabelGenerator
from .semformer import SemFormer

__all__ = [
    'AffinityNet', 'CAMSegmentor', 'MCTformer', 'PseudoLabelGenerator', 'SemFormer'
]

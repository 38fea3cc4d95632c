from .afa import AFA
from .affinity_net import AffinityNet
from .boundary_affinity_net import BoundaryAffinityNet
from .cam_segmentor import CAMSegmentor
from .mctformer import MCTformer
from .pseudo_label_generator import PseudoLabelGenerator
from .semformer import SemFormer
from .toco import ToCo

__all__ = [
    'AFA', 'AffinityNet', 'BoundaryAffinityNet', 'CAMSegmentor', 'MCTformer',
    'PseudoLabelGenerator', 'SemFormer', 'ToCo'
]

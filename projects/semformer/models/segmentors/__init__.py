from .affinity_net import AffinityNet
from .pseudo_label_generator import PseudoLabelGenerator
from .semformer import SemFormer

__all__ = ['AffinityNet', 'PseudoLabelGenerator', 'SemFormer']

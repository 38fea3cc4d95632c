from .cam_head import CAMHead
from .mctformer_head import MCTformerHead
from .semformer_head import SemFormerHead

__all__ = ['CAMHead', 'MCTformerHead', 'SemFormerHead']

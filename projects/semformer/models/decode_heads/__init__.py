from .affinity_from_attention import AffinityFromAttentionHead
from .cam_head import CAMHead
from .ctc_projection_head import CTCProjectionHead
from .gmp_cam_head import GMPCAMHead
from .mctformer_head import MCTformerHead
from .semformer_head import SemFormerHead

__all__ = [
    'AffinityFromAttentionHead', 'CAMHead', 'CTCProjectionHead', 'GMPCAMHead',
    'MCTformerHead', 'SemFormerHead'
]

from .formatting import PackImageLabelInputs
from .geometric import RandomRescale
from .loading import LoadCAMs
from .photometric import TorchvisionColorJitter
from .silhouette import SilhouetteBlend
from .toco_views import KeepRawImage, PackToCoInputs, ToCoViews

__all__ = ['PackImageLabelInputs', 'LoadCAMs', 'RandomRescale', 'TorchvisionColorJitter',
           'SilhouetteBlend', 'KeepRawImage', 'ToCoViews', 'PackToCoInputs']

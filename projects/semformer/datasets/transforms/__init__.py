from .formatting import PackImageLabelInputs
from .geometric import RandomRescale
from .loading import LoadCAMs
from .photometric import TorchvisionColorJitter

__all__ = ['PackImageLabelInputs', 'LoadCAMs', 'RandomRescale', 'TorchvisionColorJitter']

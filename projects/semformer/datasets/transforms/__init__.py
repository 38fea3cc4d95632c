from .formatting import PackImageLabelInputs
from .geometric import RandomRescale
from .loading import LoadCAMs

__all__ = ['PackImageLabelInputs', 'LoadCAMs', 'RandomRescale']

from .formatting import PackImageLabelInputs
from .loading import LoadCAMs

__all__ = ['PackImageLabelInputs', 'LoadCAMs']

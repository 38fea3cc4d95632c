from .formatting import PackImageLabelInputs

__all__ = ['PackImageLabelInputs']

from .metrics import CAMMetric, ImageLabelMetric, PseudoLabelMetric

__all__ = ['CAMMetric', 'ImageLabelMetric', 'PseudoLabelMetric']

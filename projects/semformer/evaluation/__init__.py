from .metrics import CAMMetric, ImageLabelMetric

__all__ = ['CAMMetric', 'ImageLabelMetric']

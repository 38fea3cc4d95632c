from .metrics import ImageLabelMetric

__all__ = ['ImageLabelMetric']

from .cam_metric import CAMMetric
from .image_label_metric import ImageLabelMetric

__all__ = ['CAMMetric', 'ImageLabelMetric']

from .cam_metric import CAMMetric
from .image_label_metric import ImageLabelMetric
from .pseudo_label_metric import PseudoLabelMetric

__all__ = ['CAMMetric', 'ImageLabelMetric', 'PseudoLabelMetric']

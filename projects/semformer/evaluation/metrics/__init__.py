from .image_label_metric import ImageLabelMetric

__all__ = ['ImageLabelMetric']

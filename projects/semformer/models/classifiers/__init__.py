from .image_label_classifier import ImageLabelClassifier

__all__ = ['ImageLabelClassifier']

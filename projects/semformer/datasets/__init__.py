from .synthetic import SHAPE_CLASSES, make_synthetic_voc
from .transforms import LoadCAMs, PackImageLabelInputs
from .voc_image_label import (VOC_CLASSES, SyntheticShapeDataset,
                              VOCImageLabelDataset, labels_from_mask,
                              labels_from_xml, read_label_file, write_label_file)

__all__ = [
    'SHAPE_CLASSES', 'VOC_CLASSES', 'make_synthetic_voc', 'PackImageLabelInputs', 'LoadCAMs',
    'VOCImageLabelDataset', 'SyntheticShapeDataset', 'read_label_file',
    'write_label_file', 'labels_from_xml', 'labels_from_mask'
]

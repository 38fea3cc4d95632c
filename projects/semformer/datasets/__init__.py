from .checks import DatasetCheckError, check_image_label_dataset
from .coco_wsss import (COCO_CLASSES, COCOImageLabelDataset, coco_classes, coco_labels,
                        coco_mask)
from .image_label_folder import ImageLabelFolderDataset
from .label_files import labels_from_mask, labels_from_xml, read_label_file, write_label_file
from .synthetic import PRETRAIN_CLASSES, SHAPE_CLASSES, make_synthetic_voc
from .transforms import LoadCAMs, PackImageLabelInputs, RandomRescale
from .voc_image_label import (VOC_CLASSES, SyntheticPretrainDataset, SyntheticShapeDataset,
                              VOCImageLabelDataset)

__all__ = [
    'VOCImageLabelDataset', 'ImageLabelFolderDataset', 'COCOImageLabelDataset',
    'SyntheticShapeDataset', 'SyntheticPretrainDataset', 'check_image_label_dataset',
    'DatasetCheckError', 'make_synthetic_voc', 'PackImageLabelInputs', 'LoadCAMs',
    'RandomRescale', 'read_label_file', 'write_label_file', 'labels_from_xml',
    'labels_from_mask', 'coco_classes', 'coco_labels', 'coco_mask', 'VOC_CLASSES',
    'SHAPE_CLASSES', 'PRETRAIN_CLASSES', 'COCO_CLASSES'
]

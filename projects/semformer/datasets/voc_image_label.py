"""PASCAL VOC (and VOC-layout) datasets with image-level labels for WSSS."""
import os.path as osp

from mmengine.fileio import list_from_file
from mmseg.datasets import BaseSegDataset, PascalVOCDataset
from mmseg.registry import DATASETS

from .label_files import labels_from_mask, labels_from_xml, read_label_file
from .synthetic import PALETTE as SHAPE_PALETTE
from .synthetic import PRETRAIN_CLASSES, SHAPE_CLASSES, voc_palette

VOC_CLASSES = PascalVOCDataset.METAINFO['classes']
VOC_PALETTE = PascalVOCDataset.METAINFO['palette']


@DATASETS.register_module()
class VOCImageLabelDataset(BaseSegDataset):
    """PASCAL VOC 2012 (+ SBD ``trainaug``) with image-level labels.

    Every sample carries ``gt_image_labels``, a multi-hot float32 array (K,) with
    index 0 the background, always 1. Labels come from ``label_file`` if it exists,
    else per image from ``Annotations/<id>.xml``, else from the mask. Samples whose
    mask exists also get ``seg_map_path`` so ``LoadAnnotations`` and ``IoUMetric``
    can score CAMs and pseudo labels.

    Args:
        ann_file (str): split file, one image id per line.
        label_file (str): JSON label file (see :func:`write_label_file`), relative
            to ``data_root``; it is optional.
        data_prefix (dict): folders ``img_path``, ``seg_map_path`` and
            ``xml_path`` relative to ``data_root``.
        empty_images (str): what to do with an image whose labels hold no object
            class: ``'error'`` (raise, naming it), ``'skip'`` (leave it out, e.g.
            for training a classifier) or ``'keep'`` (a background-only sample).
            Defaults to ``'error'``.
    """
    METAINFO = dict(classes=VOC_CLASSES, palette=VOC_PALETTE)
    EMPTY_IMAGES = ('error', 'skip', 'keep')

    def __init__(self,
                 ann_file,
                 label_file='cls_labels.json',
                 data_prefix=dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClass',
                     xml_path='Annotations'),
                 empty_images: str = 'error',
                 **kwargs):
        if empty_images not in self.EMPTY_IMAGES:
            raise ValueError(f'empty_images must be one of {self.EMPTY_IMAGES}, not '
                             f'{empty_images!r}')
        self.label_file = label_file
        self.empty_images = empty_images
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _label_file_path(self):
        if not self.label_file:
            return None
        if self.data_root and not osp.isabs(self.label_file):
            return osp.join(self.data_root, self.label_file)
        return self.label_file

    def load_data_list(self):
        classes = tuple(self.metainfo['classes'])
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'split file {self.ann_file} does not exist')
        img_dir = self.data_prefix.get('img_path', '')
        seg_dir = self.data_prefix.get('seg_map_path', '')
        xml_dir = self.data_prefix.get('xml_path', '')
        label_path = self._label_file_path()
        file_labels = (read_label_file(label_path, classes)
                       if label_path and osp.isfile(label_path) else None)
        data_list = []
        for line in list_from_file(self.ann_file):
            if not line.split():
                continue
            img_id = line.split()[0]
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image {img_path} (listed in {self.ann_file}) does not exist')
            seg_path = osp.join(seg_dir, img_id + self.seg_map_suffix)
            seg_path = seg_path if seg_dir and osp.isfile(seg_path) else None
            labels = self._image_labels(img_id, file_labels, label_path, xml_dir,
                                        seg_path, classes)
            if not labels[1:].any():
                if self.empty_images == 'error':
                    xml_path = osp.join(xml_dir, img_id + '.xml') if xml_dir else None
                    source = (label_path if file_labels is not None else xml_path
                              if xml_path and osp.isfile(xml_path) else seg_path)
                    raise ValueError(
                        f'image {img_id} (listed in {self.ann_file}) has no object '
                        f'class in its labels ({source}); remove it from the split, fix '
                        "its labels or pass empty_images='keep' / 'skip'")
                if self.empty_images == 'skip':
                    continue
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=seg_path,
                    img_id=img_id,
                    gt_image_labels=labels,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        return data_list

    def _image_labels(self, img_id, file_labels, label_path, xml_dir, seg_path,
                      classes):
        xml_path = osp.join(xml_dir, img_id + '.xml') if xml_dir else None
        if file_labels is not None:
            if img_id not in file_labels:
                raise KeyError(f'image {img_id} has no entry in label file {label_path}')
            labels = file_labels[img_id].copy()
        elif xml_path and osp.isfile(xml_path):
            labels = labels_from_xml(xml_path, classes)
        elif seg_path:
            labels = labels_from_mask(seg_path, len(classes), self.ignore_index)
        else:
            raise FileNotFoundError(
                f'no image-level labels for image {img_id}: no label file '
                f'({label_path}), no annotation ({xml_path}) and no mask')
        labels[0] = 1  # background is always present
        return labels

    def prepare_data(self, idx):
        """Run the pipeline; name the files of the sample if loading fails."""
        try:
            return super().prepare_data(idx)
        except Exception as e:
            info = self.get_data_info(idx)
            raise RuntimeError(
                f'cannot load sample {idx}: image {info["img_path"]}'
                + (f', mask {info["seg_map_path"]}' if info.get('seg_map_path') else '')
                + f' ({type(e).__name__}: {e}); the file may be unreadable or '
                'corrupt') from e


@DATASETS.register_module()
class SyntheticShapeDataset(VOCImageLabelDataset):
    """The synthetic shape world of ``tools/make_synthetic_voc.py`` (VOC layout)."""
    METAINFO = dict(classes=SHAPE_CLASSES, palette=SHAPE_PALETTE)


@DATASETS.register_module()
class SyntheticPretrainDataset(VOCImageLabelDataset):
    """The 32-class pretraining world (``make_synthetic_voc.py --world pretrain``)."""
    METAINFO = dict(classes=PRETRAIN_CLASSES, palette=voc_palette(len(PRETRAIN_CLASSES)))

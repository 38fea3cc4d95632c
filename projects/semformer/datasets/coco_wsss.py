"""MS COCO 2014 in the WSSS protocol: 81 classes, VOC-style masks and labels.

The protocol of AFA, ToCo and MCTformer: the 80 COCO categories in the order of
their category ids become the contiguous indices 1..80 (index 0 is background);
per image, a mask PNG of those indices and an image-level multi-hot label vector.
Images without any annotation are left out (82,081 of the 82,783 train2014 images
and 40,137 of the 40,504 val2014 images remain, ToCo's split sizes).

Mask rules (see :func:`coco_mask`):

- **overlap**: by default instances are painted from the largest to the smallest,
  so a smaller instance stays visible where it overlaps a larger one (the rule of
  coco2voc, the converter ToCo and AFA point to). COCO's annotation order carries
  no depth, and with it a large region drawn late (a dining table, a bed) can
  erase the cups or the person on it: their class would be in the image label
  with no pixel in the mask. ``overlap='order'`` paints in annotation order
  instead (later wins).
- **crowd** (``iscrowd=1``, an RLE over a group of objects): painted with its
  class, under every individual instance, since its pixels do show that class;
  ``crowd='ignore'`` paints 255 instead (not scored). Either way the class counts
  in the image-level label.

:func:`convert_coco_split` writes one split; ``tools/dataset_converters/coco_wsss.py``
is its command line.
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from mmseg.registry import DATASETS

from .image_label_folder import ImageLabelFolderDataset
from .synthetic import voc_palette
from ..utils.atomic import write_text_atomic

#: background + the 80 COCO categories in category-id order (ids 1..90 with gaps)
COCO_CLASSES = (
    'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
    'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
    'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket',
    'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana',
    'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut',
    'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv',
    'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
    'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush')

#: COCO 2014 image folder -> split name of ``ImageSets/Segmentation``
COCO_SPLITS = {'train2014': 'train', 'val2014': 'val'}
IGNORE_INDEX = 255


def coco_category_map(coco) -> Dict[int, int]:
    """``{COCO category id: contiguous class index}``, indices 1..N by sorted id.

    Args:
        coco (pycocotools.coco.COCO): the loaded annotation file.
    """
    return {cat_id: i + 1 for i, cat_id in enumerate(sorted(coco.getCatIds()))}


def coco_classes(coco, background: str = 'background') -> Tuple[str, ...]:
    """Class names, background first, then the categories by ascending id.

    Args:
        coco (pycocotools.coco.COCO): the loaded annotation file.
        background (str): name of index 0. Defaults to ``'background'``.

    Returns:
        tuple[str]: N + 1 names; for COCO 2014 equal to :data:`COCO_CLASSES`.
    """
    cats = coco.loadCats(sorted(coco.getCatIds()))
    return (background, ) + tuple(c['name'] for c in cats)


def _annotations(coco, img_id: int) -> List[dict]:
    return coco.loadAnns(coco.getAnnIds(imgIds=[img_id], iscrowd=None))


def annotation_mask(ann: dict, height: int, width: int) -> np.ndarray:
    """The (H, W) uint8 0/1 mask of one annotation (polygons, RLE or raw RLE).

    Polygons with fewer than 3 points (a few in COCO) are dropped; an annotation
    left without any gives an empty mask.
    """
    from pycocotools import mask as mask_utils
    segm = ann.get('segmentation')
    if isinstance(segm, list):
        polys = [p for p in segm if len(p) >= 6]
        if not polys:
            return np.zeros((height, width), np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    elif isinstance(segm, dict) and isinstance(segm.get('counts'), list):
        rle = mask_utils.frPyObjects(segm, height, width)  # uncompressed RLE
    elif isinstance(segm, dict):
        rle = dict(segm)
        if isinstance(rle['counts'], str):
            rle['counts'] = rle['counts'].encode('ascii')
    else:
        return np.zeros((height, width), np.uint8)
    return mask_utils.decode(rle).astype(np.uint8)


def coco_mask(coco,
              img_id: int,
              cat_to_label: Optional[Dict[int, int]] = None,
              overlap: str = 'area',
              crowd: str = 'class') -> np.ndarray:
    """The VOC-style class-index mask of one COCO image.

    Args:
        coco (pycocotools.coco.COCO): the loaded annotation file.
        img_id (int): COCO image id.
        cat_to_label (dict, optional): category id -> class index; None means
            :func:`coco_category_map`. Defaults to None.
        overlap (str): ``'area'`` paints the larger instances first so smaller
            ones stay on top; ``'order'`` paints in annotation order, later wins.
            Defaults to ``'area'``.
        crowd (str): ``'class'`` paints crowd regions with their class,
            ``'ignore'`` with 255; both under the individual instances. Defaults
            to ``'class'``.

    Returns:
        np.ndarray: (H, W) uint8, 0 background, 1..N classes, 255 ignore.
    """
    if overlap not in ('area', 'order'):
        raise ValueError(f"overlap must be 'area' or 'order', not {overlap!r}")
    if crowd not in ('class', 'ignore'):
        raise ValueError(f"crowd must be 'class' or 'ignore', not {crowd!r}")
    if cat_to_label is None:
        cat_to_label = coco_category_map(coco)
    info = coco.loadImgs([img_id])[0]
    h, w = int(info['height']), int(info['width'])
    out = np.zeros((h, w), np.uint8)
    layers = []  # (is individual, -area or order, value, mask)
    for k, ann in enumerate(_annotations(coco, img_id)):
        if ann['category_id'] not in cat_to_label:
            continue
        m = annotation_mask(ann, h, w).astype(bool)
        is_crowd = bool(ann.get('iscrowd', 0))
        value = IGNORE_INDEX if is_crowd and crowd == 'ignore' else \
            cat_to_label[ann['category_id']]
        key = -int(m.sum()) if overlap == 'area' else 0
        layers.append((not is_crowd, key, k, value, m))
    # crowds first; then by decreasing area (or none); ties in annotation order
    for _, _, _, value, m in sorted(layers, key=lambda t: t[:3]):
        out[m] = value
    return out


def coco_labels(coco,
                img_id: int,
                cat_to_label: Optional[Dict[int, int]] = None,
                num_classes: Optional[int] = None) -> np.ndarray:
    """The multi-hot image-level labels of one COCO image.

    Every annotation counts, crowd ones included.

    Args:
        coco (pycocotools.coco.COCO): the loaded annotation file.
        img_id (int): COCO image id.
        cat_to_label (dict, optional): category id -> class index. Defaults to
            :func:`coco_category_map`.
        num_classes (int, optional): K, background included. Defaults to
            ``len(cat_to_label) + 1``.

    Returns:
        np.ndarray: (K, ) uint8; index 0 (background) is always 1, so an image
        without annotations has ``labels[1:].sum() == 0``.
    """
    if cat_to_label is None:
        cat_to_label = coco_category_map(coco)
    num_classes = num_classes or len(cat_to_label) + 1
    vec = np.zeros(num_classes, np.uint8)
    vec[0] = 1
    for ann in _annotations(coco, img_id):
        if ann['category_id'] in cat_to_label:
            vec[cat_to_label[ann['category_id']]] = 1
    return vec


def image_stem(coco, img_id: int) -> str:
    """The file stem of a COCO image (``COCO_train2014_000000000009``)."""
    return osp.splitext(osp.basename(coco.loadImgs([img_id])[0]['file_name']))[0]


_WORKER_STATE: dict = {}


def _write_mask(job) -> bool:
    """Write the mask of one image unless it exists; True if written."""
    img_id, path = job
    state = _WORKER_STATE
    if not state['overwrite'] and osp.isfile(path):
        return False
    from ..utils.result_files import save_label_png
    mask = coco_mask(state['coco'], img_id, state['cat_to_label'], state['overlap'],
                     state['crowd'])
    save_label_png(path, mask, state['palette'])
    return True


def convert_coco_split(coco,
                       seg_dir: str,
                       overlap: str = 'area',
                       crowd: str = 'class',
                       overwrite: bool = False,
                       nproc: int = 1,
                       progress: bool = True,
                       desc: str = 'masks') -> dict:
    """Write the masks of one COCO split and return its labels.

    Resumable: a mask PNG that already exists is kept (masks are written to a
    temporary file and renamed, so an existing one is complete).

    Args:
        coco (pycocotools.coco.COCO): the loaded annotation file of the split.
        seg_dir (str): output folder of ``<file stem>.png``; created.
        overlap (str): see :func:`coco_mask`. Defaults to ``'area'``.
        crowd (str): see :func:`coco_mask`. Defaults to ``'class'``.
        overwrite (bool): rewrite existing masks. Defaults to False.
        nproc (int): worker processes (fork). Defaults to 1.
        progress (bool): show a progress bar. Defaults to True.
        desc (str): progress bar title. Defaults to ``'masks'``.

    Returns:
        dict: ``ids`` (sorted file stems of the images with at least one label),
        ``labels`` ({stem: (K,) uint8}), ``written`` and ``skipped`` (masks
        written now / found already), ``no_label`` (images left out).
    """
    from tqdm import tqdm
    cat_to_label = coco_category_map(coco)
    num_classes = len(cat_to_label) + 1
    os.makedirs(seg_dir, exist_ok=True)
    labels, jobs, no_label = {}, [], 0
    for img_id in sorted(coco.getImgIds()):
        vec = coco_labels(coco, img_id, cat_to_label, num_classes)
        if not vec[1:].any():
            no_label += 1
            continue
        stem = image_stem(coco, img_id)
        if stem in labels:
            raise ValueError(f'two images of the annotation file have the file stem '
                             f'{stem}; file names must be unique')
        labels[stem] = vec
        jobs.append((img_id, osp.join(seg_dir, stem + '.png')))
    _WORKER_STATE.update(coco=coco, cat_to_label=cat_to_label, overlap=overlap,
                         crowd=crowd, overwrite=overwrite,
                         palette=voc_palette(num_classes))
    try:
        results = _run(jobs, nproc, tqdm(total=len(jobs), desc=desc,
                                         disable=not progress))
    finally:
        _WORKER_STATE.clear()
    written = sum(results)
    return dict(ids=sorted(labels), labels=labels, written=written,
                skipped=len(jobs) - written, no_label=no_label)


def _run(jobs: Sequence, nproc: int, bar) -> List[bool]:
    results = []
    if nproc > 1 and len(jobs) > 1:
        import multiprocessing
        with multiprocessing.get_context('fork').Pool(nproc) as pool:
            for r in pool.imap(_write_mask, jobs, chunksize=64):
                results.append(r)
                bar.update()
    else:
        for job in jobs:
            results.append(_write_mask(job))
            bar.update()
    bar.close()
    return results


def write_split_file(path: str, ids: Iterable[str]) -> None:
    """Write one image id a line, atomically; creates the folder."""
    write_text_atomic(path, ''.join(f'{i}\n' for i in ids))


@DATASETS.register_module()
class COCOImageLabelDataset(ImageLabelFolderDataset):
    """MS COCO 2014 with image-level labels (K = 81, index 0 background).

    The layout written by ``tools/dataset_converters/coco_wsss.py``::

        data/coco2014/
        ├── train2014/*.jpg, val2014/*.jpg
        ├── SegmentationClass/{train2014,val2014}/<stem>.png
        ├── ImageSets/Segmentation/{train,val}.txt
        ├── cls_labels.json, classes.txt
        └── annotations/instances_{train,val}2014.json

    Classes: ``classes.txt`` at the root (written by the converter), else the
    label file's, else :data:`COCO_CLASSES`. Set ``data_prefix`` to the
    ``val2014`` folders for the val split.

    Args:
        ann_file (str): split file. Defaults to
            ``'ImageSets/Segmentation/train.txt'``.
        data_prefix (dict): ``img_path`` and ``seg_map_path``. Defaults to the
            train2014 folders.
        **kwargs: see :class:`ImageLabelFolderDataset`.
    """
    DEFAULT_CLASSES = COCO_CLASSES

    def __init__(self,
                 ann_file: str = 'ImageSets/Segmentation/train.txt',
                 data_prefix: dict = dict(
                     img_path='train2014',
                     seg_map_path='SegmentationClass/train2014'),
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

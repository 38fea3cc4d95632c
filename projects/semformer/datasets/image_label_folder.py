"""Any dataset in the PASCAL VOC layout with image-level labels.

The layout (every path relative to ``data_root``)::

    data_root/
    ├── JPEGImages/<id>.jpg            # or .png (``img_suffix``)
    ├── Annotations/<id>.xml           # object names give the labels (optional)
    ├── SegmentationClass/<id>.png     # pixel masks, evaluation only (optional)
    ├── ImageSets/Segmentation/<split>.txt
    ├── classes.txt                    # one name a line, background first
    └── cls_labels.json                # image-level labels (optional, see
                                       # ``semformer.datasets.write_label_file``)

The class list is taken from, in this order: the ``metainfo`` argument,
``classes.txt``, the ``classes`` entry of the label file, the dataset's
``DEFAULT_CLASSES`` and last the sorted object names found in the XML files of the
split files (with ``'background'`` prepended).
"""
import glob
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.fileio import list_from_file
from mmseg.registry import DATASETS

from .label_files import load_label_json
from .synthetic import voc_palette
from .voc_image_label import VOCImageLabelDataset
from ..utils.atomic import write_text_atomic

CLASSES_FILE = 'classes.txt'
SPLIT_DIR = 'ImageSets/Segmentation'


def _under(data_root: Optional[str], path: str) -> str:
    """``path`` joined to ``data_root`` unless it is absolute or there is no root."""
    if data_root and path and not osp.isabs(path):
        return osp.join(data_root, path)
    return path


def split_file_path(data_root: str, split: str, split_dir: str = SPLIT_DIR) -> str:
    """The split file of ``split``.

    Args:
        data_root (str): the dataset root.
        split (str): a split name (``'train'`` means
            ``<data_root>/<split_dir>/train.txt``) or a path ending in ``.txt``
            (relative to ``data_root`` unless absolute).
        split_dir (str): folder of the split files. Defaults to
            ``'ImageSets/Segmentation'``.

    Returns:
        str: the path of the split file.
    """
    if split.endswith('.txt'):
        return _under(data_root, split)
    return osp.join(data_root, split_dir, split + '.txt')


def read_split_ids(path: str) -> List[str]:
    """Image ids of a split file: the first word of each non-empty line."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'split file {path} does not exist; write one image id (the image file '
            'name without its suffix) a line')
    return [line.split()[0] for line in list_from_file(path) if line.split()]


#: EXIF orientations (tag 0x0112) that turn an image by 90 degrees
TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)


def loaded_image_size(img) -> Tuple[Tuple[int, int], int]:
    """The (width, height) an open PIL image has once loaded by mmcv, and its EXIF
    orientation (1 when untagged).

    mmcv's default ``LoadImageFromFile`` (OpenCV, ``color_type='color'``) applies
    the EXIF orientation tag, which PIL's header size does not: orientations 5-8
    swap width and height.
    """
    try:
        orientation = int(img.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block: OpenCV ignores it as well
        orientation = 1
    w, h = img.size
    return ((h, w) if orientation in TRANSPOSING_ORIENTATIONS else (w, h)), orientation


def image_sizes(data_root: str, split_files: Sequence[str], img_dir: str = 'JPEGImages',
                img_suffix: str = '.jpg') -> List[Tuple[int, int]]:
    """The distinct (width, height) of the images the split files list, read from
    the file headers as mmcv loads them (EXIF orientation applied,
    :func:`loaded_image_size`); unreadable or missing images are left out (the
    dataset check names them).

    Args:
        data_root (str): the dataset root.
        split_files (Sequence[str]): split file paths.
        img_dir (str): image folder under ``data_root``. Defaults to
            ``'JPEGImages'``.
        img_suffix (str): the images' file suffix. Defaults to ``'.jpg'``.

    Returns:
        list[tuple[int, int]]: sorted distinct sizes.
    """
    from PIL import Image
    sizes = set()
    for split_file in split_files:
        if not osp.isfile(split_file):
            continue
        for img_id in read_split_ids(split_file):
            try:
                with Image.open(osp.join(data_root, img_dir, img_id + img_suffix)) as img:
                    sizes.add(loaded_image_size(img)[0])
            except (OSError, Image.DecompressionBombError):
                continue
    return sorted(sizes)


#: image suffixes :func:`image_suffix` looks for, in order of preference
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG', '.bmp')


def files_by_stem(folder: str) -> Dict[str, List[str]]:
    """``{file name without suffix: [file names]}`` of a folder (empty if absent)."""
    found: Dict[str, List[str]] = {}
    if osp.isdir(folder):
        for name in sorted(os.listdir(folder)):
            found.setdefault(osp.splitext(name)[0], []).append(name)
    return found


def image_suffix(data_root: str, split_files: Sequence[str],
                 img_dir: str = 'JPEGImages') -> str:
    """The file suffix every image the split files list has (``'.jpg'`` for VOC;
    a folder of PNG images gives ``'.png'``).

    Args:
        data_root (str): the dataset root.
        split_files (Sequence[str]): split file paths; missing ones are skipped.
        img_dir (str): image folder under ``data_root``. Defaults to
            ``'JPEGImages'``.

    Returns:
        str: the first of :data:`IMAGE_SUFFIXES` that every listed image has;
        ``'.jpg'`` when none does (the dataset check names the missing files).
    """
    found = files_by_stem(osp.join(data_root, img_dir))
    ids = [i for f in split_files if osp.isfile(f) for i in read_split_ids(f)]
    for suffix in IMAGE_SUFFIXES:
        if ids and all(i + suffix in found.get(i, ()) for i in ids):
            return suffix
    return '.jpg'


def read_classes_file(path: str) -> Tuple[str, ...]:
    """Class names from a ``classes.txt``: one name a line, background first.

    Empty lines are skipped; names may contain spaces (``traffic light``).

    Raises:
        ValueError: fewer than two names, or a name listed twice.
    """
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if len(names) < 2:
        raise ValueError(f'{path} lists {len(names)} class name(s); it needs the '
                         'background on the first line and at least one object class')
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f'{path} lists the class name(s) {dups} more than once')
    return names


def write_classes_file(path: str, classes: Sequence[str]) -> None:
    """Write ``classes`` (background first) one a line, atomically."""
    write_text_atomic(path, '\n'.join(classes) + '\n')


def xml_object_names(xml_path: str) -> List[str]:
    """The ``<object><name>`` entries of a VOC XML annotation, in file order."""
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'cannot parse annotation {xml_path}: {e}') from e
    return [obj.findtext('name', '').strip() for obj in root.findall('object')]


def infer_classes_from_xml(data_root: str,
                           split_files: Sequence[str],
                           xml_dir: str = 'Annotations',
                           background: str = 'background') -> Tuple[str, ...]:
    """``(background, *sorted object names)`` of the XMLs of the listed images.

    Args:
        data_root (str): the dataset root.
        split_files (Sequence[str]): split files whose image ids are scanned;
            missing files are skipped.
        xml_dir (str): XML folder relative to ``data_root``. Defaults to
            ``'Annotations'``.
        background (str): name given to index 0. Defaults to ``'background'``.

    Raises:
        FileNotFoundError: no object name found at all.
    """
    xml_root = _under(data_root, xml_dir)
    names = set()
    for split_file in split_files:
        if not osp.isfile(split_file):
            continue
        for img_id in read_split_ids(split_file):
            xml_path = osp.join(xml_root, img_id + '.xml')
            if osp.isfile(xml_path):
                names.update(n for n in xml_object_names(xml_path) if n)
    names.discard(background)
    if not names:
        raise FileNotFoundError(
            f'cannot tell the classes of {data_root}: no {CLASSES_FILE} there, no '
            f'label file and no object name in the XML files under {xml_root} of '
            f'the images in {list(split_files)}; write {CLASSES_FILE} (one class a '
            'line, background first)')
    return (background, ) + tuple(sorted(names))


def resolve_classes(data_root: Optional[str],
                    split_files: Sequence[str],
                    classes_file: Optional[str] = CLASSES_FILE,
                    label_file: Optional[str] = 'cls_labels.json',
                    xml_dir: Optional[str] = 'Annotations',
                    default: Optional[Sequence[str]] = None
                    ) -> Tuple[Tuple[str, ...], str]:
    """The class names of a VOC-layout dataset and where they were found.

    Order: ``classes_file``, the ``classes`` of ``label_file``, ``default``, the
    object names of the XMLs of the images in ``split_files``.

    Args:
        data_root (str, optional): the dataset root; relative files are under it.
        split_files (Sequence[str]): split files scanned for XML names.
        classes_file (str, optional): Defaults to ``'classes.txt'``.
        label_file (str, optional): Defaults to ``'cls_labels.json'``.
        xml_dir (str, optional): Defaults to ``'Annotations'``.
        default (Sequence[str], optional): used before the XML scan. Defaults to
            None.

    Returns:
        tuple: (class names with background first, the source: a file path or
        ``'default'``).
    """
    path = _under(data_root, classes_file) if classes_file else None
    if path and osp.isfile(path):
        return read_classes_file(path), path
    path = _under(data_root, label_file) if label_file else None
    if path and osp.isfile(path):
        classes = load_label_json(path)['classes']
        if classes:
            return tuple(classes), path
    if default is not None:
        return tuple(default), 'default'
    if not xml_dir:
        raise FileNotFoundError(
            f'cannot tell the classes of {data_root}: write {CLASSES_FILE} there '
            '(one class a line, background first)')
    return infer_classes_from_xml(data_root, split_files, xml_dir), _under(
        data_root, xml_dir)


@DATASETS.register_module()
class ImageLabelFolderDataset(VOCImageLabelDataset):
    """A VOC-layout folder with image-level labels and any class list.

    Labels are read as :class:`VOCImageLabelDataset` does (label file, else
    ``Annotations/<id>.xml``), but masks, where present, are used only for
    evaluation unless ``labels_from_masks=True``. The classes come from
    ``metainfo`` if given, else ``classes.txt``, else the label file, else
    ``DEFAULT_CLASSES``, else the sorted object names of the XMLs of every split
    file next to ``ann_file`` (so train and val agree); the palette is the VOC
    colour map of that many classes.

    Args:
        ann_file (str): split file, one image id per line, relative to
            ``data_root``.
        classes_file (str, optional): class list relative to ``data_root``.
            Defaults to ``'classes.txt'``.
        class_splits (Sequence[str], optional): split files scanned for XML class
            names; None means every ``*.txt`` beside ``ann_file``. Defaults to None.
        labels_from_masks (bool): derive an image's labels from its mask when it
            has neither a label-file entry nor an XML. Defaults to False.
        label_mask_dir (str): the masks those labels come from, relative to
            ``data_root``: the ground truth even where ``data_prefix`` points the
            maps at pseudo labels (AffinityNet, DeepLabV3+). Defaults to
            ``'SegmentationClass'``.
        label_file (str): JSON label file relative to ``data_root``; optional.
            Defaults to ``'cls_labels.json'``.
        data_prefix (dict): folders ``img_path``, ``seg_map_path``, ``xml_path``.
            Defaults to the VOC folder names.
        metainfo (dict, optional): ``classes`` (and ``palette``) to use instead of
            the files. Defaults to None.
        **kwargs: the other arguments of :class:`VOCImageLabelDataset`
            (``empty_images``) and ``BaseSegDataset`` (``img_suffix``, e.g.
            ``'.png'``).
    """
    METAINFO: dict = dict()
    #: classes used when there is neither ``classes.txt`` nor a label file
    DEFAULT_CLASSES: Optional[Tuple[str, ...]] = None

    def __init__(self,
                 ann_file: str,
                 classes_file: Optional[str] = CLASSES_FILE,
                 class_splits: Optional[Sequence[str]] = None,
                 labels_from_masks: bool = False,
                 label_mask_dir: str = 'SegmentationClass',
                 label_file: str = 'cls_labels.json',
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClass',
                     xml_path='Annotations'),
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        self.classes_file = classes_file
        self.labels_from_masks = labels_from_masks
        self.label_mask_dir = label_mask_dir
        metainfo = dict(metainfo or {})
        data_root = kwargs.get('data_root')
        if metainfo.get('classes') is None:
            ann_path = _under(data_root, ann_file)
            if class_splits is None:
                split_files = sorted(glob.glob(osp.join(osp.dirname(ann_path), '*.txt')))
                split_files = split_files or [ann_path]
            else:
                split_files = [_under(data_root, s) for s in class_splits]
            classes, self.classes_source = resolve_classes(
                data_root, split_files, classes_file, label_file,
                data_prefix.get('xml_path'), self.DEFAULT_CLASSES)
            metainfo['classes'] = classes
        else:
            self.classes_source = 'metainfo'
        metainfo.setdefault('palette', voc_palette(len(metainfo['classes'])))
        super().__init__(
            ann_file=ann_file,
            label_file=label_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            **kwargs)

    def _image_labels(self, img_id, file_labels, label_path, xml_dir, seg_path,
                      classes):
        xml_path = osp.join(xml_dir, img_id + '.xml') if xml_dir else None
        has_xml = bool(xml_path) and osp.isfile(xml_path)
        if file_labels is None and not has_xml and not self.labels_from_masks:
            raise FileNotFoundError(
                f'no image-level labels for image {img_id}: the label file '
                f'{label_path} does not exist and neither does {xml_path}; masks '
                'are used only for evaluation (pass labels_from_masks=True to read '
                'labels from them)')
        if file_labels is None and not has_xml:  # labels_from_masks: the ground truth
            seg_path = osp.join(_under(self.data_root, self.label_mask_dir),
                                img_id + self.seg_map_suffix)
            seg_path = seg_path if osp.isfile(seg_path) else None
        return super()._image_labels(img_id, file_labels, label_path, xml_dir,
                                     seg_path, classes)

"""Checks of an image-labelled dataset that run before any training.

:func:`check_image_label_dataset` reads every split file, image header, label and
mask once and raises one :class:`DatasetCheckError` that lists every problem found,
each naming its file, so a user fixes them all in one go instead of meeting them
one by one hours into a run.
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

from .image_label_folder import (CLASSES_FILE, SPLIT_DIR, TRANSPOSING_ORIENTATIONS,
                                 _under, files_by_stem, loaded_image_size,
                                 read_split_ids, resolve_classes, split_file_path)
from .label_files import labels_from_mask, labels_from_xml, read_label_file

PerSplit = Union[str, Mapping[str, str], None]


class DatasetCheckError(ValueError):
    """A dataset failed :func:`check_image_label_dataset`.

    Attributes:
        problems (list[str]): one line per problem, each naming its file.
    """

    def __init__(self, data_root: str, problems: List[str], max_listed: int = 20):
        self.problems = list(problems)
        lines = [f' - {p}' for p in problems[:max_listed]]
        if len(problems) > max_listed:
            lines.append(f' ... and {len(problems) - max_listed} more')
        super().__init__(f'{len(problems)} problem(s) in dataset {data_root}:\n'
                         + '\n'.join(lines))


def _for_split(value: PerSplit, split: str) -> Optional[str]:
    if isinstance(value, Mapping):
        return value.get(split)
    return value


def _stats(values: Sequence[int]) -> Dict[str, float]:
    if not values:
        return dict(min=0, median=0, max=0)
    arr = np.asarray(values)
    return dict(min=int(arr.min()), median=float(np.median(arr)), max=int(arr.max()))


def check_image_label_dataset(data_root: str,
                              splits: Sequence[str] = ('train', 'val'),
                              batch_size: Optional[int] = None,
                              *,
                              split_dir: str = SPLIT_DIR,
                              img_dir: PerSplit = 'JPEGImages',
                              seg_dir: PerSplit = 'SegmentationClass',
                              xml_dir: Optional[str] = 'Annotations',
                              label_file: Optional[str] = 'cls_labels.json',
                              classes_file: Optional[str] = CLASSES_FILE,
                              classes: Optional[Sequence[str]] = None,
                              default_classes: Optional[Sequence[str]] = None,
                              img_suffix: str = '.jpg',
                              seg_map_suffix: str = '.png',
                              ignore_index: int = 255,
                              check_masks: bool = True,
                              labels_from_masks: bool = False,
                              require_masks: bool = False,
                              allow_empty: bool = False,
                              max_listed: int = 20) -> dict:
    """Check a VOC-layout dataset with image-level labels before training on it.

    Labels are looked up as :class:`ImageLabelFolderDataset` does: the label file
    if it exists, else ``<xml_dir>/<id>.xml``, else (only with
    ``labels_from_masks``) the mask. Problems found (each names the file):

    - a missing split file;
    - an image id without its image file (``img_suffix``), or an unreadable image;
    - an image missing from the label file, or without any label source;
    - a class name in an XML that is not in the class list (``classes.txt``);
    - an image without any foreground label (a warning with ``allow_empty``);
    - a mask value outside ``[0, K)`` other than ``ignore_index``, or a mask whose
      size differs from its image's as mmcv loads it (EXIF orientation applied; a
      mask of the stored pixels of an image tagged to turn by 90 degrees is named
      as such);
    - masks that hold classes their images' labels lack, in more than 1 % of the
      images with both, when the labels and the mask indices match under another
      class order: the class list does not follow the masks' indices, e.g. the
      sorted XML names of a dataset whose masks number the classes in another
      order (the message gives the order the masks suggest);
    - with ``require_masks``, an image without its mask;
    - fewer images in the first split than ``batch_size`` (with
      ``allow_empty``: fewer images with an object class).

    Warnings (in the summary, not errors): masks that hold classes their labels
    lack otherwise (annotation slips), classes that label images of a later
    split but none of the first (training) split, (``allow_empty``) images
    without an object class, and images with an EXIF orientation tag (the loader
    turns them, so their masks must be drawn on the turned images).

    Args:
        data_root (str): the dataset root.
        splits (Sequence[str]): split names (``<split_dir>/<name>.txt``) or split
            files (``*.txt``); the first is the training split. Defaults to
            ``('train', 'val')``.
        batch_size (int, optional): training batch size (all GPUs together); the
            first split must hold at least this many images. Defaults to None
            (not checked).
        split_dir (str): folder of the split files. Defaults to
            ``'ImageSets/Segmentation'``.
        img_dir (str | dict): image folder, or ``{split: folder}`` (e.g. COCO's
            ``train2014``/``val2014``). Defaults to ``'JPEGImages'``.
        seg_dir (str | dict, optional): mask folder (or ``{split: folder}``);
            masks are optional. Defaults to ``'SegmentationClass'``.
        xml_dir (str, optional): XML folder. Defaults to ``'Annotations'``.
        label_file (str, optional): JSON label file. Defaults to
            ``'cls_labels.json'``.
        classes_file (str, optional): class list file. Defaults to
            ``'classes.txt'``.
        classes (Sequence[str], optional): the class names, instead of the files.
            Defaults to None.
        default_classes (Sequence[str], optional): used when there is neither a
            classes file nor a label file. Defaults to None.
        img_suffix (str): Defaults to ``'.jpg'``.
        seg_map_suffix (str): Defaults to ``'.png'``.
        ignore_index (int): the mask value allowed besides the classes. Defaults
            to 255.
        check_masks (bool): read every mask (slower on large sets). Defaults to
            True.
        labels_from_masks (bool): use masks as the last label source. Defaults to
            False.
        require_masks (bool): every image needs its mask (a chain that scores
            the maps of every split). Defaults to False.
        allow_empty (bool): images whose labels hold no object class are a
            warning, not an error (datasets with ``empty_images='keep'`` or
            ``'skip'``). Defaults to False.
        max_listed (int): problems listed in the error message. Defaults to 20.

    Returns:
        dict: a summary with ``classes`` (tuple, background first),
        ``num_classes`` (int), ``classes_source`` (str), ``num_images``
        (``{split: int}``), ``num_masks`` (``{split: int}``), ``short_side`` and
        ``long_side`` (each ``dict(min, median, max)`` in pixels over the unique
        images), ``class_counts`` (``{name: images with that label}``) and
        ``warnings`` (list of str).

    Raises:
        DatasetCheckError: listing every problem found.
    """
    split_files = {s: split_file_path(data_root, s, split_dir) for s in splits}
    problems: List[str] = []
    if classes is not None:
        classes, classes_source = tuple(classes), 'argument'
    else:
        try:
            classes, classes_source = resolve_classes(
                data_root, list(split_files.values()), classes_file, label_file,
                xml_dir, default_classes)
        except (OSError, ValueError) as e:
            raise DatasetCheckError(data_root, [str(e)]) from e
    classes_where = (f'the class list ({classes_source})'
                     if classes_source not in ('argument', 'default') else
                     'the class list')
    num_classes = len(classes)

    label_path = _under(data_root, label_file) if label_file else None
    file_labels = None
    if label_path and osp.isfile(label_path):
        try:
            file_labels = read_label_file(label_path, classes)
        except (OSError, ValueError) as e:
            raise DatasetCheckError(data_root, [str(e)]) from e
    xml_root = _under(data_root, xml_dir) if xml_dir else None

    num_images, num_masks = {}, {}
    sizes: Dict[str, tuple] = {}  # as mmcv loads the images (EXIF orientation applied)
    oriented: Dict[str, int] = {}  # images with an EXIF orientation of 2-8
    turned_masks: Dict[str, int] = {}  # of those, the ones whose masks were checked
    class_counts = np.zeros(num_classes, np.int64)
    split_counts: Dict[str, np.ndarray] = {}
    # label index x mask index: images whose labels hold the one and mask the other
    cooccurrence = np.zeros((num_classes, num_classes), np.int64)
    mismatches: List[str] = []
    num_compared = 0
    stems: Dict[str, Dict[str, List[str]]] = {}  # image folder -> stem -> file names
    empty: List[str] = []  # images without an object class (allow_empty)
    for split, split_file in split_files.items():
        try:
            ids = read_split_ids(split_file)
        except FileNotFoundError as e:
            problems.append(str(e))
            continue
        num_images[split] = len(ids)
        num_masks[split] = 0
        empty_in_split = 0
        split_counts[split] = np.zeros(num_classes, np.int64)
        if not ids:
            problems.append(f'split file {split_file} lists no image')
        split_img_dir = _under(data_root, _for_split(img_dir, split) or '')
        split_seg = _for_split(seg_dir, split)
        split_seg_dir = _under(data_root, split_seg) if split_seg else None
        for img_id in ids:
            img_path = osp.join(split_img_dir, img_id + img_suffix)
            if not osp.isfile(img_path):
                if split_img_dir not in stems:  # the folder listed once
                    stems[split_img_dir] = files_by_stem(split_img_dir)
                others = stems[split_img_dir].get(img_id, [])
                hint = (f'; found {", ".join(others)}: the images of a split need one '
                        f'suffix (img_suffix, now {img_suffix!r})' if others else
                        '; add it or remove the id from the split file')
                problems.append(f'image {img_path} (listed in {split_file}) does not '
                                f'exist{hint}')
                continue
            if img_path not in sizes:
                try:
                    with Image.open(img_path) as img:
                        sizes[img_path], orientation = loaded_image_size(img)
                    if 2 <= orientation <= 8:  # others are invalid, not applied
                        oriented[img_path] = orientation
                except OSError as e:
                    problems.append(f'cannot read image {img_path}: {e}')
                    continue
            seg_path = (osp.join(split_seg_dir, img_id + seg_map_suffix)
                        if split_seg_dir else None)
            if require_masks and not (seg_path and osp.isfile(seg_path)):
                problems.append(f'image {img_id} (listed in {split_file}) has no mask '
                                f'{seg_path or "(no mask folder)"}; the chain scores '
                                'the maps of every split against the masks')
                continue
            seg_path = seg_path if seg_path and osp.isfile(seg_path) else None
            if seg_path:
                num_masks[split] += 1
            mask_classes = None
            if seg_path and check_masks:
                problem, mask_classes = _check_mask(seg_path, sizes[img_path],
                                                    num_classes, ignore_index, img_path,
                                                    oriented.get(img_path, 1))
                if img_path in oriented:
                    turned_masks[img_path] = oriented[img_path]
                if problem:
                    problems.append(problem)
                    continue
            # image-level labels, from the same sources as the dataset
            xml_path = osp.join(xml_root, img_id + '.xml') if xml_root else None
            try:
                if file_labels is not None:
                    if img_id not in file_labels:
                        problems.append(f'image {img_id} (listed in {split_file}) has '
                                        f'no entry in the label file {label_path}')
                        continue
                    labels, source = file_labels[img_id], label_path
                elif xml_path and osp.isfile(xml_path):
                    labels, source = labels_from_xml(xml_path, classes), xml_path
                elif labels_from_masks and seg_path:
                    labels = labels_from_mask(seg_path, num_classes, ignore_index)
                    source = seg_path
                else:
                    problems.append(
                        f'image {img_id} (listed in {split_file}) has no image-level '
                        f'labels: no label file ({label_path}) and no annotation '
                        f'{xml_path}')
                    continue
            except ValueError as e:
                if 'unknown class name' in str(e):
                    problems.append(f'{e}; add the name to {classes_where} or fix '
                                    'the annotation')
                else:
                    problems.append(str(e))
                continue
            if not np.asarray(labels)[1:].any():
                if not allow_empty:
                    problems.append(f'image {img_id} has no foreground label in {source}; '
                                    f'remove it from {split_file} or label it')
                    continue
                empty.append(f'{img_id} ({source})')
                empty_in_split += 1
            labelled = np.asarray(labels, bool)
            class_counts += labelled
            split_counts[split] += labelled
            if mask_classes is not None:
                num_compared += 1
                cooccurrence[np.ix_(np.flatnonzero(labelled), mask_classes)] += 1
                extra = [classes[c] for c in mask_classes if c and not labelled[c]]
                if extra:
                    mismatches.append(f'mask {seg_path} holds {extra}, which {source} '
                                      'does not label')
        if split == splits[0] and batch_size and len(ids) < batch_size:
            problems.append(f'split file {split_file} lists {len(ids)} image(s), fewer '
                            f'than the batch size {batch_size}; add images or lower '
                            'the batch size')
        elif split == splits[0] and empty_in_split and (
                len(ids) - empty_in_split < (batch_size or 1)):
            problems.append(f'split file {split_file} lists {len(ids) - empty_in_split} '
                            f'image(s) with an object class ({empty_in_split} without), '
                            f'fewer than the batch size {batch_size or 1}: a classifier '
                            'trained on it has too few images; add labelled images')
    warnings = []
    if turned_masks:
        some = ', '.join(f'{osp.basename(k)} ({v})'
                         for k, v in list(turned_masks.items())[:3])
        warnings.append(f'{len(turned_masks)} image(s) with masks carry an EXIF '
                        f'orientation tag (e.g. {some}), which the loader applies: '
                        'their masks must be drawn on the turned images; store them '
                        'upright without the tag to be sure')
    if empty:
        warnings.append(f'{len(empty)} image(s) have no object class in their labels, '
                        f'e.g. {", ".join(empty[:3])}')
    if mismatches:
        line = (f'{len(mismatches)} of {num_compared} masks hold classes that their '
                f'images\' labels lack, e.g. {"; ".join(mismatches[:3])}')
        order = _mask_order(cooccurrence, classes)
        if order and len(mismatches) > 0.01 * num_compared:
            problems.append(
                f'{line}; the class list ({classes_source}) does not follow the masks\' '
                f'indices: the masks suggest the order {", ".join(order)}; write it to '
                f'{CLASSES_FILE} in the dataset root, one name a line (a label file '
                'must list its vectors in the same order)')
        else:
            warnings.append(line)
    first = splits[0]
    for split, counts in split_counts.items():
        if split == first or first not in split_counts:
            continue
        unseen = [classes[c] for c in range(1, num_classes)
                  if counts[c] and not split_counts[first][c]]
        if unseen:
            warnings.append(f'class(es) {unseen} label images of {split} but none of '
                            f'{first}: nothing teaches them')
    if problems:
        raise DatasetCheckError(data_root, problems, max_listed)
    widths = [s[0] for s in sizes.values()]
    heights = [s[1] for s in sizes.values()]
    return dict(
        classes=tuple(classes),
        num_classes=num_classes,
        classes_source=classes_source,
        num_images=num_images,
        num_masks=num_masks,
        short_side=_stats([min(w, h) for w, h in zip(widths, heights)]),
        long_side=_stats([max(w, h) for w, h in zip(widths, heights)]),
        class_counts={c: int(n) for c, n in zip(classes[1:], class_counts[1:])},
        warnings=warnings)


def _mask_order(cooccurrence: np.ndarray, classes: Sequence[str]) -> List[str]:
    """The class order the masks suggest (each label's most frequent mask index)
    when it is another permutation of the list; else empty."""
    best = cooccurrence[1:, 1:].argmax(axis=1) + 1
    if (sorted(best.tolist()) != list(range(1, len(classes)))
            or best.tolist() == list(range(1, len(classes)))):
        return []
    return [classes[0]] + [classes[int(np.flatnonzero(best == i)[0]) + 1]
                           for i in range(1, len(classes))]


def _check_mask(path: str, img_size: tuple, num_classes: int, ignore_index: int,
                img_path: Optional[str] = None,
                orientation: int = 1) -> Tuple[Optional[str], List[int]]:
    """(A problem line for a bad mask or None, the class indices it holds).
    ``img_size`` is the image's (width, height) as loaded, ``orientation`` its EXIF
    orientation."""
    try:
        with Image.open(path) as png:
            mask = np.asarray(png)
    except OSError as e:
        return f'cannot read mask {path}: {e}', []
    if mask.ndim != 2:
        return (f'mask {path} has shape {mask.shape}; a mask is a single-channel '
                'PNG of class indices (palette or grey)'), []
    if mask.shape[::-1] != tuple(img_size):
        if orientation in TRANSPOSING_ORIENTATIONS and mask.shape == tuple(img_size):
            return (f'mask {path} is {mask.shape[1]}x{mask.shape[0]}, the stored pixels '
                    f'of its image {img_path}, but the image carries EXIF orientation '
                    f'{orientation}, which the loader applies: it reads the image as '
                    f'{img_size[0]}x{img_size[1]}; remove the tag from the image, or '
                    "turn the image upright (PIL's ImageOps.exif_transpose) and its mask "
                    'with it'), []
        return (f'mask {path} is {mask.shape[1]}x{mask.shape[0]} but its image is '
                f'{img_size[0]}x{img_size[1]}'), []
    values = np.unique(mask)
    bad = values[(values >= num_classes) & (values != ignore_index)]
    if bad.size:
        return (f'mask {path} holds value(s) {bad.tolist()} outside the class range '
                f'0..{num_classes - 1} (and {ignore_index}, ignore)'), []
    return None, [int(v) for v in values if v < num_classes]

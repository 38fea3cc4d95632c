"""Image-level label files and label extraction from VOC XML annotations and masks."""
import json
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image
from ..utils.atomic import write_text_atomic


def write_label_file(path, classes, labels):
    """Write image-level labels as JSON, atomically.

    Format: ``{"classes": [K names], "labels": {image id: [K 0/1 entries]}}`` with
    index 0 the background (always 1).
    """
    write_text_atomic(path, json.dumps(dict(
        classes=list(classes),
        labels={k: [int(v) for v in vec] for k, vec in labels.items()})))


def load_label_json(path):
    """The content of a label file: ``{'classes': [...], 'labels': {id: [...]}}``.

    Raises:
        ValueError: the file is not JSON, or not an object of that form.
    """
    try:
        with open(path) as f:
            content = json.load(f)
    except ValueError as e:
        raise ValueError(f'label file {path} is not valid JSON: {e}') from e
    if not (isinstance(content, dict) and isinstance(content.get('classes'), list)
            and isinstance(content.get('labels'), dict)):
        raise ValueError(
            f'label file {path} is not in this project\'s form: a JSON object with '
            '"classes" (the names, background first) and "labels" (image id -> 0/1 '
            'vector); write it with tools/make_image_labels.py, or remove it to use '
            'the XML annotations')
    return content


def read_label_file(path, classes):
    """Read a label file written by :func:`write_label_file`.

    Returns:
        dict: image id -> multi-hot float32 array (K,), background set to 1.
    """
    content = load_label_json(path)
    if list(content.get('classes', [])) != list(classes):
        raise ValueError(f'label file {path} lists classes {content.get("classes")}, '
                         f'but the dataset has {list(classes)}')
    out = {}
    for img_id, vec in content['labels'].items():
        vec = np.asarray(vec, np.float32)
        if vec.shape != (len(classes), ):
            raise ValueError(f'label file {path}: the label vector of image {img_id} '
                             f'has length {vec.size}, expected {len(classes)} '
                             '(background first)')
        out[img_id] = vec
    return out


def labels_from_xml(xml_path, classes):
    """Multi-hot (K,) labels from the object names of a VOC XML annotation.

    All objects count, ``difficult`` ones included, as in the authors' code.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'cannot parse annotation {xml_path}: {e}') from e
    vec = np.zeros(len(classes), np.float32)
    for obj in root.findall('object'):
        name = obj.findtext('name', '').strip()
        if name == classes[0]:
            hint = ('' if name.lower().strip('_') in ('background', 'bg') else
                    '; the list needs the background on its first line')
            raise ValueError(f'annotation {xml_path}: object named {name!r}, the first '
                             'class of the class list, which is the background (index '
                             f'0){hint}')
        if name not in classes:
            raise ValueError(f'annotation {xml_path}: unknown class name {name!r}; '
                             f'known: {list(classes[1:])}')
        vec[classes.index(name)] = 1
    return vec


def labels_from_mask(mask_path, num_classes, ignore_index=255):
    """Multi-hot (K,) labels from the class indices present in a mask PNG."""
    try:
        mask = np.asarray(Image.open(mask_path))
    except OSError as e:
        raise ValueError(f'cannot read mask {mask_path}: {e}') from e
    present = np.unique(mask)
    present = present[present != ignore_index]
    if present.size and present.max() >= num_classes:
        raise ValueError(f'mask {mask_path} holds class index {present.max()}, but '
                         f'the dataset has {num_classes} classes')
    vec = np.zeros(num_classes, np.float32)
    vec[present] = 1
    return vec

"""The on-disk formats of per-image results (CAMs, label PNGs)."""
import os.path as osp

import numpy as np
from PIL import Image

from .atomic import write_atomic


def image_id(img_path):
    """The file stem of an image: the key of its result file."""
    return osp.splitext(osp.basename(img_path))[0]


def save_cams(path, fields, keys, image_scores=None):
    """Write maps as ``<id>.npz``: ``keys`` (k,) int64 class ids and, per field
    (``cams``, ``cams_plain``), the (k, H, W) maps of those classes as uint8 (the
    [0, 1] maps quantised to steps of 1/255), zlib-compressed; with
    ``image_scores`` (K,) also those, as float32 (:func:`load_image_scores`)."""
    arrays = {name: quantise(maps[keys]) for name, maps in fields.items()}
    if image_scores is not None:
        arrays[SCORES_KEY] = np.asarray(image_scores, np.float32)
    write_atomic(path, lambda f: np.savez_compressed(f, keys=keys, **arrays))


SCORES_KEY = 'image_scores'


def load_image_scores(path):
    """The (K,) image-level scores stored by :func:`save_cams`, or None."""
    with np.load(path) as f:
        return f[SCORES_KEY].copy() if SCORES_KEY in f.files else None


def quantise(maps):
    return np.round(np.clip(maps, 0, 1) * 255).astype(np.uint8)


def load_cams(path, num_classes=None):
    """Read ``save_cams`` files: (keys (k,), {field: (K, H, W) float32 with zeros
    for the classes not stored}) when ``num_classes`` is given, else the stored
    (k, H, W) maps."""
    with np.load(path) as f:
        keys = f['keys']
        fields = {n: f[n].astype(np.float32) / 255 for n in f.files
                  if n not in ('keys', SCORES_KEY)}
    if num_classes is not None:
        for name, maps in fields.items():
            full = np.zeros((num_classes, ) + maps.shape[1:], np.float32)
            full[keys] = maps
            fields[name] = full
    return keys, fields


VOID_COLOUR = (224, 224, 192)  # PASCAL VOC's colour of 'void' (255)


def voc_palette(num_classes):
    """The PASCAL VOC colour map (index -> RGB) for ``num_classes`` indices."""
    palette = []
    for i in range(num_classes):
        rgb, c = [0, 0, 0], i
        for j in range(8):
            for ch in range(3):
                rgb[ch] |= ((c >> ch) & 1) << (7 - j)
            c >>= 3
        palette.append(rgb)
    return palette


def palette_png(label, palette=None):
    """An (H, W) class-index map as an indexed PIL image, VOC style.

    Args:
        label (np.ndarray): (H, W) integer class indices, 255 = ignore.
        palette (Sequence, optional): RGB per class; the VOC colour map when None.
            Defaults to None.

    Returns:
        PIL.Image.Image: mode ``'P'``; index 255 has VOC's void colour.
    """
    img = Image.fromarray(np.asarray(label).astype(np.uint8), mode='P')
    colours = np.asarray(voc_palette(256), np.uint8)
    if palette is not None:
        colours[:len(palette)] = np.asarray(palette, np.uint8)[:256]
    colours[255] = VOID_COLOUR
    img.putpalette(colours.flatten().tolist())
    return img


def save_label_png(path, label, palette=None):
    """Write an (H, W) label map as an indexed PNG (:func:`palette_png`),
    atomically."""
    img = palette_png(label, palette)
    write_atomic(path, lambda f: img.save(f, format='PNG'))


def load_label_png(path):
    """An (H, W) uint8 label map from a single-channel PNG (indexed or grey), the
    counterpart of :func:`save_label_png`. A missing file is a
    ``FileNotFoundError``, a multi-channel image a ``ValueError``, both naming it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found')
    with Image.open(path) as img:
        label = np.array(img)
    if label.ndim != 2:
        raise ValueError(f'{path} has shape {label.shape}; a label map is a '
                         'single-channel PNG of class indices')
    return label

"""The on-disk formats of per-image results (CAMs, label PNGs)."""
import os
import os.path as osp

import numpy as np
from PIL import Image


def image_id(img_path):
    """The file stem of an image: the key of its result file."""
    return osp.splitext(osp.basename(img_path))[0]


def write_atomic(path, write):
    """Call ``write(file)`` on a temporary file, then rename it to ``path``.

    A killed process leaves at most a ``.tmp`` file, never a half-written ``path``.
    """
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        write(f)
    os.replace(tmp, path)


def save_cams(path, fields, keys):
    """Write maps as ``<id>.npz``: ``keys`` (k,) int64 class ids and, per field
    (``cams``, ``cams_plain``), the (k, H, W) maps of those classes as uint8 (the
    [0, 1] maps quantised to steps of 1/255), zlib-compressed."""
    arrays = {name: quantise(maps[keys]) for name, maps in fields.items()}
    write_atomic(path, lambda f: np.savez_compressed(f, keys=keys, **arrays))


def quantise(maps):
    return np.round(np.clip(maps, 0, 1) * 255).astype(np.uint8)


def load_cams(path, num_classes=None):
    """Read ``save_cams`` files: (keys (k,), {field: (K, H, W) float32 with zeros
    for the classes not stored}) when ``num_classes`` is given, else the stored
    (k, H, W) maps."""
    with np.load(path) as f:
        keys = f['keys']
        fields = {n: f[n].astype(np.float32) / 255 for n in f.files if n != 'keys'}
    if num_classes is not None:
        for name, maps in fields.items():
            full = np.zeros((num_classes, ) + maps.shape[1:], np.float32)
            full[keys] = maps
            fields[name] = full
    return keys, fields


def save_label_png(path, label, palette):
    """Write an (H, W) label map as an indexed PNG with ``palette`` (VOC style);
    255 (ignore) is painted white."""
    img = Image.fromarray(label.astype(np.uint8), mode='P')
    colours = np.zeros((256, 3), np.uint8)
    colours[:len(palette)] = np.asarray(palette, np.uint8)
    colours[255] = 255
    img.putpalette(colours.flatten().tolist())
    write_atomic(path, lambda f: img.save(f, format='PNG'))

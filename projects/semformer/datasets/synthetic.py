"""A synthetic shape world in the PASCAL VOC layout, for CPU-sized WSSS experiments.

Classes are defined by **shape** only: every object gets a random colour pair and a
random texture, and the background is drawn from the same texture family plus
distractor strokes that belong to no class. Objects occlude each other; masks are
exact after occlusion and the image-level labels are the classes left in the mask.
"""
import json
import os
import os.path as osp
import shutil
import xml.etree.ElementTree as ET
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw

from ..utils.atomic import write_text_atomic
from ..utils.result_files import palette_png, voc_palette  # noqa: F401
from .label_files import write_label_file
from .shapes import PRETRAIN_SHAPES, SHAPE_LIBRARY, WSSS_SHAPES, shape_mask

#: the file that marks a tree written by make_synthetic_voc (its settings)
MARKER = 'synthetic.json'
SHAPE_CLASSES = ('background', ) + WSSS_SHAPES
PRETRAIN_CLASSES = ('background', ) + PRETRAIN_SHAPES
IGNORE_INDEX = 255



PALETTE = voc_palette(len(SHAPE_CLASSES))

# clutter level -> (background texture contrast, number of distractor strokes)
CLUTTER = {'low': (0.25, (0, 2)), 'medium': (0.5, (2, 5)), 'high': (0.8, (4, 9))}
MIN_VISIBLE = 0.6  # every object keeps at least this fraction of its area visible


TEXTURES = ('solid', 'stripes', 'checker', 'blotches', 'gradient')


def _texture(rng, size, contrast=1.0, kinds=TEXTURES):
    """A random (size, size, 3) float texture in [0, 1] of one of ``kinds``."""
    c1 = rng.uniform(0, 1, 3)
    c2 = np.clip(c1 + contrast * rng.uniform(-0.8, 0.8, 3), 0, 1)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    kind = TEXTURES.index(kinds[rng.integers(0, len(kinds))])
    if kind == 0:  # solid
        t = np.zeros((size, size))
    elif kind == 1:  # stripes
        ang = rng.uniform(0, np.pi)
        period = rng.uniform(3, 10)
        t = (np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * 2 * np.pi / period) > 0)
    elif kind == 2:  # checker
        p = rng.integers(3, 9)
        t = ((xx // p + yy // p) % 2)
    elif kind == 3:  # smooth blotches
        g = rng.uniform(0, 1, (5, 5))
        t = np.asarray(
            Image.fromarray((g * 255).astype(np.uint8)).resize(
                (size, size), Image.BICUBIC), np.float64) / 255
    else:  # gradient
        ang = rng.uniform(0, 2 * np.pi)
        t = (xx * np.cos(ang) + yy * np.sin(ang))
        t = (t - t.min()) / (np.ptp(t) + 1e-6)
    t = np.asarray(t, np.float64)[..., None]
    img = c1 * (1 - t) + c2 * t
    img += rng.normal(0, 0.03, img.shape)
    return np.clip(img, 0, 1)


def render_sample(rng, size=64, clutter='low', max_objects=3, classes=SHAPE_CLASSES,
                  min_objects=1, radius_range=(0.14, 0.3), object_textures=TEXTURES):
    """Render one image.

    Args:
        rng (np.random.Generator): the only source of randomness.
        size (int): image side in pixels. Defaults to 64.
        clutter (str): a key of ``CLUTTER``. Defaults to ``'low'``.
        max_objects (int), min_objects (int): objects per image, drawn uniformly.
            Defaults to 3 and 1.
        classes (sequence[str]): background first, then names of
            :data:`semformer.datasets.shapes.SHAPE_LIBRARY`. Defaults to
            ``SHAPE_CLASSES``.
        radius_range (tuple[float]): object radius as a fraction of ``size``.
            Defaults to (0.14, 0.3).
        object_textures (sequence[str]): the texture kinds objects are drawn
            with. Defaults to all of ``TEXTURES``.

    Returns:
        tuple: ``img`` (size, size, 3) uint8, ``mask`` (size, size) uint8 with class
        indices into ``classes``, ``objects`` a list of (class name, bbox).
    """
    contrast, strokes = CLUTTER[clutter]
    img = _texture(rng, size, contrast)
    canvas = Image.fromarray((img * 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(strokes[0], strokes[1] + 1)):
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        width = int(rng.integers(1, 4))
        pts = [tuple(p) for p in rng.uniform(0, size, (int(rng.integers(2, 5)), 2))]
        if rng.random() < 0.5:
            draw.line(pts, fill=col, width=width)
        else:
            box = sorted(rng.uniform(0, size, 2)), sorted(rng.uniform(0, size, 2))
            draw.arc([box[0][0], box[1][0], box[0][1] + 1, box[1][1] + 1],
                     start=float(rng.uniform(0, 360)),
                     end=float(rng.uniform(0, 360)), fill=col, width=width)
    img = np.asarray(canvas, np.float64) / 255

    mask = np.zeros((size, size), np.uint8)
    owner = np.full((size, size), -1, np.int64)  # which object owns each pixel
    objects, areas = [], []
    for _ in range(rng.integers(min_objects, max_objects + 1)):
        for _attempt in range(20):
            cls = int(rng.integers(1, len(classes)))
            m = shape_mask(rng, classes[cls], size, radius_range)
            new_owner = np.where(m, len(objects), owner)
            visible = [(new_owner == j).sum() / areas[j] for j in range(len(objects))]
            if m.sum() >= 30 and all(v >= MIN_VISIBLE for v in visible):
                break
        else:
            continue
        owner = new_owner
        areas.append(m.sum())
        objects.append(cls)
        tex = _texture(rng, size, kinds=object_textures)
        img = np.where(m[..., None], tex, img)
        mask[m] = cls
    out = []
    for j, cls in enumerate(objects):
        ys, xs = np.nonzero(owner == j)
        out.append((classes[cls],
                    (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))))
    return (img * 255).round().astype(np.uint8), mask, out


def _write_xml(path, img_id, size, objects):
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'VOC2012'
    ET.SubElement(root, 'filename').text = img_id + '.jpg'
    sz = ET.SubElement(root, 'size')
    for k, v in (('width', size), ('height', size), ('depth', 3)):
        ET.SubElement(sz, k).text = str(v)
    for name, (x0, y0, x1, y1) in objects:
        obj = ET.SubElement(root, 'object')
        ET.SubElement(obj, 'name').text = name
        ET.SubElement(obj, 'difficult').text = '0'
        box = ET.SubElement(obj, 'bndbox')
        for k, v in (('xmin', x0), ('ymin', y0), ('xmax', x1), ('ymax', y1)):
            ET.SubElement(box, k).text = str(v + 1)  # VOC boxes are 1-based
    ET.ElementTree(root).write(path)



WORLDS = {
    # name -> classes (background first)
    'wsss': SHAPE_CLASSES,
    'pretrain': PRETRAIN_CLASSES,
}


def make_synthetic_voc(out_dir, seed=0, num_train=2000, num_val=300, size=64,
                       clutter='low', progress=True, world='wsss', min_objects=1,
                       max_objects=3, radius_range=(0.14, 0.3), object_textures=TEXTURES,
                       shapes=None):
    """Write a synthetic world as ``out_dir/VOC2012`` in the VOC layout.

    Files: ``JPEGImages/*.jpg``, ``SegmentationClass/*.png`` (palette),
    ``Annotations/*.xml``, ``ImageSets/Segmentation/{train,val}.txt``, the label
    file ``cls_labels.json`` (see :func:`semformer.datasets.write_label_file`) and
    ``classes.txt`` (one name a line, background first). Image ``i`` of a split
    depends only on (seed, split, i).

    Args:
        out_dir (str): parent of ``VOC2012``.
        seed (int): world seed; ids are ``{split}_{seed:04d}_{i:05d}``, so worlds
            of different seeds never share an image. Defaults to 0.
        num_train (int), num_val (int): images per split. Defaults to 2000, 300.
        size (int): image side. Defaults to 64.
        clutter (str): a key of ``CLUTTER``. Defaults to ``'low'``.
        progress (bool): show a progress bar. Defaults to True.
        world (str): ``'wsss'`` (the 6 WSSS shapes) or ``'pretrain'`` (the 32
            pretraining shapes, a superset). Defaults to ``'wsss'``.
        min_objects (int), max_objects (int): objects per image. Defaults to 1, 3.
        radius_range (tuple[float]): object radius as a fraction of ``size``.
            Defaults to (0.14, 0.3).
        object_textures (sequence[str]): the texture kinds objects are drawn
            with. Defaults to all of ``TEXTURES``.
        shapes (sequence[str], optional): the foreground classes, names of
            :data:`semformer.datasets.shapes.SHAPE_LIBRARY`, instead of ``world``'s
            (e.g. a second world with other classes). Defaults to None.

    Returns:
        str: the ``VOC2012`` directory.
    """
    from tqdm import tqdm

    classes = world_classes(world, shapes)
    root = osp.join(out_dir, 'VOC2012')
    settings = synthetic_settings(seed, num_train, num_val, size, clutter, world,
                                  min_objects, max_objects, radius_range, object_textures,
                                  shapes)
    # marks the tree as the generator's before anything else is written, so an
    # interrupted one is rewritten by ensure_synthetic_voc (the final marker, without
    # 'complete', is written last)
    os.makedirs(root, exist_ok=True)
    write_text_atomic(osp.join(root, MARKER),
                      json.dumps(dict(settings, complete=False), indent=1))
    for sub in ('JPEGImages', 'SegmentationClass', 'Annotations',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    labels = {}
    jobs = [('train', 0, num_train), ('val', 1, num_val)]
    bar = tqdm(total=num_train + num_val, desc='synthetic images', disable=not progress)
    for split, split_id, n in jobs:
        ids = []
        for i in range(n):
            img_id = f'{split}_{seed:04d}_{i:05d}'
            rng = np.random.default_rng([seed, split_id, i])
            img, mask, objects = render_sample(rng, size, clutter, max_objects, classes,
                                               min_objects, radius_range, object_textures)
            Image.fromarray(img).save(osp.join(root, 'JPEGImages', img_id + '.jpg'),
                                      quality=95)
            palette_png(mask).save(osp.join(root, 'SegmentationClass', img_id + '.png'))
            _write_xml(osp.join(root, 'Annotations', img_id + '.xml'), img_id, size,
                       objects)
            present = np.unique(mask)
            labels[img_id] = [int(c in present) or int(c == 0)
                              for c in range(len(classes))]
            ids.append(img_id)
            bar.update()
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    bar.close()
    write_label_file(osp.join(root, 'cls_labels.json'), classes, labels)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    write_text_atomic(osp.join(root, MARKER), json.dumps(settings, indent=1))
    return root


def world_classes(world='wsss', shapes=None):
    """The class names (background first) of a world or of a list of shapes."""
    if shapes is None:
        return WORLDS[world]
    unknown = [s for s in shapes if s not in SHAPE_LIBRARY]
    if unknown or len(set(shapes)) != len(shapes) or not shapes:
        raise ValueError(f'shapes must be distinct names of the shape library, got '
                         f'{list(shapes)}; known: {sorted(SHAPE_LIBRARY)}')
    return ('background', ) + tuple(shapes)


def synthetic_settings(seed=0, num_train=2000, num_val=300, size=64, clutter='low',
                       world='wsss', min_objects=1, max_objects=3,
                       radius_range=(0.14, 0.3), object_textures=TEXTURES, shapes=None):
    """What ``synthetic.json`` records for a set made with these arguments."""
    return dict(seed=seed, num_train=num_train, num_val=num_val, size=size,
                clutter=clutter, classes=list(world_classes(world, shapes)),
                world=world if shapes is None else 'custom',
                objects=[min_objects, max_objects], radius=list(radius_range),
                object_textures=list(object_textures))


#: settings a world may change and still be replaced by a resized one of the
#: same kind (the main job's --num-train / --num-val)
RESIZABLE = ('num_train', 'num_val')


def world_differences(marker: Optional[dict], settings: dict) -> List[str]:
    """The settings in which a written world (its marker) differs from
    ``settings``, apart from its size (:data:`RESIZABLE`) and settings its marker
    does not record (an older generator's), as ``'key: found (expected)'`` lines;
    empty for an absent or interrupted world."""
    if not marker or marker.get('complete', True) is False:
        return []
    expected = json.loads(json.dumps(settings))
    return [f'{k}: {marker[k]} ({expected[k]} expected)' for k in expected
            if k not in RESIZABLE and k in marker and marker[k] != expected[k]]


def ensure_synthetic_voc(out_dir, force=False, progress=True, **kwargs):
    """:func:`make_synthetic_voc` unless ``out_dir`` already holds that set.

    The set is identified by its ``synthetic.json``. An interrupted set, or one
    that differs only in its number of images, is removed first; one made with
    other settings (seed, classes, image size, ...) only with ``force``. A
    non-empty ``VOC2012`` folder without ``synthetic.json`` (a dataset this
    function did not write) is never removed, not even with ``force``.

    Args:
        out_dir (str): parent of ``VOC2012``.
        force (bool): rewrite even an identical set, or one made with other
            settings (one this function wrote). Defaults to False.
        progress (bool): show a progress bar. Defaults to True.
        **kwargs: the arguments of :func:`make_synthetic_voc`.

    Returns:
        tuple[str, bool]: the ``VOC2012`` directory and whether it was written.

    Raises:
        FileExistsError: ``out_dir/VOC2012`` exists without ``synthetic.json``,
            or (without ``force``) holds a set made with other settings.
    """
    root = osp.join(out_dir, 'VOC2012')
    if osp.isdir(root) and os.listdir(root) and not osp.isfile(osp.join(root, MARKER)):
        raise FileExistsError(
            f'{root} holds a dataset that make_synthetic_voc did not write (no '
            'synthetic.json); it is left as is. To run the WSSS chain on it: '
            f'python tools/run_pipeline.py --dataset folder --data-root {root}')
    names = ('seed', 'num_train', 'num_val', 'size', 'clutter', 'world', 'min_objects',
             'max_objects', 'radius_range', 'object_textures', 'shapes')
    settings = synthetic_settings(**{k: v for k, v in kwargs.items() if k in names})
    marker = read_marker(root)
    if not force and marker == json.loads(json.dumps(settings)):
        return root, False
    differences = world_differences(marker, settings)
    if differences and not force:
        raise FileExistsError(
            f'{root} holds a synthetic set made with other settings '
            f'({"; ".join(differences)}); it is left as is. Move it away, rewrite it '
            '(make_synthetic_voc --force), or run the WSSS chain on it: '
            f'python tools/run_pipeline.py --dataset folder --data-root {root}')
    if osp.isdir(root):
        shutil.rmtree(root)
    make_synthetic_voc(out_dir, progress=progress, **kwargs)
    return root, True


def read_marker(voc_root: str) -> Optional[dict]:
    """The settings in ``voc_root/synthetic.json``; None without that file, and
    ``{'complete': False}`` for an unreadable one (a tree whose writing stopped)."""
    path = osp.join(voc_root, MARKER)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        return dict(complete=False)


def other_dataset(voc_root: str, classes: Sequence[str],
                  settings: Optional[dict] = None) -> Optional[str]:
    """Why ``voc_root`` holds a dataset other than a synthetic world of ``classes``.

    Args:
        voc_root (str): a ``VOC2012`` folder.
        classes (Sequence[str]): the world's class names, background first.
        settings (dict, optional): the world's :func:`synthetic_settings`; a set
            that differs from them in more than its number of images is another
            dataset too. Defaults to None (classes only).

    Returns:
        str | None: the reason, or None when ``voc_root`` is missing or empty, or
        holds a set written by :func:`make_synthetic_voc` with these classes
        (and these settings but for the number of images) or one whose writing
        stopped: the sets :func:`ensure_synthetic_voc` may rewrite.
    """
    if not osp.isdir(voc_root) or not os.listdir(voc_root):
        return None
    marker = read_marker(voc_root)
    if marker is None:
        return f'{voc_root} holds a dataset without {MARKER}'
    if marker.get('complete', True) is False:
        return None
    found = marker.get('classes')
    if found != list(classes):
        return (f'{voc_root} holds a synthetic world of other classes '
                f'({", ".join(found[1:] if found else [])})')
    differences = world_differences(marker, settings) if settings else []
    if differences:
        return (f'{voc_root} holds a synthetic world made with other settings '
                f'({"; ".join(differences)})')
    return None


def contact_sheet(voc_root, path, num=12, cols=6, scale=2):
    """Save a PNG grid of images (top) and their palette masks (below) with labels."""
    with open(osp.join(voc_root, 'ImageSets/Segmentation/train.txt')) as f:
        ids = f.read().split()[:num]
    with open(osp.join(voc_root, 'classes.txt')) as f:
        classes = f.read().split()
    tiles = []
    for img_id in ids:
        img = Image.open(osp.join(voc_root, 'JPEGImages', img_id + '.jpg')).convert('RGB')
        mask = Image.open(osp.join(voc_root, 'SegmentationClass', img_id + '.png'))
        names = [classes[c] for c in np.unique(np.asarray(mask)) if c != 0]
        w, h = img.size
        tile = Image.new('RGB', (w * scale, 2 * h * scale + 12), 'white')
        tile.paste(img.resize((w * scale, h * scale), Image.NEAREST), (0, 0))
        tile.paste(mask.convert('RGB').resize((w * scale, h * scale), Image.NEAREST),
                   (0, h * scale))
        ImageDraw.Draw(tile).text((2, 2 * h * scale), ','.join(names), fill='black')
        tiles.append(tile)
    tw, th = tiles[0].size
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new('RGB', (cols * (tw + 4), rows * (th + 4)), 'white')
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % cols) * (tw + 4), (k // cols) * (th + 4)))
    sheet.save(path)
    return path

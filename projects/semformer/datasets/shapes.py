"""A library of shape classes for the synthetic worlds.

Every shape is a list of ``(polygon, fill)`` layers in unit coordinates (the shape
fits in the disc of radius 1 around the origin); ``fill`` 1 paints, 0 cuts a hole.
:func:`shape_mask` places one shape with a random rotation, radius and aspect
jitter on a canvas. Classes differ by outline only: colour and texture are drawn
per object by the renderer, never per class.

``WSSS_SHAPES`` are the six foreground classes of the embedded WSSS world;
``PRETRAIN_SHAPES`` (32 classes, a superset) are the classes of the pretraining
world, the stand-in for ImageNet.
"""
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

Layer = Tuple[np.ndarray, int]  # (N, 2) unit-coordinate polygon, fill 1 or 0


def _ngon(n: int, r: float = 1.0, phase: float = np.pi / 2) -> np.ndarray:
    ang = phase + np.arange(n) * 2 * np.pi / n
    return np.stack([r * np.cos(ang), r * np.sin(ang)], 1)


def _ellipse(rx: float, ry: float, cx: float = 0.0, cy: float = 0.0,
             start: float = 0.0, end: float = 2 * np.pi, n: int = 48) -> np.ndarray:
    ang = np.linspace(start, end, n, endpoint=(end - start) < 2 * np.pi - 1e-6)
    return np.stack([cx + rx * np.cos(ang), cy + ry * np.sin(ang)], 1)


def _star(points: int, inner: float) -> np.ndarray:
    ang = np.pi / 2 + np.arange(2 * points) * np.pi / points
    rad = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1)


def _poly(*pts) -> np.ndarray:
    return np.asarray(pts, np.float64)


def _circle(rng):
    return [(_ellipse(1.0, rng.uniform(0.85, 1.15)), 1)]


def _triangle(rng):
    ang = np.array([90, 210, 330]) * np.pi / 180 + rng.uniform(-0.15, 0.15, 3)
    return [(np.stack([np.cos(ang), np.sin(ang)], 1), 1)]


def _square(rng):
    a = 0.8
    b = a * rng.uniform(0.8, 1.2)
    return [(_poly((-a, -b), (a, -b), (a, b), (-a, b)), 1)]


def _star5(rng):
    return [(_star(5, rng.uniform(0.38, 0.5)), 1)]


def _cross(rng):
    w = rng.uniform(0.3, 0.4)
    return [(_poly((-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1),
                   (-w, w), (-1, w), (-1, -w), (-w, -w)), 1)]


def _ring(rng):
    ry = rng.uniform(0.85, 1.15)
    k = rng.uniform(0.45, 0.6)
    return [(_ellipse(1.0, ry), 1), (_ellipse(k, ry * k), 0)]


def _regular(n):
    def make(rng):
        return [(_ngon(n, 1.0, rng.uniform(0, 2 * np.pi)), 1)]
    return make


def _rhombus(rng):
    b = rng.uniform(0.45, 0.6)
    return [(_poly((0, -1), (b, 0), (0, 1), (-b, 0)), 1)]


def _trapezoid(rng):
    top = rng.uniform(0.3, 0.5)
    return [(_poly((-1, 0.6), (1, 0.6), (top, -0.6), (-top, -0.6)), 1)]


def _parallelogram(rng):
    s = rng.uniform(0.35, 0.5)
    return [(_poly((-1, 0.5), (1 - 2 * s, 0.5), (1, -0.5), (-1 + 2 * s, -0.5)), 1)]


def _semicircle(rng):
    return [(_ellipse(1.0, 1.0, 0, -0.3, 0, np.pi, 33), 1)]


def _crescent(rng):
    off = rng.uniform(0.35, 0.5)
    return [(_ellipse(1.0, 1.0), 1), (_ellipse(0.85, 0.85, off, 0), 0)]


def _heart(rng):
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    x = 16 * np.sin(t)**3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [(np.stack([x, y + 2.5], 1) / 17.0, 1)]


def _arrow(rng):
    w = rng.uniform(0.18, 0.26)
    return [(_poly((-1, -w), (0.1, -w), (0.1, -0.65), (1, 0), (0.1, 0.65), (0.1, w),
                   (-1, w)), 1)]


def _lshape(rng):
    w = rng.uniform(0.4, 0.55)
    return [(_poly((-0.8, -1), (-0.8 + w, -1), (-0.8 + w, 1 - w), (0.8, 1 - w), (0.8, 1),
                   (-0.8, 1)), 1)]


def _tshape(rng):
    w = rng.uniform(0.22, 0.3)
    return [(_poly((-1, -0.9), (1, -0.9), (1, -0.9 + 2 * w), (w, -0.9 + 2 * w), (w, 0.9),
                   (-w, 0.9), (-w, -0.9 + 2 * w), (-1, -0.9 + 2 * w)), 1)]


def _chevron(rng):
    d = rng.uniform(0.4, 0.55)
    return [(_poly((-1, -0.7), (0, 0.3), (1, -0.7), (1, -0.7 + d), (0, 0.3 + d),
                   (-1, -0.7 + d)), 1)]


def _star4(rng):
    return [(_star(4, rng.uniform(0.3, 0.42)), 1)]


def _star6(rng):
    return [(_star(6, rng.uniform(0.5, 0.6)), 1)]


def _frame(rng):
    k = rng.uniform(0.5, 0.62)
    sq = _poly((-0.8, -0.8), (0.8, -0.8), (0.8, 0.8), (-0.8, 0.8))
    return [(sq, 1), (sq * k, 0)]


def _teardrop(rng):
    t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    x = np.sin(t) * np.sin(t / 2)**1.3
    y = -np.cos(t)
    return [(np.stack([x * 0.9, y], 1), 1)]


def _bowtie(rng):
    m = rng.uniform(0.15, 0.25)
    return [(_poly((-1, -0.75), (0, -m), (1, -0.75), (1, 0.75), (0, m), (-1, 0.75)), 1)]


def _gear(rng):
    teeth = int(rng.integers(6, 9))
    ang = np.linspace(0, 2 * np.pi, teeth * 8, endpoint=False)
    rad = np.where((np.arange(teeth * 8) // 4) % 2 == 0, 1.0, 0.75)
    return [(np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1), 1),
            (_ellipse(0.3, 0.3), 0)]


def _sector(rng):
    half = rng.uniform(0.2, 0.25) * np.pi
    arc = _ellipse(1.4, 1.4, -0.5, 0, -half, half, 24)
    return [(np.concatenate([[[-0.5, 0.0]], arc]), 1)]


def _ellipse_long(rng):
    return [(_ellipse(1.0, rng.uniform(0.4, 0.55)), 1)]


def _ushape(rng):
    w = rng.uniform(0.3, 0.4)
    return [(_poly((-0.8, -1), (-0.8 + w, -1), (-0.8 + w, 0.8 - w), (0.8 - w, 0.8 - w),
                   (0.8 - w, -1), (0.8, -1), (0.8, 0.8), (-0.8, 0.8)), 1)]


def _lightning(rng):
    return [(_poly((-0.2, -1), (0.5, -1), (0.1, -0.15), (0.6, -0.15), (-0.35, 1),
                   (-0.05, 0.15), (-0.55, 0.15)), 1)]


def _cloud(rng):
    layers = []
    for cx, cy, r in ((-0.5, 0.2, 0.45), (0.0, -0.15, 0.6), (0.5, 0.2, 0.45),
                      (0.0, 0.35, 0.45)):
        layers.append((_ellipse(r, r, cx, cy), 1))
    return layers


def _dumbbell(rng):
    r = rng.uniform(0.35, 0.42)
    w = rng.uniform(0.1, 0.16)
    return [(_ellipse(r, r, -1 + r, 0), 1), (_ellipse(r, r, 1 - r, 0), 1),
            (_poly((-0.6, -w), (0.6, -w), (0.6, w), (-0.6, w)), 1)]


def _triangle_frame(rng):
    tri = _ngon(3)
    return [(tri, 1), (tri * rng.uniform(0.4, 0.5), 0)]


SHAPE_LIBRARY: Dict[str, Callable[[np.random.Generator], List[Layer]]] = {
    'circle': _circle, 'triangle': _triangle, 'square': _square, 'star': _star5,
    'cross': _cross, 'ring': _ring, 'pentagon': _regular(5), 'hexagon': _regular(6),
    'octagon': _regular(8), 'rhombus': _rhombus, 'trapezoid': _trapezoid,
    'parallelogram': _parallelogram, 'semicircle': _semicircle, 'crescent': _crescent,
    'heart': _heart, 'arrow': _arrow, 'l-shape': _lshape, 't-shape': _tshape,
    'chevron': _chevron, 'star4': _star4, 'star6': _star6, 'frame': _frame,
    'teardrop': _teardrop, 'bowtie': _bowtie, 'gear': _gear, 'sector': _sector,
    'ellipse': _ellipse_long, 'u-shape': _ushape, 'lightning': _lightning,
    'cloud': _cloud, 'dumbbell': _dumbbell, 'triangle-frame': _triangle_frame,
}
WSSS_SHAPES = ('circle', 'triangle', 'square', 'star', 'cross', 'ring')
PRETRAIN_SHAPES = tuple(SHAPE_LIBRARY)


def shape_mask(rng: np.random.Generator, name: str, size: int,
               radius_range: Sequence[float] = (0.14, 0.3)) -> np.ndarray:
    """A (size, size) bool mask of one ``name`` object at a random place.

    The radius is ``uniform(radius_range) * size``, the rotation uniform, the
    centre keeps at least 60 % of the radius inside the image.
    """
    if name not in SHAPE_LIBRARY:
        raise KeyError(f'unknown shape {name!r}; known: {sorted(SHAPE_LIBRARY)}')
    r = rng.uniform(*radius_range) * size
    cx, cy = rng.uniform(r * 0.6, size - r * 0.6, 2)
    rot = rng.uniform(0, 2 * np.pi)
    c, s = np.cos(rot), np.sin(rot)
    canvas = Image.new('L', (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    for pts, fill in SHAPE_LIBRARY[name](rng):
        x = (pts[:, 0] * c - pts[:, 1] * s) * r + cx
        y = (pts[:, 0] * s + pts[:, 1] * c) * r + cy
        draw.polygon(list(zip(x.tolist(), y.tolist())), fill=fill)
    return np.asarray(canvas, bool)

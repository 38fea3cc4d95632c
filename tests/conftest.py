import logging
import os
import os.path as osp
from contextlib import contextmanager
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from mmseg.utils import register_all_modules

import semformer  # noqa: F401  (registers the components)
from semformer.datasets.synthetic import make_synthetic_voc, palette_png

register_all_modules(init_default_scope=True)

@contextmanager
def capture_log(level=logging.DEBUG):
    """The records (``level`` and above) that reach mmengine's current logger."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    records, old = [], logger.level
    handler = logging.Handler(level)
    handler.emit = records.append
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

# A small PASCAL VOC 2012 + SBD tree in the real layout: image id -> (XML objects as
# (name, difficult), mask classes or None). 2011_003276 has no XML (SBD-only style).
VOC_IMAGES = {
    '2007_000032': ([('aeroplane', 0), ('aeroplane', 0), ('person', 1)], [1, 15]),
    '2007_000039': ([('tvmonitor', 0)], [20]),
    '2008_000002': ([('dog', 0), ('chair', 0)], [8, 12]),
    '2011_003276': (None, [3, 7]),
}
VOC_SPLITS = {
    'train': ['2007_000032', '2007_000039'],
    'trainaug': ['2007_000032', '2008_000002', '2011_003276'],
    'val': ['2007_000039'],
}


def _voc_mask(classes, h=30, w=40):
    mask = np.zeros((h, w), np.uint8)
    for k, c in enumerate(classes):
        mask[5:20, 2 + 12 * k:10 + 12 * k] = c
    mask[20, :] = 255  # a void border, as in VOC
    return mask


def _voc_xml(path, objects):
    root = ET.Element('annotation')
    size = ET.SubElement(root, 'size')
    ET.SubElement(size, 'width').text = '40'
    ET.SubElement(size, 'height').text = '30'
    for name, difficult in objects:
        obj = ET.SubElement(root, 'object')
        ET.SubElement(obj, 'name').text = name
        ET.SubElement(obj, 'difficult').text = str(difficult)
    ET.ElementTree(root).write(path)


def write_voc_tree(base):
    """Write the tree above under ``base/VOCdevkit/VOC2012``; return that folder."""
    root = osp.join(base, 'VOCdevkit', 'VOC2012')
    for sub in ('JPEGImages', 'Annotations', 'SegmentationClass',
                'SegmentationClassAug', 'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    rng = np.random.default_rng(0)
    for img_id, (objects, classes) in VOC_IMAGES.items():
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), np.uint8)).save(
            osp.join(root, 'JPEGImages', img_id + '.jpg'))
        if objects is not None:
            _voc_xml(osp.join(root, 'Annotations', img_id + '.xml'), objects)
        mask = _voc_mask(classes)
        # SegmentationClassAug holds plain index PNGs; SegmentationClass palette ones.
        Image.fromarray(mask).save(osp.join(root, 'SegmentationClassAug', img_id + '.png'))
        if img_id in VOC_SPLITS['train'] + VOC_SPLITS['val']:
            palette_png(mask).save(osp.join(root, 'SegmentationClass', img_id + '.png'))
    for split, ids in VOC_SPLITS.items():
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    return root


@pytest.fixture
def voc_root(tmp_path):
    return write_voc_tree(str(tmp_path))


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A tiny synthetic set: 24 train + 8 val images at 48 px (session-wide, read-only)."""
    out = tmp_path_factory.mktemp('synthetic')
    return make_synthetic_voc(str(out), seed=3, num_train=24, num_val=8, size=48,
                              progress=False)


def lr_curve(param_scheduler, lr, iters):
    """The learning rate of each of ``iters`` iterations under the config's
    ``param_scheduler`` list, stepped as mmengine's runner steps it."""
    import torch
    from mmengine.registry import PARAM_SCHEDULERS
    optim = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optim)) for s in param_scheduler]
    lrs = []
    for _ in range(iters):
        lrs.append(optim.param_groups[0]['lr'])
        optim.step()
        for s in schedulers:
            s.step()
    return lrs


def load_tool(path, name=None):
    """The module of a script under the repository (e.g. ``'tools/test.py'``), loaded
    from its file: the tools are scripts, not a package."""
    import importlib.util
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seg_loss_history(model, inputs, samples, steps=8, lr=3e-3):
    """``loss_seg`` of a single-stage WSSS model (AFA, ToCo) over ``steps`` AdamW
    steps on ``L_seg`` alone that train only its segmentation head, so that the
    online pseudo labels stay fixed. The random views are the same in every run."""
    import torch
    optim = torch.optim.AdamW(model.decode_head.parameters(), lr=lr)
    history = []
    for step in range(steps):
        torch.manual_seed(step)
        loss = model.loss(inputs, samples)['loss_seg']
        history.append(loss.item())
        optim.zero_grad()
        loss.backward()
        optim.step()
    return history

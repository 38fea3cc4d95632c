import hashlib
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from semformer.datasets import SHAPE_CLASSES, labels_from_xml, make_synthetic_voc
from semformer.datasets.synthetic import MIN_VISIBLE, render_sample


def _digest(root, split):
    h = hashlib.sha256()
    ids = open(osp.join(root, 'ImageSets/Segmentation', split + '.txt')).read().split()
    for img_id in ids:
        for sub, ext in (('JPEGImages', '.jpg'), ('SegmentationClass', '.png')):
            h.update(open(osp.join(root, sub, img_id + ext), 'rb').read())
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path):
    a = make_synthetic_voc(str(tmp_path / 'a'), seed=7, num_train=6, num_val=2,
                           size=40, progress=False)
    b = make_synthetic_voc(str(tmp_path / 'b'), seed=7, num_train=6, num_val=2,
                           size=40, progress=False)
    c = make_synthetic_voc(str(tmp_path / 'c'), seed=8, num_train=6, num_val=2,
                           size=40, progress=False)
    assert _digest(a, 'train') == _digest(b, 'train')
    assert _digest(a, 'val') == _digest(b, 'val')
    assert _digest(a, 'train') != _digest(c, 'train')


def test_labels_are_the_classes_in_the_masks(synthetic_root):
    content = json.load(open(osp.join(synthetic_root, 'cls_labels.json')))
    assert content['classes'] == list(SHAPE_CLASSES)
    ids = open(osp.join(synthetic_root, 'ImageSets/Segmentation/train.txt')).read().split()
    assert len(ids) == 24
    for img_id in ids:
        mask = np.asarray(Image.open(osp.join(synthetic_root, 'SegmentationClass',
                                              img_id + '.png')))
        assert Image.open(osp.join(synthetic_root, 'SegmentationClass',
                                   img_id + '.png')).mode == 'P'
        expected = np.zeros(len(SHAPE_CLASSES), int)
        expected[np.unique(mask)] = 1
        expected[0] = 1
        assert content['labels'][img_id] == expected.tolist()
        assert 1 <= expected[1:].sum() <= 3
        # the XML annotations name the same classes
        xml = labels_from_xml(osp.join(synthetic_root, 'Annotations', img_id + '.xml'),
                              SHAPE_CLASSES)
        assert (xml[1:] == expected[1:]).all()


def test_objects_stay_visible_after_occlusion():
    for i in range(40):
        rng = np.random.default_rng([1, i])
        img, mask, objects = render_sample(rng, 64)
        assert img.shape == (64, 64, 3) and img.dtype == np.uint8
        assert 1 <= len(objects) <= 3
        for name, (x0, y0, x1, y1) in objects:
            cls = SHAPE_CLASSES.index(name)
            box = mask[y0:y1 + 1, x0:x1 + 1]
            # the box is tight around pixels of that class
            assert (box == cls).any()
            assert (box == cls).sum() >= 30 * MIN_VISIBLE / 2


def test_colour_does_not_identify_the_class():
    """Mean object colour of one class spreads over the whole range."""
    means = []
    for i in range(60):
        img, mask, _ = render_sample(np.random.default_rng([2, i]), 64)
        if (mask == 1).sum() > 50:
            means.append(img[mask == 1].mean(0))
    means = np.array(means)
    assert len(means) >= 5
    assert (means.max(0) - means.min(0) > 100).all()


def test_tool_writes_tree_and_contact_sheet(tmp_path):
    out = tmp_path / 'syn'
    cmd = [sys.executable, osp.join(REPO, 'tools/make_synthetic_voc.py'), '--out',
           str(out), '--num-train', '8', '--num-val', '4', '--size', '48']
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert 'wrote 8 train + 4 val images' in first.stdout
    sheet = Image.open(out / 'contact_sheet.png')
    assert sheet.size[0] > 200
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert 'already holds' in again.stdout


def test_silhouette_blend_draws_the_objects_in_black_and_white():
    """alpha = 1: object pixels (mask not 0 / 255) all one of 0, 255 and the
    background the other; alpha = 0.25: the hand-computed blend; the mask is
    untouched, and a missing mask is named."""
    import pytest
    from semformer.datasets.transforms import SilhouetteBlend
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    seg = np.zeros((8, 8), np.uint8)
    seg[2:5, 3:7] = 2
    seg[0, 0] = 255
    fg = seg == 2
    seen = set()
    for seed in range(8):
        np.random.seed(seed)
        out = SilhouetteBlend(alpha=1.0)(dict(img=img.copy(), gt_seg_map=seg.copy()))
        v_fg, v_bg = np.unique(out['img'][fg]), np.unique(out['img'][~fg])
        assert len(v_fg) == 1 and len(v_bg) == 1 and {v_fg[0], v_bg[0]} == {0, 255}
        seen.add(int(v_fg[0]))
        assert np.array_equal(out['gt_seg_map'], seg)
    assert seen == {0, 255}  # both polarities occur
    np.random.seed(3)
    out = SilhouetteBlend(alpha=0.25)(dict(img=img.copy(), gt_seg_map=seg.copy()))
    sil = out['img'][fg][0, 0] > img[fg][0, 0] * 0.75 + 31  # which polarity was drawn
    white = fg if sil else ~fg
    expect = np.round(0.75 * img.astype(np.float64) + 0.25 * 255 * white[..., None])
    assert np.abs(out['img'].astype(np.float64) - expect).max() <= 1
    assert SilhouetteBlend(alpha=0.5, prob=0.0)(dict(img=img.copy(), gt_seg_map=seg))[
        'img'].tolist() == img.tolist()
    with pytest.raises(KeyError, match='LoadAnnotations'):
        SilhouetteBlend()(dict(img=img, img_path='a/b.jpg'))
    with pytest.raises(ValueError):
        SilhouetteBlend(alpha=(0.5, 1.5))


def test_a_dataset_the_generator_did_not_write_is_never_removed(tmp_path):
    from semformer.datasets.synthetic import ensure_synthetic_voc, other_dataset
    voc = make_synthetic_voc(str(tmp_path), seed=3, num_train=4, num_val=2, size=32,
                             progress=False, shapes=('heart', 'gear'))
    # a synthetic world of other classes: named, and rewritten on request only
    assert 'other classes (heart, gear)' in other_dataset(voc, SHAPE_CLASSES)
    assert other_dataset(voc, ('background', 'heart', 'gear')) is None
    assert other_dataset(str(tmp_path / 'none'), SHAPE_CLASSES) is None
    os.remove(osp.join(voc, 'synthetic.json'))  # now a user's folder
    assert 'without synthetic.json' in other_dataset(voc, SHAPE_CLASSES)
    before = sorted(os.listdir(osp.join(voc, 'JPEGImages')))
    for force in (False, True):
        with pytest.raises(FileExistsError, match='--dataset folder --data-root'):
            ensure_synthetic_voc(str(tmp_path), seed=0, num_train=4, num_val=2, size=32,
                                 progress=False, force=force)
    assert sorted(os.listdir(osp.join(voc, 'JPEGImages'))) == before


def test_a_world_made_with_other_settings_is_kept(tmp_path):
    """A world of the same classes but another seed (e.g. a held-out set made with
    this generator) is another dataset: never replaced without force; one that
    differs only in its number of images is the main job's, resized."""
    from semformer.datasets.synthetic import (ensure_synthetic_voc, other_dataset,
                                              read_marker, synthetic_settings)
    kwargs = dict(num_train=4, num_val=2, size=32, progress=False)
    root, written = ensure_synthetic_voc(str(tmp_path), seed=3, **kwargs)
    assert written
    ours = synthetic_settings(seed=0, size=32)
    assert other_dataset(root, SHAPE_CLASSES, ours) == (
        f'{root} holds a synthetic world made with other settings (seed: 3 (0 expected))')
    assert other_dataset(root, SHAPE_CLASSES) is None  # classes alone: the same world
    # the number of images may differ: the same world, resized by the main job
    assert other_dataset(root, SHAPE_CLASSES, synthetic_settings(seed=3, size=32,
                                                                  num_train=9)) is None
    before = {n: os.path.getmtime(osp.join(root, 'JPEGImages', n))
              for n in os.listdir(osp.join(root, 'JPEGImages'))}
    with pytest.raises(FileExistsError, match=r'other settings \(seed: 3 \(0 expected'
                       r'\)\).*--force.*--dataset folder --data-root'):
        ensure_synthetic_voc(str(tmp_path), seed=0, **kwargs)
    assert {n: os.path.getmtime(osp.join(root, 'JPEGImages', n))
            for n in os.listdir(osp.join(root, 'JPEGImages'))} == before
    # resized: rewritten without force
    kwargs['num_train'] = 3
    assert ensure_synthetic_voc(str(tmp_path), seed=3, **kwargs)[1]
    assert read_marker(root)['num_train'] == 3
    # replaced on request
    assert ensure_synthetic_voc(str(tmp_path), seed=0, force=True, **kwargs)[1]
    assert read_marker(root)['seed'] == 0


def test_an_interrupted_world_is_rewritten(tmp_path, monkeypatch):
    from semformer.datasets import synthetic
    real, calls = synthetic.render_sample, []

    def stop_at_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic, 'render_sample', stop_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        synthetic.ensure_synthetic_voc(str(tmp_path), seed=3, num_train=4, num_val=2,
                                       size=32, progress=False, shapes=('heart', 'gear'))
    voc = str(tmp_path / 'VOC2012')
    assert synthetic.read_marker(voc)['complete'] is False
    assert len(os.listdir(osp.join(voc, 'JPEGImages'))) == 2
    # not another dataset (whatever its classes): the main job may rewrite it
    assert synthetic.other_dataset(voc, SHAPE_CLASSES) is None
    monkeypatch.setattr(synthetic, 'render_sample', real)
    root, written = synthetic.ensure_synthetic_voc(str(tmp_path), seed=3, num_train=4,
                                                   num_val=2, size=32, progress=False)
    assert written and len(os.listdir(osp.join(root, 'JPEGImages'))) == 6
    marker = synthetic.read_marker(root)
    assert 'complete' not in marker and marker['classes'] == list(SHAPE_CLASSES)
    # a marker cut short counts as an interrupted tree as well
    with open(osp.join(root, 'synthetic.json'), 'w') as f:
        f.write('{"seed": 3, "num_')
    assert synthetic.other_dataset(root, ('background', 'heart')) is None
    assert synthetic.ensure_synthetic_voc(str(tmp_path), seed=3, num_train=4, num_val=2,
                                          size=32, progress=False)[1]

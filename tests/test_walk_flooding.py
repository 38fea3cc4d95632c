"""tools/analysis/walk_flooding.py: flooded images and the scores, by hand."""
import numpy as np
import pytest
from PIL import Image

from conftest import load_tool

tool = load_tool('tools/analysis/walk_flooding.py')


def square(value=1, size=4):
    """Background with a 2 x 2 object of class ``value`` in the top-left corner."""
    label = np.zeros((size, size), np.uint8)
    label[:2, :2] = value
    return label


def test_flooded_counts_the_background_given_to_objects():
    gt = square()  # 12 background pixels
    walk = square()
    walk[2:, :] = 1  # 8 of 12 background pixels: flooded at 0.5, not at 0.7
    assert tool.flooded(gt, walk, 0.5) and not tool.flooded(gt, walk, 0.7)
    walk[2:, :] = 255  # ignored pixels are not given to an object
    assert not tool.flooded(gt, walk, 0.5)
    assert not tool.flooded(np.ones((4, 4), np.uint8), np.ones((4, 4), np.uint8))
    with pytest.raises(ValueError, match='labels of shape'):
        tool.flooded(gt, np.zeros((3, 4), np.uint8))


def test_analyse_scores_the_sets_and_the_unflooded_mix():
    gts = [square(), square()]
    flood = np.ones((4, 4), np.uint8)  # every background pixel given to class 1
    walk = [flood, square()]
    final = [flood, square()]
    other = [np.zeros((4, 4), np.uint8), square()]  # misses image 0's object
    res = tool.analyse(gts, walk, final, other, num_classes=2)
    assert res['flooded'] == [0]
    # walk / final: class 1 IoU 8 / 20, background 12 / 24
    assert res['walk'] == pytest.approx(100 * (8 / 20 + 12 / 24) / 2)
    assert res['final'] == res['walk']
    # other: class 1 4 / 8, background 24 / 28
    assert res['other'] == pytest.approx(100 * (4 / 8 + 24 / 28) / 2)
    # the flooded image 0 from other, image 1 from final: the same as other here
    assert res['final_unflooded'] == pytest.approx(res['other'])


def test_cli_on_a_folder(tmp_path, capsys):
    root = tmp_path / 'VOC2012'
    for d in ('SegmentationClass', 'ImageSets/Segmentation', 'rw', 'rwcrf', 'crf'):
        (root / d).mkdir(parents=True)
    (root / 'ImageSets/Segmentation/train.txt').write_text('a\nb\n')
    for name, walk in (('a', np.ones((4, 4), np.uint8)), ('b', square())):
        Image.fromarray(square()).save(root / 'SegmentationClass' / f'{name}.png')
        for d in ('rw', 'rwcrf'):
            Image.fromarray(walk).save(root / d / f'{name}.png')
        Image.fromarray(square()).save(root / 'crf' / f'{name}.png')
    tool.main([str(root), '--walk', str(root / 'rw'), '--final', str(root / 'rwcrf'),
               '--other', str(root / 'crf')])
    out = capsys.readouterr().out
    assert 'flooded (walk labels on more than 50 % of the background): 1 (50.0 %), e.g. a' in out
    assert 'with the flooded images from other 100.0' in out
    (root / 'crf' / 'b.png').unlink()
    with pytest.raises(SystemExit, match='crf/b.png not found'):
        tool.main([str(root), '--walk', str(root / 'rw'), '--final', str(root / 'rwcrf'),
                   '--other', str(root / 'crf')])


def test_unlabelled_pixels_are_left_out_as_the_chain_scores_them():
    """PseudoLabelMetric's rule: a prediction of 255 is neither right nor wrong
    (coverage is reported apart), unlike mmseg's IoUMetric, which counts it as
    missed."""
    gt = square()
    pred = square()
    pred[3, :] = 255  # 4 background pixels unlabelled
    assert tool.miou([(pred, gt)], 2) == pytest.approx(100)


def test_cli_names_a_missing_or_empty_split(tmp_path):
    with pytest.raises(SystemExit, match='train.txt does not exist'):
        tool.main([str(tmp_path), '--walk', 'a', '--final', 'b', '--other', 'c'])
    (tmp_path / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    (tmp_path / 'ImageSets' / 'Segmentation' / 'train.txt').write_text('\n')
    with pytest.raises(SystemExit, match='train.txt lists no image'):
        tool.main([str(tmp_path), '--walk', 'a', '--final', 'b', '--other', 'c'])

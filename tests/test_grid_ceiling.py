"""tools/analysis/grid_ceiling.py: the best map a patch grid can give, by hand."""
import numpy as np
import pytest
from PIL import Image

from conftest import load_tool

grid = load_tool('tools/analysis/grid_ceiling.py')


def stripe(first, last, size=16):
    mask = np.zeros((size, size), np.uint8)
    mask[:, first:last + 1] = 1
    return mask


def test_aligned_stripe_is_kept_misaligned_one_needs_the_shifted_grid():
    # columns 0-7 fill the left patch column: exact on the 2 x 2 grid
    miou, iou = grid.ceiling([stripe(0, 7)], 2, patch=8, shifts=1, work_size=16)
    assert miou == pytest.approx(100)
    # columns 4-11 fill half of both patch columns: a tie, arg-max takes background
    # (class 1 IoU 0, background 8 of 16 columns: 50)
    miou, iou = grid.ceiling([stripe(4, 11)], 2, patch=8, shifts=1, work_size=16)
    np.testing.assert_allclose(iou, [50, 0])
    # cells of 8 px every 4 px (border repeated): fractions 0.25, 0.75, 0.75, 0.25 at
    # centres 1.5, 5.5, 9.5, 13.5; bilinear crosses 0.5 at 3.5 and 11.5: exact
    pred = grid.grid_map(stripe(4, 11), 2, patch=8, shifts=2, work_size=16)
    np.testing.assert_array_equal(pred, stripe(4, 11))


def test_masks_are_scored_at_their_size_and_255_ignored():
    # a 32 px mask works at 16 px: the stripe of columns 0-15 is one patch column;
    # 4 ignored pixels inside it (predicted 1) count for no class
    mask = stripe(0, 15, size=32)
    mask[0, :4] = 255
    pred = grid.grid_map(mask, 2, patch=8, shifts=1, work_size=16)
    assert pred.shape == (32, 32)
    miou, _ = grid.ceiling([mask], 2, patch=8, shifts=1, work_size=16)
    assert miou == pytest.approx(100)
    with pytest.raises(ValueError, match='does not fit'):
        grid.grid_map(mask, 2, patch=8, shifts=3)
    # work sides are rounded to the patch, as the CAM models round them: 24 x 13 px
    # works at 24 x 16, two rows of cells (class 1 fractions 0 and 0.925, centres at
    # rows 2.75 and 9.25 of 13: class 1 from row 6.3); unrounded, one row of cells
    # over rows 0-7 would call every pixel background
    odd = np.zeros((13, 24), np.uint8)
    odd[7:] = 1
    pred = grid.grid_map(odd, 2, patch=8, shifts=1, work_size=24)
    np.testing.assert_array_equal(pred, odd)


def test_cli_reads_a_voc_layout_folder(tmp_path, capsys):
    root = tmp_path / 'VOC2012'
    (root / 'SegmentationClass').mkdir(parents=True)
    (root / 'ImageSets' / 'Segmentation').mkdir(parents=True)
    with pytest.raises(SystemExit, match='no split file'):
        grid.main([str(root)])
    Image.fromarray(stripe(4, 11)).save(root / 'SegmentationClass' / 'a.png')
    (root / 'classes.txt').write_text('background\nbar\n')
    (root / 'ImageSets' / 'Segmentation' / 'val.txt').write_text('a\nb\n')
    with pytest.raises(SystemExit, match='b.png'):
        grid.main([str(root), '--work-size', '16'])
    (root / 'ImageSets' / 'Segmentation' / 'val.txt').write_text('a\n')
    grid.main([str(root), '--work-size', '16'])
    out = capsys.readouterr().out
    assert ('cells every 8 px (2 x 2 on a square image, shifts 1): mIoU 25.0; '
            'background 50.0, bar 0.0') in out
    assert 'cells every 4 px (4 x 4 on a square image, shifts 2): mIoU 100.0' in out

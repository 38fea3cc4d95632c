"""ImageLabelFolderDataset and check_image_label_dataset on a generated VOC-layout
world with other class names and another class count than VOC."""
import os
import os.path as osp
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image

from semformer.datasets.checks import DatasetCheckError, check_image_label_dataset
from semformer.datasets.image_label_folder import ImageLabelFolderDataset
from semformer.datasets.synthetic import palette_png, voc_palette
from semformer.datasets.label_files import write_label_file

# classes.txt order on purpose not sorted, to tell it from the XML-inferred order
CLASSES = ('background', 'kite', 'moon', 'apple')
SORTED = ('background', 'apple', 'kite', 'moon')
# id -> object names; 'moon' only in val, so inference must scan every split
WORLD = {
    'img_000': ['apple', 'kite'],
    'img_001': ['kite'],
    'img_002': ['apple', 'apple'],
    'img_003': ['kite', 'apple'],
    'img_004': ['moon'],
    'img_005': ['kite', 'moon'],
}
SPLITS = {'train': ['img_000', 'img_001', 'img_002', 'img_003'],
          'val': ['img_004', 'img_005']}


def _xml(path, names):
    root = ET.Element('annotation')
    for name in names:
        ET.SubElement(ET.SubElement(root, 'object'), 'name').text = name
    ET.ElementTree(root).write(path)


def _mask(names, classes=CLASSES):
    mask = np.zeros((30, 40), np.uint8)
    for k, name in enumerate(dict.fromkeys(names)):
        mask[4:20, 2 + 12 * k:10 + 12 * k] = classes.index(name)
    mask[25, :] = 255  # ignore border, allowed
    return mask


def make_world(base, classes_txt=True):
    """Write the tiny world under ``base/world``; return that folder."""
    root = osp.join(str(base), 'world')
    for sub in ('JPEGImages', 'Annotations', 'SegmentationClass',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    rng = np.random.default_rng(0)
    for img_id, names in WORLD.items():
        Image.fromarray(rng.integers(0, 255, (30, 40, 3), np.uint8)).save(
            osp.join(root, 'JPEGImages', img_id + '.jpg'))
        _xml(osp.join(root, 'Annotations', img_id + '.xml'), names)
        palette_png(_mask(names)).save(
            osp.join(root, 'SegmentationClass', img_id + '.png'))
    for split, ids in SPLITS.items():
        with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    if classes_txt:
        with open(osp.join(root, 'classes.txt'), 'w') as f:
            f.write('\n'.join(CLASSES) + '\n')
    return root


def expected(img_id, classes=CLASSES):
    vec = np.zeros(len(classes), np.float32)
    vec[0] = 1
    for name in WORLD[img_id]:
        vec[classes.index(name)] = 1
    return vec


def _build(root, split='train', **kwargs):
    return DATASETS.build(dict(type='ImageLabelFolderDataset', data_root=root,
                               ann_file=f'ImageSets/Segmentation/{split}.txt',
                               **kwargs))


def test_dataset_reads_classes_txt_and_labels(tmp_path):
    root = make_world(tmp_path)
    ds = _build(root)
    assert isinstance(ds, ImageLabelFolderDataset)
    assert ds.metainfo['classes'] == CLASSES
    assert [list(p) for p in ds.metainfo['palette']] == voc_palette(4)
    assert len(ds) == 4
    for i, img_id in enumerate(SPLITS['train']):
        info = ds.get_data_info(i)
        assert info['img_id'] == img_id
        np.testing.assert_array_equal(info['gt_image_labels'], expected(img_id))
        assert info['seg_map_path'].endswith(img_id + '.png')
    # a label file wins over the XMLs
    write_label_file(osp.join(root, 'cls_labels.json'), CLASSES,
                     {i: [1, 0, 0, 1] for i in WORLD})
    ds = _build(root)
    np.testing.assert_array_equal(ds.get_data_info(1)['gt_image_labels'], [1, 0, 0, 1])


def test_dataset_pipeline_gives_labels_and_mask(tmp_path):
    root = make_world(tmp_path)
    ds = _build(root, 'val', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackImageLabelInputs')])
    sample = ds[1]['data_samples']
    np.testing.assert_array_equal(np.asarray(sample.gt_image_labels),
                                  expected('img_005'))
    seg = sample.gt_sem_seg.data.numpy()[0]
    assert set(np.unique(seg)) == {0, CLASSES.index('kite'), CLASSES.index('moon'), 255}


def test_classes_inferred_from_xml_of_all_splits(tmp_path):
    root = make_world(tmp_path, classes_txt=False)
    train, val = _build(root), _build(root, 'val')
    assert train.metainfo['classes'] == SORTED == val.metainfo['classes']
    np.testing.assert_array_equal(train.get_data_info(0)['gt_image_labels'],
                                  expected('img_000', SORTED))
    # the masks number the classes in classes.txt's order, not the sorted one: the
    # check stops and gives the order the masks suggest
    with pytest.raises(DatasetCheckError) as err:
        check_image_label_dataset(root, ['train', 'val'], batch_size=2)
    msg = str(err.value)
    assert '6 of 6 masks hold classes that their images\' labels lack' in msg
    assert re.search(r"img_000\.png holds \['moon'\], which .*img_000\.xml does not "
                     'label', msg)
    assert ('the masks suggest the order background, kite, moon, apple; write it to '
            'classes.txt') in msg
    # masks in the sorted order: consistent
    for img_id, names in WORLD.items():
        palette_png(_mask(names, SORTED)).save(
            osp.join(root, 'SegmentationClass', img_id + '.png'))
    summary = check_image_label_dataset(root, ['train', 'val'], batch_size=2)
    assert summary['classes'] == SORTED


def test_masks_are_not_a_label_source_by_default(tmp_path):
    root = make_world(tmp_path)
    os.remove(osp.join(root, 'Annotations', 'img_001.xml'))
    with pytest.raises(FileNotFoundError, match=re.escape('img_001.xml')):
        _build(root)
    ds = _build(root, labels_from_masks=True)
    np.testing.assert_array_equal(ds.get_data_info(1)['gt_image_labels'],
                                  expected('img_001'))


def test_check_summary(tmp_path):
    root = make_world(tmp_path)
    summary = check_image_label_dataset(root, ['train', 'val'], batch_size=4)
    assert summary['classes'] == CLASSES and summary['num_classes'] == 4
    assert summary['num_images'] == {'train': 4, 'val': 2}
    assert summary['num_masks'] == {'train': 4, 'val': 2}
    assert summary['short_side'] == dict(min=30, median=30.0, max=30)
    assert summary['long_side'] == dict(min=40, median=40.0, max=40)
    assert summary['class_counts'] == {'kite': 4, 'moon': 2, 'apple': 3}
    assert summary['warnings'] == [
        "class(es) ['moon'] label images of val but none of train: nothing teaches them"]


def test_check_masks_beyond_their_labels_without_another_order_are_a_warning(tmp_path):
    """A mask holding a class its labels lack, where no other class order explains
    it (annotation slips): a warning, however many."""
    root = make_world(tmp_path)
    _xml(osp.join(root, 'Annotations', 'img_003.xml'), ['kite'])  # the apple forgotten
    summary = _check(root)
    assert summary['warnings'][0] == (
        "1 of 6 masks hold classes that their images' labels lack, e.g. mask "
        f"{osp.join(root, 'SegmentationClass', 'img_003.png')} holds ['apple'], which "
        f"{osp.join(root, 'Annotations', 'img_003.xml')} does not label")
    _xml(osp.join(root, 'Annotations', 'img_002.xml'), ['kite'])
    summary = _check(root)
    assert summary['warnings'][0].startswith(
        "2 of 6 masks hold classes that their images' labels lack, e.g. mask ")
    assert not any('suggest' in w for w in summary['warnings'])


def _check(root, **kwargs):
    kwargs.setdefault('batch_size', 2)
    return check_image_label_dataset(root, ['train', 'val'], **kwargs)


def test_check_missing_split_file(tmp_path):
    root = make_world(tmp_path)
    with pytest.raises(DatasetCheckError, match=re.escape('test.txt')):
        check_image_label_dataset(root, ['train', 'test'])


def test_check_missing_jpeg(tmp_path):
    root = make_world(tmp_path)
    with open(osp.join(root, 'ImageSets/Segmentation/train.txt'), 'a') as f:
        f.write('img_999\n')
    with pytest.raises(DatasetCheckError, match=re.escape('img_999.jpg')):
        _check(root)


def test_png_images_are_found_read_and_checked(tmp_path):
    from semformer.datasets.image_label_folder import image_suffix
    root = make_world(tmp_path)
    splits = [osp.join(root, 'ImageSets/Segmentation', s + '.txt') for s in SPLITS]
    assert image_suffix(root, splits) == '.jpg'
    for img_id in WORLD:  # the same images as PNG files
        jpg = osp.join(root, 'JPEGImages', img_id + '.jpg')
        Image.open(jpg).save(jpg[:-4] + '.png')
        os.remove(jpg)
    assert image_suffix(root, splits) == '.png'
    # the check names the suffix it looked for and the files it found instead
    with pytest.raises(DatasetCheckError,
                       match=re.escape("img_000.jpg (listed in") + '.*' +
                       re.escape("found img_000.png: the images of a split need one "
                                 "suffix (img_suffix, now '.jpg')")):
        _check(root)
    summary = _check(root, img_suffix='.png')
    assert summary['num_images'] == dict(train=4, val=2)
    ds = _build(root, 'val', img_suffix='.png', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='PackImageLabelInputs')])
    assert ds[0]['inputs'].shape == (3, 30, 40)
    # one image left as JPEG: no suffix holds every image, the check names it
    Image.open(osp.join(root, 'JPEGImages', 'img_004.png')).save(
        osp.join(root, 'JPEGImages', 'img_004.jpg'))
    os.remove(osp.join(root, 'JPEGImages', 'img_004.png'))
    assert image_suffix(root, splits) == '.jpg'
    with pytest.raises(DatasetCheckError, match=re.escape('found img_004.jpg')):
        _check(root, img_suffix='.png')


def _tag_orientation(path, orientation):
    """Re-save a JPEG with the same stored pixels and an EXIF orientation tag."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    pixels = np.asarray(Image.open(path))
    Image.fromarray(pixels).save(path, exif=exif.tobytes())
    return pixels.shape


def test_exif_orientation_is_applied_as_the_loader_applies_it(tmp_path):
    from semformer.datasets.image_label_folder import image_sizes
    root = make_world(tmp_path)
    # img_001 stored as 40 x 30 pixels, tagged "turn 90 degrees clockwise" (6)
    jpg = osp.join(root, 'JPEGImages', 'img_001.jpg')
    assert _tag_orientation(jpg, 6) == (30, 40, 3)
    ds = _build(root, pipeline=[dict(type='LoadImageFromFile'),
                                dict(type='PackImageLabelInputs')])
    assert ds[1]['inputs'].shape == (3, 40, 30)  # mmcv turns it: 30 wide, 40 high
    train = [osp.join(root, 'ImageSets/Segmentation/train.txt')]
    assert image_sizes(root, train) == [(30, 40), (40, 30)]
    # its mask, drawn on the stored pixels, no longer fits the loaded image
    with pytest.raises(DatasetCheckError, match=re.escape(
            'img_001.png is 40x30, the stored pixels of its image') + '.*' + re.escape(
            'EXIF orientation 6, which the loader applies: it reads the image as 30x40')):
        _check(root)
    # the mask turned with the image: accepted, with a warning naming the tag
    mask = np.asarray(Image.open(osp.join(root, 'SegmentationClass', 'img_001.png')))
    palette_png(np.ascontiguousarray(np.rot90(mask, -1))).save(
        osp.join(root, 'SegmentationClass', 'img_001.png'))
    summary = _check(root)
    assert summary['warnings'][0] == (
        '1 image(s) with masks carry an EXIF orientation tag (e.g. img_001.jpg (6)), '
        'which the '
        'loader applies: their masks must be drawn on the turned images; store them '
        'upright without the tag to be sure')
    # a half turn keeps the size: only the warning can tell
    _tag_orientation(osp.join(root, 'JPEGImages', 'img_004.jpg'), 3)
    assert 'img_004.jpg (3)' in _check(root)['warnings'][0]
    # ... and a mask of another size is not blamed on the tag
    palette_png(np.zeros((40, 30), np.uint8)).save(
        osp.join(root, 'SegmentationClass', 'img_004.png'))
    with pytest.raises(DatasetCheckError,
                       match=re.escape('img_004.png is 30x40 but its image is 40x30')):
        _check(root)
    # tags without masks to check are harmless: no warning
    summary = _check(root, check_masks=False)
    assert not any('EXIF' in w for w in summary['warnings'])


def test_check_unknown_class_in_xml(tmp_path):
    root = make_world(tmp_path)
    _xml(osp.join(root, 'Annotations', 'img_001.xml'), ['kite', 'pear'])
    with pytest.raises(DatasetCheckError, match=r"img_001\.xml.*'pear'") as err:
        _check(root)
    assert 'classes.txt' in str(err.value)


def test_check_image_without_foreground(tmp_path):
    root = make_world(tmp_path)
    _xml(osp.join(root, 'Annotations', 'img_002.xml'), [])
    with pytest.raises(DatasetCheckError, match=re.escape('img_002.xml')):
        _check(root)
    # allowed: a warning naming it (its mask holds apple, a slip warning too)
    summary = _check(root, allow_empty=True)
    assert summary['warnings'][0].startswith(
        '1 image(s) have no object class in their labels, e.g. img_002 (')
    assert summary['num_images'] == dict(train=4, val=2)
    # too few labelled images left for a classifier's batch: an error
    for img_id in ('img_000', 'img_001'):
        _xml(osp.join(root, 'Annotations', img_id + '.xml'), [])
    with pytest.raises(DatasetCheckError,
                       match=re.escape('1 image(s) with an object class (3 without), '
                                       'fewer than the batch size 2')):
        _check(root, allow_empty=True)


def test_check_mask_value_out_of_range(tmp_path):
    root = make_world(tmp_path)
    mask = _mask(WORLD['img_003'])
    mask[0, 0] = 7
    palette_png(mask).save(osp.join(root, 'SegmentationClass', 'img_003.png'))
    with pytest.raises(DatasetCheckError, match=re.escape('img_003.png')) as err:
        _check(root)
    assert '[7]' in str(err.value)


def test_check_batch_size(tmp_path):
    root = make_world(tmp_path)
    with pytest.raises(DatasetCheckError, match=re.escape('train.txt')):
        _check(root, batch_size=8)


def test_check_lists_every_problem(tmp_path):
    root = make_world(tmp_path)
    _xml(osp.join(root, 'Annotations', 'img_002.xml'), [])
    os.remove(osp.join(root, 'JPEGImages', 'img_004.jpg'))
    with pytest.raises(DatasetCheckError) as err:
        _check(root, batch_size=8)
    assert len(err.value.problems) == 3
    for name in ('img_002.xml', 'img_004.jpg', 'train.txt'):
        assert name in str(err.value)


def test_the_pipeline_check_stage_digests_the_files(tmp_path, capsys):
    """The folder chain's check stage: its digest (which later stages' fingerprints
    take in) changes when an image, mask or annotation is rewritten in place, and
    the check's warnings are printed."""
    from semformer.apis.chains import check_dataset
    root = make_world(tmp_path)
    first = check_dataset(str(tmp_path), root, batch_size=2, digest_files=True)
    assert "warning: " in capsys.readouterr().out  # 'moon' only in val
    assert check_dataset(str(tmp_path), root, batch_size=2,
                         digest_files=True)['digest'] == first['digest']
    # without digest_files (the voc and coco chains) the file times do not count
    plain = check_dataset(str(tmp_path), root, batch_size=2)['digest']
    assert plain != first['digest']
    for rel in ('JPEGImages/img_001.jpg', 'SegmentationClass/img_001.png',
                'Annotations/img_001.xml'):
        path = osp.join(root, rel)
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        digest = check_dataset(str(tmp_path), root, batch_size=2, digest_files=True)
        assert digest['digest'] != first['digest'], rel
        first = digest
    assert check_dataset(str(tmp_path), root, batch_size=2)['digest'] == plain


def test_check_class_list_without_background(tmp_path):
    root = make_world(tmp_path)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASSES[1:]) + '\n')  # kite, moon, apple: no background
    with pytest.raises(DatasetCheckError) as err:
        _check(root)
    assert re.search(r"img_001\.xml: object named 'kite', the first class of the class "
                     'list, which is the background', str(err.value))
    assert 'background on its first line' in str(err.value)


def test_check_masks_required_by_the_chain(tmp_path):
    root = make_world(tmp_path)
    os.remove(osp.join(root, 'SegmentationClass', 'img_004.png'))
    assert _check(root)['num_masks'] == {'train': 4, 'val': 1}  # optional by default
    with pytest.raises(DatasetCheckError,
                       match=r'image img_004 \(listed in .*val\.txt\) has no mask '
                       r'.*img_004\.png') as err:
        _check(root, require_masks=True)
    assert len(err.value.problems) == 1


def test_check_label_file_of_another_form(tmp_path):
    root = make_world(tmp_path)
    path = osp.join(root, 'cls_labels.json')
    for content in ('[["img_000", 1, 0]]', '{"img_000": [1, 0, 0, 1]}', '{"classes": '):
        with open(path, 'w') as f:
            f.write(content)
        with pytest.raises(DatasetCheckError, match=re.escape(path)) as err:
            _check(root)
        assert ('not in this project' in str(err.value)
                or 'not valid JSON' in str(err.value))

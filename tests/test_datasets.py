import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmseg.registry import DATASETS

from conftest import REPO, VOC_IMAGES
from semformer.datasets import VOC_CLASSES, write_label_file

LOAD = [dict(type='LoadImageFromFile'), dict(type='PackImageLabelInputs')]
LOAD_GT = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackImageLabelInputs')
]


def build(root, split, pipeline=LOAD, seg='SegmentationClassAug', **kwargs):
    return DATASETS.build(
        dict(
            type='VOCImageLabelDataset',
            data_root=root,
            ann_file=f'ImageSets/Segmentation/{split}.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path=seg,
                             xml_path='Annotations'),
            pipeline=pipeline,
            **kwargs))


def expected_labels(img_id, from_mask=False):
    objects, classes = VOC_IMAGES[img_id]
    vec = np.zeros(21, np.float32)
    vec[0] = 1
    if objects is None or from_mask:
        vec[classes] = 1
    else:
        vec[[VOC_CLASSES.index(n) for n, _ in objects]] = 1
    return vec


def test_labels_from_xml_then_masks(voc_root):
    ds = build(voc_root, 'trainaug')
    assert len(ds) == 3
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        np.testing.assert_array_equal(info['gt_image_labels'],
                                      expected_labels(info['img_id']))
    # the difficult 'person' of 2007_000032 counts, as in the authors' code
    assert ds.get_data_info(0)['gt_image_labels'][VOC_CLASSES.index('person')] == 1


def test_label_file_takes_precedence(voc_root):
    labels = {i: expected_labels(i) for i in VOC_IMAGES}
    labels['2008_000002'][5] = 1  # 'bottle': only the label file says so
    write_label_file(osp.join(voc_root, 'cls_labels.json'), VOC_CLASSES, labels)
    ds = build(voc_root, 'trainaug')
    assert ds.get_data_info(1)['gt_image_labels'][5] == 1


def test_sample_carries_labels_and_ground_truth(voc_root):
    ds = build(voc_root, 'train', LOAD_GT, seg='SegmentationClass')
    sample = ds[0]
    ds_ = sample['data_samples']
    assert sample['inputs'].shape == (3, 30, 40)
    assert ds_.gt_image_labels.dtype == torch.float32
    assert ds_.gt_image_labels.shape == (21, )
    assert ds_.gt_image_labels[0] == 1
    # palette masks decode to class indices, void stays 255
    gt = ds_.gt_sem_seg.data[0]
    assert set(gt.unique().tolist()) == {0, 1, 15, 255}
    # image labels equal the classes present in the mask here
    present = [c for c in gt.unique().tolist() if c not in (0, 255)]
    assert ds_.gt_image_labels.nonzero().flatten().tolist() == [0] + present


def test_training_split_without_masks(voc_root):
    ds = build(voc_root, 'train', seg='NoSuchFolder')
    assert all(ds.get_data_info(i)['seg_map_path'] is None for i in range(2))
    sample = ds[0]
    assert 'gt_sem_seg' not in sample['data_samples']
    assert sample['data_samples'].gt_image_labels.sum() == 3  # bg, aeroplane, person


def test_label_tool_writes_file_once(voc_root):
    subprocess.run([sys.executable, osp.join(REPO, 'tools/make_image_labels.py'),
                    voc_root, '--splits', 'trainaug', 'val'], check=True,
                   capture_output=True)
    content = json.load(open(osp.join(voc_root, 'cls_labels.json')))
    assert sorted(content['labels']) == sorted(
        ['2007_000032', '2008_000002', '2011_003276', '2007_000039'])
    for img_id, vec in content['labels'].items():
        assert vec == expected_labels(img_id).astype(int).tolist()
    # the dataset now reads the file instead of the XML: remove the XML to prove it
    os.remove(osp.join(voc_root, 'Annotations', '2007_000032.xml'))
    ds = build(voc_root, 'trainaug')
    np.testing.assert_array_equal(ds.get_data_info(0)['gt_image_labels'],
                                  expected_labels('2007_000032'))


def test_synthetic_dataset_builds(synthetic_root):
    ds = DATASETS.build(
        dict(
            type='SyntheticShapeDataset',
            data_root=synthetic_root,
            ann_file='ImageSets/Segmentation/val.txt',
            data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
            pipeline=LOAD_GT))
    assert len(ds) == 8 and ds.metainfo['classes'][1] == 'circle'
    s = ds[3]['data_samples']
    present = set(s.gt_sem_seg.data.unique().tolist()) | {0}
    assert set(s.gt_image_labels.nonzero().flatten().tolist()) == present


# ---- bad input: each error names the offending file ------------------------------


def test_missing_image(voc_root):
    os.remove(osp.join(voc_root, 'JPEGImages', '2008_000002.jpg'))
    with pytest.raises(FileNotFoundError, match='2008_000002.jpg'):
        build(voc_root, 'trainaug')


def test_no_label_source(voc_root):
    with pytest.raises(FileNotFoundError, match='no image-level labels for image 2011'):
        build(voc_root, 'trainaug', seg='NoSuchFolder')


def test_missing_split_file(voc_root):
    with pytest.raises(FileNotFoundError, match='nosplit.txt'):
        build(voc_root, 'nosplit')


def test_corrupt_image(voc_root):
    with open(osp.join(voc_root, 'JPEGImages', '2007_000032.jpg'), 'wb') as f:
        f.write(b'not a jpeg at all')
    ds = build(voc_root, 'trainaug')
    with pytest.raises(RuntimeError, match='2007_000032.jpg'):
        ds[0]


def test_label_vector_of_wrong_length(voc_root):
    path = osp.join(voc_root, 'cls_labels.json')
    labels = {i: expected_labels(i) for i in VOC_IMAGES}
    write_label_file(path, VOC_CLASSES, labels)
    content = json.load(open(path))
    content['labels']['2008_000002'] = content['labels']['2008_000002'][1:]
    json.dump(content, open(path, 'w'))
    with pytest.raises(ValueError, match='2008_000002.*length 20, expected 21'):
        build(voc_root, 'trainaug')


def test_label_file_for_other_classes(voc_root):
    write_label_file(osp.join(voc_root, 'cls_labels.json'), ['background', 'cat'],
                     {i: [1, 1] for i in VOC_IMAGES})
    with pytest.raises(ValueError, match='cls_labels.json lists classes'):
        build(voc_root, 'trainaug')


def test_image_missing_from_label_file(voc_root):
    labels = {i: expected_labels(i) for i in VOC_IMAGES if i != '2011_003276'}
    write_label_file(osp.join(voc_root, 'cls_labels.json'), VOC_CLASSES, labels)
    with pytest.raises(KeyError, match='2011_003276'):
        build(voc_root, 'trainaug')


def test_image_with_no_labels(voc_root):
    labels = {i: expected_labels(i) for i in VOC_IMAGES}
    labels['2008_000002'][1:] = 0
    write_label_file(osp.join(voc_root, 'cls_labels.json'), VOC_CLASSES, labels)
    with pytest.raises(ValueError, match=r'2008_000002 \(listed in .*trainaug.txt\) has '
                       r'no object class in its labels \(.*cls_labels.json\)'):
        build(voc_root, 'trainaug')
    # left out for a classifier, or kept as a background-only sample
    assert [d['img_id'] for d in build(voc_root, 'trainaug', empty_images='skip')
            .load_data_list()] == ['2007_000032', '2011_003276']
    kept = build(voc_root, 'trainaug', empty_images='keep')
    assert len(kept) == 3
    assert kept.get_data_info(1)['gt_image_labels'].tolist() == [1] + [0] * 20
    with pytest.raises(ValueError, match='empty_images must be one of'):
        build(voc_root, 'trainaug', empty_images='drop')


def test_unknown_class_name(voc_root):
    path = osp.join(voc_root, 'Annotations', '2008_000002.xml')
    text = open(path).read().replace('<name>dog</name>', '<name>doggo</name>')
    open(path, 'w').write(text)
    with pytest.raises(ValueError, match="2008_000002.xml: unknown class name 'doggo'"):
        build(voc_root, 'trainaug')


def test_mask_with_too_many_classes(voc_root):
    with pytest.raises(ValueError, match='2007_000032.png holds class index 15'):
        DATASETS.build(
            dict(
                type='SyntheticShapeDataset',  # K = 7, the VOC mask holds class 7
                data_root=voc_root,
                ann_file='ImageSets/Segmentation/trainaug.txt',
                data_prefix=dict(img_path='JPEGImages',
                                 seg_map_path='SegmentationClassAug', xml_path=''),
                label_file=None,
                pipeline=LOAD))

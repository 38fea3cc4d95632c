"""COCO 2014 in the WSSS protocol: labels, masks, class order, resume, dataset."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS
from PIL import Image

from conftest import REPO, load_tool
from semformer.datasets.coco_wsss import (COCO_CLASSES, coco_category_map,
                                          coco_classes, coco_labels, coco_mask,
                                          convert_coco_split)
from semformer.datasets.label_files import read_label_file

pytest.importorskip('pycocotools')
from pycocotools.coco import COCO  # noqa: E402

H, W = 30, 40
# non-contiguous ids, listed out of order: the class order must follow the ids
CATEGORIES = [dict(id=90, name='toothbrush'), dict(id=1, name='person'),
              dict(id=5, name='airplane')]
CLASSES = ('background', 'person', 'airplane', 'toothbrush')
PERSON, AIRPLANE, TOOTHBRUSH = 1, 2, 3


def _rect(x0, y0, x1, y1):
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def _uncompressed_rle(mask):
    """COCO's crowd format: run lengths over the column-major pixels, zeros first."""
    flat = mask.flatten(order='F')
    counts, value, run = [], 0, 0
    for v in flat:
        if v != value:
            counts.append(run)
            value, run = v, 0
        run += 1
    counts.append(run)
    return dict(counts=[int(c) for c in counts], size=[int(mask.shape[0]),
                                                       int(mask.shape[1])])


def _image(img_id, split):
    return dict(id=img_id, file_name=f'COCO_{split}_{img_id:012d}.jpg', height=H,
                width=W)


def _crowd_mask():
    m = np.zeros((H, W), np.uint8)
    m[10:28, 5:35] = 1
    return m


def train_json():
    anns = [
        # image 10: a small person first, then a large toothbrush over it
        dict(id=1, image_id=10, category_id=1, iscrowd=0,
             segmentation=_rect(8, 8, 16, 16)),
        dict(id=2, image_id=10, category_id=90, iscrowd=0,
             segmentation=_rect(2, 2, 30, 22)),
        # image 11: an airplane and a crowd of persons (uncompressed RLE) around it
        dict(id=3, image_id=11, category_id=5, iscrowd=0,
             segmentation=_rect(14, 14, 24, 24)),
        dict(id=4, image_id=11, category_id=1, iscrowd=1,
             segmentation=_uncompressed_rle(_crowd_mask())),
    ]  # image 12 has no annotation
    return dict(images=[_image(i, 'train2014') for i in (10, 11, 12)],
                annotations=anns, categories=CATEGORIES)


def val_json():
    anns = [dict(id=9, image_id=20, category_id=90, iscrowd=0,
                 segmentation=_rect(4, 4, 20, 20))]
    return dict(images=[_image(20, 'val2014')], annotations=anns,
                categories=CATEGORIES)


def make_coco(base):
    root = osp.join(str(base), 'coco2014')
    os.makedirs(osp.join(root, 'annotations'))
    rng = np.random.default_rng(0)
    for folder, content in (('train2014', train_json()), ('val2014', val_json())):
        with open(osp.join(root, 'annotations', f'instances_{folder}.json'), 'w') as f:
            json.dump(content, f)
        os.makedirs(osp.join(root, folder))
        for img in content['images']:
            Image.fromarray(rng.integers(0, 255, (H, W, 3), np.uint8)).save(
                osp.join(root, folder, img['file_name']))
    return root


@pytest.fixture
def coco(tmp_path):
    root = make_coco(tmp_path)
    return COCO(osp.join(root, 'annotations', 'instances_train2014.json'))


def _load_tool():
    return load_tool('tools/dataset_converters/coco_wsss.py', 'coco_wsss_tool')


def test_class_order_follows_category_ids(coco):
    assert coco_classes(coco) == CLASSES
    assert coco_category_map(coco) == {1: 1, 5: 2, 90: 3}
    assert len(COCO_CLASSES) == 81 and COCO_CLASSES[:3] == ('background', 'person',
                                                            'bicycle')


def test_labels(coco):
    np.testing.assert_array_equal(coco_labels(coco, 10), [1, 1, 0, 1])
    np.testing.assert_array_equal(coco_labels(coco, 11), [1, 1, 1, 0])  # crowd counts
    np.testing.assert_array_equal(coco_labels(coco, 12), [1, 0, 0, 0])


def test_mask_overlap_rules(coco):
    mask = coco_mask(coco, 10)
    assert mask.shape == (H, W) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, PERSON, TOOTHBRUSH}
    assert mask[12, 12] == PERSON  # the smaller instance stays on top
    assert mask[4, 25] == TOOTHBRUSH and mask[27, 38] == 0
    by_order = coco_mask(coco, 10, overlap='order')
    assert by_order[12, 12] == TOOTHBRUSH  # the later annotation wins
    assert set(np.unique(by_order)) == {0, TOOTHBRUSH}


def test_mask_crowd(coco):
    crowd = _crowd_mask().astype(bool)
    mask = coco_mask(coco, 11)
    assert mask[18, 18] == AIRPLANE  # the instance lies over the crowd
    assert mask[12, 6] == PERSON and mask[2, 2] == 0
    assert (mask[crowd] != 0).all() and (mask[~crowd & (mask != AIRPLANE)] == 0).all()
    ignored = coco_mask(coco, 11, crowd='ignore')
    assert ignored[18, 18] == AIRPLANE and ignored[12, 6] == 255
    np.testing.assert_array_equal(ignored != 255, (mask != PERSON))


def test_convert_split_is_resumable(coco, tmp_path):
    seg_dir = str(tmp_path / 'seg')
    res = convert_coco_split(coco, seg_dir, progress=False)
    stems = ['COCO_train2014_000000000010', 'COCO_train2014_000000000011']
    assert res['ids'] == stems and res['no_label'] == 1
    assert (res['written'], res['skipped']) == (2, 0)
    res = convert_coco_split(coco, seg_dir, progress=False)
    assert (res['written'], res['skipped']) == (0, 2)
    res = convert_coco_split(coco, seg_dir, overwrite=True, progress=False)
    assert (res['written'], res['skipped']) == (2, 0)


def test_tool_writes_layout_and_resumes(tmp_path):
    root = make_coco(tmp_path)
    tool = _load_tool()
    tool.main([root])
    seg = osp.join(root, 'SegmentationClass')
    mask_path = osp.join(seg, 'train2014', 'COCO_train2014_000000000010.png')
    png = Image.open(mask_path)
    assert png.mode == 'P'
    mask = np.asarray(png)
    assert mask[12, 12] == PERSON and mask[4, 25] == TOOTHBRUSH
    val_mask = np.asarray(Image.open(
        osp.join(seg, 'val2014', 'COCO_val2014_000000000020.png')))
    assert set(np.unique(val_mask)) == {0, TOOTHBRUSH}
    assert not osp.exists(osp.join(seg, 'train2014', 'COCO_train2014_000000000012.png'))
    splits = osp.join(root, 'ImageSets/Segmentation')
    with open(osp.join(splits, 'train.txt')) as f:
        assert f.read().split() == ['COCO_train2014_000000000010',
                                    'COCO_train2014_000000000011']
    with open(osp.join(splits, 'val.txt')) as f:
        assert f.read().split() == ['COCO_val2014_000000000020']
    with open(osp.join(root, 'classes.txt')) as f:
        assert tuple(f.read().split('\n')[:-1]) == CLASSES
    labels = read_label_file(osp.join(root, 'cls_labels.json'), CLASSES)
    np.testing.assert_array_equal(labels['COCO_train2014_000000000011'], [1, 1, 1, 0])
    np.testing.assert_array_equal(labels['COCO_val2014_000000000020'], [1, 0, 0, 1])

    # resume: an existing mask is kept (here a tampered one), --overwrite redoes it
    Image.fromarray(np.zeros((H, W), np.uint8)).save(mask_path)
    tool.main([root, '--splits', 'train2014'])
    assert np.asarray(Image.open(mask_path)).max() == 0
    labels = read_label_file(osp.join(root, 'cls_labels.json'), CLASSES)
    assert 'COCO_val2014_000000000020' in labels  # labels of other splits kept
    tool.main([root, '--splits', 'train2014', '--overwrite'])
    assert np.asarray(Image.open(mask_path))[12, 12] == PERSON


def test_dataset_reads_converted_set(tmp_path):
    root = make_coco(tmp_path)
    _load_tool().main([root])
    train = DATASETS.build(dict(type='COCOImageLabelDataset', data_root=root))
    assert train.metainfo['classes'] == CLASSES and len(train) == 2
    info = train.get_data_info(1)
    assert info['img_path'].endswith(osp.join('train2014',
                                              'COCO_train2014_000000000011.jpg'))
    np.testing.assert_array_equal(info['gt_image_labels'], [1, 1, 1, 0])
    val = DATASETS.build(dict(
        type='COCOImageLabelDataset', data_root=root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(img_path='val2014', seg_map_path='SegmentationClass/val2014'),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                  dict(type='PackImageLabelInputs')]))
    sample = val[0]['data_samples']
    np.testing.assert_array_equal(np.asarray(sample.gt_image_labels), [1, 0, 0, 1])
    assert set(np.unique(sample.gt_sem_seg.data.numpy())) == {0, TOOTHBRUSH}
    # without classes.txt and label file: the 81 COCO classes
    os.remove(osp.join(root, 'classes.txt'))
    os.remove(osp.join(root, 'cls_labels.json'))
    ds = DATASETS.build(dict(type='COCOImageLabelDataset', data_root=root,
                             lazy_init=True))
    assert ds.metainfo['classes'] == COCO_CLASSES and len(ds.metainfo['palette']) == 81


@pytest.mark.parametrize('name,tokens', [
    ('semformer/caae_deit-b-d_8xb8-100k_coco14-224x224', None),
    ('semformer/semformer_deit-s_1xb8-80k_coco14-448x448', 81),
    ('mctformer/mctformer-v2_deit-s_8xb8-77k_coco14-224x224', 80)])
def test_coco_configs(name, tokens):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name + '.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = cfg[loader].dataset
        assert ds.type == 'COCOImageLabelDataset' and 'xml_path' not in ds.data_prefix
    assert cfg.train_dataloader.dataset.data_prefix.img_path == 'train2014'
    assert cfg.test_dataloader.dataset.data_prefix.img_path == 'val2014'
    if tokens is None:
        assert cfg.model.num_classes == 81
    else:
        assert cfg.model.backbone.num_class_tokens == tokens
        assert cfg.model.decode_head.num_classes == 81
    if name.startswith('semformer/semformer_deit'):
        assert cfg.model.caae.num_classes == 81
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_iters


def test_coco_base_config():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/coco14_image_labels.py'))
    assert cfg.train_dataloader.dataset.type == 'COCOImageLabelDataset'
    assert cfg.val_dataloader.dataset.data_prefix.seg_map_path == \
        'SegmentationClass/val2014'


def test_check_converted_set(tmp_path):
    from semformer.datasets import check_image_label_dataset
    root = make_coco(tmp_path)
    _load_tool().main([root, '--nproc', '2'])
    summary = check_image_label_dataset(
        root, ['train', 'val'], batch_size=2,
        img_dir=dict(train='train2014', val='val2014'),
        seg_dir=dict(train='SegmentationClass/train2014',
                     val='SegmentationClass/val2014'))
    assert summary['classes'] == CLASSES
    assert summary['num_images'] == summary['num_masks'] == {'train': 2, 'val': 1}
    assert summary['class_counts'] == {'person': 2, 'airplane': 1, 'toothbrush': 2}


@pytest.mark.parametrize('name,crop', [
    ('afa/afa_mit-b1_4xb2-80k_coco14-512x512', 512),
    ('toco/toco_vit-b_4xb2-80k_coco14-448x448', 448)])
def test_single_stage_coco_configs_read_a_converted_set(name, crop, tmp_path):
    """AFA's and ToCo's COCO configs: train samples (rescaled, flipped, cropped;
    ToCo's views packed) and val samples with masks from a converted set."""
    root = make_coco(tmp_path)
    _load_tool().main([root])
    cfg = Config.fromfile(osp.join(REPO, 'configs', name + '.py'))
    assert cfg.model.decode_head.num_classes == 81 and cfg.model.cls_head.num_classes == 81
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
    assert len(train) == 2 and train.metainfo['classes'] == CLASSES
    for _ in range(3):
        out = train[1]
        h, w = out['inputs'].shape[1:]
        assert h <= crop and w <= crop
        np.testing.assert_array_equal(np.asarray(out['data_samples'].gt_image_labels),
                                      [1, 1, 1, 0])
        if name.startswith('toco'):
            assert out['data_samples'].toco_global_view.shape == (3, crop, crop)
    sample = val[0]['data_samples']
    assert sample.gt_sem_seg.data.shape[-2:] == tuple(sample.ori_shape)

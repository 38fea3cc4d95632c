import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from conftest import REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))


def test_there_are_configs():
    assert any(c.endswith('voc12_image_labels.py') for c in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_loads_and_imports_semformer(path):
    cfg = Config.fromfile(path)
    if '_base_' not in path:  # runnable configs must register our components
        assert 'semformer' in cfg.custom_imports['imports']


@pytest.mark.parametrize('name', ['voc12_image_labels', 'synthetic_shapes'])
def test_dataset_configs_build(name, voc_root, synthetic_root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', name + '.py'))
    root = voc_root if name.startswith('voc') else synthetic_root
    train = dict(cfg.train_dataloader.dataset, data_root=root)
    val = dict(cfg.val_dataloader.dataset, data_root=root)
    train_ds, val_ds = DATASETS.build(train), DATASETS.build(val)
    assert len(train_ds) == (3 if name.startswith('voc') else 24)
    sample = val_ds[0]['data_samples']
    assert sample.gt_image_labels.shape == (len(train_ds.metainfo['classes']), )
    assert 'gt_sem_seg' in sample
    out = train_ds[0]
    crop = cfg.crop_size
    assert out['inputs'].shape[1] <= crop[0] and out['inputs'].shape[2] <= crop[1]

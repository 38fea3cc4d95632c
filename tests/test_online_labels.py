"""tools/analysis/online_labels.py: what a single-stage model teaches its head."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REPO

spec = importlib.util.spec_from_file_location(
    'online_labels', osp.join(REPO, 'tools/analysis/online_labels.py'))
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)
AFA = osp.join(REPO, 'configs/afa/afa_vit-t8_1xb16-500_synthetic-64x64.py')


def test_confusion_and_summary_hand_case():
    gt = np.array([0, 0, 1, 1, 255, 1])
    pred = np.array([0, 1, 1, 255, 0, 1])
    conf = tool.confusion(gt, pred, 2)
    # rows gt 0 / 1, columns pred 0, 1, ignored; the gt-255 pixel is left out
    assert conf.tolist() == [[1, 1, 0], [0, 2, 1]]
    s = tool.summarise(conf)
    assert s['labelled'] == pytest.approx(400 / 5)
    # class 0: tp 1, fp 0, fn 1 -> 1 / 2; class 1: tp 2, fp 1 -> 2 / 3
    assert s['IoU'] == pytest.approx([50.0, 200 / 3])
    assert s['rows'][1] == pytest.approx([0.0, 200 / 3, 100 / 3])
    with pytest.raises(ValueError, match='outside'):
        tool.confusion(np.array([0]), np.array([7]), 2)


def test_cli_counts_every_ground_truth_pixel(synthetic_root, tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(AFA)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'afa.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    out = tmp_path / 'online.json'
    tool.main([AFA, str(ckpt), '--num-images', '5', '--batch-size', '2', '--out', str(out),
               '--cfg-options', f'val_dataloader.dataset.data_root={synthetic_root}'])
    result = json.loads(out.read_text())
    labels, head = np.array(result['labels']), np.array(result['head'])
    assert result['images'] == 5 and labels.shape == (7, 8) and head.shape == (7, 8)
    ids = open(osp.join(synthetic_root, 'ImageSets/Segmentation/train.txt')).read().split()[:5]
    gt = np.concatenate([np.array(Image.open(
        osp.join(synthetic_root, 'SegmentationClass', f'{i}.png'))).ravel() for i in ids])
    # table 1: every ground-truth pixel of the 5 images once, per class
    assert labels.sum(1).tolist() == np.bincount(gt[gt < 7], minlength=7).tolist()
    # table 2: every labelled pixel once, none of the ignored ones
    assert head.sum() == labels[:, :7].sum()
    # only the classes of each image can be labels: the labels' classes are present
    present = set(np.unique(gt[gt < 7]).tolist())
    assert set(np.nonzero(labels[:, :7].sum(0))[0].tolist()) <= present


def test_a_two_stage_model_is_refused():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py'))
    with pytest.raises(TypeError, match='single-stage'):
        tool.build_model(cfg, 'unused.pth')

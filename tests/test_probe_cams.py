"""tools/analysis/probe_cams.py: linear-probe CAMs of a frozen backbone."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO
from semformer.evaluation.metrics.cam_metric import CAMMetric

spec = importlib.util.spec_from_file_location(
    'probe_cams', osp.join(REPO, 'tools/analysis/probe_cams.py'))
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)
CAM = osp.join(REPO, 'configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py')


def test_average_precision_hand_case():
    # ranked: pos (P 1/1), neg, pos (P 2/3) -> AP = (1 + 2/3) / 2
    ap = probe.average_precision(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.1]))
    assert ap == pytest.approx(5 / 6)
    assert np.isnan(probe.average_precision(np.array([0, 0]), np.array([1.0, 0.0])))


def test_probe_cams_of_a_perfect_classifier_score_100():
    # tokens one-hot of their class (2 foreground classes, 4 x 4 grid); the
    # identity classifier's CAMs are the masks themselves
    mask = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 0, 0], [2, 2, 0, 0]])
    feats = torch.stack([(mask == 1).float(), (mask == 2).float()])[None]
    labels = torch.tensor([[1.0, 1.0]])
    cams = probe.probe_cams(feats, torch.eye(2), labels, (4, 4))
    assert cams.shape == (1, 3, 4, 4) and cams[:, 0].abs().sum() == 0
    assert torch.equal(cams[0, 1], (mask == 1).float())
    metric = CAMMetric(thresholds=[0.5])
    assert CAMMetric.summarise(metric.confusion(cams[0], mask))['mIoU'] == pytest.approx(100)
    # an absent class's map is zeroed
    cams = probe.probe_cams(feats, torch.eye(2), torch.tensor([[1.0, 0.0]]), (4, 4))
    assert cams[0, 2].abs().sum() == 0


def test_token_cosine_bounds():
    same = torch.ones(2, 3, 4, 4)
    assert probe.token_cosine(same) == pytest.approx(1.0)
    opposite = torch.stack([torch.ones(3), -torch.ones(3)], 1).view(1, 3, 1, 2)
    assert probe.token_cosine(opposite) == pytest.approx(0.0)  # (1 + 1 - 1 - 1) / 4


def test_probe_layer_separable_tokens_localise():
    # class c's images hold a blob of feature c on a background of noise: the
    # probe must find the blobs (high CAM mIoU) and rank images (mAP 100)
    g = torch.Generator().manual_seed(0)
    n, C = 40, 8
    feats = 0.1 * torch.randn(n, C, 6, 6, generator=g)
    masks = torch.zeros(n, 6, 6, dtype=torch.long)
    for i in range(n):
        c = i % 2
        masks[i, 1:4, 1 + c:4 + c] = c + 1
        feats[i, c, 1:4, 1 + c:4 + c] += 1.0
    labels = probe.image_labels(masks, 3)
    r = probe.probe_layer(feats, feats, labels, labels, masks, pool='avg', iters=200)
    assert r['mAP'] == pytest.approx(100)
    assert r['cam_mIoU'] > 90


def test_cli_on_the_synthetic_set(synthetic_root, tmp_path):
    out = tmp_path / 'probe.json'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/probe_cams.py', CAM, '--data-root',
         synthetic_root, '--pool', 'max', '--iters', '20',
         '--out', str(out)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert [r['block'] for r in result['layers']] == [1, 2, 3, 4, 5, 6]
    for r in result['layers']:
        assert 0 <= r['cam_mIoU'] <= 100 and -1 <= r['token_cosine'] <= 1
        assert len(r['IoU']) == 7


def test_cli_names_a_missing_split(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/probe_cams.py', CAM, '--data-root', str(tmp_path)],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert osp.join(str(tmp_path), 'ImageSets', 'Segmentation', 'train.txt') in proc.stderr

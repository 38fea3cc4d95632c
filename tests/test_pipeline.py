"""Smoke test of the main job: the whole pipeline on a tiny synthetic set with every
training cut to 2 iterations, then once more to check that everything is reused."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np
from PIL import Image

from conftest import REPO

STAGES = ['synthetic data', '1 CAAE', '2 SemFormer', 'CAM mIoU, val, without CRA',
          'CAM mIoU, val, with CRA', '3 CAMs of the train split',
          'CAM mIoU, train, without CRA', 'CAM mIoU, train, with CRA']
REFINEMENTS = ['threshold', 'crf', 'par', 'seeds', 'rw', 'rw-crf']


def run_pipeline(repo):
    proc = subprocess.run(
        [sys.executable, 'tools/run_pipeline.py', '--num-train', '16', '--num-val', '6',
         '--max-iters', '2', '--overlays', '2'],
        cwd=repo, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(osp.join(repo, 'work_dirs/pipeline/results.json')) as f:
        results = json.load(f)
    with open(osp.join(repo, 'work_dirs/pipeline/results.md')) as f:
        assert f.read() in proc.stdout  # the table printed is the table written
    return results['rows'], proc.stdout


def test_pipeline_runs_every_stage_then_reuses_them(tmp_path):
    repo = str(tmp_path / 'repo')
    os.makedirs(repo)
    for folder in ('configs', 'tools', 'checkpoints'):
        shutil.copytree(osp.join(REPO, folder), osp.join(repo, folder))

    rows, _ = run_pipeline(repo)
    stages = [r['stage'] for r in rows]
    for prefix in STAGES:
        assert any(s.startswith(prefix) for s in stages), prefix
    labels = [r for r in rows if r['stage'].startswith('4 pseudo labels')]
    assert len(labels) == len(REFINEMENTS)
    for r in labels:
        miou = float(r['result'].split()[1])
        assert 0 < miou <= 100, r
    final = rows[stages.index('6 segmentation mIoU, val (IoUMetric)')]['result']
    assert 'single scale' in final and 'multi-scale + flip' in final
    trained = [r for r in rows if r['minutes'] is not None]
    assert all(r['status'] == 'done' and r['minutes'] > 0 for r in trained)

    data = osp.join(repo, 'data/synthetic/VOC2012')
    train_ids = open(osp.join(data, 'ImageSets/Segmentation/train.txt')).read().split()
    assert len(train_ids) == 16
    assert sorted(os.listdir(osp.join(data, 'CAMs/semformer'))) == sorted(
        i + '.npz' for i in train_ids)
    for name in REFINEMENTS:
        files = sorted(os.listdir(osp.join(data, 'PseudoLabels', name)))
        assert files == sorted(i + '.png' for i in train_ids), name
        label = Image.open(osp.join(data, 'PseudoLabels', name, files[0]))
        assert label.mode == 'P' and label.size == (64, 64)
        assert set(np.unique(np.asarray(label))) <= set(range(7)) | {255}
    figure = cv2.imread(osp.join(repo, 'work_dirs/pipeline/overlays.png'))
    assert figure is not None and figure.shape[0] >= 2 * 64

    stamps = {p: os.stat(osp.join(data, 'PseudoLabels/rw-crf', p)).st_mtime_ns
              for p in os.listdir(osp.join(data, 'PseudoLabels/rw-crf'))}
    again, out = run_pipeline(repo)
    assert ' tools/train.py ' not in out  # nothing trained again
    for before, after in zip(rows, again):
        assert after['stage'] == before['stage']
        if before['stage'][0] in '12345' or before['stage'].startswith('synthetic'):
            assert after['status'] == 'reused', after
            assert after['minutes'] == before['minutes']  # the minutes it took to make
        if before['stage'].startswith(('CAM mIoU', '4 pseudo labels')):
            assert after['result'] == before['result']
    assert stamps == {p: os.stat(osp.join(data, 'PseudoLabels/rw-crf', p)).st_mtime_ns
                      for p in stamps}

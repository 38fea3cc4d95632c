"""The quality benchmark on a tiny synthetic set with 2-iteration trainings: every
stage runs for every method and seed through the shared tools, and the table
holds the mean over seeds of each method's runs."""
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys

import numpy as np

from conftest import REPO, load_tool
from semformer.apis.adapt import load


def test_benchmark_runs_every_method_through_every_stage(tmp_path):
    repo = str(tmp_path / 'repo')
    os.makedirs(repo)
    for folder in ('configs', 'tools', 'checkpoints'):
        shutil.copytree(osp.join(REPO, folder), osp.join(repo, folder))
    proc = subprocess.run(
        [sys.executable, 'tools/benchmark_quality.py', '--num-train', '12', '--num-val', '4',
         '--max-iters', '2', '--seg-iters', '2', '--methods', 'semformer', 'mctformer-v2',
         '--seeds', '3', '4'],
        cwd=repo, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = osp.join(repo, 'work_dirs/benchmark')
    with open(osp.join(work, 'benchmark.json')) as f:
        result = json.load(f)
    rows = result['runs']
    assert [(r['method'], r['seed']) for r in rows] == [
        ('semformer', 3), ('mctformer-v2', 3), ('semformer', 4), ('mctformer-v2', 4)]
    for r in rows:
        for key in ('cam_val', 'cam_val_plain', 'cam_train', 'pseudo', 'final',
                    'final_tta'):
            assert 0 <= r[key] <= 100, r
        key = f'{r["method"].replace("-", "_")}_seed{r["seed"]}'
        cams = sorted(os.listdir(osp.join(work, key + '_cams', 'out')))
        labels = sorted(os.listdir(osp.join(work, key + '_crf', 'out')))
        assert len(cams) == len(labels) == 12 and cams[0].endswith('.npz')
        with np.load(osp.join(work, key + '_cams', 'out', cams[0])) as npz:
            assert npz['cams'].ndim == 3
        assert osp.isfile(osp.join(work, key + '_cam', 'iter_2.pth'))
        assert osp.isfile(osp.join(work, key + '_seg', 'iter_2.pth'))
        # the multi-scale + flip test of this run's DeepLabV3+
        with open(osp.join(work, key + '_seg_tta', 'stage.json')) as f:
            assert json.load(f)['metrics']['mIoU'] == r['final_tta']
        # the seed reached mmengine, and DeepLab trained on this run's labels
        with open(osp.join(work, key + '_seg', 'deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py')) as f:
            dumped = f.read()
        assert f'seed={r["seed"]}' in dumped and f'{key}_crf/out' in dumped
    # nothing was written into the dataset
    assert not osp.exists(osp.join(repo, 'data/synthetic/VOC2012/CAMs'))
    # one CAAE for SemFormer's seeds; none for MCTformer
    assert osp.isfile(osp.join(work, 'caae/iter_2.pth'))
    with open(osp.join(work, 'semformer_seed4_cam/semformer_vit-t8_1xb16-500_synthetic-64x64.py')) as f:
        assert 'benchmark/caae/iter_2.pth' in f.read()
    with open(osp.join(work, 'benchmark.md')) as f:
        table = f.read()
    assert table in proc.stdout
    semformer = [r['pseudo'] for r in rows if r['method'] == 'semformer']
    mean, sd = statistics.mean(semformer), statistics.stdev(semformer)
    assert '| SemFormer (CRA maps) | 2 |' in table and f'{mean:.1f} ± {sd:.1f}' in table


def test_single_stage_methods_are_one_training_read_from_its_validation():
    """AFA/ToCo: one training stage (seeded, on the benchmark's data); its last
    validation gives the CAM mIoU and the segmentation head's final mIoU."""
    bq = load_tool('tools/benchmark_quality.py')

    class Builder:
        def options(self, config, opts, **kwargs):
            return list(opts)

    for name in ('afa', 'toco'):
        stages = bq.method_stages(Builder(), name, 7, 400)
        assert [(s.name, s.kind) for s in stages] == [
            (f'{name}_seed7_cam', 'train'), (f'{name}_seed7_ss', 'test')]
        assert stages[0].config == stages[1].config == bq.METHODS[name][1]
        assert osp.isfile(osp.join(REPO, stages[0].config))
        assert stages[0].options == ['randomness.seed=7']
        # the head of that training, tested at one scale without flip
        assert stages[1].checkpoint == '{%s_seed7_cam.checkpoint}' % name
        assert stages[1].options == ['model.test_cfg.scales=[1.0]',
                                     'model.test_cfg.flip=False']
        # the methods' own test (their validation) is multi-scale + flip
        test_cfg = load(osp.join(REPO, stages[0].config))['model']['test_cfg']
        assert len(test_cfg['scales']) > 1 and test_cfg['flip']

    class Runner:
        records = {'toco_seed7_cam': {'minutes': 3.5}}

        def metrics(self, name):
            return {'toco_seed7_cam': {'cam/mIoU': 41.0, 'cam/threshold': 0.3,
                                       'mIoU': 52.5},
                    'toco_seed7_ss': {'cam/mIoU': 40.0, 'mIoU': 50.5}}[name]

    # a multi-stage method's DeepLabV3+ is also tested multi-scale + flip
    stages = {s.name: s for s in bq.method_stages(Builder(), 'cam', 7, 400)}
    tta = stages['cam_seed7_seg_tta']
    assert (tta.kind, tta.config, tta.args, tta.checkpoint) == (
        'test', bq.SEG, ['--tta'], '{cam_seed7_seg.checkpoint}')

    row = bq.result_row(Runner(), 'toco', 7)
    assert (row['cam_val'], row['final'], row['final_tta'], row['threshold'],
            row['train_minutes']) == (41.0, 50.5, 52.5, 0.3, 3.5)
    assert row['pseudo'] is None and row['cam_train'] is None
    assert bq.fmt([row['pseudo']]) == ''

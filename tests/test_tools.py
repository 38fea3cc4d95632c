"""tools/train.py, test.py and dist_train.sh end to end on a tiny model (CPU)."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import REPO

CONFIG = osp.join(REPO, 'tests/data/tiny_fcn_synthetic.py')


def data_options(root):
    return [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def run(args, **kwargs):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, env=env,
                          **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(synthetic_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('train'))
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
               '--cfg-options'] + data_options(synthetic_root))
    return work, out


def test_train_saves_checkpoints_and_validates(trained):
    work, out = trained
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    assert osp.isfile(osp.join(work, 'iter_8.pth'))
    assert 'mIoU' in out


def test_checkpoint_loads_with_weights_only(trained):
    work, _ = trained
    ckpt = torch.load(osp.join(work, 'iter_8.pth'), weights_only=True)
    assert ckpt['meta']['iter'] == 8
    assert 'message_hub' in ckpt
    # without our allow-list torch refuses the file: the test above is not vacuous
    proc = subprocess.run(
        [sys.executable, '-c',
         f'import torch; torch.load({osp.join(work, "iter_8.pth")!r}, '
         'weights_only=True)'], capture_output=True, text=True)
    assert proc.returncode != 0 and 'HistoryBuffer' in proc.stderr


def test_resume_continues_from_last_checkpoint(trained, synthetic_root, tmp_path):
    work, _ = trained
    import shutil
    resumed = str(tmp_path / 'resumed')
    shutil.copytree(work, resumed)
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', resumed,
               '--resume', '--cfg-options', 'train_cfg.max_iters=12'] +
              data_options(synthetic_root))
    assert 'resumed epoch: 0, iter: 8' in out
    assert osp.isfile(osp.join(resumed, 'iter_12.pth'))
    assert 'Iter(train) [ 2/12]' not in out  # it did not start again


def test_test_tool_evaluates_and_paints(trained, synthetic_root, tmp_path):
    work, _ = trained
    show, pred = str(tmp_path / 'show'), str(tmp_path / 'pred')
    out = run([sys.executable, 'tools/test.py', CONFIG, osp.join(work, 'iter_8.pth'),
               '--work-dir', str(tmp_path / 'w'), '--show-dir', show, '--out', pred,
               '--cfg-options', 'default_hooks.visualization.interval=1'] +
              data_options(synthetic_root))
    assert 'mIoU' in out
    assert len(glob.glob(osp.join(show, '**', '*.png'), recursive=True)) == 8
    assert len(glob.glob(osp.join(pred, '*.png'))) == 8


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, 'tools/test.py', CONFIG, 'nope.pth'],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and 'checkpoint nope.pth does not exist' in proc.stderr


def test_dist_train_runs_two_cpu_processes(synthetic_root, tmp_path):
    work = str(tmp_path / 'dist')
    env = dict(PYTHON=sys.executable, PORT='29517')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work,
         '--cfg-options'] + data_options(synthetic_root),
        cwd=REPO, capture_output=True, text=True, env=dict(os.environ, **env),
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    ckpt = torch.load(osp.join(work, 'iter_8.pth'), weights_only=True)
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])
    # and a single process evaluates it
    out = run([sys.executable, 'tools/test.py', CONFIG, osp.join(work, 'iter_8.pth'),
               '--work-dir', str(tmp_path / 'w'), '--cfg-options'] +
              data_options(synthetic_root))
    assert 'mIoU' in out

"""tools/train.py, test.py and dist_train.sh end to end on CPU.

Training runs use the synthetic CAAE config (shortened by --cfg-options, random
encoder weights); test.py's --show-dir/--out run on a tiny FCN fixture, because
they paint segmentation predictions.
"""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import REPO, load_tool

CAAE = osp.join(REPO, 'configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py')
FCN = osp.join(REPO, 'tests/data/tiny_fcn_synthetic.py')
SHORT = [
    'model.encoder.init_cfg=None', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=4',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


def data_options(root):
    return [f'{k}.dataset.data_root={root}'
            for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def run(args, env=None, **kwargs):
    env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, env=env,
                          **kwargs)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


@pytest.fixture(scope='module')
def caae_run(synthetic_root, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('caae'))
    out = run([sys.executable, 'tools/train.py', CAAE, '--work-dir', work,
               '--cfg-options'] + SHORT + data_options(synthetic_root))
    return work, out


def test_train_logs_losses_validates_and_saves(caae_run):
    work, out = caae_run
    assert 'loss_ss:' in out and 'loss_recon:' in out
    assert 'cls/mAP:' in out and 'cls/F1:' in out
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    assert osp.isfile(osp.join(work, 'iter_4.pth'))
    # drawn through the runner's visualizer (LocalVisBackend)
    pngs = glob.glob(osp.join(work, '*', 'vis_data', 'vis_image', 'val_reconstructions_4.png'))
    assert len(pngs) == 1


def test_checkpoint_loads_with_weights_only(caae_run):
    work, _ = caae_run
    path = osp.join(work, 'iter_4.pth')
    ckpt = torch.load(path, weights_only=True)
    assert ckpt['meta']['iter'] == 4 and 'message_hub' in ckpt
    # a checkpoint that mmengine writes without our changes is refused by
    # weights_only=True: the test above is not vacuous
    proc = subprocess.run(
        [sys.executable, '-c',
         'import torch; from mmengine.logging import MessageHub; '
         'hub = MessageHub("x"); hub.update_scalar("a", 1.0); '
         f'torch.save(dict(message_hub=hub.state_dict()), {path + ".plain"!r}); '
         f'torch.load({path + ".plain"!r}, weights_only=True)'],
        capture_output=True, text=True)
    assert proc.returncode != 0 and 'Unsupported global' in proc.stderr


def test_resume_continues_from_last_checkpoint(caae_run, synthetic_root, tmp_path):
    work, _ = caae_run
    resumed = str(tmp_path / 'resumed')
    shutil.copytree(work, resumed)
    out = run([sys.executable, 'tools/train.py', CAAE, '--work-dir', resumed,
               '--resume', '--cfg-options'] + SHORT + ['train_cfg.max_iters=6'] +
              data_options(synthetic_root))
    assert 'resumed epoch: 0, iter: 4' in out
    assert 'Iter(train) [1/6]' not in out and 'Iter(train) [5/6]' in out
    assert osp.isfile(osp.join(resumed, 'iter_6.pth'))


def test_dist_train_runs_two_cpu_processes(synthetic_root, tmp_path):
    work = str(tmp_path / 'dist')
    out = run(['bash', 'tools/dist_train.sh', CAAE, '2', '--work-dir', work,
               '--cfg-options'] + SHORT + data_options(synthetic_root),
              env=dict(PYTHON=sys.executable, PORT='29517'), timeout=600)
    assert 'Distributed training: True' in out
    assert 'GPU number: 2' in out  # mmengine's name for the world size
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), weights_only=True)
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])
    # a single process evaluates the checkpoint of the two-process run
    out = run([sys.executable, 'tools/test.py', CAAE, osp.join(work, 'iter_4.pth'),
               '--work-dir', str(tmp_path / 'w'), '--cfg-options'] + SHORT +
              data_options(synthetic_root))
    assert 'cls/mAP:' in out
    # and tools/dist_test.sh evaluates it with two processes
    out = run(['bash', 'tools/dist_test.sh', CAAE, osp.join(work, 'iter_4.pth'), '2',
               '--work-dir', str(tmp_path / 'w2'), '--cfg-options'] + SHORT +
              data_options(synthetic_root),
              env=dict(PYTHON=sys.executable, PORT='29518'), timeout=600)
    assert 'cls/mAP:' in out and 'GPU number: 2' in out


def test_test_tool_paints_and_writes_predictions(synthetic_root, tmp_path):
    work = str(tmp_path / 'fcn')
    run([sys.executable, 'tools/train.py', FCN, '--work-dir', work, '--cfg-options'] +
        data_options(synthetic_root))
    show, pred = str(tmp_path / 'show'), str(tmp_path / 'pred')
    out = run([sys.executable, 'tools/test.py', FCN, osp.join(work, 'iter_8.pth'),
               '--work-dir', str(tmp_path / 'w'), '--show-dir', show, '--out', pred,
               '--cfg-options', 'default_hooks.visualization.interval=1'] +
              data_options(synthetic_root))
    assert 'mIoU' in out
    assert len(glob.glob(osp.join(show, '**', '*.png'), recursive=True)) == 8
    assert len(glob.glob(osp.join(pred, '*.png'))) == 8


def test_amp_without_gpu_trains_in_bfloat16(synthetic_root, tmp_path):
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU')
    out = run([sys.executable, 'tools/train.py', CAAE, '--amp', '--work-dir',
               str(tmp_path / 'w'), '--cfg-options'] + SHORT + data_options(synthetic_root))
    assert "type='CPUAutocastOptimWrapper'" in out
    assert 'loss_ss:' in out and 'nan' not in out.split('Iter(train)')[-1].lower()


def test_missing_checkpoint_is_a_clear_error():
    proc = subprocess.run([sys.executable, 'tools/test.py', CAAE, 'nope.pth'],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0 and 'checkpoint nope.pth does not exist' in proc.stderr


CAM = osp.join(REPO, 'configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py')


def cam_options(root, caae_ckpt):
    return ['model.backbone.init_cfg=None', f'model.caae_checkpoint={caae_ckpt}'] + \
        SHORT[1:] + data_options(root)


def test_stage2_trains_from_the_caae_checkpoint_and_tests(caae_run, synthetic_root,
                                                         tmp_path):
    work = str(tmp_path / 'cam')
    out = run([sys.executable, 'tools/train.py', CAM, '--work-dir', work,
               '--cfg-options'] + cam_options(synthetic_root, osp.join(caae_run[0], 'iter_4.pth')))
    assert 'loaded the frozen CAAE from' in out
    for name in ('loss_cf', 'loss_cb', 'loss_as', 'loss_ac', 'loss_ss'):
        assert f'{name}:' in out
    assert 'cam/mIoU:' in out and 'cam/plain_mIoU:' in out and 'cam/threshold:' in out
    assert glob.glob(osp.join(work, '*', 'vis_data', 'vis_image', 'val_cams_4.png'))
    ckpt = torch.load(osp.join(work, 'iter_4.pth'), map_location='cpu')
    assert not any(k.startswith('caae') for k in ckpt['state_dict'])
    # testing needs no CAAE file; CRA off is one option
    out = run([sys.executable, 'tools/test.py', CAM, osp.join(work, 'iter_4.pth'),
               '--work-dir', str(tmp_path / 't'), '--cfg-options',
               'model.caae_checkpoint=nope.pth', 'model.test_cfg.cra=False'] +
              data_options(synthetic_root))
    assert 'cam/mIoU:' in out and 'cam/plain_mIoU' not in out
    assert 'missing keys' not in out  # the checkpoint has no CAAE and needs none
    assert "CAAE checkpoint 'nope.pth' not found: no image-level scores" in out
    assert 'cls/mAP' not in out
    assert glob.glob(osp.join(tmp_path, 't', '*', 'vis_data', 'vis_image', 'test_cams_0.png'))


def test_stage2_without_the_caae_checkpoint_is_a_clear_error(synthetic_root, tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', CAM, '--work-dir', str(tmp_path / 'w'),
         '--cfg-options'] + cam_options(synthetic_root, str(tmp_path / 'none.pth')),
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'none.pth' in proc.stderr and 'train stage 1 first' in proc.stderr


def _test_tool():
    return load_tool('tools/test.py', 'semformer_test_tool')


def test_out_and_show_dir_work_or_refuse_for_every_config():
    """`tools/test.py --out` and `--show-dir` on every runnable config: a place to
    write the predictions, or a clear refusal (image classifiers)."""
    import argparse
    import glob
    from mmengine.config import Config
    tool = _test_tool()
    configs = [p for p in sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                           recursive=True)) if '_base_' not in p]
    outcomes = {}
    for path in configs:
        cfg = Config.fromfile(path)
        if cfg.get('test_evaluator') is None:  # training-only configs (AffinityNet)
            continue
        types = tool.evaluator_types(cfg)
        try:
            tool.set_output(cfg, '/tmp/out')
            args = argparse.Namespace(show=False, show_dir='/tmp/show', wait_time=0)
            tool.enable_visualization(cfg, args)
        except SystemExit as e:
            assert 'ImageLabelMetric' in types, (path, str(e))
            assert 'image classifier' in str(e) or 'write no predictions' in str(e)
            outcomes[path] = 'refused'
            continue
        if cfg.get('test_cfg', {}).get('type') == 'ResumableTestLoop':
            assert cfg.test_cfg.out_dir == '/tmp/out'
        else:
            evaluators = cfg.test_evaluator
            evaluators = evaluators if isinstance(evaluators, list) else [evaluators]
            assert [e.output_dir for e in evaluators if e.type == 'IoUMetric'] == ['/tmp/out']
        assert cfg.default_hooks.visualization.draw
        assert cfg.visualizer.save_dir == '/tmp/show'
        outcomes[path] = 'ok'
    assert 'refused' in outcomes.values() and 'ok' in outcomes.values()
    cams = osp.join(REPO, 'configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py')
    assert outcomes[cams] == 'ok'

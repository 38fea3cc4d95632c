"""CAM and pseudo-label generation through tools/test.py and tools/dist_test.sh: one
file per image, resumable after a kill, each image written exactly once by two
processes."""
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from conftest import REPO
from test_tools import run

CAM_TRAIN = osp.join(REPO, 'configs/semformer/semformer_vit-t8_1xb25-cams_synthetic-train.py')
LABELS = osp.join(REPO, 'configs/pseudo_label/crf_semformer_synthetic.py')


@pytest.fixture(scope='module')
def cam_checkpoint(tmp_path_factory):
    """A SemFormer with random weights, saved as a runner checkpoint, and its
    stage-1 CAAE (random weights too; the image scores read it) beside it."""
    cfg = Config.fromfile(CAM_TRAIN)
    cfg.model.backbone.init_cfg = None
    cfg.model.caae.encoder.init_cfg = None
    cfg.model.caae_checkpoint = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()  # no uninitialised (torch.empty) tensor in the checkpoint
    path = str(tmp_path_factory.mktemp('ckpt') / 'semformer.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    caae = MODELS.build(cfg.model.caae)
    caae.init_weights()
    torch.save({'state_dict': caae.state_dict(), 'meta': {}}, caae_checkpoint_of(path))
    return path


def caae_checkpoint_of(cam_checkpoint):
    return osp.join(osp.dirname(cam_checkpoint), 'caae.pth')


def options(root, out_dir, *extra):
    return ['--cfg-options', f'test_dataloader.dataset.data_root={root}',
            f'test_cfg.out_dir={out_dir}', 'model.backbone.init_cfg=None',
            'model.caae_checkpoint=None', 'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
            *extra]


def read_all(out_dir):
    out = {}
    for name in sorted(os.listdir(out_dir)):
        with np.load(osp.join(out_dir, name)) as f:
            out[name] = {k: f[k] for k in f.files}
    return out


def metric(log, key):
    return re.findall(rf'{key}: ([0-9.]+)', log)[-1]


def test_killed_cam_run_resumes_to_the_uninterrupted_result(synthetic_root, cam_checkpoint,
                                                            tmp_path):
    slow = ['test_dataloader.batch_size=1', 'model.test_cfg.scales=[1.0,2.0,3.0,4.0]',
            f'model.caae_checkpoint={caae_checkpoint_of(cam_checkpoint)}']  # image scores
    full = str(tmp_path / 'full')
    log_full = run([sys.executable, 'tools/test.py', CAM_TRAIN, cam_checkpoint,
                    '--work-dir', str(tmp_path / 'w1')] + options(synthetic_root, full, *slow))
    assert '24 files written (24 by rank), 0 found done' in log_full
    assert 'img/s' in log_full  # the progress bar

    part = str(tmp_path / 'part')
    proc = subprocess.Popen(
        [sys.executable, 'tools/test.py', CAM_TRAIN, cam_checkpoint, '--work-dir',
         str(tmp_path / 'w2')] + options(synthetic_root, part, *slow),
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not (
            osp.isdir(part) and len([f for f in os.listdir(part) if f.endswith('.npz')]) >= 3):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(f for f in os.listdir(part) if f.endswith('.npz'))
    assert 3 <= len(done) < 24, f'the run was not interrupted in the middle ({len(done)})'
    # a half-written file, as a kill during np.savez would leave it
    with open(osp.join(part, 'x.npz.tmp12345'), 'wb') as f:
        f.write(b'PK\x03')

    log = run([sys.executable, 'tools/test.py', CAM_TRAIN, cam_checkpoint, '--work-dir',
               str(tmp_path / 'w3')] + options(synthetic_root, part, *slow))
    assert f'{24 - len(done)} files written ({24 - len(done)} by rank), {len(done)} found done' in log
    resumed, reference = read_all(part), read_all(full)
    assert sorted(resumed) == sorted(reference) and len(reference) == 24
    for name, arrays in reference.items():
        assert sorted(arrays) == ['cams', 'cams_plain', 'image_scores', 'keys']
        assert np.isfinite(arrays['image_scores']).all(), name
        for key, value in arrays.items():
            assert np.array_equal(resumed[name][key], value), (name, key)
    for key in ('cam/mIoU', 'cam/plain_mIoU', 'cam/threshold', 'cls/mAP'):
        assert metric(log, key) == metric(log_full, key)

    # a finished run writes nothing and scores the stored maps the same way
    log = run([sys.executable, 'tools/test.py', CAM_TRAIN, cam_checkpoint, '--work-dir',
               str(tmp_path / 'w4')] + options(synthetic_root, part, *slow))
    assert '0 files written (0 by rank), 24 found done' in log
    assert metric(log, 'cam/mIoU') == metric(log_full, 'cam/mIoU')
    assert metric(log, 'cls/mAP') == metric(log_full, 'cls/mAP')  # the stored scores

    # pseudo labels from these CAMs: resumable in the same way, scored vs the masks
    labels = str(tmp_path / 'labels')
    label_opts = ['--cfg-options', f'test_dataloader.dataset.data_root={synthetic_root}',
                  f'test_dataloader.dataset.pipeline.2.cam_dir={part}',
                  f'test_cfg.out_dir={labels}', 'test_dataloader.num_workers=0',
                  'test_dataloader.persistent_workers=False']
    log = run([sys.executable, 'tools/test.py', LABELS, '--work-dir', str(tmp_path / 'l1')]
              + label_opts)
    assert '24 files written' in log and 'pseudo/mIoU' in log
    first = {n: open(osp.join(labels, n), 'rb').read() for n in os.listdir(labels)}
    os.remove(osp.join(labels, sorted(first)[5]))
    log2 = run([sys.executable, 'tools/test.py', LABELS, '--work-dir', str(tmp_path / 'l2')]
               + label_opts)
    assert '1 files written (1 by rank), 23 found done' in log2
    assert first == {n: open(osp.join(labels, n), 'rb').read() for n in os.listdir(labels)}
    assert metric(log2, 'pseudo/mIoU') == metric(log, 'pseudo/mIoU')

    # two labellings in one run (CRF, then CRF again): the partial ones are the
    # one-CRF labels above, file for file; an image missing in either folder is redone
    two = tmp_path / 'two_crfs.py'
    two.write_text(f"_base_ = ['{LABELS}']\n"
                   "model = dict(refiners=[{{_base_.crf}}, {{_base_.crf}}], "
                   "partial_refiners=1)\n")
    final, partial = str(tmp_path / 'final'), str(tmp_path / 'partial')

    def two_crfs(work):
        return run([sys.executable, 'tools/test.py', str(two), '--work-dir',
                    str(tmp_path / work)] + label_opts[:3]
                   + [f'test_cfg.out_dir={final}', f'test_cfg.partial_out_dir={partial}']
                   + label_opts[4:])

    def read(folder):
        return {n: open(osp.join(folder, n), 'rb').read() for n in os.listdir(folder)}

    log3 = two_crfs('t1')
    assert '24 files written' in log3
    assert read(partial) == first and sorted(read(final)) == sorted(first)
    assert metric(log3, 'pseudo/partial/mIoU') == metric(log, 'pseudo/mIoU')
    both = read(final)
    os.remove(osp.join(final, sorted(first)[3]))
    os.remove(osp.join(partial, sorted(first)[7]))
    log4 = two_crfs('t2')
    assert '2 files written (2 by rank), 22 found done' in log4
    assert read(partial) == first and read(final) == both
    for key in ('pseudo/mIoU', 'pseudo/partial/mIoU'):
        assert metric(log4, key) == metric(log3, key)

    # partial labels without a folder for them, or a folder without partial labels:
    # refused before anything is written
    for config, extra, error in (
            (str(two), [], 'set test_cfg.partial_out_dir to keep them'),
            (LABELS, [f'test_cfg.partial_out_dir={partial}'],
             'the model gives no pred_sem_seg_partial')):
        out = str(tmp_path / ('refused_' + osp.basename(config)))
        proc = subprocess.run(
            [sys.executable, 'tools/test.py', config, '--work-dir', str(tmp_path / 'r')]
            + label_opts[:3] + [f'test_cfg.out_dir={out}'] + extra + label_opts[4:],
            cwd=REPO, capture_output=True, text=True)
        assert proc.returncode != 0 and error in proc.stderr, proc.stderr[-2000:]
        assert not os.listdir(out)


def test_two_processes_write_every_image_exactly_once(synthetic_root, cam_checkpoint,
                                                      tmp_path):
    split = tmp_path / 'seven.txt'
    ids = sorted(os.listdir(osp.join(synthetic_root, 'JPEGImages')))[:7]
    split.write_text(''.join(osp.splitext(i)[0] + '\n' for i in ids))
    out = str(tmp_path / 'cams')
    log = run(['bash', 'tools/dist_test.sh', CAM_TRAIN, cam_checkpoint, '2',
               '--work-dir', str(tmp_path / 'w')] +
              options(synthetic_root, out, f'test_dataloader.dataset.ann_file={split}'),
              env=dict(PORT=str(random.randint(29600, 29900))))
    # 7 images on 2 ranks: the sampler pads rank 1 with a duplicate of image 0,
    # which only rank 0 writes
    assert '7 files written (4 + 3 by rank), 0 found done' in log
    assert sorted(os.listdir(out)) == sorted(osp.splitext(i)[0] + '.npz' for i in ids)

    # pseudo labels of these maps on two processes: the generator has no trainable
    # parameters, so its config asks for a wrapper without DDP
    labels = str(tmp_path / 'labels')
    log = run(['bash', 'tools/dist_test.sh', LABELS, 'none', '2', '--work-dir',
               str(tmp_path / 'l'), '--cfg-options',
               f'test_dataloader.dataset.data_root={synthetic_root}',
               f'test_dataloader.dataset.ann_file={split}',
               f'test_dataloader.dataset.pipeline.2.cam_dir={out}',
               f'test_cfg.out_dir={labels}', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False'],
              env=dict(PORT=str(random.randint(29600, 29900))))
    assert '7 files written (4 + 3 by rank), 0 found done' in log
    assert sorted(os.listdir(labels)) == sorted(osp.splitext(i)[0] + '.png' for i in ids)

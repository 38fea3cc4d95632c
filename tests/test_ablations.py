"""The ablation tool on a tiny synthetic set with 2-iteration trainings: one row per
variant, CAAE variants train their own stage 1, test-time variants reuse the baseline."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

from conftest import REPO


def test_ablation_tool_writes_one_row_per_variant(synthetic_root, tmp_path):
    repo = str(tmp_path / 'repo')
    os.makedirs(osp.join(repo, 'data'))
    for folder in ('configs', 'tools', 'checkpoints'):
        shutil.copytree(osp.join(REPO, folder), osp.join(repo, folder))
    shutil.copytree(synthetic_root, osp.join(repo, 'data/synthetic/VOC2012'))
    variants = ['baseline', 'no-ss', 'cra-u6', 'decoder-1']
    # every stage a new interpreter: the cold path end to end (the pipeline and
    # benchmark smoke tests start theirs from the fork server)
    proc = subprocess.run(
        [sys.executable, 'tools/run_ablations.py', '--max-iters', '2', '--no-warm',
         '--variants', *variants],
        cwd=repo, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = osp.join(repo, 'work_dirs/ablations')
    with open(osp.join(work, 'ablations.json')) as f:
        rows = json.load(f)['runs']
    assert [r['variant'] for r in rows] == variants
    for r in rows:
        for key in ('plain_mIoU', 'cra_mIoU', 'cra_FP', 'cra_FN'):
            assert 0 <= r[key] <= 100, r
        assert r['minutes'] > 0
    with open(osp.join(work, 'ablations.md')) as f:
        table = f.read()
    assert table in proc.stdout and table.count('\n') == 2 + len(variants)

    # the loss switch trained its own stage 2 on the shared CAAE; the CAAE variant its
    # own stage 1 and 2; the test-time variant only tested the baseline checkpoint
    assert sorted(d for d in os.listdir(work) if osp.isdir(osp.join(work, d))) == [
        'baseline', 'caae', 'caae_decoder_1', 'cra_u6', 'decoder_1', 'no_ss']
    assert osp.isfile(osp.join(work, 'no_ss/iter_2.pth'))
    assert not osp.isfile(osp.join(work, 'cra_u6/iter_2.pth'))
    assert rows[2]['plain_mIoU'] == rows[0]['plain_mIoU']  # same maps without CRA
    assert rows[2]['minutes'] == rows[0]['minutes']
    assert osp.isfile(osp.join(work, 'caae_decoder_1/iter_2.pth'))
    with open(osp.join(work, 'decoder_1/semformer_vit-t8_1xb16-500_synthetic-64x64.py')) as f:  # the dumped config
        assert 'caae_decoder_1/iter_2.pth' in f.read()

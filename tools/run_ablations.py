"""The paper's ablations as config switches, on the synthetic dataset.

Every variant is the main job's stage 2 (``configs/synthetic/semformer_cam.py``)
with ``--cfg-options``; the CAAE variants first train their own stage 1 with the
matching options (the frozen CAAE of stage 2 must have the same architecture).
Test-time variants (CRA's U) only re-test the baseline checkpoint. Finished runs are
reused. Writes ``ablations.md`` and ``ablations.json`` to ``--work-dir``: variant,
CAM mIoU on val without / with CRA, best threshold, FP, FN, train minutes.

    python tools/run_ablations.py [--variants baseline no-cf ...] [--max-iters N]
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

from run_pipeline import ROOT, Pipeline, run, scalars, test_metrics

CAAE, CAM = 'configs/synthetic/semformer_caae.py', 'configs/synthetic/semformer_cam.py'
# name: (what, stage-1 options or None for the main CAAE, stage-2 options,
#        test-time options or None)
VARIANTS = {
    'baseline': ('all five losses, CRA U = 4', None, [], None),
    'no-cf': ('without class-foreground loss', None,
              ['model.decode_head.loss_cf.loss_weight=0'], None),
    'no-cb': ('without class-background loss', None,
              ['model.decode_head.loss_cb.loss_weight=0'], None),
    'no-as': ('without activation suppression', None,
              ['model.decode_head.loss_as.loss_weight=0'], None),
    'no-ac': ('without activation complementation', None,
              ['model.decode_head.loss_ac.loss_weight=0'], None),
    'no-ss': ('without semantic similarity', None,
              ['model.decode_head.loss_ss.loss_weight=0'], None),
    'as-paper': ("activation suppression as in the paper (public code's is default)",
                 None, ['model.decode_head.loss_as.form=paper'], None),
    'cra-u1': ('CRA over the last block (test time)', None, [],
               ['model.cra.num_layers=1']),
    'cra-u6': ('CRA over all 6 blocks (test time)', None, [],
               ['model.cra.num_layers=6']),
    'reduce-mean': ('CAAE class embeddings: mean instead of sum', ['model.reduction=mean'],
                    ['model.caae.reduction=mean'], None),
    'reduce-max': ('CAAE class embeddings: max instead of sum', ['model.reduction=max'],
                   ['model.caae.reduction=max'], None),
    'no-recon': ('CAAE without reconstruction loss', ['model.loss_recon.loss_weight=0'], [],
                 None),
    'decoder-1': ('CAAE decoder depth 1 instead of 2', ['model.decoder.num_layers=1'],
                  ['model.caae.decoder.num_layers=1'], None),
}


def cam_row(name, what, m, minutes):
    row = dict(variant=name, what=what, minutes=minutes)
    for prefix, key in (('cam/plain_', 'plain'), ('cam/', 'cra')):
        for field in ('mIoU', 'threshold', 'FP', 'FN'):
            row[f'{key}_{field}'] = m[prefix + field]
    return row


def report(rows, work):
    lines = ['| variant | CAM mIoU, no CRA | CAM mIoU, CRA | threshold (no CRA / CRA) | '
             'FP (CRA) | FN (CRA) | train minutes |', '|---|---:|---:|---|---:|---:|---:|']
    for r in rows:
        lines.append(
            f'| {r["variant"]}: {r["what"]} | {r["plain_mIoU"]:.1f} | {r["cra_mIoU"]:.1f} | '
            f'{r["plain_threshold"]:.2f} / {r["cra_threshold"]:.2f} | {r["cra_FP"]:.1f} | '
            f'{r["cra_FN"]:.1f} | {r["minutes"]:.1f} |')
    markdown = '\n'.join(lines) + '\n'
    with open(osp.join(work, 'ablations.md'), 'w') as f:
        f.write(markdown)
    with open(osp.join(work, 'ablations.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    print('\n' + markdown)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/ablations')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=list(VARIANTS))
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    os.makedirs(work, exist_ok=True)
    p = Pipeline(work, args.max_iters)
    record = osp.join(work, 'train_minutes.json')  # work dir -> minutes it took to train
    minutes = json.load(open(record)) if osp.isfile(record) else {}

    def train(config, work_dir, options):
        t0 = time.time()
        ckpt, status = p.train(config, work_dir, options)
        p.recompute = False  # variants are independent: nothing downstream to clear
        key = osp.relpath(work_dir, work)
        if status != 'reused' or key not in minutes:
            minutes[key] = (time.time() - t0) / 60
            with open(record, 'w') as f:
                json.dump(minutes, f, indent=1)
        return ckpt, minutes[key]

    rows = []
    for name in args.variants:
        what, caae_opts, cam_opts, test_opts = VARIANTS[name]
        caae_dir = osp.join(work, 'caae' if caae_opts is None else f'caae_{name}')
        caae_ckpt, caae_min = train(CAAE, caae_dir, caae_opts or [])
        cam_dir = osp.join(work, 'baseline' if test_opts else name)
        cam_ckpt, cam_min = train(CAM, cam_dir,
                                  [f'model.caae_checkpoint={caae_ckpt}', *cam_opts])
        if test_opts is None:
            m = scalars(cam_dir)
        else:
            eval_dir = osp.join(work, name)
            run([sys.executable, 'tools/test.py', CAM, cam_ckpt, '--work-dir', eval_dir,
                 '--cfg-options', *test_opts])
            m = test_metrics(eval_dir)
        train_min = cam_min + (caae_min if caae_opts is not None else 0)
        rows.append(cam_row(name, what, m, train_min))
    report(rows, work)


if __name__ == '__main__':
    main()

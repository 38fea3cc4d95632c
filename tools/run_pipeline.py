"""The main job: the whole WSSS pipeline on the embedded synthetic dataset.

Stages: data -> 1 CAAE -> 2 SemFormer -> 3 CAMs of the train split -> 4 pseudo
labels (threshold, CRF, PAR, AffinityNet seeds -> AffinityNet -> random walk,
random walk + CRF) -> 5 DeepLabV3+ on the pseudo labels -> evaluation on val.
Trainings live under ``--work-dir``; CAMs and pseudo labels beside the dataset.
A finished stage is reused when the command runs again (an interrupted training
resumes, an interrupted CAM or label run continues where it stopped); when a stage
is recomputed, everything after it is recomputed too. Ends with one table, written
as JSON and Markdown to ``--work-dir``, and overlay PNGs of a few val images.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = 'data/synthetic/VOC2012'
REFINEMENTS = [  # name, config, what it is
    ('threshold', 'configs/synthetic/pseudo-label_threshold.py', 'CAMs, background threshold'),
    ('crf', 'configs/synthetic/pseudo-label_crf.py', 'dense CRF'),
    ('par', 'configs/synthetic/pseudo-label_par.py', 'PAR (AFA)'),
    ('seeds', 'configs/synthetic/pseudo-label_seeds.py',
     'confident regions (CRF; AffinityNet labels)'),
    ('rw', 'configs/synthetic/pseudo-label_rw.py', 'AffinityNet random walk'),
    ('rw-crf', 'configs/synthetic/pseudo-label_rw-crf.py', 'random walk + dense CRF'),
]
SEG_CONFIG = 'configs/synthetic/deeplabv3plus_vit-t8_pseudo-label.py'


def run(cmd):
    print(f'==> {" ".join(cmd)}', flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def scalars(work_dir):
    """The records of the newest run in ``work_dir`` that hold metrics."""
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')),
                       reverse=True):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        records = [r for r in records if any('/' in k for k in r)]
        if records:
            return records[-1]
    return {}


def test_metrics(work_dir):
    """The metrics of the newest ``tools/test.py`` run in ``work_dir``."""
    for path in sorted(glob.glob(osp.join(work_dir, '*', '*.json')), reverse=True):
        with open(path) as f:
            return json.load(f)
    raise FileNotFoundError(f'no test results in {work_dir}')


def make_data(num_train, num_val):
    """Write the synthetic dataset (64 px, low clutter, seed 0) unless it is there;
    True if it was (re)written."""
    marker = osp.join(ROOT, DATA, 'synthetic.json')
    before = open(marker).read() if osp.isfile(marker) else None
    run([sys.executable, 'tools/make_synthetic_voc.py', '--out', 'data/synthetic',
         '--seed', '0', '--num-train', str(num_train), '--num-val', str(num_val),
         '--size', '64', '--clutter', 'low'])
    return open(marker).read() != before


class Pipeline:

    def __init__(self, work, max_iters=None):
        self.work, self.max_iters = work, max_iters
        self.rows = []
        self.recompute = False  # set once a stage ran: later outputs are stale
        previous = osp.join(work, 'results.json')
        self.previous = {}  # stage -> minutes it took when it last ran
        if osp.isfile(previous):
            with open(previous) as f:
                self.previous = {r['stage']: r['minutes'] for r in json.load(f)['rows']}

    def clear(self, *paths):
        for path in paths:
            if osp.exists(path):
                print(f'==> removing stale {osp.relpath(path, ROOT)}')
                shutil.rmtree(path)

    def row(self, stage, minutes, result, status='done'):
        """A table row; a reused stage keeps the minutes of the run that made it."""
        if status == 'reused' and self.previous.get(stage) is not None:
            minutes = self.previous[stage]
        self.rows.append(dict(stage=stage, status=status, minutes=minutes, result=result))

    def train(self, config, work_dir, options=(), max_iters=None):
        """Train ``config`` into ``work_dir``; reuse a finished run, resume a broken one.
        ``max_iters`` shortens this training (the pipeline's ``max_iters`` wins)."""
        if self.recompute:
            self.clear(work_dir)
        options = list(options)
        max_iters = self.max_iters or max_iters
        if max_iters is None:
            max_iters = Config.fromfile(osp.join(ROOT, config)).train_cfg.max_iters
        else:  # a shortened run
            options += [f'train_cfg.max_iters={max_iters}',
                        f'train_cfg.val_interval={max_iters}',
                        f'default_hooks.checkpoint.interval={max_iters}',
                        f'param_scheduler.0.end={max_iters}']
        final = osp.join(work_dir, f'iter_{max_iters}.pth')
        if osp.isfile(final):
            print(f'==> reusing {osp.relpath(final, ROOT)}')
            return final, 'reused'
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
        resume = osp.isfile(osp.join(work_dir, 'last_checkpoint'))
        if resume:
            cmd.append('--resume')
        if options:
            cmd += ['--cfg-options', *options]
        run(cmd)
        self.recompute = True
        return final, 'resumed' if resume else 'done'

    def test(self, config, work_dir, out_dir, checkpoint=None, options=()):
        """Run a ``ResumableTestLoop`` config; it skips the files already written."""
        if self.recompute:
            self.clear(out_dir)
        before = self.count(out_dir)
        cmd = [sys.executable, 'tools/test.py', config]
        cmd += [checkpoint] if checkpoint else []
        cmd += ['--work-dir', work_dir, '--cfg-options', f'test_cfg.out_dir={out_dir}',
                *options]
        run(cmd)
        written = self.count(out_dir) - before
        status = 'done' if not before else 'resumed' if written else 'reused'
        return test_metrics(work_dir), status

    @staticmethod
    def count(out_dir):
        return len(os.listdir(out_dir)) if osp.isdir(out_dir) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/pipeline')
    parser.add_argument('--overlays', type=int, default=6,
                        help='number of val images in the overlay figure')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    data = osp.join(ROOT, DATA)
    p = Pipeline(work, args.max_iters)

    t0 = time.time()
    p.recompute = make_data(args.num_train, args.num_val)  # new data: nothing reusable
    p.row(f'synthetic data ({args.num_train:,} train + {args.num_val:,} val, 64 px, '
          'low clutter)', (time.time() - t0) / 60, '',
          'done' if p.recompute else 'reused')

    t0 = time.time()
    caae_dir = osp.join(work, 'caae')
    caae_ckpt, status = p.train('configs/synthetic/semformer_caae.py', caae_dir)
    m = scalars(caae_dir)
    p.row('1 CAAE (encoder: synthetic-pretrained ViT)', (time.time() - t0) / 60,
          f'val mAP {m.get("cls/mAP", float("nan")):.1f}, F1 {m.get("cls/F1", float("nan")):.1f}',
          status)

    t0 = time.time()
    cam_dir = osp.join(work, 'cam')
    cam_ckpt, status = p.train('configs/synthetic/semformer_cam.py', cam_dir,
                               [f'model.caae_checkpoint={caae_ckpt}'])
    m = scalars(cam_dir)
    p.row('2 SemFormer (backbone: synthetic-pretrained ViT)', (time.time() - t0) / 60,
          f'overlays: {osp.relpath(cam_dir, ROOT)}/cams/', status)
    threshold = m['cam/threshold']
    for prefix, name in (('cam/plain_', 'CAM mIoU, val, without CRA'),
                         ('cam/', 'CAM mIoU, val, with CRA')):
        p.row(name, None, f'{m[prefix + "mIoU"]:.1f} (threshold '
              f'{m[prefix + "threshold"]:.2f}, FP {m[prefix + "FP"]:.1f}, FN '
              f'{m[prefix + "FN"]:.1f})', '')

    t0 = time.time()
    m, status = p.test('configs/synthetic/semformer_cam_train-split.py',
                       osp.join(work, 'cams_train'), osp.join(data, 'CAMs', 'semformer'),
                       cam_ckpt)
    p.row('3 CAMs of the train split (4 scales + flip, CRA)', (time.time() - t0) / 60,
          f'{DATA}/CAMs/semformer', status)
    for prefix, name in (('cam/plain_', 'CAM mIoU, train, without CRA'),
                         ('cam/', 'CAM mIoU, train, with CRA')):
        p.row(name, None, f'{m[prefix + "mIoU"]:.1f} (threshold '
              f'{m[prefix + "threshold"]:.2f}, FP {m[prefix + "FP"]:.1f}, FN '
              f'{m[prefix + "FN"]:.1f})', '')

    label_opts = [f'model.bg_threshold={threshold}']
    for name, config, what in REFINEMENTS:
        if name == 'rw':
            t0 = time.time()
            aff_ckpt, status = p.train('configs/synthetic/affinitynet_r18-slim.py',
                                       osp.join(work, 'affinity'))
            p.row('4 AffinityNet (slim ResNet-18 from scratch) on the seeds',
                  (time.time() - t0) / 60, '', status)
        opts = list(label_opts)
        if name.startswith('rw'):
            opts.append(f'model.refiners.0.checkpoint={aff_ckpt}')
        t0 = time.time()
        m, status = p.test(config, osp.join(work, 'pseudo', name),
                           osp.join(data, 'PseudoLabels', name), options=opts)
        p.row(f'4 pseudo labels: {what}', (time.time() - t0) / 60,
              f'mIoU {m["pseudo/mIoU"]:.1f} (FP {m["pseudo/FP"]:.1f}, FN '
              f'{m["pseudo/FN"]:.1f}, {m["pseudo/labelled"]:.0f} % labelled)', status)

    t0 = time.time()
    seg_dir = osp.join(work, 'deeplabv3plus')
    seg_ckpt, status = p.train(SEG_CONFIG, seg_dir)
    p.row('5 DeepLabV3+ on the random walk + CRF labels', (time.time() - t0) / 60, '',
          status)
    t0 = time.time()
    m = {}
    for tta in (False, True):
        eval_dir = osp.join(seg_dir, 'test_tta' if tta else 'test')
        run([sys.executable, 'tools/test.py', SEG_CONFIG, seg_ckpt, '--work-dir',
             eval_dir] + (['--tta'] if tta else []))
        m[tta] = test_metrics(eval_dir)
    p.row('6 segmentation mIoU, val (IoUMetric)', (time.time() - t0) / 60,
          f'{m[False]["mIoU"]:.1f} single scale, {m[True]["mIoU"]:.1f} multi-scale + flip')

    t0 = time.time()
    figure = osp.join(work, 'overlays.png')
    run([sys.executable, 'tools/analysis/draw_pipeline.py', '--cam-config',
         'configs/synthetic/semformer_cam.py', '--cam-checkpoint', cam_ckpt,
         '--label-configs', *[c for _, c, _ in REFINEMENTS], '--seg-config', SEG_CONFIG,
         '--seg-checkpoint', seg_ckpt, '--num-images', str(args.overlays), '--out', figure,
         '--affinity-checkpoint', aff_ckpt, '--cfg-options', *label_opts])
    p.row('overlays of val images', (time.time() - t0) / 60, osp.relpath(figure, ROOT))
    report(p.rows, work)


def report(rows, work):
    total = sum(r['minutes'] or 0 for r in rows)  # compute the results took
    lines = ['| stage | status | minutes | result |', '|---|---|---:|---|']
    for r in rows:
        mins = f'{r["minutes"]:.1f}' if r['minutes'] is not None else ''
        lines.append(f'| {r["stage"]} | {r["status"]} | {mins} | {r["result"]} |')
    lines.append(f'| total | | {total:.1f} | |')
    markdown = '\n'.join(lines) + '\n'
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(markdown)
    with open(osp.join(work, 'results.json'), 'w') as f:
        json.dump(dict(rows=rows, total_minutes=total), f, indent=1)
    print('\n' + markdown)
    print(f'written: {osp.relpath(osp.join(work, "results.md"), ROOT)}, results.json')


if __name__ == '__main__':
    main()

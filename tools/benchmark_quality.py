"""WSSS quality benchmark: SemFormer, MCTformer-V2 and a plain CAM baseline under one
budget on the synthetic dataset, over several seeds.

Every method runs the same stages with the same backbone (the synthetic-pretrained
ViT), data, crops, batch, iterations and optimizer (its ``configs/synthetic``
config): train (``tools/train.py``; SemFormer's frozen CAAE is trained once, with
seed 0, and shared by its seeds) -> CAM mIoU on val (threshold picked there) ->
CAMs of the train split (``tools/test.py``, ``ResumableTestLoop``) -> dense-CRF
pseudo labels at that threshold -> DeepLabV3+ trained on them for ``--seg-iters``
iterations -> mIoU on val (single scale). The seed is mmengine's
``randomness.seed`` of every training; the dataset is the same for all seeds.
Finished stages are reused. Writes ``benchmark.{md,json}`` to ``--work-dir``
after every run: mean and sample standard deviation over seeds, and every run.

    python tools/benchmark_quality.py [--seeds 0 1 2] [--methods semformer ...]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

from run_pipeline import (DATA, ROOT, SEG_CONFIG, Pipeline, make_data, run, scalars,
                          test_metrics)

CAAE = 'configs/synthetic/semformer_caae.py'
CRF = 'configs/synthetic/pseudo-label_crf.py'
METHODS = {  # name: (what, config)
    'semformer': ('SemFormer (CRA maps)', 'configs/synthetic/semformer_cam.py'),
    'mctformer-v2': ('MCTformer-V2 (fused, patch-attention refined)',
                     'configs/synthetic/mctformer-v2_cam.py'),
    'cam': ('plain CAM (classifier on one cls token)', 'configs/synthetic/cam_vit-t8.py'),
}
COLUMNS = [  # key, header
    ('cam_val', 'CAM mIoU, val'), ('cam_val_plain', 'CAM mIoU, val, unrefined maps'),
    ('cam_train', 'CAM mIoU, train'), ('pseudo', 'pseudo-label mIoU (CRF), train'),
    ('final', 'DeepLabV3+ mIoU, val'), ('train_minutes', 'train minutes (CAM model)'),
]


def run_method(name, seed, work, args, caae_ckpt, fresh):
    """One method with one seed through every stage: a dict of results."""
    config = METHODS[name][1]
    out = osp.join(work, name, f'seed{seed}')
    p = Pipeline(out, args.max_iters)
    p.recompute = fresh
    seed_opt = f'randomness.seed={seed}'
    options = [seed_opt] + ([f'model.caae_checkpoint={caae_ckpt}'] if caae_ckpt else [])
    t0 = time.time()
    cam_ckpt, status = p.train(config, osp.join(out, 'cam'), options)
    minutes_file = osp.join(out, 'train_minutes.json')
    if status != 'reused' or not osp.isfile(minutes_file):
        with open(minutes_file, 'w') as f:
            json.dump((time.time() - t0) / 60, f)
    r = dict(method=name, seed=seed, train_minutes=json.load(open(minutes_file)))
    m = scalars(osp.join(out, 'cam'))
    refined = 'cam/plain_mIoU' in m  # methods with refined maps report both
    r.update(cam_val=m['cam/mIoU'], threshold=m['cam/threshold'],
             cam_val_plain=m['cam/plain_mIoU'] if refined else None)

    tag = f'{name}-seed{seed}'
    m, _ = p.test(config, osp.join(out, 'cams_train'), osp.join(ROOT, DATA, 'CAMs', tag),
                  cam_ckpt, ['test_dataloader.dataset.ann_file=ImageSets/Segmentation/train.txt',
                             'test_cfg.type=ResumableTestLoop', 'test_cfg.save=cams'])
    r['cam_train'] = m['cam/mIoU']
    m, _ = p.test(CRF, osp.join(out, 'pseudo_crf'),
                  osp.join(ROOT, DATA, 'PseudoLabels', tag + '-crf'),
                  options=[f'model.bg_threshold={r["threshold"]}',
                           f'test_dataloader.dataset.pipeline.2.cam_dir={DATA}/CAMs/{tag}'])
    r['pseudo'] = m['pseudo/mIoU']
    seg_dir = osp.join(out, 'deeplabv3plus')
    seg_ckpt, _ = p.train(SEG_CONFIG, seg_dir, [
        seed_opt, f'train_dataloader.dataset.data_prefix.seg_map_path=PseudoLabels/{tag}-crf'],
        max_iters=args.seg_iters)
    eval_dir = osp.join(seg_dir, 'test')
    if p.recompute or not osp.isdir(eval_dir):
        run([sys.executable, 'tools/test.py', SEG_CONFIG, seg_ckpt, '--work-dir', eval_dir])
    r['final'] = test_metrics(eval_dir)['mIoU']
    return r


def fmt(values):
    values = [v for v in values if v is not None]
    if not values:
        return ''
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}'


def report(rows, work, args):
    methods = [m for m in METHODS if any(r['method'] == m for r in rows)]
    lines = ['| method | seeds | ' + ' | '.join(h for _, h in COLUMNS) + ' |',
             '|---|---|' + '---:|' * len(COLUMNS)]
    for name in methods:
        runs = [r for r in rows if r['method'] == name]
        lines.append(f'| {METHODS[name][0]} | {len(runs)} | '
                     + ' | '.join(fmt([r[k] for r in runs]) for k, _ in COLUMNS) + ' |')
    lines += ['', '| method | seed | threshold | ' + ' | '.join(h for _, h in COLUMNS) + ' |',
              '|---|---:|---:|' + '---:|' * len(COLUMNS)]
    for r in rows:
        lines.append(f'| {r["method"]} | {r["seed"]} | {r["threshold"]:.2f} | '
                     + ' | '.join(fmt([r[k]]) for k, _ in COLUMNS) + ' |')
    markdown = '\n'.join(lines) + '\n'
    with open(osp.join(work, 'benchmark.md'), 'w') as f:
        f.write(markdown)
    with open(osp.join(work, 'benchmark.json'), 'w') as f:
        json.dump(dict(seeds=args.seeds, seg_iters=args.seg_iters, rows=rows), f, indent=1)
    print('\n' + markdown, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--seg-iters', type=int, default=400,
                        help='DeepLabV3+ iterations (the main job: 1,000)')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    os.makedirs(work, exist_ok=True)
    fresh = make_data(args.num_train, args.num_val)
    caae_ckpt, caae_trained = None, False
    if 'semformer' in args.methods:
        p = Pipeline(work, args.max_iters)
        p.recompute = fresh
        caae_ckpt, _ = p.train(CAAE, osp.join(work, 'caae'), ['randomness.seed=0'])
        caae_trained = p.recompute  # a new CAAE: SemFormer's runs are stale
    rows = []
    for seed in args.seeds:  # seed-major: an interrupted benchmark has whole seeds
        for name in args.methods:
            semformer = name == 'semformer'
            rows.append(run_method(name, seed, work, args, caae_ckpt if semformer else None,
                                   fresh or (semformer and caae_trained)))
            report(rows, work, args)


if __name__ == '__main__':
    main()

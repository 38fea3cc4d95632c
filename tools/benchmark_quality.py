"""WSSS quality benchmark: SemFormer, MCTformer-V2, a plain CAM baseline, AFA and ToCo
under one budget on the synthetic dataset, over several seeds.

Every method runs the same stages with the same backbone (the synthetic-pretrained
ViT), data, crops, batch, iterations and optimizer (its ``configs/*/*_synthetic-64x64.py``
config): train (``tools/train.py``; SemFormer's frozen CAAE is trained once, with
seed 0, and shared by its seeds) -> CAM mIoU on val (threshold picked there) ->
CAMs of the train split (``tools/test.py``, ``ResumableTestLoop``) -> dense-CRF
pseudo labels at that threshold -> DeepLabV3+ trained on them for ``--seg-iters``
iterations -> mIoU on val, single scale and multi-scale + flip (``tools/test.py
--tta``). AFA and ToCo are single-stage: one training whose last validation gives
the CAM mIoU and the mIoU of their own segmentation head at the method's
multi-scale + flip test, then a single-scale test of that head (no pseudo-label or
retraining stage). The seed is mmengine's
``randomness.seed`` of every training; the dataset is the same for all seeds.
Stages run through ``semformer.apis.PipelineRunner`` (reused while their
config, options and inputs are unchanged). Writes ``benchmark.{md,json}`` to
``--work-dir``: mean and sample standard deviation over seeds, and every run.

    python tools/benchmark_quality.py [--seeds 0 1 2] [--methods semformer ...]
"""
import argparse
import os.path as osp
import statistics

from semformer.apis import PipelineRunner, Stage, add_warm_argument
from semformer.apis.adapt import dataset_options
from semformer.apis.chains import EMBEDDED_WORLD, ChainBuilder, synthetic_data_stage
from semformer.apis.report import write_table

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CAAE = 'configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py'
CRF = 'configs/pseudo_label/crf_semformer_synthetic.py'
SEG = 'configs/deeplabv3plus/deeplabv3plus_vit-t8_1xb16-2k_synthetic-pseudo-label-64x64.py'
METHODS = {  # name: (what, config)
    'semformer': ('SemFormer (CRA maps)',
                  'configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py'),
    'mctformer-v2': ('MCTformer-V2 (fused, patch-attention refined)',
                     'configs/mctformer/mctformer-v2_vit-t8_1xb16-500_synthetic-64x64.py'),
    'cam': ('plain CAM (classifier on the average patch token)',
            'configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py'),
    'afa': ('AFA (single stage; its segmentation head)',
            'configs/afa/afa_vit-t8_1xb16-500_synthetic-64x64.py'),
    'toco': ('ToCo (single stage; its segmentation head)',
             'configs/toco/toco_vit-t8_1xb16-500_synthetic-64x64.py'),
}
SINGLE_STAGE = ('afa', 'toco')
COLUMNS = [  # key, header
    ('cam_val', 'CAM mIoU, val'), ('cam_val_plain', 'CAM mIoU, val, unrefined maps'),
    ('cam_train', 'CAM mIoU, train'), ('pseudo', 'pseudo-label mIoU (CRF), train'),
    ('final', 'final mIoU, val, single scale (DeepLabV3+; AFA/ToCo: own head)'),
    ('final_tta', 'final mIoU, val, multi-scale + flip'),
    ('train_minutes', 'train minutes (CAM model)'),
]


def method_stages(b, name, seed, seg_iters):
    """One method with one seed: CAM model -> CAMs of train -> CRF labels ->
    DeepLabV3+ (its last validation is the final mIoU), then DeepLabV3+'s
    multi-scale + flip test. A single-stage method is one training (its last
    validation: the CAMs and its head at the method's multi-scale + flip
    ``test_cfg``), then a single-scale test of its head: the single-scale column
    tests every method the same way, the other is each method's own multi-scale
    + flip test."""
    config = METHODS[name][1]
    key = f'{name.replace("-", "_")}_seed{seed}'
    seed_opt = f'randomness.seed={seed}'
    caae = ['model.caae_checkpoint={caae.checkpoint}'] if name == 'semformer' else []
    if name in SINGLE_STAGE:
        return [
            Stage(f'{key}_cam', f'{name}, seed {seed}: single-stage training', 'train',
                  config, options=b.options(config, [seed_opt])),
            Stage(f'{key}_ss', f'{name}, seed {seed}: its head, single scale', 'test',
                  config, checkpoint='{' + key + '_cam.checkpoint}',
                  options=b.options(config, ['model.test_cfg.scales=[1.0]',
                                             'model.test_cfg.flip=False']))]
    return [
        Stage(f'{key}_cam', f'{name}, seed {seed}: CAM model', 'train', config,
              options=b.options(config, [seed_opt] + caae)),
        Stage(f'{key}_cams', f'{name}, seed {seed}: CAMs of train', 'test', config,
              checkpoint='{' + key + '_cam.checkpoint}', out_dir=True,
              options=b.options(config, [
                  'test_dataloader.dataset.ann_file=ImageSets/Segmentation/train.txt',
                  'test_cfg.type=ResumableTestLoop', 'test_cfg.save=cams'])),
        Stage(f'{key}_crf', f'{name}, seed {seed}: CRF pseudo labels', 'test', CRF,
              out_dir=True, options=b.options(
                  CRF, ['model.bg_threshold={' + key + '_cam.metrics[cam/threshold]}'],
                  cam_dir='{' + key + '_cams.out_dir}')),
        Stage(f'{key}_seg', f'{name}, seed {seed}: DeepLabV3+', 'train', SEG,
              max_iters=seg_iters,
              options=b.options(SEG, [seed_opt], train_labels='{' + key + '_crf.out_dir}')),
        Stage(f'{key}_seg_tta', f'{name}, seed {seed}: DeepLabV3+, multi-scale + flip',
              'test', SEG, checkpoint='{' + key + '_seg.checkpoint}', args=['--tta'],
              options=b.options(SEG, [])),
    ]


def result_row(runner, name, seed):
    key = f'{name.replace("-", "_")}_seed{seed}'
    cam = runner.metrics(f'{key}_cam')
    if name in SINGLE_STAGE:
        return dict(method=name, seed=seed, threshold=cam['cam/threshold'],
                    cam_val=cam['cam/mIoU'], cam_val_plain=None, cam_train=None,
                    pseudo=None, final=runner.metrics(f'{key}_ss')['mIoU'],
                    final_tta=cam['mIoU'],
                    train_minutes=runner.records[f'{key}_cam']['minutes'])
    return dict(method=name, seed=seed, threshold=cam['cam/threshold'],
                cam_val=cam['cam/mIoU'], cam_val_plain=cam.get('cam/plain_mIoU'),
                cam_train=runner.metrics(f'{key}_cams')['cam/mIoU'],
                pseudo=runner.metrics(f'{key}_crf')['pseudo/mIoU'],
                final=runner.metrics(f'{key}_seg')['mIoU'],
                final_tta=runner.metrics(f'{key}_seg_tta')['mIoU'],
                train_minutes=runner.records[f'{key}_cam']['minutes'])


def fmt(values):
    values = [v for v in values if v is not None]
    if not values:
        return ''
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}'


def report(rows, work, args):
    summary = []
    for name in [m for m in METHODS if any(r['method'] == m for r in rows)]:
        runs = [r for r in rows if r['method'] == name]
        summary.append(dict(method=METHODS[name][0], seeds=len(runs),
                            **{k: fmt([r[k] for r in runs]) for k, _ in COLUMNS}))
    write_table(osp.join(work, 'benchmark'), summary,
                [('method', 'method'), ('seeds', 'seeds'), *COLUMNS],
                extra=dict(seeds=args.seeds, seg_iters=args.seg_iters, runs=rows))
    markdown = open(osp.join(work, 'benchmark.md')).read()
    print('\n' + markdown, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmark')
    parser.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--seg-iters', type=int, default=None,
                        help="DeepLabV3+ iterations; default: its config's (2,000, as "
                        'the main job)')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    add_warm_argument(parser)
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    data_dir = osp.join(ROOT, 'data/synthetic')
    voc_root = osp.join(data_dir, 'VOC2012')
    b = ChainBuilder(ROOT, lambda config: dataset_options(b.cfg(config), voc_root))
    stages = [synthetic_data_stage(data_dir, num_train=args.num_train,
                                   num_val=args.num_val, **EMBEDDED_WORLD)]
    if 'semformer' in args.methods:  # one frozen CAAE (seed 0) shared by the seeds
        stages.append(Stage('caae', 'SemFormer stage 1: CAAE', 'train', CAAE,
                            options=b.options(CAAE, ['randomness.seed=0']),
                            after=('data', )))
    for seed in args.seeds:  # seed-major: an interrupted benchmark has whole seeds
        for name in args.methods:
            stages += method_stages(b, name, seed, args.seg_iters)
    for s in stages:
        if s.name not in ('data', ) and not s.after:
            s.after = ('data', )
    runner = PipelineRunner(stages, work, root=ROOT, max_iters=args.max_iters,
                            report='stages', title='benchmark stages',
                            warm=False if args.no_warm else None)
    runner.run()
    rows = [result_row(runner, name, seed) for seed in args.seeds for name in args.methods]
    report(rows, work, args)


if __name__ == '__main__':
    main()

"""The paper's ablations as config switches, on the synthetic dataset.

Every variant is the main job's stage 2 (``configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py``)
with ``--cfg-options``; the CAAE variants first train their own stage 1 with the
matching options (the frozen CAAE of stage 2 must have the same architecture).
Test-time variants (CRA's U) only re-test the baseline checkpoint. Stages run
through ``semformer.apis.PipelineRunner`` (reused while unchanged). Writes ``ablations.md`` and ``ablations.json`` to ``--work-dir``: variant,
CAM mIoU on val without / with CRA, best threshold, FP, FN, train minutes.

    python tools/run_ablations.py [--variants baseline no-cf ...] [--max-iters N]
"""
import argparse
import os.path as osp

from semformer.apis import PipelineRunner, Stage, add_warm_argument
from semformer.apis.report import write_table

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CAAE, CAM = 'configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py', 'configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py'
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


def stage_key(name):
    return name.replace('-', '_')


def variant_stages(name):
    """The stages of one variant (its CAAE, its stage 2 or its re-test)."""
    what, caae_opts, cam_opts, test_opts = VARIANTS[name]
    stages = []
    caae = 'caae' if caae_opts is None else f'caae_{stage_key(name)}'
    if caae_opts is not None:
        stages.append(Stage(caae, f'{name}: CAAE', 'train', CAAE, options=caae_opts))
    if test_opts is None:
        stages.append(Stage(stage_key(name), f'{name}: SemFormer', 'train', CAM,
                            options=['model.caae_checkpoint={' + caae + '.checkpoint}',
                                     *cam_opts]))
    else:
        stages.append(Stage(stage_key(name), f'{name}: test of the baseline', 'test', CAM,
                            checkpoint='{baseline.checkpoint}', options=test_opts))
    return stages


def cam_row(name, runner):
    what, caae_opts, _, test_opts = VARIANTS[name]
    m = runner.metrics(stage_key(name))
    minutes = runner.records['baseline' if test_opts else stage_key(name)]['minutes']
    if caae_opts is not None:
        minutes += runner.records[f'caae_{stage_key(name)}']['minutes']
    row = dict(variant=name, what=what, minutes=minutes)
    for prefix, key in (('cam/plain_', 'plain'), ('cam/', 'cra')):
        for field in ('mIoU', 'threshold', 'FP', 'FN'):
            row[f'{key}_{field}'] = m[prefix + field]
    return row


def report(rows, work):
    cells = [dict(variant=f'{r["variant"]}: {r["what"]}', plain=r['plain_mIoU'],
                  cra=r['cra_mIoU'],
                  thr=f'{r["plain_threshold"]:.2f} / {r["cra_threshold"]:.2f}',
                  fp=r['cra_FP'], fn=r['cra_FN'], minutes=r['minutes']) for r in rows]
    markdown = write_table(
        osp.join(work, 'ablations'), cells,
        [('variant', 'variant'), ('plain', 'CAM mIoU, no CRA'), ('cra', 'CAM mIoU, CRA'),
         ('thr', 'threshold (no CRA / CRA)'), ('fp', 'FP (CRA)'), ('fn', 'FN (CRA)'),
         ('minutes', 'train minutes')], extra=dict(runs=rows))
    print('\n' + markdown)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/ablations')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=list(VARIANTS))
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    add_warm_argument(parser)
    args = parser.parse_args()
    work = osp.join(ROOT, args.work_dir)
    needed = list(args.variants)
    if any(VARIANTS[v][3] for v in needed) and 'baseline' not in needed:
        needed.insert(0, 'baseline')  # test-time variants re-test its checkpoint
    stages = [Stage('caae', 'CAAE (shared)', 'train', CAAE)]
    if 'baseline' in needed:  # before the test-time variants that read it
        stages += variant_stages('baseline')
    for name in needed:
        if name != 'baseline':
            stages += variant_stages(name)
    runner = PipelineRunner(stages, work, root=ROOT, max_iters=args.max_iters,
                            report='stages', title='ablation stages',
                            warm=False if args.no_warm else None)
    runner.run()
    report([cam_row(name, runner) for name in args.variants], work)


if __name__ == '__main__':
    main()

"""Run the whole WSSS chain (CAMs -> pseudo labels -> segmentation network) on one
dataset with one command.

    # the embedded synthetic world (the main job; the data are written first)
    python tools/run_pipeline.py
    # any VOC-layout folder with image-level labels (classes.txt or the XML names)
    python tools/run_pipeline.py --dataset folder --data-root data/my_set/VOC2012
    # PASCAL VOC 2012 + SBD, the paper's chain, 8 GPUs
    python tools/run_pipeline.py --dataset voc --data-root data/VOCdevkit/VOC2012 --gpus 8
    # COCO 2014 (tools/dataset_converters/coco_wsss.py first)
    python tools/run_pipeline.py --dataset coco --data-root data/coco2014 --gpus 8

Every stage prints ``[stage k/N]`` and runs in ``<work-dir>/<stage>/``; a stage is
reused when its config, options and inputs are unchanged, resumed when it was
interrupted, rerun otherwise (see ``semformer.apis.pipeline``). The report,
``<work-dir>/results.md`` and ``.json``, is rewritten after every stage.
"""
import argparse
import os.path as osp
import sys

from semformer.apis import PipelineRunner, StageFailed
from semformer.apis.chains import (UPPER_BOUND_REFERENCE, coco_chain, folder_chain,
                                   synthetic_chain, voc_chain)
from semformer.datasets.checks import DatasetCheckError

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_ROOTS = dict(voc='data/VOCdevkit/VOC2012', coco='data/coco2014')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', choices=['synthetic', 'folder', 'voc', 'coco'],
                        default='synthetic')
    parser.add_argument('--data-root', help='the dataset (for folder, voc, coco)')
    parser.add_argument('--work-dir', help='defaults to work_dirs/pipeline_<dataset>')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per training/test (tools/dist_*.sh above 1)')
    parser.add_argument('--num-train', type=int, default=2000, help='synthetic only')
    parser.add_argument('--num-val', type=int, default=300, help='synthetic only')
    parser.add_argument('--no-upper-bound', action='store_true',
                        help='skip DeepLabV3+ on the ground-truth masks')
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    parser.add_argument('--seed', type=int,
                        help="randomness.seed of every training (default: each config's)")
    return parser.parse_args(argv)


def build(args):
    """(stages, work dir, report title) for the arguments."""
    upper = not args.no_upper_bound
    if args.dataset == 'synthetic':
        stages = synthetic_chain(ROOT, num_train=args.num_train, num_val=args.num_val,
                                 upper_bound=upper)
        work = args.work_dir or 'work_dirs/pipeline'
        return stages, work, 'WSSS pipeline, synthetic world'
    data_root = args.data_root or DEFAULT_ROOTS.get(args.dataset)
    if not data_root:
        sys.exit('--dataset folder needs --data-root (a VOC-layout folder)')
    if not osp.isdir(data_root):
        sys.exit(f'--data-root {data_root} is not a folder')
    data_root = osp.abspath(data_root)
    work = args.work_dir or f'work_dirs/pipeline_{args.dataset}'
    if args.dataset == 'folder':
        from semformer.datasets.image_label_folder import resolve_classes, split_file_path
        splits = [split_file_path(data_root, s) for s in ('train', 'val')]
        classes, _ = resolve_classes(data_root, splits)
        stages = folder_chain(ROOT, data_root, len(classes), upper_bound=upper)
        return stages, work, f'WSSS pipeline, {data_root} ({len(classes)} classes)'
    chain = voc_chain if args.dataset == 'voc' else coco_chain
    return chain(ROOT, data_root), work, f'WSSS pipeline, {args.dataset} ({data_root})'


def main(argv=None):
    args = parse_args(argv)
    try:
        stages, work, title = build(args)
        reference = (UPPER_BOUND_REFERENCE
                     if any(s.name == 'upper_bound' for s in stages) else None)
        runner = PipelineRunner(stages, osp.join(ROOT, work), root=ROOT, gpus=args.gpus,
                                max_iters=args.max_iters, seed=args.seed,
                                title=title, reference=reference)
        runner.run()
    except (DatasetCheckError, StageFailed, FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
    print('\n' + open(osp.join(runner.work_dir, 'results.md')).read())
    print(f'written: {osp.relpath(runner.work_dir, ROOT)}/results.md and results.json')


if __name__ == '__main__':
    main()

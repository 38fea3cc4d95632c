"""Run the whole WSSS chain (CAMs -> pseudo labels -> segmentation network) on one
dataset with one command.

    # the embedded synthetic world (the main job; the data are written first)
    python tools/run_pipeline.py
    # DeepLabV3+ on the PAR labels instead of the random walk + CRF ones
    python tools/run_pipeline.py --seg-labels par
    # any VOC-layout folder with image-level labels (XML, cls_labels.json or the
    # masks; classes.txt or the XML names) and a mask for every train and val image
    python tools/run_pipeline.py --dataset folder --data-root data/my_set/VOC2012
    # PASCAL VOC 2012 + SBD, the paper's chain, 8 GPUs
    python tools/run_pipeline.py --dataset voc --data-root data/VOCdevkit/VOC2012 --gpus 8
    # COCO 2014 (tools/dataset_converters/coco_wsss.py first)
    python tools/run_pipeline.py --dataset coco --data-root data/coco2014 --gpus 8

Every stage prints ``[stage k/N]`` and runs in ``<work-dir>/<stage>/``; a stage is
reused when its config, options and inputs are unchanged, resumed when it was
interrupted, rerun otherwise (see ``semformer.apis.pipeline``). The report,
``<work-dir>/results.md`` and ``.json``, is rewritten after every stage.

A dataset put in ``data/synthetic/VOC2012`` in place of the embedded world (no
``synthetic.json``, or a synthetic world of other classes or made with other settings
than its seed, image size and clutter) is not overwritten: the
main job runs the folder chain on it, as ``--dataset folder --data-root`` that folder
would (same default work dir, ``work_dirs/pipeline_folder``), and says so.
"""
import argparse
import os
import os.path as osp
import sys

from semformer.apis import PipelineRunner, StageFailed, add_warm_argument
from semformer.apis.chains import (EMBEDDED_WORLD, SEG_LABELS, SYNTHETIC_DATA_DIR,
                                   UPPER_BOUND_REFERENCE, coco_chain, folder_chain,
                                   synthetic_chain, voc_chain)
from semformer.datasets.checks import DatasetCheckError
from semformer.datasets.synthetic import other_dataset, synthetic_settings, world_classes

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_ROOTS = dict(voc='data/VOCdevkit/VOC2012', coco='data/coco2014')
SMALL_CHAIN_SIZE = 64  # the image side the small chain's configs train at


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dataset', choices=['synthetic', 'folder', 'voc', 'coco'],
                        default='synthetic')
    parser.add_argument('--data-root', help='the dataset (for folder, voc, coco)')
    parser.add_argument('--work-dir', help='defaults to work_dirs/pipeline (synthetic) '
                        'or work_dirs/pipeline_<dataset>')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per training/test (tools/dist_*.sh above 1)')
    parser.add_argument('--num-train', type=int, default=2000, help='synthetic only')
    parser.add_argument('--num-val', type=int, default=300, help='synthetic only')
    parser.add_argument('--no-upper-bound', action='store_true',
                        help='skip DeepLabV3+ on the ground-truth masks and its '
                        'multi-scale + flip test')
    parser.add_argument('--max-iters', type=int,
                        help='shorten every training to this many iterations (smoke test)')
    parser.add_argument('--seg-labels', choices=list(SEG_LABELS), default='rw_crf',
                        help='synthetic and folder: the pseudo labels DeepLabV3+ trains '
                        'on (default rw_crf: AffinityNet random walk + CRF, the '
                        "paper's); every refinement is run and scored either way")
    parser.add_argument('--seed', type=int,
                        help="randomness.seed of every training (default: each config's)")
    add_warm_argument(parser)
    return parser.parse_args(argv)


def build(args):
    """(stages, work dir, report title) for the arguments.

    ``synthetic`` becomes ``folder`` on ``data/synthetic/VOC2012`` when that folder
    holds another dataset (printed). A ``folder`` dataset with images of several
    sizes gets batch-1 validation and test (printed), one with images far from the
    small chain's 64 px a note (its stages rescale them to about 64 px).
    """
    if args.dataset in ('voc', 'coco') and args.seg_labels != 'rw_crf':
        sys.exit('--seg-labels is for the synthetic and folder chains; ' + (
            "the voc chain trains DeepLabV3+ on the paper's random walk + CRF labels"
            if args.dataset == 'voc' else 'the coco chain has no DeepLabV3+ stage'))
    upper = not args.no_upper_bound
    data_root = args.data_root
    if args.dataset == 'synthetic':
        voc_root = osp.join(ROOT, SYNTHETIC_DATA_DIR, 'VOC2012')
        other = other_dataset(voc_root, world_classes('wsss'),
                              synthetic_settings(**EMBEDDED_WORLD))
        if other is None:
            stages = synthetic_chain(ROOT, data_dir=SYNTHETIC_DATA_DIR,
                                     num_train=args.num_train, num_val=args.num_val,
                                     upper_bound=upper, seg_labels=args.seg_labels)
            return stages, args.work_dir or 'work_dirs/pipeline', \
                'WSSS pipeline, synthetic world'
        print(f'{other}: running the chain on it as a VOC-layout folder, as '
              f'--dataset folder --data-root {voc_root} would (results in '
              f'{args.work_dir or "work_dirs/pipeline_folder"}); move it away to get '
              'the embedded world back', flush=True)
        data_root = voc_root
        args = argparse.Namespace(**{**vars(args), 'dataset': 'folder'})
    data_root = data_root or DEFAULT_ROOTS.get(args.dataset)
    if not data_root:
        sys.exit('--dataset folder needs --data-root (a VOC-layout folder)')
    if not osp.isdir(data_root):
        sys.exit(f'--data-root {data_root} is not a folder')
    data_root = osp.abspath(data_root)
    work = args.work_dir or f'work_dirs/pipeline_{args.dataset}'
    unsafe = set(' ,\'"{}[]()=')  # --cfg-options and the stage templates break on them
    if set(data_root) & unsafe:
        link = osp.join(ROOT, work, 'dataset')
        if set(link) & unsafe:
            sys.exit(f'error: the data root {data_root} and the work dir {link} hold '
                     f'characters among {"".join(sorted(unsafe))}, which the stages\' '
                     '--cfg-options cannot carry; move or link the data elsewhere')
        if osp.lexists(link) and not osp.islink(link):
            sys.exit(f'error: {link} exists and is not a link; remove it or use another '
                     '--work-dir')
        os.makedirs(osp.dirname(link), exist_ok=True)
        if osp.islink(link) and os.readlink(link) != data_root:
            os.remove(link)
        if not osp.lexists(link):
            os.symlink(data_root, link)
        print(f'{data_root} holds characters that --cfg-options cannot carry (among '
              f'{"".join(sorted(unsafe))}): the chain reads it through the link {link}',
              flush=True)
        data_root = link
    if args.dataset == 'folder':
        from semformer.datasets.image_label_folder import (image_sizes, image_suffix,
                                                           resolve_classes,
                                                           split_file_path)
        splits = [split_file_path(data_root, s) for s in ('train', 'val')]
        classes, _ = resolve_classes(data_root, splits)
        suffix = image_suffix(data_root, splits)
        if suffix != '.jpg':
            print(f'the images are {suffix} files', flush=True)
        sizes = image_sizes(data_root, splits, img_suffix=suffix)
        if len(sizes) > 1:
            print(f'images of {len(sizes)} sizes (e.g. {sizes[0][0]}x{sizes[0][1]}, '
                  f'{sizes[-1][0]}x{sizes[-1][1]}): validation and test run one image '
                  'a batch', flush=True)
        if any(not 0.75 * SMALL_CHAIN_SIZE <= max(s) <= 1.25 * SMALL_CHAIN_SIZE
               for s in sizes):
            span = ' to '.join(dict.fromkeys(f'{w}x{h}' for w, h in (sizes[0], sizes[-1])))
            print(f'note: images of {span}; the small chain runs at a long side '
                  f'of about {SMALL_CHAIN_SIZE} px (training crops, tests, refinements) '
                  "and scores its maps and labels at each image's own size", flush=True)
        from_masks = not (osp.isdir(osp.join(data_root, 'Annotations'))
                          or osp.isfile(osp.join(data_root, 'cls_labels.json')))
        if from_masks:
            print('no Annotations/ and no cls_labels.json: the image-level labels are '
                  "the classes of each image's mask", flush=True)
        stages = folder_chain(ROOT, data_root, len(classes), upper_bound=upper,
                              eval_batch_size=1 if len(sizes) > 1 else None,
                              seg_labels=args.seg_labels, labels_from_masks=from_masks,
                              img_suffix=suffix)
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
                                title=title, reference=reference,
                                warm=False if args.no_warm else None)
        runner.run()
    except (DatasetCheckError, StageFailed, FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
    print('\n' + open(osp.join(runner.work_dir, 'results.md')).read())
    print(f'written: {osp.relpath(runner.work_dir, ROOT)}/results.md and results.json')


if __name__ == '__main__':
    main()

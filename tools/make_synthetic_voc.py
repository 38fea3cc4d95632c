"""Write the synthetic shape world in the PASCAL VOC layout.

Example:
    python tools/make_synthetic_voc.py --out data/synthetic --seed 0 \
        --num-train 2000 --num-val 300 --size 64 --clutter low
    # the 32-class pretraining world (the stand-in for ImageNet), one object each
    python tools/make_synthetic_voc.py --out data/synthetic_pretrain --world pretrain \
        --seed 1000 --objects 1 1

Writes ``OUT/VOC2012/{JPEGImages,SegmentationClass,Annotations,ImageSets}``, the
label file ``OUT/VOC2012/cls_labels.json`` and ``OUT/contact_sheet.png``. A tree
already written with the same settings is kept unless ``--force`` is given.
"""
import argparse
import os.path as osp
import sys
import time

from semformer.datasets.synthetic import (CLUTTER, TEXTURES, WORLDS, contact_sheet,
                                          ensure_synthetic_voc)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/synthetic', help='output directory')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-val', type=int, default=300)
    parser.add_argument('--size', type=int, default=64, help='image side in pixels')
    parser.add_argument('--clutter', choices=sorted(CLUTTER), default='low')
    parser.add_argument('--world', choices=sorted(WORLDS), default='wsss',
                        help="'wsss': the 6 shapes of the WSSS world; 'pretrain': the "
                        '32 shapes of the pretraining world (a superset)')
    parser.add_argument('--objects', type=int, nargs=2, default=(1, 3),
                        metavar=('MIN', 'MAX'), help='objects per image')
    parser.add_argument('--radius', type=float, nargs=2, default=(0.14, 0.3),
                        metavar=('MIN', 'MAX'),
                        help='object radius as a fraction of the image side')
    parser.add_argument('--textures', nargs='+', choices=TEXTURES, default=list(TEXTURES),
                        help='texture kinds of the objects')
    parser.add_argument('--shapes', nargs='+', metavar='NAME',
                        help='foreground classes from the shape library instead of '
                        "--world's (e.g. a second world with other classes)")
    parser.add_argument('--force', action='store_true',
                        help='rewrite a tree this tool wrote, also one made with other '
                        'settings than the number of images (a folder without '
                        'synthetic.json is never removed)')
    return parser.parse_args()


def main():
    args = parse_args()
    t0 = time.time()
    try:
        root, written = ensure_synthetic_voc(
            args.out, force=args.force, seed=args.seed, num_train=args.num_train,
            num_val=args.num_val, size=args.size, clutter=args.clutter, world=args.world,
            min_objects=args.objects[0], max_objects=args.objects[1],
            radius_range=tuple(args.radius), object_textures=tuple(args.textures),
            shapes=args.shapes)
    except FileExistsError as e:
        sys.exit(f'error: {e}')
    if not written:
        print(f'{root} already holds this synthetic set; --force rewrites it')
        return
    sheet = contact_sheet(root, osp.join(args.out, 'contact_sheet.png'))
    print(f'wrote {args.num_train} train + {args.num_val} val images to {root} in '
          f'{time.time() - t0:.1f} s; contact sheet: {sheet}')


if __name__ == '__main__':
    main()

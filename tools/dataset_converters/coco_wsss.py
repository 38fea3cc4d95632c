"""Convert MS COCO 2014 to the WSSS layout: VOC-style masks, labels and splits.

Reads ``<root>/annotations/instances_{train2014,val2014}.json`` (pycocotools) and
writes, under ``<root>`` (or ``--out-dir``):

- ``SegmentationClass/{train2014,val2014}/<file stem>.png``: 0 background, 1..80 the
  COCO categories in category-id order, 255 ignore (palette PNG);
- ``cls_labels.json``: image-level labels (``semformer.datasets.write_label_file``);
- ``classes.txt``: the 81 names, background first;
- ``ImageSets/Segmentation/{train,val}.txt``: images with at least one annotation.

Overlapping instances: the smaller one stays on top (``--overlap area``, default) or
the later annotation wins (``--overlap order``). Crowd regions are painted with
their class under the individual instances, or 255 with ``--crowd ignore``. The
run is resumable: masks already written are kept (``--overwrite`` to redo them).

Example:
    python tools/dataset_converters/coco_wsss.py data/coco2014 --nproc 8
"""
import argparse
import os
import os.path as osp
import time

from semformer.datasets.coco_wsss import (COCO_SPLITS, coco_classes,
                                          convert_coco_split, write_split_file)
from semformer.datasets.image_label_folder import write_classes_file
from semformer.datasets.label_files import read_label_file, write_label_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert MS COCO 2014 instance annotations to WSSS masks, '
        'image-level labels and split files.')
    parser.add_argument('root', help='COCO 2014 root, holding annotations/ (and the '
                        'train2014/, val2014/ image folders)')
    parser.add_argument('--out-dir', help='output root. Defaults to root')
    parser.add_argument('--splits', nargs='+', default=list(COCO_SPLITS),
                        choices=list(COCO_SPLITS), help='image folders to convert')
    parser.add_argument('--overlap', choices=['area', 'order'], default='area',
                        help='overlap rule: smaller instance on top (area) or later '
                        'annotation on top (order). Default: area')
    parser.add_argument('--crowd', choices=['class', 'ignore'], default='class',
                        help='paint iscrowd regions with their class or 255. '
                        'Default: class')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite masks that exist already')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        from pycocotools.coco import COCO
    except ImportError as e:
        raise ImportError('this converter needs pycocotools: pip install '
                          'pycocotools') from e
    out = args.out_dir or args.root
    classes, labels = None, {}
    for folder in args.splits:
        ann_file = osp.join(args.root, 'annotations', f'instances_{folder}.json')
        if not osp.isfile(ann_file):
            raise FileNotFoundError(
                f'{ann_file} does not exist; unpack annotations_trainval2014.zip '
                f'into {args.root}')
        if not osp.isdir(osp.join(args.root, folder)):
            print(f'note: the images {osp.join(args.root, folder)} are not there '
                  f'yet; unpack {folder}.zip before training')
        coco = COCO(ann_file)
        split_classes = coco_classes(coco)
        if classes is not None and split_classes != classes:
            raise ValueError(f'{ann_file} lists other categories than the split '
                             'before it')
        classes = split_classes
        t0 = time.time()
        res = convert_coco_split(
            coco, osp.join(out, 'SegmentationClass', folder), overlap=args.overlap,
            crowd=args.crowd, overwrite=args.overwrite, nproc=args.nproc,
            desc=folder)
        split_file = osp.join(out, 'ImageSets/Segmentation',
                              COCO_SPLITS[folder] + '.txt')
        write_split_file(split_file, res['ids'])
        labels.update(res['labels'])
        print(f'{folder}: {len(res["ids"])} images with labels ({res["no_label"]} '
              f'without annotation left out); masks written {res["written"]}, '
              f'kept {res["skipped"]}; {time.time() - t0:.0f} s; {split_file}')
    os.makedirs(out, exist_ok=True)
    label_path = osp.join(out, 'cls_labels.json')
    if osp.isfile(label_path):  # keep the labels of splits not converted this time
        try:
            old = read_label_file(label_path, classes)
        except ValueError:
            old = {}
        labels = {**old, **labels}
    write_label_file(label_path, classes, labels)
    write_classes_file(osp.join(out, 'classes.txt'), classes)
    print(f'{len(classes)} classes -> {osp.join(out, "classes.txt")}; labels of '
          f'{len(labels)} images -> {label_path}')


if __name__ == '__main__':
    main()

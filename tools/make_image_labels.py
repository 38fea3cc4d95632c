"""Write the image-level label file of a VOC-layout dataset once.

Labels come from ``Annotations/<id>.xml`` where it exists, else from the mask in
``--seg-dir``. The result (``cls_labels.json`` beside ``JPEGImages`` by default) is
what ``VOCImageLabelDataset`` reads first, so later runs skip the XML parsing.

Example (PASCAL VOC 2012 + SBD):
    python tools/make_image_labels.py data/VOCdevkit/VOC2012 \
        --splits trainaug val --seg-dir SegmentationClassAug
"""
import argparse
import os.path as osp

from mmengine.fileio import list_from_file
from tqdm import tqdm

from semformer.datasets import (VOC_CLASSES, labels_from_mask, labels_from_xml,
                                write_label_file)
from semformer.datasets.synthetic import SHAPE_CLASSES

CLASS_SETS = dict(voc=VOC_CLASSES, shapes=SHAPE_CLASSES)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='the VOC2012 directory')
    parser.add_argument('--splits', nargs='+', default=['trainaug', 'val'],
                        help='split names under ImageSets/Segmentation')
    parser.add_argument('--classes', choices=sorted(CLASS_SETS), default='voc')
    parser.add_argument('--seg-dir', default='SegmentationClassAug',
                        help='mask folder used where an image has no XML')
    parser.add_argument('--out', default='cls_labels.json',
                        help='output file, relative to data_root')
    return parser.parse_args()


def main():
    args = parse_args()
    classes = CLASS_SETS[args.classes]
    ids = []
    for split in args.splits:
        path = osp.join(args.data_root, 'ImageSets/Segmentation', split + '.txt')
        if not osp.isfile(path):
            raise FileNotFoundError(f'split file {path} does not exist')
        ids += [i.strip() for i in list_from_file(path) if i.strip()]
    labels = {}
    for img_id in tqdm(dict.fromkeys(ids), desc='image labels'):
        xml = osp.join(args.data_root, 'Annotations', img_id + '.xml')
        mask = osp.join(args.data_root, args.seg_dir, img_id + '.png')
        if osp.isfile(xml):
            vec = labels_from_xml(xml, classes)
        elif osp.isfile(mask):
            vec = labels_from_mask(mask, len(classes))
        else:
            raise FileNotFoundError(f'image {img_id}: neither {xml} nor {mask} exists')
        vec[0] = 1
        labels[img_id] = vec
    out = osp.join(args.data_root, args.out)
    write_label_file(out, classes, labels)
    print(f'wrote labels of {len(labels)} images to {out}')


if __name__ == '__main__':
    main()

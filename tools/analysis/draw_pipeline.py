"""One figure of the whole pipeline on a few val images: per image the image, its
ground truth, the CAMs (heat maps, CRA) and their thresholded labels, the pseudo
labels of every refinement config, and the final segmentation."""
import argparse

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.apis import inference_model, init_model
from mmseg.registry import DATASETS, MODELS

from semformer.visualization.cam_overlay import cam_row, colorize, stack_rows


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cam-config', required=True)
    parser.add_argument('--cam-checkpoint', required=True)
    parser.add_argument('--label-configs', nargs='+', default=[])
    parser.add_argument('--seg-config')
    parser.add_argument('--seg-checkpoint')
    parser.add_argument('--num-images', type=int, default=6)
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides for every label config')
    parser.add_argument('--affinity-checkpoint',
                        help='AffinityNet checkpoint for the RandomWalk refiners')
    return parser.parse_args()


def panel(seg, palette, text):
    img = colorize(seg, palette)
    cv2.putText(img, text, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


@torch.no_grad()
def main():
    args = parse_args()
    init_default_scope('mmseg')
    cam_cfg = Config.fromfile(args.cam_config)
    # mmseg's init_model assumes an EncoderDecoder (pretrained/train_cfg keys)
    cam_model = MODELS.build(cam_cfg.model)
    load_checkpoint(cam_model, args.cam_checkpoint, map_location='cpu')
    cam_model.eval()
    dataset = DATASETS.build(cam_cfg.val_dataloader.dataset)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    labelers = []
    for path in args.label_configs:
        cfg = Config.fromfile(path)
        cfg.merge_from_dict(args.cfg_options)
        for refiner in cfg.model.refiners:
            if refiner.type == 'RandomWalk' and args.affinity_checkpoint:
                refiner.checkpoint = args.affinity_checkpoint
        labelers.append((cfg.get('name', path), MODELS.build(cfg.model).eval()))
    seg_model = (init_model(args.seg_config, args.seg_checkpoint, device='cpu')
                 if args.seg_config else None)

    rows = []
    step = max(1, len(dataset) // args.num_images)
    for idx in range(0, step * args.num_images, step):
        sample = cam_model.test_step(pseudo_collate([dataset[idx]]))[0]
        bgr = cv2.imread(sample.img_path)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        gt = sample.gt_sem_seg.data[0].numpy()
        cams = sample.pred_cams.data
        row = [cam_row(rgb, cams.numpy(), classes, palette, gt=gt,
                       pred=sample.pred_sem_seg.data[0].numpy(), title='CAM')]
        keys = torch.nonzero(sample.gt_image_labels[1:] > 0)[:, 0] + 1
        image = torch.from_numpy(rgb).permute(2, 0, 1).float()
        for name, labeler in labelers:
            label = labeler.label(image, cams[keys], keys).numpy()
            row.append(panel(label, palette, name))
        if seg_model is not None:
            pred = inference_model(seg_model, bgr).pred_sem_seg.data[0].numpy()
            row.append(panel(pred, palette, 'DeepLab'))
        rows.append(np.concatenate(row, axis=1))
    figure = stack_rows(rows)
    cv2.imwrite(args.out, cv2.resize(figure[..., ::-1], None, fx=2, fy=2,
                                     interpolation=cv2.INTER_NEAREST))
    print(f'wrote {args.out}: {len(rows)} val images, panels: image, GT, CAM heat maps, '
          'CAM labels, ' + ', '.join(n for n, _ in labelers)
          + (', DeepLab' if seg_model else ''))


if __name__ == '__main__':
    main()

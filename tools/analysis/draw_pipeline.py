"""One figure of the whole pipeline on a few val images: per image the image, its
ground truth, the CAMs (heat maps, CRA) and their thresholded labels, the pseudo
labels of every refinement config, and the final segmentation."""
import argparse

from mmengine.config import Config, DictAction

from semformer.visualization.pipeline_figure import draw_pipeline_figure


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
                        help='AffinityNet checkpoint for the random-walk refiners (RandomWalk, '
                        'BoundaryRandomWalk)')
    return parser.parse_args()


def main():
    args = parse_args()
    label_cfgs = []
    for path in args.label_configs:
        cfg = Config.fromfile(path)
        cfg.merge_from_dict(args.cfg_options)
        for refiner in cfg.model.refiners:
            if 'affinity_net' in refiner and args.affinity_checkpoint:
                refiner.checkpoint = args.affinity_checkpoint
        cfg.setdefault('name', path)
        label_cfgs.append(cfg)
    seg_cfg = Config.fromfile(args.seg_config) if args.seg_config else None
    print('wrote ' + draw_pipeline_figure(
        Config.fromfile(args.cam_config), args.cam_checkpoint, args.out, label_cfgs,
        seg_cfg, args.seg_checkpoint, args.num_images))


if __name__ == '__main__':
    main()

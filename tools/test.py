"""Test (evaluate) a checkpoint, as MMSegmentation's tools/test.py does."""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.dist import is_main_process
from mmengine.runner import Runner

from semformer.utils import shutdown_distributed
from semformer.utils.launcher import load_tool_config
from semformer.utils.metrics_json import write_metrics_json


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', nargs='?',
        help='checkpoint file (none for models that load their own weights, e.g. '
        'PseudoLabelGenerator)')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--out', help='directory for the predictions: segmentation maps (IoUMetric), '
        'or one file per image for CAM and pseudo-label configs (CAMs are scored as '
        'stored, 8-bit)')
    parser.add_argument('--show', action='store_true', help='show predictions')
    parser.add_argument(
        '--show-dir', help='directory where painted predictions are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='show interval')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    parser.add_argument(
        '--metrics-json', metavar='PATH',
        help='also write the returned metrics as a JSON object to PATH (folders '
        'are created; the file is replaced atomically)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def evaluator_types(cfg):
    evaluator = cfg.get('test_evaluator')
    if evaluator is None:
        return []
    items = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    return [e.get('type') for e in items]


def enable_visualization(cfg, args):
    """Paint ``pred_sem_seg`` with mmseg's SegVisualizationHook (added if missing)."""
    if evaluator_types(cfg) == ['ImageLabelMetric']:
        raise SystemExit('--show/--show-dir: this config evaluates an image classifier, '
                         'which predicts no segmentation to paint')
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = dict()
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        hooks.visualization = dict(type='SegVisualizationHook')
    hooks.visualization.draw = True
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        cfg.visualizer.save_dir = args.show_dir
    return cfg


def set_output(cfg, out):
    """``--out``: segmentation maps through IoUMetric's ``output_dir``; CAMs and
    pseudo labels as one file per image through ``ResumableTestLoop``."""
    types = evaluator_types(cfg)
    loop = cfg.get('test_cfg') or {}
    if loop.get('type') == 'ResumableTestLoop':
        loop['out_dir'] = out
    elif 'IoUMetric' in types:  # single-stage methods also score their CAMs
        evaluators = cfg.test_evaluator
        for e in (evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]):
            if e.get('type') == 'IoUMetric':
                e['output_dir'] = out
                e['keep_results'] = True
    elif 'CAMMetric' in types:  # the maps of a CAM model, one .npz per image
        # (scored as stored, quantised to 8 bits: the metrics can differ slightly)
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, type='ResumableTestLoop',
                            save='cams', out_dir=out)
    else:
        raise SystemExit(f'--out: the evaluator(s) {types} of this config write no '
                         'predictions; --out works with segmentation (IoUMetric), CAM '
                         '(CAMMetric) and pseudo-label (ResumableTestLoop) configs')


def main():
    args = parse_args()
    cfg = load_tool_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if args.checkpoint == 'none':  # dist_test.sh needs a word in its place
        args.checkpoint = None
    if args.checkpoint is not None:
        if not osp.isfile(args.checkpoint):
            raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
        cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        set_output(cfg, args.out)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.metrics_json and is_main_process():
        write_metrics_json(metrics or {}, args.metrics_json)
        print(f'metrics written to {args.metrics_json}')
    shutdown_distributed()


if __name__ == '__main__':
    main()

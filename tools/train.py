"""Train a model from a config, as MMSegmentation's tools/train.py does.

Also works with several processes on a CPU-only machine (tools/dist_train.sh).
"""
import argparse
import logging
import os

import torch
from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from semformer.utils import shutdown_distributed
from semformer.utils.launcher import load_tool_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. train_cfg.max_iters=100')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--metrics-json', metavar='PATH',
        help='write the metrics of each validation as JSON to PATH (the last one '
        'stays; folders are created, the file is replaced atomically)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_tool_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        amp_type = 'AmpOptimWrapper' if torch.cuda.is_available() else 'CPUAutocastOptimWrapper'
        if wrapper in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
            print_log('AMP is already enabled in the config.', logger='current',
                      level=logging.WARNING)
        else:
            # GPU: mmengine's AmpOptimWrapper (float16 with loss scaling, or
            # optim_wrapper.dtype='bfloat16'); CPU: bfloat16 autocast
            cfg.optim_wrapper.type = amp_type
            if amp_type == 'AmpOptimWrapper':
                cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.resume = args.resume
    if args.metrics_json:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
            dict(type='MetricsJsonHook', path=args.metrics_json)]
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()
    shutdown_distributed()


if __name__ == '__main__':
    main()

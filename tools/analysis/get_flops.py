"""Parameters and FLOPs of a model's forward pass (the segmentation network alone:
backbone + head, no CAAE), counted with mmengine's FlopAnalyzer. As in mmseg and
fvcore, one FLOP = one multiply-add. ``scaled_dot_product_attention`` (which the
analyzer does not know) is counted as its two matmuls, 2 * B * heads * N^2 * d.

    python tools/analysis/get_flops.py configs/semformer/semformer_deit-s_1xb8-26k_voc12aug-448x448.py --shape 448 448
"""
import argparse
from math import prod

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config, DictAction
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules


def sdpa_flop_jit(inputs, outputs):
    """q (..., N, d), k (..., M, d): q k^T and attn v, N * M * d each."""
    q, k = get_shape(inputs[0]), get_shape(inputs[1])
    return 2 * prod(q[:-1]) * k[-2] * q[-1]


class Forward(torch.nn.Module):

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model._forward(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=[448, 448])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    for part in ('backbone', 'encoder'):
        if part in cfg.model:
            cfg.model[part].init_cfg = None  # no download needed to count
    model = MODELS.build(cfg.model).eval()
    x = torch.zeros(1, 3, *args.shape)
    flops = FlopAnalyzer(Forward(model), (x, )).set_op_handle(
        'aten::scaled_dot_product_attention', sdpa_flop_jit)
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    params = parameter_count(model)['']
    print(f'input 1x3x{args.shape[0]}x{args.shape[1]}: {params / 1e6:.2f} M parameters, '
          f'{flops.total() / 1e9:.2f} GFLOPs (multiply-adds)')


if __name__ == '__main__':
    main()

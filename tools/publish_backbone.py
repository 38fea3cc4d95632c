"""Keep only the backbone of a training checkpoint, in mmpretrain's layout.

The result holds ``state_dict`` with ``backbone.*`` keys (as mmpretrain's DeiT
checkpoints) and a ``meta`` dict saying where it came from, and loads with
``init_cfg=dict(type='Pretrained', checkpoint=PATH, prefix='backbone.')``.

Example:
    python tools/publish_backbone.py \
        work_dirs/vit-t8_1xb32-6k-multilabel-step4_synthetic-pretrain-multi-64x64/iter_6000.pth \
        checkpoints/synthetic_vit-t8_pretrain.pth --note "config, seed, minutes, val mAP"
"""
import argparse
import os
import os.path as osp

import torch

import semformer  # noqa: F401  (allows mmengine checkpoints under weights_only)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--note', default='', help='how it was made, stored in meta')
    args = parser.parse_args()
    ckpt = torch.load(args.checkpoint, map_location='cpu', weights_only=True)
    state = {k: v.clone() for k, v in ckpt['state_dict'].items()
             if k.startswith('backbone.')}
    if not state:
        raise KeyError(f'{args.checkpoint} has no backbone.* weights')
    meta = dict(source=osp.basename(args.checkpoint), iter=ckpt['meta'].get('iter'),
                note=args.note)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=meta), args.out)
    n = sum(v.numel() for v in state.values())
    print(f'wrote {len(state)} tensors ({n / 1e6:.2f} M parameters) to {args.out}')


if __name__ == '__main__':
    main()

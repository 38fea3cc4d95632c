"""Convert a timm ViT checkpoint (e.g. ``jx_vit_base_p16_224-80ecf9dd.pth``, the
ImageNet-21k pre-trained, ImageNet-1k fine-tuned ViT-B/16 that ToCo starts from)
to mmpretrain's ``VisionTransformer`` keys under ``backbone.``, loadable by
``MultiClassTokenViT`` with ``init_cfg=dict(type='Pretrained', checkpoint=...,
prefix='backbone.')``. The classification head is dropped.

    python tools/model_converters/timm_vit_to_mmpretrain.py \\
        jx_vit_base_p16_224-80ecf9dd.pth checkpoints/vit-base-p16_jx-in21k-ft-in1k-224.pth
"""
import argparse
import re
from collections import OrderedDict

import torch

RULES = [
    (r'^patch_embed\.proj\.', 'patch_embed.projection.'),
    (r'^blocks\.(\d+)\.norm1\.', r'layers.\1.ln1.'),
    (r'^blocks\.(\d+)\.norm2\.', r'layers.\1.ln2.'),
    (r'^blocks\.(\d+)\.attn\.', r'layers.\1.attn.'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.', r'layers.\1.ffn.layers.0.0.'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.', r'layers.\1.ffn.layers.1.'),
    (r'^norm\.', 'ln1.'),
]


def convert(state_dict: dict) -> OrderedDict:
    """timm ViT keys -> ``backbone.`` + mmpretrain keys (head and pre-logits dropped)."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(('head', 'pre_logits', 'fc_norm')):
            continue
        new = key
        for pattern, repl in RULES:
            new = re.sub(pattern, repl, new)
        out['backbone.' + new] = value
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='timm checkpoint')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    ckpt = torch.load(args.src, map_location='cpu', weights_only=True)
    if isinstance(ckpt, dict) and 'state_dict' in ckpt:
        ckpt = ckpt['state_dict']
    elif isinstance(ckpt, dict) and 'model' in ckpt:
        ckpt = ckpt['model']
    torch.save(dict(state_dict=convert(ckpt)), args.dst)


if __name__ == '__main__':
    main()

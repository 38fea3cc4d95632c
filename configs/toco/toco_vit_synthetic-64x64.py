# ToCo (Ru et al., CVPR 2023) on the synthetic shape world with the shared
# synthetic-pretrained ViT (6 layers, width 128, conv stem to patch 8: 8 x 8 tokens
# on 64 x 64 images, its cls token as ToCo's class token) instead of ViT-B/16
# (../_base_/models/toco_vit-t8.py), the paper's schedule scaled to 500 iterations of
# AdamW (lr 1e-3, backbone at 0.1 x lr, 40 warm-up iterations, poly power 0.9).
# Sized for a 2-core CPU; no paper figure applies.
#   python tools/train.py configs/toco/toco_vit_synthetic-64x64.py
_base_ = [
    '../_base_/models/toco_vit-t8.py', '../_base_/datasets/synthetic_shapes_seg-cams.py',
    '../_base_/schedules/adamw-warmup-poly_500it.py', 'mmseg::_base_/default_runtime.py'
]

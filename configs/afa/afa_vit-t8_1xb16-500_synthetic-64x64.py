# AFA (Ru et al., CVPR 2022) on the synthetic shape world with the shared
# synthetic-pretrained ViT (6 layers, width 128, 4 heads, conv stem to patch 8:
# 8 x 8 tokens on 64 x 64 images) instead of MiT-B1
# (../_base_/models/afa_vit-t8.py), the paper's schedule scaled to 500 iterations of
# AdamW (lr 1e-3, backbone at 0.1 x lr, 40 warm-up iterations, poly power 1.0).
# Sized for a 2-core CPU; no paper figure applies.
#   python tools/train.py configs/afa/afa_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/afa_vit-t8.py', '../_base_/datasets/synthetic_shapes_seg-cams.py',
    '../_base_/schedules/adamw-warmup-poly1_500it.py', 'mmseg::_base_/default_runtime.py'
]

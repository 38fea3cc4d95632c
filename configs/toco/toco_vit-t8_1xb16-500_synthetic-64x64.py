# ToCo (Ru et al., CVPR 2023) on the synthetic shape world with the shared
# synthetic-pretrained ViT (6 layers, width 128, conv stem to patch 8: 8 x 8 tokens
# on 64 x 64 images, its cls token as ToCo's class token) instead of ViT-B/16
# (../_base_/models/toco_vit-t8.py), the paper's schedule scaled to 500 iterations of
# AdamW (lr 1e-3, backbone at 0.1 x lr, 40 warm-up iterations, poly power 0.9).
# The authors' views from the data pipeline (ToCoViews: the network input and the
# local view from the scaled crop, the second global view from the loaded image), in
# place of the synthetic world's photometric distortion. Sized for a 2-core CPU; no
# paper figure applies.
#   python tools/train.py configs/toco/toco_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/toco_vit-t8.py', '../_base_/datasets/synthetic_shapes_seg-cams.py',
    '../_base_/schedules/adamw-warmup-poly_500it.py', 'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='KeepRawImage'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ToCoViews', crop_size=crop_size),
    dict(type='PackToCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# Pretraining of the synthetic worlds' backbone, phase 1 of 2: the stand-in for
# ImageNet pretraining of the paper's DeiT. Classification (softmax cross-entropy
# on the average patch token) of 32 shape classes on images with one object each (data/synthetic_pretrain_single,
# seed 1000, disjoint from the WSSS world). A ViT (width 128, 6 blocks, 4 heads)
# with a convolutional stem down to patch 8: 8 x 8 tokens on 64 x 64 images (patch
# 4, 16 x 16 tokens, trained about 5x slower on 2 CPU cores). Phase 2 (..._multi)
# continues on images with 1-3 objects. Make the data and train:
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_single \
#       --world pretrain --seed 1000 --objects 1 1 --num-train 40000 --num-val 1000 \
#       --size 64 --clutter medium
#   python tools/train.py configs/pretrain/vit-p8_1xb64-single_shapes32-64x64.py
_base_ = [
    '../_base_/datasets/synthetic_pretrain.py', '../_base_/schedules/iter_based.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
vit_arch = dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
model = dict(
    type='ImageLabelClassifier',
    num_classes=33,
    loss='ce',
    in_channels=vit_arch['embed_dims'],
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        size=crop_size),
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch=vit_arch,
        img_size=crop_size[0],
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        drop_path_rate=0.05,
        out_type='avg_featmap'))

max_iters = 4000
warmup_iters = 300
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.0),
                                    'cls_token': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         eta_min=2e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)

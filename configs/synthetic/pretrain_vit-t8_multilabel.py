# Pretraining of the synthetic world's ViT backbone: the stand-in for ImageNet
# pretraining of the paper's DeiT. Multi-label classification (image-level labels
# only) on a synthetic set that is disjoint from the one the pipeline uses (seed 1000,
# rendered at 64 px with low clutter, an easier world than the pipeline's medium one):
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain --seed 1000 \
#       --num-train 20000 --num-val 500 --size 64 --clutter low
#   python tools/train.py configs/synthetic/pretrain_vit-t8_multilabel.py
#   python tools/publish_backbone.py work_dirs/pretrain_vit-t8_multilabel/iter_N.pth \
#       checkpoints/synthetic_vit-t8_pretrain.pth
# The published checkpoint has mmpretrain's DeiT layout (cls token, pos_embed,
# layers, ln1), so it loads exactly like an ImageNet DeiT checkpoint; the patch
# projection is a small conv stem (ConvStem), which a ViT trained from scratch on a
# CPU budget needs (../shared/FINDINGS.md).
_base_ = [
    '../_base_/datasets/synthetic_shapes.py', '../_base_/schedules/iter_based.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
data_root = 'data/synthetic_pretrain/VOC2012'
vit_arch = dict(
    embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.8, 1.25),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackImageLabelInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(
    batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=50, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ImageLabelMetric', _delete_=True)
test_evaluator = val_evaluator

model = dict(
    type='ImageLabelClassifier',
    num_classes=7,
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
        out_type='cls_token'))

max_iters = 8000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.0),
                                    'cls_token': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=300),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=300, end=max_iters,
         eta_min=1e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(
    checkpoint=dict(save_best='cls/mAP', rule='greater'))
randomness = dict(seed=0)

# AFA (Ru et al., CVPR 2022) on the synthetic shape world with the shared
# synthetic-pretrained ViT (6 layers, width 128, 4 heads, conv stem to patch 8:
# 8 x 8 tokens on 64 x 64 images) instead of MiT-B1: the affinity is read from the
# attention among patch tokens of its last 2 blocks (2 x 4 heads), the SegFormer
# head decodes its last patch-token map. The paper's schedule scaled to 500
# iterations: L_seg / L_aff start after 50 (paper 2000 of 20k), affinity-propagated
# segmentation labels after 150 (paper 6000); random-walk radius 2 of 8 tokens
# (paper 8 of 32). Sized for a 2-core CPU; no paper figure applies.
#   python tools/train.py configs/afa/afa_vit-s4_synthetic-64x64.py
_base_ = [
    '../_base_/datasets/synthetic_shapes.py', '../_base_/schedules/iter_based.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
checkpoint = 'checkpoints/synthetic_vit-t8_pretrain.pth'
model = dict(
    type='AFA',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=crop_size),
    backbone=dict(
        type='MultiClassTokenViT',
        num_class_tokens=0,
        arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512),
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        out_type='featmap',
        out_indices=(5, ),
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(
        type='SegformerHead',
        in_channels=[128],
        in_index=[0],
        channels=64,
        dropout_ratio=0.1,
        num_classes=7,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
    cls_head=dict(
        type='GMPCAMHead', in_channels=128, num_classes=7,
        loss_cls=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)),
    aff_head=dict(
        type='AffinityFromAttentionHead', in_channels=8,
        loss_aff=dict(type='AffinityLoss', loss_weight=0.1)),
    attn_layers=2,
    par=dict(type='PAR', dilations=(1, 2, 4, 8, 12, 24), iterations=10),
    train_cfg=dict(cam_scales=(1.0, 0.5, 1.5), high_thre=0.55, low_thre=0.35, radius=2,
                   warmup_iters=50, aff_label_iter=150),
    test_cfg=dict(scales=(1.0, 0.5, 0.75), flip=True, merge='max', with_cams=True))
val_dataloader = dict(batch_size=25)
test_dataloader = val_dataloader
# the segmentation (pred_sem_seg) and the CAMs (pred_cams, threshold sweep)
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='CAMMetric')]
test_evaluator = val_evaluator

max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=40),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=0, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
default_hooks = dict(checkpoint=dict(interval=250))
randomness = dict(seed=0)

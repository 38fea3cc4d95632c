# ToCo (Ru et al., CVPR 2023) on the synthetic shape world with the shared
# synthetic-pretrained ViT (6 layers, width 128, conv stem to patch 8: 8 x 8 tokens
# on 64 x 64 images, its cls token as ToCo's class token) instead of ViT-B/16.
# Scaled from the paper: intermediate CAM from block 4 of 6 (aux_layer -3, as the
# paper's 10 of 12), 8 local crops of 16 px (paper 96 of 448), LargeFOV with 64
# channels and dilation 2, a 128-d CTC projection, L_reg with sigma_xy 15 px
# (paper 100 of 448), L_seg / L_reg after 50 of 500 iterations (paper 2000 of 20k).
# Sized for a 2-core CPU; no paper figure applies.
#   python tools/train.py configs/toco/toco_vit_synthetic-64x64.py
_base_ = [
    '../_base_/datasets/synthetic_shapes.py', '../_base_/schedules/iter_based.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
checkpoint = 'checkpoints/synthetic_vit-t8_pretrain.pth'
model = dict(
    type='ToCo',
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
        num_class_tokens=1,
        arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512),
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        out_type='raw',
        final_norm=True,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(
        type='FCNHead',
        in_channels=128,
        in_index=0,
        channels=64,
        num_convs=2,
        kernel_size=3,
        dilation=2,
        concat_input=False,
        dropout_ratio=0.0,
        num_classes=7,
        norm_cfg=None,
        act_cfg=dict(type='ReLU'),
        align_corners=False,
        loss_decode=dict(type='BgFgBalancedCrossEntropyLoss', loss_weight=0.1)),
    cls_head=dict(type='GMPCAMHead', in_channels=128, num_classes=7),
    aux_cls_head=dict(type='GMPCAMHead', in_channels=128, num_classes=7),
    ctc_head=dict(type='CTCProjectionHead', in_channels=128, out_channels=128,
                  hidden_channels=256, bottleneck_channels=64, num_layers=3, momentum=0.9),
    loss_ptc=dict(type='PatchTokenContrastLoss', loss_weight=0.2),
    loss_ctc=dict(type='ClassTokenContrastLoss', temperature=0.5, loss_weight=0.5),
    loss_reg=dict(type='DenseEnergyLoss', sigma_rgb=15.0, sigma_xy=15.0, scale_factor=0.5,
                  energy_weight=1e-7, loss_weight=0.05),
    aux_layer=-3,
    train_cfg=dict(cam_scales=(1.0, 0.5, 1.5), high_thre=0.7, low_thre=0.25,
                   warmup_iters=50, num_local_crops=8, local_crop_size=16,
                   neg_crop_ratio=0.2),
    test_cfg=dict(scales=(1.0, 1.5, 1.25), flip=True, merge='max', with_cams=True))
val_dataloader = dict(batch_size=25)
test_dataloader = val_dataloader
val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='CAMMetric')]
test_evaluator = val_evaluator

max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=40),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
default_hooks = dict(checkpoint=dict(interval=250))
randomness = dict(seed=0)

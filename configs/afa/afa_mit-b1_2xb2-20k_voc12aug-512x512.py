# AFA (Ru et al., "Learning Affinity from Attention", CVPR 2022) on PASCAL VOC 2012
# trainaug, the authors' setting (rulixiang/afa configs/voc_attn_reg.yaml and
# launch/run_sbatch_attn_reg.sh): MiT-B1 (SegFormer's ImageNet-1k weights) with
# strides (4, 2, 2, 1) (stride 16 at the last stage), 512 x 512 crops, 2 GPUs x 2
# images, 20k iterations, AdamW lr 6e-5 (heads x 10, the backbone's norm layers
# frozen), weight decay 0.01, 1500 warm-up iterations from 1e-6, poly power 1.0.
# Losses: L_cls 1.0, L_seg 0.1, L_aff 0.1, the last two off for the first 2000
# iterations; segmentation labels from the affinity random walk after 6000.
#   bash tools/dist_train.sh configs/afa/afa_mit-b1_2xb2-20k_voc12aug-512x512.py 2
# Reported: 66.0 mIoU on VOC val and 38.9 on COCO val (abstract), with multi-scale +
# flip + dense CRF testing, ImageNet-1k MiT-B1 pretraining. The authors' training
# log shows 63.1 (val, single scale, no CRF) at 20k. Test here: scales 1, 0.5, 0.75
# + flip (their test_msc_flip.py) on the image resized to long side 512; no CRF.
_base_ = [
    '../_base_/models/afa.py', '../_base_/datasets/voc12_image_labels.py',
    '../_base_/schedules/adamw-warmup-poly_20k.py', 'mmseg::_base_/default_runtime.py'
]
crop_size = (512, 512)
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b1_20220624-02e5a6a1.pth'  # noqa
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[2, 2, 2, 2],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        strides=[4, 2, 2, 1],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
    # SegFormer's all-MLP head (mmseg's uses BN + ReLU after each 1x1 projection,
    # the authors' plain linear layers), 256 channels
    decode_head=dict(in_channels=[64, 128, 320, 512], in_index=[0, 1, 2, 3], channels=256,
                     num_classes=21, norm_cfg=dict(type='SyncBN', requires_grad=True)),
    cls_head=dict(in_channels=512, num_classes=21),
    aff_head=dict(in_channels=16),  # attention of the last 2 blocks x 8 heads
    train_cfg=dict(radius=8, warmup_iters=2000, aff_label_iter=6000))

# rescale x [0.5, 2] (VOC's long side is ~500: RandomResize scales the long side to
# 500 r), flip, 512 crop; the preprocessor pads to 512 (ignored in the losses)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackImageLabelInputs'),
]
# scored on the image resized to long side 512
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    *_base_.test_pipeline[1:],
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(ann_file='ImageSets/Segmentation/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={
        'aff_head': dict(lr_mult=10.0),
        # the authors freeze the MiT norm layers (lr 0)
        'norm': dict(lr_mult=0.0, decay_mult=0.0),
        **{f'backbone.layers.{i}.2.': dict(lr_mult=0.0, decay_mult=0.0) for i in range(4)},
    }))
# the authors' PolyWarmupAdamW with power 1.0 (configs/voc_attn_reg.yaml): a linear
# warm-up ramp, then lr * (1 - t / T)^1 (see the schedule's base)
power = 1.0
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1],
         factor=(1 - _base_.warmup_iters / _base_.max_iters)**power),
    dict(_base_.param_scheduler[2], power=power),
]

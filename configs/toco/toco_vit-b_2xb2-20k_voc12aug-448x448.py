# ToCo (Ru et al., "Token Contrast for Weakly-Supervised Semantic Segmentation",
# CVPR 2023) on PASCAL VOC 2012 trainaug, the authors' setting
# (rulixiang/ToCo scripts/dist_train_voc_seg_neg.py defaults and
# logs/toco_vit-b_voc_20k.log): ViT-B/16, 448 x 448 crops, 2 GPUs x 2 images, 20k
# iterations, AdamW lr 6e-5 (heads x 10), weight decay 0.01, 1500 warm-up iterations
# from 1e-6, poly power 0.9; L_cls 1 + L_cls_aux 1 (block 10 of 12) + 0.2 L_ptc +
# 0.5 L_ctc (temperature 0.5, 8 local crops of 96, EMA 0.9) + 0.1 L_seg + 0.05 L_reg,
# L_seg / L_reg off for the first 2000 iterations; CAM thresholds 0.7 / 0.25.
#   bash tools/dist_train.sh configs/toco/toco_vit-b_2xb2-20k_voc12aug-448x448.py 2
# Reported for ViT-B: 71.1 mIoU VOC val and 72.2 VOC test with multi-scale + flip +
# dense CRF (69.2 val without), 42.3 COCO val (as listed for it; the authors'
# README gives 42.2), with timm's ViT-B/16 `jx_vit_base_p16_224-80ecf9dd.pth`
# (ImageNet-21k pre-training, ImageNet-1k fine-tuning at 224). Convert that file
# to mmpretrain keys into `checkpoint` below with
#   python tools/model_converters/timm_vit_to_mmpretrain.py SRC DST
# Test here: scales 1.0, 1.5, 1.25 + flip (their infer_seg_voc.py), no CRF.
# The ImageNet-1k row of the authors' README, DeiT-B/16 (their default backbone, the
# same network): 68.1 VOC val (69.8 with multi-scale + flip + CRF), 70.5 VOC test, 41.3
# COCO val; to train from it, load mmpretrain's conversion of the DeiT-B weights:
#   --cfg-options model.backbone.init_cfg.checkpoint=https://download.openmmlab.com/mmclassification/v0/deit/deit-base_3rdparty_pt-16xb64_in1k_20211124-6f40c188.pth
_base_ = [
    '../_base_/models/toco.py', '../_base_/datasets/voc12_image_labels.py',
    '../_base_/schedules/adamw-warmup-poly_20k.py', 'mmseg::_base_/default_runtime.py'
]
crop_size = (448, 448)
checkpoint = 'checkpoints/vit-base-p16_jx-in21k-ft-in1k-224.pth'
model = dict(
    # ImageNet's mean and std, as the authors' loader (also for ViT)
    data_preprocessor=dict(size=crop_size),
    # ViT-B/16 at 224 with its class token, the final LayerNorm, no drop path
    backbone=dict(
        type='MultiClassTokenViT', arch='base', img_size=224, patch_size=16,
        num_class_tokens=1, out_type='raw', final_norm=True, drop_path_rate=0.0,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    # LargeFOV with 512 channels, dilation 5
    decode_head=dict(in_channels=768, channels=512, dilation=5, num_classes=21),
    cls_head=dict(in_channels=768, num_classes=21,
                  loss_cls=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)),
    aux_cls_head=dict(in_channels=768, num_classes=21,
                      loss_cls=dict(type='MultiLabelSoftMarginLoss', loss_weight=1.0)),
    ctc_head=dict(in_channels=768, out_channels=1024, hidden_channels=2048,
                  bottleneck_channels=256),
    loss_reg=dict(sigma_xy=100.0),
    freeze_pos_embed=True,
    par=dict(type='PAR', dilations=(1, 2, 4, 8, 12, 24), iterations=10),
    train_cfg=dict(warmup_iters=2000, local_crop_size=96))

# the authors' VOC12ClsDataset(aug=True): rescale x [0.5, 2] (long side 500 r), flip,
# 448 crop; from that crop the network input (flip, DINO's jitter p 0.8, grayscale
# p 0.2, blur p 1.0) and the local view (the same with blur p 0.5, flipped
# independently), from the loaded image the second global view (random resized crop
# 0.4-1 to 448, bicubic, flip, jitter, grayscale, blur p 0.1, solarisation p 0.2)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='KeepRawImage'),
    dict(type='RandomResize', scale=(500, 500), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='ToCoViews', crop_size=crop_size),
    dict(type='PackToCoInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ann_file='ImageSets/Segmentation/val.txt'))
test_dataloader = val_dataloader

optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={
        'aux_cls_head': dict(lr_mult=10.0),
        'ctc_head': dict(lr_mult=10.0)
    }))

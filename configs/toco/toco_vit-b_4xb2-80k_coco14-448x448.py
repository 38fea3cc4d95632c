# ToCo on MS COCO 2014 train (82,081 images with labels; K = 81 with background),
# the authors' COCO setting (rulixiang/ToCo scripts/dist_train_coco_seg_neg.py
# defaults, 4 GPUs as in their README) on the VOC config
# (toco_vit-b_2xb2-20k_voc12aug-448x448.py): 448 x 448 crops of the image rescaled by
# 0.5-2 (its own size, `RandomRescale`), 4 GPUs x 2 images, 80k iterations, AdamW lr
# 6e-5, 1500 warm-up iterations, poly power 0.9; CAM thresholds 0.65 / 0.25; CTC
# temperature 1.0. Three phases (0-based iterations, the authors' `n_iter <= N`):
# L_cls + L_cls_aux alone up to iteration 8000; then also 0.1 L_seg + 0.05 L_reg on
# PAR labels of the intermediate (block 10) CAM; after 12000 also 0.2 L_ptc + 0.5
# L_ctc, and the labels from the final CAM.
#   python tools/dataset_converters/coco_wsss.py data/coco2014
#   bash tools/dist_train.sh configs/toco/toco_vit-b_4xb2-80k_coco14-448x448.py 4
# Reported: 42.3 mIoU on COCO 2014 val with ViT-B (as listed for it; the authors'
# README gives 42.2), multi-scale + flip + dense CRF, ImageNet-21k pre-training with
# ImageNet-1k fine-tuning (timm's `jx_vit_base_p16_224-80ecf9dd.pth`, converted as the
# VOC config says); with ImageNet-1k DeiT-B/16 (the COCO script's default backbone)
# 41.3 (authors' README): set `model.backbone.init_cfg.checkpoint` as in the VOC
# config. Test as the authors' COCO scripts (validate() and infer_seg_coco_ddp.py):
# each image resized to 448 x 448, at scales 1, 1.25, 1.5 the max of the image and its
# flip, the scales summed (`flip_merge='max'`, `merge='mean'`), scored at the image's
# own size; no CRF. Validation on the first 5,000 val images (the authors' val_part
# list is the same 5,000); tools/test.py scores all 40,137 val images.
_base_ = [
    './toco_vit-b_2xb2-20k_voc12aug-448x448.py', '../_base_/datasets/coco14_splits.py'
]
data_root = 'data/coco2014'
crop_size = (448, 448)
model = dict(
    decode_head=dict(num_classes=81),
    cls_head=dict(num_classes=81),
    aux_cls_head=dict(num_classes=81),
    loss_ctc=dict(temperature=1.0),
    train_cfg=dict(high_thre=0.65, low_thre=0.25, warmup_iters=8000,
                   contrast_warmup_iters=12000, aux_label_iters=12000),
    test_cfg=dict(scales=(1.0, 1.25, 1.5), flip_merge='max', merge='mean'))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='KeepRawImage'),
    dict(type='RandomRescale', ratio_range=(0.5, 2.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='ToCoViews', crop_size=crop_size),
    dict(type='PackToCoInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(dataset=dict(**_base_.coco14_train, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(**_base_.coco14_val, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(**_base_.coco14_test, pipeline=test_pipeline))

max_iters = 80000
warmup_iters = 1500
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], factor=(1 - warmup_iters / max_iters)**_base_.power),
    dict(_base_.param_scheduler[2], end=max_iters + 1),
]
train_cfg = dict(max_iters=max_iters, val_interval=4000)
default_hooks = dict(checkpoint=dict(interval=4000))

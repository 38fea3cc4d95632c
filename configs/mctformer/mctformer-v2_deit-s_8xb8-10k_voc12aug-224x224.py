# MCTformer-V2 on PASCAL VOC 2012 trainaug, the authors' CVPR 2022 setting: DeiT-S
# with 20 foreground class tokens (copies of the pretrained cls token: the authors'
# fine-tuning from DeiT repeats it, as SemFormer's does), no final LayerNorm,
# drop path 0.1, 224 x 224 crops, batch 64 in total, 60 epochs, AdamW
# lr 5e-4 x 64 / 512, weight decay 0.05, cosine schedule after 5 warm-up epochs.
# Train transform as timm's ImageNet one that the authors use: RandomResizedCrop
# (area 0.08-1, bicubic), flip, RandAugment (2 ops, magnitude 9, std 0.5,
# increasing), random erasing (p 0.25, random pixels); no colour jitter.
#   bash tools/dist_train.sh configs/mctformer/mctformer-v2_deit-s_8xb8-10k_voc12aug-224x224.py 8
# CAMs (validation on VOC train, CAMMetric): class-to-patch attention of the last
# 3 blocks x the patch CAM, refined by the patch-to-patch attention; scale 1 + flip,
# as the authors' map generation. Later stages: the pseudo-label configs with
# `cam_dir` pointing at this model's CAMs.
_base_ = [
    '../_base_/models/mctformer_deit-s.py', '../_base_/datasets/voc12_image_labels.py',
    '../_base_/schedules/iter_based.py', 'mmseg::_base_/default_runtime.py'
]
crop_size = (224, 224)
bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.RandomResizedCrop', scale=crop_size[0],
         crop_ratio_range=(0.08, 1.0), backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    # _scope_: its operations are built from mmpretrain's registry
    dict(type='RandAugment', _scope_='mmpretrain', policies='timm_increasing',
         num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(type='mmpretrain.RandomErasing', erase_prob=0.25, mode='rand',
         min_area_ratio=0.02, max_area_ratio=1 / 3, fill_color=bgr_mean,
         fill_std=bgr_std),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
# CAMs scored on VOC train (1,464 images with masks), the dataset base's val split
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
val_evaluator = [dict(type='CAMMetric'), dict(type='ImageLabelMetric')]
test_evaluator = val_evaluator

# 60 epochs of 10,582 images at batch 64 = 9,920 iterations, 5 of them warm-up.
max_iters = 9920
warmup_iters = 827
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4 * 64 / 512, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, custom_keys={
        'backbone.class_tokens': dict(decay_mult=0.0),
        'backbone.class_pos_embed': dict(decay_mult=0.0),
        'backbone.pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, begin=0, end=warmup_iters, by_epoch=False),
    dict(type='CosineAnnealingLR', eta_min=1e-5, begin=warmup_iters, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 4)
default_hooks = dict(checkpoint=dict(interval=max_iters // 4))
custom_hooks = [dict(type='CAMVisualizationHook', num_images=6)]

# Stage 5 on the synthetic shape world: MMSegmentation's DeepLabV3+ head trained
# on the pseudo labels (default: AffinityNet random walk + dense CRF, the paper's).
# Sized for a 2-core CPU: the backbone is the synthetic-pretrained ViT of stages 1
# and 2 (the stand-in for an ImageNet-pretrained ResNet-101; a ResNet-18 trained
# from scratch reached 21 mIoU in 900 iterations even on the true masks): ASPP on
# its last block (stride 8), the decoder's low-level input from the stride-2 map of
# its conv stem (as DeepLabV3+ takes ResNet's stride-4 stage). Batch
# 16, 2,000 iterations of AdamW (lr 2e-3, backbone at 0.1 x lr), poly decay.
# Validation: mmseg's IoUMetric on the val masks after 1,000 and 2,000
# iterations, at the training scale (the dataset base's test pipeline); `tools/test.py
# --tta` uses the multi-scale + flip `tta_pipeline` below.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py', '../_base_/models/vit-t8_backbone.py',
    '../_base_/datasets/synthetic_shapes.py', '../_base_/schedules/adamw-poly_500it.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (64, 64)
pseudo_labels = 'PseudoLabels/rw-crf'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _base_.vit_t8,
        _delete_=True,
        num_class_tokens=0,
        out_type='featmap',
        out_indices=(5, ),
        stem_out_indices=(5, ),
        final_norm=False),
    neck=None,
    decode_head=dict(
        in_channels=128, in_index=1, channels=64, c1_in_channels=32, c1_channels=16,
        dilations=(1, 2, 4, 6), num_classes=7, norm_cfg=norm_cfg),
    auxiliary_head=None)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    *_base_.train_pipeline[3:-1],
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=pseudo_labels), pipeline=train_pipeline))
val_dataloader = dict(batch_size=25)
test_dataloader = val_dataloader
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            # long sides of 0.75-1.5 x the training scale's 64 px
            [dict(type='Resize', scale=(round(crop_size[0] * r), ) * 2, keep_ratio=True)
             for r in (0.75, 1.0, 1.25, 1.5)],
            [dict(type='RandomFlip', prob=0.0, direction='horizontal'),
             dict(type='RandomFlip', prob=1.0, direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')],
        ])
]

max_iters = 2000
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    optimizer=dict(lr=2e-3), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
default_hooks = dict(checkpoint=dict(interval=max_iters))

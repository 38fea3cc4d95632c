# A tiny fully supervised FCN on the synthetic masks: a fixture that exercises
# tools/train.py, tools/test.py and tools/dist_*.sh. It is not part of the pipeline.
_base_ = [
    '../../configs/_base_/models/seg_data_preprocessor.py',
    '../../configs/_base_/datasets/synthetic_shapes.py',
    'mmseg::_base_/default_runtime.py'
]
crop_size = (48, 48)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackImageLabelInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(_base_.seg_data_preprocessor, size=crop_size),
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=8, base_channels=8,
        num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(1, ),
        norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(
        type='FCNHead', in_channels=16, channels=16, num_convs=1, concat_input=False,
        num_classes=7, dropout_ratio=0.0, norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0, begin=0, end=8,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8, val_interval=8)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=2),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=4),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
env_cfg = dict(cudnn_benchmark=False)

# Training of the AffinityNet on the confident CAM regions of the synthetic train
# split (the `seeds` pseudo labels, configs/synthetic/pseudo-label_seeds.py).
#   python tools/train.py configs/synthetic/affinitynet_r18-slim.py
_base_ = [
    '../_base_/models/affinitynet_r18-slim.py', '../_base_/datasets/synthetic_shapes.py',
    '../_base_/schedules/iter_based.py', 'mmseg::_base_/default_runtime.py'
]
model = {{_base_.affinity_net}}
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=16,
    dataset=dict(data_prefix=dict(seg_map_path='PseudoLabels/seeds'),
                 pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

max_iters = 600
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)

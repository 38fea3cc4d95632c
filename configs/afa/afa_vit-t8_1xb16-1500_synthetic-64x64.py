# AFA on the synthetic shape world for 1,500 iterations: the 500-iteration config's
# model, data and optimizer (afa_vit-t8_1xb16-500_synthetic-64x64.py) with the
# method's schedule points three times later: the start of the segmentation and
# affinity losses (the authors' ``cam_iters``: 150), of the affinity-refined labels
# (450) and the end of the poly decay (power 1.0; 1,500). The learning-rate warm-up
# stays at 40 iterations. About 17 min on a 2-core CPU.
#   python tools/train.py configs/afa/afa_vit-t8_1xb16-1500_synthetic-64x64.py
_base_ = [
    '../_base_/models/afa_vit-t8.py', '../_base_/datasets/synthetic_shapes_seg-cams.py',
    '../_base_/schedules/adamw-warmup-poly_500it.py', 'mmseg::_base_/default_runtime.py'
]
max_iters = 1500
power = 1.0
warmup_iters = _base_.warmup_iters
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], factor=(1 - warmup_iters / max_iters)**power),
    dict(_base_.param_scheduler[2], power=power, end=max_iters + 1),
]
model = dict(train_cfg=dict(warmup_iters=150, aff_label_iter=450))
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500))

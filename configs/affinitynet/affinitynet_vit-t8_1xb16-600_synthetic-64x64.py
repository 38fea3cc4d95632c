# Stage 4b on the synthetic shape world, the authors' AffinityNet
# (configs/affinitynet/affinitynet_r50_4xb8-1k_voc12aug-512x512.py) on the shared
# frozen ViT (../_base_/models/affinitynet_vit-t8.py), trained on the confident CAM
# regions of the train split (the `seeds` pseudo labels,
# configs/pseudo_label/seeds-crf_semformer_synthetic.py): batch 16, 600 iterations
# of AdamW (lr 2e-3) with poly decay; only the boundary branch learns.
#   python tools/train.py configs/affinitynet/affinitynet_vit-t8_1xb16-600_synthetic-64x64.py
_base_ = [
    '../_base_/models/affinitynet_vit-t8.py', '../_base_/datasets/synthetic_seeds.py',
    '../_base_/schedules/adamw-poly_500it.py', 'mmseg::_base_/default_runtime.py'
]
model = {{_base_.boundary_affinity_net}}
val_cfg = test_cfg = None

max_iters = 600
optim_wrapper = dict(constructor='QuietOptimWrapperConstructor', optimizer=dict(lr=2e-3))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(checkpoint=dict(interval=max_iters))

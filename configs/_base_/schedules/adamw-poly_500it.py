# The synthetic world's schedule, sized for a 2-core CPU: 500 iterations of AdamW
# (lr 1e-3, weight decay 0.01) with poly decay (power 0.9), validation and a
# checkpoint every 250, seed 0. A config with another length restates the decay:
#   param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
_base_ = ['./iter_based.py']
max_iters = 500
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=250)
default_hooks = dict(checkpoint=dict(interval=250))
randomness = dict(seed=0)

# AFA's and ToCo's schedule on PASCAL VOC (the authors' PolyWarmupAdamW): 20,000
# iterations of AdamW (lr 6e-5, betas 0.9 / 0.999, weight decay 0.01; the new heads
# at 10 x lr, configs add their other heads), 1,500 warm-up iterations from 1e-6 x lr,
# poly decay (power 0.9), validation and a checkpoint every 2,000. Every process draws
# its own augmentation and view parameters (as each GPU's data workers do in the
# authors' code).
# The authors' lr at (0-based) iteration t, `utils/optimizer.py` of rulixiang/afa and
# rulixiang/ToCo, with W warm-up iterations, T iterations, r the warm-up ratio:
#   t <  W: lr * (r + (1 - r) t / W)        a linear ramp, no poly factor
#   t >= W: lr * (1 - t / T)^power          poly from step 0: a drop at t = W
# mmengine's schedulers multiply their factors (and count `end - begin - 1` steps), so:
# LinearLR ramps r -> 1 over [0, W]; ConstantLR, active at t = W only (so never
# restored), multiplies by (1 - W / T)^power; PolyLR over [W, T] multiplies by
# ((T - t) / (T - W))^power. A config changing `power` restates the last two.
_base_ = ['./iter_based.py']
max_iters = 20000
warmup_iters = 1500
warmup_ratio = 1e-6
power = 0.9
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'decode_head': dict(lr_mult=10.0),
        'cls_head': dict(lr_mult=10.0)
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=warmup_ratio, end_factor=1.0, by_epoch=False,
         begin=0, end=warmup_iters + 1),
    dict(type='ConstantLR', factor=(1 - warmup_iters / max_iters)**power, by_epoch=False,
         begin=warmup_iters, end=warmup_iters + 1),
    dict(type='PolyLR', power=power, eta_min=0.0, by_epoch=False, begin=warmup_iters,
         end=max_iters + 1),
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
randomness = dict(seed=0, diff_rank_seed=True)

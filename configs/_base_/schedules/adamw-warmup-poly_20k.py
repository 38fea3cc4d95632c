# AFA's and ToCo's schedule on PASCAL VOC (the authors' PolyWarmupAdamW): 20,000
# iterations of AdamW (lr 6e-5, betas 0.9 / 0.999, weight decay 0.01; the new heads
# at 10 x lr, configs add their other heads), 1,500 linear warm-up iterations from
# 1e-6 x lr times poly decay (power 0.9) from step 0, validation and a checkpoint
# every 2,000. Every process draws its own augmentation and view parameters (as
# each GPU's data workers do in the authors' code).
_base_ = ['./iter_based.py']
max_iters = 20000
warmup_iters = 1500
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'decode_head': dict(lr_mult=10.0),
        'cls_head': dict(lr_mult=10.0)
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False, begin=0, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
randomness = dict(seed=0, diff_rank_seed=True)

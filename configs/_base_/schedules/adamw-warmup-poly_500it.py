# AFA's and ToCo's schedule scaled to the synthetic world: ./adamw-poly_500it.py
# (AdamW, lr 1e-3, betas 0.9 / 0.999) with the pretrained backbone at 0.1 x lr and
# 40 linear warm-up iterations from 1e-3 x lr times the poly decay.
_base_ = ['./adamw-poly_500it.py']
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    optimizer=dict(betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=40),
    _base_.param_scheduler[0],
]

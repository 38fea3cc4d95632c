# AFA's and ToCo's schedule scaled to the synthetic world: ./adamw-poly_500it.py
# (AdamW, lr 1e-3, betas 0.9 / 0.999) with the pretrained backbone at 0.1 x lr, and the
# authors' warm-up + poly (./adamw-warmup-poly_20k.py): 40 warm-up iterations from
# 1e-3 x lr (a linear ramp), then lr * (1 - t / 500)^0.9. A config changing `power`
# restates the last two schedulers.
_base_ = ['./adamw-poly_500it.py']
warmup_iters = 40
warmup_ratio = 1e-3
power = 0.9
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    optimizer=dict(betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=warmup_ratio, end_factor=1.0, by_epoch=False,
         begin=0, end=warmup_iters + 1),
    dict(type='ConstantLR', factor=(1 - warmup_iters / _base_.max_iters)**power,
         by_epoch=False, begin=warmup_iters, end=warmup_iters + 1),
    dict(type='PolyLR', power=power, eta_min=0.0, by_epoch=False, begin=warmup_iters,
         end=_base_.max_iters + 1),
]

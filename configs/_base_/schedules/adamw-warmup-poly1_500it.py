# AFA's schedule on the synthetic world: ./adamw-warmup-poly_500it.py with the
# authors' PolyWarmupAdamW power 1.0 (afa configs/voc_attn_reg.yaml): the linear
# warm-up ramp, then lr * (1 - t / 500)^1.
_base_ = ['./adamw-warmup-poly_500it.py']
power = 1.0
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1],
         factor=(1 - _base_.warmup_iters / _base_.max_iters)**power),
    dict(_base_.param_scheduler[2], power=power),
]

# The synthetic backbone's pretraining schedule: 4,000 iterations of AdamW (lr 2e-3,
# weight decay 0.05, none on norms, biases, the position embedding and the cls
# token; gradients clipped at norm 5), 300 linear warm-up iterations from 0.01 x lr,
# then cosine decay to 2e-5; validation and a checkpoint every 500, seed 0.
_base_ = ['./iter_based.py']
max_iters = 4000
warmup_iters = 300
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.0),
                                    'cls_token': dict(decay_mult=0.0)}),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters, end=max_iters,
         eta_min=2e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
randomness = dict(seed=0)

# SemFormer's schedule on PASCAL VOC (stage 2: 20 epochs of trainaug at batch 8):
# 26,460 iterations of SGD (lr 0.005, momentum 0.9 with Nesterov, weight decay 5e-4)
# in the authors' parameter groups (PretrainedNewParamGroupsConstructor; a config
# names the pretrained and the new parameters), poly decay (power 0.9); validation
# and a checkpoint every quarter. The authors' code passed the weight decay into
# SGD's momentum slot and so ran with momentum 5e-4; set optimizer.momentum=5e-4 to
# reproduce that.
_base_ = ['./iter_based.py']
max_iters = 26460
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='PretrainedNewParamGroupsConstructor',
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, nesterov=True, weight_decay=5e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 4)
default_hooks = dict(checkpoint=dict(interval=max_iters // 4, rule='greater'))

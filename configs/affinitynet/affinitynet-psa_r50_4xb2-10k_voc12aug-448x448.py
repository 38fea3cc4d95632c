# Stage 4b on PASCAL VOC, the PSA alternative (Ahn and Kwak 2018): an AffinityNet
# whose affinities are feature distances, on the trainaug seeds (configs/pseudo_label/
# seeds-crf_semformer_voc12aug.py), 448 crops, batch 8 (4 GPUs x 2), about 8 epochs (10,580
# iterations), SGD poly 0.01 with the new layers at 10x, as PSA. The authors'
# network is the default one (configs/affinitynet/affinitynet_r50_4xb8-1k_voc12aug-512x512.py).
# PSA trains on confident regions with an ignore band: make its seeds with
# --cfg-options model.bg_threshold=0.30 model.confident_bg_threshold=0.05 on the seeds
# config (the authors' 0.11 / 0.15 leave almost no band).
#   bash tools/dist_train.sh configs/affinitynet/affinitynet-psa_r50_4xb2-10k_voc12aug-448x448.py 4   # 4 GPUs x 2
_base_ = [
    '../_base_/models/affinitynet-psa_r50.py', '../_base_/datasets/voc12_seeds.py',
    '../_base_/schedules/iter_based.py', 'mmseg::_base_/default_runtime.py'
]
model = {{_base_.affinity_net}}
train_dataloader = dict(batch_size=2)
val_cfg = test_cfg = None

max_iters = 10580
optim_wrapper = dict(
    constructor='QuietOptimWrapperConstructor',
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'projections': dict(lr_mult=10.0),
                                    'fuse': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(checkpoint=dict(interval=2000))

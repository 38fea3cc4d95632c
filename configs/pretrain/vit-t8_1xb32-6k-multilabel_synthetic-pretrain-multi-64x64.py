# Stand-in for ImageNet pretraining, step 2 (steps 3 to 7 repeat it; step 7
# gives the checkpoint the synthetic worlds' stages start from): multi-label classification of the 32-class pretraining world
# with 1-3 objects of the WSSS world's sizes, medium clutter, no silhouettes,
# starting from step 1 (vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64.py).
# The classifier reads the cls token, as DeiT's (step 1 averaged the patch tokens).
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_multi \
#       --world pretrain --seed 1001 --objects 1 3 --num-train 40000 --num-val 1000 \
#       --size 64 --clutter medium
#   python tools/train.py configs/pretrain/vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py
#   python tools/publish_backbone.py \
#       work_dirs/vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64/iter_6000.pth \
#       checkpoints/synthetic_vit-t8_pretrain-step2.pth
_base_ = ['./vit-p8_1xb64-single_shapes32-64x64.py']
data_root = 'data/synthetic_pretrain_multi/VOC2012'
train_dataloader = dict(batch_size=32, dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
model = dict(loss='bce', backbone=dict(drop_path_rate=0.0, out_type='cls_token'))
load_from = ('work_dirs/vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64/'
             'iter_12000.pth')
max_iters = 6000
warmup_iters = 200
optim_wrapper = dict(optimizer=dict(lr=5e-4))
param_scheduler = [  # the base's warm-up and cosine, over this schedule
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters, eta_min=1e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2))

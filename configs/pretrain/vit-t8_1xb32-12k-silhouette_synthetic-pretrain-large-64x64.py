# Stand-in for ImageNet pretraining, step 1: one large object per image on the
# 32-class pretraining world, with the silhouette curriculum. Each training image is
# blended towards a black-and-white rendering of its objects with a weight drawn
# uniformly in [0, 1] (`SilhouetteBlend`): from scratch, shapes in random colours and
# textures keep a ViT near chance for thousands of iterations, plain silhouettes are
# learned in hundreds, and what is learned on them carries over to the coloured
# images. Validation runs on the unblended images. Step 2 (multi-label, clutter,
# no blending) starts from this checkpoint.
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_large \
#       --world pretrain --seed 1003 --objects 1 1 --num-train 20000 --num-val 1000 \
#       --size 64 --clutter low --radius 0.3 0.45
#   python tools/train.py configs/pretrain/vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64.py
_base_ = ['./vit-p8_1xb64-single_shapes32-64x64.py']
data_root = 'data/synthetic_pretrain_large/VOC2012'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='SilhouetteBlend', alpha=(0.0, 1.0)),
    *_base_.train_pipeline[1:],
]
train_dataloader = dict(
    batch_size=32, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
model = dict(backbone=dict(drop_path_rate=0.0))
max_iters = 12000
warmup_iters = 200
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [  # the base's warm-up and cosine, over this schedule
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters, eta_min=1e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)
default_hooks = dict(checkpoint=dict(interval=500, max_keep_ckpts=2))

# Pretraining of the synthetic worlds' backbone on plain images (the shipped step 1
# is vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64.py): one large
# object per image (radius 30-45 % of the side), low clutter (data/synthetic_pretrain_large, seed 1003), softmax
# cross-entropy on the average patch token.
# From scratch a ViT (and a small CNN) stays at chance for hundreds of steps on the
# 32 shape classes; large objects give the outlines more pixels to learn from.
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_large \
#       --world pretrain --seed 1003 --objects 1 1 --num-train 20000 --num-val 1000 \
#       --size 64 --clutter low --radius 0.3 0.45
#   python tools/train.py configs/pretrain/vit-p8_1xb32-large_shapes32-64x64.py
_base_ = ['./vit-p8_1xb64-single_shapes32-64x64.py']
data_root = 'data/synthetic_pretrain_large/VOC2012'
train_dataloader = dict(batch_size=32, dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
model = dict(backbone=dict(drop_path_rate=0.0))
max_iters = 8000
warmup_iters = 200
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [  # the base's warm-up and cosine, over this schedule
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters, eta_min=1e-5)
]
train_cfg = dict(max_iters=max_iters, val_interval=500)

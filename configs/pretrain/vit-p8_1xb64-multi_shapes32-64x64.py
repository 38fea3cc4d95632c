# Pretraining of the synthetic worlds' backbone, phase 2 of 2: multi-label
# classification of the 32 shape classes on images with 1-3 objects, occlusion and
# distractors (data/synthetic_pretrain_multi, seed 1001), starting from phase 1.
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_multi \
#       --world pretrain --seed 1001 --objects 1 3 --num-train 40000 --num-val 1000 \
#       --size 64 --clutter medium
#   python tools/train.py configs/pretrain/vit-p8_1xb64-multi_shapes32-64x64.py \
#       --cfg-options load_from=work_dirs/vit-p8_1xb64-single_shapes32-64x64/iter_4000.pth
#   python tools/publish_backbone.py work_dirs/vit-p8_1xb64-multi_shapes32-64x64/iter_N.pth \
#       checkpoints/synthetic_vit-p8_pretrain.pth
_base_ = ['./vit-p8_1xb64-single_shapes32-64x64.py']
data_root = 'data/synthetic_pretrain_multi/VOC2012'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
load_from = 'work_dirs/vit-p8_1xb64-single_shapes32-64x64/iter_4000.pth'
max_iters = 3000
warmup_iters = 200
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [  # the base's warm-up and cosine, over this schedule
    dict(_base_.param_scheduler[0], end=warmup_iters),
    dict(_base_.param_scheduler[1], begin=warmup_iters, end=max_iters, eta_min=1e-5)
]
train_cfg = dict(max_iters=max_iters)

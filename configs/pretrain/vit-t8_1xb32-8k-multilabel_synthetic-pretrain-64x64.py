# Pretraining of the synthetic world's ViT backbone: the stand-in for ImageNet
# pretraining of the paper's DeiT. Multi-label classification (image-level labels
# only, on the cls token) of the 6 shape classes on a synthetic set that is disjoint
# from the one the pipeline uses (seed 1000, rendered at 64 px with low clutter, an
# easier world than the pipeline's medium one); batch 32, 8,000 iterations:
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain --seed 1000 \
#       --num-train 20000 --num-val 500 --size 64 --clutter low
#   python tools/train.py configs/pretrain/vit-t8_1xb32-8k-multilabel_synthetic-pretrain-64x64.py
#   python tools/publish_backbone.py \
#       work_dirs/vit-t8_1xb32-8k-multilabel_synthetic-pretrain-64x64/iter_N.pth \
#       checkpoints/synthetic_vit-t8_pretrain.pth
# The published checkpoint has mmpretrain's DeiT layout (cls token, pos_embed,
# layers, ln1), so it loads exactly like an ImageNet DeiT checkpoint; the patch
# projection is a small conv stem (ConvStem), which a ViT trained from scratch on a
# CPU budget needs (../shared/FINDINGS.md).
_base_ = [
    '../_base_/models/vit-t8_classifier.py', '../_base_/datasets/synthetic_pretrain.py',
    '../_base_/schedules/adamw-cosine_4k.py', 'mmseg::_base_/default_runtime.py'
]
model = dict(num_classes=7, backbone=dict(out_type='cls_token'))
# the pretraining set-up on a set of the WSSS world's 7 classes
dataset_type = 'SyntheticShapeDataset'
data_root = 'data/synthetic_pretrain/VOC2012'
train_dataloader = dict(
    batch_size=32, dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(
    batch_size=50, dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

max_iters = 8000
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [_base_.param_scheduler[0],
                   dict(_base_.param_scheduler[1], end=max_iters, eta_min=1e-5)]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    checkpoint=dict(save_best='cls/mAP', rule='greater'))

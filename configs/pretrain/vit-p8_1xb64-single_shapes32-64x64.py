# Pretraining of the synthetic worlds' backbone, phase 1 of 2: the stand-in for
# ImageNet pretraining of the paper's DeiT. Classification (softmax cross-entropy
# on the average patch token) of 32 shape classes on images with one object each (data/synthetic_pretrain_single,
# seed 1000, disjoint from the WSSS world). A ViT (width 128, 6 blocks, 4 heads)
# with a convolutional stem down to patch 8: 8 x 8 tokens on 64 x 64 images (patch
# 4, 16 x 16 tokens, trained about 5x slower on 2 CPU cores). Phase 2 (..._multi)
# continues on images with 1-3 objects. Make the data and train:
#   python tools/make_synthetic_voc.py --out data/synthetic_pretrain_single \
#       --world pretrain --seed 1000 --objects 1 1 --num-train 40000 --num-val 1000 \
#       --size 64 --clutter medium
#   python tools/train.py configs/pretrain/vit-p8_1xb64-single_shapes32-64x64.py
_base_ = [
    '../_base_/models/vit-t8_classifier.py', '../_base_/datasets/synthetic_pretrain.py',
    '../_base_/schedules/adamw-cosine_4k.py', 'mmseg::_base_/default_runtime.py'
]
model = dict(
    num_classes=33, loss='ce', backbone=dict(drop_path_rate=0.05, out_type='avg_featmap'))

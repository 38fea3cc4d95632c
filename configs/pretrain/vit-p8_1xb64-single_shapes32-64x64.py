# The base of the synthetic backbone's pretraining configs (the stand-in for ImageNet
# pretraining of the paper's DeiT): classification (softmax cross-entropy on the
# average patch token) of the 32 shape classes of the pretraining world, one object
# per image, plain images (no curriculum). A ViT (width 128, 6 blocks, 4 heads) with a
# convolutional stem down to patch 8: 8 x 8 tokens on 64 x 64 images. The shipped
# backbone comes from vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64.py
# then vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py and its repeats,
# steps 3 to 6 (docs/en/synthetic_world.md).
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

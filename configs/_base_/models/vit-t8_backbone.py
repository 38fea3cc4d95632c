# The synthetic worlds' backbone, the stand-in for the paper's ImageNet DeiT: a ViT
# (width 128, 6 blocks, 4 heads) with a convolutional stem down to patch 8 (8 x 8
# tokens on 64 x 64 images), pretrained on a disjoint 32-class synthetic world
# (configs/pretrain/vit-t8_1xb32-12k-silhouette_synthetic-pretrain-large-64x64.py, then
# configs/pretrain/vit-t8_1xb32-6k-multilabel_synthetic-pretrain-multi-64x64.py and its
# repeats, steps 3 to 7, see checkpoints/README.md; published
# with tools/publish_backbone.py in mmpretrain's DeiT layout, so it loads like an
# ImageNet DeiT checkpoint). Models take it with their class tokens:
#   backbone=dict(_base_.vit_t8, num_class_tokens=7)
checkpoint = 'checkpoints/synthetic_vit-t8_pretrain.pth'
vit_t8 = dict(
    type='MultiClassTokenViT',
    arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512),
    img_size=64,
    patch_size=8,
    patch_cfg=dict(conv_type='DeepConvStem'),
    out_type='raw',
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))

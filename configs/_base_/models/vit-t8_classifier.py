# The synthetic worlds' backbone in pretraining (no checkpoint; see
# ./vit-t8_backbone.py for how it is used afterwards): mmpretrain's ViT (width 128,
# 6 blocks, 4 heads) with a convolutional stem down to patch 8, 8 x 8 tokens on
# 64 x 64 images, under an image-label classifier; a config sets the classes, the
# loss and the pooled token (`backbone.out_type`).
vit_arch = dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
model = dict(
    type='ImageLabelClassifier',
    in_channels=vit_arch['embed_dims'],
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, size=(64, 64)),
    backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch=vit_arch,
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='DeepConvStem')))

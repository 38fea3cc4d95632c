# MCTformer-V2 (Xu et al., CVPR 2022): DeiT-S (ImageNet) with K - 1 = 20 foreground
# class tokens (copies of the pretrained cls token), no final LayerNorm, drop path
# 0.1, the patch-CAM head; maps from the class-to-patch attention of the last 3
# blocks times the patch CAM, refined by the patch-to-patch attention.
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/deit/deit-small_pt-4xb256_in1k_20220218-9425b9bb.pth'  # noqa
model = dict(
    type='MCTformer',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=(224, 224)),
    backbone=dict(
        type='MultiClassTokenViT',
        num_class_tokens=20,
        arch='deit-small',
        img_size=224,
        patch_size=16,
        out_type='raw',
        final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint,
                      prefix='backbone.')),
    decode_head=dict(type='MCTformerHead', in_channels=384, num_classes=21, patch_cam=True),
    test_cfg=dict(scales=(1.0, ), flip=True, keep_plain=True, attn_layers=3,
                  attention_type='fused', patch_attn_refine=True))

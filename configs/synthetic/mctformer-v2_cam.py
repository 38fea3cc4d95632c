# MCTformer-V2 (Xu et al., CVPR 2022) on the synthetic shape world, with the same
# data, backbone (synthetic-pretrained ViT, 6 layers, width 128, patch 8), crops,
# schedule and optimizer as SemFormer's stage 2 (semformer_cam.py), so the two
# compare under one budget. 6 foreground class tokens; the head adds the patch CAM.
# CAMs: class-to-patch attention of the last 3 blocks (the authors' layer index 3
# of 12; here of 6) times the patch CAM, refined by the patch-to-patch attention.
#   python tools/train.py configs/synthetic/mctformer-v2_cam.py
_base_ = ['./semformer_cam.py']
model = dict(
    _delete_=True,
    type='MCTformer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(
        type='MultiClassTokenViT',
        num_class_tokens=6,
        arch=dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512),
        img_size=64,
        patch_size=8,
        patch_cfg=dict(conv_type='ConvStem'),
        out_type='raw',
        init_cfg=dict(type='Pretrained', checkpoint={{_base_.checkpoint}},
                      prefix='backbone.')),
    decode_head=dict(type='MCTformerHead', in_channels=128, num_classes=7, patch_cam=True),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True, keep_plain=True,
                  attn_layers=3, attention_type='fused', patch_attn_refine=True))

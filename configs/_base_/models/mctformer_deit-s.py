# MCTformer-V2 (Xu et al., CVPR 2022): DeiT-S (ImageNet) with K - 1 = 20 foreground
# class tokens (copies of the pretrained cls token), no final LayerNorm, drop path
# 0.1, the patch-CAM head; maps from the class-to-patch attention of the last 3
# blocks times the patch CAM, refined by the patch-to-patch attention.
_base_ = ['./seg_data_preprocessor.py', './deit-s.py']
model = dict(
    type='MCTformer',
    data_preprocessor=dict(_base_.seg_data_preprocessor, size=(224, 224)),
    backbone=dict(
        _base_.deit_s, num_class_tokens=20, img_size=224, final_norm=False,
        drop_path_rate=0.1),
    decode_head=dict(type='MCTformerHead', in_channels=384, num_classes=21, patch_cam=True),
    test_cfg=dict(scales=(1.0, ), flip=True, keep_plain=True, attn_layers=3,
                  attention_type='fused', patch_attn_refine=True))

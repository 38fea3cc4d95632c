# MCTformer-V2 (./mctformer_deit-s.py) for the synthetic shape world: the
# synthetic-pretrained ViT-T/8 (./vit-t8_backbone.py) with 6 foreground class tokens,
# 64 x 64 inputs, K = 7; CAMs from the last 3 of its 6 blocks, at 4 scales + flip.
_base_ = ['./mctformer_deit-s.py', './vit-t8_backbone.py']
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(_base_.vit_t8, _delete_=True, num_class_tokens=6),
    decode_head=dict(in_channels=128, num_classes=7),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0)))

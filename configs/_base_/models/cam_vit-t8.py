# The plain CAM baseline for the synthetic shape world: the synthetic-pretrained
# ViT-T/8 (./vit-t8_synthetic.py) with one cls token (initialised from the pretrained
# one), a linear classifier on it (CAMHead, K = 7), and CAMs from that classifier
# applied to every patch token, at 4 scales + flip. `decode_head.pool='avg'` gives
# Zhou et al.'s CAM instead (the classifier on the average patch token; then set
# num_class_tokens=0).
_base_ = ['./vit-t8_synthetic.py']
model = dict(
    type='CAMSegmentor',
    backbone=dict(num_class_tokens=1),
    decode_head=dict(type='CAMHead', in_channels=128, num_classes=7, pool='cls_token'),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True))

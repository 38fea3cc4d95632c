# The plain CAM baseline for the synthetic shape world (Zhou et al.'s CAM): the
# synthetic-pretrained ViT-T/8 (./vit-t8_synthetic.py), a linear classifier on the
# average patch token (CAMHead, K = 7), and CAMs from that classifier applied to
# every patch token, at 4 scales + flip. The backbone's first pretraining step put
# the same head on the average patch token; its second step read the cls token.
# `decode_head.pool='cls_token'` with `backbone.num_class_tokens=1` puts the
# classifier on one cls token instead (the DeiT-style variant; 12.9 CAM mIoU
# against 18.3-21.4 for this one with the step-2 backbone, docs/en/benchmarks.md).
_base_ = ['./vit-t8_synthetic.py']
model = dict(
    type='CAMSegmentor',
    backbone=dict(num_class_tokens=0),
    decode_head=dict(type='CAMHead', in_channels=128, num_classes=7, pool='avg'),
    test_cfg=dict(scales=(0.5, 1.0, 1.5, 2.0), flip=True))

# The plain CAM baseline on the synthetic shape world: the same backbone as
# SemFormer and MCTformer with one cls token (initialised from the pretrained
# one), a linear classifier trained on it, and CAMs from that classifier applied
# to every patch token. Same data, crops, schedule and optimizer as
# semformer_cam.py. `model.decode_head.pool=avg` gives Zhou et al.'s CAM instead
# (classifier on the average patch token; then set num_class_tokens=0).
#   python tools/train.py configs/synthetic/cam_vit-t8.py
_base_ = ['./mctformer-v2_cam.py']
model = dict(
    type='CAMSegmentor',
    backbone=dict(num_class_tokens=1),
    decode_head=dict(
        _delete_=True, type='CAMHead', in_channels=128, num_classes=7, pool='cls_token'),
    test_cfg=dict(_delete_=True, scales=(0.5, 1.0, 1.5, 2.0), flip=True))

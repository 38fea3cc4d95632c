# The plain CAM baseline on the synthetic shape world (Zhou et al.'s CAM): the same
# backbone as SemFormer and MCTformer, a linear classifier trained on its average
# patch token, and CAMs from that classifier applied to every patch token. Same
# data, crops, batch, schedule and optimizer as
# configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py.
# `model.decode_head.pool=cls_token model.backbone.num_class_tokens=1` trains the
# classifier on one cls token instead (../_base_/models/cam_vit-t8.py).
#   python tools/train.py configs/cam/cam_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/cam_vit-t8.py', '../_base_/datasets/synthetic_shapes_cams.py',
    '../_base_/schedules/synthetic_cam_500it.py', 'mmseg::_base_/default_runtime.py'
]

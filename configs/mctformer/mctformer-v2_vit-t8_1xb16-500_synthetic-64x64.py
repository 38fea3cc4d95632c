# MCTformer-V2 (Xu et al., CVPR 2022) on the synthetic shape world, with the same
# data, backbone (synthetic-pretrained ViT, 6 layers, width 128, patch 8), crops,
# batch, schedule and optimizer as SemFormer's stage 2
# (configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py), so the two
# compare under one budget. 6 foreground class tokens; the head adds the patch CAM.
# CAMs: class-to-patch attention of the last 3 blocks (the authors' layer index 3
# of 12; here of 6) times the patch CAM, refined by the patch-to-patch attention.
#   python tools/train.py configs/mctformer/mctformer-v2_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/mctformer_vit-t8.py', '../_base_/datasets/synthetic_shapes_cams.py',
    '../_base_/schedules/synthetic_cam_500it.py', 'mmseg::_base_/default_runtime.py'
]

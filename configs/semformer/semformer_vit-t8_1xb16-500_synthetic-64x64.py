# SemFormer stage 2 on the synthetic shape world, sized for a 2-core CPU: the
# synthetic pretrained ViT (6 layers, width 128, conv stem to patch 8) with 7 class
# tokens initialised from its cls token, the frozen stage-1 CAAE (loaded from
# `caae_checkpoint`, ../_base_/models/semformer_vit-t8.py), 64 x 64 crops, batch 16,
# 500 iterations of AdamW (backbone at 0.1 x lr). Validation: CAMs on val, with and
# without CRA, background threshold swept (CAMMetric).
#   python tools/train.py configs/semformer/caae_vit-t8_1xb32-500_synthetic-64x64.py \
#       --work-dir work_dirs/pipeline/caae
#   python tools/train.py configs/semformer/semformer_vit-t8_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/semformer_vit-t8.py', '../_base_/datasets/synthetic_shapes_cams.py',
    '../_base_/schedules/synthetic_cam_500it.py', 'mmseg::_base_/default_runtime.py'
]

# AFA on the synthetic shape world with multi-scale features for its SegFormer head,
# as MiT-B1 gives it in the paper (strides 4, 8, 16, 16): the conv stem's stride-2
# and stride-4 maps (32 x 32 and 16 x 16, 32 and 64 channels; `stem_out_indices`)
# before the last block's 8 x 8 tokens. The classifier, the CAMs and the affinity
# still read the last block only; schedule and losses as
# afa_vit-t8_1xb16-500_synthetic-64x64.py, whose head decodes the 8 x 8 tokens alone.
#   python tools/train.py configs/afa/afa_vit-t8-ms_1xb16-500_synthetic-64x64.py
_base_ = [
    '../_base_/models/afa_vit-t8.py', '../_base_/datasets/synthetic_shapes_seg-cams.py',
    '../_base_/schedules/adamw-warmup-poly1_500it.py', 'mmseg::_base_/default_runtime.py'
]
model = dict(
    backbone=dict(stem_out_indices=(5, 11)),
    decode_head=dict(in_channels=[32, 64, 128], in_index=[0, 1, 2]))

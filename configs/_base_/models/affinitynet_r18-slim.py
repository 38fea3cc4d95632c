# AffinityNet (PSA) for the synthetic shape world: a slim ResNetV1c-18 (widths
# 32-256, from scratch), stages 1-3 fused at stride 4 (16 x 16 features on 64 x 64
# images), pairs within radius 4.
affinity_net = dict(
    type='AffinityNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        seg_pad_val=255,
        size=(64, 64)),
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=32, base_channels=32,
        out_indices=(0, 1, 2), num_stages=3, strides=(1, 2, 1), dilations=(1, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True)),
    in_channels=(32, 64, 128),
    in_index=(0, 1, 2),
    channels=32,
    out_channels=64,
    radius=4)

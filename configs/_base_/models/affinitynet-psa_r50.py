# AffinityNet (PSA, Ahn and Kwak 2018) on PASCAL VOC: ResNetV1c-50 (mmseg's ImageNet
# checkpoint), stages 2-4 fused at stride 8 (dilated), pairs within radius 5;
# affinities from feature distances. Images are padded with mmseg's default 0.
affinity_net = dict(
    type='AffinityNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        seg_pad_val=255,
        size=(448, 448)),
    backbone=dict(
        type='ResNetV1c', depth=50, out_indices=(1, 2, 3), strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4), contract_dilation=True,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    in_channels=(512, 1024, 2048),
    in_index=(0, 1, 2),
    channels=64,
    out_channels=448,
    radius=5)
